#include "gateway/status/health.hpp"

namespace sensorgate::status {

Health judge_health(const GatewaySnapshot& snapshot, std::chrono::steady_clock::time_point now) {
  switch (snapshot.commit.outcome) {
    case CommitState::Outcome::kFailed:
      return {false, "the buffer cannot commit: " + snapshot.commit.message};
    case CommitState::Outcome::kFull:
      if (now - snapshot.commit.at <= kFullHolds) {
        return {false, "the buffer is full and refuses readings (buffer.on_full: reject): " +
                           snapshot.commit.message};
      }
      break;
    case CommitState::Outcome::kNone:
    case CommitState::Outcome::kOk:
      break;
  }
  if (snapshot.adapters.empty()) return {};
  std::string down;
  for (const AdapterSnapshot& adapter : snapshot.adapters) {
    if (adapter.health.up) return {};
    down += (down.empty() ? "" : "; ") + adapter.name +
            (adapter.health.detail.empty() ? "" : " (" + adapter.health.detail + ")");
  }
  return {false, "every adapter is down: " + down};
}

}  // namespace sensorgate::status
