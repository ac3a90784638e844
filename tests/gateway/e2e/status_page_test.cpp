// The status page in a real browser: Debian's chromium, headless, opens GET / of a running
// gateway, and the DOM it renders after the page's first polls of /status holds the adapter, the
// pending count and the firing alert. A screenshot (a phone's width) is kept as a test artifact
// under the build tree: <build>/tests/gateway/e2e/artifacts/status_page.png.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <httplib.h>

#include <fstream>

#include "gateway_process.hpp"
#include "support/kafka_cluster.hpp"
#include "support/mosquitto.hpp"
#include "support/mqtt_client.hpp"
#include "support/ports.hpp"
#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace sensorgate::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kBaseMs = 1'763'856'000'000;  // 2025-11-23T00:00:00Z

// Installs Debian's chromium when absent (tests/gateway/e2e/ensure_chromium.sh).
void ensure_chromium() {
  SubprocessOptions options;
  options.pipe_stdout = false;
  Subprocess script({std::string(SENSORGATE_SOURCE_DIR) + "/tests/gateway/e2e/ensure_chromium.sh"},
                    options);
  const auto status = script.wait(600s);
  REQUIRE(status);
  REQUIRE(exit_code_of(*status) == 0);
}

// chromium headless with the flags this machine needs (FIELD-NOTES: --no-sandbox as root,
// --disable-background-networking on a closed network) and a fresh profile. The virtual time
// budget lets the page's timers and fetches of /status run before the DOM is dumped.
std::string run_chromium(const TempDir& dir, std::vector<std::string> what) {
  std::vector<std::string> argv{"chromium",
                                "--headless",
                                "--no-sandbox",
                                "--disable-gpu",
                                "--disable-background-networking",
                                "--no-first-run",
                                "--user-data-dir=" + (dir / "profile").string(),
                                "--virtual-time-budget=10000",
                                "--hide-scrollbars"};
  argv.insert(argv.end(), what.begin(), what.end());
  SubprocessOptions options;
  options.stderr_file = dir / "chromium.log";
  Subprocess browser(argv, options);
  std::string out;
  for (int i = 0; i < 100'000; ++i) {
    const auto line = browser.read_line(60s);
    if (!line) break;
    out += *line + "\n";
  }
  const auto status = browser.wait(30s);
  INFO(read_file(dir / "chromium.log"));
  REQUIRE(status);
  REQUIRE(exit_code_of(*status) == 0);
  return out;
}

}  // namespace

TEST_CASE(
    "headless chromium renders the status page with the adapter, the pending count and a "
    "firing alert") {
  ensure_chromium();
  TempDir dir;
  Mosquitto mosquitto{MosquittoOptions{.persistence = true}};
  KafkaCluster kafka;
  const std::uint16_t port = free_tcp_port();
  GatewayProcess gateway(GatewayConfig{
      dir.path(), mosquitto.url(), kafka.bootstrap(),
      "rules:\n"
      "  - {name: hall-hot, match: {device: \"hall-*\", metric: temp}, when: value > 30,\n"
      "     severity: critical}\n"
      "http: {listen: '127.0.0.1:" +
          std::to_string(port) + "'}\n"});
  gateway.start();
  httplib::Client client("127.0.0.1", port);
  auto status = [&] {
    const auto answer = client.Get("/status");
    return answer && answer->status == 200 ? nlohmann::json::parse(answer->body) : nlohmann::json();
  };
  // Kafka down, so that what is published stays pending and the page shows a known count.
  REQUIRE(kafka.command("broker down all"));
  REQUIRE(wait_until([&] { return status()["kafka"]["up"] == false; }, 10s));
  MqttClient sensors(mosquitto.url(), "sensors");
  for (int n = 0; n < 37; ++n) {
    const int temp = n == 36 ? 35 : n % 20;  // the last one, hall-1, is too hot
    sensors.publish(
        "plant/site-a/hall-" + std::to_string(n % 5) + "/telemetry",
        "{\"t\":" + std::to_string(temp) + ",\"ts\":" + std::to_string(kBaseMs + n) + "}");
  }
  REQUIRE(wait_until(
      [&] {
        const auto now = status();
        // 37 readings and the records for sensors.alerts of hall-hot and of kafka_unreachable
        // (after 2 s in the test config); then nothing changes.
        return now["backlog"]["pending"] == 39 && now["alerts"]["firing"].size() == 2;
      },
      20s));

  const std::string page = "http://127.0.0.1:" + std::to_string(port) + "/";
  const std::string dom = run_chromium(dir, {"--dump-dom", page});
  INFO(dom);
  CHECK(dom.find("plant-mqtt (mqtt)") != std::string::npos);
  CHECK(dom.find("<div class=\"value\" id=\"pending\">39</div>") != std::string::npos);
  CHECK(dom.find("hall-hot · hall-1") != std::string::npos);
  CHECK(dom.find("kafka_unreachable · e2e-gateway") != std::string::npos);
  CHECK(dom.find("e2e-gateway") != std::string::npos);
  CHECK(dom.find("down since ") != std::string::npos);

  const std::filesystem::path artifacts = SENSORGATE_ARTIFACT_DIR;
  std::filesystem::create_directories(artifacts);
  const auto screenshot = artifacts / "status_page.png";
  std::filesystem::remove(screenshot);
  (void)run_chromium(dir, {"--window-size=412,1100", "--screenshot=" + screenshot.string(), page});
  REQUIRE(std::filesystem::exists(screenshot));
  std::ifstream png(screenshot, std::ios::binary);
  std::string signature(8, '\0');
  png.read(signature.data(), 8);
  CHECK(signature == "\x89PNG\r\n\x1a\n");
  WARN("status page screenshot: " << screenshot.string());
  CHECK(gateway.stop() == 0);
}

}  // namespace sensorgate::testing
