// The cache of provider answers in sunwind's database: raw response bodies
// keyed by provider and request, each with the time it was fetched and the
// time it stops being fresh. A restart reuses what is there. Also counts the
// requests sent to each provider per UTC day, for the daily budget.
//
// Keys never hold credentials: callers build them from the path and query
// only (the API key travels in a header).
#ifndef SUNWIND_STORAGE_ANSWER_CACHE_H_
#define SUNWIND_STORAGE_ANSWER_CACHE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "core/status.h"
#include "core/time.h"
#include "storage/database.h"

namespace sunwind {

struct CachedAnswer {
  std::string kind;  // "latest", "history", "forecast", ...
  std::string body;
  TimePoint fetched_at{};
  std::optional<TimePoint> expires_at;  // nullopt: fresh forever

  bool FreshAt(TimePoint now) const { return !expires_at || now < *expires_at; }
};

class AnswerCache {
 public:
  // db must outlive the cache.
  explicit AnswerCache(Database& db) : db_(db) {}

  // The stored answer, fresh or not; nullopt when there is none.
  Result<std::optional<CachedAnswer>> Get(const std::string& provider, const std::string& key);
  // Stores (or replaces) the answer.
  Status Put(const std::string& provider, const std::string& key, const CachedAnswer& answer);

  // Requests counted for the provider on now's UTC day.
  Result<int64_t> RequestsToday(const std::string& provider, TimePoint now);
  // Counts one more request on now's UTC day.
  Status CountRequest(const std::string& provider, TimePoint now);

 private:
  Database& db_;
};

}  // namespace sunwind

#endif  // SUNWIND_STORAGE_ANSWER_CACHE_H_
