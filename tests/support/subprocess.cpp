#include "tests/support/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <thread>

extern char** environ;

namespace sensorgate::testing {

Subprocess::Subprocess(std::vector<std::string> argv, SubprocessOptions options) {
  int in_pipe[2] = {-1, -1};
  int out_pipe[2] = {-1, -1};
  if (options.pipe_stdin && ::pipe2(in_pipe, O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "pipe");
  }
  if (options.pipe_stdout && ::pipe2(out_pipe, O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "pipe");
  }
  int error_fd = -1;
  if (!options.stderr_file.empty()) {
    error_fd = ::open(options.stderr_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (error_fd < 0) {
      throw std::system_error(errno, std::generic_category(), options.stderr_file.string());
    }
  }
  std::vector<char*> args;
  for (std::string& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  std::vector<std::string> environment_strings;
  for (char** entry = environ; *entry != nullptr; ++entry) environment_strings.emplace_back(*entry);
  for (const std::string& entry : options.environment) environment_strings.push_back(entry);
  std::vector<char*> environment;
  for (std::string& entry : environment_strings) environment.push_back(entry.data());
  environment.push_back(nullptr);

  pid_ = ::fork();
  if (pid_ < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid_ == 0) {
    // Child: only async-signal-safe calls until exec. It dies with the test (also when the test
    // is killed by a timeout), so no broker or gateway outlives the run.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (in_pipe[0] >= 0) ::dup2(in_pipe[0], STDIN_FILENO);
    if (out_pipe[1] >= 0) ::dup2(out_pipe[1], STDOUT_FILENO);
    if (error_fd >= 0) ::dup2(error_fd, STDERR_FILENO);
    ::execvpe(args[0], args.data(), environment.data());
    const char message[] = "subprocess: exec failed\n";
    [[maybe_unused]] auto ignored = ::write(STDERR_FILENO, message, sizeof message - 1);
    ::_exit(127);
  }
  if (in_pipe[0] >= 0) ::close(in_pipe[0]);
  if (out_pipe[1] >= 0) ::close(out_pipe[1]);
  if (error_fd >= 0) ::close(error_fd);
  stdin_fd_ = in_pipe[1];
  stdout_fd_ = out_pipe[0];
}

Subprocess::~Subprocess() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

bool Subprocess::running() {
  if (exit_status_) return false;
  int status = 0;
  const pid_t result = ::waitpid(pid_, &status, WNOHANG);
  if (result == pid_) {
    exit_status_ = status;
    return false;
  }
  return result == 0;
}

std::optional<std::string> Subprocess::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto newline = stdout_buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = stdout_buffer_.substr(0, newline);
      stdout_buffer_.erase(0, newline + 1);
      return line;
    }
    if (stdout_fd_ < 0) return std::nullopt;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd descriptor{stdout_fd_, POLLIN, 0};
    const int ready = ::poll(&descriptor, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return std::nullopt;
    char chunk[4096];
    const ssize_t count = ::read(stdout_fd_, chunk, sizeof chunk);
    if (count <= 0) {
      ::close(stdout_fd_);
      stdout_fd_ = -1;
      continue;
    }
    stdout_buffer_.append(chunk, static_cast<std::size_t>(count));
  }
}

bool Subprocess::write_stdin(const std::string& text) {
  std::size_t written = 0;
  while (stdin_fd_ >= 0 && written < text.size()) {
    const ssize_t count = ::write(stdin_fd_, text.data() + written, text.size() - written);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) return false;
    written += static_cast<std::size_t>(count);
  }
  return stdin_fd_ >= 0;
}

void Subprocess::close_stdin() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  stdin_fd_ = -1;
}

void Subprocess::send_signal(int signal) {
  if (running()) ::kill(pid_, signal);
}

std::optional<int> Subprocess::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return exit_status_;
}

int Subprocess::stop(std::chrono::milliseconds grace) {
  send_signal(SIGTERM);
  if (auto status = wait(grace)) return *status;
  send_signal(SIGKILL);
  return *wait(std::chrono::hours(1));
}

int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

}  // namespace sensorgate::testing
