#include "gateway/kafka/forwarder.hpp"

#include "gateway/kafka/forwarder_parts.hpp"

#include <pthread.h>

#include <algorithm>
#include <charconv>

namespace sensorgate::kafka {

namespace {

constexpr std::string_view kComponent = "kafka";
// Longest sleep of an idle forwarder between two looks at librdkafka's queue (errors, broker
// state) and at a stop request; new records wake it at once.
constexpr auto kIdleWait = std::chrono::milliseconds(250);
// With no room left in flight, how long the forwarder sends at once and serves reports before
// it tries to refill: short, as room appears with the first reports.
constexpr int kFullWaitMs = 1;
// Slots of the read batch kept while the buffer is empty: enough for the reads of light load
// (tens of rows), far fewer than a backlog's reads of batch_rows leave behind.
constexpr std::size_t kIdleSlots = 256;

enum class Outcome { kDelivered, kPurged, kPermanent, kFatal, kRetry };

// What a delivery or produce error means for the row. Permanent: sending again cannot succeed,
// so the row goes to the dead-letter table instead of blocking the queue.
Outcome classify(rd_kafka_resp_err_t error) {
  switch (error) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
      return Outcome::kDelivered;
    case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
    case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
      return Outcome::kPurged;
    case RD_KAFKA_RESP_ERR__FATAL:
      return Outcome::kFatal;
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
      return Outcome::kPermanent;
    default:
      return Outcome::kRetry;
  }
}

std::int64_t system_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void Forwarder::note_buffer_failure(const Status<buffer::BufferError>& status) {
  if (status.ok()) return;
  if (!buffer_failed_) buffer_failure_ = status.error().message;
  buffer_failed_ = true;
  buffer_failure_log_.log("the buffer failed: " + status.error().message);
}

ProducerSettings producer_settings_of(const ForwarderOptions& options) {
  ProducerSettings settings = options.producer;
  settings.transactional_id =
      options.delivery == Delivery::kExactlyOnce ? "sensorgate-" + options.gateway_id : "";
  return settings;
}

Result<std::unique_ptr<Forwarder>, ForwarderError> Forwarder::create(ForwarderOptions options,
                                                                     buffer::Buffer& buffer) {
  options.producer = producer_settings_of(options);
  auto conf = build_producer_config(options.producer);
  if (!conf) {
    switch (conf.error().code) {
      case ProducerConfigError::kInvalidProperty:
        return make_error(ForwarderError::kInvalidProperty, conf.error().message);
      case ProducerConfigError::kConflictingProperty:
        return make_error(ForwarderError::kConflictingProperty, conf.error().message);
    }
  }
  std::unique_ptr<Forwarder> forwarder(
      new Forwarder(std::move(options), buffer, std::move(conf.value())));
  if (auto status = forwarder->create_producer(); !status) return status.error();
  return forwarder;
}

Forwarder::Forwarder(ForwarderOptions options, buffer::Buffer& buffer, ConfHandle conf)
    : options_(std::move(options)), buffer_(buffer), conf_(std::move(conf)) {
  rd_kafka_conf_set_dr_msg_cb(conf_.get(), &Forwarder::delivery_callback);
  rd_kafka_conf_set_error_cb(conf_.get(), &Forwarder::error_callback);
  rd_kafka_conf_set_log_cb(conf_.get(), &Forwarder::log_callback);
  rd_kafka_conf_set_opaque(conf_.get(), this);
}

Forwarder::~Forwarder() {
  if (thread_.joinable()) (void)stop(std::chrono::steady_clock::now());
  destroy_producer();
}

Status<ForwarderError> Forwarder::create_producer() {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_dup(conf_.get());
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (handle == nullptr) {
    rd_kafka_conf_destroy(conf);
    return make_error(ForwarderError::kProducer,
                      std::string("kafka: cannot create the producer: ") + error);
  }
  producer_ = std::make_unique<Producer>();
  producer_->handle = handle;
  return {};
}

void Forwarder::destroy_producer() {
  for (auto& topic : topics_) {
    if (topic->handle != nullptr) rd_kafka_topic_destroy(topic->handle);
    topic->handle = nullptr;
  }
  producer_.reset();
}

void Forwarder::start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "forwarder");
    run();
  });
}

Status<ForwarderError> Forwarder::stop(std::chrono::steady_clock::time_point deadline) {
  stop_deadline_ = deadline;
  stop_requested_ = true;
  if (thread_.joinable()) {
    thread_.join();
  } else {
    finish(deadline);
  }
  if (buffer_failed_) {
    return make_error(ForwarderError::kBuffer,
                      "kafka: the buffer failed while the forwarder ran: " + buffer_failure_);
  }
  if (fenced_) {
    return make_error(ForwarderError::kFenced,
                      "kafka: a fatal producer error stopped the forwarder; see the log");
  }
  return {};
}

ForwarderStats Forwarder::stats() const {
  std::lock_guard lock(stats_mutex_);
  return stats_;
}

Forwarder::TopicState& Forwarder::topic(const std::string& name) {
  auto found = std::find_if(topics_.begin(), topics_.end(),
                            [&](const auto& topic) { return topic->name == name; });
  if (found == topics_.end()) {
    topics_.push_back(std::make_unique<TopicState>());
    topics_.back()->name = name;
    found = topics_.end() - 1;
  }
  TopicState& state = **found;
  // Topic settings from kafka.properties live in the producer's default topic configuration.
  if (state.handle == nullptr)
    state.handle = rd_kafka_topic_new(producer_->handle, name.c_str(), nullptr);
  return state;
}

void Forwarder::run() {
  if (exactly_once() && !start_transactions()) {
    finish(fenced_ ? std::chrono::steady_clock::now() : stop_deadline_);
    return;
  }
  while (!stop_requested_) {
    heartbeat_.beat();
    if (fatal_ && exactly_once()) {
      stop_fatally("fatal producer error");
      finish(std::chrono::steady_clock::now());
      return;
    }
    if (fatal_) recover_from_fatal();
    if (rewind_needed_) rewind_when_idle();
    const std::uint64_t records_seen = buffer_.records_generation();
    const Fill fill_state = fill();
    if (fill_state == Fill::kEmpty && nothing_awaited()) {
      // Nothing to send and no report to wait for: sleep until new records are committed rather
      // than poll, serving what librdkafka queued (errors, broker state) once per wake-up.
      serve_reports(0);
      held_.free_slots_beyond(kIdleSlots);
      buffer_.wait_for_records(records_seen, kIdleWait);
      // Under light load records come one small commit at a time; gathering for idle_poll
      // (serving reports meanwhile) reads them in one batch, not one buffer read per commit.
      if (buffer_.records_generation() != records_seen) {
        serve_reports(static_cast<int>(options_.idle_poll.count()));
      }
    } else if (fill_state == Fill::kFull) {
      send_now_and_serve_reports(kFullWaitMs);
    } else if (fill_state == Fill::kPaced) {
      const auto until_read = std::chrono::ceil<std::chrono::milliseconds>(
          next_read_at_ - std::chrono::steady_clock::now());
      serve_reports(static_cast<int>(std::max<std::int64_t>(until_read.count(), 1)));
    } else {
      serve_reports(static_cast<int>(options_.idle_poll.count()));
    }
    if (exactly_once()) end_transaction_when_due();
    commit_reports();
    check_connectivity();
  }
  finish(stop_deadline_);
}

Forwarder::Fill Forwarder::fill() {
  while (!fatal_ && !rewind_needed_) {
    while (held_next_ < held_.size()) {
      if (exactly_once() &&
          (transaction_failed_ || transaction_rows_.size() >= options_.transaction_rows)) {
        return Fill::kFull;
      }
      if (!produce(held_[held_next_])) return Fill::kFull;
      ++held_next_;
    }
    if (in_flight_ >= options_.max_in_flight) return Fill::kFull;
    // Under light load the loop turns for every delivery report; a read of the buffer (a read
    // transaction) per turn cost more than the rows it brought.
    const std::uint64_t generation = buffer_.records_generation();
    if (generation == drained_at_generation_) return Fill::kEmpty;
    // A read that emptied the buffer is followed by reads of one small commit each; waiting
    // out idle_poll gathers them (the rows linger in librdkafka for linger.ms anyway).
    const auto now = std::chrono::steady_clock::now();
    if (now < next_read_at_) return Fill::kPaced;
    const std::size_t room =
        std::min<std::uint64_t>(options_.batch_rows, options_.max_in_flight - in_flight_);
    // held_ keeps its slots from batch to batch: no allocation per row.
    held_next_ = 0;
    if (auto read = buffer_.next_batch(room, held_); !read.ok()) {
      row_log_.log("cannot read from the buffer: " + read.error().message);
      return Fill::kEmpty;
    }
    next_read_at_ =
        held_.size() < room ? now + options_.idle_poll : std::chrono::steady_clock::time_point{};
    if (held_.empty()) {
      drained_at_generation_ = generation;
      return Fill::kEmpty;
    }
    if (exactly_once()) skip_committed_rows();
    in_flight_ += held_.size();
    if (held_.empty()) return Fill::kEmpty;
  }
  return Fill::kFull;
}

// Hands one row to librdkafka. Returns false when the row must wait (local queue full, or the
// producer failed fatally); a row that can never be sent is dead-lettered and counts as done.
bool Forwarder::produce(const buffer::StoredRecord& row) {
  if (exactly_once() && !transaction_open_ && !begin_transaction()) return false;
  TopicState& state = topic(row.record.topic);
  char seq_text[24];
  const auto seq_end = std::to_chars(seq_text, seq_text + sizeof seq_text, row.seq).ptr;
  const rd_kafka_resp_err_t error = rd_kafka_producev(
      producer_->handle, RD_KAFKA_V_RKT(state.handle), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_KEY(row.record.key.data(), row.record.key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(row.record.value.data()), row.record.value.size()),
      RD_KAFKA_V_TIMESTAMP(row.record.ts_ns / 1'000'000),
      RD_KAFKA_V_HEADER("gateway", options_.gateway_id.data(),
                        static_cast<ssize_t>(options_.gateway_id.size())),
      RD_KAFKA_V_HEADER("seq", seq_text, static_cast<ssize_t>(seq_end - seq_text)),
      RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::intptr_t>(row.seq))),
      RD_KAFKA_V_END);
  switch (classify(error)) {
    case Outcome::kDelivered:  // accepted; the delivery report follows
      if (exactly_once()) transaction_rows_.emplace_back(row.seq, &state);
      return true;
    case Outcome::kFatal:
      fatal_ = true;
      return false;
    case Outcome::kPermanent: {
      --in_flight_;
      const std::string text =
          row.record.topic + ": " + rd_kafka_err2name(error) + ": " + rd_kafka_err2str(error);
      note_buffer_failure(buffer_.dead_letter(row.seq, text));
      row_log_.log("record seq " + std::to_string(row.seq) + " for device " + row.record.key +
                   " moved to the dead-letter table: " + text);
      std::lock_guard lock(stats_mutex_);
      ++stats_.dead_lettered;
      ++stats_.errors_total;
      return true;
    }
    case Outcome::kPurged:
    case Outcome::kRetry:  // __QUEUE_FULL: wait for delivery reports to make room
      return false;
  }
  return false;
}

void Forwarder::serve_reports(int timeout_ms) {
  rd_kafka_poll(producer_->handle, timeout_ms);
}

void Forwarder::send_now_and_serve_reports(int timeout_ms) {
  // While rd_kafka_flush() runs, librdkafka's broker threads treat linger.ms as elapsed
  // (rk_flushing, librdkafka 2.0 rdkafka_broker.c), and it serves the delivery reports. The
  // outcome does not matter: what is not delivered yet stays in flight.
  (void)rd_kafka_flush(producer_->handle, timeout_ms);
}

void Forwarder::delivery_callback(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  static_cast<Forwarder*>(opaque)->on_delivery(*message);
}

void Forwarder::on_delivery(const rd_kafka_message_t& message) {
  const auto seq = static_cast<std::int64_t>(reinterpret_cast<std::intptr_t>(message._private));
  if (seq == 0) {  // the progress record of a transaction (buffer seqs start at 1)
    const Outcome outcome = classify(message.err);
    if (outcome != Outcome::kDelivered && outcome != Outcome::kPurged) transaction_failed_ = true;
    if (outcome == Outcome::kFatal) fatal_ = true;
    return;
  }
  --in_flight_;
  switch (classify(message.err)) {
    case Outcome::kDelivered: {
      // Here, not after the poll: an outage reported in the same poll must win.
      if (!up_) set_up(true, "");
      if (exactly_once()) return;  // counted when the transaction commits
      delivered_seqs_.push_back(seq);
      for (auto& state : topics_) {
        if (state->handle == message.rkt) {
          ++state->delivered_unpublished;
          break;
        }
      }
      return;
    }
    case Outcome::kPurged:  // stop, fatal recovery or abort: the row stays buffered
      if (!exactly_once()) rewind_needed_ = true;  // an abort rewinds by itself
      return;
    case Outcome::kFatal:
      fatal_ = true;
      break;
    case Outcome::kPermanent: {
      const std::string text = std::string(rd_kafka_topic_name(message.rkt)) + ": " +
                               rd_kafka_err2name(message.err) + ": " +
                               rd_kafka_err2str(message.err);
      note_buffer_failure(buffer_.dead_letter(seq, text));
      row_log_.log("record seq " + std::to_string(seq) +
                   " moved to the dead-letter table: " + text);
      transaction_failed_ = exactly_once();  // the rest of its transaction is sent again
      std::lock_guard lock(stats_mutex_);
      ++stats_.dead_lettered;
      break;
    }
    case Outcome::kRetry:
      // librdkafka gave up on a retriable error: send the row again once all reports are in
      // (exactly once: abort the transaction and send it again).
      if (exactly_once()) {
        transaction_failed_ = true;
      } else {
        rewind_needed_ = true;
      }
      break;
  }
  std::lock_guard lock(stats_mutex_);
  ++stats_.errors_total;
}

void Forwarder::error_callback(rd_kafka_t*, int error, const char* reason, void* opaque) {
  static_cast<Forwarder*>(opaque)->on_error(static_cast<rd_kafka_resp_err_t>(error), reason);
}

void Forwarder::on_error(rd_kafka_resp_err_t error, const char* reason) {
  {
    std::lock_guard lock(stats_mutex_);
    ++stats_.errors_total;
  }
  if (error == RD_KAFKA_RESP_ERR__FATAL) {
    fatal_ = true;
  } else if (error == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
    set_up(false, reason);
  }
}

void Forwarder::log_callback(const rd_kafka_t* producer, int level, const char* facility,
                             const char* message) {
  auto* self = static_cast<Forwarder*>(rd_kafka_opaque(producer));
  // syslog levels: 0..4 are emergency..warning.
  const std::string line = std::string(facility) + ": " + message;
  if (level <= 4) {
    self->client_log_.log(line);
  } else {
    log_debug(kComponent, line);
  }
}

void Forwarder::commit_reports() {
  if (!delivered_seqs_.empty()) {
    note_buffer_failure(buffer_.mark_delivered(delivered_seqs_));
    delivered_seqs_.clear();
  }
  std::lock_guard lock(stats_mutex_);
  for (auto& state : topics_) {
    if (state->delivered_unpublished == 0) continue;
    auto found = std::lower_bound(
        stats_.delivered_by_topic.begin(), stats_.delivered_by_topic.end(), state->name,
        [](const TopicCount& count, const std::string& name) { return count.topic < name; });
    if (found == stats_.delivered_by_topic.end() || found->topic != state->name) {
      found = stats_.delivered_by_topic.insert(found, TopicCount{state->name, 0});
    }
    found->delivered += state->delivered_unpublished;
    stats_.delivered_total += state->delivered_unpublished;
    state->delivered_unpublished = 0;
  }
  stats_.in_flight = in_flight_;
}

// Drops rows taken but not yet produced; they are still in flight in the buffer.
void Forwarder::rewind_when_idle() {
  in_flight_ -= held_.size() - held_next_;
  held_.clear();
  held_next_ = 0;
  if (in_flight_ > 0) return;  // wait for the remaining reports
  commit_reports();
  // Deliveries must be committed first: rewind hands out every undeleted row again.
  rewind_buffer();
  rewind_needed_ = false;
}

void Forwarder::rewind_buffer() {
  note_buffer_failure(buffer_.sync());
  buffer_.rewind();
  drained_at_generation_.reset();
  next_read_at_ = {};
}

void Forwarder::recover_from_fatal() {
  char reason[512] = "";
  const rd_kafka_resp_err_t error = rd_kafka_fatal_error(producer_->handle, reason, sizeof reason);
  log_error(kComponent, std::string("fatal producer error ") + rd_kafka_err2name(error) + ": " +
                            reason + "; recreating the producer, undelivered rows are sent again");
  // Reports of rows that did get through still count; the rest stay buffered.
  rd_kafka_purge(producer_->handle, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  const auto bound = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (rd_kafka_outq_len(producer_->handle) > 0 && std::chrono::steady_clock::now() < bound) {
    serve_reports(50);
  }
  destroy_producer();
  held_.clear();
  held_next_ = 0;
  in_flight_ = 0;
  commit_reports();
  rewind_buffer();
  rewind_needed_ = false;
  // The same configuration that worked at start; a failure here is retried on the next turn.
  while (!stop_requested_) {
    auto created = create_producer();
    if (created) break;
    log_error(kComponent, created.error().message);
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  fatal_ = false;
  std::lock_guard lock(stats_mutex_);
  ++stats_.producer_restarts;
}

bool Forwarder::nothing_awaited() const {
  return in_flight_ == 0 && up_ && !fatal_ && !rewind_needed_ &&
         !(exactly_once() && transaction_open_);
}

// While nothing flows, asks the cluster for metadata now and then to learn that it is back.
void Forwarder::check_connectivity() {
  if (up_ || in_flight_ > 0 || producer_ == nullptr) return;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_connectivity_check_) return;
  next_connectivity_check_ = now + std::chrono::seconds(1);
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t error =
      rd_kafka_metadata(producer_->handle, 0, nullptr, &metadata, 200);
  if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
  set_up(error == RD_KAFKA_RESP_ERR_NO_ERROR, rd_kafka_err2str(error));
}

void Forwarder::set_up(bool up, const std::string& why) {
  if (up == up_ && up_known_) return;
  const bool first = !up_known_;
  up_known_ = true;
  up_ = up;
  const auto now = std::chrono::steady_clock::now();
  if (up) {
    if (first) {
      log_info(kComponent, "connected to " + options_.producer.brokers);
    } else {
      const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now - down_at_).count();
      log_info(kComponent, "cluster reachable again after " + std::to_string(seconds) +
                               " s; sending the buffered readings");
    }
  } else {
    down_at_ = now;
    log_warning(kComponent, "cluster " + options_.producer.brokers + " unreachable (" + why +
                                "); readings stay buffered and are sent when it returns");
  }
  std::lock_guard lock(stats_mutex_);
  stats_.kafka_up = up;
  stats_.down_since_ns = up ? 0 : system_now_ns();
}

void Forwarder::finish(std::chrono::steady_clock::time_point deadline) {
  if (producer_ == nullptr) return;
  in_flight_ -= held_.size() - held_next_;
  held_.clear();
  held_next_ = 0;
  if (exactly_once() && transaction_open_ && !fatal_ && !fenced_) {
    // What the open transaction holds is committed by the deadline or aborted (and then sent
    // again by the next run).
    if (transaction_failed_ || !commit_transaction(deadline)) {
      abort_transaction(
          std::max(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(1)));
    }
  }
  while (in_flight_ > 0 && !fatal_ && std::chrono::steady_clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    serve_reports(static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 50)));
  }
  if (in_flight_ > 0) {
    log_warning(kComponent, std::to_string(in_flight_) +
                                " rows not confirmed by the stop deadline; they stay buffered");
  }
  rd_kafka_purge(producer_->handle, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  serve_reports(0);
  commit_reports();
  // Rows still in flight become available again to whoever reads this buffer next.
  rewind_buffer();
  in_flight_ = 0;
  destroy_producer();
}

}  // namespace sensorgate::kafka
