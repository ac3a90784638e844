#include "gateway/kafka/progress_topic.hpp"

#include <array>
#include <charconv>
#include <memory>
#include <string_view>
#include <vector>

namespace sensorgate::kafka {

namespace {

struct ConsumerDeleter {
  void operator()(rd_kafka_t* handle) const {
    rd_kafka_consumer_close(handle);
    rd_kafka_destroy(handle);
  }
};

struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* metadata) const {
    rd_kafka_metadata_destroy(metadata);
  }
};
using MetadataHandle = std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter>;

// Properties of kafka.properties a consumer needs to reach the cluster the way the producer
// does (TLS, SASL, sockets); producer settings would only draw warnings.
constexpr std::array<std::string_view, 9> kConnectionPrefixes = {
    "security.", "sasl.", "ssl.", "ssl_", "enable.ssl", "socket.", "broker.", "client.", "api."};

bool is_connection_property(const std::string& name) {
  for (std::string_view prefix : kConnectionPrefixes) {
    if (name.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

// Partition count of `topic`; 0 when it does not exist; -1 when the cluster did not answer.
int partition_count(rd_kafka_t* client, const std::string& topic, int timeout_ms) {
  rd_kafka_topic_t* handle = rd_kafka_topic_new(client, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* raw = nullptr;
  const rd_kafka_resp_err_t error = rd_kafka_metadata(client, 0, handle, &raw, timeout_ms);
  rd_kafka_topic_destroy(handle);
  MetadataHandle metadata(raw);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR || metadata->topic_cnt != 1) return -1;
  const rd_kafka_metadata_topic_t& info = metadata->topics[0];
  if (info.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) return 0;
  if (info.err != RD_KAFKA_RESP_ERR_NO_ERROR) return -1;
  return info.partition_cnt;
}

}  // namespace

Status<ProgressError> ensure_progress_topic(rd_kafka_t* client, const std::string& topic,
                                            std::chrono::milliseconds timeout) {
  const int timeout_ms = static_cast<int>(timeout.count());
  const int partitions = partition_count(client, topic, timeout_ms);
  if (partitions > 0) return {};
  if (partitions < 0) {
    return make_error(ProgressError::kUnavailable,
                      "no metadata for the progress topic " + topic + " yet");
  }
  char error[512];
  rd_kafka_NewTopic_t* request = rd_kafka_NewTopic_new(topic.c_str(), 1, -1, error, sizeof error);
  if (request == nullptr) {
    return make_error(ProgressError::kFailed, "progress topic " + topic + ": " + error);
  }
  rd_kafka_NewTopic_set_config(request, "cleanup.policy", "compact");
  rd_kafka_queue_t* queue = rd_kafka_queue_new(client);
  rd_kafka_CreateTopics(client, &request, 1, nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, timeout_ms);
  Status<ProgressError> status;
  if (event == nullptr) {
    status = make_error(ProgressError::kUnavailable,
                        "creating the progress topic " + topic + ": no answer in time");
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = make_error(ProgressError::kUnavailable, "creating the progress topic " + topic + ": " +
                                                         rd_kafka_event_error_string(event));
  } else {
    std::size_t count = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
    for (std::size_t i = 0; i < count; ++i) {
      const rd_kafka_resp_err_t code = rd_kafka_topic_result_error(results[i]);
      if (code == RD_KAFKA_RESP_ERR_NO_ERROR || code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        continue;
      }
      const std::string text = "creating the progress topic " + topic + ": " +
                               rd_kafka_err2name(code) + ": " +
                               rd_kafka_topic_result_error_string(results[i]) +
                               "; create it (cleanup.policy=compact) or grant CREATE";
      // INVALID_REPLICATION_FACTOR also comes while brokers restart: retried, not fatal.
      status = make_error(code == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
                                  code == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED ||
                                  code == RD_KAFKA_RESP_ERR_POLICY_VIOLATION
                              ? ProgressError::kFailed
                              : ProgressError::kUnavailable,
                          text);
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_NewTopic_destroy(request);
  return status;
}

Result<std::int64_t, ProgressError> read_progress(const ProducerSettings& settings,
                                                  const std::string& topic,
                                                  const std::string& gateway_id,
                                                  std::chrono::milliseconds timeout,
                                                  const std::atomic<bool>& stop) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::vector<std::pair<std::string, std::string>> entries = {
      {"bootstrap.servers", settings.brokers},
      {"client.id", settings.client_id},
      {"group.id", "sensorgate-progress"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "true"},
      {"isolation.level", "read_committed"},
      {"fetch.wait.max.ms", "50"},
      {"log_level", "3"},
  };
  for (const auto& entry : settings.properties) {
    if (is_connection_property(entry.first)) entries.push_back(entry);
  }
  for (const auto& entry : settings.secret_values) entries.push_back(entry);
  for (const auto& [name, value] : entries) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return make_error(ProgressError::kFailed, "progress consumer: " + name + ": " + error);
    }
  }
  std::unique_ptr<rd_kafka_t, ConsumerDeleter> consumer(
      rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error));
  if (!consumer) {
    rd_kafka_conf_destroy(conf);
    return make_error(ProgressError::kFailed, std::string("progress consumer: ") + error);
  }
  const int timeout_ms = static_cast<int>(timeout.count());
  const int partitions = partition_count(consumer.get(), topic, timeout_ms);
  if (partitions <= 0) {
    return make_error(ProgressError::kUnavailable, "no metadata for the progress topic " + topic);
  }
  // Where each partition ends now; everything committed before this call lies below it.
  std::vector<std::int64_t> end(static_cast<std::size_t>(partitions), 0);
  std::vector<std::int64_t> position(static_cast<std::size_t>(partitions), 0);
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(partitions);
  for (int partition = 0; partition < partitions; ++partition) {
    std::int64_t low = 0;
    std::int64_t high = 0;
    if (rd_kafka_query_watermark_offsets(consumer.get(), topic.c_str(), partition, &low, &high,
                                         timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_topic_partition_list_destroy(assignment);
      return make_error(ProgressError::kUnavailable,
                        "no offsets for the progress topic " + topic + " yet");
    }
    end[static_cast<std::size_t>(partition)] = high;
    position[static_cast<std::size_t>(partition)] = low;
    rd_kafka_topic_partition_list_add(assignment, topic.c_str(), partition)->offset = low;
  }
  rd_kafka_assign(consumer.get(), assignment);
  rd_kafka_topic_partition_list_destroy(assignment);

  std::int64_t progress = 0;
  auto done = [&] {
    for (std::size_t i = 0; i < end.size(); ++i) {
      if (position[i] < end[i]) return false;
    }
    return true;
  };
  auto last_progress = std::chrono::steady_clock::now();
  while (!done()) {
    if (stop) return make_error(ProgressError::kUnavailable, "stopped");
    if (std::chrono::steady_clock::now() - last_progress > timeout) {
      return make_error(ProgressError::kUnavailable,
                        "reading the progress topic " + topic + " does not advance");
    }
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer.get(), 100);
    if (message == nullptr) {
      // The consumer skips commit markers without returning them: ask where it stands.
      rd_kafka_topic_partition_list_t* where = rd_kafka_topic_partition_list_new(partitions);
      for (int partition = 0; partition < partitions; ++partition) {
        rd_kafka_topic_partition_list_add(where, topic.c_str(), partition);
      }
      if (rd_kafka_position(consumer.get(), where) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int i = 0; i < where->cnt; ++i) {
          const auto& element = where->elems[i];
          auto& known = position[static_cast<std::size_t>(element.partition)];
          if (element.offset >= 0 && element.offset > known) {
            known = element.offset;
            last_progress = std::chrono::steady_clock::now();
          }
        }
      }
      rd_kafka_topic_partition_list_destroy(where);
      continue;
    }
    const auto partition = static_cast<std::size_t>(message->partition);
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (message->offset > position[partition]) position[partition] = message->offset;
      last_progress = std::chrono::steady_clock::now();
    } else if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      position[partition] = message->offset + 1;
      last_progress = std::chrono::steady_clock::now();
      const std::string_view key(static_cast<const char*>(message->key), message->key_len);
      const char* value = static_cast<const char*>(message->payload);
      std::int64_t seq = 0;
      if (key == gateway_id && value != nullptr &&
          std::from_chars(value, value + message->len, seq).ec == std::errc()) {
        progress = seq;  // the newest record of the key wins, as compaction keeps it
      }
    } else if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      const std::string text = rd_kafka_message_errstr(message);
      const bool fatal = message->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
                         message->err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED;
      rd_kafka_message_destroy(message);
      if (fatal) {
        return make_error(ProgressError::kFailed,
                          "reading the progress topic " + topic + ": " + text);
      }
      continue;
    }
    rd_kafka_message_destroy(message);
  }
  return progress;
}

}  // namespace sensorgate::kafka
