// The adapter list: the keys every adapter has (name, type), then the keys of its type, parsed
// by the type's own AdapterSyntax (adapters/<type>/).
#include <algorithm>

#include "config/sections.hpp"

namespace sensorgate::config {
namespace {

std::vector<std::string_view> type_names(std::span<const AdapterSyntax> types) {
  std::vector<std::string_view> names;
  for (const AdapterSyntax& type : types) names.push_back(type.name);
  return names;
}

void parse_adapter(Reader& reader, const YAML::Node& node, const std::string& path,
                   std::span<const AdapterSyntax> types, AdapterConfig& out) {
  out.mark = {node.Mark().line + 1, node.Mark().column + 1};
  if (!node.IsMap()) {
    reader.error(node.Mark(), path,
                 "expected a mapping with name, type and the type's keys, " + Reader::got(node));
    return;
  }
  for (const Key<AdapterConfig>& key : adapter_common_keys(types)) {
    const YAML::Node value = node[std::string(key.doc.name)];
    if (value.IsDefined()) {
      key.parse(reader, value, join_path(path, key.doc.name), out);
    } else {
      reader.error(node.Mark(), join_path(path, key.doc.name), "required key is missing");
    }
  }
  auto type = std::find_if(types.begin(), types.end(),
                           [&](const AdapterSyntax& t) { return t.name == out.type; });
  if (type == types.end()) {
    // Without a type the allowed keys are unknown; still report duplicate keys.
    (void)reader.entries(node, path);
    return;
  }
  out.syntax = &*type;
  out.settings = type->parse(reader, node, path);
}

}  // namespace

KeyTable<AdapterConfig> adapter_common_keys(std::span<const AdapterSyntax> types) {
  using S = AdapterConfig;
  std::vector<std::string> names;
  for (std::string_view name : type_names(types)) names.emplace_back(name);
  auto type_key =
      make_key<S>(
          "type", "choice", "The protocol; selects the keys below.",
          [names](Reader& reader, const YAML::Node& node, const std::string& path, S& out) {
            const std::vector<std::string_view> allowed(names.begin(), names.end());
            if (auto value = reader.choice(node, path, allowed)) out.type = *value;
          },
          [](const S& s) { return s.type; })
          .allowing(alternatives(type_names(types)))
          .required();
  return {
      text_key("name", &S::name, "Names the adapter in logs, metrics and /status; unique.", kName)
          .required(),
      std::move(type_key),
  };
}

void parse_adapters(Reader& reader, const YAML::Node& node, const std::string& path,
                    std::span<const AdapterSyntax> types, std::vector<AdapterConfig>& out) {
  auto items = reader.items(node, path);
  if (!items) return;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const YAML::Node& item = (*items)[i];
    const std::string item_path = index_path(path, i);
    AdapterConfig adapter;
    parse_adapter(reader, item, item_path, types, adapter);
    auto same = std::find_if(out.begin(), out.end(),
                             [&](const AdapterConfig& a) { return a.name == adapter.name; });
    if (!adapter.name.empty() && same != out.end()) {
      reader.error(item["name"].Mark(), join_path(item_path, "name"),
                   "duplicate adapter name \"" + adapter.name + "\"; first used by " +
                       index_path(path, static_cast<std::size_t>(same - out.begin())));
    }
    out.push_back(std::move(adapter));
  }
}

}  // namespace sensorgate::config
