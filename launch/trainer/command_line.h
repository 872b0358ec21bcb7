// Command-line parsing shared by the programs (Boost.Program_options).
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <type_traits>

namespace convoy {

// Parses argv into vm (positional may be null). Prints the usage (unless
// show_help is false: the other ranks of a job) and returns false when --help
// was given; a bad or missing option is a user error naming it.
bool parse_command_line(int argc, const char* const* argv,
                        const boost::program_options::options_description& options,
                        const boost::program_options::positional_options_description* positional,
                        boost::program_options::variables_map& vm, bool show_help = true);

// A number as a person writes it, the shortest text that reads back as the
// same value: 0.9 and 0.0005, where Boost's textual default (lexical_cast)
// would print 0.90000000000000002 and 0.00050000000000000001.
std::string shortest_text(double value);

// po::value(target) whose default is the target's present value, printed in
// --help as shortest_text writes it for floating-point options.
template <class T>
boost::program_options::typed_value<T>* option_value(T* target) {
  boost::program_options::typed_value<T>* value = boost::program_options::value(target);
  if constexpr (std::is_floating_point_v<T>)
    return value->default_value(*target, shortest_text(static_cast<double>(*target)));
  else
    return value->default_value(*target);
}

}  // namespace convoy
