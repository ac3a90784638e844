// The settings of one udp adapter (influx line protocol datagrams) and their key table. Parsed
// by the config loader through the AdapterSyntax of udp_type.hpp; immutable after.
#pragma once

#include <any>
#include <string>

#include "adapters/formats/epoch_time.hpp"
#include "config/adapter_syntax.hpp"
#include "core/units.hpp"

namespace sensorgate::udp {

enum class LineFormat { kInfluxLine };

struct UdpSettings {
  std::string listen = "127.0.0.1:8094";
  LineFormat format = LineFormat::kInfluxLine;
  std::string topic;
  // The unit of the points' timestamps: ns, us, ms or s.
  formats::TimestampUnit precision = formats::TimestampUnit::kNanoseconds;
  // SO_RCVBUF: how much the kernel holds for the socket while the gateway is busy; datagrams
  // beyond it are dropped by the kernel (and counted as kernel_drop).
  Bytes receive_buffer = 4_MiB;
};

// The AdapterSyntax functions of the udp type (see config/adapter_syntax.hpp).
std::any parse_settings(config::Reader& reader, const YAML::Node& node, const std::string& path);
std::vector<config::DocTable> settings_docs();
std::vector<std::string> settings_summary(const config::AdapterConfig& adapter,
                                          const config::Config& config);
std::vector<config::ReadingShape> reading_shapes(const config::AdapterConfig& adapter);

}  // namespace sensorgate::udp
