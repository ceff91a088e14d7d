// Command-line flags: "--name value", "--name=value", boolean switches,
// repeatable flags, and everything after "--" kept as the command to run.
#ifndef SUNWIND_CLI_FLAGS_H_
#define SUNWIND_CLI_FLAGS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace sunwind {

struct FlagSpec {
  std::string name;  // without "--"
  bool takes_value;
  std::string help;
};

class Flags {
 public:
  // Parses args against the specs. Unknown flags and missing values are
  // errors that name the flag.
  static Result<Flags> Parse(const std::vector<std::string>& args, const std::vector<FlagSpec>& specs);

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  // The last value given, if any.
  std::optional<std::string> Get(const std::string& name) const;
  std::string GetOr(const std::string& name, const std::string& fallback) const;
  // Every value given for a repeatable flag; comma-separated values are split.
  std::vector<std::string> GetList(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  const std::vector<std::string>& command() const { return command_; }  // after "--"

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
  std::vector<std::string> command_;
};

// "  --name VALUE   help" lines for a usage message.
std::string FlagsHelp(const std::vector<FlagSpec>& specs);

}  // namespace sunwind

#endif  // SUNWIND_CLI_FLAGS_H_
