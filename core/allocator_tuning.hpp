// Allocator settings for a long-running gateway process (glibc malloc).
//
// glibc serves allocations of 128 KiB and more with mmap, until the first such block is freed:
// from then on it raises that threshold to the freed size (up to 32 MiB), so the large,
// short-lived buffers of a busy gateway (batches of records handed to Kafka, SQLite's page
// buffers, received MQTT streams) come from the arenas instead. Freed there they leave holes
// that later small allocations pin, and the process keeps megabytes it does not use: at the
// end-to-end peak of bench_mqtt the arenas held 20-22 MiB with 6-11 MiB in use. A fixed
// threshold returns each large block to the kernel when freed.
//
// Call once at process start, before other threads run (mallopt is not meant to race with
// allocations). Returns false when the C library refused the setting (nothing changed then).
#pragma once

namespace sensorgate {

bool tune_allocator_for_gateway();

}  // namespace sensorgate
