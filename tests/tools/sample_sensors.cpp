// sample_sensors: publishes realistic readings from a few simulated devices to an MQTT broker,
// for the demo and for manual testing. It teaches how a sensor talks to sensorgate: one JSON
// message per device and interval on plant/<site>/<device>/telemetry, QoS 1, with the
// measurement time in epoch milliseconds.
//
//   sample_sensors --url tcp://127.0.0.1:1883 --devices 6 --rate 20 --seconds 60
//
// Every message is {"t": <temperature C>, "h": <humidity %>, "ts": <epoch ms>}; temperatures
// wander slowly around a per-device base, so rules and charts see plausible curves. Stops by
// itself after --seconds (or on SIGINT/SIGTERM) and prints how many messages the broker acked.
#include <mqtt/async_client.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

std::atomic<bool> g_stop{false};

struct Device {
  std::string site;
  std::string name;
  double base_temperature;
  double temperature;
  double humidity;
};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Publishes simulated sensor readings over MQTT (QoS 1)"};
  std::string url = "tcp://127.0.0.1:1883";
  int device_count = 6;
  double rate = 10;  // messages per second per device
  double seconds = 60;
  unsigned seed = std::random_device{}();
  app.add_option("--url", url, "MQTT broker URL");
  app.add_option("--devices", device_count, "number of simulated devices")
      ->check(CLI::Range(1, 1000));
  app.add_option("--rate", rate, "messages per second per device")->check(CLI::Range(0.1, 10000.0));
  app.add_option("--seconds", seconds, "how long to publish")->check(CLI::Range(0.1, 86400.0));
  app.add_option("--seed", seed, "random seed (printed at start)");
  CLI11_PARSE(app, argc, argv);

  std::signal(SIGINT, [](int) { g_stop = true; });
  std::signal(SIGTERM, [](int) { g_stop = true; });

  std::mt19937 random(seed);
  std::normal_distribution<double> noise(0.0, 0.05);
  std::vector<Device> devices;
  const char* sites[] = {"north", "south"};
  for (int i = 0; i < device_count; ++i) {
    const double base = 19.0 + (i % 5) * 1.5;
    devices.push_back({sites[i % 2], "hall-" + std::to_string(i + 1), base, base, 45.0 + i});
  }
  std::printf("sample_sensors: %d devices, %.1f msg/s each, %.0f s, seed %u\n", device_count, rate,
              seconds, seed);
  std::fflush(stdout);

  mqtt::async_client client(url, "sample-sensors-" + std::to_string(seed));
  auto options =
      mqtt::connect_options_builder().clean_session(true).automatic_reconnect(true).finalize();
  try {
    client.connect(options)->wait();
  } catch (const mqtt::exception& error) {
    std::fprintf(stderr, "sample_sensors: cannot connect to %s: %s\n", url.c_str(), error.what());
    return 1;
  }

  const auto interval = std::chrono::duration<double>(1.0 / rate);
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  auto next = std::chrono::steady_clock::now();
  std::vector<mqtt::delivery_token_ptr> pending;
  long acked = 0;
  long failed = 0;
  while (!g_stop && std::chrono::steady_clock::now() < end) {
    for (Device& device : devices) {
      // A slow random walk pulled back to the base keeps values plausible for hours.
      device.temperature += noise(random) + 0.01 * (device.base_temperature - device.temperature);
      device.humidity = std::clamp(device.humidity + noise(random), 20.0, 90.0);
      char payload[128];
      std::snprintf(payload, sizeof payload, R"({"t":%.2f,"h":%.1f,"ts":%lld})", device.temperature,
                    device.humidity, static_cast<long long>(now_ms()));
      const std::string topic = "plant/" + device.site + "/" + device.name + "/telemetry";
      pending.push_back(client.publish(topic, payload, 1, false));
    }
    next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval);
    std::this_thread::sleep_until(next);
    if (pending.size() > 1000) {
      for (auto& token : pending) {
        try {
          token->wait();
          ++acked;
        } catch (const mqtt::exception&) {
          ++failed;
        }
      }
      pending.clear();
    }
  }
  for (auto& token : pending) {
    try {
      token->wait();
      ++acked;
    } catch (const mqtt::exception&) {
      ++failed;
    }
  }
  client.disconnect()->wait();
  std::printf("sample_sensors: %ld messages acked by the broker, %ld failed\n", acked, failed);
  return failed == 0 ? 0 : 1;
}
