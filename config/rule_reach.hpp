// Whether a rule can ever see a reading: the device and metric names that the adapters' mappings
// can produce, as globs, against the rule's match globs. A rule that matches none of them watches
// nothing (usually a typo in a glob) and `check` warns about it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/adapter_syntax.hpp"
#include "config/config.hpp"

namespace sensorgate::config {

// True when some name matches both globs (`*` any run of characters, `?` any one character).
bool globs_overlap(std::string_view a, std::string_view b);

// The names a mapping template can expand to, as a glob: "{2}" -> "*", "boiler-{1}" -> "boiler-*".
std::string template_glob(std::string_view text);

// Every shape the adapters can produce, as each adapter's type says (AdapterSyntax::shapes).
std::vector<ReadingShape> reading_shapes(const std::vector<AdapterConfig>& adapters);

// True when the rule's match overlaps at least one of `shapes`.
bool rule_can_match(const RuleConfig& rule, const std::vector<ReadingShape>& shapes);

}  // namespace sensorgate::config
