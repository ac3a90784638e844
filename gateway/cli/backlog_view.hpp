// Renders backlog statistics for `sensorgate backlog`: an aligned table for people, or JSON
// with stable keys (DESIGN.md) for scripts. Pure functions of the statistics and "now".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "buffer/buffer.hpp"
#include "buffer/quarantine.hpp"

namespace sensorgate::cli {

enum class BacklogGrouping { kNone, kTopic, kDevice };

// `quarantined`: buffer files moved aside (buffer::list_quarantined), listed with where they
// are and how many pending rows they held, after the summary.
std::string render_backlog_table(const buffer::BacklogStats& stats, BacklogGrouping grouping,
                                 std::int64_t now_ns,
                                 const std::vector<buffer::QuarantineNote>& quarantined = {});

// The table's "dropped" row names each reason after the total: "2 (cap 1, commit_failed 1)".
// Keys: pending, pending_bytes, oldest_ts, oldest_age_s, newest_ts, delivered_total,
// dropped_total, dropped_by_reason (an object: drop reason label -> rows, ever; {} when none),
// dead_letter_total, db_bytes and, when grouped, "by_topic" or "by_device": an
// array of {name, pending, pending_bytes}; "quarantined" when there are such files: an array of
// {file, reason, rows (null when unknown), at}. Timestamps are RFC 3339 or null when nothing
// waits.
std::string render_backlog_json(const buffer::BacklogStats& stats, BacklogGrouping grouping,
                                std::int64_t now_ns,
                                const std::vector<buffer::QuarantineNote>& quarantined = {});

}  // namespace sensorgate::cli
