#include "core/allocator_tuning.hpp"

#include <malloc.h>

namespace sensorgate {

bool tune_allocator_for_gateway() {
  // glibc's own default, but fixed: setting it turns off the dynamic raise (mallopt(3)).
  constexpr int kMmapThresholdBytes = 128 * 1024;
  return mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes) == 1;
}

}  // namespace sensorgate
