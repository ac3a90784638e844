#include "buffer/in_flight_rows.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace sensorgate::buffer {

namespace {
constexpr std::size_t kFirstCapacity = 64;
// Widest window of seqs, in rows of the group, that sort_by_seq() places by slot.
constexpr std::uint64_t kMaxWindowPerRow = 4;
constexpr std::uint32_t kNoRow = UINT32_MAX;

void sort_with_std(std::vector<InFlightRow>& rows) {
  std::sort(rows.begin(), rows.end(),
            [](const InFlightRow& a, const InFlightRow& b) { return a.seq < b.seq; });
}
}  // namespace

void sort_by_seq(std::vector<InFlightRow>& rows) {
  if (rows.size() < 2) return;
  const auto [lowest, highest] =
      std::minmax_element(rows.begin(), rows.end(),
                          [](const InFlightRow& a, const InFlightRow& b) { return a.seq < b.seq; });
  const auto window = static_cast<std::uint64_t>(highest->seq - lowest->seq) + 1;
  if (window > kMaxWindowPerRow * rows.size() || rows.size() >= kNoRow) {
    return sort_with_std(rows);
  }
  const std::int64_t first = lowest->seq;
  std::vector<std::uint32_t> slots(window, kNoRow);  // slot of seq first + i: index in rows
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::uint32_t& slot = slots[static_cast<std::size_t>(rows[i].seq - first)];
    if (slot != kNoRow) return sort_with_std(rows);  // a seq twice: keep both
    slot = static_cast<std::uint32_t>(i);
  }
  // Where each row goes, then moved there in place along the permutation's cycles (every swap
  // puts one row in its place), so `rows` keeps its storage.
  std::vector<std::uint32_t> target(rows.size());
  std::uint32_t rank = 0;
  for (const std::uint32_t slot : slots) {
    if (slot != kNoRow) target[slot] = rank++;
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    while (target[i] != i) {
      const std::uint32_t to = target[i];
      std::swap(rows[i], rows[to]);
      std::swap(target[i], target[to]);
    }
  }
}

void InFlightRows::add(const InFlightRow& row) {
  if (count_ == ring_.size()) {
    std::vector<InFlightRow> grown;
    grown.reserve(std::max(kFirstCapacity, 2 * ring_.size()));
    for (std::size_t i = 0; i < count_; ++i) grown.push_back(at(i));
    grown.resize(grown.capacity());
    ring_.swap(grown);
    front_ = 0;
  }
  ring_[(front_ + count_) & (ring_.size() - 1)] = row;
  ++count_;
}

InFlightRow* InFlightRows::find(std::int64_t seq) {
  if (empty() || seq < at(0).seq) return nullptr;
  // Rows are handed out in ascending seq and mostly without gaps (gaps: rows done or dropped
  // before they were read), so a seq's distance from the first one is usually its index.
  const auto guess = static_cast<std::uint64_t>(seq - at(0).seq);
  if (guess < count_ && at(guess).seq == seq) return &at(guess);
  std::size_t low = 0, high = count_;  // the first row with a seq >= `seq` is in [low, high]
  while (low < high) {
    const std::size_t middle = low + (high - low) / 2;
    if (at(middle).seq < seq) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return low < count_ && at(low).seq == seq ? &at(low) : nullptr;
}

void InFlightRows::drop_reported_front() {
  while (count_ > 0 && at(0).delivered) {
    front_ = (front_ + 1) & (ring_.size() - 1);
    --count_;
  }
}

void InFlightRows::clear() {
  front_ = 0;
  count_ = 0;
}

}  // namespace sensorgate::buffer
