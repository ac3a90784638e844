// Fuzz target: the MQTT payload mapping (adapters/mqtt/mapping.hpp) on fixed subscriptions. The
// first byte picks the topic and so the subscription ('0' to '4'; other bytes wrap around), the
// rest is the payload:
//   '0' fields/dev-1   json with metrics: t (°C) and s.h, timestamp field ts (auto unit)
//   '1' plain/dev-1    json without metrics: metric/value/tags objects or numeric fields
//   '2' list/dev-1     json list at readings_field data, timestamp ts in ms, constant tag
//   '3' line/dev-1     influx line protocol, device fallback from the topic
//   '4' number/dev-1/t a bare number
// Beyond not crashing (a deep payload must not overflow the stack): every reading is valid
// (tests/fuzz/fuzz_check.hpp), and a rejected payload says why.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/mqtt/mapping.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace sensorgate;
using mqtt::PayloadFormat;

namespace {

mqtt::Subscription subscription(std::string filter, PayloadFormat payload) {
  mqtt::Subscription sub;
  sub.filter = std::move(filter);
  sub.payload = payload;
  return sub;
}

mqtt::Mapping make_mapping() {
  auto fields = subscription("fields/+", PayloadFormat::kJson);
  fields.device = "{1}";
  fields.metrics = {{"temp", "t", "°C"}, {"hum", "s.h", "%"}};
  fields.timestamp.field = "ts";
  auto plain = subscription("plain/+", PayloadFormat::kJson);
  plain.device = "{1}";
  auto list = subscription("list/+", PayloadFormat::kJson);
  list.device = "{1}";
  list.readings_field = "data";
  list.timestamp = {"ts", formats::TimestampUnit::kMilliseconds};
  list.tags = {{"site", "{1}"}};
  auto line = subscription("line/+", PayloadFormat::kLine);
  line.device = "{1}";
  auto number = subscription("number/+/+", PayloadFormat::kNumber);
  number.device = "{1}";
  number.metric = "{2}";
  auto mapping = mqtt::Mapping::create({fields, plain, list, line, number});
  if (!mapping.ok()) {
    std::fprintf(stderr, "mqtt_mapping_fuzz: %s\n", mapping.error().message.c_str());
    std::abort();
  }
  return std::move(mapping).value();
}

constexpr std::array<std::string_view, 5> kTopics = {"fields/dev-1", "plain/dev-1", "list/dev-1",
                                                     "line/dev-1", "number/dev-1/t"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const mqtt::Mapping mapping = make_mapping();
  if (size == 0) return 0;
  // '0' picks the first topic, '1' the second, ...; any other byte one of them too.
  const std::size_t pick = static_cast<std::uint8_t>(data[0] - '0') % kTopics.size();
  const auto readings =
      mapping.map(kTopics[pick], fuzz::as_text(data + 1, size - 1), 1'800'000'000'000'000'000);
  if (!readings.ok()) {
    FUZZ_CHECK(!readings.error().message.empty(), "a reject without a message");
    FUZZ_CHECK(readings.error().code != adapters::RejectReason::kNoMapping,
               "a fixed topic matches no subscription");
    return 0;
  }
  for (const Reading& reading : *readings) fuzz::check_reading(reading);
  return 0;
}
