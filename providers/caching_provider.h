// How live providers talk to their APIs: through the SQLite answer cache, a
// daily request budget, and a bounded retry on 429 and 5xx that honours
// Retry-After. Every live client (Electricity Maps, ...) sends its requests
// through one CachingFetcher.
//
//   fresh cached answer  -> returned, no request sent
//   otherwise            -> request (within the daily budget), retried on
//                           429/5xx while the wait stays within the bound
//   success              -> validated by the caller's parser, then cached with
//                           the expiry the caller computes from its kind
//   failure              -> the stale cached answer if there is one (marked
//                           stale, with the failure), else the failure
#ifndef SUNWIND_PROVIDERS_CACHING_PROVIDER_H_
#define SUNWIND_PROVIDERS_CACHING_PROVIDER_H_

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "core/status.h"
#include "core/time.h"
#include "providers/http_transport.h"
#include "storage/answer_cache.h"

namespace sunwind {

// How long each kind of answer stays fresh.
struct CachePolicy {
  Duration latest_ttl{std::chrono::minutes(5)};      // "latest" readings
  Duration rolling_history_ttl{std::chrono::hours(1)};  // "last 24 h" answers, which move
  // A forecast is fresh until the provider's next update: its updatedAt plus
  // this period, and at least min_forecast_ttl from when it was fetched.
  Duration forecast_update_period{std::chrono::hours(1)};
  Duration min_forecast_ttl{std::chrono::minutes(5)};
  // Answers about a fixed past range never expire.
};

struct RetryPolicy {
  int max_retries = 2;  // after the first attempt
  // Backoff when the answer has no Retry-After: base, 2*base, 4*base...
  std::chrono::milliseconds backoff{500};
  // A Retry-After longer than this is not waited for: the call fails
  // (kRateLimited) so the chain can move on.
  std::chrono::milliseconds max_wait{std::chrono::seconds(30)};
};

// Waits; tests pass one that records instead of sleeping.
using Sleeper = std::function<void(std::chrono::milliseconds)>;
Sleeper RealSleeper();

struct FetchedAnswer {
  std::string body;
  bool from_cache = false;
  bool stale = false;        // a cached answer past its freshness, served because the request failed
  TimePoint fetched_at{};
  std::string stale_reason;  // why the request failed, when stale
};

// A parsed answer and whether it came from a stale cache.
template <typename T>
struct Fetched {
  T value;
  bool stale = false;
  bool from_cache = false;
  std::string stale_reason;
};

// The parsed value of a fetched answer: `fresh` (parsed when it arrived) for
// a new answer, else `parse` of the cached body. `path` names errors.
template <typename T, typename Parse>
Result<Fetched<T>> FromAnswer(const FetchedAnswer& answer, T fresh, const Parse& parse, const std::string& path) {
  Fetched<T> out;
  if (answer.from_cache) {
    auto v = parse(answer.body);
    if (!v.ok()) return v.status().WithContext(path + " (cached)");
    out.value = std::move(v).value();
  } else {
    out.value = std::move(fresh);
  }
  out.stale = answer.stale;
  out.from_cache = answer.from_cache;
  out.stale_reason = answer.stale_reason;
  return out;
}

// Parses a successful body; returns when it stops being fresh (nullopt:
// never), or an error (malformed answer) so it is neither cached nor used.
using AnswerValidator = std::function<Result<std::optional<TimePoint>>(const std::string& body, TimePoint now)>;
// Turns a non-2xx answer into the provider's Status (401 -> kUnauthenticated...).
using ErrorMapper = std::function<Status(const HttpResponse& response)>;

class CachingFetcher {
 public:
  // provider names the cache rows and the budget; cache may be null (no
  // caching, no budget). http, clock and cache must outlive the fetcher.
  // daily_budget 0 means unlimited.
  CachingFetcher(std::string provider, HttpTransport& http, const Clock& clock, AnswerCache* cache,
                 RetryPolicy retry, int64_t daily_budget, Sleeper sleeper);

  // key identifies the request in the cache (path and query; never secrets).
  Result<FetchedAnswer> Fetch(const HttpRequest& request, const std::string& key, const std::string& kind,
                              const AnswerValidator& validate, const ErrorMapper& map_error);

  const std::string& provider() const { return provider_; }
  const Clock& clock() const { return clock_; }
  // Requests actually sent by this fetcher (tests and diagnostics).
  int requests_sent() const { return requests_sent_; }

 private:
  Result<HttpResponse> SendWithRetry(const HttpRequest& request, const ErrorMapper& map_error);

  std::string provider_;
  HttpTransport& http_;
  const Clock& clock_;
  AnswerCache* cache_;
  RetryPolicy retry_;
  int64_t daily_budget_;
  Sleeper sleeper_;
  int requests_sent_ = 0;
};

// Seconds from a Retry-After header (delta-seconds form); nullopt otherwise.
std::optional<std::chrono::seconds> ParseRetryAfter(const std::string& value);

// Provenance notes of values served from a stale cache start with this, so
// the CLI can report `stale` per value.
inline constexpr const char* kStaleNotePrefix = "stale: ";
bool IsStaleNote(const std::string& note);

}  // namespace sunwind

#endif  // SUNWIND_PROVIDERS_CACHING_PROVIDER_H_
