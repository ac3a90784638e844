#include "adapters/mqtt/nagle_switch.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

namespace sensorgate::mqtt {
namespace {

struct HostPort {
  std::string host;
  std::string port;
};

HostPort split_url(std::string_view url) {
  const bool tls = url.starts_with("ssl://") || url.starts_with("mqtts://");
  if (const auto scheme = url.find("://"); scheme != std::string_view::npos) {
    url.remove_prefix(scheme + 3);
  }
  HostPort result{std::string(url), tls ? "8883" : "1883"};
  if (url.starts_with('[')) {  // [ipv6]:port
    const auto close = url.find(']');
    if (close == std::string_view::npos) return result;
    result.host = std::string(url.substr(1, close - 1));
    if (close + 1 < url.size() && url[close + 1] == ':') {
      result.port = std::string(url.substr(close + 2));
    }
    return result;
  }
  if (const auto colon = url.rfind(':'); colon != std::string_view::npos) {
    result.host = std::string(url.substr(0, colon));
    result.port = std::string(url.substr(colon + 1));
  }
  return result;
}

bool same_endpoint(const sockaddr_storage& peer, const addrinfo& address) {
  if (peer.ss_family != address.ai_family) return false;
  if (peer.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(peer);
    const auto* b = reinterpret_cast<const sockaddr_in*>(address.ai_addr);
    return a.sin_port == b->sin_port && a.sin_addr.s_addr == b->sin_addr.s_addr;
  }
  if (peer.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(peer);
    const auto* b = reinterpret_cast<const sockaddr_in6*>(address.ai_addr);
    return a.sin6_port == b->sin6_port &&
           std::memcmp(&a.sin6_addr, &b->sin6_addr, sizeof a.sin6_addr) == 0;
  }
  return false;
}

}  // namespace

std::vector<int> sockets_towards(std::string_view url) {
  const HostPort target = split_url(url);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* resolved = nullptr;
  if (getaddrinfo(target.host.c_str(), target.port.c_str(), &hints, &resolved) != 0) return {};

  std::vector<int> sockets;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", error)) {
    const int fd = std::atoi(entry.path().filename().c_str());
    struct stat info {};
    if (fstat(fd, &info) != 0 || !S_ISSOCK(info.st_mode)) continue;
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) continue;
    for (const addrinfo* address = resolved; address != nullptr; address = address->ai_next) {
      if (same_endpoint(peer, *address)) {
        sockets.push_back(fd);
        break;
      }
    }
  }
  freeaddrinfo(resolved);
  return sockets;
}

void NagleSwitch::attach(std::string_view url) {
  std::lock_guard lock(mutex_);
  sockets_ = sockets_towards(url);
  apply(holds_ > 0);
}

void NagleSwitch::hold_off() {
  std::lock_guard lock(mutex_);
  if (holds_++ == 0) apply(true);
}

void NagleSwitch::release() {
  std::lock_guard lock(mutex_);
  if (holds_ > 0 && --holds_ == 0) apply(false);
}

void NagleSwitch::apply(bool nodelay) {
  // Turning TCP_NODELAY on also sends at once what Nagle is holding back.
  const int value = nodelay ? 1 : 0;
  for (const int fd : sockets_) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &value, sizeof value);
}

}  // namespace sensorgate::mqtt
