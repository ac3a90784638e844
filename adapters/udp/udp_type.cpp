#include "adapters/udp/udp_type.hpp"

#include "adapters/udp/udp_adapter.hpp"

namespace sensorgate::udp {

std::unique_ptr<adapters::Adapter> create_adapter(const config::AdapterConfig& adapter,
                                                  const adapters::AdapterEnvironment& environment) {
  return std::make_unique<UdpAdapter>(adapter.name, config::settings_of<UdpSettings>(adapter),
                                      environment.clock);
}

}  // namespace sensorgate::udp
