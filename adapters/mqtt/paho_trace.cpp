#include "adapters/mqtt/paho_trace.hpp"

#include <MQTTAsync.h>

#include <cstdlib>

namespace sensorgate::mqtt {

bool paho_trace_requested(const char* trace, const char* trace_level) {
  const auto set = [](const char* value) { return value != nullptr && *value != '\0'; };
  return set(trace) || set(trace_level);
}

void quiet_paho_trace() {
  if (paho_trace_requested(std::getenv("MQTT_C_CLIENT_TRACE"),
                           std::getenv("MQTT_C_CLIENT_TRACE_LEVEL"))) {
    return;
  }
  MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_ERROR);
}

}  // namespace sensorgate::mqtt
