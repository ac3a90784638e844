#include "core/host_port.hpp"

#include <catch2/catch.hpp>

namespace sensorgate {
namespace {

TEST_CASE("host:port accepts IPv4, bracketed IPv6 and DNS names with a port 1 to 65535") {
  const auto v4 = parse_host_port("127.0.0.1:9464");
  REQUIRE(v4);
  CHECK(v4->host == "127.0.0.1");
  CHECK(v4->port == 9464);
  CHECK_FALSE(v4->ipv6);
  const auto v6 = parse_host_port("[::1]:1883");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->ipv6);
  CHECK(parse_host_port("kafka-1.plant.example:9092"));
  CHECK(parse_host_port("localhost:65535"));
}

TEST_CASE("host:port refuses what a socket or librdkafka would refuse later") {
  for (const char* bad :
       {"300.1.1.1:80", ":9092", "a b:9092", "host", "host:0", "host:65536", "host:-1", "host:80x",
        "[::1:80", "[zz]:80", "-host:80", "1.2.3:80", "host_name:80", "", "[]:80"}) {
    INFO(bad);
    CHECK_FALSE(parse_host_port(bad));
  }
}

}  // namespace
}  // namespace sensorgate
