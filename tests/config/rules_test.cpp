// Rules in the config: the comparison grammar of `when`/`clear`, exactly one kind per rule,
// and windows that can happen.
#include <catch2/catch.hpp>

#include "config/rule_expression.hpp"
#include "tests/config/config_test_util.hpp"

using namespace sensorgate::config;
using sensorgate::config::testing::errors_of;
using sensorgate::config::testing::load;
using Lines = std::vector<std::string>;

namespace {

std::string rules(const std::string& body) {
  return "kafka: {brokers: k:9092}\nrules:\n" + body;
}

}  // namespace

TEST_CASE("comparisons parse every operator with free whitespace") {
  struct Case {
    std::string_view text;
    CompareOp op;
    double threshold;
  };
  const Case cases[] = {
      {"value > 8.5", CompareOp::kGreater, 8.5},      {"value>=8", CompareOp::kGreaterEqual, 8},
      {"  value <  -3.25 ", CompareOp::kLess, -3.25}, {"value <= 0", CompareOp::kLessEqual, 0},
      {"value == 1", CompareOp::kEqual, 1},           {"value\t!=\t2", CompareOp::kNotEqual, 2}};
  for (const Case& c : cases) {
    INFO(c.text);
    auto parsed = parse_comparison(c.text);
    REQUIRE(parsed.ok());
    CHECK(parsed->op == c.op);
    CHECK(parsed->threshold == c.threshold);
  }
}

TEST_CASE("comparisons with an unknown operator, no number or no value are rejected") {
  const std::pair<std::string_view, ExpressionError> cases[] = {
      {"value => 8", ExpressionError::kUnknownOperator},
      {"value = 8", ExpressionError::kUnknownOperator},
      {"value 8", ExpressionError::kUnknownOperator},
      {"value >", ExpressionError::kNotANumber},
      {"value > 8 C", ExpressionError::kNotANumber},
      {"value > inf", ExpressionError::kNotANumber},
      {"temp > 8", ExpressionError::kNotValue},
      {"", ExpressionError::kNotValue}};
  for (const auto& [text, reason] : cases) {
    INFO(text);
    auto parsed = parse_comparison(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == reason);
  }
}

TEST_CASE("a comparison formats back to the text it was parsed from") {
  CHECK(format_comparison({CompareOp::kGreaterEqual, 8.5}) == "value >= 8.5");
  CHECK(format_comparison({CompareOp::kNotEqual, -1}) == "value != -1");
}

TEST_CASE("a bad rule expression is reported at its value") {
  CHECK(errors_of(rules("  - name: hot\n"
                        "    when: value => 8\n")) ==
        Lines{"sensorgate.yaml:4:11: error: rules[0].when: expected \"value <op> <number>\" with "
              "op one of > >= < <= == !=, got \"value => 8\""});
}

TEST_CASE("a rule with two kind keys is an error naming both") {
  CHECK(errors_of(rules("  - name: hot\n"
                        "    when: value > 8\n"
                        "    absent_for: 2m\n")) ==
        Lines{"sensorgate.yaml:5:5: error: rules[0].absent_for: conflicts with when; a rule has "
              "exactly one of when, rate_above, rate_below, avg_above, avg_below, min_below, "
              "max_above or absent_for"});
}

TEST_CASE("a rule without a kind key is an error") {
  CHECK(errors_of(rules("  - {name: hot, severity: critical}\n")) ==
        Lines{"sensorgate.yaml:3:5: error: rules[0]: needs one of when, rate_above, rate_below, "
              "avg_above, avg_below, min_below, max_above or absent_for"});
}

TEST_CASE("for and clear are only allowed with when") {
  CHECK(errors_of(rules("  - {name: quiet, absent_for: 2m, for: 10s, clear: value < 1}\n")) ==
        Lines{"sensorgate.yaml:3:35: error: rules[0].for: only allowed with when (a threshold "
              "rule)",
              "sensorgate.yaml:3:45: error: rules[0].clear: only allowed with when (a threshold "
              "rule)"});
}

TEST_CASE("a zero or negative window is an impossible window") {
  CHECK(errors_of(rules("  - {name: a, avg_above: {value: 30, window: 0s}}\n"
                        "  - {name: b, absent_for: -5m}\n"
                        "  - {name: c, rate_above: {delta: 5, per: 1 minute}}\n")) ==
        Lines{"sensorgate.yaml:3:46: error: rules[0].avg_above.window: impossible window \"0s\": "
              "expected a duration longer than 0",
              "sensorgate.yaml:4:27: error: rules[1].absent_for: impossible window \"-5m\": "
              "expected a duration longer than 0",
              "sensorgate.yaml:5:43: error: rules[2].rate_above.per: expected a duration such as "
              "30s, 5m, 1h, got \"1 minute\""});
}

TEST_CASE("two rules with one name are an error") {
  CHECK(errors_of(rules("  - {name: hot, when: value > 1}\n"
                        "  - {name: hot, when: value > 2}\n")) ==
        Lines{"sensorgate.yaml:4:12: error: rules[1].name: duplicate rule name \"hot\"; first "
              "used by rules[0]"});
}

TEST_CASE("a window rule needs its value") {
  CHECK(errors_of(rules("  - {name: a, max_above: {window: 1m}}\n")) ==
        Lines{"sensorgate.yaml:3:26: error: rules[0].max_above.value: required key is missing"});
}

TEST_CASE("every rule kind loads with its parameters") {
  const auto outcome =
      load(rules("  - {name: t, match: {device: 'boiler-*', metric: pressure}, when: value > 8.5,\n"
                 "     clear: value < 8.0, for: 10s, severity: critical, mqtt: 'alerts/{device}',\n"
                 "     message: 'pressure {value}'}\n"
                 "  - {name: ra, rate_above: {delta: 5, per: 1m}}\n"
                 "  - {name: rb, rate_below: {delta: 0.5, per: 10m}}\n"
                 "  - {name: aa, avg_above: {value: 30, window: 5m}}\n"
                 "  - {name: ab, avg_below: {value: 1, window: 1h}}\n"
                 "  - {name: mb, min_below: {value: -5, window: 30s}}\n"
                 "  - {name: ma, max_above: {value: 99, window: 2m}}\n"
                 "  - {name: ab2, absent_for: 2m}\n"));
  REQUIRE(outcome.ok());
  const auto& r = outcome.config->rules;
  REQUIRE(r.size() == 8);
  CHECK(r[0].kind == RuleKind::kThreshold);
  CHECK(r[0].match_device == "boiler-*");
  CHECK(r[0].match_metric == "pressure");
  CHECK(r[0].when.op == CompareOp::kGreater);
  CHECK(r[0].when.threshold == 8.5);
  REQUIRE(r[0].clear.has_value());
  CHECK(r[0].clear->op == CompareOp::kLess);
  CHECK(r[0].clear->threshold == 8.0);
  CHECK(r[0].hold_for == std::chrono::seconds(10));
  CHECK(r[0].severity == "critical");
  CHECK(r[0].mqtt == "alerts/{device}");
  CHECK(r[0].message == "pressure {value}");
  CHECK(r[0].mark.line == 3);
  CHECK(r[1].kind == RuleKind::kRateAbove);
  CHECK(r[1].rate.delta == 5);
  CHECK(r[1].rate.per == std::chrono::minutes(1));
  CHECK(r[2].kind == RuleKind::kRateBelow);
  CHECK(r[2].rate.delta == 0.5);
  CHECK(r[2].rate.per == std::chrono::minutes(10));
  CHECK(r[3].kind == RuleKind::kAvgAbove);
  CHECK(r[3].window.value == 30);
  CHECK(r[3].window.window == std::chrono::minutes(5));
  CHECK(r[4].kind == RuleKind::kAvgBelow);
  CHECK(r[4].window.window == std::chrono::hours(1));
  CHECK(r[5].kind == RuleKind::kMinBelow);
  CHECK(r[5].window.value == -5);
  CHECK(r[6].kind == RuleKind::kMaxAbove);
  CHECK(r[7].kind == RuleKind::kAbsent);
  CHECK(r[7].absent_for == std::chrono::minutes(2));
}
