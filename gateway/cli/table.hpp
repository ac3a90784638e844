// Table: aligned text columns for the CLI's human output (backlog, alerts, check).
#pragma once

#include <string>
#include <vector>

namespace sensorgate::cli {

enum class Align { kLeft, kRight };

class Table {
 public:
  // One header per column; alignments default to left.
  explicit Table(std::vector<std::string> headers, std::vector<Align> alignments = {});
  void add_row(std::vector<std::string> cells);
  // Columns padded to their widest cell and separated by two spaces; no trailing spaces.
  std::string render(bool with_header) const;

 private:
  std::vector<std::string> headers_;
  std::vector<Align> alignments_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace sensorgate::cli
