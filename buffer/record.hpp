// Record: one Kafka-bound record as the buffer stores it; StoredRecord: with its seq.
// RecordBatch: the rows one Buffer::next_batch() read handed out, in seq order. Its slots
// outlive the rows: a read overwrites the slots in place and one that brings fewer rows than
// the last leaves the rest unused rather than destroyed, so a drain loop that passes the same
// batch allocates nothing per row once it has seen its largest rows. (A std::vector resized to
// each read's rows freed the strings of the slots beyond it: 1 row in 6 allocated its strings
// again in bench_kafka, where the room in flight varies from read to read.)
//
// Thread safety: plain values; a RecordBatch has one owner at a time.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sensorgate::buffer {

// One Kafka-bound record: what the forwarder sends, as the buffer stores it.
struct Record {
  std::string topic;
  std::string key;  // the device id
  std::int64_t ts_ns = 0;
  std::string value;  // the encoded record value (JSON)
};

struct StoredRecord {
  std::int64_t seq = 0;
  Record record;
};

class RecordBatch {
 public:
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  StoredRecord& operator[](std::size_t i) { return slots_[i]; }
  const StoredRecord& operator[](std::size_t i) const { return slots_[i]; }
  const StoredRecord* begin() const { return slots_.data(); }
  const StoredRecord* end() const { return slots_.data() + size_; }

  // Empties the batch; the slots stay for the next read.
  void clear() { size_ = 0; }
  // The slot of one more row, to be overwritten by the caller (next_batch()).
  StoredRecord& add() {
    if (size_ == slots_.size()) slots_.emplace_back();
    return slots_[size_++];
  }
  // Drops the first `n` rows; their slots move behind the others.
  void drop_front(std::size_t n) {
    n = std::min(n, size_);
    std::rotate(slots_.begin(), slots_.begin() + static_cast<std::ptrdiff_t>(n),
                slots_.begin() + static_cast<std::ptrdiff_t>(size_));
    size_ -= n;
  }
  // Frees the unused slots beyond the first `keep` (the rows stay): what an idle drain loop
  // holds after a backlog, whose strings would otherwise pin heap pages the allocator could
  // give back.
  void free_slots_beyond(std::size_t keep) {
    if (slots_.size() <= std::max(keep, size_)) return;
    slots_.resize(std::max(keep, size_));
    slots_.shrink_to_fit();
  }
  // The rows, moved out; the batch is empty and without slots afterwards.
  std::vector<StoredRecord> take() {
    slots_.resize(size_);
    size_ = 0;
    return std::move(slots_);
  }

 private:
  std::vector<StoredRecord> slots_;
  std::size_t size_ = 0;
};

}  // namespace sensorgate::buffer
