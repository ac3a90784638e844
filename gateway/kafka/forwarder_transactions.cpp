// The Forwarder's exactly-once part (kafka.delivery: exactly_once): transactions, the progress
// record inside each, and what happens at start, on abort and on a fatal error.
#include <algorithm>
#include <charconv>
#include <thread>

#include "gateway/kafka/forwarder.hpp"
#include "gateway/kafka/forwarder_parts.hpp"
#include "gateway/kafka/progress_topic.hpp"

namespace sensorgate::kafka {

namespace {

constexpr std::string_view kComponent = "kafka";
// Each blocking transaction call waits at most this long, so stop() is seen between calls.
constexpr auto kCallTimeout = std::chrono::seconds(5);

std::string describe(const rd_kafka_error_t* error) {
  return std::string(rd_kafka_error_name(error)) + ": " + rd_kafka_error_string(error);
}

int timeout_ms(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::clamp<std::int64_t>(
      left.count(), 0,
      std::chrono::duration_cast<std::chrono::milliseconds>(kCallTimeout).count()));
}

}  // namespace

// Fences older instances, makes sure the progress topic exists and reads what the last run
// committed. Retries while the cluster is unreachable; false when stopped or on a fatal error.
bool Forwarder::start_transactions() {
  const std::string id = options_.producer.transactional_id;
  while (!stop_requested_) {
    const auto began = std::chrono::steady_clock::now();
    rd_kafka_error_t* error = rd_kafka_init_transactions(
        producer_->handle, static_cast<int>(std::chrono::milliseconds(kCallTimeout).count()));
    if (error == nullptr) break;
    const std::string text = describe(error);
    const bool fatal = rd_kafka_error_is_fatal(error) || !rd_kafka_error_is_retriable(error);
    rd_kafka_error_destroy(error);
    if (fatal) {
      stop_fatally("cannot initialize transactions for transactional.id " + id + " (" + text +
                   "); kafka.delivery: exactly_once needs brokers with transactions (Kafka "
                   ">= 0.11, and the right to write transactional.id " +
                   id + ")");
      return false;
    }
    row_log_.log("initializing transactions for transactional.id " + id + ": " + text +
                 "; retrying");
    while (!stop_requested_ && std::chrono::steady_clock::now() - began < std::chrono::seconds(1))
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  while (!stop_requested_) {
    auto ensured =
        ensure_progress_topic(producer_->handle, options_.progress_topic, std::chrono::seconds(10));
    if (ensured) {
      auto progress = read_progress(options_.producer, options_.progress_topic, options_.gateway_id,
                                    std::chrono::seconds(30), stop_requested_);
      if (progress) {
        committed_progress_ = *progress;
        log_info(kComponent, "exactly once: transactional.id " + id + ", last committed seq " +
                                 std::to_string(committed_progress_) + " (from " +
                                 options_.progress_topic + ")");
        return true;
      }
      ensured = progress.error();
    }
    if (ensured.error().code == ProgressError::kFailed) {
      stop_fatally(ensured.error().message);
      return false;
    }
    if (!stop_requested_) row_log_.log(ensured.error().message + "; retrying");
    for (int i = 0; i < 50 && !stop_requested_; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  return false;
}

// Rows up to the progress read at start were committed by an earlier run (which crashed before
// marking them): mark them delivered instead of sending them again.
void Forwarder::skip_committed_rows() {
  if (committed_progress_ <= 0 || held_.empty()) return;
  std::size_t committed = 0;
  while (committed < held_.size() && held_[committed].seq <= committed_progress_) {
    delivered_seqs_.push_back(held_[committed].seq);
    ++committed;
  }
  skipped_rows_ += committed;
  held_.drop_front(committed);
  if (!held_.empty()) {
    log_info(kComponent, std::to_string(skipped_rows_) + " rows up to seq " +
                             std::to_string(committed_progress_) +
                             " were committed before the restart; marked delivered");
    committed_progress_ = 0;
  }
}

bool Forwarder::begin_transaction() {
  rd_kafka_error_t* error = rd_kafka_begin_transaction(producer_->handle);
  if (error != nullptr) {
    if (rd_kafka_error_is_fatal(error)) fatal_ = true;
    row_log_.log("cannot begin a transaction: " + describe(error));
    rd_kafka_error_destroy(error);
    return false;
  }
  transaction_open_ = true;
  transaction_failed_ = false;
  progress_in_transaction_ = false;
  commit_started_ = false;
  transaction_began_ = std::chrono::steady_clock::now();
  transaction_rows_.clear();
  return true;
}

void Forwarder::end_transaction_when_due() {
  if (!transaction_open_) return;
  if (transaction_failed_) {
    abort_transaction(std::chrono::steady_clock::time_point::max());
    return;
  }
  const bool full = transaction_rows_.size() >= options_.transaction_rows;
  const bool due =
      std::chrono::steady_clock::now() - transaction_began_ >= options_.transaction_interval;
  if (full || (due && !transaction_rows_.empty())) {
    commit_transaction(std::chrono::steady_clock::time_point::max());
  }
}

void Forwarder::produce_progress() {
  if (progress_in_transaction_ || transaction_rows_.empty()) return;
  TopicState& state = topic(options_.progress_topic);
  char seq_text[24];
  const auto seq_end =
      std::to_chars(seq_text, seq_text + sizeof seq_text, transaction_rows_.back().first).ptr;
  const rd_kafka_resp_err_t error = rd_kafka_producev(
      producer_->handle, RD_KAFKA_V_RKT(state.handle), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_KEY(options_.gateway_id.data(), options_.gateway_id.size()),
      RD_KAFKA_V_VALUE(seq_text, static_cast<std::size_t>(seq_end - seq_text)),
      RD_KAFKA_V_OPAQUE(nullptr), RD_KAFKA_V_END);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    row_log_.log(std::string("cannot produce the progress record: ") + rd_kafka_err2str(error));
    transaction_failed_ = true;
    return;
  }
  progress_in_transaction_ = true;
}

// Commits the open transaction (progress record included). True once committed: its rows are
// then marked delivered. On an error that needs an abort, aborts (rows sent again later).
// With a deadline of max(), retries until committed, aborted, fatal, or stop() was called.
bool Forwarder::commit_transaction(std::chrono::steady_clock::time_point deadline) {
  produce_progress();
  // Once a commit call returned a retriable error, only another commit call may follow (it
  // resumes the commit, and reports a failed row as an error that needs an abort).
  while (!transaction_failed_ || commit_started_) {
    const bool unbounded = deadline == std::chrono::steady_clock::time_point::max();
    if (unbounded && stop_requested_) return false;
    if (!unbounded && std::chrono::steady_clock::now() >= deadline) return false;
    rd_kafka_error_t* error = rd_kafka_commit_transaction(producer_->handle, timeout_ms(deadline));
    commit_started_ = error != nullptr && rd_kafka_error_is_retriable(error);
    if (error == nullptr) {
      for (const auto& [seq, state] : transaction_rows_) {
        delivered_seqs_.push_back(seq);
        ++state->delivered_unpublished;
      }
      transaction_rows_.clear();
      transaction_open_ = false;
      if (!up_) set_up(true, "");
      {
        std::lock_guard lock(stats_mutex_);
        ++stats_.transactions_committed;
      }
      commit_reports();
      return true;
    }
    const std::string text = describe(error);
    const bool fatal = rd_kafka_error_is_fatal(error);
    const bool abort = rd_kafka_error_txn_requires_abort(error);
    const bool retriable = rd_kafka_error_is_retriable(error);
    rd_kafka_error_destroy(error);
    if (fatal) {
      fatal_ = true;
      return false;
    }
    if (abort || !retriable) {
      row_log_.log("transaction commit failed: " + text);
      transaction_failed_ = true;
      break;
    }
    // Retriable (a timeout while the cluster is away): commit again.
  }
  abort_transaction(deadline);
  return false;
}

// Aborts the open transaction and rewinds the buffer, so its rows go in the next one. Gives up
// at the deadline (max(): when stop() is called) leaving the transaction open; the next call,
// or the next run's init_transactions, aborts it.
void Forwarder::abort_transaction(std::chrono::steady_clock::time_point deadline) {
  const std::size_t rows = transaction_rows_.size();
  for (;;) {
    const bool unbounded = deadline == std::chrono::steady_clock::time_point::max();
    if ((unbounded && stop_requested_) ||
        (!unbounded && std::chrono::steady_clock::now() >= deadline)) {
      return;
    }
    rd_kafka_error_t* error = rd_kafka_abort_transaction(producer_->handle, timeout_ms(deadline));
    if (error == nullptr) break;
    const bool fatal = rd_kafka_error_is_fatal(error);
    const bool retriable = rd_kafka_error_is_retriable(error);
    const std::string text = describe(error);
    rd_kafka_error_destroy(error);
    if (fatal) {
      fatal_ = true;
      return;
    }
    if (retriable) {
      log_debug(kComponent, "transaction abort failed: " + text + "; retrying");
    } else {
      row_log_.log("transaction abort failed: " + text + "; retrying");
    }
  }
  // abort_transaction purged every row of the transaction; serve their reports.
  const auto bound = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (rd_kafka_outq_len(producer_->handle) > 0 && std::chrono::steady_clock::now() < bound) {
    serve_reports(50);
  }
  held_.clear();
  held_next_ = 0;
  in_flight_ = 0;
  transaction_rows_.clear();
  transaction_open_ = false;
  transaction_failed_ = false;
  progress_in_transaction_ = false;
  commit_started_ = false;
  commit_reports();
  rewind_buffer();
  log_warning(kComponent, "transaction of " + std::to_string(rows) +
                              " rows aborted; its rows are sent again in the next one");
  std::lock_guard lock(stats_mutex_);
  ++stats_.transactions_aborted;
}

void Forwarder::stop_fatally(const std::string& why) {
  char reason[512] = "";
  const rd_kafka_resp_err_t error = rd_kafka_fatal_error(producer_->handle, reason, sizeof reason);
  std::string message = "kafka: " + why;
  if (error == RD_KAFKA_RESP_ERR__FENCED || error == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
      error == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH) {
    message = "kafka: another process took over transactional.id " +
              options_.producer.transactional_id + " (" + rd_kafka_err2name(error) + ": " + reason +
              "); this gateway stops sending. Two gateways must not share gateway.id " +
              options_.gateway_id + "; undelivered rows stay buffered";
  } else if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    message += std::string(" (") + rd_kafka_err2name(error) + ": " + reason +
               "); this gateway stops sending; undelivered rows stay buffered";
  }
  log_error(kComponent, message);
  fenced_ = true;
  if (options_.on_fatal) options_.on_fatal(message);
}

}  // namespace sensorgate::kafka
