#include "aws/credentials.h"

#include <fmt/format.h>

#include <array>
#include <cstdlib>

#include "aws/crypto.h"
#include "aws/imds.h"
#include "aws/ini.h"

namespace aws {

// ------------------------------------------------------------ value types

SecretString::~SecretString() { wipe(value_); }

const char* to_string(CredentialSource source) {
  switch (source) {
    case CredentialSource::explicit_value:
      return "explicit value";
    case CredentialSource::environment:
      return "environment";
    case CredentialSource::shared_credentials_file:
      return "shared credentials file";
    case CredentialSource::config_file:
      return "config file";
    case CredentialSource::instance_metadata:
      return "instance metadata";
  }
  return "unknown";
}

Credentials::Credentials(std::string access_key_id, SecretString secret_access_key,
                         SecretString session_token, CredentialSource source,
                         std::optional<TimePoint> expiration)
    : access_key_id_(std::move(access_key_id)),
      secret_access_key_(std::move(secret_access_key)),
      session_token_(std::move(session_token)),
      source_(source),
      expiration_(expiration) {}

std::string Credentials::describe() const {
  // The last 4 characters are what `aws configure list` shows too.
  const std::string key_tail =
      access_key_id_.size() > 4 ? access_key_id_.substr(access_key_id_.size() - 4) : "";
  std::string text = fmt::format("access key ****{}, secret redacted, {}, from {}", key_tail,
                                 has_session_token() ? "session token present" : "no session token",
                                 to_string(source_));
  if (!origin_.empty()) text += fmt::format(" ({})", origin_);
  if (expiration_) text += fmt::format(", expires {}", iso8601_utc(*expiration_));
  return text;
}

EnvironmentLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

namespace {

// The SDKs treat an empty variable like an unset one.
std::optional<std::string> non_empty(const EnvironmentLookup& environment,
                                     const std::string& name) {
  auto value = environment(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

// botocore expands "~/" in file paths taken from the environment too.
std::string expand_home(const std::string& path, const std::optional<std::string>& home) {
  if (home && (path == "~" || path.rfind("~/", 0) == 0)) return *home + path.substr(1);
  return path;
}

std::string default_path(const std::optional<std::string>& home, const char* file_name) {
  return home ? fmt::format("{}/.aws/{}", *home, file_name) : std::string();
}

// ----------------------------------------------------------- environment

Expected<std::optional<Credentials>> credentials_from_environment(
    const EnvironmentLookup& environment) {
  auto key_id = non_empty(environment, "AWS_ACCESS_KEY_ID");
  auto secret = non_empty(environment, "AWS_SECRET_ACCESS_KEY");
  if (!key_id && !secret) return std::optional<Credentials>();
  if (!key_id || !secret) {
    return Error{ErrorCode::config,
                 fmt::format("{} is set but {} is not; set both or neither",
                             key_id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                             key_id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID")};
  }
  // AWS_SECURITY_TOKEN is the old name, still read by the SDKs.
  auto token = non_empty(environment, "AWS_SESSION_TOKEN");
  if (!token) token = non_empty(environment, "AWS_SECURITY_TOKEN");
  Credentials credentials(std::move(*key_id), SecretString(std::move(*secret)),
                          SecretString(token.value_or("")), CredentialSource::environment);
  credentials.set_origin("AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY");
  return std::optional<Credentials>(std::move(credentials));
}

// ---------------------------------------------------------- shared files

struct SharedFiles {
  SharedConfigLocation location;
  std::optional<IniFile> credentials;
  std::optional<IniFile> config;
};

struct ProfileSections {
  const IniFile* credentials_file = nullptr;
  const IniSection* credentials = nullptr;
  const IniFile* config_file = nullptr;
  const IniSection* config = nullptr;
};

Expected<std::optional<IniFile>> load_optional(const std::string& path) {
  if (path.empty()) return std::optional<IniFile>();
  return load_ini_file(path);
}

Expected<SharedFiles> load_shared_files(const EnvironmentLookup& environment,
                                        const std::optional<std::string>& profile) {
  auto location = locate_shared_config(environment, profile);
  if (!location) return location.error();
  auto credentials = load_optional(location->credentials_file);
  if (!credentials) return credentials.error();
  auto config = load_optional(location->config_file);
  if (!config) return config.error();
  return SharedFiles{std::move(*location), std::move(*credentials), std::move(*config)};
}

// In the config file a profile is "[profile name]", except the default one,
// which botocore also accepts as "[default]".
const IniSection* find_config_profile(const IniFile& config, const std::string& profile) {
  if (const IniSection* section = config.find("profile " + profile)) return section;
  return profile == "default" ? config.find("default") : nullptr;
}

Expected<ProfileSections> find_profile(const SharedFiles& files) {
  ProfileSections sections;
  const std::string& profile = files.location.profile;
  if (files.credentials) {
    sections.credentials_file = &*files.credentials;
    sections.credentials = files.credentials->find(profile);
  }
  if (files.config) {
    sections.config_file = &*files.config;
    sections.config = find_config_profile(*files.config, profile);
  }
  const bool found = sections.credentials != nullptr || sections.config != nullptr;
  if (!found && files.location.profile_chosen) {
    return Error{ErrorCode::config,
                 fmt::format("AWS profile '{}' not found in {} or {}", profile,
                             files.location.credentials_file, files.location.config_file)};
  }
  return sections;
}

// Settings that make the SDKs use a provider we do not implement. Using the
// static keys of such a profile instead would act as a different identity,
// so these are errors even when keys are present too.
Expected<void> reject_unsupported(const IniFile& file, const IniSection& section) {
  static constexpr std::array<std::pair<const char*, const char*>, 6> unsupported{{
      {"role_arn", "assume-role"},
      {"credential_source", "assume-role"},
      {"web_identity_token_file", "web identity"},
      {"credential_process", "credential_process"},
      {"sso_session", "IAM Identity Center (SSO)"},
      {"sso_start_url", "IAM Identity Center (SSO)"},
  }};
  for (const auto& [key, provider] : unsupported) {
    if (const IniValue* value = section.find(key)) {
      return Error{ErrorCode::config,
                   fmt::format("{}:{}: [{}] uses {} ({}), which is not supported yet; use static "
                               "keys or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
                               file.path, value->line, section.name, key, provider)};
    }
  }
  return {};
}

Expected<std::optional<Credentials>> credentials_from_section(const IniFile& file,
                                                              const IniSection& section,
                                                              CredentialSource source) {
  const IniValue* key_id = section.find("aws_access_key_id");
  const IniValue* secret = section.find("aws_secret_access_key");
  if (key_id == nullptr && secret == nullptr) return std::optional<Credentials>();
  const bool key_id_set = key_id != nullptr && !key_id->text.empty();
  const bool secret_set = secret != nullptr && !secret->text.empty();
  if (!key_id_set || !secret_set) {
    return Error{ErrorCode::config,
                 fmt::format("{}:{}: [{}] has {} but no {}", file.path, section.line, section.name,
                             key_id_set ? "aws_access_key_id" : "aws_secret_access_key",
                             key_id_set ? "aws_secret_access_key" : "aws_access_key_id")};
  }
  const IniValue* token = section.find("aws_session_token");
  Credentials credentials(key_id->text, SecretString(secret->text),
                          SecretString(token != nullptr ? token->text : ""), source);
  credentials.set_origin(fmt::format("[{}] in {}", section.name, file.path));
  return std::optional<Credentials>(std::move(credentials));
}

Expected<std::optional<Credentials>> credentials_from_profile(const ProfileSections& sections) {
  if (sections.credentials != nullptr) {
    if (auto ok = reject_unsupported(*sections.credentials_file, *sections.credentials); !ok) {
      return ok.error();
    }
  }
  if (sections.config != nullptr) {
    if (auto ok = reject_unsupported(*sections.config_file, *sections.config); !ok)
      return ok.error();
  }
  // The credentials file wins over the config file for the same profile.
  if (sections.credentials != nullptr) {
    auto found = credentials_from_section(*sections.credentials_file, *sections.credentials,
                                          CredentialSource::shared_credentials_file);
    if (!found || *found) return found;
  }
  if (sections.config != nullptr) {
    return credentials_from_section(*sections.config_file, *sections.config,
                                    CredentialSource::config_file);
  }
  return std::optional<Credentials>();
}

bool instance_metadata_disabled(const EnvironmentLookup& environment) {
  const auto disabled = non_empty(environment, "AWS_EC2_METADATA_DISABLED");
  return disabled && (*disabled == "true" || *disabled == "TRUE" || *disabled == "True");
}

Error nothing_found(const SharedConfigLocation& location, bool environment_tried,
                    std::string_view metadata_note) {
  return Error{
      ErrorCode::config,
      fmt::format("no AWS credentials found: {}profile '{}' has no keys in {} or {}{}",
                  environment_tried ? "AWS_ACCESS_KEY_ID is not set, " : "", location.profile,
                  location.credentials_file, location.config_file, metadata_note)};
}

}  // namespace

// -------------------------------------------------------------- public API

Expected<SharedConfigLocation> locate_shared_config(const EnvironmentLookup& environment,
                                                    const std::optional<std::string>& profile) {
  const auto home = non_empty(environment, "HOME");
  SharedConfigLocation location;
  const auto credentials_file = non_empty(environment, "AWS_SHARED_CREDENTIALS_FILE");
  location.credentials_file =
      credentials_file ? expand_home(*credentials_file, home) : default_path(home, "credentials");
  const auto config_file = non_empty(environment, "AWS_CONFIG_FILE");
  location.config_file =
      config_file ? expand_home(*config_file, home) : default_path(home, "config");
  if (profile && !profile->empty()) {
    location.profile = *profile;
  } else if (auto from_environment = non_empty(environment, "AWS_PROFILE")) {
    location.profile = std::move(*from_environment);
  }
  location.profile_chosen = !location.profile.empty();
  if (!location.profile_chosen) location.profile = "default";
  return location;
}

Expected<Credentials> resolve_credentials(const EnvironmentLookup& environment,
                                          const CredentialOptions& options) {
  const bool explicit_profile = options.profile && !options.profile->empty();
  if (!explicit_profile) {
    auto from_environment = credentials_from_environment(environment);
    if (!from_environment) return from_environment.error();
    if (*from_environment) return std::move(**from_environment);
  }
  auto files = load_shared_files(environment, options.profile);
  if (!files) return files.error();
  auto sections = find_profile(*files);
  if (!sections) return sections.error();
  auto from_profile = credentials_from_profile(*sections);
  if (!from_profile) return from_profile.error();
  if (*from_profile) return std::move(**from_profile);

  if (!options.instance_metadata) {
    return nothing_found(files->location, !explicit_profile,
                         ", and instance metadata was not tried");
  }
  if (instance_metadata_disabled(environment)) {
    return nothing_found(files->location, !explicit_profile,
                         ", and AWS_EC2_METADATA_DISABLED=true");
  }
  auto from_metadata = fetch_instance_credentials(options.instance_metadata, environment);
  if (!from_metadata) {
    return from_metadata.error().with_prefix(
        "no AWS credentials in the environment or shared files; instance metadata: ");
  }
  return from_metadata;
}

namespace {

std::optional<Region> region_from_profile(const ProfileSections& sections) {
  // botocore merges the credentials file into the profile, and its values win.
  const std::array<std::pair<const IniFile*, const IniSection*>, 2> candidates{{
      {sections.credentials_file, sections.credentials},
      {sections.config_file, sections.config},
  }};
  for (const auto& [file, section] : candidates) {
    if (section == nullptr) continue;
    const IniValue* region = section->find("region");
    if (region != nullptr && !region->text.empty()) {
      return Region{region->text, fmt::format("{}:{}", file->path, region->line)};
    }
  }
  return std::nullopt;
}

}  // namespace

Expected<Region> resolve_region(const EnvironmentLookup& environment,
                                const std::optional<std::string>& region_flag,
                                const std::optional<std::string>& profile,
                                const HttpFetcher& instance_metadata) {
  if (region_flag && !region_flag->empty()) return Region{*region_flag, "flag"};
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (auto region = non_empty(environment, name)) return Region{std::move(*region), name};
  }
  auto files = load_shared_files(environment, profile);
  if (!files) return files.error();
  auto sections = find_profile(*files);
  if (!sections) return sections.error();
  if (auto region = region_from_profile(*sections)) return std::move(*region);
  std::string metadata_note = ", and instance metadata was not tried";
  if (instance_metadata && instance_metadata_disabled(environment)) {
    metadata_note = ", and instance metadata is off (AWS_EC2_METADATA_DISABLED)";
  } else if (instance_metadata) {
    auto region = fetch_instance_region(instance_metadata, environment);
    if (region) return Region{std::move(*region), "instance metadata"};
    metadata_note = ", and instance metadata did not answer: " + region.error().message;
  }
  return Error{ErrorCode::config,
               fmt::format("no AWS region: pass --region, set AWS_REGION, or set region in "
                           "profile '{}' of {}{}",
                           files->location.profile, files->location.config_file, metadata_note)};
}

}  // namespace aws
