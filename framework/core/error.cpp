#include "core/error.h"

#include <utility>

namespace convoy {

namespace {
std::string format_location(const char* file, int line) {
  std::string path(file ? file : "?");
  const auto slash = path.find("framework/");
  if (slash != std::string::npos) path = path.substr(slash);
  return path + ":" + std::to_string(line);
}
}  // namespace

Error::Error(const std::string& message, const char* file, int line)
    : Error(message, format_location(file, line)) {}

Error::Error(const std::string& message, std::string location)
    : std::runtime_error(location.empty() ? message : location + ": " + message),
      message_(message),
      location_(std::move(location)) {}

Error Error::user(const std::string& message) { return Error(message, std::string()); }

}  // namespace convoy
