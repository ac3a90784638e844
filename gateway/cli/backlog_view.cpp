#include "gateway/cli/backlog_view.hpp"

#include <nlohmann/json.hpp>

#include <chrono>

#include "core/time_format.hpp"
#include "core/units.hpp"
#include "gateway/cli/table.hpp"

namespace sensorgate::cli {
namespace {

std::int64_t oldest_age_seconds(const buffer::BacklogStats& stats, std::int64_t now_ns) {
  if (stats.pending == 0) return 0;
  const std::int64_t age_ns = now_ns - stats.oldest_ts_ns;
  return age_ns > 0 ? age_ns / 1'000'000'000 : 0;
}

const std::vector<buffer::GroupStats>* groups_of(const buffer::BacklogStats& stats,
                                                 BacklogGrouping grouping) {
  switch (grouping) {
    case BacklogGrouping::kNone:
      return nullptr;
    case BacklogGrouping::kTopic:
      return &stats.by_topic;
    case BacklogGrouping::kDevice:
      return &stats.by_device;
  }
  return nullptr;
}

// "2 (cap 1, commit_failed 1)": the total, then each reason that dropped something.
std::string describe_dropped(const buffer::BacklogStats& stats) {
  std::string reasons;
  for (const auto& [reason, rows] : stats.dropped_by_reason) {
    if (rows == 0) continue;
    reasons += (reasons.empty() ? "" : ", ") + reason + " " + std::to_string(rows);
  }
  return std::to_string(stats.dropped_total) + (reasons.empty() ? "" : " (" + reasons + ")");
}

}  // namespace

std::string render_backlog_table(const buffer::BacklogStats& stats, BacklogGrouping grouping,
                                 std::int64_t now_ns,
                                 const std::vector<buffer::QuarantineNote>& quarantined) {
  const bool empty = stats.pending == 0;
  Table summary({"", ""});
  summary.add_row({"pending", std::to_string(stats.pending)});
  summary.add_row({"pending bytes", format_bytes(Bytes{stats.pending_bytes})});
  summary.add_row(
      {"oldest", empty ? "-"
                       : format_rfc3339(stats.oldest_ts_ns) + " (" +
                             format_age(std::chrono::seconds(oldest_age_seconds(stats, now_ns))) +
                             " ago)"});
  summary.add_row({"newest", empty ? "-" : format_rfc3339(stats.newest_ts_ns)});
  summary.add_row({"delivered", std::to_string(stats.delivered_total)});
  summary.add_row({"dropped", describe_dropped(stats)});
  summary.add_row({"dead-lettered", std::to_string(stats.dead_letter_total)});
  summary.add_row({"database", format_bytes(Bytes{stats.db_bytes})});
  std::string out = summary.render(/*with_header=*/false);

  const auto* groups = groups_of(stats, grouping);
  if (groups != nullptr) {
    Table table({grouping == BacklogGrouping::kTopic ? "TOPIC" : "DEVICE", "PENDING", "BYTES"},
                {Align::kLeft, Align::kRight, Align::kRight});
    for (const buffer::GroupStats& group : *groups) {
      table.add_row(
          {group.name, std::to_string(group.pending), format_bytes(Bytes{group.pending_bytes})});
    }
    out += '\n';
    out += groups->empty() ? std::string("nothing pending\n") : table.render(true);
    if (grouping == BacklogGrouping::kDevice && stats.by_device_behind) {
      out +=
          "(per-device rows lag the totals by up to a second while the gateway runs; after an "
          "unclean stop they are counted again when it starts)\n";
    }
  }
  if (!quarantined.empty()) {
    Table table({"QUARANTINED FILE", "REASON", "ROWS", "MOVED"},
                {Align::kLeft, Align::kLeft, Align::kRight, Align::kLeft});
    for (const auto& note : quarantined) {
      table.add_row({note.database.string(), note.reason,
                     note.rows < 0 ? std::string("?") : std::to_string(note.rows),
                     note.at_ns == 0 ? std::string("-") : format_rfc3339(note.at_ns)});
    }
    out += "\nnot sent, moved aside (see <file>.note):\n" + table.render(true);
  }
  return out;
}

std::string render_backlog_json(const buffer::BacklogStats& stats, BacklogGrouping grouping,
                                std::int64_t now_ns,
                                const std::vector<buffer::QuarantineNote>& quarantined) {
  const bool empty = stats.pending == 0;
  nlohmann::ordered_json json;
  json["pending"] = stats.pending;
  json["pending_bytes"] = stats.pending_bytes;
  json["oldest_ts"] =
      empty ? nlohmann::ordered_json() : nlohmann::ordered_json(format_rfc3339(stats.oldest_ts_ns));
  json["oldest_age_s"] = oldest_age_seconds(stats, now_ns);
  json["newest_ts"] =
      empty ? nlohmann::ordered_json() : nlohmann::ordered_json(format_rfc3339(stats.newest_ts_ns));
  json["delivered_total"] = stats.delivered_total;
  json["dropped_total"] = stats.dropped_total;
  json["dropped_by_reason"] = nlohmann::ordered_json::object();
  for (const auto& [reason, rows] : stats.dropped_by_reason)
    json["dropped_by_reason"][reason] = rows;
  json["dead_letter_total"] = stats.dead_letter_total;
  json["db_bytes"] = stats.db_bytes;
  if (const auto* groups = groups_of(stats, grouping)) {
    auto rows = nlohmann::ordered_json::array();
    for (const buffer::GroupStats& group : *groups) {
      rows.push_back({{"name", group.name},
                      {"pending", group.pending},
                      {"pending_bytes", group.pending_bytes}});
    }
    json[grouping == BacklogGrouping::kTopic ? "by_topic" : "by_device"] = std::move(rows);
    if (grouping == BacklogGrouping::kDevice) json["by_device_behind"] = stats.by_device_behind;
  }
  if (!quarantined.empty()) {
    auto files = nlohmann::ordered_json::array();
    for (const auto& note : quarantined) {
      files.push_back(
          {{"file", note.database.string()},
           {"reason", note.reason},
           {"rows", note.rows < 0 ? nlohmann::ordered_json() : nlohmann::ordered_json(note.rows)},
           {"at", format_rfc3339(note.at_ns)}});
    }
    json["quarantined"] = std::move(files);
  }
  return json.dump() + "\n";
}

}  // namespace sensorgate::cli
