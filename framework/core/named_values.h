// The names of an enum's values, in one table per enum beside its
// declaration, for options parsed once into the enum (--pca dataset ->
// PcaMode::kDataset) and written back as the same words (--help, the
// options JSON of metrics and checkpoints). An enum joins by declaring, in
// its own namespace,
//   std::span<const NamedValue<E>> named_values(E);
// (found by argument-dependent lookup); parse_named and name_of do the rest,
// and launch/trainer/command_line.h lets Boost.Program_options parse it.
#pragma once

#include <concepts>
#include <span>
#include <string>

#include "core/error.h"

namespace convoy {

template <class E>
struct NamedValue {
  E value;
  const char* name;
};

// Whether named_values(E) is declared for E.
template <class E>
concept Named = requires(E value) {
  { named_values(value) } -> std::convertible_to<std::span<const NamedValue<E>>>;
};

// "a, b or c": the names of E's values, in their table's order.
template <Named E>
std::string names_of() {
  const std::span<const NamedValue<E>> table = named_values(E{});
  std::string text;
  for (size_t i = 0; i < table.size(); ++i)
    text += (i == 0 ? "" : i + 1 == table.size() ? " or " : ", ") + std::string(table[i].name);
  return text;
}

// The value named `text`; a user error naming `option` and the choices otherwise
// ("unknown --pca 'x': expected off, image or dataset").
template <Named E>
E parse_named(const std::string& text, const std::string& option) {
  for (const NamedValue<E>& entry : named_values(E{}))
    if (text == entry.name) return entry.value;
  CONVOY_USER_ERROR("unknown ", option, " '", text, "': expected ", names_of<E>());
}

// The name of `value`, as parse_named reads it.
template <Named E>
const char* name_of(E value) {
  for (const NamedValue<E>& entry : named_values(value))
    if (entry.value == value) return entry.name;
  CONVOY_CHECK(false, "a value without a name in its table");
  return "";
}

}  // namespace convoy
