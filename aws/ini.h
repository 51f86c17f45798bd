#pragma once
// The INI dialect of ~/.aws/credentials and ~/.aws/config, parsed by hand:
// none of our Debian dependencies reads it (boost::property_tree's INI reader
// has no configparser continuation lines, which the AWS CLI writes for
// nested settings), and ~100 lines are cheaper than a new package.
//
// Rules follow Python's configparser as botocore uses it: `[section]`
// headers, `key = value` or `key: value` (first delimiter wins), keys
// lowercased, values trimmed, whole-line comments starting with # or ;,
// indented lines continue the previous value (AWS "nested" settings such as
// `s3 =` followed by indented `max_concurrent_requests = 20`), duplicate
// sections or keys are errors. Inline comments are NOT stripped, as in
// botocore: `region = us-east-1 # x` keeps the whole text.
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "checks/expected.h"

namespace aws {

struct IniValue {
  std::string text;
  int line = 0;
};

struct IniSection {
  std::string name;  // as written between the brackets, trimmed
  int line = 0;
  std::map<std::string, IniValue> values;  // key lowercased

  const IniValue* find(std::string_view key) const;
};

struct IniFile {
  std::string path;  // for messages: "path:line: ..."
  std::map<std::string, IniSection> sections;

  const IniSection* find(std::string_view section) const;
};

// `text` is the file's content; `path` only names it in errors.
checks::Expected<IniFile> parse_ini(std::string_view text, std::string path);

// nullopt (not an error) when the file does not exist: the SDKs treat a
// missing ~/.aws/credentials as "no profiles". Unreadable files are errors.
checks::Expected<std::optional<IniFile>> load_ini_file(const std::string& path);

}  // namespace aws
