#include "tests/kafka/real_cluster.hpp"

#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "tests/support/ports.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace sensorgate::testing {

namespace {

constexpr int kBrokers = 3;
constexpr const char* kStateFile = "cluster.state";

// Small heap, C1 only, serial GC: the brokers start fast and leave the 2 cores to the tests.
const std::vector<std::string> kJvmOptions = {"-Xms64m", "-Xmx512m", "-XX:TieredStopAtLevel=1",
                                              "-XX:+UseSerialGC"};

const char* kLog4j =
    "status = warn\n"
    "appender.file.type = File\n"
    "appender.file.name = file\n"
    "appender.file.fileName = ${sys:kafka.logs.dir}/server.log\n"
    "appender.file.layout.type = PatternLayout\n"
    "appender.file.layout.pattern = [%d] %p %m (%c)%n\n"
    "rootLogger.level = INFO\n"
    "rootLogger.appenderRef.file.ref = file\n";

std::string random_cluster_id() {
  // A KRaft cluster id is a UUID in URL-safe base64 without padding (22 characters).
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::random_device random;
  std::string id;
  // A letter or digit first, never '-': kafka-storage's argument parser would take the id for
  // an option and fail ("argument --cluster-id/-t: expected one argument"), once in 64 runs.
  // Kafka's own Uuid.randomUuid() avoids a leading '-' for the same reason.
  id += alphabet[random() % 62];
  for (int i = 1; i < 21; ++i) id += alphabet[random() % 64];
  id += alphabet[(random() % 4) * 16];  // the last character carries 2 bits
  return id;
}

// How long a broker (or all three) may take to start, and a new topic to get its full ISR. On
// a quiet machine the three start in about 5 s; a CI run on a slow spell once went past 90 s
// and 30 s, so the bounds leave room for that (they cost nothing while the cluster is healthy).
constexpr auto kClusterReadyWithin = std::chrono::seconds(180);
constexpr auto kBrokerReadyWithin = std::chrono::seconds(120);
constexpr auto kTopicInSyncWithin = std::chrono::seconds(60);
// The last lines of a broker's log that say why it is not ready, for a failure's message.
constexpr std::size_t kLogLinesInFailure = 8;

// The last kLogLinesInFailure WARN or ERROR lines of `log`, each indented, or "" when none.
std::string warnings_of(const std::filesystem::path& log) {
  std::ifstream in(log);
  std::deque<std::string> kept;
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("] WARN ") == std::string::npos && line.find("] ERROR ") == std::string::npos) {
      continue;
    }
    kept.push_back(line.substr(0, 300));
    if (kept.size() > kLogLinesInFailure) kept.pop_front();
  }
  std::string text;
  for (const std::string& warning : kept) text += "\n    " + warning;
  return text;
}

// The process is running (not a zombie) and is the broker of `config` (not a reused PID).
bool is_broker_process(pid_t pid, const std::filesystem::path& config) {
  if (pid <= 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto paren = line.rfind(')');
  if (paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] == 'Z') {
    return false;
  }
  std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline");
  std::string args((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
  return args.find(config.string()) != std::string::npos;
}

// Starts argv detached (own session, not our child, so it outlives the program that started
// it and init reaps it); stdout and stderr go to `log`. Returns its PID.
pid_t spawn_detached(std::vector<std::string> argv, const std::filesystem::path& log) {
  std::vector<char*> args;
  for (std::string& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  const pid_t child = ::fork();
  if (child < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (child == 0) {
    ::setsid();
    const pid_t grandchild = ::fork();
    if (grandchild == 0) {
      const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      const int in = ::open("/dev/null", O_RDONLY);
      if (out >= 0) {
        ::dup2(out, STDOUT_FILENO);
        ::dup2(out, STDERR_FILENO);
      }
      if (in >= 0) ::dup2(in, STDIN_FILENO);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
    [[maybe_unused]] auto written = ::write(fds[1], &grandchild, sizeof grandchild);
    ::_exit(0);
  }
  ::close(fds[1]);
  pid_t pid = -1;
  const auto got = ::read(fds[0], &pid, sizeof pid);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (got != sizeof pid || pid <= 0) throw std::runtime_error("cannot start " + argv[0]);
  return pid;
}

struct ClientDeleter {
  void operator()(rd_kafka_t* handle) const { rd_kafka_destroy(handle); }
};
using Client = std::unique_ptr<rd_kafka_t, ClientDeleter>;

Client make_client(const std::string& bootstrap) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof error);
  rd_kafka_conf_set(conf, "log_level", "0", error, sizeof error);
  Client client(rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error));
  if (!client) throw std::runtime_error(std::string("real kafka: client: ") + error);
  return client;
}

struct Metadata {
  const rd_kafka_metadata_t* data = nullptr;
  ~Metadata() {
    if (data != nullptr) rd_kafka_metadata_destroy(data);
  }
};

}  // namespace

std::unique_ptr<RealKafkaCluster> RealKafkaCluster::start(const std::filesystem::path& libs,
                                                          const std::filesystem::path& state_dir,
                                                          bool owned) {
  std::unique_ptr<RealKafkaCluster> cluster(new RealKafkaCluster());
  cluster->libs_ = libs;
  cluster->owned_ = owned;
  const auto temp = std::filesystem::temp_directory_path() / "sensorgate-kafka-XXXXXX";
  std::string pattern = temp.string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + temp.string());
  }
  cluster->data_dir_ = pattern;
  cluster->state_dir_ = state_dir.empty() ? cluster->data_dir_ : state_dir;
  std::filesystem::create_directories(cluster->state_dir_);
  write_file(cluster->data_dir_ / "log4j2.properties", kLog4j);

  for (int id = 1; id <= kBrokers; ++id) {
    cluster->brokers_.push_back(RealBroker{id, free_tcp_port(), free_tcp_port(), -1});
  }
  std::string voters;
  for (const RealBroker& broker : cluster->brokers_) {
    voters += (voters.empty() ? "" : ",") + std::to_string(broker.id) +
              "@127.0.0.1:" + std::to_string(broker.controller_port);
  }
  for (const RealBroker& broker : cluster->brokers_) {
    const auto dir = cluster->node_dir(broker.id);
    std::filesystem::create_directories(dir);
    const std::string port = std::to_string(broker.port);
    write_file(dir / "server.properties",
               "process.roles=broker,controller\n"
               "node.id=" +
                   std::to_string(broker.id) + "\n" + "listeners=PLAINTEXT://127.0.0.1:" + port +
                   ",CONTROLLER://127.0.0.1:" + std::to_string(broker.controller_port) + "\n" +
                   "advertised.listeners=PLAINTEXT://127.0.0.1:" + port + "\n" +
                   "controller.listener.names=CONTROLLER\n"
                   "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n"
                   "inter.broker.listener.name=PLAINTEXT\n"
                   "controller.quorum.voters=" +
                   voters + "\n" + "log.dirs=" + (dir / "data").string() + "\n" +
                   "auto.create.topics.enable=false\n"
                   "default.replication.factor=3\n"
                   "min.insync.replicas=2\n"
                   "offsets.topic.replication.factor=3\n"
                   "offsets.topic.num.partitions=3\n"
                   "transaction.state.log.replication.factor=3\n"
                   "transaction.state.log.min.isr=2\n"
                   "transaction.state.log.num.partitions=3\n"
                   "group.initial.rebalance.delay.ms=0\n"
                   // Test readings carry timestamps years old: time-based retention would delete
                   // them at its next check (every 5 min) and a consumer would find nothing.
                   "log.retention.ms=-1\n");
  }

  // Format the three storage dirs in parallel (one JVM each).
  const std::string cluster_id = random_cluster_id();
  std::vector<std::unique_ptr<Subprocess>> formats;
  for (const RealBroker& broker : cluster->brokers_) {
    const auto dir = cluster->node_dir(broker.id);
    std::vector<std::string> argv{"java"};
    argv.insert(argv.end(), kJvmOptions.begin(), kJvmOptions.end());
    argv.insert(argv.end(), {"-Dkafka.logs.dir=" + dir.string(),
                             "-Dlog4j2.configurationFile=" +
                                 (cluster->data_dir_ / "log4j2.properties").string(),
                             "-cp", (libs / "*").string(), "kafka.tools.StorageTool", "format",
                             "-t", cluster_id, "-c", (dir / "server.properties").string()});
    SubprocessOptions options;
    options.pipe_stdout = false;
    options.stderr_file = dir / "format.log";
    formats.push_back(std::make_unique<Subprocess>(argv, options));
  }
  for (std::size_t i = 0; i < formats.size(); ++i) {
    const auto status = formats[i]->wait(std::chrono::seconds(120));
    if (!status || exit_code_of(*status) != 0) {
      throw std::runtime_error(
          "real kafka: formatting node " + std::to_string(i + 1) + " failed; see " +
          (cluster->node_dir(static_cast<int>(i) + 1) / "format.log").string());
    }
  }
  try {
    cluster->start_all();
  } catch (const std::runtime_error&) {
    // Stop what started; the data dir stays for its logs (named in the message).
    for (RealBroker& broker : cluster->brokers_) {
      if (is_broker_process(broker.pid, cluster->node_dir(broker.id) / "server.properties")) {
        ::kill(broker.pid, SIGKILL);
      }
    }
    std::error_code ignored;
    std::filesystem::remove(cluster->state_dir_ / kStateFile, ignored);
    cluster->owned_ = false;
    throw;
  }
  return cluster;
}

std::unique_ptr<RealKafkaCluster> RealKafkaCluster::attach(const std::filesystem::path& state_dir) {
  std::ifstream in(state_dir / kStateFile);
  if (!in) {
    throw std::runtime_error("real kafka: no cluster state in " + state_dir.string() +
                             " (the real_kafka fixture starts it)");
  }
  std::unique_ptr<RealKafkaCluster> cluster(new RealKafkaCluster());
  cluster->state_dir_ = state_dir;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string kind;
    words >> kind;
    if (kind == "libs") {
      std::getline(words >> std::ws, line);
      cluster->libs_ = line;
    } else if (kind == "data") {
      std::getline(words >> std::ws, line);
      cluster->data_dir_ = line;
    } else if (kind == "broker") {
      RealBroker broker;
      words >> broker.id >> broker.port >> broker.controller_port >> broker.pid;
      cluster->brokers_.push_back(broker);
    }
  }
  if (cluster->brokers_.size() != kBrokers || cluster->data_dir_.empty()) {
    throw std::runtime_error("real kafka: bad state file " + (state_dir / kStateFile).string());
  }
  return cluster;
}

RealKafkaCluster::~RealKafkaCluster() {
  if (owned_) destroy();
}

std::string RealKafkaCluster::broker_warnings() const {
  std::string text;
  for (const RealBroker& broker : brokers_) {
    const auto log = node_dir(broker.id) / "server.log";
    text += "\n  broker " + std::to_string(broker.id) +
            (is_broker_process(broker.pid, node_dir(broker.id) / "server.properties")
                 ? " (running)"
                 : " (not running)") +
            ", " + log.string() + warnings_of(log);
  }
  return text;
}

std::filesystem::path RealKafkaCluster::node_dir(int id) const {
  return data_dir_ / ("node-" + std::to_string(id));
}

std::string RealKafkaCluster::bootstrap() const {
  std::string out;
  for (const RealBroker& broker : brokers_) {
    out += (out.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(broker.port);
  }
  return out;
}

void RealKafkaCluster::write_state() const {
  const auto path = state_dir_ / kStateFile;
  const auto partial = state_dir_ / (std::string(kStateFile) + ".partial");
  std::ostringstream out;
  out << "libs " << libs_.string() << "\n"
      << "data " << data_dir_.string() << "\n";
  for (const RealBroker& broker : brokers_) {
    out << "broker " << broker.id << " " << broker.port << " " << broker.controller_port << " "
        << broker.pid << "\n";
  }
  write_file(partial, out.str());
  std::filesystem::rename(partial, path);
}

void RealKafkaCluster::launch(RealBroker& broker) {
  const auto dir = node_dir(broker.id);
  std::vector<std::string> argv{"java"};
  argv.insert(argv.end(), kJvmOptions.begin(), kJvmOptions.end());
  argv.insert(argv.end(),
              {"-Dkafka.logs.dir=" + dir.string(),
               "-Dlog4j2.configurationFile=" + (data_dir_ / "log4j2.properties").string(), "-cp",
               (libs_ / "*").string(), "kafka.Kafka", (dir / "server.properties").string()});
  broker.pid = spawn_detached(argv, dir / "stdout.log");
  write_state();
}

void RealKafkaCluster::kill_broker(int id) {
  RealBroker& broker = brokers_.at(static_cast<std::size_t>(id - 1));
  const auto config = node_dir(id) / "server.properties";
  if (is_broker_process(broker.pid, config)) ::kill(broker.pid, SIGKILL);
  if (!wait_until([&] { return !is_broker_process(broker.pid, config); },
                  std::chrono::seconds(10))) {
    throw std::runtime_error("real kafka: broker " + std::to_string(id) + " survived SIGKILL");
  }
  broker.pid = -1;
  write_state();
}

void RealKafkaCluster::restart_broker(int id) {
  RealBroker& broker = brokers_.at(static_cast<std::size_t>(id - 1));
  if (broker.pid > 0 && is_broker_process(broker.pid, node_dir(id) / "server.properties")) return;
  launch(broker);
  if (!wait_ready(kBrokerReadyWithin)) {
    throw std::runtime_error("real kafka: broker " + std::to_string(id) + " not ready within " +
                             std::to_string(kBrokerReadyWithin.count()) + " s" + broker_warnings());
  }
}

void RealKafkaCluster::stop_all() {
  for (RealBroker& broker : brokers_) {
    if (is_broker_process(broker.pid, node_dir(broker.id) / "server.properties")) {
      ::kill(broker.pid, SIGTERM);
    }
  }
  for (RealBroker& broker : brokers_) {
    const auto config = node_dir(broker.id) / "server.properties";
    if (!wait_until([&] { return !is_broker_process(broker.pid, config); },
                    std::chrono::seconds(30)) &&
        is_broker_process(broker.pid, config)) {
      ::kill(broker.pid, SIGKILL);
      wait_until([&] { return !is_broker_process(broker.pid, config); }, std::chrono::seconds(10));
    }
    broker.pid = -1;
  }
  write_state();
}

void RealKafkaCluster::start_all() {
  for (RealBroker& broker : brokers_) {
    if (!is_broker_process(broker.pid, node_dir(broker.id) / "server.properties")) launch(broker);
  }
  if (!wait_ready(kClusterReadyWithin)) {
    throw std::runtime_error("real kafka: the brokers were not ready within " +
                             std::to_string(kClusterReadyWithin.count()) + " s" +
                             broker_warnings());
  }
}

void RealKafkaCluster::destroy() {
  for (RealBroker& broker : brokers_) {
    const auto config = node_dir(broker.id) / "server.properties";
    if (is_broker_process(broker.pid, config)) ::kill(broker.pid, SIGKILL);
  }
  for (RealBroker& broker : brokers_) {
    const auto config = node_dir(broker.id) / "server.properties";
    wait_until([&] { return !is_broker_process(broker.pid, config); }, std::chrono::seconds(10));
    broker.pid = -1;
  }
  std::error_code ignored;
  std::filesystem::remove_all(data_dir_, ignored);
  std::filesystem::remove(state_dir_ / kStateFile, ignored);
  owned_ = false;
}

bool RealKafkaCluster::wait_ready(std::chrono::milliseconds timeout) {
  int running = 0;
  std::string bootstrap_running;
  for (const RealBroker& broker : brokers_) {
    if (broker.pid <= 0) continue;
    ++running;
    bootstrap_running += (bootstrap_running.empty() ? "" : ",") + std::string("127.0.0.1:") +
                         std::to_string(broker.port);
  }
  // Every running broker listed by the cluster: registered with the controller and unfenced.
  const Client client = make_client(bootstrap_running);
  return wait_until(
      [&] {
        Metadata metadata;
        if (rd_kafka_metadata(client.get(), 0, nullptr, &metadata.data, 1000) !=
            RD_KAFKA_RESP_ERR_NO_ERROR) {
          return false;
        }
        return metadata.data->broker_cnt == running;
      },
      timeout);
}

void RealKafkaCluster::create_topic(const std::string& name, int partitions,
                                    const std::map<std::string, std::string>& configs) {
  const Client client = make_client(bootstrap());
  char error[512];
  rd_kafka_NewTopic_t* topic =
      rd_kafka_NewTopic_new(name.c_str(), partitions, 3, error, sizeof error);
  for (const auto& [key, value] : configs) {
    rd_kafka_NewTopic_set_config(topic, key.c_str(), value.c_str());
  }
  rd_kafka_queue_t* queue = rd_kafka_queue_new(client.get());
  rd_kafka_CreateTopics(client.get(), &topic, 1, nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 30000);
  std::string failure;
  if (event == nullptr) {
    failure = "no answer within 30 s";
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    failure = rd_kafka_event_error_string(event);
  } else {
    std::size_t count = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
    for (std::size_t i = 0; i < count; ++i) {
      if (rd_kafka_topic_result_error(results[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        failure = rd_kafka_topic_result_error_string(results[i]);
      }
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_NewTopic_destroy(topic);
  if (!failure.empty())
    throw std::runtime_error("real kafka: create topic " + name + ": " + failure);
  // Leaders are elected shortly after creation: wait until producers can use the topic.
  if (!wait_in_sync(name, kTopicInSyncWithin)) {
    throw std::runtime_error("real kafka: topic " + name + " has no full ISR within " +
                             std::to_string(kTopicInSyncWithin.count()) + " s" + broker_warnings());
  }
}

int RealKafkaCluster::leader_of(const std::string& topic, int partition) {
  const Client client = make_client(bootstrap());
  rd_kafka_topic_t* handle = rd_kafka_topic_new(client.get(), topic.c_str(), nullptr);
  Metadata metadata;
  int leader = -1;
  if (rd_kafka_metadata(client.get(), 0, handle, &metadata.data, 5000) ==
          RD_KAFKA_RESP_ERR_NO_ERROR &&
      metadata.data->topic_cnt == 1) {
    const rd_kafka_metadata_topic_t& info = metadata.data->topics[0];
    for (int i = 0; i < info.partition_cnt; ++i) {
      if (info.partitions[i].id == partition) leader = info.partitions[i].leader;
    }
  }
  rd_kafka_topic_destroy(handle);
  return leader;
}

bool RealKafkaCluster::wait_in_sync(const std::string& topic, std::chrono::milliseconds timeout) {
  const Client client = make_client(bootstrap());
  rd_kafka_topic_t* handle = rd_kafka_topic_new(client.get(), topic.c_str(), nullptr);
  const bool in_sync = wait_until(
      [&] {
        Metadata metadata;
        if (rd_kafka_metadata(client.get(), 0, handle, &metadata.data, 1000) !=
                RD_KAFKA_RESP_ERR_NO_ERROR ||
            metadata.data->topic_cnt != 1 || metadata.data->topics[0].err) {
          return false;
        }
        const rd_kafka_metadata_topic_t& info = metadata.data->topics[0];
        if (info.partition_cnt == 0) return false;
        for (int i = 0; i < info.partition_cnt; ++i) {
          if (info.partitions[i].leader < 0 || info.partitions[i].isr_cnt != kBrokers) return false;
        }
        return true;
      },
      timeout);
  rd_kafka_topic_destroy(handle);
  return in_sync;
}

std::uint64_t RealKafkaCluster::resident_bytes() const {
  std::uint64_t total = 0;
  for (const RealBroker& broker : brokers_) {
    if (broker.pid <= 0) continue;
    std::ifstream status("/proc/" + std::to_string(broker.pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("VmRSS:", 0) == 0) total += std::stoull(line.substr(6)) * 1024;
    }
  }
  return total;
}

RealKafkaCluster& real_kafka() {
  static std::unique_ptr<RealKafkaCluster> cluster = [] {
    if (const char* state = std::getenv("SENSORGATE_REAL_KAFKA"); state != nullptr && *state) {
      return RealKafkaCluster::attach(state);
    }
    const std::string script = std::string(SENSORGATE_SOURCE_DIR) + "/tests/kafka/fetch_kafka.sh";
    Subprocess fetch({script});
    std::string libs;
    while (auto line = fetch.read_line(std::chrono::minutes(10))) libs = *line;
    const auto status = fetch.wait(std::chrono::seconds(10));
    if (!status || exit_code_of(*status) != 0 || libs.empty()) {
      throw std::runtime_error("real kafka: " + script + " failed");
    }
    return RealKafkaCluster::start(libs, {}, true);
  }();
  return *cluster;
}

}  // namespace sensorgate::testing
