// LossRecordingSink: the ReadingSink the adapters are given, in front of the IngestPipeline. It
// passes every call on; when submit() fails, the readings are lost for good (submit() is for
// sources that cannot resend: MQTT acknowledged them already, UDP and Modbus polls have no
// retry), so it records them in the buffer's dropped_by_reason, commit_failed or stopping, where
// `sensorgate backlog` shows them beside the adapter's own reject counters. A failing
// submit_and_wait() is no loss: its caller tells the source (HTTP 500/503), which keeps the data.
// Thread-safe, as the sink behind it.
#pragma once

#include <vector>

#include "adapters/adapter.hpp"
#include "buffer/buffer.hpp"
#include "core/log.hpp"

namespace sensorgate::gateway {

class LossRecordingSink final : public adapters::ReadingSink {
 public:
  // `next` and `buffer` must outlive the sink.
  LossRecordingSink(adapters::ReadingSink& next, buffer::Buffer& buffer);

  Status<adapters::IngestError> submit_and_wait(std::vector<Reading> readings) override;
  // As next's: a source that waits for the commit keeps what is not committed (MQTT with
  // ack: after_commit withholds its acknowledgement), so nothing is recorded.
  Status<adapters::IngestError> submit_and_wait_retrying(
      std::vector<Reading> readings, std::chrono::milliseconds retry_for) override;
  Status<adapters::IngestError> dead_letter(std::string_view source, std::string_view payload,
                                            const std::string& reason) override;
  // As next.submit(); on kFailed (commit_failed) or kStopping (stopping) the readings are
  // recorded as dropped before it returns, which waits for one commit. A refusal at the cap
  // (kFull) is the adapter's buffer_full reject, not recorded here. When the buffer cannot
  // record them either, that is logged (rate-limited) with the count.
  Status<adapters::IngestError> submit(std::vector<Reading> readings) override;

 private:
  adapters::ReadingSink& next_;
  buffer::Buffer& buffer_;
  RateLimitedLog unrecorded_log_;
};

}  // namespace sensorgate::gateway
