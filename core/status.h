// Errors as values. A Status carries a code that drives behaviour (fall through
// to the next provider, refuse the input, report an infeasible deadline) and a
// message that names the field and what was wrong with it.
#ifndef SUNWIND_CORE_STATUS_H_
#define SUNWIND_CORE_STATUS_H_

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace sunwind {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // the caller's input is wrong; retrying will not help
  kNotFound,           // a named thing (region, zone, file) does not exist
  kInfeasible,         // no plan can meet the deadline
  kUnavailable,        // a source could not answer now; try the next one
  kRateLimited,        // a source refused for rate; try the next one or later
  kUnauthenticated,    // credentials missing or refused
  kFailedPrecondition, // the system is not in a state to do this
  kInternal,           // a bug or an unexpected failure
};

const char* StatusCodeName(StatusCode code);

class Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Infeasible(std::string m) { return {StatusCode::kInfeasible, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is prefixed with "context: ".
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status that says why there is none. GCC 12 has no
// std::expected in C++20, so this is the small subset we need.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result built from an OK Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  // The value, or `fallback` when this holds an error.
  T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  // On a temporary, *r moves the value out, so `for (x : *f())` does not
  // iterate a destroyed Result.
  T operator*() && { return std::move(*this).value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace sunwind

// Propagates a non-OK Status out of the enclosing function.
#define SUNWIND_RETURN_IF_ERROR(expr)          \
  do {                                         \
    ::sunwind::Status _st = (expr);            \
    if (!_st.ok()) return _st;                 \
  } while (0)

#define SUNWIND_CONCAT_INNER(a, b) a##b
#define SUNWIND_CONCAT(a, b) SUNWIND_CONCAT_INNER(a, b)
// Assigns the value of a Result to lhs, or returns its Status.
#define SUNWIND_ASSIGN_OR_RETURN(lhs, expr) \
  SUNWIND_ASSIGN_OR_RETURN_IMPL(SUNWIND_CONCAT(_res_, __LINE__), lhs, expr)
#define SUNWIND_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()

#endif  // SUNWIND_CORE_STATUS_H_
