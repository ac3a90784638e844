// AdapterSyntax: what the config loader needs to know of one adapter type, and nothing more. The
// adapter folders (adapters/<type>/) define one each, next to their settings and key tables; the
// one table of adapter types (adapters/adapter_types.hpp) hands them to load_config. config/
// itself knows no protocol by name. Rows are constants; every function is pure and thread-safe.
#pragma once

#include <any>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/config.hpp"
#include "config/key_table.hpp"
#include "config/yaml_reader.hpp"

namespace sensorgate::config {

// The device and metric names one mapping can produce, as globs (see config/rule_reach.hpp).
struct ReadingShape {
  std::string device;
  std::string metric;
};

// One table of the config reference (docs/configuration.md).
struct DocTable {
  std::string heading;  // "#### adapters[].subscriptions[]"
  std::string intro;
  std::vector<KeyDoc> keys;
};

struct AdapterSyntax {
  std::string_view name;  // the value of `type:`
  // Parses and validates the type's keys of the adapter mapping `node` (whose `name` and `type`
  // are handled already; allow them with kAdapterCommonKeys). Reports every problem through
  // `reader` and returns the typed settings, which only this type's own functions read.
  std::any (*parse)(Reader& reader, const YAML::Node& node, const std::string& path);
  // The type's key table and the tables of its nested keys, for the reference.
  std::vector<DocTable> (*docs)();
  // The effective values for `check`, as "key=value" items.
  std::vector<std::string> (*summary)(const AdapterConfig& adapter, const Config& config);
  // What readings the adapter can produce; {"*", "*"} when the source names them itself.
  std::vector<ReadingShape> (*shapes)(const AdapterConfig& adapter);
};

// The keys every adapter has besides those of its type.
inline constexpr std::array<std::string_view, 2> kAdapterCommonKeys{"name", "type"};

// The settings `parse` returned, as their own type. Only the functions of the type that parsed
// them call this, so the type always matches (std::any_cast throws std::bad_any_cast otherwise).
template <class Settings>
const Settings& settings_of(const AdapterConfig& adapter) {
  return std::any_cast<const Settings&>(adapter.settings);
}

}  // namespace sensorgate::config
