#include "gateway/adapter_table.hpp"

#include <array>
#include <string_view>

#include "adapters/mqtt/mqtt_adapter.hpp"

namespace sensorgate::gateway {
namespace {

struct AdapterType {
  std::string_view name;
  std::unique_ptr<adapters::Adapter> (*create)(const config::AdapterConfig&, adapters::ReadingSink&,
                                               const Clock&);
  Status<AdapterTableError> (*reload)(adapters::Adapter&, const config::AdapterConfig&);
  bool (*publish)(adapters::Adapter&, const std::string&, const std::string&);
};

std::unique_ptr<adapters::Adapter> create_mqtt(const config::AdapterConfig& config,
                                               adapters::ReadingSink& sink, const Clock& clock) {
  return std::make_unique<mqtt::MqttAdapter>(
      config.name, std::get<config::MqttAdapter>(config.settings), sink, clock);
}

Status<AdapterTableError> reload_mqtt(adapters::Adapter& adapter,
                                      const config::AdapterConfig& config) {
  auto& mqtt_adapter = static_cast<mqtt::MqttAdapter&>(adapter);
  const auto reloaded = mqtt_adapter.reload(std::get<config::MqttAdapter>(config.settings));
  if (!reloaded.ok())
    return make_error(AdapterTableError::kReloadRefused, reloaded.error().message);
  return {};
}

bool publish_mqtt(adapters::Adapter& adapter, const std::string& topic,
                  const std::string& payload) {
  return static_cast<mqtt::MqttAdapter&>(adapter).publish(topic, payload, 1).ok();
}

constexpr std::array kAdapterTypes{
    AdapterType{"mqtt", create_mqtt, reload_mqtt, publish_mqtt},
};

const AdapterType* find_type(std::string_view name) {
  for (const auto& type : kAdapterTypes) {
    if (type.name == name) return &type;
  }
  return nullptr;
}

std::string supported_types() {
  std::string names;
  for (const auto& type : kAdapterTypes)
    names += (names.empty() ? "" : ", ") + std::string(type.name);
  return names;
}

}  // namespace

Result<std::unique_ptr<adapters::Adapter>, AdapterTableError> create_adapter(
    const config::AdapterConfig& config, adapters::ReadingSink& sink, const Clock& clock) {
  const AdapterType* type = find_type(config.type);
  if (type == nullptr) {
    return make_error(
        AdapterTableError::kUnsupportedType,
        "adapters: " + config.name + ": type " + config.type +
            " is not available in this build of sensorgate (available: " + supported_types() + ")");
  }
  return type->create(config, sink, clock);
}

Status<AdapterTableError> reload_adapter(adapters::Adapter& adapter,
                                         const config::AdapterConfig& config) {
  const AdapterType* type = find_type(config.type);
  if (type == nullptr) {
    return make_error(AdapterTableError::kUnsupportedType,
                      "type " + config.type + " is not available in this build");
  }
  return type->reload(adapter, config);
}

std::function<bool(const std::string&, const std::string&)> local_publisher(
    adapters::Adapter& adapter, const config::AdapterConfig& config) {
  const AdapterType* type = find_type(config.type);
  if (type == nullptr || type->publish == nullptr) return {};
  return [&adapter, publish = type->publish](const std::string& topic, const std::string& payload) {
    return publish(adapter, topic, payload);
  };
}

}  // namespace sensorgate::gateway
