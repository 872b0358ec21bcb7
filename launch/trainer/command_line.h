// Command-line parsing shared by the programs (Boost.Program_options).
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <type_traits>
#include <vector>

#include "backend/device_choice.h"
#include "core/named_values.h"

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
// --help as shortest_text writes it for floating-point options and by its
// name for an enum's (core/named_values.h).
template <class T>
boost::program_options::typed_value<T>* option_value(T* target) {
  boost::program_options::typed_value<T>* value = boost::program_options::value(target);
  if constexpr (std::is_floating_point_v<T>)
    return value->default_value(*target, shortest_text(static_cast<double>(*target)));
  else if constexpr (Named<T>)
    return value->default_value(*target, name_of(*target));
  else if constexpr (std::is_same_v<T, DeviceRequest>)
    return value->default_value(*target, target->to_string());
  else
    return value->default_value(*target);
}

// How Boost.Program_options reads --device (DeviceRequest::parse), once.
void validate(boost::any& target, const std::vector<std::string>& words, DeviceRequest*, int);

// How Boost.Program_options parses an option into an enum with named values
// (found by argument-dependent lookup): once, when the command line is read;
// a word that names none is an error naming the option and the choices
// ("unknown --pca 'x': expected off, image or dataset").
template <Named E>
void validate(boost::any& target, const std::vector<std::string>& words, E*, int) {
  namespace po = boost::program_options;
  po::validators::check_first_occurrence(target);
  const std::string& word = po::validators::get_single_string(words);
  for (const NamedValue<E>& entry : named_values(E{}))
    if (word == entry.name) {
      target = entry.value;
      return;
    }
  po::error_with_option_name error("unknown %canonical_option% '%value%': expected " + names_of<E>());
  error.set_substitute("value", word);
  throw error;
}

}  // namespace convoy
