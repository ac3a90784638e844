// config_reference: prints the config reference generated from the key tables of the shared
// sections and of every adapter type. Regenerate the docs with:
//   <build>/gateway/config_reference > docs/configuration.md
#include <iostream>

#include "adapters/adapter_types.hpp"
#include "config/loader.hpp"

int main() {
  std::cout << sensorgate::config::render_reference_markdown(
      sensorgate::adapters::adapter_syntaxes());
  return std::cout ? 0 : 1;
}
