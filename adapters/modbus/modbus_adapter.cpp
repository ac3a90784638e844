#include "adapters/modbus/modbus_adapter.hpp"

#include <arpa/inet.h>
#include <modbus/modbus.h>
#include <pthread.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace sensorgate::modbus {
namespace {

using adapters::RejectReason;
using namespace std::chrono_literals;

constexpr auto kRetryMin = 100ms;
constexpr auto kRetryMax = 30s;

std::vector<Decoding> decodings_of(const std::vector<Register>& registers) {
  std::vector<Decoding> out;
  for (const Register& reg : registers) out.push_back(decoding_of(reg));
  return out;
}

std::vector<OnChange> rules_of(const ModbusSettings& settings) {
  std::vector<OnChange> out;
  for (const Register& reg : settings.registers) out.push_back(effective_on_change(settings, reg));
  return out;
}

// The reason a failed libmodbus call gives in errno.
RejectReason reason_of(int error) {
  switch (error) {
    case ETIMEDOUT:
      return RejectReason::kTimeout;
    case ECONNREFUSED:
      return RejectReason::kConnectionRefused;
    case EMBXILFUN:
      return RejectReason::kIllegalFunction;
    case EMBXILADD:
      return RejectReason::kIllegalDataAddress;
    case EMBXILVAL:
      return RejectReason::kIllegalDataValue;
    case EMBXSFAIL:
      return RejectReason::kDeviceFailure;
    case EMBXACK:
    case EMBXSBUSY:
    case EMBXNACK:
    case EMBXMEMPAR:
    case EMBXGPATH:
    case EMBXGTAR:
      return RejectReason::kModbusException;
    default:
      return RejectReason::kConnectionFailed;
  }
}

bool is_exception(RejectReason reason) {
  return reason == RejectReason::kIllegalFunction || reason == RejectReason::kIllegalDataAddress ||
         reason == RejectReason::kIllegalDataValue || reason == RejectReason::kDeviceFailure ||
         reason == RejectReason::kModbusException;
}

std::string kind_text(RegisterKind kind) {
  switch (kind) {
    case RegisterKind::kHolding:
      return "holding";
    case RegisterKind::kInput:
      return "input";
    case RegisterKind::kCoil:
      return "coil";
    case RegisterKind::kDiscrete:
      return "discrete";
  }
  return "?";
}

void set_timeout(modbus_t* context, std::chrono::nanoseconds timeout,
                 int (*setter)(modbus_t*, uint32_t, uint32_t)) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
  // libmodbus refuses 0:0; the config allows nothing shorter than 1 ns, so round up to 1 µs.
  const auto bounded = std::max<std::int64_t>(1, micros);
  (void)setter(context, static_cast<uint32_t>(bounded / 1'000'000),
               static_cast<uint32_t>(bounded % 1'000'000));
}

}  // namespace

void ModbusAdapter::ContextFree::operator()(_modbus* context) const {
  modbus_close(context);
  modbus_free(context);
}

ModbusAdapter::ModbusAdapter(std::string name, ModbusSettings settings, const Clock& clock)
    : name_(std::move(name)),
      component_("modbus[" + name_ + "]"),
      device_(settings.host + ":" + std::to_string(settings.port) + " unit " +
              std::to_string(settings.unit_id)),
      polling_detail_("polling " + device_),
      settings_(std::move(settings)),
      clock_(clock),
      plan_(plan_requests(settings_.registers, settings_.max_gap)),
      decodings_(decodings_of(settings_.registers)),
      change_filter_(rules_of(settings_)),
      words_(plan_.requests.size()),
      answered_(plan_.requests.size(), false),
      stats_(component_) {
  for (std::size_t i = 0; i < plan_.requests.size(); ++i) words_[i].resize(plan_.requests[i].count);
}

ModbusAdapter::~ModbusAdapter() {
  stop(1s);
}

Status<adapters::StartError> ModbusAdapter::start(adapters::ReadingSink& sink) {
  sink_ = &sink;
  in_addr numeric{};
  const bool is_ipv4 = ::inet_pton(AF_INET, settings_.host.c_str(), &numeric) == 1;
  const std::string port = std::to_string(settings_.port);
  context_.reset(is_ipv4 ? modbus_new_tcp(settings_.host.c_str(), settings_.port)
                         : modbus_new_tcp_pi(settings_.host.c_str(), port.c_str()));
  if (!context_) {
    return make_error(
        adapters::StartError::kBadSettings,
        component_ + ": libmodbus refuses host " + settings_.host + ": " + modbus_strerror(errno));
  }
  if (modbus_set_slave(context_.get(), settings_.unit_id) != 0) {
    return make_error(adapters::StartError::kBadSettings,
                      component_ + ": libmodbus refuses unit_id " +
                          std::to_string(settings_.unit_id) + " (Modbus TCP allows 0-247 and 255)");
  }
  set_timeout(context_.get(), settings_.timeout, modbus_set_response_timeout);
  set_timeout(context_.get(), settings_.timeout, modbus_set_byte_timeout);
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
    detail_ = "connecting to " + device_;
  }
  thread_ = std::thread([this] { poll_loop(); });
  log_info(component_, "polling " + device_ + " every " + format_duration(settings_.poll) + ": " +
                           std::to_string(settings_.registers.size()) + " register(s) in " +
                           std::to_string(plan_.requests.size()) + " request(s)");
  return Status<adapters::StartError>::success();
}

void ModbusAdapter::stop(std::chrono::milliseconds) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    // Wakes a request waiting for its answer; the poll thread closes the socket itself.
    if (socket_ >= 0) ::shutdown(socket_, SHUT_RDWR);
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  set_health(false, "stopped");
}

adapters::AdapterHealth ModbusAdapter::health() const {
  std::lock_guard lock(mutex_);
  return {up_, detail_};
}

adapters::AdapterCounters ModbusAdapter::counters() const {
  return stats_.snapshot();
}

void ModbusAdapter::poll_loop() {
  ::pthread_setname_np(::pthread_self(), "modbus poll");
  auto retry = std::chrono::steady_clock::duration(kRetryMin);
  auto next_poll = std::chrono::steady_clock::now();
  bool connected = false;
  while (true) {
    if (!connected) connected = connect_device();
    PollOutcome outcome = PollOutcome::kConnectionLost;
    if (connected) {
      outcome = poll_once();
      if (outcome == PollOutcome::kStopping) return;
    }
    if (outcome == PollOutcome::kAnswered) {
      retry = kRetryMin;
      const auto now = std::chrono::steady_clock::now();
      next_poll += settings_.poll;
      // Overran: poll again at once, on a grid anchored here, rather than in a burst.
      if (next_poll <= now) next_poll = now;
      if (!wait_until(next_poll)) return;
      continue;
    }
    if (connected) close_device();
    connected = false;
    if (!wait_until(std::chrono::steady_clock::now() + retry)) return;
    retry = std::min<std::chrono::steady_clock::duration>(retry * 2, kRetryMax);
    next_poll = std::chrono::steady_clock::now();
  }
}

bool ModbusAdapter::connect_device() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
  }
  if (modbus_connect(context_.get()) != 0) {
    const int error = errno;
    fail(reason_of(error), "cannot connect to " + device_ + ": " + modbus_strerror(error));
    return false;
  }
  std::lock_guard lock(mutex_);
  socket_ = modbus_get_socket(context_.get());
  if (stopping_) ::shutdown(socket_, SHUT_RDWR);
  return true;
}

void ModbusAdapter::close_device() {
  {
    std::lock_guard lock(mutex_);
    socket_ = -1;  // before the close, so that stop() never shuts down a reused descriptor
  }
  modbus_close(context_.get());
}

bool ModbusAdapter::read_request(std::size_t index) {
  const ReadRequest& request = plan_.requests[index];
  std::vector<std::uint16_t>& words = words_[index];
  int got = -1;
  switch (request.kind) {
    case RegisterKind::kHolding:
      got = modbus_read_registers(context_.get(), request.address, request.count, words.data());
      break;
    case RegisterKind::kInput:
      got =
          modbus_read_input_registers(context_.get(), request.address, request.count, words.data());
      break;
    case RegisterKind::kCoil:
    case RegisterKind::kDiscrete: {
      std::vector<std::uint8_t> bits(request.count);
      got =
          request.kind == RegisterKind::kCoil
              ? modbus_read_bits(context_.get(), request.address, request.count, bits.data())
              : modbus_read_input_bits(context_.get(), request.address, request.count, bits.data());
      for (std::size_t i = 0; got > 0 && i < bits.size(); ++i) words[i] = bits[i] != 0 ? 1 : 0;
      break;
    }
  }
  return got == request.count;
}

ModbusAdapter::PollOutcome ModbusAdapter::poll_once() {
  const std::int64_t ts_ns = clock_.now_ns();
  bool any_exception = false;
  for (std::size_t i = 0; i < plan_.requests.size(); ++i) {
    answered_[i] = read_request(i);
    if (answered_[i]) {
      stats_.count_message();
      continue;
    }
    const int error = errno;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return PollOutcome::kStopping;
    }
    const ReadRequest& request = plan_.requests[i];
    const RejectReason reason = reason_of(error);
    fail(reason, "reading " + kind_text(request.kind) + " " + std::to_string(request.address) +
                     "+" + std::to_string(request.count) + " of " + device_ + ": " +
                     modbus_strerror(error));
    if (!is_exception(reason)) return PollOutcome::kConnectionLost;
    stats_.count_message();  // an exception is an answer too
    any_exception = true;
  }

  std::vector<Reading> readings;
  std::vector<TrackedValue> tracked;  // of the registers with on_change
  readings.reserve(settings_.registers.size());
  for (std::size_t r = 0; r < settings_.registers.size(); ++r) {
    const RegisterSlot& slot = plan_.slots[r];
    if (!answered_[slot.request]) continue;
    const auto& words = words_[slot.request];
    auto value = decode_registers(decodings_[r], std::span(words).subspan(slot.offset));
    if (!value.ok()) {
      const Register& reg = settings_.registers[r];
      fail(RejectReason::kBadNumber, reg.device + "/" + reg.metric + " at " + kind_text(reg.kind) +
                                         " " + std::to_string(reg.address) + ": " +
                                         value.error().message);
      continue;
    }
    if (!change_filter_.passes(r, *value, ts_ns)) continue;
    const Register& reg = settings_.registers[r];
    if (change_filter_.tracks(r)) tracked.push_back(TrackedValue{r, *value});
    // In place: a Reading built and then moved in cost ~160 instructions more per register.
    readings.emplace_back(reg.device, reg.metric, std::move(*value), reg.unit, ts_ns, Tags{},
                          reg.topic);
  }
  if (!readings.empty()) submit(std::move(readings), tracked);
  set_health(true, any_exception ? polling_detail_ + "; some requests answer an exception"
                                 : polling_detail_);
  return PollOutcome::kAnswered;
}

void ModbusAdapter::submit(std::vector<Reading> readings,
                           const std::vector<TrackedValue>& tracked) {
  const std::size_t count = readings.size();
  const std::int64_t ts_ns = readings.front().ts_ns;
  // Blocks while the ingest queue is full; the next poll waits meanwhile.
  const Status<adapters::IngestError> submitted = sink_->submit(std::move(readings));
  if (submitted.ok()) {
    stats_.count_readings(count);
    for (const TrackedValue& emitted : tracked) {
      change_filter_.emitted(emitted.index, emitted.value, ts_ns);
    }
    return;
  }
  switch (submitted.error().code) {
    case adapters::IngestError::kFull:
      stats_.reject(RejectReason::kBufferFull, count,
                    std::to_string(count) + " reading(s) of one poll", submitted.error().message);
      return;
    case adapters::IngestError::kFailed:
      stats_.reject(RejectReason::kCommitFailed, count,
                    std::to_string(count) + " reading(s) of one poll lost",
                    submitted.error().message);
      return;
    case adapters::IngestError::kStopping:
      stats_.reject(RejectReason::kStopping, count,
                    std::to_string(count) + " reading(s) of one poll lost",
                    submitted.error().message);
      return;
  }
}

void ModbusAdapter::fail(RejectReason reason, const std::string& message) {
  stats_.reject(reason, 1, {}, message);
  if (!is_exception(reason) && reason != RejectReason::kBadNumber) set_health(false, message);
}

void ModbusAdapter::set_health(bool up, const std::string& detail) {
  std::lock_guard lock(mutex_);
  up_ = up;
  if (detail_ != detail) detail_ = detail;  // no allocation per poll while nothing changes
}

bool ModbusAdapter::wait_until(std::chrono::steady_clock::time_point until) {
  std::unique_lock lock(mutex_);
  if (stopping_) return false;
  // A timed wait ends late by the timer slack (~50 us): not worth it when the time has come.
  if (until <= std::chrono::steady_clock::now()) return true;
  return !wake_.wait_until(lock, until, [this] { return stopping_; });
}

}  // namespace sensorgate::modbus
