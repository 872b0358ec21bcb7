#include "launch/trainer/command_line.h"

#include <charconv>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "core/error.h"

namespace convoy {

namespace po = boost::program_options;

std::string shortest_text(double value) {
  char text[32];
  const std::to_chars_result end = std::to_chars(text, text + sizeof text, value, std::chars_format::general);
  std::string out(text, end.ptr);
  const size_t exponent = out.find_first_of("eE");  // 5e-05 -> 5e-5
  if (exponent != std::string::npos && exponent + 2 < out.size()) {
    const size_t digits = exponent + 2;
    const size_t first = out.find_first_not_of('0', digits);
    out.erase(digits, (first == std::string::npos ? out.size() - 1 : first) - digits);
  }
  return out;
}

void validate(boost::any& target, const std::vector<std::string>& words, DeviceRequest*, int) {
  po::validators::check_first_occurrence(target);
  target = DeviceRequest::parse(po::validators::get_single_string(words));
}

namespace {

// The options, under a "Usage: <program> [options]" line unless their caption is a usage line itself.
void print_help(const char* argv0, const po::options_description& options) {
  std::ostringstream text;
  text << options;
  const std::string name = std::filesystem::path(argv0).filename().string();
  if (text.str().rfind("usage:", 0) != 0) std::cout << "Usage: " << name << " [options]\n";
  std::cout << text.str() << "\n";
}

}  // namespace

bool parse_command_line(int argc, const char* const* argv, const po::options_description& options,
                        const po::positional_options_description* positional, po::variables_map& vm,
                        bool show_help) {
  try {
    po::command_line_parser parser(argc, argv);
    parser.options(options);
    if (positional) parser.positional(*positional);
    po::store(parser.run(), vm);
    if (vm.count("help")) {
      if (show_help) print_help(argv[0], options);
      return false;
    }
    po::notify(vm);
  } catch (const po::error_with_option_name& e) {
    // Boost 1.74 fills placeholders (%value%, %canonical_option%, ...) into
    // its message in a loop that never ends when the user's value holds one
    // itself (found by fuzz_command_line): no what() where an argument has a '%'.
    for (int i = 1; i < argc; ++i)
      if (std::strchr(argv[i], '%'))
        CONVOY_USER_ERROR("bad or unknown option '", e.get_option_name(), "' or its value (see --help)");
    CONVOY_USER_ERROR(e.what(), " (see --help)");
  } catch (const po::error& e) {
    CONVOY_USER_ERROR(e.what(), " (see --help)");
  }
  return true;
}

}  // namespace convoy
