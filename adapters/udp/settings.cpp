// Key table of the udp adapter.
#include "adapters/udp/settings.hpp"

#include <array>

namespace sensorgate::udp {
namespace {

constexpr std::array<config::EnumName<LineFormat>, 1> kLineFormats{
    {{"influx_line", LineFormat::kInfluxLine}}};

constexpr std::array<config::EnumName<formats::TimestampUnit>, 4> kPrecisions{{
    {"ns", formats::TimestampUnit::kNanoseconds},
    {"us", formats::TimestampUnit::kMicroseconds},
    {"ms", formats::TimestampUnit::kMilliseconds},
    {"s", formats::TimestampUnit::kSeconds},
}};

const config::KeyTable<UdpSettings>& udp_keys() {
  using S = UdpSettings;
  static const config::KeyTable<S> table{
      config::text_key("listen", &S::listen, "Address to receive datagrams on.",
                       config::kListenAddress),
      config::enum_key("format", &S::format, kLineFormats, "Datagram format."),
      config::text_key("topic", &S::topic, "Kafka topic of these readings; unset: kafka.topic.",
                       config::kAnyText),
      config::enum_key("precision", &S::precision, kPrecisions, "Unit of the points' timestamps."),
      config::size_key("receive_buffer", &S::receive_buffer,
                       "Socket receive buffer (SO_RCVBUF) that holds datagrams while the "
                       "gateway is busy; what overflows it is dropped by the kernel and counted "
                       "as kernel_drop. Linux caps it at net.core.rmem_max unless the "
                       "gateway may raise it (CAP_NET_ADMIN)."),
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
  return {{"### type: udp",
           "Receives InfluxDB line protocol datagrams, one or more lines each: device = tag "
           "`device`, metric = field key (a field named `value` takes the measurement name), "
           "other tags kept, ts = the point's timestamp. A bad line is rejected on its own; the "
           "good lines of the datagram are kept. UDP has no acknowledgement: a sender never "
           "learns whether a datagram arrived, so use HTTP where every reading matters. "
           "Datagrams the kernel drops (receive buffer full) are counted as the reject reason "
           "kernel_drop.",
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
