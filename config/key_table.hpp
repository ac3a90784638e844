// Key tables: one declarative row per config key (name, type, default, allowed values,
// description) with the functions that parse it and show its effective value. The same rows
// drive parsing, unknown-key messages, `sensorgate check`'s summary and docs/configuration.md.
// Tables are built once and then only read.
#pragma once

#include <algorithm>
#include <array>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/yaml_reader.hpp"
#include "core/units.hpp"

namespace sensorgate::config {

// What the reference and messages need to know of a key.
struct KeyDoc {
  std::string_view name;
  std::string type;               // "duration", "size", "text", "integer", ...
  std::string default_text;       // as the reference shows it; empty: no default
  bool computed_default = false;  // default_text describes a value computed at load time
  std::string allowed;            // "drop_oldest or reject", "0, 1 or 2"; empty: any of the type
  std::string description;
  bool required = false;
};

template <class T>
struct Key {
  using Parse = std::function<void(Reader&, const YAML::Node&, const std::string& path, T&)>;
  using Show = std::function<std::string(const T&)>;

  KeyDoc doc;
  Parse parse;
  Show show;  // the effective value for the summary; empty function: not in the summary

  Key required() const {
    Key key = *this;
    key.doc.required = true;
    key.doc.default_text.clear();
    return key;
  }
  // A default that is computed at load time ("the host name").
  Key by_default(std::string text) const {
    Key key = *this;
    key.doc.default_text = std::move(text);
    key.doc.computed_default = true;
    return key;
  }
  Key allowing(std::string text) const {
    Key key = *this;
    key.doc.allowed = std::move(text);
    return key;
  }
};

template <class T>
using KeyTable = std::vector<Key<T>>;

// A row whose default is what `show` says of a default-constructed T.
template <class T>
Key<T> make_key(std::string_view name, std::string type, std::string description,
                typename Key<T>::Parse parse, typename Key<T>::Show show) {
  Key<T> key{KeyDoc{name, std::move(type), "", false, "", std::move(description), false},
             std::move(parse), std::move(show)};
  if (key.show) key.doc.default_text = key.show(T{});
  return key;
}

template <class T>
std::vector<KeyDoc> key_docs(const KeyTable<T>& table) {
  std::vector<KeyDoc> docs;
  for (const Key<T>& key : table) docs.push_back(key.doc);
  return docs;
}

// Parses the mapping `node` into `out` by `table`: unknown keys are reported with the allowed
// ones (`handled` keys are allowed but parsed by the caller), missing required keys reported
// at the mapping. Returns the entries (empty if `node` is not a mapping).
template <class T>
std::vector<Entry> parse_mapping(Reader& reader, const YAML::Node& node, const std::string& path,
                                 const KeyTable<T>& table, T& out,
                                 std::span<const std::string_view> handled = {}) {
  auto entries = reader.entries(node, path);
  if (!entries) return {};
  std::vector<std::string_view> allowed(handled.begin(), handled.end());
  for (const Key<T>& key : table) allowed.push_back(key.doc.name);
  for (const Entry& entry : *entries) {
    auto key = std::find_if(table.begin(), table.end(),
                            [&](const Key<T>& k) { return k.doc.name == entry.key; });
    if (key != table.end()) {
      key->parse(reader, entry.value, join_path(path, entry.key), out);
    } else if (std::find(handled.begin(), handled.end(), entry.key) == handled.end()) {
      reader.unknown_key(entry, path, allowed);
    }
  }
  for (const Key<T>& key : table) {
    if (!key.doc.required) continue;
    const bool present = std::any_of(entries->begin(), entries->end(),
                                     [&](const Entry& e) { return e.key == key.doc.name; });
    if (!present)
      reader.error(node.Mark(), join_path(path, key.doc.name), "required key is missing");
  }
  return *std::move(entries);
}

// An enum spelled in the config: {"drop_oldest", OnFull::kDropOldest}.
template <class E>
struct EnumName {
  std::string_view name;
  E value;
};

template <class E>
std::string_view name_of(std::type_identity_t<std::span<const EnumName<E>>> names, E value) {
  for (const EnumName<E>& entry : names) {
    if (entry.value == value) return entry.name;
  }
  return {};
}

template <class E>
std::vector<std::string_view> names_of(std::span<const EnumName<E>> names) {
  std::vector<std::string_view> out;
  for (const EnumName<E>& entry : names) out.push_back(entry.name);
  return out;
}

// A check on a text value: `accept` says whether it is fine; `expectation` completes
// "expected ..." when not.
struct TextRule {
  std::string expectation;
  bool (*accept)(std::string_view text);
};

inline bool any_text(std::string_view) {
  return true;
}
inline bool non_empty(std::string_view text) {
  return !text.empty();
}
// Shortest text that reads back as the same double ("1", "0.25").
std::string format_number(double value);
// "host:port" as parse_host_port (core/host_port.hpp) accepts it.
bool is_listen_address(std::string_view text);

inline const TextRule kAnyText{"a text value", any_text};
inline const TextRule kNonEmptyText{"a non-empty text value", non_empty};
inline const TextRule kListenAddress{"host:port such as 127.0.0.1:9464", is_listen_address};

template <class T>
Key<T> text_key(std::string_view name, std::string T::*member, std::string description,
                TextRule rule = kNonEmptyText) {
  return make_key<T>(
      name, "text", std::move(description),
      [member, rule](Reader& reader, const YAML::Node& node, const std::string& path, T& out) {
        if (node.IsScalar() && rule.accept(node.Scalar())) {
          out.*member = node.Scalar();
        } else {
          reader.error(node.Mark(), path,
                       "expected " + rule.expectation + ", " + Reader::got(node, true));
        }
      },
      [member](const T& value) { return value.*member; });
}

template <class T>
Key<T> path_key(std::string_view name, std::filesystem::path T::*member, std::string description) {
  return make_key<T>(
      name, "path", std::move(description),
      [member](Reader& reader, const YAML::Node& node, const std::string& path, T& out) {
        if (auto value = reader.file_path(node, path)) out.*member = *value;
      },
      [member](const T& value) { return (value.*member).string(); });
}

template <class T>
Key<T> duration_key(std::string_view name, std::chrono::nanoseconds T::*member,
                    std::string description) {
  return make_key<T>(
      name, "duration", std::move(description),
      [member](Reader& reader, const YAML::Node& node, const std::string& path, T& out) {
        if (auto value = reader.duration(node, path)) out.*member = *value;
      },
      [member](const T& value) { return format_duration(value.*member); });
}

template <class T>
Key<T> size_key(std::string_view name, Bytes T::*member, std::string description) {
  return make_key<T>(
      name, "size", std::move(description),
      [member](Reader& reader, const YAML::Node& node, const std::string& path, T& out) {
        if (auto value = reader.size(node, path)) out.*member = *value;
      },
      [member](const T& value) { return format_size(value.*member); });
}

template <class T, class I>
Key<T> integer_key(std::string_view name, I T::*member, std::int64_t min, std::int64_t max,
                   std::string description) {
  auto key = make_key<T>(
      name, "integer", std::move(description),
      [member, min, max](Reader& reader, const YAML::Node& node, const std::string& path, T& out) {
        if (auto value = reader.integer(node, path, min, max)) out.*member = static_cast<I>(*value);
      },
      [member](const T& value) { return std::to_string(value.*member); });
  return key.allowing(std::to_string(min) + " to " + std::to_string(max));
}

template <class T>
Key<T> number_key(std::string_view name, double T::*member, std::string description) {
  return make_key<T>(
      name, "number", std::move(description),
      [member](Reader& reader, const YAML::Node& node, const std::string& path, T& out) {
        if (auto value = reader.number(node, path)) out.*member = *value;
      },
      [member](const T& value) { return format_number(value.*member); });
}

template <class T, class E>
Key<T> enum_key(std::string_view name, E T::*member,
                std::type_identity_t<std::span<const EnumName<E>>> names, std::string description) {
  const std::vector<std::string_view> allowed = names_of(names);
  auto key = make_key<T>(
      name, "choice", std::move(description),
      [member, names, allowed](Reader& reader, const YAML::Node& node, const std::string& path,
                               T& out) {
        auto value = reader.choice(node, path, allowed);
        if (!value) return;
        for (const EnumName<E>& entry : names) {
          if (entry.name == *value) out.*member = entry.value;
        }
      },
      [member, names](const T& value) { return std::string(name_of(names, value.*member)); });
  return key.allowing(alternatives(allowed));
}

// A text key limited to `allowed` words (stored as text, e.g. log_level, severity).
template <class T>
Key<T> word_choice_key(std::string_view name, std::string T::*member,
                       std::span<const std::string_view> allowed, std::string description) {
  auto key = make_key<T>(
      name, "choice", std::move(description),
      [member, allowed](Reader& reader, const YAML::Node& node, const std::string& path, T& out) {
        if (auto value = reader.choice(node, path, allowed)) out.*member = *value;
      },
      [member](const T& value) { return value.*member; });
  return key.allowing(alternatives(allowed));
}

// Every "key=value" of `value` whose table row has a summary.
template <class T>
std::vector<std::string> summary_items(const KeyTable<T>& table, const T& value) {
  std::vector<std::string> items;
  for (const Key<T>& key : table) {
    if (!key.show) continue;
    const std::string shown = key.show(value);
    if (!shown.empty()) items.push_back(std::string(key.doc.name) + "=" + shown);
  }
  return items;
}

}  // namespace sensorgate::config
