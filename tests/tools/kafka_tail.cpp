// kafka_tail: prints the newest records of a Kafka topic with their partition, offset, key,
// headers and value, the way a consumer downstream of sensorgate sees them. It teaches the
// librdkafka consumer without a consumer group: read the topic's partitions from metadata,
// assign each one at "N from the end", poll until N records per partition or a timeout.
//
//   kafka_tail --bootstrap 127.0.0.1:40123 --topic sensors.climate --count 5
#include <librdkafka/rdkafka.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

namespace {

struct KafkaDeleter {
  void operator()(rd_kafka_t* handle) const {
    rd_kafka_consumer_close(handle);
    rd_kafka_destroy(handle);
  }
};

void print_record(const rd_kafka_message_t* message) {
  std::string headers_text;
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name;
    const void* value;
    size_t size;
    for (size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      headers_text +=
          std::string(" ") + name + "=" + std::string(static_cast<const char*>(value), size);
    }
  }
  std::printf("partition %d offset %lld key %.*s headers%s\n  %.*s\n", message->partition,
              static_cast<long long>(message->offset), static_cast<int>(message->key_len),
              static_cast<const char*>(message->key), headers_text.c_str(),
              static_cast<int>(message->len), static_cast<const char*>(message->payload));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Prints the newest records of a Kafka topic"};
  std::string bootstrap;
  std::string topic;
  int count = 5;
  int timeout_ms = 5000;
  app.add_option("--bootstrap", bootstrap, "bootstrap servers host:port,...")->required();
  app.add_option("--topic", topic, "topic to read")->required();
  app.add_option("--count", count, "records to print (newest, across partitions)")
      ->check(CLI::Range(1, 100000));
  app.add_option("--timeout-ms", timeout_ms, "give up after this long");
  CLI11_PARSE(app, argc, argv);

  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof error) !=
          RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "group.id", "kafka-tail", error, sizeof error) != RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "enable.auto.commit", "false", error, sizeof error) !=
          RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "enable.partition.eof", "true", error, sizeof error) !=
          RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "kafka_tail: %s\n", error);
    return 2;
  }
  std::unique_ptr<rd_kafka_t, KafkaDeleter> consumer(
      rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error));
  if (!consumer) {
    std::fprintf(stderr, "kafka_tail: %s\n", error);
    return 1;
  }

  // The partitions of the topic, from the cluster's metadata.
  rd_kafka_topic_t* topic_handle = rd_kafka_topic_new(consumer.get(), topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t metadata_error =
      rd_kafka_metadata(consumer.get(), 0, topic_handle, &metadata, timeout_ms);
  rd_kafka_topic_destroy(topic_handle);
  if (metadata_error != RD_KAFKA_RESP_ERR_NO_ERROR || metadata->topic_cnt != 1 ||
      metadata->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::fprintf(
        stderr, "kafka_tail: no metadata for topic %s: %s\n", topic.c_str(),
        rd_kafka_err2str(metadata_error != RD_KAFKA_RESP_ERR_NO_ERROR ? metadata_error
                                                                      : metadata->topics[0].err));
    if (metadata) rd_kafka_metadata_destroy(metadata);
    return 1;
  }
  const int partitions = metadata->topics[0].partition_cnt;
  rd_kafka_metadata_destroy(metadata);

  // Each partition from `count` before its end: enough to find the newest `count` overall.
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(partitions);
  for (int partition = 0; partition < partitions; ++partition) {
    rd_kafka_topic_partition_list_add(assignment, topic.c_str(), partition)->offset =
        RD_KAFKA_OFFSET_TAIL(count);
  }
  rd_kafka_assign(consumer.get(), assignment);
  rd_kafka_topic_partition_list_destroy(assignment);

  int printed = 0;
  int partitions_at_end = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (printed < count && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer.get(), 100);
    if (message == nullptr) {
      if (partitions_at_end == partitions) break;
      continue;
    }
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      ++partitions_at_end;
    } else if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::fprintf(stderr, "kafka_tail: %s\n", rd_kafka_message_errstr(message));
    } else {
      print_record(message);
      ++printed;
    }
    rd_kafka_message_destroy(message);
  }
  if (printed == 0) std::printf("(no records in %s)\n", topic.c_str());
  return 0;
}
