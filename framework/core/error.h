// convoy::Error and the CONVOY_CHECK family: library code throws, never aborts.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace convoy {

// Every failure inside the library is a convoy::Error carrying where it was
// raised and what was expected versus what was found.
class Error : public std::runtime_error {
 public:
  Error(const std::string& message, const char* file, int line);
  // A user's mistake (bad path, bad file, bad option): programs print only
  // what(), with no source location.
  static Error user(const std::string& message);

  const std::string& message() const { return message_; }
  const std::string& location() const { return location_; }
  bool is_user_error() const { return location_.empty(); }

 private:
  Error(const std::string& message, std::string location);
  std::string message_;
  std::string location_;
};

namespace detail {
template <typename... Parts>
std::string concat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}
}  // namespace detail

}  // namespace convoy

#define CONVOY_THROW(...) \
  throw ::convoy::Error(::convoy::detail::concat(__VA_ARGS__), __FILE__, __LINE__)

#define CONVOY_CHECK(condition, ...)                                      \
  do {                                                                    \
    if (!(condition)) {                                                   \
      throw ::convoy::Error(                                              \
          ::convoy::detail::concat("check failed: " #condition ": ", ##__VA_ARGS__), \
          __FILE__, __LINE__);                                            \
    }                                                                     \
  } while (false)

// Throws a user-facing error (one clear sentence, no source location).
#define CONVOY_USER_ERROR(...) throw ::convoy::Error::user(::convoy::detail::concat(__VA_ARGS__))
