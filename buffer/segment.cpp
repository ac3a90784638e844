#include "buffer/segment.hpp"

namespace sensorgate::buffer {
namespace {

void put_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

bool get_varint(std::string_view& in, std::uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in.empty()) return false;
    const auto byte = static_cast<std::uint8_t>(in.front());
    in.remove_prefix(1);
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

std::uint64_t zigzag(std::int64_t value) {
  return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
}

std::int64_t unzigzag(std::uint64_t value) {
  return static_cast<std::int64_t>(value >> 1) ^ -static_cast<std::int64_t>(value & 1);
}

}  // namespace

void SegmentWriter::add(std::int64_t topic_id, std::int64_t device_id, std::int64_t ts_ns,
                        std::string_view value) {
  put_varint(data_, static_cast<std::uint64_t>(topic_id));
  put_varint(data_, static_cast<std::uint64_t>(device_id));
  // Wrapping subtraction: the difference of any two int64 round-trips through zigzag.
  put_varint(data_, zigzag(static_cast<std::int64_t>(static_cast<std::uint64_t>(ts_ns) -
                                                     static_cast<std::uint64_t>(last_ts_ns_))));
  put_varint(data_, value.size());
  data_.append(value);
  last_ts_ns_ = ts_ns;
  ++count_;
}

bool SegmentWriter::has_room_for(std::size_t value_size) const {
  return count_ == 0 || (count_ < kSegmentRecords && data_.size() + value_size <= kSegmentBytes);
}

void SegmentWriter::clear() {
  data_.clear();
  count_ = 0;
  last_ts_ns_ = 0;
}

bool SegmentReader::next(SegmentRecord& record) {
  if (rest_.empty() || failed_) return false;
  std::uint64_t topic = 0, device = 0, ts_delta = 0, size = 0;
  if (!get_varint(rest_, topic) || !get_varint(rest_, device) || !get_varint(rest_, ts_delta) ||
      !get_varint(rest_, size) || size > rest_.size()) {
    failed_ = true;
    return false;
  }
  record.topic_id = static_cast<std::int64_t>(topic);
  record.device_id = static_cast<std::int64_t>(device);
  last_ts_ns_ = static_cast<std::int64_t>(static_cast<std::uint64_t>(last_ts_ns_) +
                                          static_cast<std::uint64_t>(unzigzag(ts_delta)));
  record.ts_ns = last_ts_ns_;
  record.value = rest_.substr(0, size);
  rest_.remove_prefix(size);
  return true;
}

bool is_done(std::string_view mask, std::size_t index) {
  const std::size_t byte = index / 8;
  return byte < mask.size() && (static_cast<std::uint8_t>(mask[byte]) >> (index % 8) & 1) != 0;
}

void set_done(std::string& mask, std::size_t index) {
  const std::size_t byte = index / 8;
  if (mask.size() <= byte) mask.resize(byte + 1, '\0');
  mask[byte] = static_cast<char>(static_cast<std::uint8_t>(mask[byte]) | (1u << (index % 8)));
}

}  // namespace sensorgate::buffer
