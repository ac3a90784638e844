#include "adapters/adapter_types.hpp"

#include <array>

#include "adapters/http/http_type.hpp"
#include "adapters/modbus/modbus_type.hpp"
#include "adapters/mqtt/mqtt_type.hpp"
#include "adapters/udp/udp_type.hpp"

namespace sensorgate::adapters {
namespace {

// Adding a protocol: its folder, and one line here.
constexpr std::array kAdapterTypes{
    mqtt::kMqttType,
    modbus::kModbusType,
    http::kHttpType,
    udp::kUdpType,
};

constexpr auto kSyntaxes = [] {
  std::array<config::AdapterSyntax, kAdapterTypes.size()> syntaxes{};
  for (std::size_t i = 0; i < kAdapterTypes.size(); ++i) syntaxes[i] = kAdapterTypes[i].syntax;
  return syntaxes;
}();

}  // namespace

std::span<const AdapterType> adapter_types() {
  return kAdapterTypes;
}

std::span<const config::AdapterSyntax> adapter_syntaxes() {
  return kSyntaxes;
}

Result<std::unique_ptr<Adapter>, CreateError> create_adapter(
    const config::AdapterConfig& adapter, const AdapterEnvironment& environment) {
  for (const AdapterType& type : kAdapterTypes) {
    if (type.syntax.name != adapter.type) continue;
    return type.create(adapter, environment);
  }
  return make_error(CreateError::kUnknownType, "adapters: " + adapter.name + ": type " +
                                                   adapter.type +
                                                   " is not available in this build of sensorgate");
}

}  // namespace sensorgate::adapters
