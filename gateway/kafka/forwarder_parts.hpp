// The Forwarder's private parts shared by forwarder.cpp and forwarder_transactions.cpp: the
// producer handle's owner and the per-topic state. Used by the forwarder thread only.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <string>

#include "gateway/kafka/forwarder.hpp"

namespace sensorgate::kafka {

struct Forwarder::Producer {
  rd_kafka_t* handle = nullptr;
  ~Producer() {
    if (handle != nullptr) rd_kafka_destroy(handle);
  }
};

// A topic the forwarder has produced to; the handle belongs to the current producer.
struct Forwarder::TopicState {
  std::string name;
  rd_kafka_topic_t* handle = nullptr;
  std::uint64_t delivered_unpublished = 0;
};

}  // namespace sensorgate::kafka
