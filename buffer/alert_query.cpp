#include "buffer/alert_query.hpp"

#include "buffer/backlog_query.hpp"
#include "buffer/schema.hpp"

namespace sensorgate::buffer {

Result<std::vector<AlertRow>, BufferError> query_alerts(Database& db, const char* sql,
                                                        std::optional<AlertQueryBounds> bounds) {
  Statement select(db, sql);
  if (!select.prepared()) return sqlite_error(db, select.prepare_code(), "reading alerts");
  if (bounds) {
    select.bind(1, bounds->since_ns);
    select.bind(2, bounds->limit);
  }
  std::vector<AlertRow> rows;
  int code;
  while ((code = select.step()) == SQLITE_ROW) {
    rows.push_back(AlertRow{select.column_int(0), std::string(select.column_text(1)),
                            std::string(select.column_text(2)), std::string(select.column_text(3)),
                            std::string(select.column_text(4)), std::string(select.column_text(5)),
                            select.column_double(6), select.column_double(7),
                            std::string(select.column_text(8)), select.column_int(9)});
  }
  if (code != SQLITE_DONE) return sqlite_error(db, code, "reading alerts");
  return rows;
}

Result<std::vector<AlertRow>, BufferError> read_alerts(const std::filesystem::path& path,
                                                       std::int64_t since_ns, std::size_t limit) {
  auto db = open_read_only(path);
  if (!db.ok()) return db.error();
  return query_alerts(**db, schema::sql::kSelectAlertsSince,
                      AlertQueryBounds{since_ns, static_cast<std::int64_t>(limit)});
}

}  // namespace sensorgate::buffer
