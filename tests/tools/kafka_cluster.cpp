// kafka_cluster: a Kafka-protocol cluster on loopback for tests, benches and the demo. It serves
// librdkafka's mock cluster (librdkafka/rdkafka_mock.h): N brokers on 127.0.0.1, topics created
// up front, idempotent producer support, and fault injection driven from stdin. Clients talk
// to it over TCP exactly as to a real cluster; nothing in the gateway knows it is a mock.
//
//   kafka_cluster --brokers 3 --topic sensors.readings:6 --topic sensors.alerts:3
//
// The first line on stdout is `bootstrap <host:port,...>`. Then one command per stdin line,
// each answered by one line, `ok` or `error <why>`:
//   broker down <id|all>          close the broker's connections and refuse new ones
//   broker up <id|all>            accept connections again
//   produce-errors <count> <NAME> fail the next <count> Produce requests with the error NAME
//                                 (e.g. NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT)
//   rtt <id|all> <ms>             delay every response of the broker by <ms>
// Runs until SIGTERM, SIGINT or end of stdin. Broker ids are 1..N.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

volatile std::sig_atomic_t g_stop = 0;

struct TopicSpec {
  std::string name;
  int partitions = 1;
};

// "name:partitions" -> TopicSpec.
std::optional<TopicSpec> parse_topic(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  TopicSpec spec{text.substr(0, colon)};
  try {
    std::size_t used = 0;
    spec.partitions = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || spec.partitions < 1) return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return spec;
}

// A Kafka error name as the protocol spells it ("NOT_LEADER_FOR_PARTITION") -> librdkafka code.
std::optional<rd_kafka_resp_err_t> error_by_name(const std::string& name) {
  const rd_kafka_err_desc* descriptions = nullptr;
  size_t count = 0;
  rd_kafka_get_err_descs(&descriptions, &count);
  for (size_t i = 0; i < count; ++i) {
    if (descriptions[i].name != nullptr && name == descriptions[i].name) {
      return descriptions[i].code;
    }
  }
  return std::nullopt;
}

class Cluster {
 public:
  Cluster(rd_kafka_mock_cluster_t* mock, int brokers) : mock_(mock), brokers_(brokers) {}

  // Runs one command line; returns "ok" or "error <why>".
  std::string execute(const std::string& line) {
    std::istringstream words(line);
    std::string verb;
    words >> verb;
    std::vector<std::string> args;
    for (std::string word; words >> word;) args.push_back(word);

    if (verb == "broker" && args.size() == 2 && (args[0] == "down" || args[0] == "up")) {
      const bool down = args[0] == "down";
      return for_brokers(args[1], [&](int id) {
        return down ? rd_kafka_mock_broker_set_down(mock_, id)
                    : rd_kafka_mock_broker_set_up(mock_, id);
      });
    }
    if (verb == "produce-errors" && args.size() == 2) {
      const auto count = parse_int(args[0]);
      if (!count || *count < 1) return "error count must be a positive number";
      const auto error = error_by_name(args[1]);
      if (!error) return "error unknown Kafka error name " + args[1];
      constexpr int16_t kProduceApiKey = 0;
      std::vector<rd_kafka_resp_err_t> errors(static_cast<std::size_t>(*count), *error);
      rd_kafka_mock_push_request_errors_array(mock_, kProduceApiKey, errors.size(), errors.data());
      return "ok";
    }
    if (verb == "rtt" && args.size() == 2) {
      const auto milliseconds = parse_int(args[1]);
      if (!milliseconds || *milliseconds < 0) return "error rtt must be milliseconds >= 0";
      return for_brokers(
          args[0], [&](int id) { return rd_kafka_mock_broker_set_rtt(mock_, id, *milliseconds); });
    }
    return "error unknown command; expected: broker down|up <id|all>, "
           "produce-errors <count> <ERROR_NAME>, rtt <id|all> <ms>";
  }

 private:
  static std::optional<int> parse_int(const std::string& text) {
    try {
      std::size_t used = 0;
      const int value = std::stoi(text, &used);
      if (used != text.size()) return std::nullopt;
      return value;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }

  template <class Action>
  std::string for_brokers(const std::string& which, Action action) {
    int first = 1;
    int last = brokers_;
    if (which != "all") {
      const auto id = parse_int(which);
      if (!id || *id < 1 || *id > brokers_) {
        return "error broker id must be 1.." + std::to_string(brokers_) + " or all";
      }
      first = last = *id;
    }
    for (int id = first; id <= last; ++id) {
      const rd_kafka_resp_err_t error = action(id);
      if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return "error broker " + std::to_string(id) + ": " + rd_kafka_err2str(error);
      }
    }
    return "ok";
  }

  rd_kafka_mock_cluster_t* mock_;
  int brokers_;
};

// Reads stdin line by line and answers each command, until EOF or a stop signal.
void serve_commands(Cluster& cluster) {
  std::string pending;
  while (g_stop == 0) {
    pollfd descriptor{STDIN_FILENO, POLLIN, 0};
    // A short timeout so a signal that arrives between checks is seen promptly.
    const int ready = ::poll(&descriptor, 1, 200);
    if (ready < 0 && errno != EINTR) return;
    if (ready <= 0) continue;
    char chunk[1024];
    const ssize_t count = ::read(STDIN_FILENO, chunk, sizeof chunk);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) return;  // EOF: whoever started us is gone
    pending.append(chunk, static_cast<std::size_t>(count));
    for (auto newline = pending.find('\n'); newline != std::string::npos;
         newline = pending.find('\n')) {
      const std::string line = pending.substr(0, newline);
      pending.erase(0, newline + 1);
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      std::printf("%s\n", cluster.execute(line).c_str());
      std::fflush(stdout);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Serves a Kafka-protocol cluster (librdkafka's mock) on 127.0.0.1"};
  int brokers = 3;
  std::vector<std::string> topic_texts;
  app.add_option("--brokers", brokers, "number of brokers")->check(CLI::Range(1, 16));
  app.add_option("--topic", topic_texts, "topic to create, name:partitions (repeatable)");
  CLI11_PARSE(app, argc, argv);
  if (topic_texts.empty()) topic_texts = {"sensors.readings:6", "sensors.alerts:3"};
  std::vector<TopicSpec> topics;
  for (const std::string& text : topic_texts) {
    const auto spec = parse_topic(text);
    if (!spec) {
      std::fprintf(stderr, "kafka_cluster: --topic %s: expected name:partitions\n", text.c_str());
      return 2;
    }
    topics.push_back(*spec);
  }

  struct sigaction action {};
  action.sa_handler = [](int) { g_stop = 1; };
  ::sigaction(SIGTERM, &action, nullptr);
  ::sigaction(SIGINT, &action, nullptr);

  // The mock cluster lives inside a client handle; this producer is never used to produce.
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // log_level 4 hides the notice that this handle has no bootstrap.servers of its own.
  if (rd_kafka_conf_set(conf, "client.id", "kafka_cluster", error, sizeof error) !=
          RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "log_level", "4", error, sizeof error) != RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "kafka_cluster: %s\n", error);
    return 1;
  }
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (handle == nullptr) {
    std::fprintf(stderr, "kafka_cluster: %s\n", error);
    return 1;
  }
  rd_kafka_mock_cluster_t* mock = rd_kafka_mock_cluster_new(handle, brokers);
  if (mock == nullptr) {
    std::fprintf(stderr, "kafka_cluster: could not create the mock cluster\n");
    rd_kafka_destroy(handle);
    return 1;
  }
  const int replication = std::min(brokers, 3);
  for (const TopicSpec& topic : topics) {
    const rd_kafka_resp_err_t created =
        rd_kafka_mock_topic_create(mock, topic.name.c_str(), topic.partitions, replication);
    if (created != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::fprintf(stderr, "kafka_cluster: creating topic %s: %s\n", topic.name.c_str(),
                   rd_kafka_err2str(created));
      rd_kafka_mock_cluster_destroy(mock);
      rd_kafka_destroy(handle);
      return 1;
    }
  }

  std::printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(mock));
  std::fflush(stdout);

  Cluster cluster(mock, brokers);
  serve_commands(cluster);

  rd_kafka_mock_cluster_destroy(mock);
  rd_kafka_destroy(handle);
  return 0;
}
