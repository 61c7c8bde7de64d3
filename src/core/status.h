// Status and Result<T>: the engine's only error channel. Nothing in src/ throws
// or aborts on bad input; every failure travels up as a message that says what
// failed and where (file, tensor, field), and reaches JS as an Error.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace bt {

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message), true); }

  bool ok() const { return !failed_; }
  const std::string& message() const { return message_; }

  // Prefixes the message with context, e.g. "model.safetensors: " + message.
  Status WithContext(const std::string& where) const {
    return failed_ ? Error(where + ": " + message_) : *this;
  }

 private:
  Status(std::string message, bool failed) : message_(std::move(message)), failed_(failed) {}
  std::string message_;
  bool failed_ = false;
};

template <class T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {
    if (status_.ok()) status_ = Status::Error("internal: Result built from an ok Status without a value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace bt

#define BT_CONCAT_INNER(a, b) a##b
#define BT_CONCAT(a, b) BT_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function when `expr` (a Status) failed.
#define BT_RETURN_IF_ERROR(expr)            \
  do {                                      \
    ::bt::Status bt_status_ = (expr);       \
    if (!bt_status_.ok()) return bt_status_; \
  } while (0)

// `BT_ASSIGN_OR_RETURN(auto x, MakeX());` unwraps a Result or returns its Status.
#define BT_ASSIGN_OR_RETURN(lhs, expr) BT_ASSIGN_OR_RETURN_IMPL(BT_CONCAT(bt_result_, __LINE__), lhs, expr)
#define BT_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
