#include "gateway/daemon/daemon.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <chrono>
#include <iostream>

#include "core/allocator_tuning.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "gateway/config_check.hpp"
#include "gateway/daemon/gateway.hpp"
#include "gateway/daemon/systemd_notifier.hpp"

namespace sensorgate::gateway {
namespace {

constexpr std::string_view kComponent = "gateway";
constexpr auto kTick = std::chrono::seconds(1);
constexpr int kExitOk = 0, kExitRuntime = 1, kExitConfig = 2;

LogLevel log_level_of(const std::string& name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "warning") return LogLevel::kWarning;
  if (name == "error") return LogLevel::kError;
  return LogLevel::kInfo;
}

int exit_code_of(GatewayError error) {
  switch (error) {
    case GatewayError::kConfig:
      return kExitConfig;
    case GatewayError::kRuntime:
      return kExitRuntime;
  }
  return kExitRuntime;
}

// Waits up to `timeout` for one of `signals` (blocked in this thread) or for `stop` to be
// requested; returns the signal, or 0 for a timeout or a stop request. `signal_fd` is a
// signalfd for `signals`, or -1 (then sigtimedwait alone, and the request is seen by the caller
// at the next round).
int wait_for_signal(int signal_fd, const sigset_t& signals, const StopRequest& stop,
                    std::chrono::milliseconds timeout) {
  if (signal_fd < 0) {
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
    const timespec wait{seconds.count(), 0};
    const int signal = sigtimedwait(&signals, nullptr, &wait);
    return signal < 0 ? 0 : signal;
  }
  pollfd waits[2] = {{signal_fd, POLLIN, 0}, {stop.fd(), POLLIN, 0}};
  if (::poll(waits, stop.fd() < 0 ? 1 : 2, static_cast<int>(timeout.count())) <= 0) return 0;
  if ((waits[0].revents & POLLIN) == 0) return 0;
  signalfd_siginfo info{};
  if (::read(signal_fd, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) return 0;
  return static_cast<int>(info.ssi_signo);
}

}  // namespace

int run_daemon(const std::filesystem::path& config_file) {
  // Before any thread: large buffers go back to the kernel when freed (core/allocator_tuning).
  if (!tune_allocator_for_gateway()) {
    log_debug(kComponent, "the C library refused the fixed mmap threshold; kept its default");
  }
  // Signals are taken by this thread only (sigtimedwait); every thread started later inherits
  // the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A write to a connection the peer (or the MQTT adapter, to withhold an acknowledgement) has
  // shut down fails with EPIPE instead of killing the process.
  signal(SIGPIPE, SIG_IGN);

  auto outcome = load_checked_config(config_file);
  for (const auto& diagnostic : outcome.diagnostics) std::cerr << diagnostic.to_string() << '\n';
  if (!outcome.ok()) {
    std::cerr << config_file.string() << ": the config has errors, nothing started\n";
    return kExitConfig;
  }
  set_log_level(log_level_of(outcome.config->gateway.log_level));
  SystemClock clock;
  SystemdNotifier notifier;

  auto created = Gateway::create(std::move(*outcome.config), clock);
  if (!created.ok()) {
    log_error(kComponent, created.error().message);
    return exit_code_of(created.error().code);
  }
  Gateway& gateway = *created.value();
  if (const auto started = gateway.start(); !started.ok()) {
    log_error(kComponent, started.error().message);
    (void)gateway.stop();
    return exit_code_of(started.error().code);
  }
  log_info(kComponent, gateway.describe());
  notifier.ready("running");

  const auto watchdog_interval = notifier.watchdog_interval();
  const int signal_fd = ::signalfd(-1, &signals, SFD_CLOEXEC);
  for (;;) {
    const int signal = wait_for_signal(signal_fd, signals, gateway.stop_request(), kTick);
    if (const auto reason = gateway.stop_request().reason()) {
      log_info(kComponent, "stopping: " + *reason);
      break;
    }
    if (signal == SIGTERM || signal == SIGINT) {
      log_info(kComponent, std::string(signal == SIGTERM ? "SIGTERM" : "SIGINT") + ": stopping");
      break;
    }
    if (signal == SIGHUP) gateway.reload(config_file);
    const std::string status = gateway.tick();
    if (!status.empty()) notifier.status(status);
    if (watchdog_interval && gateway.alive(*watchdog_interval)) notifier.watchdog();
  }

  if (signal_fd >= 0) ::close(signal_fd);
  notifier.stopping();
  return gateway.stop() == 0 ? kExitOk : kExitRuntime;
}

}  // namespace sensorgate::gateway
