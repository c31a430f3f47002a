// Status and Result<T>: expected failures (bad input, I/O errors, full disks) as values.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "base/assert.h"

namespace rk {

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(std::string message) { return Status(std::move(message)); }

  bool is_ok() const { return !failed_; }
  explicit operator bool() const { return !failed_; }
  const std::string& message() const { return message_; }

 private:
  explicit Status(std::string message) : failed_(true), message_(std::move(message)) {}
  bool failed_ = false;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}
  Result(Status status) : value_(std::move(status)) { RK_ASSERT(!std::get<Status>(value_).is_ok()); }

  bool is_ok() const { return std::holds_alternative<T>(value_); }
  explicit operator bool() const { return is_ok(); }
  T& value() { RK_ASSERT(is_ok()); return std::get<T>(value_); }
  const T& value() const { RK_ASSERT(is_ok()); return std::get<T>(value_); }
  T& operator*() { return value(); }
  T* operator->() { return &value(); }
  const Status& status() const { RK_ASSERT(!is_ok()); return std::get<Status>(value_); }

 private:
  std::variant<T, Status> value_;
};

}  // namespace rk
