// Gateway: the running daemon behind `sensorgate run`, as one object with one start sequence
// and one shutdown path. It owns every part and wires them one way:
//   adapters -> IngestPipeline (RulesStage -> AlertDispatcher) -> buffer -> Kafka forwarder
// Parts are built in dependency order, so nothing needs late binding: adapters first (they run
// nothing before start), the alert dispatcher with the first adapter that can publish alerts,
// the rules stage, the ingest pipeline, and then start() hands the pipeline to each adapter.
//
// Threads: create(), start(), tick(), reload() and stop() are called from one controlling
// thread (the daemon's signal loop); every part runs its own named threads.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "adapters/adapter.hpp"
#include "buffer/buffer.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "gateway/daemon/stop_request.hpp"
#include "gateway/status/snapshot.hpp"

namespace sensorgate::kafka {
class Forwarder;
}
namespace sensorgate::rules {
class RulesEngine;
}
namespace sensorgate::status {
class StatusServer;
class WatchedBuffer;
}  // namespace sensorgate::status

namespace sensorgate::gateway {

class AlertDispatcher;
class HealthWatch;
class IngestPipeline;
class LossRecordingSink;
class RulesStage;

enum class GatewayError {
  kConfig,   // the config cannot work (exit 2): something the config check could not know
  kRuntime,  // a part failed (exit 1): buffer file unusable, Kafka client not created
};

// A running adapter and the config entry it was built from.
struct RunningAdapter {
  config::AdapterConfig config;
  std::unique_ptr<adapters::Adapter> adapter;
};

class Gateway {
 public:
  // Opens the buffer and builds every part from `config` (loaded by load_checked_config);
  // nothing receives yet. `clock` must outlive the gateway. Errors name the part and the cause.
  static Result<std::unique_ptr<Gateway>, GatewayError> create(config::Config config,
                                                               const Clock& clock);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Starts the forwarder, then every adapter, then the status endpoint on http.listen. An
  // adapter that cannot start (kConfig, e.g. a listen address in use) fails the whole start;
  // call stop() then as always. An endpoint that cannot listen is logged and left out: readings
  // matter more than their metrics.
  Status<GatewayError> start();

  // The parts' counters, health and alert state for the status endpoint; reads no database.
  // Thread-safe: any thread, between create() and stop().
  status::GatewaySnapshot snapshot() const;

  // One round of the main loop (about once a second): time-based rules, the gateway's own
  // health alerts. Returns a one-line status for systemd ("1234 readings pending").
  std::string tick();

  // True while the threads the systemd watchdog vouches for (buffer writer, forwarder) made a
  // round of their loops within `max_age` (gateway/daemon/watchdog.hpp); logs the stale one.
  bool alive(std::chrono::steady_clock::duration max_age) const;

  // SIGHUP: loads `config_file` anew and hands each running adapter that can reload its new
  // mappings; anything else that changed is logged as taking a restart.
  void reload(const std::filesystem::path& config_file);

  // Stops whatever runs, in order: adapters, ingest (commits what is queued), alerts, forwarder
  // (bounded flush), buffer. Logs each adapter's counters and what was lost, if anything.
  // Returns 0 after a clean stop, 1 when the forwarder did not stop cleanly. Call once.
  int stop();

  // The one-line start message: buffer, Kafka, adapters, rules.
  std::string describe() const;

  // Requested by the gateway's own parts when it cannot go on (the forwarder was fenced by
  // another process with the same gateway.id); the daemon's loop waits on it beside its signals
  // and then calls stop(), which exits 1 with the forwarder's reason.
  const StopRequest& stop_request() const { return stop_request_; }

 private:
  Gateway(config::Config config, const Clock& clock);

  const config::Config config_;
  const Clock& clock_;
  StopRequest stop_request_;
  std::unique_ptr<buffer::Buffer> buffer_;
  // What the ingest pipeline and the alert dispatcher write through, so that the status
  // endpoint knows how commits go and which alerts fire.
  std::unique_ptr<status::WatchedBuffer> watched_buffer_;
  std::unique_ptr<kafka::Forwarder> forwarder_;
  std::unique_ptr<rules::RulesEngine> engine_;
  std::unique_ptr<HealthWatch> health_;
  std::vector<RunningAdapter> adapters_;
  std::unique_ptr<AlertDispatcher> dispatcher_;
  std::unique_ptr<RulesStage> rules_stage_;
  std::unique_ptr<IngestPipeline> ingest_;
  // What the adapters submit to: ingest_, recording what they lose in the buffer.
  std::unique_ptr<LossRecordingSink> sink_;
  std::unique_ptr<status::StatusServer> status_server_;
  bool forwarder_started_ = false;
  bool stopped_ = false;
};

}  // namespace sensorgate::gateway
