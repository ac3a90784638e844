// load_checked_config: the one config check that `sensorgate check` and `sensorgate run` share,
// so that check refuses everything run would refuse before it starts receiving. It loads the
// file with the table of adapter types (adapters/adapter_types.hpp) and then tries what only a
// library can judge: each kafka.properties / kafka.secrets entry on a scratch librdkafka
// configuration, and the whole producer configuration on a producer that connects nowhere.
// Thread-safe; reads the config and secret files, opens no socket.
#pragma once

#include <filesystem>

#include "config/loader.hpp"

namespace sensorgate::gateway {

// As config::load_config, plus the library checks above as error diagnostics pointing at the
// key they concern (file:line:column, key path, librdkafka's words).
config::LoadOutcome load_checked_config(const std::filesystem::path& file);

// The same for a text, as if read from `name` (tests).
config::LoadOutcome load_checked_config_text(std::string_view yaml,
                                             const std::filesystem::path& name);

}  // namespace sensorgate::gateway
