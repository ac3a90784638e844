#include "tests/support/kafka_cluster.hpp"

#include <cstdio>
#include <stdexcept>

namespace sensorgate::testing {

KafkaCluster::KafkaCluster(KafkaClusterOptions options) {
  std::vector<std::string> argv = {SENSORGATE_BINARY_DIR "/tests/tools/kafka_cluster", "--brokers",
                                   std::to_string(options.brokers)};
  for (const std::string& topic : options.topics) {
    argv.push_back("--topic");
    argv.push_back(topic);
  }
  SubprocessOptions subprocess_options;
  subprocess_options.pipe_stdin = true;
  process_ = std::make_unique<Subprocess>(std::move(argv), subprocess_options);
  const auto line = process_->read_line(std::chrono::seconds(10));
  const std::string prefix = "bootstrap ";
  if (!line || line->rfind(prefix, 0) != 0) {
    throw std::runtime_error("kafka_cluster did not print its bootstrap line" +
                             (line ? ": " + *line : std::string()));
  }
  bootstrap_ = line->substr(prefix.size());
}

bool KafkaCluster::command(const std::string& text) {
  if (!process_->write_stdin(text + "\n")) return false;
  const auto answer = process_->read_line(std::chrono::seconds(5));
  if (answer && *answer == "ok") return true;
  std::fprintf(stderr, "kafka_cluster: %s: %s\n", text.c_str(),
               answer ? answer->c_str() : "no answer");
  return false;
}

}  // namespace sensorgate::testing
