// config_reference: prints the config reference generated from the key tables.
// Regenerate the docs with: config_reference > docs/configuration.md
#include <iostream>

#include "config/loader.hpp"

int main() {
  std::cout << sensorgate::config::render_reference_markdown();
  return std::cout ? 0 : 1;
}
