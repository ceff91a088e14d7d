// A small RFC 4180 reader: quoted fields (with commas, doubled quotes and line
// breaks inside), CRLF or LF line ends, a UTF-8 byte-order mark at the start.
// Real exports have all of these (see data/README.md).
#ifndef SUNWIND_CORE_CSV_H_
#define SUNWIND_CORE_CSV_H_

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace sunwind {

struct CsvRow {
  size_t line;  // 1-based line where the row starts, for error messages
  std::vector<std::string> fields;
};

// Parses the whole text. An unterminated quoted field is an error that names
// its line. Blank lines are skipped.
Result<std::vector<CsvRow>> ParseCsv(std::string_view text);

// Reads a file into memory (binary, as is).
Result<std::string> ReadFile(const std::string& path);

}  // namespace sunwind

#endif  // SUNWIND_CORE_CSV_H_
