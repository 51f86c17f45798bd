#include "yaml_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>

namespace sidecar {

std::string Location::describe() const {
  if (line == 0) return file;
  return fmt::format("{}:{}:{}", file, line, column);
}

Expected<YAML::Node> YamlReader::load(const std::string& text) const {
  try {
    YAML::Node root = YAML::Load(text);
    if (root.IsNull()) return YAML::Node(YAML::NodeType::Map);
    return root;
  } catch (const YAML::Exception& failure) {
    return checks::unexpected(checks::ErrorCode::config,
                              fmt::format("{}:{}:{}: invalid YAML: {}", file_, failure.mark.line + 1,
                                          failure.mark.column + 1, failure.msg));
  }
}

Location YamlReader::locate(const YAML::Node& node) const {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return Location{file_, 0, 0};
  return Location{file_, mark.line + 1, mark.column + 1};
}

Error located_error(const Location& where, std::string_view path, std::string_view message) {
  return Error{checks::ErrorCode::config, fmt::format("{}: {}: {}", where.describe(), path, message)};
}

Error YamlReader::error_at(const YAML::Node& node, std::string_view path, std::string_view message) const {
  return Error{checks::ErrorCode::config, fmt::format("{}: {}: {}", locate(node).describe(), path, message)};
}

Expected<void> YamlReader::require_map(const YAML::Node& node, std::string_view path,
                                       std::initializer_list<std::string_view> allowed_keys) const {
  if (!node.IsMap()) return error_at(node, path.empty() ? "(top level)" : path, "must be a mapping of keys");
  std::map<std::string, Location> seen;
  for (const auto& entry : node) {
    // A key like `[a]: 1` is legal YAML but never one of ours; as<string>() would throw.
    if (!entry.first.IsScalar()) return error_at(entry.first, path.empty() ? "(top level)" : path, "keys must be plain names");
    const auto key = entry.first.Scalar();
    const std::string full = path.empty() ? key : fmt::format("{}.{}", path, key);
    if (std::find(allowed_keys.begin(), allowed_keys.end(), key) == allowed_keys.end()) {
      std::string allowed;
      for (auto name : allowed_keys) allowed += fmt::format("{}{}", allowed.empty() ? "" : ", ", name);
      return error_at(entry.first, full, fmt::format("unknown key (known here: {})", allowed));
    }
    // yaml-cpp keeps the first of two equal keys: the second would be lost.
    const auto [first, inserted] = seen.emplace(key, locate(entry.first));
    if (!inserted) {
      return error_at(entry.first, full, fmt::format("is given twice (first at line {})", first->second.line));
    }
  }
  return {};
}

Expected<Located<std::string>> YamlReader::read_string(const YAML::Node& node, std::string_view path) const {
  if (!node.IsScalar()) return error_at(node, path, "must be a string");
  return Located<std::string>{node.Scalar(), locate(node)};
}

Expected<Located<bool>> YamlReader::read_bool(const YAML::Node& node, std::string_view path) const {
  if (node.IsScalar()) {
    const std::string& text = node.Scalar();
    if (text == "true" || text == "True" || text == "yes") return Located<bool>{true, locate(node)};
    if (text == "false" || text == "False" || text == "no") return Located<bool>{false, locate(node)};
  }
  return error_at(node, path, "must be true or false");
}

Expected<Located<std::int64_t>> YamlReader::read_integer(const YAML::Node& node, std::string_view path,
                                                         std::int64_t min, std::int64_t max) const {
  if (node.IsScalar()) {
    const std::string& text = node.Scalar();
    std::int64_t value = 0;
    const auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (status == std::errc{} && end == text.data() + text.size() && !text.empty()) {
      if (value < min || value > max) return error_at(node, path, fmt::format("must be between {} and {}", min, max));
      return Located<std::int64_t>{value, locate(node)};
    }
  }
  return error_at(node, path, "must be an integer");
}

Expected<Located<std::uint16_t>> YamlReader::read_port(const YAML::Node& node, std::string_view path) const {
  auto value = read_integer(node, path, 1, 65535);
  if (!value) return value.error();
  return Located<std::uint16_t>{static_cast<std::uint16_t>(value->value), value->where};
}

Expected<Located<std::chrono::milliseconds>> YamlReader::read_duration(const YAML::Node& node,
                                                                       std::string_view path) const {
  if (node.IsScalar()) {
    if (auto duration = parse_duration(node.Scalar())) return Located<std::chrono::milliseconds>{*duration, locate(node)};
  }
  return error_at(node, path, "must be a duration with a unit, like 500ms, 5s, 10m or 1h");
}

Expected<Located<std::vector<std::string>>> YamlReader::read_string_list(const YAML::Node& node,
                                                                         std::string_view path) const {
  if (!node.IsSequence()) return error_at(node, path, "must be a list");
  Located<std::vector<std::string>> list{{}, locate(node)};
  std::size_t index = 0;
  for (const auto& item : node) {
    auto text = read_string(item, fmt::format("{}[{}]", path, index++));
    if (!text) return text.error();
    list.value.push_back(text->value);
  }
  return list;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::int64_t amount = 0;
  const auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), amount);
  if (status != std::errc{} || end == text.data() || amount < 0) return std::nullopt;
  const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  using namespace std::chrono;
  // Bounds the conversion below: no setting needs more than ~100 days, and
  // larger values would overflow milliseconds.
  constexpr std::int64_t max_hours = 2400;
  if (amount > max_hours * 3'600'000) return std::nullopt;
  if ((unit == "s" && amount > max_hours * 3600) || (unit == "m" && amount > max_hours * 60) ||
      (unit == "h" && amount > max_hours)) {
    return std::nullopt;
  }
  if (unit == "ms") return milliseconds(amount);
  if (unit == "s") return duration_cast<milliseconds>(seconds(amount));
  if (unit == "m") return duration_cast<milliseconds>(minutes(amount));
  if (unit == "h") return duration_cast<milliseconds>(hours(amount));
  return std::nullopt;
}

std::string format_duration(std::chrono::milliseconds duration) {
  const auto count = duration.count();
  if (count != 0 && count % 3'600'000 == 0) return fmt::format("{}h", count / 3'600'000);
  if (count != 0 && count % 60'000 == 0) return fmt::format("{}m", count / 60'000);
  if (count != 0 && count % 1000 == 0) return fmt::format("{}s", count / 1000);
  return fmt::format("{}ms", count);
}

}  // namespace sidecar
