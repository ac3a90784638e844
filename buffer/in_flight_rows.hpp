// InFlightRows: the rows next_batch() handed out and the forwarder has not reported yet, in
// ascending seq, with what the writer needs to update the aggregates when one is delivered
// (without reading the row back). A ring over one vector rather than a std::deque: the deque
// allocated a block of 9 rows every 9 rows handed out (callgrind, bench_kafka); the ring
// allocates only when more rows are in flight than ever before, and holds at most twice the
// most rows that were in flight at once.
//
// Thread safety: none; SqliteBuffer guards it with reader_mutex_. Lookups return nullptr for a
// seq that is not in flight.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sensorgate::buffer {

struct InFlightRow {
  std::int64_t seq;
  std::int64_t topic_id;
  std::int64_t device_id;
  std::int64_t bytes;
  std::int64_t segment_first;  // the segment that holds it (segment.hpp)
  std::int32_t segment_count;  // at most kSegmentRecords; 48 bytes a row, not 56
  bool delivered = false;  // reported (delivered or dead-lettered), not yet dropped from the front
};

// Sorts rows reported delivered by seq. Reports come in runs per partition, so the seqs of one
// group are a window little wider than its rows: placed by seq into a window of slots (4 bytes
// each, at most 4 per row), they cost a swap each where std::sort cost ~450 instructions a row
// (callgrind, bench_kafka, the writer thread). Falls back to std::sort for a sparse window or a
// repeated seq.
void sort_by_seq(std::vector<InFlightRow>& rows);

class InFlightRows {
 public:
  // `row.seq` must be above every seq added since the last clear().
  void add(const InFlightRow& row);
  // The row with this seq, or nullptr.
  InFlightRow* find(std::int64_t seq);
  // Forgets the rows at the front that were reported, up to the first one still awaited.
  void drop_reported_front();
  // Forgets every row; the storage stays for the next rows.
  void clear();
  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }

 private:
  // The i-th row from the front.
  InFlightRow& at(std::size_t i) { return ring_[(front_ + i) & (ring_.size() - 1)]; }

  std::vector<InFlightRow> ring_;  // size 0 or a power of two
  std::size_t front_ = 0;          // index in ring_ of the first row in flight
  std::size_t count_ = 0;
};

}  // namespace sensorgate::buffer
