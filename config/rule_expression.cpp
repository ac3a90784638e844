#include "config/rule_expression.hpp"

#include <array>
#include <charconv>
#include <cmath>

#include "config/key_table.hpp"

namespace sensorgate::config {
namespace {

struct Operator {
  std::string_view text;
  CompareOp op;
};

constexpr std::array<Operator, 6> kOperators{{{">", CompareOp::kGreater},
                                              {">=", CompareOp::kGreaterEqual},
                                              {"<", CompareOp::kLess},
                                              {"<=", CompareOp::kLessEqual},
                                              {"==", CompareOp::kEqual},
                                              {"!=", CompareOp::kNotEqual}}};

constexpr std::string_view kExpected =
    "expected \"value <op> <number>\" with op one of > >= < <= == !=, got \"";

void skip_spaces(std::string_view& text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
}

}  // namespace

Result<Comparison, ExpressionError> parse_comparison(std::string_view text) {
  const std::string expected = std::string(kExpected) + std::string(text) + "\"";
  std::string_view rest = text;
  skip_spaces(rest);
  if (!rest.starts_with("value")) return make_error(ExpressionError::kNotValue, expected);
  rest.remove_prefix(5);
  skip_spaces(rest);
  // The longest run of operator characters must be one operator: "=>" and "=" are rejected.
  std::size_t length = 0;
  while (length < rest.size() && std::string_view("<>=!").find(rest[length]) != rest.npos) {
    ++length;
  }
  const std::string_view op_text = rest.substr(0, length);
  const Operator* found = nullptr;
  for (const Operator& candidate : kOperators) {
    if (candidate.text == op_text) found = &candidate;
  }
  if (found == nullptr) return make_error(ExpressionError::kUnknownOperator, expected);
  rest.remove_prefix(length);
  skip_spaces(rest);
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.remove_suffix(1);
  double threshold = 0;
  auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), threshold);
  if (rest.empty() || ec != std::errc() || ptr != rest.data() + rest.size() ||
      !std::isfinite(threshold)) {
    return make_error(ExpressionError::kNotANumber, expected);
  }
  return Comparison{found->op, threshold};
}

std::string format_comparison(const Comparison& comparison) {
  std::string_view op;
  for (const Operator& candidate : kOperators) {
    if (candidate.op == comparison.op) op = candidate.text;
  }
  return "value " + std::string(op) + " " + format_number(comparison.threshold);
}

}  // namespace sensorgate::config
