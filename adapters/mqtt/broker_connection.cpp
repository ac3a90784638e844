#include "adapters/mqtt/broker_connection.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "adapters/mqtt/settings.hpp"

namespace sensorgate::mqtt {
namespace {

struct HostPort {
  std::string host;
  std::string port;
};

HostPort split_url(std::string_view url) {
  const bool tls = is_tls_url(url);
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

// An IPv4 or IPv6 address and port, in the byte layout the kernel keeps them.
struct Endpoint {
  int family = 0;
  std::array<std::uint32_t, 4> address{};  // IPv4 uses the first word
  std::uint16_t port = 0;                  // host order
  bool operator==(const Endpoint&) const = default;
};

std::vector<Endpoint> resolve(std::string_view url) {
  const HostPort target = split_url(url);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* resolved = nullptr;
  if (getaddrinfo(target.host.c_str(), target.port.c_str(), &hints, &resolved) != 0) return {};
  std::vector<Endpoint> endpoints;
  for (const addrinfo* entry = resolved; entry != nullptr; entry = entry->ai_next) {
    Endpoint endpoint;
    endpoint.family = entry->ai_family;
    if (entry->ai_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(entry->ai_addr);
      std::memcpy(endpoint.address.data(), &in->sin_addr, sizeof in->sin_addr);
      endpoint.port = ntohs(in->sin_port);
    } else if (entry->ai_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(entry->ai_addr);
      std::memcpy(endpoint.address.data(), &in6->sin6_addr, sizeof in6->sin6_addr);
      endpoint.port = ntohs(in6->sin6_port);
    } else {
      continue;
    }
    endpoints.push_back(endpoint);
  }
  freeaddrinfo(resolved);
  return endpoints;
}

bool parse_hex(std::string_view text, std::uint32_t& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  return error == std::errc() && end == text.data() + text.size();
}

// "0100007F:075B": the kernel prints each 32-bit word of the address as it lies in memory.
bool parse_endpoint(std::string_view text, int family, Endpoint& endpoint) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  const std::size_t words = family == AF_INET ? 1 : 4;
  if (colon != words * 8) return false;
  endpoint.family = family;
  for (std::size_t i = 0; i < words; ++i) {
    if (!parse_hex(text.substr(i * 8, 8), endpoint.address[i])) return false;
  }
  std::uint32_t port = 0;
  if (!parse_hex(text.substr(colon + 1), port) || port > 0xFFFF) return false;
  endpoint.port = static_cast<std::uint16_t>(port);
  return true;
}

constexpr std::string_view kEstablished = "01";

// Inodes of the established connections in the network namespace whose peer is one of `peers`.
std::vector<std::uint64_t> inodes_connected_to(const std::vector<Endpoint>& peers) {
  std::vector<std::uint64_t> inodes;
  for (const auto& [table, family] :
       {std::pair{"/proc/self/net/tcp", AF_INET}, std::pair{"/proc/self/net/tcp6", AF_INET6}}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode;
      Endpoint peer;
      if (state != kEstablished || !parse_endpoint(remote, family, peer)) continue;
      if (std::find(peers.begin(), peers.end(), peer) == peers.end()) continue;
      std::uint64_t number = 0;
      const auto [end, error] = std::from_chars(inode.data(), inode.data() + inode.size(), number);
      if (error == std::errc() && number != 0) inodes.push_back(number);
    }
  }
  return inodes;
}

// The socket inode behind a descriptor of this process; 0 for anything else.
std::uint64_t socket_inode(int fd) {
  std::array<char, 64> target{};
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  const ssize_t length = ::readlink(link.c_str(), target.data(), target.size() - 1);
  if (length <= 0) return 0;
  const std::string_view text(target.data(), static_cast<std::size_t>(length));
  constexpr std::string_view kPrefix = "socket:[";
  if (!text.starts_with(kPrefix) || !text.ends_with(']')) return 0;
  std::uint64_t inode = 0;
  const char* first = text.data() + kPrefix.size();
  const auto [end, error] = std::from_chars(first, text.data() + text.size() - 1, inode);
  return error == std::errc() ? inode : 0;
}

bool still_open(const TcpConnection& connection) {
  return connection.fd >= 0 && socket_inode(connection.fd) == connection.inode;
}

// Which BrokerConnection holds which socket, by inode, across the process.
std::mutex registry_mutex;
std::map<std::uint64_t, const BrokerConnection*>& claims() {
  static std::map<std::uint64_t, const BrokerConnection*> by_inode;
  return by_inode;
}

}  // namespace

std::vector<TcpConnection> connections_towards(std::string_view url) {
  const std::vector<Endpoint> peers = resolve(url);
  if (peers.empty()) return {};
  const std::vector<std::uint64_t> inodes = inodes_connected_to(peers);
  if (inodes.empty()) return {};
  std::vector<TcpConnection> connections;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", error)) {
    int fd = -1;
    const std::string name = entry.path().filename().string();
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc()) continue;
    const std::uint64_t inode = socket_inode(fd);
    if (inode != 0 && std::find(inodes.begin(), inodes.end(), inode) != inodes.end()) {
      connections.push_back({fd, inode});
    }
  }
  return connections;
}

BrokerConnection::~BrokerConnection() {
  std::lock_guard lock(registry_mutex);
  release();
}

void BrokerConnection::claim(std::string_view url) {
  std::lock_guard lock(registry_mutex);
  release();
  url_ = std::string(url);
  const std::vector<TcpConnection> candidates = unclaimed_towards_url();
  if (candidates.size() != 1) return;
  claimed_ = candidates.front();
  claims()[claimed_.inode] = this;
}

std::vector<int> BrokerConnection::descriptors() {
  std::lock_guard lock(registry_mutex);
  if (url_.empty()) return {};
  if (claimed_.inode != 0 && still_open(claimed_)) return {claimed_.fd};
  release();
  const std::vector<TcpConnection> candidates = unclaimed_towards_url();
  if (candidates.size() == 1) {
    claimed_ = candidates.front();
    claims()[claimed_.inode] = this;
  }
  std::vector<int> fds;
  for (const TcpConnection& candidate : candidates) fds.push_back(candidate.fd);
  return fds;
}

std::vector<TcpConnection> BrokerConnection::unclaimed_towards_url() const {
  std::vector<TcpConnection> candidates = connections_towards(url_);
  std::erase_if(candidates, [this](const TcpConnection& candidate) {
    const auto owner = claims().find(candidate.inode);
    return owner != claims().end() && owner->second != this;
  });
  return candidates;
}

void BrokerConnection::release() {
  if (claimed_.inode != 0) {
    const auto owner = claims().find(claimed_.inode);
    if (owner != claims().end() && owner->second == this) claims().erase(owner);
  }
  claimed_ = {};
}

}  // namespace sensorgate::mqtt
