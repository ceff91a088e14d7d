#include "providers/caching_provider.h"

#include <cctype>
#include <thread>

namespace sunwind {

Sleeper RealSleeper() {
  return [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

std::optional<std::chrono::seconds> ParseRetryAfter(const std::string& value) {
  std::string v;
  for (char c : value) {
    if (!std::isspace(static_cast<unsigned char>(c))) v += c;
  }
  if (v.empty() || v.size() > 9) return std::nullopt;
  for (char c : v) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  return std::chrono::seconds(std::stol(v));
}

bool IsStaleNote(const std::string& note) { return note.rfind(kStaleNotePrefix, 0) == 0; }

CachingFetcher::CachingFetcher(std::string provider, HttpTransport& http, const Clock& clock, AnswerCache* cache,
                               RetryPolicy retry, int64_t daily_budget, Sleeper sleeper)
    : provider_(std::move(provider)),
      http_(http),
      clock_(clock),
      cache_(cache),
      retry_(retry),
      daily_budget_(daily_budget),
      sleeper_(sleeper ? std::move(sleeper) : RealSleeper()) {}

Result<HttpResponse> CachingFetcher::SendWithRetry(const HttpRequest& request, const ErrorMapper& map_error) {
  for (int attempt = 0;; ++attempt) {
    if (cache_ && daily_budget_ > 0) {
      auto used = cache_->RequestsToday(provider_, clock_.Now());
      if (used.ok() && *used >= daily_budget_) {
        return Status(StatusCode::kRateLimited,
                      provider_ + ": daily request budget of " + std::to_string(daily_budget_) +
                          " used up (providers." + provider_ + ".daily_budget in the config)");
      }
    }
    if (cache_) (void)cache_->CountRequest(provider_, clock_.Now());
    ++requests_sent_;
    auto response = http_.Send(request);
    if (!response.ok()) return response.status();  // timeouts and refusals are not retried: the chain moves on
    int code = response->status;
    if (code >= 200 && code < 300) return response;
    bool retriable = code == 429 || code >= 500;
    if (!retriable || attempt >= retry_.max_retries) return map_error(*response);
    std::chrono::milliseconds wait = retry_.backoff * (1 << attempt);
    if (auto ra = response->Header("retry-after")) {
      if (auto secs = ParseRetryAfter(*ra)) wait = *secs;
    }
    if (wait > retry_.max_wait) {
      Status st = map_error(*response);
      return Status(st.code(), st.message() + " (asked to wait " +
                                   std::to_string(std::chrono::duration_cast<std::chrono::seconds>(wait).count()) +
                                   " s, more than the " +
                                   std::to_string(std::chrono::duration_cast<std::chrono::seconds>(retry_.max_wait).count()) +
                                   " s sunwind waits)");
    }
    sleeper_(wait);
  }
}

Result<FetchedAnswer> CachingFetcher::Fetch(const HttpRequest& request, const std::string& key, const std::string& kind,
                                            const AnswerValidator& validate, const ErrorMapper& map_error) {
  std::optional<CachedAnswer> cached;
  if (cache_) {
    auto c = cache_->Get(provider_, key);
    if (c.ok()) cached = *c;  // a cache that cannot be read is no cache
  }
  TimePoint now = clock_.Now();
  if (cached && cached->FreshAt(now)) {
    return FetchedAnswer{cached->body, true, false, cached->fetched_at, ""};
  }
  Status failure;
  auto response = SendWithRetry(request, map_error);
  if (response.ok()) {
    auto expiry = validate(response->body, now);
    if (expiry.ok()) {
      if (cache_) (void)cache_->Put(provider_, key, CachedAnswer{kind, response->body, now, *expiry});
      return FetchedAnswer{std::move(response->body), false, false, now, ""};
    }
    failure = expiry.status();
  } else {
    failure = response.status();
  }
  // Credentials refused is not something a stale answer should hide.
  if (cached && failure.code() != StatusCode::kUnauthenticated && failure.code() != StatusCode::kInvalidArgument) {
    return FetchedAnswer{cached->body, true, true, cached->fetched_at, failure.message()};
  }
  return failure;
}

}  // namespace sunwind
