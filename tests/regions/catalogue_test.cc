// RegionCatalogue: the shipped catalogue, its errors (file:line: field), and
// merging a user's config on top.
#include "regions/catalogue.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include "tests/support/temp_dir.h"

namespace sunwind {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// One complete catalogue entry, one field per line, in this order. In a text
// built by Catalogue() the first entry starts on line 2, so its fields sit on:
//   2 id, 3 display_name, 4 city, 5 country, 6 country_code, 7 lat, 8 lon,
//   9 location_source, 10 zone, 11 zone_source, 12 pue, 13 pue_source,
//   14 cfe_pct, 15 cfe_source, 16 wue_l_per_kwh, 17 wue_source,
//   18 grid_intensity_g_per_kwh, 19 grid_intensity_year, 20 grid_intensity_source
// and a second entry starts on line 21.
std::vector<std::pair<std::string, std::string>> Entry(const std::string& id, const std::string& zone = "DE",
                                                        const std::string& pue = "1.2") {
  return {{"id", "\"" + id + "\""},  // quoted, so that odd test ids stay text
          {"display_name", "\"Test region\""},
          {"city", "\"Frankfurt\""},
          {"country", "\"Germany\""},
          {"country_code", "\"DE\""},
          {"lat", "50.11"},
          {"lon", "8.68"},
          {"location_source", "null"},
          {"zone", "\"" + zone + "\""},
          {"zone_source", "\"curated\""},
          {"pue", pue},
          {"pue_source", "\"test\""},
          {"cfe_pct", "null"},
          {"cfe_source", "null"},
          {"wue_l_per_kwh", "null"},
          {"wue_source", "null"},
          {"grid_intensity_g_per_kwh", "350"},
          {"grid_intensity_year", "2023"},
          {"grid_intensity_source", "null"}};
}

using EntryFields = std::vector<std::pair<std::string, std::string>>;

EntryFields Without(EntryFields e, const std::string& field) {
  std::erase_if(e, [&](const auto& kv) { return kv.first == field; });
  return e;
}

EntryFields With(EntryFields e, const std::string& field, const std::string& value) {
  for (auto& kv : e) {
    if (kv.first == field) {
      kv.second = value;
      return e;
    }
  }
  e.push_back({field, value});  // a new field goes last
  return e;
}

std::string Catalogue(const std::vector<EntryFields>& entries) {
  std::string out = "regions:\n";
  for (const auto& e : entries) {
    bool first = true;
    for (const auto& [k, v] : e) {
      out += (first ? "  - " : "    ") + k + ": " + v + "\n";
      first = false;
    }
  }
  return out;
}

class CatalogueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto zones = ZoneTable::LoadFromFile(SUNWIND_TEST_DATA_DIR "/zones/zones.json");
    ASSERT_TRUE(zones.ok()) << zones.status().message();
    zones_ = std::move(zones).value();
  }

  std::string Write(const std::string& name, const std::string& text) { return dir_.Write(name, text); }

  RegionCatalogue Shipped() {
    auto c = RegionCatalogue::LoadFromFile(SUNWIND_TEST_DATA_DIR "/regions/catalogue.yaml", zones_);
    EXPECT_TRUE(c.ok()) << c.status().message();
    return c.ok() ? std::move(c).value() : RegionCatalogue();
  }

  // The error of loading `yaml` as "test.yaml"; fails the test if it loads.
  Status LoadError(const std::string& yaml) {
    auto c = RegionCatalogue::LoadFromString(yaml, "test.yaml", zones_);
    EXPECT_FALSE(c.ok()) << "loaded:\n" << yaml;
    return c.ok() ? Status::Ok() : c.status();
  }

  ZoneTable zones_;
  testing::TempDir dir_;
};

TEST_F(CatalogueTest, ShippedCatalogueLoads) {
  // Given the shipped catalogue and zone table, we should load at least 60
  // regions across gcp, aws and azure, with unique ids, every PUE >= 1 and
  // every zone known, and the well-known regions on their grids.
  RegionCatalogue c = Shipped();
  EXPECT_GE(c.regions().size(), 60u);
  EXPECT_FALSE(c.List("gcp").empty());
  EXPECT_FALSE(c.List("aws").empty());
  EXPECT_FALSE(c.List("azure").empty());
  EXPECT_EQ(c.regions().size(), c.List("gcp").size() + c.List("aws").size() + c.List("azure").size());
  std::set<std::string> ids;
  for (const Region& r : c.regions()) {
    EXPECT_TRUE(ids.insert(r.id).second) << "duplicate " << r.id;
    EXPECT_GE(r.pue, 1.0) << r.id;
    EXPECT_TRUE(zones_.Contains(r.zone)) << r.id << " zone " << r.zone;
    EXPECT_EQ(r.provider + ":" + r.name, r.id);
    EXPECT_EQ("catalogue", r.defined_in) << r.id;
    EXPECT_TRUE(r.executor_kind.empty()) << r.id;
  }
  const std::pair<const char*, const char*> expected[] = {{"aws:eu-central-1", "DE"},
                                                          {"aws:eu-west-2", "GB"},
                                                          {"aws:eu-south-2", "ES"},
                                                          {"azure:norwayeast", "NO-NO1"},
                                                          {"aws:us-west-1", "US-CAL-CISO"}};
  for (const auto& [id, zone] : expected) {
    const Region* r = c.Find(id);
    ASSERT_NE(nullptr, r) << id;
    EXPECT_EQ(zone, r->zone) << id;
  }
  EXPECT_EQ("aws", c.Find("aws:eu-central-1")->provider);
  EXPECT_EQ("eu-central-1", c.Find("aws:eu-central-1")->name);
  EXPECT_DOUBLE_EQ(1.15, c.Find("aws:eu-central-1")->pue);
  EXPECT_DOUBLE_EQ(1.185, c.Find("azure:norwayeast")->pue);
}

TEST_F(CatalogueTest, LoadsACompleteEntry) {
  // Given one entry that gives every field, we should read each of them,
  // with null as "unknown".
  auto c = RegionCatalogue::LoadFromString(Catalogue({Entry("test:one")}), "test.yaml", zones_);
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(1u, c->regions().size());
  const Region& r = c->regions()[0];
  EXPECT_EQ("test:one", r.id);
  EXPECT_EQ("test", r.provider);
  EXPECT_EQ("one", r.name);
  EXPECT_EQ("Frankfurt", r.city);
  EXPECT_EQ("DE", r.zone);
  EXPECT_DOUBLE_EQ(1.2, r.pue);
  ASSERT_TRUE(r.lat.has_value());
  EXPECT_DOUBLE_EQ(50.11, *r.lat);
  EXPECT_FALSE(r.cfe_pct.has_value());
  EXPECT_EQ("", r.location_source);
  ASSERT_TRUE(r.grid_intensity_year.has_value());
  EXPECT_EQ(2023, *r.grid_intensity_year);
  EXPECT_EQ("catalogue", r.defined_in);
}

TEST_F(CatalogueTest, UnknownZoneNamesTheZoneLine) {
  // Given an entry whose zone is not an Electricity Maps key, we should
  // refuse it at the zone's line (10).
  Status st = LoadError(Catalogue({Entry("test:one", "ZZ-NOWHERE")}));
  EXPECT_EQ(StatusCode::kInvalidArgument, st.code());
  EXPECT_EQ("test.yaml:10: region 'test:one': field 'zone': unknown zone 'ZZ-NOWHERE' (not an Electricity Maps zone key; "
            "see `sunwind zones`)",
            st.message());
}

TEST_F(CatalogueTest, PueBelowOneNamesThePueLine) {
  // Given PUE 0.9 (a facility cannot use less than its IT load), we should
  // refuse it at the pue line (12).
  Status st = LoadError(Catalogue({Entry("test:one", "DE", "0.9")}));
  EXPECT_EQ(StatusCode::kInvalidArgument, st.code());
  EXPECT_THAT(st.message(), StartsWith("test.yaml:12: region 'test:one': field 'pue': must be between 1.0 and 5.0"));
  EXPECT_THAT(st.message(), HasSubstr("got 0.9"));
}

TEST_F(CatalogueTest, NullPueIsRefused) {
  // Given pue: null, we should refuse it: PUE is never unknown.
  Status st = LoadError(Catalogue({Entry("test:one", "DE", "null")}));
  EXPECT_EQ(StatusCode::kInvalidArgument, st.code());
  EXPECT_EQ("test.yaml:12: region 'test:one': field 'pue': must be a number, not null", st.message());
}

TEST_F(CatalogueTest, MissingFieldNamesTheEntryAndTheField) {
  // Given an entry without `city`, we should refuse it at the entry's first
  // line (2) and ask for an explicit null.
  Status st = LoadError(Catalogue({Without(Entry("test:one"), "city")}));
  EXPECT_EQ(StatusCode::kInvalidArgument, st.code());
  EXPECT_EQ("test.yaml:2: region 'test:one': field 'city': missing (write null if unknown)", st.message());
}

TEST_F(CatalogueTest, DuplicateIdNamesTheSecondDefinition) {
  // Given the same id twice, we should refuse the second one at its id line (21).
  Status st = LoadError(Catalogue({Entry("test:one"), Entry("test:one", "FR")}));
  EXPECT_EQ(StatusCode::kInvalidArgument, st.code());
  EXPECT_EQ("test.yaml:21: region 'test:one': field 'id': duplicate id (already defined above)", st.message());
}

TEST_F(CatalogueTest, UnknownFieldNamesItsLine) {
  // Given a misspelt extra key after the last field (line 21), we should
  // refuse it there by name instead of ignoring it.
  Status st = LoadError(Catalogue({With(Entry("test:one"), "colour", "blue")}));
  EXPECT_EQ(StatusCode::kInvalidArgument, st.code());
  EXPECT_EQ("test.yaml:21: region 'test:one': field 'colour': unknown field", st.message());
}

TEST_F(CatalogueTest, BadIdFormatIsRefused) {
  // Given ids without a provider, without a name or without the colon, we
  // should refuse each at the id line and show the expected shape.
  for (const std::string id : {"nocolon", ":name", "provider:"}) {
    Status st = LoadError(Catalogue({Entry(id)}));
    EXPECT_EQ(StatusCode::kInvalidArgument, st.code()) << id;
    EXPECT_EQ("test.yaml:2: region '" + id + "': field 'id': must be provider:name, e.g. aws:eu-west-1 or local:host",
              st.message());
  }
}

TEST_F(CatalogueTest, MissingIdIsRefused) {
  // Given an entry without an id key (its first line, 2, is display_name),
  // we should refuse it at the entry's line and say what an id looks like.
  // (Fails today: SplitId calls Mark() on the missing node, which throws, and
  // the message becomes "test.yaml:0: invalid node; first invalid key: \"id\"".)
  Status st = LoadError(Catalogue({Without(Entry("test:one"), "id")}));
  EXPECT_EQ(StatusCode::kInvalidArgument, st.code());
  EXPECT_EQ("test.yaml:2: field 'id': missing; every region needs an id such as gcp:europe-west1", st.message());
}

TEST_F(CatalogueTest, ConfigEntryWithoutIdIsRefused) {
  // Given a config entry with a zone and a PUE but no id, we should refuse it
  // at the entry's line (1) and leave the catalogue empty.
  RegionCatalogue c;
  YAML::Node config = YAML::Load("- zone: DE\n  pue: 1.0\n");
  Status st = c.MergeConfigNode(config, "cfg.yaml", zones_);
  EXPECT_EQ(StatusCode::kInvalidArgument, st.code());
  EXPECT_EQ("cfg.yaml:1: field 'id': missing; every region needs an id such as gcp:europe-west1", st.message());
  EXPECT_TRUE(c.regions().empty());
}

TEST_F(CatalogueTest, NonNumericLatitudeNamesTheValue) {
  // Given lat: north, we should refuse it at line 7 quoting the value.
  Status st = LoadError(Catalogue({With(Entry("test:one"), "lat", "north")}));
  EXPECT_EQ(StatusCode::kInvalidArgument, st.code());
  EXPECT_EQ("test.yaml:7: region 'test:one': field 'lat': expected a number, got 'north'", st.message());
}

TEST_F(CatalogueTest, YamlSyntaxErrorNamesTheLine) {
  // Given a pue line indented one space too far (line 12), so that it
  // continues the zone_source scalar with a stray ':', we should report a
  // YAML syntax error on that line.
  EntryFields e = Entry("test:one");
  std::string yaml = Catalogue({e});
  const std::string pue_line = "    pue: 1.2\n";
  auto at = yaml.find(pue_line);
  ASSERT_NE(std::string::npos, at);
  yaml.replace(at, pue_line.size(), "     pue: 1.2\n");
  Status st = LoadError(yaml);
  EXPECT_EQ(StatusCode::kInvalidArgument, st.code());
  EXPECT_EQ("test.yaml:12: YAML syntax error: end of map not found", st.message());
}

TEST_F(CatalogueTest, TextWithoutARegionsListIsRefused) {
  // Given YAML without a top-level regions list, we should say what is expected.
  Status st = LoadError("sources:\n  a: b\n");
  EXPECT_EQ(StatusCode::kInvalidArgument, st.code());
  EXPECT_EQ("test.yaml: expected a top-level 'regions:' list", st.message());
}

TEST_F(CatalogueTest, LoadFromFileNamesTheFileInErrors) {
  // Given a catalogue file with an unknown zone, the error should start with
  // the file's path and the line.
  std::string path = Write("bad_catalogue.yaml", Catalogue({Entry("test:one", "ZZ-NOWHERE")}));
  auto c = RegionCatalogue::LoadFromFile(path, zones_);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(StatusCode::kInvalidArgument, c.status().code());
  EXPECT_THAT(c.status().message(), StartsWith(path + ":10: region 'test:one': field 'zone': unknown zone 'ZZ-NOWHERE'"));
}

TEST_F(CatalogueTest, MergeConfigNodeOverridesPueOfAKnownRegion) {
  // Given the shipped catalogue and a config entry giving aws:eu-central-1 a
  // PUE of 1.3, we should change the PUE only, and record where it came from.
  RegionCatalogue c = Shipped();
  const size_t before = c.regions().size();
  YAML::Node config = YAML::Load("- id: aws:eu-central-1\n  pue: 1.3\n");
  Status st = c.MergeConfigNode(config, "my.yaml", zones_);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(before, c.regions().size());
  const Region* r = c.Find("aws:eu-central-1");
  ASSERT_NE(nullptr, r);
  EXPECT_DOUBLE_EQ(1.3, r->pue);
  EXPECT_EQ("DE", r->zone);
  EXPECT_EQ("catalogue + my.yaml", r->defined_in);
  // Other regions keep their values.
  EXPECT_DOUBLE_EQ(1.15, c.Find("aws:eu-west-2")->pue);
}

TEST_F(CatalogueTest, MergeConfigFileAddsALocalHost) {
  // Given a config file adding local:host on the German grid with PUE 1.0 and
  // a local executor, we should add it with the config named as its source.
  RegionCatalogue c = Shipped();
  const size_t before = c.regions().size();
  std::string path = Write("config.yaml",
                           "regions:\n"
                           "  - id: local:host\n"
                           "    zone: DE\n"
                           "    pue: 1.0\n"
                           "    executor: {kind: local}\n");
  Status st = c.MergeConfigFile(path, zones_);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(before + 1, c.regions().size());
  const Region* r = c.Find("local:host");
  ASSERT_NE(nullptr, r);
  EXPECT_EQ("local", r->provider);
  EXPECT_EQ("host", r->name);
  EXPECT_EQ("DE", r->zone);
  EXPECT_DOUBLE_EQ(1.0, r->pue);
  EXPECT_EQ("local", r->executor_kind);
  EXPECT_TRUE(r->executor_options.empty());
  EXPECT_EQ("config " + path, r->pue_source);
  EXPECT_EQ("config " + path, r->zone_source);
  EXPECT_EQ(path, r->defined_in);
  ASSERT_EQ(1u, c.List("local").size());
  EXPECT_EQ(r, c.List("local")[0]);
}

TEST_F(CatalogueTest, ExecutorOptionsBesideKindAreKept) {
  // Given an executor map {kind: slurm, partition: gpu}, we should keep kind
  // apart and the rest as options.
  RegionCatalogue c;
  YAML::Node config = YAML::Load("- id: hpc:gpu\n  zone: FR\n  pue: 1.3\n  executor: {kind: slurm, partition: gpu}\n");
  Status st = c.MergeConfigNode(config, "cfg.yaml", zones_);
  ASSERT_TRUE(st.ok()) << st.message();
  const Region* r = c.Find("hpc:gpu");
  ASSERT_NE(nullptr, r);
  EXPECT_EQ("slurm", r->executor_kind);
  EXPECT_EQ((std::map<std::string, std::string>{{"partition", "gpu"}}), r->executor_options);
}

TEST_F(CatalogueTest, NewRegionWithoutZoneIsRefused) {
  // Given a config adding a region with a PUE but no zone, we should refuse
  // it at the entry's line and leave the catalogue as it was.
  RegionCatalogue c = Shipped();
  const size_t before = c.regions().size();
  std::string path = Write("config.yaml",
                           "regions:\n"
                           "  - id: local:host\n"
                           "    pue: 1.0\n");
  Status st = c.MergeConfigFile(path, zones_);
  EXPECT_EQ(StatusCode::kInvalidArgument, st.code());
  EXPECT_EQ(path + ":2: region 'local:host': field 'zone': missing; a new region must name its grid zone",
            st.message());
  EXPECT_EQ(before, c.regions().size());
  EXPECT_EQ(nullptr, c.Find("local:host"));
}

TEST_F(CatalogueTest, NewRegionWithoutPueIsRefused) {
  // Given a config adding a region with a zone but no PUE, we should refuse it.
  RegionCatalogue c;
  YAML::Node config = YAML::Load("- id: local:host\n  zone: DE\n");
  Status st = c.MergeConfigNode(config, "cfg.yaml", zones_);
  EXPECT_EQ(StatusCode::kInvalidArgument, st.code());
  EXPECT_EQ("cfg.yaml:1: region 'local:host': field 'pue': missing; a new region must give its PUE (1.0 for a "
            "machine with no facility overhead)",
            st.message());
  EXPECT_TRUE(c.regions().empty());
}

TEST_F(CatalogueTest, BadEntryLeavesTheCatalogueUnchanged) {
  // Given a config whose first entry overrides a PUE and whose second adds a
  // region, but whose third has an unknown zone, we should refuse the file at
  // the bad zone's line and apply none of it.
  RegionCatalogue c = Shipped();
  const size_t before = c.regions().size();
  std::string path = Write("config.yaml",
                           "regions:\n"
                           "  - id: aws:eu-central-1\n"
                           "    pue: 1.4\n"
                           "  - id: local:host\n"
                           "    zone: DE\n"
                           "    pue: 1.0\n"
                           "  - id: local:lab\n"
                           "    zone: XX-NOWHERE\n"
                           "    pue: 1.0\n");
  Status st = c.MergeConfigFile(path, zones_);
  EXPECT_EQ(StatusCode::kInvalidArgument, st.code());
  EXPECT_THAT(st.message(), StartsWith(path + ":8: region 'local:lab': field 'zone': unknown zone 'XX-NOWHERE'"));
  EXPECT_EQ(before, c.regions().size());
  EXPECT_DOUBLE_EQ(1.15, c.Find("aws:eu-central-1")->pue);
  EXPECT_EQ("catalogue", c.Find("aws:eu-central-1")->defined_in);
  EXPECT_EQ(nullptr, c.Find("local:host"));
}

TEST_F(CatalogueTest, BadOverrideOfAKnownRegionIsRefused) {
  // Given a config that sets a known region's PUE to 0.9, we should refuse it
  // at that line and keep the catalogue's value.
  RegionCatalogue c = Shipped();
  std::string path = Write("config.yaml",
                           "regions:\n"
                           "  - id: aws:eu-central-1\n"
                           "    pue: 0.9\n");
  Status st = c.MergeConfigFile(path, zones_);
  EXPECT_EQ(StatusCode::kInvalidArgument, st.code());
  EXPECT_THAT(st.message(), StartsWith(path + ":3: region 'aws:eu-central-1': field 'pue': must be between 1.0 and 5.0"));
  EXPECT_DOUBLE_EQ(1.15, c.Find("aws:eu-central-1")->pue);
}

TEST_F(CatalogueTest, DuplicateIdInOneConfigIsRefused) {
  // Given the same new id twice in one config, we should refuse the second
  // at its id line and add neither.
  RegionCatalogue c;
  YAML::Node config = YAML::Load(
      "- id: local:host\n  zone: DE\n  pue: 1.0\n"
      "- id: local:host\n  zone: FR\n  pue: 1.0\n");
  Status st = c.MergeConfigNode(config, "cfg.yaml", zones_);
  EXPECT_EQ(StatusCode::kInvalidArgument, st.code());
  EXPECT_EQ("cfg.yaml:4: region 'local:host': field 'id': duplicate id in this file", st.message());
  EXPECT_TRUE(c.regions().empty());
}

TEST_F(CatalogueTest, ConfigWithoutRegionsChangesNothing) {
  // Given a config file with other settings but no regions list, we should
  // accept it and leave the catalogue as it was.
  RegionCatalogue c = Shipped();
  const size_t before = c.regions().size();
  std::string path = Write("config.yaml", "providers:\n  - electricitymaps\n");
  Status st = c.MergeConfigFile(path, zones_);
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(before, c.regions().size());
}

TEST_F(CatalogueTest, GetSuggestsRegionsWithTheSameName) {
  // Given an id with the wrong provider, we should answer NotFound and
  // suggest the region that has that name.
  RegionCatalogue c = Shipped();
  auto r = c.Get("gcp:eu-central-1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(StatusCode::kNotFound, r.status().code());
  EXPECT_EQ("unknown region 'gcp:eu-central-1' (did you mean aws:eu-central-1?); `sunwind regions list` shows them all",
            r.status().message());
  auto ok = c.Get("aws:eu-central-1");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ("aws:eu-central-1", (*ok)->id);
}

}  // namespace
}  // namespace sunwind
