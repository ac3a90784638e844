#include <librdkafka/rdkafka.h>
#include <sqlite3.h>

#include <ostream>

#include "gateway/cli/commands.hpp"

namespace sensorgate::cli {

int version_command(std::ostream& out) {
  out << "sensorgate " << SENSORGATE_VERSION << " (SQLite " << sqlite3_libversion()
      << ", librdkafka " << rd_kafka_version_str() << ")\n";
  return kExitOk;
}

}  // namespace sensorgate::cli
