#include "storage/answer_cache.h"

namespace sunwind {
namespace {

std::string Day(TimePoint t) { return FormatTime(t).substr(0, 10); }

}  // namespace

Result<std::optional<CachedAnswer>> AnswerCache::Get(const std::string& provider, const std::string& key) {
  SUNWIND_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT kind, body, fetched_at, expires_at FROM provider_answers "
                                                "WHERE provider = ? AND key = ?",
                                                {provider, key}));
  if (rows.empty()) return std::optional<CachedAnswer>();
  const auto& r = rows[0];
  CachedAnswer a;
  a.kind = std::get<std::string>(r[0]);
  a.body = std::get<std::string>(r[1]);
  a.fetched_at = TimePoint(Duration(std::get<int64_t>(r[2])));
  if (std::holds_alternative<int64_t>(r[3])) a.expires_at = TimePoint(Duration(std::get<int64_t>(r[3])));
  return std::optional<CachedAnswer>(std::move(a));
}

Status AnswerCache::Put(const std::string& provider, const std::string& key, const CachedAnswer& a) {
  SqlValue expires;
  if (a.expires_at) expires = static_cast<int64_t>(a.expires_at->time_since_epoch().count());
  return db_.Exec(
      "INSERT OR REPLACE INTO provider_answers (provider, key, kind, body, fetched_at, expires_at) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      {provider, key, a.kind, a.body, static_cast<int64_t>(a.fetched_at.time_since_epoch().count()), expires});
}

Result<int64_t> AnswerCache::RequestsToday(const std::string& provider, TimePoint now) {
  SUNWIND_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT count FROM provider_requests WHERE provider = ? AND day = ?",
                                                {provider, Day(now)}));
  if (rows.empty()) return int64_t{0};
  return std::get<int64_t>(rows[0][0]);
}

Status AnswerCache::CountRequest(const std::string& provider, TimePoint now) {
  return db_.Exec(
      "INSERT INTO provider_requests (provider, day, count) VALUES (?, ?, 1) "
      "ON CONFLICT (provider, day) DO UPDATE SET count = count + 1",
      {provider, Day(now)});
}

}  // namespace sunwind
