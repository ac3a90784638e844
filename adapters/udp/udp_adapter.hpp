// UdpAdapter: receives influx line protocol datagrams on a UDP socket and hands their readings
// to the ReadingSink. Thread-safe: start() and stop() from one controlling thread, everything
// else from any thread.
//
// No acknowledgement: UDP tells a sender nothing, so readings are queued with
// ReadingSink::submit (committed within buffer.commit_interval) and a datagram the gateway
// never saw is lost without a trace at the sender. What the gateway can see it counts: the
// kernel's drops for a full receive buffer (SO_RXQ_OVFL) as kernel_drop, in datagrams.
// While the sink's queue is full, submit() blocks the receive thread, the socket buffer
// (receive_buffer) fills and the kernel drops the rest: counted, never silent.
//
// Each line stands alone: a bad line is rejected with its reason (counted per line and logged
// at a limited rate); the good lines of the same datagram are kept.
//
// Counters: messages_received counts datagrams, readings_received readings handed to the sink;
// readings the sink could not take are rejects (commit_failed, stopping), and the gateway
// records them in the buffer's dropped_by_reason too (gateway/daemon/loss_recording_sink.hpp).
//
// Threads: one receive thread ("udp-receive") reads up to kBatch datagrams per system call
// (recvmmsg) and submits their readings as one batch.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "adapters/adapter.hpp"
#include "adapters/adapter_stats.hpp"
#include "adapters/udp/settings.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"

namespace sensorgate::udp {

class UdpAdapter final : public adapters::Adapter {
 public:
  // `settings` as parsed by parse_settings; `clock` (receive times) must outlive the adapter.
  // Nothing is bound before start().
  UdpAdapter(std::string name, UdpSettings settings, const Clock& clock);
  // Stops if stop() was not called.
  ~UdpAdapter() override;
  UdpAdapter(const UdpAdapter&) = delete;
  UdpAdapter& operator=(const UdpAdapter&) = delete;

  const std::string& name() const override { return name_; }

  // Call once. Binds the listen address (kCannotListen, naming it, when that fails), sets
  // SO_RCVBUF (a warning is logged when the kernel grants less) and starts receiving. `sink`
  // must outlive the adapter.
  Status<adapters::StartError> start(adapters::ReadingSink& sink) override;

  // Wakes and joins the receive thread and closes the socket. A receive thread blocked in
  // ReadingSink::submit returns only when the sink lets it (the ingest pipeline's stop).
  void stop(std::chrono::milliseconds deadline) override;

  // up while receiving; detail names the address and the receive buffer, or why not.
  adapters::AdapterHealth health() const override;
  adapters::AdapterCounters counters() const override;

 private:
  void receive_loop();
  void set_health(bool up, std::string detail);

  const std::string name_;
  const std::string component_;  // "udp[<name>]" in logs
  const UdpSettings settings_;
  const Clock& clock_;
  adapters::ReadingSink* sink_ = nullptr;  // set by start()

  int socket_ = -1;
  int wake_ = -1;  // eventfd that stop() signals
  std::atomic<bool> stopping_{false};
  adapters::AdapterStats stats_;
  RateLimitedLog sink_log_;

  mutable std::mutex mutex_;  // guards what follows
  bool up_ = false;
  std::string detail_ = "not started";

  std::thread receive_thread_;
};

}  // namespace sensorgate::udp
