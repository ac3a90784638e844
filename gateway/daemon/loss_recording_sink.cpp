#include "gateway/daemon/loss_recording_sink.hpp"

#include <string>

namespace sensorgate::gateway {

LossRecordingSink::LossRecordingSink(adapters::ReadingSink& next, buffer::Buffer& buffer)
    : next_(next), buffer_(buffer), unrecorded_log_(LogLevel::kError, "ingest") {}

Status<adapters::IngestError> LossRecordingSink::submit_and_wait(std::vector<Reading> readings) {
  return next_.submit_and_wait(std::move(readings));
}

Status<adapters::IngestError> LossRecordingSink::submit_and_wait_retrying(
    std::vector<Reading> readings, std::chrono::milliseconds retry_for) {
  return next_.submit_and_wait_retrying(std::move(readings), retry_for);
}

Status<adapters::IngestError> LossRecordingSink::dead_letter(std::string_view source,
                                                             std::string_view payload,
                                                             const std::string& reason) {
  return next_.dead_letter(source, payload, reason);
}

Status<adapters::IngestError> LossRecordingSink::submit(std::vector<Reading> readings) {
  const std::uint64_t count = readings.size();
  Status<adapters::IngestError> submitted = next_.submit(std::move(readings));
  if (submitted.ok() || count == 0) return submitted;
  buffer::DropReason reason = buffer::DropReason::kCommitFailed;
  switch (submitted.error().code) {
    case adapters::IngestError::kFull:
      return submitted;
    case adapters::IngestError::kFailed:
      reason = buffer::DropReason::kCommitFailed;
      break;
    case adapters::IngestError::kStopping:
      reason = buffer::DropReason::kStopping;
      break;
  }
  if (const auto recorded = buffer_.record_dropped(count, reason); !recorded.ok()) {
    unrecorded_log_.log(std::to_string(count) + " lost reading(s) (" +
                        buffer::drop_reason_label(reason) +
                        ") could not be counted in dropped_total: " + recorded.error().message);
  }
  return submitted;
}

}  // namespace sensorgate::gateway
