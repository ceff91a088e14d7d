// The providers section of the config: ${ENV} interpolation, precedence of
// config and environment, the chain, and errors that name the field.
#include "providers/provider_config.h"

#include <gtest/gtest.h>

#include <map>

namespace sunwind {
namespace {

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ProviderConfigTest, InterpolatesEnvironmentVariables) {
  std::vector<std::string> unset;
  auto r = InterpolateEnv("a ${X} b ${NOPE} c $${LITERAL}", Env({{"X", "1"}}), &unset);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "a 1 b  c ${LITERAL}");
  EXPECT_EQ(unset, std::vector<std::string>{"NOPE"});
  EXPECT_FALSE(InterpolateEnv("${OPEN", Env({}), nullptr).ok());
  EXPECT_FALSE(InterpolateEnv("${}", Env({}), nullptr).ok());
}

TEST(ProviderConfigTest, NothingConfiguredStaysOffline) {
  // Given no section and no variables, nothing live and the offline chain.
  auto c = ParseProvidersConfig("regions: []\n", "c.yaml", Env({{"HOME", "/home/u"}}));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_FALSE(c->AnyLive());
  EXPECT_EQ(c->chain, (std::vector<std::string>{"trace", "static"}));
  EXPECT_EQ(c->cache_path, "/home/u/.cache/sunwind/cache.sqlite");
}

TEST(ProviderConfigTest, KeyInTheEnvironmentAloneTurnsElectricityMapsOn) {
  auto c = ParseProvidersConfig("", "c.yaml", Env({{"ELECTRICITYMAPS_API_KEY", "k1"}, {"XDG_CACHE_HOME", "/x"}}));
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->electricitymaps.enabled);
  EXPECT_EQ(c->electricitymaps.api_key, "k1");
  EXPECT_EQ(c->electricitymaps.key_origin, "ELECTRICITYMAPS_API_KEY");
  EXPECT_EQ(c->electricitymaps.url, "https://api.electricitymaps.com/v3");
  EXPECT_EQ(c->chain, (std::vector<std::string>{"electricitymaps", "trace", "static"}));
  EXPECT_EQ(c->cache_path, "/x/sunwind/cache.sqlite");
}

TEST(ProviderConfigTest, FullSectionWithInterpolationAndEnvUrlOverride) {
  // Given every setting, each should be read; the URL from the environment
  // wins over the config's (proxies, tests), the config's key over the
  // environment's.
  std::string yaml =
      "providers:\n"
      "  chain: [electricitymaps, static]\n"
      "  cache: ~/c.sqlite\n"
      "  electricitymaps:\n"
      "    url: https://proxy.example/v3\n"
      "    api_key: ${MY_KEY}\n"
      "    timeout: 3s\n"
      "    daily_budget: 900\n"
      "    max_retries: 4\n"
      "    max_retry_wait: 1m\n"
      "    latest_ttl: 15m\n";
  auto c = ParseProvidersConfig(yaml, "c.yaml", Env({{"MY_KEY", "k2"}, {"HOME", "/h"}, {"ELECTRICITYMAPS_API_KEY", "other"}}));
  ASSERT_TRUE(c.ok()) << c.status().message();
  const auto& em = c->electricitymaps;
  EXPECT_TRUE(em.enabled);
  EXPECT_EQ(em.url, "https://proxy.example/v3");
  EXPECT_EQ(em.api_key, "k2");
  EXPECT_EQ(em.key_origin, "providers.electricitymaps.api_key in c.yaml (${MY_KEY})");
  EXPECT_EQ(em.timeout, std::chrono::seconds(3));
  EXPECT_EQ(em.daily_budget, 900);
  EXPECT_EQ(em.retry.max_retries, 4);
  EXPECT_EQ(em.retry.max_wait, std::chrono::minutes(1));
  EXPECT_EQ(em.cache_policy.latest_ttl, std::chrono::minutes(15));
  EXPECT_EQ(c->chain, (std::vector<std::string>{"electricitymaps", "static"}));
  EXPECT_EQ(c->cache_path, "/h/c.sqlite");

  auto env_url = ParseProvidersConfig(yaml, "c.yaml", Env({{"MY_KEY", "k2"}, {"SUNWIND_ELECTRICITYMAPS_URL", "http://127.0.0.1:1/v3"}}));
  ASSERT_TRUE(env_url.ok());
  EXPECT_EQ(env_url->electricitymaps.url, "http://127.0.0.1:1/v3");
}

TEST(ProviderConfigTest, UnsetKeyVariableIsNamedAndNotReplacedByTheEnvironmentDefault) {
  auto c = ParseProvidersConfig("providers:\n  electricitymaps:\n    api_key: ${MISSING}\n", "c.yaml",
                                Env({{"ELECTRICITYMAPS_API_KEY", "k3"}}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->electricitymaps.api_key, "");
  EXPECT_NE(c->electricitymaps.key_origin.find("MISSING is not set"), std::string::npos);
}

TEST(ProviderConfigTest, ChainWithoutElectricityMapsTurnsItOff) {
  auto c = ParseProvidersConfig("providers:\n  chain: [trace, static]\n", "c.yaml", Env({{"ELECTRICITYMAPS_API_KEY", "k"}}));
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->AnyLive());
}

TEST(ProviderConfigTest, UkGridFromTheSectionOrItsUrlVariable) {
  auto c = ParseProvidersConfig("providers:\n  chain: [ukgrid, trace]\n  ukgrid:\n    timeout: 4s\n", "c.yaml", Env({}));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->ukgrid.enabled);
  EXPECT_FALSE(c->electricitymaps.enabled);
  EXPECT_EQ(c->ukgrid.url, "https://api.carbonintensity.org.uk");
  EXPECT_EQ(c->ukgrid.timeout, std::chrono::seconds(4));
  auto e = ParseProvidersConfig("", "c.yaml", Env({{"SUNWIND_UKGRID_URL", "http://127.0.0.1:1"}}));
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->ukgrid.enabled);
  EXPECT_EQ(e->ukgrid.url, "http://127.0.0.1:1");
  EXPECT_EQ(e->chain, (std::vector<std::string>{"ukgrid", "trace", "static"}));
}

TEST(ProviderConfigTest, WattTimeCredentialsFromConfigOrEnvironment) {
  auto c = ParseProvidersConfig("providers:\n  watttime:\n    username: ${WT_USER}\n", "c.yaml",
                                Env({{"WT_USER", "alice"}, {"WATTTIME_PASSWORD", "pw"}, {"SUNWIND_WATTTIME_URL", "http://127.0.0.1:2"}}));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->watttime.enabled);
  EXPECT_EQ(c->watttime.username, "alice");
  EXPECT_EQ(c->watttime.password, "pw");
  EXPECT_EQ(c->watttime.url, "http://127.0.0.1:2");
  EXPECT_EQ(c->watttime.credentials_origin, "providers.watttime.username and password in c.yaml");
  auto e = ParseProvidersConfig("", "c.yaml", Env({{"WATTTIME_USERNAME", "bob"}, {"WATTTIME_PASSWORD", "pw"}}));
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->watttime.enabled);
  EXPECT_EQ(e->watttime.url, "https://api.watttime.org");
  EXPECT_EQ(e->watttime.credentials_origin, "WATTTIME_USERNAME and WATTTIME_PASSWORD");
}

TEST(ProviderConfigTest, ErrorsNameTheField) {
  struct Case {
    std::string yaml, expect;
  };
  for (const Case& k : std::vector<Case>{
           {"providers:\n  chain: [wattime]\n", "providers.chain: unknown provider 'wattime'"},
           {"providers:\n  colour: blue\n", "providers.colour: unknown key"},
           {"providers:\n  electricitymaps:\n    timeout: soon\n", "providers.electricitymaps.timeout"},
           {"providers:\n  electricitymaps:\n    daily_budget: -1\n", "providers.electricitymaps.daily_budget: expected a whole number"},
           {"providers:\n  electricitymaps:\n    apikey: x\n", "providers.electricitymaps.apikey: unknown key"},
           {"providers: [1]\n", "'providers' must be a map"},
       }) {
    auto c = ParseProvidersConfig(k.yaml, "c.yaml", Env({}));
    ASSERT_FALSE(c.ok()) << k.yaml;
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(c.status().message().find(k.expect), std::string::npos) << c.status().message();
    EXPECT_EQ(c.status().message().rfind("c.yaml", 0), 0u) << c.status().message();
  }
}

TEST(ProviderConfigTest, SecretsNeverInErrors) {
  auto c = ParseProvidersConfig("providers:\n  electricitymaps:\n    api_key: sk-SECRET\n    timeout: never\n", "c.yaml", Env({}));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message().find("sk-SECRET"), std::string::npos) << c.status().message();
}

TEST(ProviderConfigTest, BuildsNothingLiveWhenNothingIsConfigured) {
  ManualClock clock(TimePoint{});
  auto c = ParseProvidersConfig("", "c.yaml", Env({}));
  ASSERT_TRUE(c.ok());
  auto live = LiveProviders::Build(*c, clock);
  ASSERT_TRUE(live.ok());
  EXPECT_EQ((*live)->electricitymaps(), nullptr);
  EXPECT_EQ((*live)->Find("electricitymaps"), nullptr);
}

}  // namespace
}  // namespace sunwind
