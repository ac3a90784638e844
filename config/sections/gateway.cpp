// Key tables of the small sections: gateway and buffer.
#include <algorithm>
#include <array>

#include "config/sections.hpp"
#include "core/utf8.hpp"

namespace sensorgate::config {
namespace {

constexpr std::array<std::string_view, 4> kLogLevels{"debug", "info", "warning", "error"};
constexpr std::array<EnumName<OnFull>, 2> kOnFull{
    {{"drop_oldest", OnFull::kDropOldest}, {"reject", OnFull::kReject}}};
constexpr std::array<EnumName<Durability>, 2> kDurability{
    {{"process", Durability::kProcess}, {"power", Durability::kPower}}};

// The id goes into Kafka headers, JSON alert events and MQTT client ids, which all need UTF-8.
bool is_gateway_id(std::string_view text) {
  return !text.empty() && text.size() <= 200 && is_valid_utf8(text) &&
         std::none_of(text.begin(), text.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x20; });
}
const TextRule kGatewayId{"UTF-8 text of 1 to 200 bytes without control characters", is_gateway_id};

}  // namespace

const KeyTable<GatewaySection>& gateway_keys() {
  using S = GatewaySection;
  static const KeyTable<S> table{
      text_key("id", &S::id,
               "Names this gateway in every Kafka record and alert, and in MQTT client ids.",
               kGatewayId)
          .by_default("the host name"),
      path_key("data_dir", &S::data_dir, "Directory of the buffer database."),
      word_choice_key("log_level", &S::log_level, kLogLevels,
                      "Least severe log lines written to stderr (the journal)."),
  };
  return table;
}

const KeyTable<BufferSection>& buffer_keys() {
  using S = BufferSection;
  static const KeyTable<S> table{
      size_key("max_bytes", &S::max_bytes, "Cap on the buffer database's size."),
      enum_key("on_full", &S::on_full, kOnFull,
               "At the cap: drop_oldest deletes the oldest undelivered readings (counted); reject "
               "refuses new ones, so sources that can wait (MQTT QoS 1) are not acknowledged."),
      enum_key("durability", &S::durability, kDurability,
               "process: a commit survives a crash of the gateway; power: it also survives a "
               "power cut (fsync on every commit, slower)."),
      duration_key("commit_interval", &S::commit_interval,
                   "Longest a reading waits before its group commit."),
      integer_key("commit_max_rows", &S::commit_max_rows, 1, 1000000,
                  "A group commit happens at this many rows at the latest."),
      path_key("path", &S::path, "The buffer database file.").by_default("<data_dir>/buffer.db"),
  };
  return table;
}

}  // namespace sensorgate::config
