// Key tables of the modbus_tcp adapter: the device and the registers it polls.
#include "adapters/modbus/settings.hpp"

#include <array>

#include "config/rule_reach.hpp"
#include "core/units.hpp"

namespace sensorgate::modbus {
namespace {

using config::EnumName;
using config::index_path;
using config::join_path;
using config::Key;
using config::KeyTable;
using config::name_of;
using config::Reader;

const KeyTable<Register>& register_keys();

constexpr std::array<EnumName<RegisterKind>, 4> kKinds{{{"holding", RegisterKind::kHolding},
                                                        {"input", RegisterKind::kInput},
                                                        {"coil", RegisterKind::kCoil},
                                                        {"discrete", RegisterKind::kDiscrete}}};
constexpr std::array<EnumName<RegisterType>, 9> kTypes{{{"uint16", RegisterType::kUint16},
                                                        {"int16", RegisterType::kInt16},
                                                        {"uint32", RegisterType::kUint32},
                                                        {"int32", RegisterType::kInt32},
                                                        {"uint64", RegisterType::kUint64},
                                                        {"int64", RegisterType::kInt64},
                                                        {"float32", RegisterType::kFloat32},
                                                        {"float64", RegisterType::kFloat64},
                                                        {"bool", RegisterType::kBool}}};
constexpr std::array<std::string_view, 4> kOrders{"abcd", "badc", "cdab", "dcba"};
constexpr std::array<std::string_view, 2> kBooleans{"true", "false"};

constexpr int kLastAddress = 65535;

std::string kind_name(RegisterKind kind) {
  return std::string(name_of(kKinds, kind));
}
std::string type_name(RegisterType type) {
  return std::string(name_of(kTypes, type));
}

bool is_bit_kind(RegisterKind kind) {
  return kind == RegisterKind::kCoil || kind == RegisterKind::kDiscrete;
}

// Where `key` of the mapping `node` was written, or the mapping itself when it is absent.
YAML::Mark mark_of(const YAML::Node& node, const char* key) {
  const YAML::Node value = node[key];
  return value.IsDefined() ? value.Mark() : node.Mark();
}

std::optional<bool> read_boolean(Reader& reader, const YAML::Node& node, const std::string& path) {
  auto value = reader.choice(node, path, kBooleans);
  if (!value) return std::nullopt;
  return *value == "true";
}

// The register-level override of an adapter key: shown only where set.
template <class V, class Parse, class Show>
Key<Register> override_key(std::string_view name, std::string type,
                           std::optional<V> Register::*member, std::string description, Parse parse,
                           Show show) {
  return config::make_key<Register>(
             name, std::move(type), std::move(description),
             [member, parse](Reader& reader, const YAML::Node& node, const std::string& path,
                             Register& out) {
               if (auto value = parse(reader, node, path)) out.*member = *value;
             },
             [member, show](const Register& reg) {
               return (reg.*member).has_value() ? show(*(reg.*member)) : std::string();
             })
      .by_default("the adapter's " + std::string(name));
}

std::optional<double> read_deadband(Reader& reader, const YAML::Node& node,
                                    const std::string& path) {
  auto value = reader.number(node, path);
  if (value && *value < 0) {
    reader.error(node.Mark(), path, "expected a number >= 0, " + Reader::got(node));
    return std::nullopt;
  }
  return value;
}

void check_register(Reader& reader, const YAML::Node& node, const std::string& path,
                    const Register& reg) {
  const bool bit_kind = is_bit_kind(reg.kind);
  const int width = register_width(reg);
  const std::string type = type_name(reg.type);
  if (bit_kind && reg.type != RegisterType::kBool) {
    reader.error(
        mark_of(node, "type"), join_path(path, "type"),
        type + " does not fit kind " + kind_name(reg.kind) + "; coil and discrete need type: bool");
  }
  if (bit_kind && reg.bit >= 0) {
    reader.error(mark_of(node, "bit"), join_path(path, "bit"),
                 "bit reads one bit of a holding or input register; a " + kind_name(reg.kind) +
                     " is a single bit already");
  }
  if (!bit_kind && reg.type == RegisterType::kBool && !node["bit"].IsDefined()) {
    reader.error(mark_of(node, "type"), join_path(path, "type"),
                 "bool on kind " + kind_name(reg.kind) +
                     " needs bit: 0-15, the bit of the register to read (or kind: coil or "
                     "discrete)");
  }
  if (!bit_kind && reg.bit >= 0 && width > 1) {
    reader.error(mark_of(node, "bit"), join_path(path, "bit"),
                 "bit reads one bit of a 16-bit register; " + type + " spans " +
                     std::to_string(width) + " registers");
  }
  if (node["order"].IsDefined() && width == 1) {
    reader.error(mark_of(node, "order"), join_path(path, "order"),
                 "order applies to 32- and 64-bit types, not " + type);
  }
  if (reg.type == RegisterType::kBool || reg.bit >= 0) {
    for (const char* key : {"scale", "offset", "deadband"}) {
      if (!node[key].IsDefined()) continue;
      reader.error(mark_of(node, key), join_path(path, key),
                   std::string(key) + " applies to numbers; this register reads one bit");
    }
  }
  if (reg.address + width - 1 > kLastAddress) {
    reader.error(mark_of(node, "address"), join_path(path, "address"),
                 type + " at " + std::to_string(reg.address) + " spans " + std::to_string(width) +
                     " registers and ends beyond the last address 65535");
  }
}

void parse_register(Reader& reader, const YAML::Node& node, const std::string& path,
                    Register& out) {
  parse_mapping(reader, node, path, register_keys(), out);
  if (node.IsMap()) check_register(reader, node, path, out);
}

// A 32- or 64-bit value shares its registers with nothing else; 16-bit registers (several bits
// of one status word, say) may be read more than once.
void check_overlaps(Reader& reader, const std::vector<YAML::Node>& items, const std::string& path,
                    const std::vector<Register>& registers) {
  for (std::size_t i = 0; i < registers.size(); ++i) {
    const Register& later = registers[i];
    for (std::size_t j = 0; j < i; ++j) {
      const Register& earlier = registers[j];
      if (earlier.kind != later.kind || is_bit_kind(later.kind)) continue;
      const int later_width = register_width(later), earlier_width = register_width(earlier);
      if (later_width == 1 && earlier_width == 1) continue;
      const int later_end = later.address + later_width,
                earlier_end = earlier.address + earlier_width;
      if (later.address >= earlier_end || earlier.address >= later_end) continue;
      reader.error(mark_of(items[i], "address"), join_path(index_path(path, i), "address"),
                   kind_name(later.kind) + " " + std::to_string(later.address) + "-" +
                       std::to_string(later_end - 1) + " (" + type_name(later.type) +
                       ") overlaps " + index_path(path, j) + " (" +
                       std::to_string(earlier.address) + "-" + std::to_string(earlier_end - 1) +
                       ", " + type_name(earlier.type) + ")");
      break;
    }
  }
}

void parse_registers(Reader& reader, const YAML::Node& node, const std::string& path,
                     ModbusSettings& out) {
  auto items = reader.items(node, path);
  if (!items) return;
  if (items->empty()) {
    reader.error(node.Mark(), path, "expected at least one register");
    return;
  }
  for (std::size_t i = 0; i < items->size(); ++i) {
    Register reg;
    parse_register(reader, (*items)[i], index_path(path, i), reg);
    out.registers.push_back(std::move(reg));
  }
  check_overlaps(reader, *items, path, out.registers);
}

std::string show_register(const Register& reg) {
  std::string text =
      kind_name(reg.kind) + ":" + std::to_string(reg.address) + " " + type_name(reg.type);
  if (register_width(reg) > 1) text += " " + reg.order;
  if (reg.bit >= 0) text += " bit " + std::to_string(reg.bit);
  return text + " -> " + reg.device + "/" + reg.metric;
}

const KeyTable<ModbusSettings>& modbus_keys() {
  using S = ModbusSettings;
  static const KeyTable<S> table{
      config::text_key("host", &S::host, "Device address (IPv4 address or host name)."),
      config::integer_key("port", &S::port, 1, 65535, "Device TCP port."),
      config::integer_key("unit_id", &S::unit_id, 0, 255,
                          "Modbus unit (slave) id: 0 to 247, or 255 (the TCP default).")
          .allowing("0 to 247, or 255"),
      config::duration_key("poll", &S::poll,
                           "Poll interval: every register is read once per poll, stamped with "
                           "the poll's start time."),
      config::duration_key("timeout", &S::timeout,
                           "Response timeout of one request (and of the TCP connect); a timed "
                           "out connection is closed and reopened."),
      config::integer_key("max_gap", &S::max_gap, 0, 124,
                          "Unread addresses between two registers of one kind that one request "
                          "still bridges; 0 for devices that refuse reads of unmapped addresses."),
      config::make_key<S>(
          "on_change", "choice",
          "Emit a reading only when the value changed by more than deadband since the last one "
          "emitted, and at least every max_interval; false: every poll emits every register.",
          [](Reader& reader, const YAML::Node& node, const std::string& path, S& out) {
            if (auto value = read_boolean(reader, node, path)) out.on_change.enabled = *value;
          },
          [](const S& s) { return std::string(s.on_change.enabled ? "true" : "false"); })
          .allowing("true or false"),
      config::make_key<S>(
          "deadband", "number",
          "on_change: the least change of the value (after scale) that counts.",
          [](Reader& reader, const YAML::Node& node, const std::string& path, S& out) {
            if (auto value = read_deadband(reader, node, path)) out.on_change.deadband = *value;
          },
          [](const S& s) { return config::format_number(s.on_change.deadband); }),
      config::make_key<S>(
          "max_interval", "duration",
          "on_change: a reading is emitted at least this often, changed or not.",
          [](Reader& reader, const YAML::Node& node, const std::string& path, S& out) {
            if (auto value = reader.duration(node, path)) out.on_change.max_interval = *value;
          },
          [](const S& s) { return format_duration(s.on_change.max_interval); }),
      config::make_key<S>("registers", "list", "What to read; see adapters[].registers[].",
                          parse_registers,
                          [](const S& s) {
                            std::string out;
                            for (const Register& reg : s.registers) {
                              out += (out.empty() ? "" : "; ") + show_register(reg);
                            }
                            return out;
                          })
          .required(),
  };
  return table;
}

const KeyTable<Register>& register_keys() {
  using S = Register;
  static const KeyTable<S> table{
      config::integer_key("address", &S::address, 0, 65535,
                          "Register (or coil) address, 0-based; a 32/64-bit value starts here.")
          .required(),
      config::enum_key("kind", &S::kind, kKinds,
                       "Register table to read: holding and input registers are 16-bit words, "
                       "coils and discrete inputs single bits."),
      config::enum_key("type", &S::type, kTypes,
                       "How the register(s) are decoded: 16-bit types read one register, 32-bit "
                       "two, 64-bit four (uint64 and int64 above 2^53 lose precision as a "
                       "number); bool: a coil, a discrete input or one bit of a register."),
      config::word_choice_key(
          "order", &S::order, kOrders,
          "Byte order of 32/64-bit types, a = the most significant byte: abcd big-endian, first "
          "register the high word (64-bit: ABCDEFGH); cdab: registers low word first "
          "(GHEFCDAB); badc: bytes swapped in each register (BADCFEHG); dcba: little-endian "
          "(HGFEDCBA)."),
      config::make_key<S>(
          "bit", "integer",
          "Read only this bit (0 = least significant) of a 16-bit holding or input register: "
          "with type bool a true/false reading, with uint16 or int16 the number 0 or 1.",
          [](Reader& reader, const YAML::Node& node, const std::string& path, S& out) {
            if (auto value = reader.integer(node, path, 0, 15)) out.bit = static_cast<int>(*value);
          },
          [](const S& s) { return s.bit < 0 ? std::string() : std::to_string(s.bit); })
          .allowing("0 to 15"),
      config::text_key("device", &S::device, "Device name of the reading (the Kafka key).")
          .required(),
      config::text_key("metric", &S::metric, "Metric name of the reading.").required(),
      config::text_key("unit", &S::unit, "Unit of the reading.", config::kAnyText),
      config::number_key("scale", &S::scale, "value = raw * scale + offset."),
      config::number_key("offset", &S::offset, "value = raw * scale + offset."),
      config::text_key("topic", &S::topic, "Kafka topic of this reading; unset: kafka.topic.",
                       config::kAnyText),
      override_key<bool>("on_change", "choice", &S::on_change, "on_change of this register.",
                         read_boolean,
                         [](bool value) { return std::string(value ? "true" : "false"); })
          .allowing("true or false"),
      override_key<double>("deadband", "number", &S::deadband, "deadband of this register.",
                           read_deadband, config::format_number),
      override_key<nanoseconds>(
          "max_interval", "duration", &S::max_interval, "max_interval of this register.",
          [](Reader& reader, const YAML::Node& node, const std::string& path) {
            return reader.duration(node, path);
          },
          format_duration),
  };
  return table;
}

}  // namespace

int register_width(const Register& reg) {
  return width_of(reg.type);
}

int width_of(RegisterType type) {
  switch (type) {
    case RegisterType::kUint16:
    case RegisterType::kInt16:
    case RegisterType::kBool:
      return 1;
    case RegisterType::kUint32:
    case RegisterType::kInt32:
    case RegisterType::kFloat32:
      return 2;
    case RegisterType::kUint64:
    case RegisterType::kInt64:
    case RegisterType::kFloat64:
      return 4;
  }
  return 1;
}

OnChange effective_on_change(const ModbusSettings& settings, const Register& reg) {
  OnChange rule = settings.on_change;
  if (reg.on_change) rule.enabled = *reg.on_change;
  if (reg.deadband) rule.deadband = *reg.deadband;
  if (reg.max_interval) rule.max_interval = *reg.max_interval;
  return rule;
}

std::any parse_settings(Reader& reader, const YAML::Node& node, const std::string& path) {
  ModbusSettings modbus;
  config::parse_mapping(reader, node, path, modbus_keys(), modbus,
                        std::span(config::kAdapterCommonKeys));
  // 248 to 254 are reserved: libmodbus refuses them, which run would only find out at start.
  if (modbus.unit_id >= 248 && modbus.unit_id <= 254) {
    reader.error(node["unit_id"].Mark(), join_path(path, "unit_id"),
                 "expected 0 to 247, or 255, got " + std::to_string(modbus.unit_id) +
                     " (248 to 254 are reserved by Modbus)");
  }
  return modbus;
}

std::vector<config::DocTable> settings_docs() {
  return {
      {"### type: modbus_tcp",
       "Polls registers of one Modbus TCP device in its own thread. One poll reads every register "
       "in as few requests as the protocol allows (contiguous addresses of one kind merged, up to "
       "125 registers or 2000 coils per request). A failed connection is retried with a backoff "
       "doubling from 100ms to 30s; failures are counted per reason (timeout, "
       "connection_refused, connection_failed, and the Modbus exception: illegal_function, "
       "illegal_data_address, illegal_data_value, device_failure, modbus_exception).",
       config::key_docs(modbus_keys())},
      {"#### adapters[].registers[]", "", config::key_docs(register_keys())},
  };
}

std::vector<std::string> settings_summary(const config::AdapterConfig& adapter,
                                          const config::Config&) {
  return config::summary_items(modbus_keys(), config::settings_of<ModbusSettings>(adapter));
}

std::vector<config::ReadingShape> reading_shapes(const config::AdapterConfig& adapter) {
  std::vector<config::ReadingShape> shapes;
  for (const Register& reg : config::settings_of<ModbusSettings>(adapter).registers) {
    shapes.push_back({config::template_glob(reg.device), config::template_glob(reg.metric)});
  }
  return shapes;
}

}  // namespace sensorgate::modbus
