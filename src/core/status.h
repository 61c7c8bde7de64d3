// Status and Result<T>: the engine's only error channel. Nothing in src/ throws or aborts on bad
// input; every failure travels up as a code (what kind of failure, for programs) and a message
// (what failed and where: file, tensor, field), and reaches JS as a BertologyError with that code.
//
// A failed Status is always built with its code — there is no code-less error:
//   return Status::InvalidArgument("forward: attention mask must be 0 or 1 ...");
//   return Status(StatusCode::kLimit, "...");
// The codes are part of the C++↔JS contract (src/bindings/contract.json); their JS names are
// StatusCodeName's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace bt {

enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidArgument,  // the caller's request or options are malformed (ids, mask, option values, texts)
  kLimit,            // an input exceeds a bound: a configurable limit (load option limits.*) or the model's own
  kBadCheckpoint,    // model files (config.json, safetensors, tokenizer files) are malformed or disagree
  kUnsupported,      // well-formed, but a feature this engine does not implement (model type, activation)
  kFileNotFound,     // a file the operation needs is missing
  kFileRead,         // a file could not be read (I/O error, short read)
  kOutOfMemory,      // an allocation the operation needs failed
  kInternal,         // a broken invariant: a bug, never the input's fault
  kNotReady,         // the call needs weights not downloaded yet (progressive loading: word-embedding rows)
};

// "INVALID_ARGUMENT", "LIMIT", ... ("OK" for kOk): the JS error code.
const char* StatusCodeName(StatusCode code);

// Structured facts about a failure, for programs (empty when not set). The message already says
// them in words; these let a caller act without parsing it.
struct StatusDetails {
  std::string file;    // the file at fault, e.g. "model.safetensors"
  std::string field;   // the tensor or JSON field at fault, e.g. "bert.pooler.dense.weight"
  std::string limit;   // the limit exceeded, e.g. "max_tokens"
  bool tensor = false; // `field` names a tensor (JS: err.tensor as well as err.field)
  bool empty() const { return file.empty() && field.empty() && limit.empty(); }

  static StatusDetails Tensor(std::string file, std::string name) {
    return {.file = std::move(file), .field = std::move(name), .tensor = true};
  }
  static StatusDetails Limit(std::string limit, std::string file = "") {
    return {.file = std::move(file), .limit = std::move(limit)};
  }
};

class Status {
 public:
  Status() = default;  // ok
  // A failure with `code` (kOk is turned into kInternal: an error must say what kind it is).
  Status(StatusCode code, std::string message)
      : message_(std::move(message)), code_(code == StatusCode::kOk ? StatusCode::kInternal : code) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string message) { return {StatusCode::kInvalidArgument, std::move(message)}; }
  static Status Limit(std::string message) { return {StatusCode::kLimit, std::move(message)}; }
  static Status BadCheckpoint(std::string message) { return {StatusCode::kBadCheckpoint, std::move(message)}; }
  static Status Unsupported(std::string message) { return {StatusCode::kUnsupported, std::move(message)}; }
  static Status FileNotFound(std::string message) { return {StatusCode::kFileNotFound, std::move(message)}; }
  static Status FileRead(std::string message) { return {StatusCode::kFileRead, std::move(message)}; }
  static Status OutOfMemory(std::string message) { return {StatusCode::kOutOfMemory, std::move(message)}; }
  static Status Internal(std::string message) { return {StatusCode::kInternal, std::move(message)}; }
  static Status NotReady(std::string message) { return {StatusCode::kNotReady, std::move(message)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const StatusDetails& details() const { return details_; }

  // Prefixes the message with context, e.g. "model.safetensors: " + message; keeps code and details.
  Status WithContext(const std::string& where) const {
    if (ok()) return *this;
    Status s = *this;
    s.message_ = where + ": " + message_;
    return s;
  }
  // The same failure reclassified, for a parser whose every error is one kind (e.g. the caller's
  // options JSON: kInvalidArgument). No effect on ok.
  Status WithCode(StatusCode code) const {
    if (ok()) return *this;
    return Status(code, message_).WithDetails(details_);
  }
  Status WithDetails(StatusDetails details) const {
    Status s = *this;
    if (!ok()) s.details_ = std::move(details);
    return s;
  }

 private:
  std::string message_;
  StatusCode code_ = StatusCode::kOk;
  StatusDetails details_;
};

inline const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case StatusCode::kLimit: return "LIMIT";
    case StatusCode::kBadCheckpoint: return "BAD_CHECKPOINT";
    case StatusCode::kUnsupported: return "UNSUPPORTED";
    case StatusCode::kFileNotFound: return "FILE_NOT_FOUND";
    case StatusCode::kFileRead: return "FILE_READ";
    case StatusCode::kOutOfMemory: return "OUT_OF_MEMORY";
    case StatusCode::kInternal: return "INTERNAL";
    case StatusCode::kNotReady: return "NOT_READY";
  }
  return "INTERNAL";
}

template <class T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {
    if (status_.ok()) status_ = Status::Internal("internal: Result built from an ok Status without a value");
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
