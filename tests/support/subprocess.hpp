// Subprocess: a child program started by a test (mosquitto, the Kafka cluster program, the
// gateway itself), stopped by its PID when the test ends, pass or fail. The child's stdout
// and stdin are pipes the test can use; stderr goes to the test's stderr or to a file.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sensorgate::testing {

struct SubprocessOptions {
  bool pipe_stdin = false;
  bool pipe_stdout = true;
  // Where stderr goes; empty: inherited from the test.
  std::filesystem::path stderr_file;
  // Extra environment entries "NAME=value" on top of the test's environment.
  std::vector<std::string> environment;
};

class Subprocess {
 public:
  // Starts argv[0] (searched in PATH) with the arguments; throws std::system_error when it
  // cannot be started.
  explicit Subprocess(std::vector<std::string> argv, SubprocessOptions options = {});
  // Kills the child with SIGKILL and reaps it if it still runs.
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();

  // Next line of stdout without its newline, or nullopt at EOF or when `timeout` passes.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  // Writes to the child's stdin (pipe_stdin must be set); returns false when the pipe is gone.
  bool write_stdin(const std::string& text);
  void close_stdin();

  void send_signal(int signal);
  // Waits for exit; returns the wait status, or nullopt when `timeout` passes first.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // SIGTERM, then SIGKILL after `grace`; returns the wait status.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string stdout_buffer_;
  std::optional<int> exit_status_;
};

// Decodes a wait status: the exit code, or 128 + signal number for a killed child.
int exit_code_of(int wait_status);

}  // namespace sensorgate::testing
