#include "adapters/mqtt/broker_connection.hpp"

#include <catch2/catch.hpp>
#include <memory>
#include <vector>

#include "loopback_tcp.hpp"

namespace sensorgate::mqtt {
namespace {

using testing::LoopbackClient;
using testing::LoopbackListener;

std::vector<int> fds_of(const std::vector<TcpConnection>& connections) {
  std::vector<int> fds;
  for (const TcpConnection& connection : connections) fds.push_back(connection.fd);
  return fds;
}

TEST_CASE("the connections towards a broker are this process's connections to its host and port") {
  LoopbackListener broker;
  LoopbackListener other;
  LoopbackClient to_broker(broker);
  LoopbackClient to_other(other);
  const std::vector<TcpConnection> found = connections_towards(broker.url());
  CHECK(fds_of(found) == std::vector<int>{to_broker.fd()});
  REQUIRE(found.size() == 1);
  CHECK(found.front().inode != 0);
  CHECK(connections_towards("mqtt://localhost:" + std::to_string(broker.port())).size() == 1);
  CHECK(connections_towards("ssl://127.0.0.1").empty());  // default port 8883: nobody there
  CHECK(connections_towards("tcp://127.0.0.1:1").empty());
  CHECK(connections_towards("tcp://no-such-host.invalid:1883").empty());
}

TEST_CASE("two clients of one broker each get their own connection") {
  LoopbackListener broker;
  LoopbackClient first(broker);
  BrokerConnection first_connection;
  first_connection.claim(broker.url());  // as Paho's connected callback of the first client
  LoopbackClient second(broker);
  BrokerConnection second_connection;
  second_connection.claim(broker.url());
  CHECK(first_connection.descriptors() == std::vector<int>{first.fd()});
  CHECK(second_connection.descriptors() == std::vector<int>{second.fd()});
}

TEST_CASE("a connection that is not yet told apart is claimed once it is the only one left") {
  LoopbackListener broker;
  LoopbackClient first(broker);
  LoopbackClient second(broker);  // another client still in its handshake
  BrokerConnection first_connection;
  first_connection.claim(broker.url());
  // Both are unclaimed: a shutdown must reach ours, so both are returned.
  CHECK(first_connection.descriptors().size() == 2);
  BrokerConnection second_connection;
  second.close();
  LoopbackClient third(broker);
  second_connection.claim(broker.url());  // would see two unclaimed: claims nothing
  first.close();
  // With `first` gone, `third` is the one connection left, and each side asks again.
  CHECK(second_connection.descriptors() == std::vector<int>{third.fd()});
  CHECK(first_connection.descriptors().empty());
}

TEST_CASE("a claimed descriptor that was closed and reused for another socket is not returned") {
  LoopbackListener broker;
  LoopbackListener elsewhere;
  auto ours = std::make_unique<LoopbackClient>(broker);
  const int fd = ours->fd();
  BrokerConnection connection;
  connection.claim(broker.url());
  REQUIRE(connection.descriptors() == std::vector<int>{fd});
  ours.reset();
  LoopbackClient reused(elsewhere);
  REQUIRE(reused.fd() == fd);  // the kernel hands out the lowest free descriptor
  CHECK(connection.descriptors().empty());
}

TEST_CASE("a connection is claimed by one BrokerConnection until it lets go") {
  LoopbackListener broker;
  LoopbackClient client(broker);
  auto holder = std::make_unique<BrokerConnection>();
  holder->claim(broker.url());
  BrokerConnection other;
  other.claim(broker.url());
  CHECK(other.descriptors().empty());
  holder.reset();
  CHECK(other.descriptors() == std::vector<int>{client.fd()});
  CHECK(BrokerConnection().descriptors().empty());  // never claimed: nothing
}

}  // namespace
}  // namespace sensorgate::mqtt
