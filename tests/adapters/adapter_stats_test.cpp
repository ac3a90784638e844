// AdapterStats: the counters all four adapters share.
#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "adapters/adapter_stats.hpp"

namespace sensorgate::adapters {
namespace {

TEST_CASE("adapter stats count messages, readings and rejects by reason") {
  AdapterStats stats("test[a]");
  stats.count_message();
  stats.count_message(2);
  stats.count_readings(7);
  stats.reject(RejectReason::kBadJson, 1, "message on t", "not JSON");
  stats.reject(RejectReason::kBadJson, 2, {}, "not JSON");
  stats.reject(RejectReason::kCommitFailed, 5, "5 reading(s) lost", "disk I/O error");

  const AdapterCounters counters = stats.snapshot();
  CHECK(counters.messages_received == 3);
  CHECK(counters.readings_received == 7);
  CHECK(counters.rejected == std::map<RejectReason, std::uint64_t>{
                                 {RejectReason::kBadJson, 3}, {RejectReason::kCommitFailed, 5}});
}

TEST_CASE("adapter stats lose no count when many threads count at once") {
  AdapterStats stats("test[b]");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&stats] {
      for (int i = 0; i < 10'000; ++i) {
        stats.count_message();
        stats.count_readings(2);
        stats.reject(RejectReason::kNoMapping, 1, {}, "no mapping");
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const AdapterCounters counters = stats.snapshot();
  CHECK(counters.messages_received == 40'000);
  CHECK(counters.readings_received == 80'000);
  CHECK(counters.rejected.at(RejectReason::kNoMapping) == 40'000);
}

}  // namespace
}  // namespace sensorgate::adapters
