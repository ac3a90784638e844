// Segments: how the buffer packs the records of consecutive seqs into one row of the segments
// table (schema version 3). One row per reading cost the buffer ~3,850 instructions per reading
// to insert and ~4,900 to read and delete (callgrind, bench_kafka); one row per up to
// kSegmentRecords readings pays SQLite's per-row work once for all of them.
//
// A segment's data is the records in seq order, each as: varint topic name id, varint device
// name id, zigzag varint of ts_ns minus the previous record's (the first: minus 0), varint value
// length, value bytes. Records delivered, dead-lettered or dropped before the whole segment is
// are marked in a done mask (one bit per record, bit i of byte i / 8), kept in the
// segment_progress table while the segment lives.
//
// Thread safety: plain values; SegmentReader reads memory it does not own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sensorgate::buffer {

// Most records, and most encoded bytes (a record larger than that alone is one segment), per
// segment: 256 records of a typical 150-byte reading fill about ten 4 KiB pages.
inline constexpr std::size_t kSegmentRecords = 256;
inline constexpr std::size_t kSegmentBytes = 32 << 10;

// One record as a segment stores it; `value` points into the segment's data.
struct SegmentRecord {
  std::int64_t topic_id = 0;
  std::int64_t device_id = 0;
  std::int64_t ts_ns = 0;
  std::string_view value;
};

// Builds one segment's data. Not thread-safe.
class SegmentWriter {
 public:
  void add(std::int64_t topic_id, std::int64_t device_id, std::int64_t ts_ns,
           std::string_view value);
  // Whether a record of `value_size` bytes still fits (an empty segment takes any record).
  bool has_room_for(std::size_t value_size) const;
  std::size_t count() const { return count_; }
  std::string_view data() const { return data_; }
  // Empties it for the next segment, keeping the memory.
  void clear();

 private:
  std::string data_;
  std::size_t count_ = 0;
  std::int64_t last_ts_ns_ = 0;
};

// Reads a segment's records in order. next() is false at the end, and false with failed() set
// when the data is malformed (a damaged file): the caller treats that as corruption.
class SegmentReader {
 public:
  explicit SegmentReader(std::string_view data) : rest_(data) {}
  bool next(SegmentRecord& record);
  bool failed() const { return failed_; }

 private:
  std::string_view rest_;
  std::int64_t last_ts_ns_ = 0;
  bool failed_ = false;
};

// Done masks: `mask` may be shorter than the segment (missing bytes are not done).
bool is_done(std::string_view mask, std::size_t index);
void set_done(std::string& mask, std::size_t index);

}  // namespace sensorgate::buffer
