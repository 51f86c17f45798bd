#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "aws/ini.h"
#include "test_support.h"

namespace aws {
namespace {

using ::testing::HasSubstr;

std::string error_of(std::string_view text) {
  auto parsed = parse_ini(text, "config");
  EXPECT_FALSE(parsed) << text;
  return parsed ? "" : parsed.error().message;
}

TEST(Ini, SectionsKeysAndLines) {
  auto parsed = parse_ini(
      "# a comment\n"
      "; another\n"
      "\n"
      "[default]\n"
      "Region = eu-west-1\n"
      "output: json\n"
      "[profile dev]\r\n"
      "role_arn = arn:aws:iam::123456789012:role/x\r\n",
      "config");
  ASSERT_TRUE(parsed) << parsed.error().message;
  const IniSection* section = parsed->find("default");
  ASSERT_NE(section, nullptr);
  EXPECT_EQ(section->line, 4);
  ASSERT_NE(section->find("region"), nullptr) << "keys are lowercased";
  EXPECT_EQ(section->find("region")->text, "eu-west-1");
  EXPECT_EQ(section->find("region")->line, 5);
  EXPECT_EQ(section->find("output")->text, "json");
  const IniSection* dev = parsed->find("profile dev");
  ASSERT_NE(dev, nullptr);
  EXPECT_EQ(dev->find("role_arn")->text, "arn:aws:iam::123456789012:role/x")
      << "first delimiter wins";
}

TEST(Ini, IndentedLinesContinueTheValue) {
  auto parsed = parse_ini(
      "[default]\n"
      "s3 =\n"
      "  max_concurrent_requests = 20\n"
      "  max_queue_size = 100\n"
      "region = us-east-1\n",
      "config");
  ASSERT_TRUE(parsed) << parsed.error().message;
  const IniSection* section = parsed->find("default");
  EXPECT_EQ(section->find("s3")->text, "\nmax_concurrent_requests = 20\nmax_queue_size = 100");
  EXPECT_EQ(section->find("region")->text, "us-east-1");
  EXPECT_EQ(section->find("max_queue_size"), nullptr);
}

TEST(Ini, InlineCommentsAreKeptLikeBotocore) {
  auto parsed = parse_ini("[default]\nregion = us-east-1 # note\n", "config");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->find("default")->find("region")->text, "us-east-1 # note");
}

TEST(Ini, EmptyValuesAndEmptyFile) {
  auto parsed = parse_ini("[default]\naws_session_token =\n", "config");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->find("default")->find("aws_session_token")->text, "");
  auto empty = parse_ini("", "config");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->sections.empty());
}

TEST(Ini, ErrorsNameFileAndLine) {
  EXPECT_EQ(error_of("[default]\nthis is not a setting\n"),
            "config:2: expected 'key = value', a [section] or a # comment");
  EXPECT_EQ(error_of("region = us-east-1\n"), "config:1: key outside of any [section]");
  EXPECT_EQ(error_of("\n[default\n"), "config:2: section header without a closing ']'");
  EXPECT_EQ(error_of("[ ]\n"), "config:1: empty section name");
  EXPECT_EQ(error_of("[default]\n= value\n"), "config:2: missing key before '='");
  EXPECT_EQ(error_of("[a]\n[b]\n[a]\n"), "config:3: section [a] already defined on line 1");
  EXPECT_EQ(error_of("[a]\nkey = 1\nKEY = 2\n"),
            "config:3: key 'key' already set on line 2 in [a]");
}

TEST(IniFile, MissingFileIsNotAnError) {
  test::TempDir dir;
  auto loaded = load_ini_file((dir.path() / "absent").string());
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_FALSE(loaded->has_value());
}

TEST(IniFile, ReadsAFileAndNamesItInErrors) {
  test::TempDir dir;
  const std::string good = dir.write("good", "[default]\nregion = ap-northeast-1\n");
  auto loaded = load_ini_file(good);
  ASSERT_TRUE(loaded && loaded->has_value());
  EXPECT_EQ((*loaded)->find("default")->find("region")->text, "ap-northeast-1");

  const std::string bad = dir.write("bad", "[default]\n\nbroken\n");
  auto failed = load_ini_file(bad);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message, bad + ":3: expected 'key = value', a [section] or a # comment");
}

TEST(IniFile, DirectoryIsAnError) {
  test::TempDir dir;
  auto loaded = load_ini_file(dir.path().string());
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, checks::ErrorCode::io);
  EXPECT_THAT(loaded.error().message, HasSubstr("is a directory"));
}

}  // namespace
}  // namespace aws
