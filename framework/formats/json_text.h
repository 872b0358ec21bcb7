// JSON text of values whose strings may hold any bytes: file names and
// option values on Linux are bytes, not necessarily UTF-8. nlohmann::json's
// dump() throws on invalid UTF-8; here such sequences become U+FFFD.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace convoy {

inline std::string json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace convoy
