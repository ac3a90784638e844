// RulesStage: the step between mapping and buffer that runs every reading through the rules
// engine and hands the resulting alert events to the dispatcher. Thread-safe (the engine
// serialises itself; the dispatcher only queues).
#pragma once

#include <vector>

#include "gateway/daemon/alert_dispatcher.hpp"
#include "gateway/daemon/ingest.hpp"
#include "gateway/rules/engine.hpp"

namespace sensorgate::gateway {

class RulesStage final : public ReadingObserver {
 public:
  // Both must outlive the stage.
  RulesStage(rules::RulesEngine& engine, AlertDispatcher& dispatcher)
      : engine_(engine), dispatcher_(dispatcher) {}

  void observe(const std::vector<Reading>& readings) override {
    for (const Reading& reading : readings) {
      auto events = engine_.on_reading(reading);
      if (!events.empty()) dispatcher_.dispatch(std::move(events));
    }
  }

 private:
  rules::RulesEngine& engine_;
  AlertDispatcher& dispatcher_;
};

}  // namespace sensorgate::gateway
