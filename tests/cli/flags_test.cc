#include "cli/flags.h"

#include <gtest/gtest.h>

namespace sunwind {
namespace {

const std::vector<FlagSpec> kSpecs = {
    {"regions", true, ""}, {"json", false, ""}, {"power", true, ""}};

TEST(FlagsTest, ParsesValuesSwitchesListsAndCommand) {
  // Given values in both spellings, a switch, a repeated list and a command
  // after "--", we should get each back as given.
  auto f = Flags::Parse({"--regions", "a:x,b:y", "--regions=c:z", "--json", "pos", "--", "python3", "--json"}, kSpecs);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(std::vector<std::string>({"a:x", "b:y", "c:z"}), f->GetList("regions"));
  EXPECT_TRUE(f->Has("json"));
  EXPECT_FALSE(f->Has("power"));
  EXPECT_EQ("c:z", f->GetOr("regions", ""));
  EXPECT_EQ(std::vector<std::string>({"pos"}), f->positional());
  EXPECT_EQ(std::vector<std::string>({"python3", "--json"}), f->command());
}

TEST(FlagsTest, RefusesUnknownFlagsAndMissingValues) {
  // Given a typo or a flag without its value, we should say which flag.
  auto unknown = Flags::Parse({"--regoins", "x"}, kSpecs);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ("unknown flag --regoins (see --help)", unknown.status().message());
  auto missing = Flags::Parse({"--power"}, kSpecs);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ("--power: missing value", missing.status().message());
  auto switch_value = Flags::Parse({"--json=yes"}, kSpecs);
  ASSERT_FALSE(switch_value.ok());
  EXPECT_EQ("--json: takes no value", switch_value.status().message());
}

}  // namespace
}  // namespace sunwind
