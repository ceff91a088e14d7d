// Small helpers shared by the commands' human and JSON output.
#ifndef SUNWIND_CLI_OUTPUT_H_
#define SUNWIND_CLI_OUTPUT_H_

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace sunwind {

using Json = nlohmann::ordered_json;

// A number, or null where it is unknown (NaN or absent).
Json JsonNumber(double v);
Json JsonNumber(const std::optional<double>& v);
Json JsonText(const std::string& s);  // null when empty

// A plain text table: columns padded to their widest cell.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string Render() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace sunwind

#endif  // SUNWIND_CLI_OUTPUT_H_
