#include "gateway/rules/alert.hpp"

#include <charconv>
#include <chrono>
#include <cmath>

#include "core/reading_json.hpp"
#include "core/time_format.hpp"
#include "core/units.hpp"

namespace sensorgate::rules {

std::string_view alert_state_name(AlertState state) {
  switch (state) {
    case AlertState::kFiring:
      return "firing";
    case AlertState::kResolved:
      return "resolved";
  }
  return "firing";
}

std::string_view compare_op_text(config::CompareOp op) {
  switch (op) {
    case config::CompareOp::kGreater:
      return ">";
    case config::CompareOp::kGreaterEqual:
      return ">=";
    case config::CompareOp::kLess:
      return "<";
    case config::CompareOp::kLessEqual:
      return "<=";
    case config::CompareOp::kEqual:
      return "==";
    case config::CompareOp::kNotEqual:
      return "!=";
  }
  return "?";
}

std::string format_alert_number(double value) {
  if (!std::isfinite(value)) return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value, std::chars_format::general, 6);
  return std::string(text, result.ptr);
}

std::string encode_alert_json(const AlertEvent& event) {
  std::string out;
  out.reserve(160 + event.message.size());
  out += "{\"rule\":";
  append_json_string(out, event.rule);
  out += ",\"device\":";
  append_json_string(out, event.device);
  out += ",\"metric\":";
  append_json_string(out, event.metric);
  out += ",\"severity\":";
  append_json_string(out, event.severity);
  out += ",\"state\":\"";
  out += alert_state_name(event.state);
  out += "\",\"value\":";
  append_json_number(out, event.value);
  out += ",\"threshold\":";
  append_json_number(out, event.threshold);
  out += ",\"ts\":\"";
  append_rfc3339(out, event.ts_ns);
  out += "\",\"raised_at\":\"";
  append_rfc3339(out, event.raised_at_ns);
  out += "\",\"message\":";
  append_json_string(out, event.message);
  out += '}';
  return out;
}

std::string expand_alert_template(std::string_view text_template, const AlertEvent& event) {
  std::string out;
  out.reserve(text_template.size() + event.device.size() + event.metric.size());
  std::size_t pos = 0;
  while (pos < text_template.size()) {
    const auto open = text_template.find('{', pos);
    if (open == std::string_view::npos) break;
    const auto close = text_template.find('}', open);
    if (close == std::string_view::npos) break;
    out.append(text_template.substr(pos, open - pos));
    const auto name = text_template.substr(open + 1, close - open - 1);
    if (name == "rule") {
      out += event.rule;
    } else if (name == "device") {
      out += event.device;
    } else if (name == "metric") {
      out += event.metric;
    } else if (name == "severity") {
      out += event.severity;
    } else if (name == "state") {
      out += alert_state_name(event.state);
    } else if (name == "value") {
      out += format_alert_number(event.value);
    } else if (name == "threshold") {
      out += format_alert_number(event.threshold);
    } else {
      out.append(text_template.substr(open, close - open + 1));
    }
    pos = close + 1;
  }
  out.append(text_template.substr(pos));
  return out;
}

namespace {

// "average temp of hall-1 over 5m".
std::string window_subject(std::string_view aggregate, const config::RuleConfig& rule,
                           const AlertEvent& event) {
  std::string out(aggregate);
  out += ' ';
  out += event.metric;
  out += " of ";
  out += event.device;
  out += " over ";
  out += format_duration(rule.window.window);
  return out;
}

// "<subject> is <value>, above 30" / "<subject> is <value>, no longer above 30".
std::string bound_message(std::string subject, std::string_view direction,
                          const AlertEvent& event) {
  subject += " is ";
  subject += format_alert_number(event.value);
  subject += event.state == AlertState::kFiring ? ", " : ", no longer ";
  subject += direction;
  subject += ' ';
  subject += format_alert_number(event.threshold);
  return subject;
}

}  // namespace

std::string default_alert_message(const config::RuleConfig& rule, const AlertEvent& event) {
  const std::string series = event.metric + " of " + event.device;
  switch (rule.kind) {
    case config::RuleKind::kThreshold: {
      std::string out = series + " is " + format_alert_number(event.value);
      if (event.state == AlertState::kResolved && !rule.clear) {
        out += ", no longer ";
      } else {
        out += ' ';
      }
      const auto& bound =
          event.state == AlertState::kResolved && rule.clear ? *rule.clear : rule.when;
      out += compare_op_text(bound.op);
      out += ' ';
      out += format_alert_number(bound.threshold);
      return out;
    }
    case config::RuleKind::kRateAbove:
    case config::RuleKind::kRateBelow:
      return bound_message(series + " changes per " + format_duration(rule.rate.per),
                           rule.kind == config::RuleKind::kRateAbove ? "above" : "below", event);
    case config::RuleKind::kAvgAbove:
      return bound_message(window_subject("average", rule, event), "above", event);
    case config::RuleKind::kAvgBelow:
      return bound_message(window_subject("average", rule, event), "below", event);
    case config::RuleKind::kMinBelow:
      return bound_message(window_subject("minimum", rule, event), "below", event);
    case config::RuleKind::kMaxAbove:
      return bound_message(window_subject("maximum", rule, event), "above", event);
    case config::RuleKind::kAbsent: {
      if (event.state == AlertState::kFiring) {
        return "no " + event.metric + " from " + event.device + " for " +
               format_duration(rule.absent_for);
      }
      const auto silence = std::chrono::seconds(std::llround(event.value));
      return event.metric + " from " + event.device + " again after " + format_age(silence) +
             " of silence";
    }
  }
  return series;
}

}  // namespace sensorgate::rules
