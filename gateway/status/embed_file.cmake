# Writes OUTPUT, a C++ file defining `std::string_view FUNCTION()` in NAMESPACE that returns the
# bytes of INPUT (a text file without the sequence `)embedded"`), including HEADER first.
#   cmake -DINPUT=page.html -DOUTPUT=page.cpp -DHEADER=gateway/status/page.hpp
#         -DNAMESPACE=sensorgate::status -DFUNCTION=status_page -P embed_file.cmake
file(READ "${INPUT}" content)
string(FIND "${content}" ")embedded\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains )embedded\" and cannot be embedded as a raw string")
endif()
get_filename_component(input_name "${INPUT}" NAME)
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${input_name} by embed_file.cmake at build time; edit ${input_name}.\n"
  "#include \"${HEADER}\"\n\n"
  "namespace ${NAMESPACE} {\n\n"
  "std::string_view ${FUNCTION}() {\n"
  "  static constexpr std::string_view kText = R\"embedded(${content})embedded\";\n"
  "  return kText;\n"
  "}\n\n"
  "}  // namespace ${NAMESPACE}\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
