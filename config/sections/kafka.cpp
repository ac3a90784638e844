// Key table of the kafka section: brokers, topics, librdkafka properties and secret files.
#include <algorithm>
#include <array>

#include "config/sections.hpp"
#include "core/host_port.hpp"

namespace sensorgate::config {
namespace {

// Properties the gateway sets from its own keys; setting them again would be ambiguous.
constexpr std::array<std::pair<std::string_view, std::string_view>, 2> kOwnedProperties{
    {{"bootstrap.servers", "kafka.brokers"},
     {"transactional.id", "gateway.id (with kafka.delivery: exactly_once)"}}};

constexpr std::array<EnumName<KafkaDelivery>, 2> kDelivery{
    {{"at_least_once", KafkaDelivery::kAtLeastOnce},
     {"exactly_once", KafkaDelivery::kExactlyOnce}}};

// Properties whose values are secrets (librdkafka marks them sensitive): they belong in
// kafka.secrets, read from a file, so that the config file can be shared and shown by `check`.
constexpr std::array<std::string_view, 6> kSensitiveProperties{"sasl.password",
                                                               "ssl.key.password",
                                                               "ssl.key.pem",
                                                               "ssl.keystore.password",
                                                               "sasl.oauthbearer.client.secret",
                                                               "sasl.oauthbearer.config"};

bool is_sensitive(std::string_view key) {
  return std::find(kSensitiveProperties.begin(), kSensitiveProperties.end(), key) !=
             kSensitiveProperties.end() ||
         key.find("password") != std::string_view::npos ||
         key.find("secret") != std::string_view::npos;
}

// One bootstrap broker: host:port or host, optionally after a protocol ("SSL://host:9093"), as
// librdkafka reads bootstrap.servers.
bool is_broker(std::string_view text) {
  if (const std::size_t scheme = text.find("://"); scheme != std::string_view::npos) {
    text.remove_prefix(scheme + 3);
  }
  if (text.empty()) return false;
  const bool has_port = text.back() != ']' && text.find(':') != std::string_view::npos;
  return parse_host_port(has_port ? std::string(text) : std::string(text) + ":9092").has_value();
}

// "host:port,host:port": every entry a broker, none empty.
bool is_broker_list(std::string_view text) {
  if (text.empty()) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string_view entry = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (!is_broker(entry)) return false;
    if (comma == std::string_view::npos) return true;
    start = comma + 1;
  }
}
const TextRule kBrokerList{"brokers as host:port,host:port (no spaces)", is_broker_list};

template <class Pairs>
bool contains(const Pairs& pairs, const std::string& key) {
  return std::any_of(pairs.begin(), pairs.end(), [&](const auto& p) { return p.first == key; });
}

void parse_properties(Reader& reader, const YAML::Node& node, const std::string& path,
                      KafkaSection& out) {
  auto entries = reader.entries(node, path);
  if (!entries) return;
  for (const Entry& entry : *entries) {
    const std::string key_path = join_path(path, entry.key);
    auto owned = std::find_if(kOwnedProperties.begin(), kOwnedProperties.end(),
                              [&](const auto& p) { return p.first == entry.key; });
    if (owned != kOwnedProperties.end()) {
      reader.error(entry.key_node.Mark(), key_path,
                   "set by " + std::string(owned->second) + "; remove it here");
      continue;
    }
    if (is_sensitive(entry.key)) {
      reader.error(entry.key_node.Mark(), key_path,
                   "is a secret and may not be written in the config; put it in a file (mode "
                   "600) and name the file under kafka.secrets: {" +
                       entry.key + ": /etc/sensorgate/" + entry.key + "}");
      continue;
    }
    if (contains(out.secrets, entry.key)) {
      reader.error(entry.key_node.Mark(), key_path,
                   "also set in kafka.secrets; keep it in one place");
      continue;
    }
    if (auto value = reader.text(entry.value, key_path)) {
      out.properties.emplace_back(entry.key, *value);
    }
  }
}

void parse_secrets(Reader& reader, const YAML::Node& node, const std::string& path,
                   KafkaSection& out) {
  auto entries = reader.entries(node, path);
  if (!entries) return;
  for (const Entry& entry : *entries) {
    const std::string key_path = join_path(path, entry.key);
    if (contains(out.properties, entry.key)) {
      reader.error(entry.key_node.Mark(), key_path,
                   "also set in kafka.properties; keep it in one place");
      continue;
    }
    auto file = reader.file_path(entry.value, key_path);
    if (!file) continue;
    out.secrets.emplace_back(entry.key, *file);
    if (auto value = reader.secret(entry.value, key_path, *file)) {
      out.secret_values.emplace_back(entry.key, *value);
    }
  }
}

template <class Pairs, class Show>
std::string show_pairs(const Pairs& pairs, std::string_view separator, Show show) {
  std::string out;
  for (const auto& [key, value] : pairs) {
    if (!out.empty()) out += ", ";
    out += key + std::string(separator) + show(value);
  }
  return out;
}

}  // namespace

const KeyTable<KafkaSection>& kafka_keys() {
  using S = KafkaSection;
  static const KeyTable<S> table{
      text_key("brokers", &S::brokers, "Bootstrap brokers, \"host:port,host:port\".", kBrokerList)
          .required(),
      text_key("topic", &S::topic, "Topic of readings, unless a source names its own."),
      text_key("alerts_topic", &S::alerts_topic, "Topic of alert events."),
      make_key<S>(
          "properties", "mapping",
          "librdkafka properties passed as they are, in file order (e.g. compression.type: lz4); "
          "they override the gateway's defaults linger.ms 50, socket.keepalive.enable true and "
          "log.connection.close false.",
          parse_properties,
          [](const S& s) {
            return show_pairs(s.properties, "=", [](const std::string& v) { return v; });
          }),
      make_key<S>("secrets", "mapping",
                  "librdkafka property -> file holding its value (e.g. sasl.password: "
                  "/etc/sensorgate/kafka.password); the file should be mode 600. Values never "
                  "appear inline in the config.",
                  parse_secrets,
                  [](const S& s) {
                    return show_pairs(s.secrets, " from ",
                                      [](const std::filesystem::path& p) { return p.string(); });
                  }),
      integer_key("max_in_flight", &S::max_in_flight, 1, 10000000,
                  "Rows handed to the producer and not yet reported delivered."),
      duration_key("flush_timeout", &S::flush_timeout, "Bound of the final flush at stop."),
      duration_key("unreachable_alert_after", &S::unreachable_alert_after,
                   "Raise the kafka_unreachable alert after the brokers were unreachable this "
                   "long."),
      enum_key("delivery", &S::delivery, kDelivery,
               "at_least_once: idempotent producer; after a crash, rows in flight may arrive "
               "twice (same gateway and seq headers). exactly_once: transactions with the "
               "gateway's progress; consumers with isolation.level=read_committed see each "
               "reading once. See docs/kafka.md."),
      integer_key("transaction_rows", &S::transaction_rows, 1, 1000000,
                  "exactly_once: a transaction ends after this many rows at the latest."),
      duration_key("transaction_interval", &S::transaction_interval,
                   "exactly_once: a transaction ends this long after its first row at the "
                   "latest (the added latency)."),
      text_key("progress_topic", &S::progress_topic,
               "exactly_once: compacted topic keeping each gateway's highest committed seq "
               "(created when missing)."),
  };
  return table;
}

}  // namespace sensorgate::config
