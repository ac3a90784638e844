#include "adapters/modbus/modbus_type.hpp"

#include "adapters/modbus/modbus_adapter.hpp"

namespace sensorgate::modbus {

std::unique_ptr<adapters::Adapter> create_adapter(const config::AdapterConfig& adapter,
                                                  const adapters::AdapterEnvironment& environment) {
  return std::make_unique<ModbusAdapter>(adapter.name, config::settings_of<ModbusSettings>(adapter),
                                         environment.clock);
}

}  // namespace sensorgate::modbus
