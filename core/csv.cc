#include "core/csv.h"

#include <fstream>
#include <sstream>

namespace sunwind {

Result<std::vector<CsvRow>> ParseCsv(std::string_view text) {
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<CsvRow> rows;
  CsvRow row{1, {}};
  std::string field;
  size_t line = 1;
  bool in_quotes = false, field_quoted = false, row_has_content = false;
  size_t quote_line = 0;

  auto end_field = [&] {
    row.fields.push_back(std::move(field));
    field.clear();
    field_quoted = false;
  };
  auto end_row = [&] {
    end_field();
    if (row_has_content) rows.push_back(std::move(row));
    row = CsvRow{line + 1, {}};
    row_has_content = false;
  };

  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    switch (c) {
      case '"':
        if (field.empty() && !field_quoted) {
          in_quotes = field_quoted = true;
          quote_line = line;
          row_has_content = true;
        } else {
          field += c;  // a stray quote inside an unquoted field is kept as text
        }
        break;
      case ',':
        end_field();
        row_has_content = true;
        break;
      case '\r':
        if (i + 1 < text.size() && text[i + 1] == '\n') break;  // CRLF: the \n ends the row
        [[fallthrough]];
      case '\n':
        end_row();
        ++line;
        break;
      default:
        field += c;
        row_has_content = true;
    }
  }
  if (in_quotes) {
    return Status::InvalidArgument("line " + std::to_string(quote_line) +
                                   ": quoted field is never closed");
  }
  if (row_has_content || !field.empty()) {
    end_field();
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace sunwind
