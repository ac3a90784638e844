#include "adapters/udp/udp_adapter.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>
#include <vector>

#include "adapters/formats/influx_batch.hpp"
#include "core/host_port.hpp"

namespace sensorgate::udp {
namespace {

using adapters::RejectReason;
using namespace std::chrono_literals;

// Datagrams read per recvmmsg call, and the largest one kept (UDP's own limit is 65,507 bytes).
constexpr std::size_t kBatch = 32;
constexpr std::size_t kMaxDatagram = 65'536;

std::string errno_text() {
  return std::strerror(errno);
}

std::string peer_of(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = "?";
  std::uint16_t port = 0;
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
    port = ntohs(v4.sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
    port = ntohs(v6.sin6_port);
  }
  return std::string(text) + ":" + std::to_string(port);
}

// The kernel's count of datagrams dropped on this socket, as SO_RXQ_OVFL attaches it to a
// datagram; nullopt when the message carries none (nothing was dropped yet).
std::optional<std::uint32_t> drops_of(const msghdr& message) {
  for (const cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr;
       c = CMSG_NXTHDR(const_cast<msghdr*>(&message), const_cast<cmsghdr*>(c))) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
      std::uint32_t drops = 0;
      std::memcpy(&drops, CMSG_DATA(c), sizeof drops);
      return drops;
    }
  }
  return std::nullopt;
}

}  // namespace

UdpAdapter::UdpAdapter(std::string name, UdpSettings settings, const Clock& clock)
    : name_(std::move(name)),
      component_("udp[" + name_ + "]"),
      settings_(std::move(settings)),
      clock_(clock),
      stats_(component_),
      sink_log_(LogLevel::kError, component_) {}

UdpAdapter::~UdpAdapter() {
  stop(1s);
  if (socket_ >= 0) ::close(socket_);
  if (wake_ >= 0) ::close(wake_);
}

Status<adapters::StartError> UdpAdapter::start(adapters::ReadingSink& sink) {
  sink_ = &sink;
  const auto cannot_listen = [&](const std::string& why) {
    const std::string detail = "cannot listen on " + settings_.listen + ": " + why;
    set_health(false, detail);
    return make_error(adapters::StartError::kCannotListen, component_ + ": " + detail);
  };
  const auto address = parse_host_port(settings_.listen);
  if (!address) return cannot_listen("not host:port");

  // An IP address, or a name of this machine (IPv4 unless written as an IPv6 address, so that
  // localhost means 127.0.0.1 as senders expect).
  addrinfo hints{};
  hints.ai_family = address->ipv6 ? AF_INET6 : AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(address->port);
  if (const int failed = ::getaddrinfo(address->host.c_str(), port.c_str(), &hints, &found);
      failed != 0) {
    return cannot_listen(gai_strerror(failed));
  }
  sockaddr_storage bind_address{};
  const socklen_t bind_length = found->ai_addrlen;
  std::memcpy(&bind_address, found->ai_addr, found->ai_addrlen);
  ::freeaddrinfo(found);

  socket_ = ::socket(bind_address.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (socket_ < 0) return cannot_listen(errno_text());
  // FORCE lifts net.core.rmem_max where the gateway may (CAP_NET_ADMIN); else the capped one.
  const int asked = static_cast<int>(
      std::min<std::uint64_t>(settings_.receive_buffer.count, std::numeric_limits<int>::max() / 2));
  if (setsockopt(socket_, SOL_SOCKET, SO_RCVBUFFORCE, &asked, sizeof asked) != 0) {
    (void)setsockopt(socket_, SOL_SOCKET, SO_RCVBUF, &asked, sizeof asked);
  }
  int granted = 0;
  socklen_t granted_length = sizeof granted;
  (void)getsockopt(socket_, SOL_SOCKET, SO_RCVBUF, &granted, &granted_length);
  granted /= 2;  // Linux reports twice the size asked for, its bookkeeping included
  if (granted < asked) {
    log_warning(component_, "receive_buffer " + format_size(settings_.receive_buffer) +
                                " asked, the kernel granted " +
                                format_bytes(Bytes{static_cast<std::uint64_t>(granted)}) +
                                "; raise net.core.rmem_max or give the gateway CAP_NET_ADMIN");
  }
  const int on = 1;
  if (setsockopt(socket_, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on) != 0) {
    return cannot_listen("SO_RXQ_OVFL: " + errno_text());
  }
  if (::bind(socket_, reinterpret_cast<const sockaddr*>(&bind_address), bind_length) != 0) {
    return cannot_listen(errno_text());
  }
  wake_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_ < 0) return cannot_listen("eventfd: " + errno_text());

  set_health(true, "receiving on " + settings_.listen + " (receive buffer " +
                       format_bytes(Bytes{static_cast<std::uint64_t>(granted)}) + ")");
  receive_thread_ = std::thread([this] { receive_loop(); });
  pthread_setname_np(receive_thread_.native_handle(), "udp-receive");
  log_info(component_, "receiving influx line datagrams on " + settings_.listen);
  return {};
}

void UdpAdapter::stop(std::chrono::milliseconds) {
  if (stopping_.exchange(true)) return;
  if (wake_ >= 0) {
    const std::uint64_t one = 1;
    (void)!::write(wake_, &one, sizeof one);
  }
  if (receive_thread_.joinable()) receive_thread_.join();
  set_health(false, "stopped");
}

adapters::AdapterHealth UdpAdapter::health() const {
  std::lock_guard lock(mutex_);
  return {up_, detail_};
}

adapters::AdapterCounters UdpAdapter::counters() const {
  return stats_.snapshot();
}

void UdpAdapter::receive_loop() {
  std::vector<char> buffers(kBatch * kMaxDatagram);
  std::array<iovec, kBatch> vectors{};
  std::array<mmsghdr, kBatch> messages{};
  std::array<sockaddr_storage, kBatch> peers{};
  // Room for the one SO_RXQ_OVFL control message of each datagram.
  constexpr std::size_t kControl = CMSG_SPACE(sizeof(std::uint32_t));
  std::array<std::array<char, kControl>, kBatch> controls{};
  std::uint32_t drops_seen = 0;

  formats::LineReadingOptions options;
  options.timestamp_unit = settings_.precision;
  options.topic = settings_.topic;
  std::vector<Reading> readings;

  while (!stopping_.load()) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      vectors[i] = {buffers.data() + i * kMaxDatagram, kMaxDatagram};
      msghdr& header = messages[i].msg_hdr;
      header = {};
      header.msg_name = &peers[i];
      header.msg_namelen = sizeof peers[i];
      header.msg_iov = &vectors[i];
      header.msg_iovlen = 1;
      header.msg_control = controls[i].data();
      header.msg_controllen = controls[i].size();
    }
    std::array<pollfd, 2> waits{{{socket_, POLLIN, 0}, {wake_, POLLIN, 0}}};
    if (::poll(waits.data(), waits.size(), -1) < 0) {
      if (errno == EINTR) continue;
      set_health(false, "poll: " + errno_text());
      log_error(component_, "cannot wait for datagrams: " + errno_text());
      return;
    }
    if ((waits[1].revents & POLLIN) != 0) return;
    const int received = ::recvmmsg(socket_, messages.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (received < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        sink_log_.log("receive: " + errno_text());
      }
      continue;
    }
    options.receive_ts_ns = clock_.now_ns();
    readings.clear();
    for (int i = 0; i < received; ++i) {
      const msghdr& header = messages[i].msg_hdr;
      stats_.count_message();
      if (const auto drops = drops_of(header); drops && *drops != drops_seen) {
        const std::uint32_t lost = *drops - drops_seen;  // unsigned: survives the wrap at 2^32
        drops_seen = *drops;
        stats_.reject(RejectReason::kKernelDrop, lost, {},
                      std::to_string(lost) +
                          " datagram(s) dropped by the kernel: the receive buffer was full");
      }
      const std::string peer = peer_of(peers[i]);
      if ((header.msg_flags & MSG_TRUNC) != 0) {
        stats_.reject(
            RejectReason::kTooLarge, 1, {},
            "datagram from " + peer + " larger than " + std::to_string(kMaxDatagram) + " bytes");
        continue;
      }
      const std::string_view text(buffers.data() + static_cast<std::size_t>(i) * kMaxDatagram,
                                  messages[i].msg_len);
      (void)formats::append_influx_lines(
          text, options, readings, [&](std::size_t line, RejectReason reason, std::string message) {
            stats_.reject(
                reason, 1, {},
                "datagram from " + peer + ", line " + std::to_string(line) + ": " + message);
          });
    }
    if (readings.empty()) continue;
    const std::size_t count = readings.size();
    // Blocks while the ingest queue is full; the socket buffer holds what arrives meanwhile.
    const Status<adapters::IngestError> submitted = sink_->submit(std::move(readings));
    readings = {};
    if (submitted.ok()) {
      stats_.count_readings(count);
      continue;
    }
    switch (submitted.error().code) {
      case adapters::IngestError::kFull:
        stats_.reject(RejectReason::kBufferFull, count, {}, submitted.error().message);
        break;
      case adapters::IngestError::kFailed:
        stats_.reject(RejectReason::kCommitFailed, count,
                      std::to_string(count) + " reading(s) lost", submitted.error().message);
        break;
      case adapters::IngestError::kStopping:
        stats_.reject(RejectReason::kStopping, count, std::to_string(count) + " reading(s) lost",
                      submitted.error().message);
        break;
    }
  }
}

void UdpAdapter::set_health(bool up, std::string detail) {
  std::lock_guard lock(mutex_);
  up_ = up;
  detail_ = std::move(detail);
}

}  // namespace sensorgate::udp
