// BacklogCache: the buffer's backlog statistics, read at most once per max_age and shared by
// every request, so that scraping costs no database work per request (Buffer::stats() runs a
// short read transaction of a few queries on the buffer's reader connection). Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "buffer/buffer.hpp"

namespace sensorgate::status {

struct BacklogEntry {
  buffer::BacklogStats stats;  // by_topic and by_device left empty
  bool read = false;           // false until one read succeeded
  std::string error;           // the last read's error; empty when it worked
};

class BacklogCache {
 public:
  // `buffer` must outlive the cache.
  explicit BacklogCache(buffer::Buffer& buffer,
                        std::chrono::steady_clock::duration max_age = std::chrono::seconds(1));

  // The statistics, read anew when the last read is older than max_age. After a failed read:
  // the last good statistics with the error.
  BacklogEntry get();

 private:
  buffer::Buffer& buffer_;
  const std::chrono::steady_clock::duration max_age_;
  std::mutex mutex_;
  BacklogEntry entry_;
  std::chrono::steady_clock::time_point read_at_{};
};

}  // namespace sensorgate::status
