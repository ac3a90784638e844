// The settings of one http adapter (readings POSTed as JSON or line protocol) and their key
// table. Parsed by the config loader through the AdapterSyntax of http_type.hpp; immutable after.
#pragma once

#include <any>
#include <chrono>
#include <filesystem>
#include <string>

#include "config/adapter_syntax.hpp"
#include "core/units.hpp"

namespace sensorgate::http {

struct HttpSettings {
  std::string listen = "127.0.0.1:8080";
  std::filesystem::path token_file;  // empty: no token required
  std::string token;                 // read from token_file
  Bytes max_body = 4_MiB;
  std::string topic;
  // Threads that serve connections; each serves one connection (keep-alive included) at a time.
  int workers = 4;
  // Connections accepted at once, being served or waiting for a worker; further clients wait
  // in the kernel's listen queue until one closes.
  int max_connections = 64;
  // How long the server waits for the next bytes of a request, and for the next request on an
  // idle keep-alive connection, before it closes the connection. Whole seconds.
  std::chrono::nanoseconds read_timeout = std::chrono::seconds(5);
};

// The AdapterSyntax functions of the http type (see config/adapter_syntax.hpp).
std::any parse_settings(config::Reader& reader, const YAML::Node& node, const std::string& path);
std::vector<config::DocTable> settings_docs();
std::vector<std::string> settings_summary(const config::AdapterConfig& adapter,
                                          const config::Config& config);
std::vector<config::ReadingShape> reading_shapes(const config::AdapterConfig& adapter);

}  // namespace sensorgate::http
