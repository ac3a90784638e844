// modbus_server: a Modbus TCP device on loopback, made with libmodbus, for tests, the bench and
// the demo. It teaches what a device looks like from sensorgate's side: four tables (holding and
// input registers, coils, discrete inputs) answered by modbus_reply(), one request at a time.
//
//   modbus_server [--port N] [--simulate] [--silent]
//
// It prints "listening 127.0.0.1:<port>" once it accepts connections (--port 0, the default:
// a free port), then serves until SIGTERM/SIGINT. With --silent it accepts connections and never
// answers: a device that hangs. With --simulate a boiler (below) changes once a second.
//
// Commands on stdin, one per line, each answered on stdout by "ok", "error <why>" or a figure:
//   set holding|input <address> <word>...   16-bit words, decimal or 0x hex
//   set coil|discrete <address> <0|1>...
//   requests                                "requests <n>": requests answered so far (exception
//                                           answers included)
//   reset                                   sets that count to 0
//
// Every table has addresses 0-9999; a request beyond them gets exception 2 (illegal data
// address). Known values, 32/64-bit ones in each byte order (abcd, cdab, badc, dcba in turn):
//   holding 0      uint16 50000
//   holding 1      int16 -1234
//   holding 2      0xA005: bits 0, 2, 13 and 15 set
//   holding 10..17 uint32 0x12345678 at 10 (abcd), 12 (cdab), 14 (badc), 16 (dcba)
//   holding 20..27 int32 -123456789, same orders
//   holding 30..37 float32 0x40490FDB (3.14159274), same orders
//   holding 40..55 uint64 0x0102030405060708 at 40, 44, 48, 52
//   holding 60..75 int64 -1234567890123 at 60, 64, 68, 72
//   holding 80..95 float64 -2.718281828459045 at 80, 84, 88, 92
//   holding 1000..1099  1000 + i (a block of 100 for the bench)
//   input 0 = 4321, input 10..95 as holding; coils 0-3 = 1, 0, 1, 1; discrete 0-1 = 0, 1
//   --simulate: holding 200-201 float32 abcd pressure in bar (6-9), holding 202 int16 water
//   temperature in 0.1 C, coil 200 the burner (on below 7.5 bar)
#include <arpa/inet.h>
#include <modbus/modbus.h>
#include <netinet/in.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr int kTableSize = 10000;
volatile std::sig_atomic_t g_stop = 0;

// Writes the `bytes` most significant first value bytes of `value` to `table` at `address` in
// one of the byte orders, as a device that uses it would.
void put(std::uint16_t* table, int address, std::uint64_t value, int bytes, int order) {
  std::vector<std::uint8_t> value_bytes(bytes);
  for (int i = 0; i < bytes; ++i) value_bytes[i] = (value >> (8 * (bytes - 1 - i))) & 0xFF;
  std::vector<std::uint8_t> wire(bytes);
  for (int k = 0; k < bytes; ++k) {
    switch (order) {
      case 0:
        wire[k] = value_bytes[k];
        break;  // abcd
      case 1:
        wire[k] = value_bytes[bytes - 2 - (k & ~1) + (k & 1)];
        break;  // cdab
      case 2:
        wire[k] = value_bytes[k ^ 1];
        break;  // badc
      default:
        wire[k] = value_bytes[bytes - 1 - k];
        break;  // dcba
    }
  }
  for (int i = 0; i < bytes / 2; ++i) table[address + i] = (wire[2 * i] << 8) | wire[2 * i + 1];
}

void put_known_values(std::uint16_t* table) {
  table[2] = 0xA005;
  for (int order = 0; order < 4; ++order) {
    put(table, 10 + 2 * order, 0x12345678u, 4, order);
    put(table, 20 + 2 * order, static_cast<std::uint32_t>(-123456789), 4, order);
    put(table, 30 + 2 * order, 0x40490FDBu, 4, order);
    put(table, 40 + 4 * order, 0x0102030405060708ull, 8, order);
    put(table, 60 + 4 * order, static_cast<std::uint64_t>(-1234567890123ll), 8, order);
    put(table, 80 + 4 * order, std::bit_cast<std::uint64_t>(-2.718281828459045), 8, order);
  }
}

void simulate(modbus_mapping_t* map, double seconds) {
  const double pressure = 7.5 + 1.5 * std::sin(seconds / 20.0);
  put(map->tab_registers, 200, std::bit_cast<std::uint32_t>(static_cast<float>(pressure)), 4, 0);
  map->tab_registers[202] =
      static_cast<std::uint16_t>(static_cast<std::int16_t>(std::lround(10 * (60 + 2 * pressure))));
  map->tab_bits[200] = pressure < 7.5 ? 1 : 0;
}

bool parse_word(const std::string& text, long& out) {
  try {
    std::size_t used = 0;
    out = std::stol(text, &used, 0);
    return used == text.size() && out >= 0 && out <= 0xFFFF;
  } catch (const std::exception&) {
    return false;
  }
}

std::string run_command(const std::string& line, modbus_mapping_t* map, long& requests) {
  std::istringstream in(line);
  std::string verb, table;
  in >> verb;
  if (verb == "requests") return "requests " + std::to_string(requests);
  if (verb == "reset") {
    requests = 0;
    return "ok";
  }
  if (verb != "set") return "error unknown command: " + line;
  long address = 0;
  std::string address_text;
  in >> table >> address_text;
  if (!parse_word(address_text, address) || address >= kTableSize) return "error bad address";
  std::vector<long> values;
  for (std::string word; in >> word;) {
    long value = 0;
    if (!parse_word(word, value)) return "error bad value " + word;
    values.push_back(value);
  }
  if (values.empty() || address + static_cast<long>(values.size()) > kTableSize) {
    return "error expected values within the table";
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    const long at = address + static_cast<long>(i);
    if (table == "holding") {
      map->tab_registers[at] = static_cast<std::uint16_t>(values[i]);
    } else if (table == "input") {
      map->tab_input_registers[at] = static_cast<std::uint16_t>(values[i]);
    } else if (table == "coil" || table == "discrete") {
      if (values[i] > 1) return "error a bit is 0 or 1";
      (table == "coil" ? map->tab_bits : map->tab_input_bits)[at] =
          static_cast<std::uint8_t>(values[i]);
    } else {
      return "error unknown table " + table;
    }
  }
  return "ok";
}

int listen_port(int socket) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  if (::getsockname(socket, reinterpret_cast<sockaddr*>(&address), &length) != 0) return -1;
  return ntohs(address.sin_port);
}

// --silent: a plain TCP listener that accepts, reads and never answers.
int serve_silently(int port) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  const int on = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener, 16) != 0) {
    std::fprintf(stderr, "modbus_server: cannot listen on port %d: %s\n", port,
                 std::strerror(errno));
    return 1;
  }
  std::printf("listening 127.0.0.1:%d\n", listen_port(listener));
  std::fflush(stdout);
  std::vector<int> clients;
  while (!g_stop) {
    fd_set read_set;
    FD_ZERO(&read_set);
    FD_SET(listener, &read_set);
    int highest = listener;
    for (int client : clients) {
      FD_SET(client, &read_set);
      highest = std::max(highest, client);
    }
    if (::select(highest + 1, &read_set, nullptr, nullptr, nullptr) < 0) continue;
    if (FD_ISSET(listener, &read_set)) {
      const int client = ::accept(listener, nullptr, nullptr);
      if (client >= 0) clients.push_back(client);
    }
    for (auto it = clients.begin(); it != clients.end();) {
      char discard[512];
      if (FD_ISSET(*it, &read_set) && ::read(*it, discard, sizeof discard) <= 0) {
        ::close(*it);
        it = clients.erase(it);
      } else {
        ++it;
      }
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"A Modbus TCP device on loopback (libmodbus) for tests, benches and the demo"};
  int port = 0;
  bool silent = false;
  bool simulated = false;
  app.add_option("--port", port, "TCP port on 127.0.0.1; 0: a free one")
      ->check(CLI::Range(0, 65535));
  app.add_flag("--silent", silent, "accept connections and never answer");
  app.add_flag("--simulate", simulated, "move the simulated boiler's values once a second");
  CLI11_PARSE(app, argc, argv);

  struct sigaction action {};
  action.sa_handler = [](int) { g_stop = 1; };
  ::sigaction(SIGTERM, &action, nullptr);
  ::sigaction(SIGINT, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  if (silent) return serve_silently(port);

  modbus_t* context = modbus_new_tcp("127.0.0.1", port);
  modbus_mapping_t* map = modbus_mapping_new(kTableSize, kTableSize, kTableSize, kTableSize);
  if (context == nullptr || map == nullptr) {
    std::fprintf(stderr, "modbus_server: %s\n", modbus_strerror(errno));
    return 1;
  }
  map->tab_registers[0] = 50000;
  map->tab_registers[1] = static_cast<std::uint16_t>(-1234);
  put_known_values(map->tab_registers);
  map->tab_input_registers[0] = 4321;
  put_known_values(map->tab_input_registers);
  for (int i = 0; i < 100; ++i) map->tab_registers[1000 + i] = static_cast<std::uint16_t>(1000 + i);
  const std::uint8_t coils[] = {1, 0, 1, 1};
  std::copy(std::begin(coils), std::end(coils), map->tab_bits);
  map->tab_input_bits[1] = 1;
  if (simulated) simulate(map, 0);

  const int listener = modbus_tcp_listen(context, 16);
  if (listener < 0) {
    std::fprintf(stderr, "modbus_server: cannot listen on port %d: %s\n", port,
                 modbus_strerror(errno));
    return 1;
  }
  std::printf("listening 127.0.0.1:%d\n", listen_port(listener));
  std::fflush(stdout);

  const auto started = std::chrono::steady_clock::now();
  auto next_tick = started + std::chrono::seconds(1);
  std::vector<int> clients;
  std::string input;
  bool stdin_open = true;
  long requests = 0;
  std::vector<std::uint8_t> query(MODBUS_TCP_MAX_ADU_LENGTH);
  while (!g_stop) {
    fd_set read_set;
    FD_ZERO(&read_set);
    FD_SET(listener, &read_set);
    int highest = listener;
    if (stdin_open) FD_SET(STDIN_FILENO, &read_set);
    for (int client : clients) {
      FD_SET(client, &read_set);
      highest = std::max(highest, client);
    }
    timeval wait{0, 200'000};
    if (::select(highest + 1, &read_set, nullptr, nullptr, &wait) < 0) continue;
    if (simulated && std::chrono::steady_clock::now() >= next_tick) {
      simulate(map, std::chrono::duration<double>(next_tick - started).count());
      next_tick += std::chrono::seconds(1);
    }
    if (FD_ISSET(listener, &read_set)) {
      const int client = ::accept(listener, nullptr, nullptr);
      if (client >= 0) clients.push_back(client);
    }
    if (stdin_open && FD_ISSET(STDIN_FILENO, &read_set)) {
      char chunk[4096];
      const ssize_t got = ::read(STDIN_FILENO, chunk, sizeof chunk);
      if (got <= 0) stdin_open = false;  // no more commands; keep serving
      if (got > 0) input.append(chunk, static_cast<std::size_t>(got));
      for (auto end = input.find('\n'); end != std::string::npos; end = input.find('\n')) {
        const std::string line = input.substr(0, end);
        input.erase(0, end + 1);
        if (line.empty()) continue;
        std::printf("%s\n", run_command(line, map, requests).c_str());
        std::fflush(stdout);
      }
    }
    for (auto it = clients.begin(); it != clients.end();) {
      if (!FD_ISSET(*it, &read_set)) {
        ++it;
        continue;
      }
      modbus_set_socket(context, *it);
      const int length = modbus_receive(context, query.data());
      if (length > 0) {
        ++requests;
        modbus_reply(context, query.data(), length, map);
      }
      if (length < 0) {  // the client went away (or sent garbage): drop it
        ::close(*it);
        it = clients.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (int client : clients) ::close(client);
  ::close(listener);
  modbus_mapping_free(map);
  modbus_free(context);
  return 0;
}
