// The progress topic of kafka.delivery: exactly_once: a compacted topic (kafka.progress_topic,
// default `_sensorgate.progress`) holding, per gateway id (the key), the highest buffer seq of
// the gateway's last committed transaction (decimal text). Written inside each transaction by
// the forwarder, read back at start, as Kafka Connect keeps the offsets of exactly-once source
// connectors (KIP-618). Functions block the calling thread (the forwarder's); thread-safe.
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "core/result.hpp"
#include "gateway/kafka/producer_config.hpp"

namespace sensorgate::kafka {

enum class ProgressError {
  kUnavailable,  // the cluster did not answer in time; retry
  kFailed,       // the cluster refused (not authorized, bad topic); the message says why
};

// Creates `topic` (1 partition, cleanup.policy=compact, the cluster's default replication) on
// the cluster `client` talks to, unless it exists.
Status<ProgressError> ensure_progress_topic(rd_kafka_t* client, const std::string& topic,
                                            std::chrono::milliseconds timeout);

// The seq last committed for `gateway_id` in `topic`, or 0 when there is none. Reads every
// partition from its beginning with isolation.level=read_committed up to its high watermark at
// the time of the call, so a committed transaction is never missed behind another gateway's
// open one (it waits until that one ends). Connects with `settings` (brokers, security
// properties and secrets). Returns early with kUnavailable when `stop` becomes true or nothing
// progresses for `timeout`.
Result<std::int64_t, ProgressError> read_progress(const ProducerSettings& settings,
                                                  const std::string& topic,
                                                  const std::string& gateway_id,
                                                  std::chrono::milliseconds timeout,
                                                  const std::atomic<bool>& stop);

}  // namespace sensorgate::kafka
