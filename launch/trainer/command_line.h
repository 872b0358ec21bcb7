// Command-line parsing shared by the programs (Boost.Program_options).
#pragma once

#include <boost/program_options.hpp>

namespace convoy {

// Parses argv into vm (positional may be null). Prints the usage (unless
// show_help is false: the other ranks of a job) and returns false when --help
// was given; a bad or missing option is a user error naming it.
bool parse_command_line(int argc, const char* const* argv,
                        const boost::program_options::options_description& options,
                        const boost::program_options::positional_options_description* positional,
                        boost::program_options::variables_map& vm, bool show_help = true);

}  // namespace convoy
