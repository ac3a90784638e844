// load_config: the top-level key table, the defaults computed at load time, and turning
// yaml-cpp's syntax errors (and files of several documents) into diagnostics.
#include "config/loader.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <yaml-cpp/eventhandler.h>

#include "config/rule_reach.hpp"
#include "config/sections.hpp"

namespace sensorgate::config {
namespace {

template <class S>
Key<Config> section_key(std::string_view name, S Config::*member, const KeyTable<S>& (*table)(),
                        std::string description) {
  return make_key<Config>(
      name, "mapping", std::move(description),
      [member, table](Reader& reader, const YAML::Node& node, const std::string& path,
                      Config& out) { parse_mapping(reader, node, path, table(), out.*member); },
      nullptr);
}

std::string host_name() {
  std::array<char, 256> buffer{};
  if (::gethostname(buffer.data(), buffer.size() - 1) != 0) return {};
  return buffer.data();
}

// Defaults that depend on other keys or on the machine.
void apply_computed_defaults(Reader& reader, Config& config) {
  if (config.gateway.id.empty()) {
    config.gateway.id = host_name();
    if (config.gateway.id.empty()) {
      reader.error(YAML::Mark::null_mark(), "gateway.id",
                   std::string("the host name is unavailable (") + std::strerror(errno) +
                       "); set gateway.id");
    }
  }
  if (config.buffer.path.empty()) config.buffer.path = config.gateway.data_dir / "buffer.db";
}

// A rule whose match globs overlap no device and metric the adapters can produce watches
// nothing: almost always a typo. Only a warning, since adapters may be added later.
void warn_about_unreachable_rules(Reader& reader, const Config& config) {
  if (config.adapters.empty()) return;
  const std::vector<ReadingShape> shapes = reading_shapes(config.adapters);
  std::string produced;
  for (const ReadingShape& shape : shapes) {
    if (produced.size() > 200) {
      produced += ", ...";
      break;
    }
    produced += (produced.empty() ? "" : ", ") + shape.device + "/" + shape.metric;
  }
  for (std::size_t i = 0; i < config.rules.size(); ++i) {
    const RuleConfig& rule = config.rules[i];
    if (rule_can_match(rule, shapes)) continue;
    YAML::Mark at;
    at.line = rule.mark.line - 1;
    at.column = rule.mark.column - 1;
    reader.warning(at, "rules[" + std::to_string(i) + "].match",
                   "rule " + rule.name + " matches device \"" + rule.match_device +
                       "\", metric \"" + rule.match_metric +
                       "\", which no adapter mapping produces (device/metric: " + produced +
                       "); it will never fire");
  }
}

// Lone CRs (old Mac line endings) become LF; CRLF stays as it is.
std::string normalize_line_breaks(std::string_view text) {
  std::string out(text);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\r' && (i + 1 == out.size() || out[i + 1] != '\n')) out[i] = '\n';
  }
  return out;
}

Diagnostic file_error(const std::filesystem::path& file, int line, int column,
                      std::string message) {
  Diagnostic diagnostic;
  diagnostic.file = file;
  diagnostic.line = line;
  diagnostic.column = column;
  diagnostic.message = std::move(message);
  return diagnostic;
}

// The documents of a YAML text: how many, and where the second one's content begins.
// yaml-cpp 0.7's own LoadAll never returns on a ',' outside a flow collection (",k: v"): its
// parser stops advancing and yields the same empty document again and again, filling memory. A
// document that starts where the previous one started is that stall; the loader reports it
// instead of looping.
class DocumentScan : public YAML::EventHandler {
 public:
  // Scans `text` to its end or to a stall. Throws YAML::Exception for a syntax error, as
  // YAML::Load does.
  explicit DocumentScan(const std::string& text) {
    std::istringstream in(text);
    YAML::Parser parser(in);
    while (!stalled_ && parser.HandleNextDocument(*this)) {
    }
  }
  std::size_t count() const { return count_; }
  bool stalled() const { return stalled_; }
  const YAML::Mark& last_start() const { return last_start_; }
  // The first node of the second document; null if there is none.
  const YAML::Mark& second_content() const { return second_content_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    stalled_ = count_ > 0 && last_start_.pos == mark.pos;
    if (stalled_) return;
    ++count_;
    last_start_ = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnMapEnd() override {}

 private:
  void node(const YAML::Mark& mark) {
    if (count_ == 2 && second_content_.is_null()) second_content_ = mark;
  }

  std::size_t count_ = 0;
  bool stalled_ = false;
  YAML::Mark last_start_ = YAML::Mark::null_mark();
  YAML::Mark second_content_ = YAML::Mark::null_mark();
};

}  // namespace

KeyTable<Config> top_level_keys(std::span<const AdapterSyntax> types) {
  return {
      section_key("gateway", &Config::gateway, gateway_keys, "This gateway."),
      section_key("buffer", &Config::buffer, buffer_keys,
                  "The SQLite buffer between the sources and Kafka."),
      section_key("kafka", &Config::kafka, kafka_keys, "Where readings and alerts go.").required(),
      make_key<Config>(
          "adapters", "list", "The sources of readings; see adapters[].",
          [types](Reader& reader, const YAML::Node& node, const std::string& path, Config& out) {
            parse_adapters(reader, node, path, types, out.adapters);
          },
          nullptr),
      make_key<Config>(
          "rules", "list", "Alert rules evaluated on every reading; see rules[].",
          [](Reader& reader, const YAML::Node& node, const std::string& path, Config& out) {
            parse_rules(reader, node, path, out.rules);
          },
          nullptr),
      make_key<Config>(
          "http", "mapping", "The metrics and status endpoint.",
          [](Reader& reader, const YAML::Node& node, const std::string& path, Config& out) {
            parse_http(reader, node, path, out.http);
          },
          nullptr),
  };
}

std::string Diagnostic::to_string() const {
  std::string out = file.string();
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += severity == Severity::kError ? ": error: " : ": warning: ";
  if (!key_path.empty()) out += key_path + ": ";
  return out + message;
}

LoadOutcome load_config_text(std::string_view yaml, const std::filesystem::path& name,
                             std::span<const AdapterSyntax> adapter_types) {
  LoadOutcome outcome;
  // YAML counts a lone CR as a line break; yaml-cpp does not, and would read a file with
  // CR-only line endings as one line.
  const std::string text = normalize_line_breaks(yaml);
  YAML::Node root;
  try {
    const DocumentScan documents(text);
    if (documents.stalled()) {
      const YAML::Mark at = documents.last_start();
      const char token = static_cast<std::size_t>(at.pos) < text.size() ? text[at.pos] : ',';
      outcome.diagnostics.push_back(file_error(name, at.line + 1, at.column + 1,
                                               std::string("invalid YAML: unexpected '") + token +
                                                   "' outside a flow collection ([...] or {...})"));
      return outcome;
    }
    if (documents.count() > 1) {
      const YAML::Mark at = documents.second_content();
      const int line = at.is_null() ? 0 : at.line + 1;
      outcome.diagnostics.push_back(file_error(
          name, line, line == 0 ? 0 : at.column + 1,
          "the file holds " + std::to_string(documents.count()) +
              " YAML documents; sensorgate reads one: remove the second" +
              (line > 1 ? " (from the --- on line " + std::to_string(line - 1) + ")" : "")));
      return outcome;
    }
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    const int line = e.mark.is_null() ? 0 : e.mark.line + 1;
    outcome.diagnostics.push_back(
        file_error(name, line, line == 0 ? 0 : e.mark.column + 1, "invalid YAML: " + e.msg));
    return outcome;
  }
  Reader reader(name, std::filesystem::absolute(name).parent_path());
  Config config;
  config.source = name;
  // A null root (an empty file) is an empty mapping: what is required gets reported.
  parse_mapping(reader, root, "", top_level_keys(adapter_types), config);
  apply_computed_defaults(reader, config);
  warn_about_unreachable_rules(reader, config);
  config.marks = reader.take_marks();
  if (!reader.failed()) outcome.config = std::move(config);
  outcome.diagnostics = reader.take_diagnostics();
  return outcome;
}

LoadOutcome load_config(const std::filesystem::path& file,
                        std::span<const AdapterSyntax> adapter_types) {
  std::ifstream in(file, std::ios::binary);
  int error = in ? 0 : errno;
  // A directory opens fine and then reads as empty; say what it is instead.
  std::error_code ignored;
  if (error == 0 && std::filesystem::is_directory(file, ignored)) error = EISDIR;
  // Bounded: a config is a few KiB, and /dev/zero or a log file given by mistake must not
  // fill memory.
  constexpr std::size_t kMaxConfigBytes = 4 << 20;
  std::string text;
  if (error == 0) {
    text.resize(kMaxConfigBytes + 1);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (in.bad()) error = EIO;
  }
  if (error == 0 && text.size() > kMaxConfigBytes) {
    LoadOutcome outcome;
    outcome.diagnostics.push_back(file_error(
        file, 0, 0, "cannot read config file: larger than 4 MiB; is this the config file?"));
    return outcome;
  }
  if (error != 0) {
    LoadOutcome outcome;
    outcome.diagnostics.push_back(
        file_error(file, 0, 0, std::string("cannot read config file: ") + std::strerror(error)));
    return outcome;
  }
  return load_config_text(text, file, adapter_types);
}

}  // namespace sensorgate::config
