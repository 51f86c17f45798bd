#include "aws/ini.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace aws {
namespace {

using checks::Error;
using checks::ErrorCode;

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

std::string lowercase(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

// Parser state between lines: where values go, and which value an indented
// continuation line extends.
class IniParser {
 public:
  explicit IniParser(std::string path) { file_.path = std::move(path); }

  checks::Expected<void> feed(std::string_view raw_line, int line_number);
  IniFile finish() { return std::move(file_); }

 private:
  Error error_at(int line_number, std::string_view what) const {
    return Error{ErrorCode::config, fmt::format("{}:{}: {}", file_.path, line_number, what)};
  }
  checks::Expected<void> start_section(std::string_view line, int line_number);
  checks::Expected<void> add_value(std::string_view line, int line_number);

  IniFile file_;
  IniSection* section_ = nullptr;
  IniValue* last_value_ = nullptr;
};

checks::Expected<void> IniParser::feed(std::string_view raw_line, int line_number) {
  const std::string_view line = trim(raw_line);
  if (line.empty()) return {};
  if (line.front() == '#' || line.front() == ';') return {};
  const bool indented = is_blank(raw_line.front());
  if (indented && last_value_ != nullptr) {
    // configparser keeps continuation lines as "\n"-joined text.
    last_value_->text += '\n';
    last_value_->text += line;
    return {};
  }
  if (line.front() == '[') return start_section(line, line_number);
  return add_value(line, line_number);
}

checks::Expected<void> IniParser::start_section(std::string_view line, int line_number) {
  if (line.back() != ']') return error_at(line_number, "section header without a closing ']'");
  const std::string name(trim(line.substr(1, line.size() - 2)));
  if (name.empty()) return error_at(line_number, "empty section name");
  if (const IniSection* earlier = file_.find(name)) {
    return error_at(line_number,
                    fmt::format("section [{}] already defined on line {}", name, earlier->line));
  }
  section_ = &file_.sections[name];
  section_->name = name;
  section_->line = line_number;
  last_value_ = nullptr;
  return {};
}

checks::Expected<void> IniParser::add_value(std::string_view line, int line_number) {
  const auto delimiter = line.find_first_of("=:");
  if (delimiter == std::string_view::npos) {
    return error_at(line_number, "expected 'key = value', a [section] or a # comment");
  }
  if (section_ == nullptr) return error_at(line_number, "key outside of any [section]");
  const std::string key = lowercase(trim(line.substr(0, delimiter)));
  if (key.empty()) return error_at(line_number, "missing key before '='");
  if (const IniValue* earlier = section_->find(key)) {
    return error_at(line_number, fmt::format("key '{}' already set on line {} in [{}]", key,
                                             earlier->line, section_->name));
  }
  last_value_ = &section_->values[key];
  last_value_->text = std::string(trim(line.substr(delimiter + 1)));
  last_value_->line = line_number;
  return {};
}

}  // namespace

const IniValue* IniSection::find(std::string_view key) const {
  const auto found = values.find(std::string(key));
  return found == values.end() ? nullptr : &found->second;
}

const IniSection* IniFile::find(std::string_view section) const {
  const auto found = sections.find(std::string(section));
  return found == sections.end() ? nullptr : &found->second;
}

checks::Expected<IniFile> parse_ini(std::string_view text, std::string path) {
  IniParser parser(std::move(path));
  int line_number = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (auto fed = parser.feed(line, ++line_number); !fed) return fed.error();
  }
  return parser.finish();
}

checks::Expected<std::optional<IniFile>> load_ini_file(const std::string& path) {
  std::error_code status_error;
  const auto status = std::filesystem::status(path, status_error);
  if (status.type() == std::filesystem::file_type::not_found) return std::optional<IniFile>();
  if (status_error) {
    return Error{ErrorCode::io, fmt::format("{}: cannot read: {}", path, status_error.message())};
  }
  if (std::filesystem::is_directory(status)) {
    return Error{ErrorCode::io, fmt::format("{}: is a directory, expected a file", path)};
  }
  errno = 0;
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    return Error{ErrorCode::io, fmt::format("{}: cannot read: {}", path, std::strerror(errno))};
  }
  std::ostringstream content;
  content << stream.rdbuf();
  auto parsed = parse_ini(content.str(), path);
  if (!parsed) return parsed.error();
  return std::optional<IniFile>(std::move(*parsed));
}

}  // namespace aws
