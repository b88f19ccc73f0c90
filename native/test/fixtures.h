// Reader for the shared reference values in test/fixtures/*.json (written by scripts/make-fixtures.py; the
// ava tests read the same files, see test/fixtures/README.md). Those files are one flat JSON object whose
// values are strings (ignored here) or arrays of numbers, so a reader of that one shape is enough: find the
// key, read the numbers between its brackets.
#pragma once

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fixtures {

/** The text of test/fixtures/<file>, found from the repository root (ctest's working directory) or a build folder below it. */
inline std::string read_file(const std::string& file) {
  for (const char* prefix : {"", "../", "../../"}) {
    std::ifstream in(std::string(prefix) + "test/fixtures/" + file);
    if (in) {
      std::ostringstream text;
      text << in.rdbuf();
      return text.str();
    }
  }
  return "";
}

/**
 * The numbers of the array `key` in test/fixtures/<file>, as doubles (integers up to 2^53 are exact). Empty when
 * the file, the key or a well-formed array is missing, or when its length is not a multiple of `width`: callers
 * check the row count they expect, so a missing fixture fails its test rather than passing vacuously.
 */
inline std::vector<double> rows(const std::string& file, const std::string& key, size_t width) {
  const std::string text = read_file(file);
  const std::string quoted = "\"" + key + "\"";
  size_t at = text.find(quoted);
  if (at == std::string::npos) return {};
  at = text.find_first_not_of(" \t\r\n", at + quoted.size());
  if (at == std::string::npos || text[at] != ':') return {};
  at = text.find_first_not_of(" \t\r\n", at + 1);
  if (at == std::string::npos || text[at] != '[') return {};
  std::vector<double> values;
  const char* p = text.c_str() + at + 1;
  for (;;) {
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t' || *p == ',') p++;
    if (*p == ']') break;
    char* end = nullptr;
    const double v = std::strtod(p, &end);
    if (end == p) return {};  // not a number: not the flat shape
    values.push_back(v);
    p = end;
  }
  if (values.empty() || values.size() % width != 0) return {};
  return values;
}

}  // namespace fixtures
