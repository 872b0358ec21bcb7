#include "nn/init.h"

#include <cmath>

#include "core/error.h"
#include "core/philox.h"

namespace convoy {

std::span<const NamedValue<InitScheme>> named_values(InitScheme) {
  static constexpr NamedValue<InitScheme> kNames[] = {
      {InitScheme::kPaper, "paper"}, {InitScheme::kXavier, "xavier"}, {InitScheme::kKaiming, "kaiming"}};
  return kNames;
}

void initialize_parameters(const std::vector<Parameter*>& parameters, InitScheme scheme,
                           uint64_t seed) {
  Tensor host;  // the values of a parameter on a device, drawn on the host and copied over
  for (size_t i = 0; i < parameters.size(); ++i) {
    Parameter& p = *parameters[i];
    if (p.is_bias) {
      p.value.fill(scheme == InitScheme::kPaper ? static_cast<float>(p.paper_bias) : 0.0f);
      continue;
    }
    const bool on_host = p.value.device().is_cpu();
    if (!on_host) host.ensure_shape(p.value.shape());
    float* v = on_host ? p.value.data() : host.data();
    const int64_t n = p.value.numel();
    RandomStream stream(seed, RandomPurpose::kInit, i);
    CONVOY_CHECK(p.fan_in > 0 && p.fan_out > 0, p.name, " has no fan-in/fan-out for initialisation");
    switch (scheme) {
      case InitScheme::kPaper:
        for (int64_t j = 0; j < n; ++j) v[j] = static_cast<float>(0.01 * stream.next_normal());
        break;
      case InitScheme::kXavier: {
        const double bound = std::sqrt(6.0 / static_cast<double>(p.fan_in + p.fan_out));
        for (int64_t j = 0; j < n; ++j)
          v[j] = static_cast<float>((2.0 * stream.next_uniform_double() - 1.0) * bound);
        break;
      }
      case InitScheme::kKaiming: {
        const double std = std::sqrt(2.0 / static_cast<double>(p.fan_in));
        for (int64_t j = 0; j < n; ++j) v[j] = static_cast<float>(std * stream.next_normal());
        break;
      }
    }
    if (!on_host) p.value.copy_from(host);
  }
}

}  // namespace convoy
