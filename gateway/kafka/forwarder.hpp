// Forwarder: drains the buffer into Kafka. One named thread ("forwarder") takes batches from the
// buffer in seq order, produces each row with an idempotent librdkafka producer (key = device,
// murmur2 partitioning, headers `gateway` and `seq`, timestamp = reading ts in ms), keeps at most
// max_in_flight rows outstanding, and marks rows delivered only from delivery reports.
// Outages and retriable errors leave rows in flight while librdkafka retries; a row that can
// never be delivered (too large, unknown topic, not authorized) goes to the dead-letter table;
// a fatal producer error recreates the producer and sends everything undelivered again.
//
// With Delivery::kExactlyOnce the producer is transactional (transactional.id from the gateway
// id): rows go in transactions of up to transaction_rows rows or transaction_interval, each
// also writing the highest seq it holds to the progress topic (progress_topic.hpp), and rows
// are marked delivered only after the commit. At start the forwarder fences any older instance
// (init_transactions), reads its progress and marks every row up to it delivered. A failed
// transaction is aborted and its rows sent again; a fatal error (another process took over the
// transactional.id) stops the forwarder: it sends nothing more, calls on_fatal and stop()
// returns kFenced.
//
// Thread safety: start() and stop() from one controlling thread; stats() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "buffer/buffer.hpp"
#include "core/heartbeat.hpp"
#include "core/log.hpp"
#include "core/result.hpp"
#include "gateway/kafka/producer_config.hpp"

namespace sensorgate::kafka {

enum class ForwarderError {
  kInvalidProperty,      // librdkafka rejected a kafka.properties / kafka.secrets entry
  kConflictingProperty,  // kafka.properties changes a setting the guarantees rest on
  kProducer,             // librdkafka could not create the producer
  kBuffer,               // the buffer failed (I/O) or was closed
  kFenced,               // exactly_once: a fatal producer error (usually: fenced) stopped sending
};

enum class Delivery { kAtLeastOnce, kExactlyOnce };

// What the forwarder needs from config::KafkaSection and the gateway id.
struct ForwarderOptions {
  std::string gateway_id;  // the `gateway` header of every record
  ProducerSettings producer;
  std::uint32_t max_in_flight = 20000;  // rows handed to the producer and not yet reported
  std::uint32_t batch_rows = 5000;      // rows per buffer read
  // How long the thread waits for delivery reports when the buffer is empty and rows are in
  // flight; with nothing in flight it sleeps until records are committed, then gathers for this
  // long before it reads them. A read that took every row the buffer had is followed by the
  // next one this long later at the earliest (a read that filled its batch, at once).
  std::chrono::milliseconds idle_poll = std::chrono::milliseconds(20);
  Delivery delivery = Delivery::kAtLeastOnce;
  // Exactly once: a transaction ends after this many rows or this long after its first row.
  std::uint32_t transaction_rows = 10000;
  std::chrono::milliseconds transaction_interval = std::chrono::milliseconds(200);
  std::string progress_topic = "_sensorgate.progress";
  // Exactly once: called once from the forwarder thread when a fatal error stopped sending,
  // with the message that was logged (the daemon stops on it). May be empty.
  std::function<void(const std::string&)> on_fatal;
};

struct TopicCount {
  std::string topic;
  std::uint64_t delivered = 0;
};

// A consistent snapshot of the forwarder's counters (metrics names in comments).
struct ForwarderStats {
  std::vector<TopicCount> delivered_by_topic;  // kafka_delivered_total{topic}, sorted by topic
  std::uint64_t delivered_total = 0;
  std::uint64_t errors_total = 0;  // kafka_errors_total: failed deliveries and client errors
  std::uint64_t dead_lettered = 0;
  std::uint64_t producer_restarts = 0;       // producers recreated after a fatal error
  std::uint64_t transactions_committed = 0;  // exactly_once
  std::uint64_t transactions_aborted = 0;    // exactly_once: aborted and sent again
  std::uint64_t in_flight = 0;
  bool kafka_up = false;  // kafka_up: the cluster answered since the last outage
  // When the current outage began (system clock, ns since epoch); 0 while up.
  std::int64_t down_since_ns = 0;
};

// The producer settings a forwarder made from `options` runs with: options.producer with the
// transactional.id its delivery needs, "sensorgate-<gateway id>" with exactly_once, empty (not
// transactional) otherwise. The one place that sets it; the config check judges these too.
ProducerSettings producer_settings_of(const ForwarderOptions& options);

class Forwarder {
 public:
  // Builds the producer configuration and the producer; fails with kInvalidProperty /
  // kConflictingProperty (message names the key) or kProducer. `buffer` must outlive the
  // forwarder. Nothing is sent before start().
  static Result<std::unique_ptr<Forwarder>, ForwarderError> create(ForwarderOptions options,
                                                                   buffer::Buffer& buffer);

  // Stops the thread without waiting for deliveries (as stop() with a deadline of now).
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Starts the forwarder thread. Call once.
  void start();

  // Stops taking rows, waits until `deadline` for outstanding deliveries, then abandons the
  // rest: rows not reported delivered stay in the buffer and are sent again later (with the
  // same seq). Returns after the thread ended; fails with kBuffer when marking rows failed.
  Status<ForwarderError> stop(std::chrono::steady_clock::time_point deadline);

  ForwarderStats stats() const;

  // The forwarder thread's heartbeat (gateway/daemon/watchdog.hpp), beaten every round of its loop.
  // Tests wedge the thread with SENSORGATE_TEST_STALL_FORWARDER (see core/heartbeat.hpp).
  const Heartbeat& heartbeat() const { return heartbeat_; }

 private:
  struct Producer;
  struct TopicState;

  Forwarder(ForwarderOptions options, buffer::Buffer& buffer, ConfHandle conf);

  Status<ForwarderError> create_producer();
  void destroy_producer();
  void run();
  // Why fill() returned: no room (in-flight bound or librdkafka's queue), no rows waiting, or
  // rows perhaps waiting but not to be read before next_read_at_.
  enum class Fill { kFull, kEmpty, kPaced };
  Fill fill();
  bool produce(const buffer::StoredRecord& row);
  void serve_reports(int timeout_ms);
  // No room in flight: has librdkafka send what it holds without waiting out linger.ms (which
  // then only delays batches at light load) and serves the reports, for up to `timeout_ms`.
  void send_now_and_serve_reports(int timeout_ms);
  void on_delivery(const rd_kafka_message_t& message);
  // Logs a failed buffer operation and remembers it (the first one) for stop()'s error; a
  // success does nothing.
  void note_buffer_failure(const Status<buffer::BufferError>& status);
  void on_error(rd_kafka_resp_err_t error, const char* reason);
  void commit_reports();
  void recover_from_fatal();
  void rewind_when_idle();
  // Commits the deliveries reported so far and has the buffer hand out every other row again;
  // the next fill() reads the buffer whatever its generation.
  void rewind_buffer();
  void check_connectivity();
  // Nothing in flight, no transaction open, the cluster up: the loop may sleep until records
  // are committed.
  bool nothing_awaited() const;
  void set_up(bool up, const std::string& why);
  void finish(std::chrono::steady_clock::time_point deadline);

  // Exactly once (forwarder_transactions.cpp).
  bool exactly_once() const { return options_.delivery == Delivery::kExactlyOnce; }
  bool start_transactions();
  bool begin_transaction();
  void skip_committed_rows();
  void end_transaction_when_due();
  bool commit_transaction(std::chrono::steady_clock::time_point deadline);
  void abort_transaction(std::chrono::steady_clock::time_point deadline);
  void produce_progress();
  void stop_fatally(const std::string& why);
  TopicState& topic(const std::string& name);

  static void delivery_callback(rd_kafka_t* producer, const rd_kafka_message_t* message,
                                void* opaque);
  static void error_callback(rd_kafka_t* producer, int error, const char* reason, void* opaque);
  static void log_callback(const rd_kafka_t* producer, int level, const char* facility,
                           const char* message);

  const ForwarderOptions options_;
  buffer::Buffer& buffer_;
  const ConfHandle conf_;  // template, duplicated for each producer

  // Forwarder thread only.
  std::unique_ptr<Producer> producer_;
  std::vector<std::unique_ptr<TopicState>> topics_;
  buffer::RecordBatch held_;  // taken from the buffer, not yet accepted by librdkafka
  std::size_t held_next_ = 0;
  std::uint64_t in_flight_ = 0;  // rows taken from the buffer and not yet reported
  // The buffer's records_generation() when a read found no row: until the generation moves
  // (records committed) or a rewind, another read would find none either and is skipped.
  std::optional<std::uint64_t> drained_at_generation_;
  // After a read that took every row the buffer had: the next read waits until idle_poll later.
  std::chrono::steady_clock::time_point next_read_at_{};
  std::vector<std::int64_t> delivered_seqs_;
  bool rewind_needed_ = false;
  bool fatal_ = false;
  bool buffer_failed_ = false;
  std::string buffer_failure_;  // the first failure's message, for stop()
  bool up_ = false;
  bool up_known_ = false;  // false until the first connect or failure
  std::chrono::steady_clock::time_point down_at_{};
  std::chrono::steady_clock::time_point next_connectivity_check_{};
  // Exactly once.
  std::int64_t committed_progress_ = 0;  // rows up to it were committed by an earlier run
  bool transaction_open_ = false;
  bool transaction_failed_ = false;  // a row failed: the transaction must be aborted
  bool fenced_ = false;
  bool progress_in_transaction_ = false;
  bool commit_started_ = false;     // a commit call returned a retriable error: resume it
  std::uint64_t skipped_rows_ = 0;  // rows marked delivered from the progress topic
  std::chrono::steady_clock::time_point transaction_began_{};
  // Rows produced in the open transaction, and their topic (counted at commit).
  std::vector<std::pair<std::int64_t, TopicState*>> transaction_rows_;

  std::thread thread_;
  Heartbeat heartbeat_{"forwarder"};
  std::atomic<bool> stop_requested_{false};
  std::chrono::steady_clock::time_point stop_deadline_{};  // written before stop_requested_

  RateLimitedLog client_log_{LogLevel::kWarning, "kafka"};  // librdkafka's own warnings
  RateLimitedLog row_log_{LogLevel::kWarning, "kafka"};     // dead letters
  RateLimitedLog buffer_failure_log_{LogLevel::kError, "kafka"};

  mutable std::mutex stats_mutex_;
  ForwarderStats stats_;
};

}  // namespace sensorgate::kafka
