#include "tests/support/kafka_consumer.hpp"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cstdio>
#include <memory>

namespace sensorgate::testing {

namespace {

struct ConsumerDeleter {
  void operator()(rd_kafka_t* handle) const {
    rd_kafka_consumer_close(handle);
    rd_kafka_destroy(handle);
  }
};
using ConsumerHandle = std::unique_ptr<rd_kafka_t, ConsumerDeleter>;

ConsumerHandle make_consumer(const std::string& bootstrap) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::pair<const char*, const char*> settings[] = {
      {"bootstrap.servers", bootstrap.c_str()},
      {"group.id", "sensorgate-test-consumer"},
      {"enable.auto.commit", "false"},
      {"fetch.wait.max.ms", "20"},
      {"log_level", "3"},
  };
  for (const auto& [name, value] : settings) {
    if (rd_kafka_conf_set(conf, name, value, error, sizeof error) != RD_KAFKA_CONF_OK) {
      std::fprintf(stderr, "consume_topic: %s\n", error);
      rd_kafka_conf_destroy(conf);
      return nullptr;
    }
  }
  ConsumerHandle consumer(rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error));
  if (!consumer) std::fprintf(stderr, "consume_topic: %s\n", error);
  return consumer;
}

// The topic's partition count from metadata; 0 when the topic is unknown.
int partition_count(rd_kafka_t* consumer, const std::string& topic,
                    std::chrono::milliseconds timeout) {
  rd_kafka_topic_t* topic_handle = rd_kafka_topic_new(consumer, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t error =
      rd_kafka_metadata(consumer, 0, topic_handle, &metadata, static_cast<int>(timeout.count()));
  rd_kafka_topic_destroy(topic_handle);
  int partitions = 0;
  if (error == RD_KAFKA_RESP_ERR_NO_ERROR && metadata->topic_cnt == 1 &&
      metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    partitions = metadata->topics[0].partition_cnt;
  }
  if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
  return partitions;
}

ConsumedRecord to_record(const rd_kafka_message_t* message) {
  ConsumedRecord record;
  record.partition = message->partition;
  record.offset = message->offset;
  if (message->key != nullptr) {
    record.key.assign(static_cast<const char*>(message->key), message->key_len);
  }
  if (message->payload != nullptr) {
    record.value.assign(static_cast<const char*>(message->payload), message->len);
  }
  record.timestamp_ms = rd_kafka_message_timestamp(message, nullptr);
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      record.headers.emplace_back(
          name, value != nullptr ? std::string(static_cast<const char*>(value), size) : "");
    }
  }
  return record;
}

}  // namespace

std::optional<std::string> ConsumedRecord::header(const std::string& name) const {
  for (const auto& [header_name, value] : headers) {
    if (header_name == name) return value;
  }
  return std::nullopt;
}

std::vector<ConsumedRecord> consume_topic(const std::string& bootstrap, const std::string& topic,
                                          std::size_t count, std::chrono::milliseconds timeout,
                                          std::chrono::milliseconds linger) {
  std::vector<ConsumedRecord> records;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  ConsumerHandle consumer = make_consumer(bootstrap);
  if (!consumer) return records;
  const int partitions = partition_count(consumer.get(), topic, timeout);
  if (partitions == 0) {
    std::fprintf(stderr, "consume_topic: no metadata for topic %s\n", topic.c_str());
    return records;
  }
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(partitions);
  for (int partition = 0; partition < partitions; ++partition) {
    rd_kafka_topic_partition_list_add(assignment, topic.c_str(), partition)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  const rd_kafka_resp_err_t assigned = rd_kafka_assign(consumer.get(), assignment);
  rd_kafka_topic_partition_list_destroy(assignment);
  if (assigned != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::fprintf(stderr, "consume_topic: assign: %s\n", rd_kafka_err2str(assigned));
    return records;
  }

  auto stop_at = deadline;
  while (std::chrono::steady_clock::now() < stop_at) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer.get(), 50);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      records.push_back(to_record(message));
      if (records.size() == count) {
        stop_at = std::min(deadline, std::chrono::steady_clock::now() + linger);
      }
    } else if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      std::fprintf(stderr, "consume_topic: %s\n", rd_kafka_message_errstr(message));
    }
    rd_kafka_message_destroy(message);
  }
  return records;
}

}  // namespace sensorgate::testing
