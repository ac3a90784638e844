// ReceivedQueue: order, the bound that blocks push(), and close() that keeps what was queued.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "adapters/mqtt/received_queue.hpp"

namespace sensorgate::mqtt {
namespace {

using namespace std::chrono_literals;

TEST_CASE("received messages are taken in the order pushed, with what each carried") {
  ReceivedQueue queue(1 << 20);
  for (int i = 0; i < 5; ++i) {
    REQUIRE(queue.push("t/" + std::to_string(i), "payload " + std::to_string(i), i % 3, 100 + i));
  }
  std::vector<ReceivedMessage> taken;
  REQUIRE(queue.take(taken));
  REQUIRE(taken.size() == 5);
  for (int i = 0; i < 5; ++i) {
    CHECK(taken[i].topic == "t/" + std::to_string(i));
    CHECK(taken[i].payload == "payload " + std::to_string(i));
    CHECK(taken[i].qos == i % 3);
    CHECK(taken[i].received_ns == 100 + i);
  }
  // The next take() brings only what came after.
  REQUIRE(queue.push("t/5", "later", 1, 200));
  REQUIRE(queue.take(taken));
  REQUIRE(taken.size() == 1);
  CHECK(taken[0].payload == "later");
}

TEST_CASE("a full received queue blocks push until take makes room, and takes into an empty one") {
  ReceivedQueue queue(1000);
  REQUIRE(queue.push("t", std::string(5000, 'x'), 1, 1));  // larger than the bound: taken alone
  std::atomic<bool> pushed{false};
  std::thread pusher([&] { pushed = queue.push("t", "next", 1, 2); });
  std::this_thread::sleep_for(100ms);
  CHECK_FALSE(pushed);  // the queue holds more than its bound
  std::vector<ReceivedMessage> taken;
  REQUIRE(queue.take(taken));
  CHECK(taken.size() == 1);
  pusher.join();
  CHECK(pushed);
  REQUIRE(queue.take(taken));
  REQUIRE(taken.size() == 1);
  CHECK(taken[0].payload == "next");
}

TEST_CASE("after close a received queue refuses pushes and still hands out what it held") {
  ReceivedQueue queue(1 << 20);
  REQUIRE(queue.push("t", "a", 1, 1));
  REQUIRE(queue.push("t", "b", 1, 2));
  queue.close();
  CHECK_FALSE(queue.push("t", "c", 1, 3));
  std::vector<ReceivedMessage> taken;
  REQUIRE(queue.take(taken));
  REQUIRE(taken.size() == 2);
  CHECK(taken[1].payload == "b");
  CHECK_FALSE(queue.take(taken));
  CHECK(taken.empty());
}

TEST_CASE("close wakes a take waiting on an empty received queue and a push waiting for room") {
  ReceivedQueue waiting_take(1 << 20);
  // Catch2's assertions stay on the test thread: the threads only record what they saw.
  std::atomic<bool> take_returned{false}, take_result{true};
  std::thread taker([&] {
    std::vector<ReceivedMessage> taken;
    take_result = waiting_take.take(taken);
    take_returned = true;
  });
  ReceivedQueue full(10);
  REQUIRE(full.push("t", "fills it", 1, 1));
  std::atomic<bool> push_returned{false}, push_result{true};
  std::thread pusher([&] {
    push_result = full.push("t", "no room", 1, 2);
    push_returned = true;
  });
  std::this_thread::sleep_for(100ms);
  CHECK_FALSE(take_returned);
  CHECK_FALSE(push_returned);
  waiting_take.close();
  full.close();
  taker.join();
  pusher.join();
  CHECK(take_returned);
  CHECK_FALSE(take_result);
  CHECK(push_returned);
  CHECK_FALSE(push_result);
}

}  // namespace
}  // namespace sensorgate::mqtt
