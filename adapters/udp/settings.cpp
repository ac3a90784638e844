// Key table of the udp adapter.
#include "adapters/udp/settings.hpp"

#include <array>

namespace sensorgate::udp {
namespace {

constexpr std::array<config::EnumName<LineFormat>, 1> kLineFormats{
    {{"influx_line", LineFormat::kInfluxLine}}};

const config::KeyTable<UdpSettings>& udp_keys() {
  using S = UdpSettings;
  static const config::KeyTable<S> table{
      config::text_key("listen", &S::listen, "Address to receive datagrams on.",
                       config::kListenAddress),
      config::enum_key("format", &S::format, kLineFormats, "Datagram format."),
      config::text_key("topic", &S::topic, "Kafka topic of these readings; unset: kafka.topic.",
                       config::kAnyText),
  };
  return table;
}

}  // namespace

std::any parse_settings(config::Reader& reader, const YAML::Node& node, const std::string& path) {
  UdpSettings udp;
  config::parse_mapping(reader, node, path, udp_keys(), udp, std::span(config::kAdapterCommonKeys));
  return udp;
}

std::vector<config::DocTable> settings_docs() {
  return {{"### type: udp", "Receives InfluxDB line protocol datagrams.",
           config::key_docs(udp_keys())}};
}

std::vector<std::string> settings_summary(const config::AdapterConfig& adapter,
                                          const config::Config&) {
  return config::summary_items(udp_keys(), config::settings_of<UdpSettings>(adapter));
}

std::vector<config::ReadingShape> reading_shapes(const config::AdapterConfig&) {
  return {{"*", "*"}};  // datagrams name devices and metrics themselves
}

}  // namespace sensorgate::udp
