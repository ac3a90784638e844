// Key tables of the modbus_tcp adapter: the device and the registers it polls.
#include "adapters/modbus/settings.hpp"

#include <array>

#include "config/rule_reach.hpp"

namespace sensorgate::modbus {
namespace {

using config::EnumName;
using config::index_path;
using config::join_path;
using config::KeyTable;
using config::name_of;
using config::Reader;

const KeyTable<Register>& register_keys();

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
                    Register& out) {
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
}

std::string show_register(const Register& reg) {
  return std::string(name_of(kKinds, reg.kind)) + ":" + std::to_string(reg.address) + " " +
         std::string(name_of(kTypes, reg.type)) + " -> " + reg.device + "/" + reg.metric;
}

const KeyTable<ModbusSettings>& modbus_keys() {
  using S = ModbusSettings;
  static const KeyTable<S> table{
      config::text_key("host", &S::host, "Device address."),
      config::integer_key("port", &S::port, 1, 65535, "Device TCP port."),
      config::integer_key("unit_id", &S::unit_id, 0, 255, "Modbus unit (slave) id."),
      config::duration_key("poll", &S::poll, "Poll interval."),
      config::duration_key("timeout", &S::timeout, "Response timeout of one request."),
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
      config::integer_key("address", &S::address, 0, 65535, "Register (or coil) address, 0-based.")
          .required(),
      config::enum_key("kind", &S::kind, kKinds, "Register table to read."),
      config::enum_key("type", &S::type, kTypes,
                       "How the register(s) are decoded; 32-bit types span two registers."),
      config::word_choice_key(
          "order", &S::order, kOrders,
          "Byte order of 32-bit types: abcd big-endian, cdab word-swapped, ..."),
      config::text_key("device", &S::device, "Device name of the reading.").required(),
      config::text_key("metric", &S::metric, "Metric name of the reading.").required(),
      config::text_key("unit", &S::unit, "Unit of the reading.", config::kAnyText),
      config::number_key("scale", &S::scale, "value = raw * scale + offset."),
      config::number_key("offset", &S::offset, "value = raw * scale + offset."),
      config::text_key("topic", &S::topic, "Kafka topic of this reading; unset: kafka.topic.",
                       config::kAnyText),
  };
  return table;
}

}  // namespace

std::any parse_settings(Reader& reader, const YAML::Node& node, const std::string& path) {
  ModbusSettings modbus;
  config::parse_mapping(reader, node, path, modbus_keys(), modbus,
                        std::span(config::kAdapterCommonKeys));
  return modbus;
}

std::vector<config::DocTable> settings_docs() {
  return {
      {"### type: modbus_tcp", "Polls registers of a Modbus TCP device.",
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
