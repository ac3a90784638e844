#include "gateway/config_check.hpp"

#include <librdkafka/rdkafka.h>

#include "adapters/adapter_types.hpp"
#include "gateway/daemon/forwarder_options.hpp"

namespace sensorgate::gateway {
namespace {

config::Diagnostic error_at(const config::Config& config, const std::string& key_path,
                            std::string message) {
  config::Diagnostic diagnostic;
  diagnostic.file = config.source;
  const config::SourceMark mark = config.mark_of(key_path);
  diagnostic.line = mark.line;
  diagnostic.column = mark.column;
  diagnostic.key_path = key_path;
  diagnostic.message = std::move(message);
  return diagnostic;
}

// build_producer_config's messages start with the key path; the diagnostic carries it apart.
std::string without_key_prefix(const std::string& message, const std::string& key_path) {
  const std::string prefix = key_path + ": ";
  return message.starts_with(prefix) ? message.substr(prefix.size()) : message;
}

// Each property on its own, so that every bad one is reported, not only the first.
void check_each_property(const config::Config& config, std::vector<config::Diagnostic>& out) {
  const kafka::ProducerSettings all = kafka::producer_settings_of(forwarder_options(config));
  auto check_one = [&](const std::string& key_path, kafka::ProducerSettings alone) {
    if (const auto built = kafka::build_producer_config(alone); !built.ok()) {
      out.push_back(
          error_at(config, key_path, without_key_prefix(built.error().message, key_path)));
    }
  };
  for (const auto& property : all.properties) {
    kafka::ProducerSettings alone = all;
    alone.properties = {property};
    alone.secret_values.clear();
    check_one("kafka.properties." + property.first, std::move(alone));
  }
  for (const auto& secret : all.secret_values) {
    kafka::ProducerSettings alone = all;
    alone.properties.clear();
    alone.secret_values = {secret};
    check_one("kafka.secrets." + secret.first, std::move(alone));
  }
}

// Settings that are fine alone may still not go together (max.in.flight above 5 with
// idempotence): librdkafka judges those only when it creates the client.
void check_whole_producer(const config::Config& config, std::vector<config::Diagnostic>& out) {
  kafka::ProducerSettings settings = kafka::producer_settings_of(forwarder_options(config));
  settings.brokers.clear();  // connect nowhere
  auto built = kafka::build_producer_config(settings);
  if (!built.ok()) return;  // reported per property
  rd_kafka_conf_t* conf = built.value().release();
  char error[512] = "";
  rd_kafka_conf_set(conf, "log_level", "0", error, sizeof error);
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (producer != nullptr) {
    rd_kafka_destroy(producer);
    return;
  }
  rd_kafka_conf_destroy(conf);
  out.push_back(error_at(config, "kafka.properties",
                         std::string("librdkafka refuses this producer configuration: ") + error));
}

config::LoadOutcome check_loaded(config::LoadOutcome outcome) {
  if (!outcome.ok()) return outcome;
  std::vector<config::Diagnostic> errors;
  check_each_property(*outcome.config, errors);
  if (errors.empty()) check_whole_producer(*outcome.config, errors);
  if (errors.empty()) return outcome;
  for (config::Diagnostic& error : errors) outcome.diagnostics.push_back(std::move(error));
  outcome.config.reset();
  return outcome;
}

}  // namespace

config::LoadOutcome load_checked_config(const std::filesystem::path& file) {
  return check_loaded(config::load_config(file, adapters::adapter_syntaxes()));
}

config::LoadOutcome load_checked_config_text(std::string_view yaml,
                                             const std::filesystem::path& name) {
  return check_loaded(config::load_config_text(yaml, name, adapters::adapter_syntaxes()));
}

}  // namespace sensorgate::gateway
