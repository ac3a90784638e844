// ModbusAdapter: polls one Modbus TCP device with libmodbus and hands the decoded readings of
// every poll to the ReadingSink in one batch. Thread-safe: start() and stop() from one
// controlling thread, health() and counters() from any thread.
//
// Threads: one poll thread per adapter ("modbus poll") owns the libmodbus context, so a slow or
// silent device delays nobody else. Each poll reads every register in the requests of
// request_plan.hpp, stamps the readings with the poll's start time (the injected Clock), drops
// those the on_change rule holds back (change_filter.hpp) and submits the rest with
// ReadingSink::submit, which blocks while the ingest queue is full (the next poll then waits).
// Polls keep to the `poll` grid; after a poll that overran it, the next starts at once.
//
// Failures: every request waits at most `timeout` (libmodbus response timeout; the TCP connect
// too). A timeout or any other transport error closes the connection; it is reopened after a
// backoff doubling from 100 ms to 30 s, reset by a poll that succeeds. A Modbus exception answer
// skips the registers of that request only. Each failure is counted by reason (timeout,
// connection_refused, connection_failed, illegal_function, illegal_data_address,
// illegal_data_value, device_failure, modbus_exception) and logged at a limited rate.
// Acknowledgement: Modbus has none; a reading is lost only if the gateway dies before commit.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/adapter.hpp"
#include "adapters/adapter_stats.hpp"
#include "adapters/modbus/change_filter.hpp"
#include "adapters/modbus/decode.hpp"
#include "adapters/modbus/request_plan.hpp"
#include "adapters/modbus/settings.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"

struct _modbus;

namespace sensorgate::modbus {

class ModbusAdapter final : public adapters::Adapter {
 public:
  // `settings` as parse_settings made them; `clock` stamps the readings and must outlive the
  // adapter. Nothing connects before start().
  ModbusAdapter(std::string name, ModbusSettings settings, const Clock& clock);
  // Stops with a 1 s deadline if stop() was not called.
  ~ModbusAdapter() override;
  ModbusAdapter(const ModbusAdapter&) = delete;
  ModbusAdapter& operator=(const ModbusAdapter&) = delete;

  const std::string& name() const override { return name_; }

  // Call once. Starts the poll thread, which connects in the background. kBadSettings when
  // libmodbus refuses the host or unit_id (the message names the adapter).
  Status<adapters::StartError> start(adapters::ReadingSink& sink) override;

  // Stops polling and closes the connection: a request in flight is cut short by shutting the
  // socket down. A TCP connect in progress is waited for (at most `timeout`), as is a
  // ReadingSink::submit blocked on a full queue.
  void stop(std::chrono::milliseconds deadline) override;

  // up while the device answers (Modbus exception answers included); detail names the device,
  // or the last failure.
  adapters::AdapterHealth health() const override;
  // messages_received: Modbus responses; readings_received: readings the sink took; rejected:
  // failures by reason, readings not finite (bad_number), refused by a full buffer, or lost
  // because the sink failed or the gateway stopped (commit_failed, stopping).
  adapters::AdapterCounters counters() const override;

 private:
  struct ContextFree {
    void operator()(_modbus* context) const;
  };
  using Context = std::unique_ptr<_modbus, ContextFree>;

  enum class PollOutcome { kAnswered, kConnectionLost, kStopping };

  void poll_loop();
  bool connect_device();
  void close_device();
  PollOutcome poll_once();
  // Reads request `index` into `words_`; false with errno set when it failed.
  bool read_request(std::size_t index);
  // A value of a register with on_change, to tell the filter once the sink took it.
  struct TrackedValue {
    std::size_t index;  // the register's
    ReadingValue value;
  };
  // Hands one poll's readings to the sink; counts them, or rejects them by the sink's reason.
  void submit(std::vector<Reading> readings, const std::vector<TrackedValue>& tracked);
  void fail(adapters::RejectReason reason, const std::string& message);
  void set_health(bool up, const std::string& detail);
  // Waits until `until` or stop(); false when stopping.
  bool wait_until(std::chrono::steady_clock::time_point until);

  const std::string name_;
  const std::string component_;       // "modbus[<name>]" in logs
  const std::string device_;          // "host:port unit N"
  const std::string polling_detail_;  // the health detail while all is well
  const ModbusSettings settings_;
  const Clock& clock_;
  const RequestPlan plan_;
  const std::vector<Decoding> decodings_;
  ChangeFilter change_filter_;                     // poll thread only
  adapters::ReadingSink* sink_ = nullptr;          // set by start()
  Context context_;                                // poll thread only, once started
  std::vector<std::vector<std::uint16_t>> words_;  // per request: the last answer
  std::vector<bool> answered_;                     // per request: whether the last poll got it

  adapters::AdapterStats stats_;

  mutable std::mutex mutex_;  // guards what follows
  std::condition_variable wake_;
  bool stopping_ = false;
  int socket_ = -1;  // the connected socket, for stop() to shut down; -1: none
  bool up_ = false;
  std::string detail_ = "not started";
  std::thread thread_;
};

}  // namespace sensorgate::modbus
