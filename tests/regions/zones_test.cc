// ZoneTable: the Electricity Maps zone keys sunwind knows.
#include "regions/zones.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <unistd.h>

#include "tests/support/temp_dir.h"

namespace sunwind {
namespace {

namespace fs = std::filesystem;

class ZonesTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) { return dir_.Write(name, text); }

  testing::TempDir dir_;
};

TEST_F(ZonesTest, LoadsTheBundledZoneTable) {
  // Given the bundled zones.json, we should know Germany, California's ISO and
  // Southeast Norway, with their names, and not invent a zone.
  auto zones = ZoneTable::LoadFromFile(SUNWIND_TEST_DATA_DIR "/zones/zones.json");
  ASSERT_TRUE(zones.ok()) << zones.status().message();
  EXPECT_TRUE(zones->Contains("DE"));
  EXPECT_TRUE(zones->Contains("US-CAL-CISO"));
  EXPECT_TRUE(zones->Contains("NO-NO1"));
  EXPECT_FALSE(zones->Contains("XX-NOWHERE"));
  EXPECT_FALSE(zones->Contains("de"));  // keys are case-sensitive
  ASSERT_NE(nullptr, zones->Find("DE"));
  EXPECT_EQ("Germany", zones->Find("DE")->name);
  ASSERT_NE(nullptr, zones->Find("NO-NO1"));
  EXPECT_EQ("Southeast Norway", zones->Find("NO-NO1")->name);
  EXPECT_EQ("Norway", zones->Find("NO-NO1")->country_name);
  EXPECT_GT(zones->size(), 100u);
}

TEST_F(ZonesTest, CountryCodeIsTheKeyUpToTheFirstDash) {
  // Given sub-national and national zone keys, we should derive the ISO
  // country code from the part before the first '-'.
  auto zones = ZoneTable::LoadFromFile(SUNWIND_TEST_DATA_DIR "/zones/zones.json");
  ASSERT_TRUE(zones.ok()) << zones.status().message();
  ASSERT_NE(nullptr, zones->Find("US-CAL-CISO"));
  EXPECT_EQ("US", zones->Find("US-CAL-CISO")->CountryCode());
  EXPECT_EQ("NO", zones->Find("NO-NO1")->CountryCode());
  EXPECT_EQ("DE", zones->Find("DE")->CountryCode());
}

TEST_F(ZonesTest, ReadsNamesFromASmallFile) {
  // Given a two-zone file, one with a country name and one given as a bare
  // value, we should load both, leaving unknown names empty.
  std::string path = Write("zones.json", R"({"AA": {"zoneName": "Alpha"},
                                            "AA-B": {"zoneName": "Beta", "countryName": "Alpha"},
                                            "CC": 3})");
  auto zones = ZoneTable::LoadFromFile(path);
  ASSERT_TRUE(zones.ok()) << zones.status().message();
  EXPECT_EQ(3u, zones->size());
  EXPECT_EQ("Alpha", zones->Find("AA")->name);
  EXPECT_EQ("", zones->Find("AA")->country_name);
  EXPECT_EQ("Alpha", zones->Find("AA-B")->country_name);
  EXPECT_EQ("", zones->Find("CC")->name);
}

TEST_F(ZonesTest, BrokenJsonIsAnError) {
  // Given a truncated JSON file, we should refuse it with InvalidArgument
  // naming the file.
  std::string path = Write("broken.json", R"({"DE": {"zoneName": "Germany"},)");
  auto zones = ZoneTable::LoadFromFile(path);
  ASSERT_FALSE(zones.ok());
  EXPECT_EQ(StatusCode::kInvalidArgument, zones.status().code());
  EXPECT_EQ(path + ": not a JSON object of zones", zones.status().message());
}

TEST_F(ZonesTest, JsonThatIsNotAnObjectIsAnError) {
  // Given valid JSON that is a list, not an object of zones, we should refuse it.
  std::string path = Write("list.json", R"(["DE", "FR"])");
  auto zones = ZoneTable::LoadFromFile(path);
  ASSERT_FALSE(zones.ok());
  EXPECT_EQ(StatusCode::kInvalidArgument, zones.status().code());
  EXPECT_EQ(path + ": not a JSON object of zones", zones.status().message());
}

TEST_F(ZonesTest, MissingFileIsNotFound) {
  // Given a path that does not exist, we should answer NotFound naming it.
  std::string path = dir_.File("absent.json");
  auto zones = ZoneTable::LoadFromFile(path);
  ASSERT_FALSE(zones.ok());
  EXPECT_EQ(StatusCode::kNotFound, zones.status().code());
  EXPECT_EQ("cannot open '" + path + "'", zones.status().message());
}

TEST_F(ZonesTest, AddDeclaresAConfigZone) {
  // Given an empty table, adding an on-prem zone should make it known.
  ZoneTable zones;
  EXPECT_FALSE(zones.Contains("XX-ONPREM"));
  zones.Add(ZoneInfo{"XX-ONPREM", "On-prem grid", ""});
  EXPECT_TRUE(zones.Contains("XX-ONPREM"));
  EXPECT_EQ("On-prem grid", zones.Find("XX-ONPREM")->name);
}

}  // namespace
}  // namespace sunwind
