#include "adapters/adapter.hpp"

namespace sensorgate::adapters {

std::string_view reject_reason_name(RejectReason reason) {
  switch (reason) {
    case RejectReason::kNoMapping:
      return "no_mapping";
    case RejectReason::kBadJson:
      return "bad_json";
    case RejectReason::kMissingField:
      return "missing_field";
    case RejectReason::kBadNumber:
      return "bad_number";
    case RejectReason::kBadTimestamp:
      return "bad_timestamp";
    case RejectReason::kBadLine:
      return "bad_line";
    case RejectReason::kTooLarge:
      return "too_large";
    case RejectReason::kBufferFull:
      return "buffer_full";
    case RejectReason::kUnauthorized:
      return "unauthorized";
    case RejectReason::kCommitFailed:
      return "commit_failed";
    case RejectReason::kStopping:
      return "stopping";
    case RejectReason::kKernelDrop:
      return "kernel_drop";
    case RejectReason::kPoison:
      return "poison";
    case RejectReason::kTimeout:
      return "timeout";
    case RejectReason::kConnectionRefused:
      return "connection_refused";
    case RejectReason::kConnectionFailed:
      return "connection_failed";
    case RejectReason::kIllegalFunction:
      return "illegal_function";
    case RejectReason::kIllegalDataAddress:
      return "illegal_data_address";
    case RejectReason::kIllegalDataValue:
      return "illegal_data_value";
    case RejectReason::kDeviceFailure:
      return "device_failure";
    case RejectReason::kModbusException:
      return "modbus_exception";
  }
  return "unknown";
}

}  // namespace sensorgate::adapters
