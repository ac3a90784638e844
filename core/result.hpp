// Result<T, E> and Status<E>: expected failures as values, each part with one enum of reasons.
// GCC 12 has no std::expected; this is the small subset the gateway needs. Not thread-safe
// beyond what a plain value is.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace sensorgate {

// An expected failure: a reason from the part's own enum plus a message for the operator.
template <class E>
struct Error {
  E code;
  std::string message;
};

template <class E>
Error<E> make_error(E code, std::string message) {
  return Error<E>{code, std::move(message)};
}

// Either a value or an Error<E>. Accessing value() on an error (or error() on a value) is a
// programming error and throws std::bad_variant_access.
template <class T, class E>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Result(Error<E> error) : state_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  const Error<E>& error() const { return std::get<1>(state_); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error<E>> state_;
};

// Success or an Error<E>.
template <class E>
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error<E> error) : error_(std::move(error)), failed_(true) {}
  static Status success() { return Status(); }

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error<E>& error() const { return error_; }

 private:
  Error<E> error_{};
  bool failed_ = false;
};

}  // namespace sensorgate
