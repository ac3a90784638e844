// Key tables of the modbus_tcp adapter: the device and the registers it polls.
#include <array>

#include "config/sections.hpp"

namespace sensorgate::config {
namespace {

constexpr std::array<EnumName<RegisterKind>, 4> kKinds{{{"holding", RegisterKind::kHolding},
                                                        {"input", RegisterKind::kInput},
                                                        {"coil", RegisterKind::kCoil},
                                                        {"discrete", RegisterKind::kDiscrete}}};
constexpr std::array<EnumName<RegisterType>, 6> kTypes{{{"uint16", RegisterType::kUint16},
                                                        {"int16", RegisterType::kInt16},
                                                        {"uint32", RegisterType::kUint32},
                                                        {"int32", RegisterType::kInt32},
                                                        {"float32", RegisterType::kFloat32},
                                                        {"bool", RegisterType::kBool}}};
constexpr std::array<std::string_view, 4> kOrders{"abcd", "badc", "cdab", "dcba"};

void parse_register(Reader& reader, const YAML::Node& node, const std::string& path,
                    ModbusRegister& out) {
  parse_mapping(reader, node, path, register_keys(), out);
  if (!node.IsMap()) return;
  // Coils and discrete inputs are single bits; registers are 16-bit words.
  const bool bit_kind = out.kind == RegisterKind::kCoil || out.kind == RegisterKind::kDiscrete;
  if (bit_kind != (out.type == RegisterType::kBool)) {
    const YAML::Node type = node["type"];
    reader.error((type.IsDefined() ? type : node).Mark(), join_path(path, "type"),
                 std::string(name_of(kTypes, out.type)) + " does not fit kind " +
                     std::string(name_of(kKinds, out.kind)) +
                     (bit_kind ? "; coil and discrete need type: bool"
                               : "; bool needs kind: coil or discrete"));
  }
}

void parse_registers(Reader& reader, const YAML::Node& node, const std::string& path,
                     ModbusAdapter& out) {
  auto items = reader.items(node, path);
  if (!items) return;
  if (items->empty()) {
    reader.error(node.Mark(), path, "expected at least one register");
    return;
  }
  for (std::size_t i = 0; i < items->size(); ++i) {
    ModbusRegister reg;
    parse_register(reader, (*items)[i], index_path(path, i), reg);
    out.registers.push_back(std::move(reg));
  }
}

std::string show_register(const ModbusRegister& reg) {
  return std::string(name_of(kKinds, reg.kind)) + ":" + std::to_string(reg.address) + " " +
         std::string(name_of(kTypes, reg.type)) + " -> " + reg.device + "/" + reg.metric;
}

}  // namespace

const KeyTable<ModbusAdapter>& modbus_keys() {
  using S = ModbusAdapter;
  static const KeyTable<S> table{
      text_key("host", &S::host, "Device address."),
      integer_key("port", &S::port, 1, 65535, "Device TCP port."),
      integer_key("unit_id", &S::unit_id, 0, 255, "Modbus unit (slave) id."),
      duration_key("poll", &S::poll, "Poll interval."),
      duration_key("timeout", &S::timeout, "Response timeout of one request."),
      make_key<S>("registers", "list", "What to read; see adapters[].registers[].", parse_registers,
                  [](const S& s) {
                    std::string out;
                    for (const ModbusRegister& reg : s.registers) {
                      out += (out.empty() ? "" : "; ") + show_register(reg);
                    }
                    return out;
                  })
          .required(),
  };
  return table;
}

const KeyTable<ModbusRegister>& register_keys() {
  using S = ModbusRegister;
  static const KeyTable<S> table{
      integer_key("address", &S::address, 0, 65535, "Register (or coil) address, 0-based.")
          .required(),
      enum_key("kind", &S::kind, kKinds, "Register table to read."),
      enum_key("type", &S::type, kTypes,
               "How the register(s) are decoded; 32-bit types span two registers."),
      word_choice_key("order", &S::order, kOrders,
                      "Byte order of 32-bit types: abcd big-endian, cdab word-swapped, ..."),
      text_key("device", &S::device, "Device name of the reading.").required(),
      text_key("metric", &S::metric, "Metric name of the reading.").required(),
      text_key("unit", &S::unit, "Unit of the reading.", kAnyText),
      number_key("scale", &S::scale, "value = raw * scale + offset."),
      number_key("offset", &S::offset, "value = raw * scale + offset."),
      text_key("topic", &S::topic, "Kafka topic of this reading; unset: kafka.topic.", kAnyText),
  };
  return table;
}

void parse_modbus(Reader& reader, const YAML::Node& node, const std::string& path,
                  AdapterConfig& out) {
  ModbusAdapter modbus;
  parse_mapping(reader, node, path, modbus_keys(), modbus, std::span(kAdapterCommonKeys));
  out.settings = std::move(modbus);
}

}  // namespace sensorgate::config
