#include "providers/provider_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace sunwind {

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

Result<std::string> InterpolateEnv(const std::string& text, const EnvLookup& env, std::vector<std::string>* unset) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
    } else if (text.compare(i, 2, "${") == 0) {
      size_t end = text.find('}', i + 2);
      if (end == std::string::npos) return Status::InvalidArgument("unclosed '${' in '" + text + "'");
      std::string name = text.substr(i + 2, end - i - 2);
      if (name.empty()) return Status::InvalidArgument("empty '${}' in '" + text + "'");
      auto v = env(name);
      if (v) {
        out += *v;
      } else if (unset) {
        unset->push_back(name);
      }
      i = end + 1;
    } else {
      out += text[i++];
    }
  }
  return out;
}

namespace {

std::string DefaultCachePath(const EnvLookup& env) {
  if (auto x = env("XDG_CACHE_HOME"); x && !x->empty()) return *x + "/sunwind/cache.sqlite";
  if (auto h = env("HOME"); h && !h->empty()) return *h + "/.cache/sunwind/cache.sqlite";
  return "";
}

std::string NonEmptyEnv(const EnvLookup& env, const std::string& name) {
  auto v = env(name);
  return v ? *v : "";
}

}  // namespace

Result<ProvidersConfig> ParseProvidersConfig(const std::string& yaml, const std::string& origin, const EnvLookup& env) {
  ProvidersConfig cfg;
  auto& em = cfg.electricitymaps;
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(origin + ": " + e.what());
  }
  YAML::Node section = root.IsMap() ? root["providers"] : YAML::Node();
  bool has_section = section && !section.IsNull();
  if (has_section && !section.IsMap()) return Status::InvalidArgument(origin + ": 'providers' must be a map");

  auto text = [&](const YAML::Node& n, const std::string& field, std::vector<std::string>* unset) -> Result<std::string> {
    if (!n.IsScalar()) return Status::InvalidArgument(origin + ": providers." + field + " must be a single value");
    auto r = InterpolateEnv(n.as<std::string>(), env, unset);
    if (!r.ok()) return r.status().WithContext(origin + ": providers." + field);
    return r;
  };
  auto duration = [&](const YAML::Node& n, const std::string& field) -> Result<Duration> {
    SUNWIND_ASSIGN_OR_RETURN(std::string s, text(n, field, nullptr));
    auto d = ParseDuration(s);
    if (!d.ok()) return d.status().WithContext(origin + ": providers." + field);
    return d;
  };
  auto integer = [&](const YAML::Node& n, const std::string& field) -> Result<int64_t> {
    SUNWIND_ASSIGN_OR_RETURN(std::string s, text(n, field, nullptr));
    try {
      size_t used = 0;
      long long v = std::stoll(s, &used);
      if (used != s.size() || v < 0) throw std::invalid_argument(s);
      return static_cast<int64_t>(v);
    } catch (const std::exception&) {
      return Status::InvalidArgument(origin + ": providers." + field + ": expected a whole number >= 0, got '" + s + "'");
    }
  };

  cfg.cache_path = DefaultCachePath(env);
  bool em_named = false;
  bool uk_named = false;
  bool wt_named = false;
  auto& wt = cfg.watttime;
  bool wt_user_in_config = false, wt_password_in_config = false;
  auto& uk = cfg.ukgrid;
  if (has_section) {
    for (auto it = section.begin(); it != section.end(); ++it) {
      std::string key = it->first.as<std::string>();
      if (key != "chain" && key != "cache" && key != "electricitymaps" && key != "ukgrid" && key != "watttime") {
        return Status::InvalidArgument(origin + ": providers." + key +
                                       ": unknown key (expected chain, cache, electricitymaps, ukgrid, watttime)");
      }
    }
    if (auto chain = section["chain"]) {
      if (!chain.IsSequence()) return Status::InvalidArgument(origin + ": providers.chain must be a list");
      for (const auto& n : chain) {
        std::string name = n.as<std::string>();
        if (name != "electricitymaps" && name != "ukgrid" && name != "watttime" && name != "trace" && name != "static") {
          return Status::InvalidArgument(origin + ": providers.chain: unknown provider '" + name +
                                         "' (known: electricitymaps, ukgrid, watttime, trace, static)");
        }
        wt_named = wt_named || name == "watttime";
        cfg.chain.push_back(name);
        em_named = em_named || name == "electricitymaps";
        uk_named = uk_named || name == "ukgrid";
      }
    }
    if (auto cache = section["cache"]) {
      SUNWIND_ASSIGN_OR_RETURN(std::string path, text(cache, "cache", nullptr));
      if (path == "off" || path == "none" || path == "false") {
        cfg.cache_path.clear();
      } else {
        if (path.rfind("~/", 0) == 0) path = NonEmptyEnv(env, "HOME") + path.substr(1);
        cfg.cache_path = path;
      }
    }
    if (auto e = section["electricitymaps"]) {
      em_named = true;
      if (!e.IsMap()) return Status::InvalidArgument(origin + ": providers.electricitymaps must be a map");
      for (auto it = e.begin(); it != e.end(); ++it) {
        std::string key = it->first.as<std::string>();
        std::string field = "electricitymaps." + key;
        const YAML::Node& v = it->second;
        if (key == "url") {
          SUNWIND_ASSIGN_OR_RETURN(em.url, text(v, field, nullptr));
        } else if (key == "api_key") {
          std::vector<std::string> unset;
          SUNWIND_ASSIGN_OR_RETURN(em.api_key, text(v, field, &unset));
          std::string raw = v.as<std::string>();
          em.key_origin = raw.find("${") != std::string::npos
                              ? "providers.electricitymaps.api_key in " + origin + " (" + raw + ")"
                              : "providers.electricitymaps.api_key in " + origin;
          if (!unset.empty()) em.key_origin += " (" + unset.front() + " is not set)";
        } else if (key == "timeout") {
          SUNWIND_ASSIGN_OR_RETURN(Duration d, duration(v, field));
          em.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(d);
        } else if (key == "daily_budget") {
          SUNWIND_ASSIGN_OR_RETURN(em.daily_budget, integer(v, field));
        } else if (key == "max_retries") {
          SUNWIND_ASSIGN_OR_RETURN(int64_t n, integer(v, field));
          em.retry.max_retries = static_cast<int>(std::min<int64_t>(n, 10));
        } else if (key == "max_retry_wait") {
          SUNWIND_ASSIGN_OR_RETURN(Duration d, duration(v, field));
          em.retry.max_wait = std::chrono::duration_cast<std::chrono::milliseconds>(d);
        } else if (key == "latest_ttl") {
          SUNWIND_ASSIGN_OR_RETURN(em.cache_policy.latest_ttl, duration(v, field));
        } else {
          return Status::InvalidArgument(origin + ": providers." + field +
                                         ": unknown key (expected url, api_key, timeout, daily_budget, max_retries, "
                                         "max_retry_wait, latest_ttl)");
        }
      }
    }
  }
  if (has_section) {
    if (auto u = section["ukgrid"]) {
      uk_named = true;
      if (!u.IsMap()) return Status::InvalidArgument(origin + ": providers.ukgrid must be a map");
      for (auto it = u.begin(); it != u.end(); ++it) {
        std::string key = it->first.as<std::string>();
        std::string field = "ukgrid." + key;
        const YAML::Node& v = it->second;
        if (key == "url") {
          SUNWIND_ASSIGN_OR_RETURN(uk.url, text(v, field, nullptr));
        } else if (key == "timeout") {
          SUNWIND_ASSIGN_OR_RETURN(Duration d, duration(v, field));
          uk.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(d);
        } else if (key == "daily_budget") {
          SUNWIND_ASSIGN_OR_RETURN(uk.daily_budget, integer(v, field));
        } else {
          return Status::InvalidArgument(origin + ": providers." + field + ": unknown key (expected url, timeout, daily_budget)");
        }
      }
    }
  }
  if (has_section) {
    if (auto w = section["watttime"]) {
      wt_named = true;
      if (!w.IsMap()) return Status::InvalidArgument(origin + ": providers.watttime must be a map");
      for (auto it = w.begin(); it != w.end(); ++it) {
        std::string key = it->first.as<std::string>();
        std::string field = "watttime." + key;
        const YAML::Node& v = it->second;
        if (key == "url") {
          SUNWIND_ASSIGN_OR_RETURN(wt.url, text(v, field, nullptr));
        } else if (key == "username") {
          SUNWIND_ASSIGN_OR_RETURN(wt.username, text(v, field, nullptr));
          wt_user_in_config = true;
        } else if (key == "password") {
          SUNWIND_ASSIGN_OR_RETURN(wt.password, text(v, field, nullptr));
          wt_password_in_config = true;
        } else if (key == "timeout") {
          SUNWIND_ASSIGN_OR_RETURN(Duration d, duration(v, field));
          wt.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(d);
        } else if (key == "daily_budget") {
          SUNWIND_ASSIGN_OR_RETURN(wt.daily_budget, integer(v, field));
        } else {
          return Status::InvalidArgument(origin + ": providers." + field +
                                         ": unknown key (expected url, username, password, timeout, daily_budget)");
        }
      }
    }
  }
  if (wt_user_in_config || wt_password_in_config) {
    wt.credentials_origin = "providers.watttime.username and password in " + origin;
  }
  if (!wt_user_in_config) wt.username = NonEmptyEnv(env, "WATTTIME_USERNAME");
  if (!wt_password_in_config) wt.password = NonEmptyEnv(env, "WATTTIME_PASSWORD");
  std::string env_wt_url = NonEmptyEnv(env, "SUNWIND_WATTTIME_URL");
  if (!env_wt_url.empty()) wt.url = env_wt_url;
  wt.enabled = wt_named || (!has_section && !NonEmptyEnv(env, "WATTTIME_USERNAME").empty());

  std::string env_uk_url = NonEmptyEnv(env, "SUNWIND_UKGRID_URL");
  if (!env_uk_url.empty()) uk.url = env_uk_url;
  uk.enabled = uk_named || (!has_section && !env_uk_url.empty());

  // The environment: a URL override always wins (proxies, tests); the key
  // is the default when the config names none.
  std::string env_url = NonEmptyEnv(env, "SUNWIND_ELECTRICITYMAPS_URL");
  std::string env_key = NonEmptyEnv(env, "ELECTRICITYMAPS_API_KEY");
  if (!env_url.empty()) em.url = env_url;
  if (em.api_key.empty() && !env_key.empty() && em.key_origin.find("api_key in") == std::string::npos) {
    em.api_key = env_key;
    em.key_origin = "ELECTRICITYMAPS_API_KEY";
  }
  em.enabled = em_named || (!has_section && (!env_url.empty() || !env_key.empty()));
  if (cfg.chain.empty()) {
    if (em.enabled) cfg.chain.push_back("electricitymaps");
    if (uk.enabled) cfg.chain.push_back("ukgrid");
    if (wt.enabled) cfg.chain.push_back("watttime");
    cfg.chain.push_back("trace");
    cfg.chain.push_back("static");
  } else {
    // Configured but left out of the chain on purpose.
    if (std::find(cfg.chain.begin(), cfg.chain.end(), "electricitymaps") == cfg.chain.end()) em.enabled = false;
    if (std::find(cfg.chain.begin(), cfg.chain.end(), "ukgrid") == cfg.chain.end()) uk.enabled = false;
    if (std::find(cfg.chain.begin(), cfg.chain.end(), "watttime") == cfg.chain.end()) wt.enabled = false;
  }
  return cfg;
}

Result<ProvidersConfig> LoadProvidersConfig(const std::string& path, const EnvLookup& env) {
  if (path.empty()) return ParseProvidersConfig("", "(no config)", env);
  std::ifstream in(path);
  if (!in) return Status::NotFound("config " + path + ": cannot read");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseProvidersConfig(ss.str(), path, env);
}

Result<std::unique_ptr<LiveProviders>> LiveProviders::Build(const ProvidersConfig& config, const Clock& clock,
                                                            HttpTransport* transport, Sleeper sleeper) {
  auto live = std::unique_ptr<LiveProviders>(new LiveProviders());
  if (!config.AnyLive()) return live;
  if (transport) {
    live->transport_ = transport;
  } else {
    live->own_transport_ = MakeCurlTransport();
    live->transport_ = live->own_transport_.get();
  }
  if (!config.cache_path.empty()) {
    auto db = Database::Open(config.cache_path);
    // A cache that cannot be opened costs requests, not correctness.
    if (db.ok()) {
      live->db_ = std::move(db).value();
      live->cache_ = std::make_unique<AnswerCache>(*live->db_);
    }
  }
  const auto& em = config.electricitymaps;
  if (em.enabled) {
    live->em_fetcher_ = std::make_unique<CachingFetcher>("electricitymaps", *live->transport_, clock, live->cache_.get(),
                                                         em.retry, em.daily_budget, sleeper);
    ElectricityMapsOptions opts;
    opts.base_url = em.url;
    opts.api_key = em.api_key;
    opts.key_origin = em.key_origin;
    opts.timeout = em.timeout;
    opts.cache_policy = em.cache_policy;
    live->em_client_ = std::make_unique<ElectricityMapsClient>(opts, *live->em_fetcher_);
    live->em_provider_ = std::make_unique<ElectricityMapsProvider>(*live->em_client_, clock);
  }
  const auto& uk = config.ukgrid;
  if (uk.enabled) {
    live->uk_fetcher_ = std::make_unique<CachingFetcher>("ukgrid", *live->transport_, clock, live->cache_.get(), uk.retry,
                                                         uk.daily_budget, sleeper);
    UkGridOptions opts;
    opts.base_url = uk.url;
    opts.timeout = uk.timeout;
    live->uk_client_ = std::make_unique<UkGridClient>(opts, *live->uk_fetcher_);
    live->uk_provider_ = std::make_unique<UkGridProvider>(*live->uk_client_, clock);
  }
  const auto& wt = config.watttime;
  if (wt.enabled) {
    live->wt_fetcher_ = std::make_unique<CachingFetcher>("watttime", *live->transport_, clock, live->cache_.get(), wt.retry,
                                                         wt.daily_budget, sleeper);
    WattTimeOptions opts;
    opts.base_url = wt.url;
    opts.username = wt.username;
    opts.password = wt.password;
    opts.credentials_origin = wt.credentials_origin;
    opts.timeout = wt.timeout;
    live->wt_client_ = std::make_unique<WattTimeClient>(opts, *live->wt_fetcher_, *live->transport_);
    live->wt_provider_ = std::make_unique<WattTimeProvider>(*live->wt_client_, clock);
  }
  return live;
}

IntensityProvider* LiveProviders::Find(const std::string& name) {
  if (name == "electricitymaps") return em_provider_.get();
  if (name == "ukgrid") return uk_provider_.get();
  if (name == "watttime") return wt_provider_.get();
  return nullptr;
}

}  // namespace sunwind
