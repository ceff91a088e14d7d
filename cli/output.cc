#include "cli/output.h"

#include <cmath>

namespace sunwind {

Json JsonNumber(double v) {
  if (std::isnan(v) || std::isinf(v)) return nullptr;
  // Round to 6 significant decimals so the JSON stays readable and stable.
  return std::round(v * 1e6) / 1e6;
}

Json JsonNumber(const std::optional<double>& v) { return v ? JsonNumber(*v) : Json(nullptr); }

Json JsonText(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

namespace {
// Display width of UTF-8 text: count code points, not bytes.
size_t Width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}
}  // namespace

std::string Table::Render() const {
  std::vector<size_t> width;
  for (const auto& row : rows_) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], Width(row[i]));
  }
  std::string out;
  for (const auto& row : rows_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - Width(row[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace sunwind
