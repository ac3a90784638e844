#include "sources.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace sensorgate::testing {

std::string http_batch(int first, int count, std::int64_t base_ms) {
  std::string body = "[";
  for (int n = first; n < first + count; ++n) {
    body += std::string(n == first ? "" : ",") + "{\"device\":\"http-" + std::to_string(n % 5) +
            "\",\"metric\":\"v\",\"value\":" + std::to_string(n) +
            ",\"ts\":" + std::to_string(base_ms + n) + "}";
  }
  return body + "]";
}

void send_datagram(std::uint16_t port, const std::string& datagram) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const auto sent = ::sendto(fd, datagram.data(), datagram.size(), 0,
                             reinterpret_cast<const sockaddr*>(&to), sizeof to);
  const int error = errno;
  ::close(fd);
  if (sent != static_cast<ssize_t>(datagram.size())) {
    throw std::system_error(error, std::generic_category(), "sendto 127.0.0.1");
  }
}

}  // namespace sensorgate::testing
