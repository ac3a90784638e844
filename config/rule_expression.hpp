// The comparison a threshold rule writes in `when:` and `clear:`: "value <op> <number>" with op
// one of > >= < <= == != and free whitespace. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "config/config.hpp"
#include "core/result.hpp"

namespace sensorgate::config {

enum class ExpressionError { kNotValue, kUnknownOperator, kNotANumber };

// "value > 8.5" -> {kGreater, 8.5}. The error message says what was expected and what was found.
Result<Comparison, ExpressionError> parse_comparison(std::string_view text);

// {kGreater, 8.5} -> "value > 8.5"
std::string format_comparison(const Comparison& comparison);

}  // namespace sensorgate::config
