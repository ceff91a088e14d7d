// ParseCsv on what real exports contain: BOM, CRLF, quoted fields.
#include "core/csv.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace sunwind {
namespace {

using Fields = std::vector<std::string>;

class CsvTest : public ::testing::Test {};

TEST_F(CsvTest, ParsesPlainRowsWithLineNumbers) {
  // Given two LF-terminated rows,
  // we should return their fields and the lines they start on.
  auto rows = ParseCsv("a,b,c\n1,2,3\n");
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(2u, rows->size());
  EXPECT_EQ(Fields({"a", "b", "c"}), (*rows)[0].fields);
  EXPECT_EQ(Fields({"1", "2", "3"}), (*rows)[1].fields);
  EXPECT_EQ(1u, (*rows)[0].line);
  EXPECT_EQ(2u, (*rows)[1].line);
}

TEST_F(CsvTest, StripsUtf8ByteOrderMark) {
  // Given a file that starts with a UTF-8 BOM,
  // we should not let the BOM leak into the first header name.
  auto rows = ParseCsv("\xEF\xBB\xBF" "Datetime (UTC),value\n2022-01-01,1\n");
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(2u, rows->size());
  EXPECT_EQ("Datetime (UTC)", (*rows)[0].fields[0]);
}

TEST_F(CsvTest, HandlesCrlfLineEnds) {
  // Given CRLF line ends,
  // we should leave no '\r' at the end of the last field.
  auto rows = ParseCsv("a,b\r\n1,2\r\n");
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(2u, rows->size());
  EXPECT_EQ(Fields({"a", "b"}), (*rows)[0].fields);
  EXPECT_EQ(Fields({"1", "2"}), (*rows)[1].fields);
  EXPECT_EQ(2u, (*rows)[1].line);
}

TEST_F(CsvTest, KeepsCommasInsideQuotedFields) {
  // Given a quoted field holding a comma,
  // we should keep it as one field without the quotes.
  auto rows = ParseCsv("zone,name\nKR,\"Korea, Republic of\"\n");
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(2u, rows->size());
  EXPECT_EQ(Fields({"KR", "Korea, Republic of"}), (*rows)[1].fields);
}

TEST_F(CsvTest, UnescapesDoubledQuotes) {
  // Given a quoted field with doubled quotes inside,
  // we should turn each pair into one quote.
  auto rows = ParseCsv("\"say \"\"hi\"\"\",x\n");
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(1u, rows->size());
  EXPECT_EQ(Fields({"say \"hi\"", "x"}), (*rows)[0].fields);
}

TEST_F(CsvTest, KeepsNewlinesInsideQuotedFieldsAndCountsTheirLines) {
  // Given a quoted field spanning two lines,
  // we should keep the line break in the field and number the next row from line 4.
  auto rows = ParseCsv("h1,h2\n\"first\nsecond\",b\nc,d\n");
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(3u, rows->size());
  EXPECT_EQ(Fields({"first\nsecond", "b"}), (*rows)[1].fields);
  EXPECT_EQ(2u, (*rows)[1].line);
  EXPECT_EQ(Fields({"c", "d"}), (*rows)[2].fields);
  EXPECT_EQ(4u, (*rows)[2].line);
}

TEST_F(CsvTest, KeepsEmptyQuotedAndUnquotedFields) {
  // Given empty fields (unquoted, quoted, and trailing),
  // we should keep each as an empty string in its place.
  auto rows = ParseCsv("a,,\"\",d,\n");
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(1u, rows->size());
  EXPECT_EQ(Fields({"a", "", "", "d", ""}), (*rows)[0].fields);
}

TEST_F(CsvTest, SkipsBlankLinesButCountsThem) {
  // Given blank lines (LF and CRLF) between rows,
  // we should skip them while keeping the later rows' line numbers true.
  auto rows = ParseCsv("a\n\nb\r\n\r\nc\n");
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(3u, rows->size());
  EXPECT_EQ(Fields({"a"}), (*rows)[0].fields);
  EXPECT_EQ(Fields({"b"}), (*rows)[1].fields);
  EXPECT_EQ(Fields({"c"}), (*rows)[2].fields);
  EXPECT_EQ(1u, (*rows)[0].line);
  EXPECT_EQ(3u, (*rows)[1].line);
  EXPECT_EQ(5u, (*rows)[2].line);
}

TEST_F(CsvTest, ReadsLastRowWithoutTrailingNewline) {
  // Given text whose last row has no line end,
  // we should still return that row.
  auto rows = ParseCsv("a,b\n1,2");
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(2u, rows->size());
  EXPECT_EQ(Fields({"1", "2"}), (*rows)[1].fields);
  EXPECT_EQ(2u, (*rows)[1].line);
}

TEST_F(CsvTest, ReadsLastQuotedFieldWithoutTrailingNewline) {
  // Given text ending right after a closing quote,
  // we should return the quoted field.
  auto rows = ParseCsv("a,\"b,c\"");
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(1u, rows->size());
  EXPECT_EQ(Fields({"a", "b,c"}), (*rows)[0].fields);
}

TEST_F(CsvTest, ReturnsNoRowsForEmptyText) {
  // Given empty text, or text that is only a BOM and line ends,
  // we should return no rows.
  auto empty = ParseCsv("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  auto blank = ParseCsv("\xEF\xBB\xBF\r\n\n");
  ASSERT_TRUE(blank.ok());
  EXPECT_TRUE(blank->empty());
}

TEST_F(CsvTest, UnterminatedQuoteNamesTheLineItOpensOn) {
  // Given a quote opened on line 3 and never closed,
  // we should refuse the text and name line 3.
  auto rows = ParseCsv("a,b\n1,2\n3,\"open\n4,5\n");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(StatusCode::kInvalidArgument, rows.status().code());
  EXPECT_EQ("line 3: quoted field is never closed", rows.status().message());
}

TEST_F(CsvTest, ReadFileReturnsBytesAsIs) {
  // Given a file with a BOM and CRLF line ends,
  // we should read it without any translation.
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("sunwind_csv_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string bytes = "\xEF\xBB\xBFx,y\r\n1,2\r\n";
  {
    std::ofstream out(dir / "f.csv", std::ios::binary);
    out << bytes;
  }
  auto text = ReadFile((dir / "f.csv").string());
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(text.ok()) << text.status().message();
  EXPECT_EQ(bytes, *text);
}

TEST_F(CsvTest, ReadFileOfMissingPathIsNotFound) {
  // Given a path that does not exist,
  // we should answer NotFound naming the path.
  auto text = ReadFile("/nonexistent/sunwind/none.csv");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(StatusCode::kNotFound, text.status().code());
  EXPECT_EQ("cannot open '/nonexistent/sunwind/none.csv'", text.status().message());
}

}  // namespace
}  // namespace sunwind
