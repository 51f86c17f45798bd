#pragma once
// Typed, located reads from a yaml-cpp tree. Every error names the file, the
// line and column, and the key path ("intakes[2].port"), and unknown keys are
// errors, not silently ignored settings.
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checks/expected.h"

namespace sidecar {

using checks::Error;
using checks::Expected;

struct Location {
  std::string file;
  int line = 0;  // 1-based; 0 when unknown
  int column = 0;
  std::string describe() const;  // "file:12:3"
};

template <typename T>
struct Located {
  T value;
  Location where;
};

class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  // Parses the document; an empty document is an empty map.
  Expected<YAML::Node> load(const std::string& text) const;

  Location locate(const YAML::Node& node) const;
  Error error_at(const YAML::Node& node, std::string_view path, std::string_view message) const;

  Expected<void> require_map(const YAML::Node& node, std::string_view path,
                             std::initializer_list<std::string_view> allowed_keys) const;
  Expected<Located<std::string>> read_string(const YAML::Node& node, std::string_view path) const;
  Expected<Located<bool>> read_bool(const YAML::Node& node, std::string_view path) const;
  Expected<Located<std::uint16_t>> read_port(const YAML::Node& node, std::string_view path) const;
  Expected<Located<std::int64_t>> read_integer(const YAML::Node& node, std::string_view path, std::int64_t min,
                                               std::int64_t max) const;
  Expected<Located<std::chrono::milliseconds>> read_duration(const YAML::Node& node, std::string_view path) const;
  Expected<Located<std::vector<std::string>>> read_string_list(const YAML::Node& node, std::string_view path) const;

 private:
  std::string file_;
};

// Returns the error of an Expected-returning expression from the enclosing function.
#define SIDECAR_TRY(expression)                  \
  do {                                           \
    if (auto status_ = (expression); !status_) { \
      return status_.error();                    \
    }                                            \
  } while (false)

// Assigns `out` from the child `key` of `map` when present, using `read`
// (one of YamlReader's typed reads), with the key path for errors.
template <typename Target, typename Reader>
Expected<void> read_optional(const YAML::Node& map, const char* key, const std::string& path, Target& out,
                             Reader read) {
  const YAML::Node child = map[key];
  if (!child) return {};
  auto value = read(child, path.empty() ? std::string(key) : path + "." + key);
  if (!value) return value.error();
  out = std::move(*value);
  return {};
}

// "file:line:col: key.path: message" for a value that parsed but means nothing valid.
Error located_error(const Location& where, std::string_view path, std::string_view message);

// "250ms", "5s", "10m", "1h" -> milliseconds. A bare number is rejected: the
// unit is what people get wrong.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
std::string format_duration(std::chrono::milliseconds duration);

}  // namespace sidecar
