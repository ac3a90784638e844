// kafka_forward_child: a forwarder in its own process for the crash test. Opens the buffer file,
// forwards it to the cluster, prints "forwarding" once started, and runs until SIGTERM (then
// stops gracefully) or until it is killed. With "exactly_once" it uses transactions and the
// given progress topic (exit 3 when fenced).
//
//   kafka_forward_child <buffer.db> <bootstrap> <gateway-id> <max-in-flight>
//                       [exactly_once <progress-topic>]
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

#include "buffer/buffer.hpp"
#include "gateway/kafka/forwarder.hpp"

namespace {
volatile std::sig_atomic_t g_stop = 0;
}

int main(int argc, char** argv) {
  if (argc != 5 && !(argc == 7 && std::string(argv[5]) == "exactly_once")) {
    std::fprintf(stderr,
                 "usage: %s <buffer.db> <bootstrap> <gateway-id> <max-in-flight> "
                 "[exactly_once <progress-topic>]\n",
                 argv[0]);
    return 2;
  }
  std::signal(SIGTERM, [](int) { g_stop = 1; });
  auto buffer = sensorgate::buffer::Buffer::open({.path = argv[1]});
  if (!buffer) {
    std::fprintf(stderr, "%s\n", buffer.error().message.c_str());
    return 1;
  }
  sensorgate::kafka::ForwarderOptions options;
  options.gateway_id = argv[3];
  options.producer.brokers = argv[2];
  options.max_in_flight = static_cast<std::uint32_t>(std::stoul(argv[4]));
  if (argc == 7) {
    options.delivery = sensorgate::kafka::Delivery::kExactlyOnce;
    options.progress_topic = argv[6];
    options.on_fatal = [](const std::string&) { g_stop = 1; };
  }
  auto forwarder = sensorgate::kafka::Forwarder::create(options, **buffer);
  if (!forwarder) {
    std::fprintf(stderr, "%s\n", forwarder.error().message.c_str());
    return 1;
  }
  (*forwarder)->start();
  std::printf("forwarding\n");
  std::fflush(stdout);
  while (g_stop == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const auto stopped =
      (*forwarder)->stop(std::chrono::steady_clock::now() + std::chrono::seconds(5));
  (*buffer)->close();
  if (!stopped && stopped.error().code == sensorgate::kafka::ForwarderError::kFenced) return 3;
  return stopped ? 0 : 1;
}
