#include "adapters/http/http_type.hpp"

#include "adapters/http/http_adapter.hpp"

namespace sensorgate::http {

std::unique_ptr<adapters::Adapter> create_adapter(const config::AdapterConfig& adapter,
                                                  const adapters::AdapterEnvironment& environment) {
  return std::make_unique<HttpAdapter>(adapter.name, config::settings_of<HttpSettings>(adapter),
                                       environment.clock);
}

}  // namespace sensorgate::http
