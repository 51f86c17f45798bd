#pragma once
// A small Expected<T> with the member names of C++23 std::expected, so the
// code can move to the standard type when the toolchain has it (g++ 12 lacks it).
#include <cassert>
#include <optional>
#include <utility>
#include <variant>

#include "checks/error.h"

namespace checks {

struct Unexpected {
  Error error;
};

inline Unexpected unexpected(Error error) { return Unexpected{std::move(error)}; }
inline Unexpected unexpected(ErrorCode code, std::string message) {
  return Unexpected{Error{code, std::move(message)}};
}

template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : storage_(std::in_place_index<0>, std::move(value)) {}  // NOLINT implicit
  Expected(Unexpected failure)                                                // NOLINT implicit
      : storage_(std::in_place_index<1>, std::move(failure.error)) {}
  Expected(Error error) : storage_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool has_value() const { return storage_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    assert(has_value());
    return std::get<0>(storage_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(storage_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(storage_));
  }
  const Error& error() const {
    assert(!has_value());
    return std::get<1>(storage_);
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> storage_;
};

template <>
class [[nodiscard]] Expected<void> {
 public:
  Expected() = default;
  Expected(Unexpected failure) : error_(std::move(failure.error)) {}  // NOLINT implicit
  Expected(Error error) : error_(std::move(error)) {}                 // NOLINT implicit

  bool has_value() const { return !error_.has_value(); }
  explicit operator bool() const { return has_value(); }
  const Error& error() const {
    assert(error_.has_value());
    return *error_;
  }

 private:
  std::optional<Error> error_;
};

}  // namespace checks
