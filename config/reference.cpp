// render_reference_markdown: docs/configuration.md, generated from the key tables so the
// reference cannot drift from what the loader accepts.
#include <string>

#include "config/loader.hpp"
#include "config/sections.hpp"

namespace sensorgate::config {
namespace {

constexpr std::string_view kIntro =
    R"(# Configuration reference

<!-- Generated from the key tables in config/ and adapters/<type>/ by
     render_reference_markdown(); do not edit. Regenerate:
       cmake --build <build> --target config_reference &&
       <build>/gateway/config_reference > docs/configuration.md
     (tests/config checks that this file matches.) -->

sensorgate reads one YAML file: `sensorgate run --config FILE`, and `sensorgate check --config
FILE` to validate it and print the effective values. Every error is reported with
`file:line:column`, the key path and what was expected, all at once; nothing is clamped or
guessed. Unknown keys and duplicate keys are errors.

- Durations carry a unit: `500ms`, `10s`, `2m`, `1h` (units ns, us, ms, s, m, h, d).
- Sizes: `512KiB`, `256MiB`, `1GiB` (powers of 1024), `1GB` (powers of 1000) or a number of
  bytes.
- Relative paths resolve against the directory of the config file.
- Secrets (Kafka secrets, MQTT password_file, HTTP token_file) are read from files, which
  should be readable by their owner only (`chmod 600`); others are warned about.
)";

std::string escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

void add_table(std::string& out, std::string_view heading, std::string_view intro,
               const std::vector<KeyDoc>& keys) {
  out += "\n";
  out += heading;
  out += "\n\n";
  if (!intro.empty()) {
    out += intro;
    out += "\n\n";
  }
  out += "| key | type | default | values | description |\n";
  out += "|-----|------|---------|--------|-------------|\n";
  for (const KeyDoc& key : keys) {
    std::string fallback = "none";
    if (key.required) {
      fallback = "**required**";
    } else if (key.computed_default && !key.default_text.empty()) {
      fallback = key.default_text;
    } else if (!key.default_text.empty()) {
      fallback = "`" + key.default_text + "`";
    }
    out += "| `" + std::string(key.name) + "` | " + key.type + " | " + escape(fallback) + " | " +
           escape(key.allowed) + " | " + escape(key.description) + " |\n";
  }
}

}  // namespace

std::string render_reference_markdown(std::span<const AdapterSyntax> adapter_types) {
  std::string out(kIntro);
  add_table(out, "## Top level", "", key_docs(top_level_keys(adapter_types)));
  add_table(out, "## gateway", "", key_docs(gateway_keys()));
  add_table(out, "## buffer", "", key_docs(buffer_keys()));
  add_table(out, "## kafka", "", key_docs(kafka_keys()));
  add_table(out, "## adapters[]", "Each adapter has a name and a type; the type selects its keys.",
            key_docs(adapter_common_keys(adapter_types)));
  for (const AdapterSyntax& type : adapter_types) {
    for (const DocTable& table : type.docs()) {
      add_table(out, table.heading, table.intro, table.keys);
    }
  }
  add_table(out, "## rules[]",
            "Each rule has exactly one of when, rate_above, rate_below, avg_above, avg_below, "
            "min_below, max_above and absent_for.",
            key_docs(rule_keys()));
  add_table(out, "### rules[].match", "", key_docs(match_keys()));
  add_table(out, "### rules[].rate_above, rules[].rate_below", "", key_docs(rate_keys()));
  add_table(out, "### rules[].avg_above, avg_below, min_below, max_above", "",
            key_docs(window_keys()));
  add_table(out, "## http", "", key_docs(http_keys()));
  return out;
}

}  // namespace sensorgate::config
