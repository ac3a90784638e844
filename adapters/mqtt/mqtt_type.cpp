#include "adapters/mqtt/mqtt_type.hpp"

#include "adapters/mqtt/mqtt_adapter.hpp"

namespace sensorgate::mqtt {

std::unique_ptr<adapters::Adapter> create_adapter(const config::AdapterConfig& adapter,
                                                  const adapters::AdapterEnvironment& environment) {
  MqttSettings settings = config::settings_of<MqttSettings>(adapter);
  settings.client_id = effective_client_id(settings, adapter, environment.config);
  settings.inflight_file = environment.config.gateway.data_dir / (adapter.name + ".inflight");
  return std::make_unique<MqttAdapter>(adapter.name, std::move(settings), environment.clock);
}

}  // namespace sensorgate::mqtt
