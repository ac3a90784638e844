// fill_buffer: writes N readings into a sensorgate buffer file, as the daemon would have stored
// them while Kafka was away, and exits. The package test (deb_test.sh) runs it as user
// sensorgate to leave a buffer with undelivered rows in /var/lib/sensorgate.
//
//   fill_buffer /var/lib/sensorgate/buffer.db 25    # creates the file if needed; 0 rows: empty
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "buffer/buffer.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: fill_buffer BUFFER_FILE ROWS\n";
    return 2;
  }
  sensorgate::buffer::Options options;
  options.path = argv[1];
  auto opened = sensorgate::buffer::Buffer::open(options);
  if (!opened.ok()) {
    std::cerr << "fill_buffer: " << opened.error().message << '\n';
    return 1;
  }
  const int rows = std::atoi(argv[2]);
  std::vector<sensorgate::buffer::Record> records;
  for (int n = 0; n < rows; ++n) {
    const std::string device = "hall-" + std::to_string(n % 3);
    records.push_back({"sensors.readings", device, 1'795'000'000'000'000'000 + n,
                       "{\"device\":\"" + device +
                           "\",\"metric\":\"temp\",\"value\":" + std::to_string(n) + "}"});
  }
  if (!records.empty()) {
    if (auto appended = opened.value()->append(records); !appended.ok()) {
      std::cerr << "fill_buffer: " << appended.error().message << '\n';
      return 1;
    }
  }
  opened.value()->close();
  return 0;
}
