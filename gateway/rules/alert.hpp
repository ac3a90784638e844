// AlertEvent: one firing or resolved transition of one rule on one series (device + metric), and
// its encodings: the JSON of DESIGN.md "Alert events", the local MQTT topic and the message
// text. Plain value type and pure functions; safe to use from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace sensorgate::rules {

enum class AlertState { kFiring, kResolved };

// "firing" | "resolved".
std::string_view alert_state_name(AlertState state);

struct AlertEvent {
  std::string rule;
  std::string device;
  std::string metric;
  std::string severity;  // the rule's: info | warning | critical
  AlertState state = AlertState::kFiring;
  // What the rule judged: the reading's value (threshold), the change per `per` (rate), the
  // window's average/minimum/maximum (windowed), the seconds of silence (absent_for).
  double value = 0;
  // The bound it was judged against: `when` (firing) or `clear` (resolved, when set) for
  // threshold rules, `delta`, the window's `value`, or absent_for in seconds.
  double threshold = 0;
  std::int64_t ts_ns = 0;  // the reading's ts; the clock's time for absent_for
  // The gateway's clock when it decided: what `alerts --since` filters on, since a reading's ts
  // may be far in the past (a device with a wrong clock, backfilled data).
  std::int64_t raised_at_ns = 0;
  std::string message;
  // The rule's `mqtt:` template expanded for this series; empty: publish nowhere locally. Not
  // part of the JSON.
  std::string mqtt_topic;
};

// {"rule":…,"device":…,"metric":…,"severity":…,"state":"firing"|"resolved","value":…,
// "threshold":…,"ts":"RFC 3339","raised_at":"RFC 3339","message":…}, compact, in this key order. A
// non-finite value is written as null.
std::string encode_alert_json(const AlertEvent& event);

// Replaces {rule}, {device}, {metric}, {severity}, {state}, {value} and {threshold} in
// `text_template` with the event's fields (numbers with up to 6 significant digits); any other
// brace text is kept as written. Used for `mqtt:` topics and `message:` texts.
std::string expand_alert_template(std::string_view text_template, const AlertEvent& event);

// The message of an event whose rule has no `message:`, e.g. "pressure of boiler-1 is 8.7 >
// 8.5" or "no temp from hall-3 for 2m". Reads every field of `event` except message.
std::string default_alert_message(const config::RuleConfig& rule, const AlertEvent& event);

// "8.7", "0.333333", "1e+06": up to 6 significant digits, for texts read by people.
std::string format_alert_number(double value);

// ">", ">=", "<", "<=", "==", "!=".
std::string_view compare_op_text(config::CompareOp op);

}  // namespace sensorgate::rules
