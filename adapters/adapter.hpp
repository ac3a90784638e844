// Adapter: the small interface every protocol adapter (mqtt, modbus, http, udp) implements;
// ReadingSink, the one path through which all of them hand readings to the gateway
// (mapping -> rules -> buffer); and the optional abilities only some adapters have
// (AlertPublisher, MappingReloader), which the daemon asks an adapter for instead of casting it.
// Adapters know the sink only, never what lies behind it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/reading.hpp"
#include "core/result.hpp"

namespace sensorgate::config {
struct AdapterConfig;
}

namespace sensorgate::adapters {

// Why a message was not turned into readings. The names (reject_reason_name) are the
// `reason` label of sensorgate_readings_rejected_total.
enum class RejectReason {
  kNoMapping,     // matches no subscription/mapping
  kBadJson,       // payload is not valid JSON
  kMissingField,  // a configured field is absent
  kBadNumber,     // a value is not a finite number
  kBadTimestamp,  // the timestamp field cannot be read
  kBadLine,       // influx line protocol does not parse
  kTooLarge,      // message or body above the configured limit
  kBufferFull,    // buffer.on_full=reject and the buffer is at its cap
  kUnauthorized,  // HTTP token missing or wrong
  kCommitFailed,  // the buffer could not commit (I/O, disk full): the readings are lost
  kStopping,      // arrived while the gateway stopped, after the source was acknowledged
  kKernelDrop,    // UDP datagrams the kernel dropped because the socket's receive buffer was full
  kPoison,        // a message the gateway died on repeatedly: dead-lettered, not mapped again
  // A poll of a device (modbus_tcp) that failed, by cause:
  kTimeout,             // no answer within the timeout
  kConnectionRefused,   // the device refused the TCP connection
  kConnectionFailed,    // any other connect or transport failure, or a malformed answer
  kIllegalFunction,     // Modbus exception 1
  kIllegalDataAddress,  // Modbus exception 2: an address the device does not have
  kIllegalDataValue,    // Modbus exception 3
  kDeviceFailure,       // Modbus exception 4
  kModbusException,     // any other Modbus exception (busy, gateway path, ...)
};

// How many RejectReasons there are, for arrays indexed by reason.
inline constexpr std::size_t kRejectReasonCount =
    static_cast<std::size_t>(RejectReason::kModbusException) + 1;  // the last reason

std::string_view reject_reason_name(RejectReason reason);

enum class IngestError {
  kFull,      // the buffer is at its cap with on_full=reject: nothing was stored
  kFailed,    // the commit failed (I/O): nothing was stored
  kStopping,  // the gateway is shutting down
};

// Where adapters put readings. Thread-safe.
class ReadingSink {
 public:
  virtual ~ReadingSink() = default;
  // Returns once the readings are committed to the buffer (or none of them is): for sources
  // that acknowledge only after commit (HTTP 2xx).
  virtual Status<IngestError> submit_and_wait(std::vector<Reading> readings) = 0;
  // Like submit_and_wait(), for sources that must not acknowledge what is not committed and can
  // hold their source meanwhile (MQTT with ack: after_commit): a commit refused for a reason
  // that may pass (kFull: buffer full with on_full=reject; kFailed: I/O, e.g. disk full) is
  // tried again, with a growing delay, until `retry_for` has passed; then the last error is
  // returned. kStopping ends the wait at once. The readings are observed (rules) once, however
  // many attempts it takes. This default makes one attempt.
  virtual Status<IngestError> submit_and_wait_retrying(std::vector<Reading> readings,
                                                       std::chrono::milliseconds retry_for) {
    (void)retry_for;
    return submit_and_wait(std::move(readings));
  }
  // Keeps a message that must not be processed again (it crashed the gateway) among the dead
  // letters, with its source (e.g. the MQTT topic), raw payload and why; returns once committed.
  // This default keeps nothing and says so (kFailed).
  virtual Status<IngestError> dead_letter(std::string_view source, std::string_view payload,
                                          const std::string& reason) {
    (void)source;
    (void)payload;
    return make_error(IngestError::kFailed, "this sink keeps no dead letters: " + reason);
  }
  // Queues the readings for the next group commit and returns; blocks while the ingest queue
  // is full (backpressure). For sources whose library acknowledges on receipt (MQTT).
  virtual Status<IngestError> submit(std::vector<Reading> readings) = 0;
};

enum class StartError {
  kBadSettings,   // the adapter's settings cannot work (e.g. unreadable TLS files)
  kCannotListen,  // a listen address is in use or not allowed
};

struct AdapterHealth {
  bool up = false;
  std::string detail;  // e.g. "connected to tcp://127.0.0.1:1883" or the last error
};

struct AdapterCounters {
  std::uint64_t messages_received = 0;
  std::uint64_t readings_received = 0;
  std::map<RejectReason, std::uint64_t> rejected;
};

// Publishes alert events on the adapter's own connection (the local MQTT broker). Thread-safe.
class AlertPublisher {
 public:
  virtual ~AlertPublisher() = default;
  // True once the client has taken the message (QoS 1, not retained); false if it cannot now
  // (not connected, too many in flight). A later delivery failure is the adapter's to log.
  virtual bool publish_alert(const std::string& topic, std::string_view payload) = 0;
};

enum class ReloadError {
  kNeedsRestart,  // what changed (e.g. MQTT filters or qos) cannot change while running
  kBadMapping,    // the new mappings do not compile
};

// Swaps in new mappings without a restart (SIGHUP). Called from the daemon's thread.
class MappingReloader {
 public:
  virtual ~MappingReloader() = default;
  // `fresh` is this adapter's entry of a newly loaded config (same name and type). On an error
  // the running mappings stay and the message says why.
  virtual Status<ReloadError> reload(const config::AdapterConfig& fresh) = 0;
};

class Adapter {
 public:
  virtual ~Adapter() = default;
  virtual const std::string& name() const = 0;
  // Starts receiving in the adapter's own threads, handing readings to `sink`, which must
  // outlive the adapter. Call once. Fails only for problems that retrying cannot fix (e.g. a
  // listen address in use); an unreachable peer is retried in the background.
  virtual Status<StartError> start(ReadingSink& sink) = 0;
  // Stops receiving; returns within `deadline`. Readings already handed to the sink stay there.
  virtual void stop(std::chrono::milliseconds deadline) = 0;
  virtual AdapterHealth health() const = 0;
  virtual AdapterCounters counters() const = 0;

  // The adapter's optional abilities; nullptr where it has none. The pointers live as long as
  // the adapter.
  virtual AlertPublisher* alert_publisher() { return nullptr; }
  virtual MappingReloader* mapping_reloader() { return nullptr; }
};

}  // namespace sensorgate::adapters
