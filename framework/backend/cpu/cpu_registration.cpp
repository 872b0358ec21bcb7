// Where the CPU engine joins the rest of convoy, as every device's backend
// does: when the program starts it registers its platform
// (backend/device_platform.h) for DeviceKind::kCPU, so that backend/ reaches
// it through the registry and never calls into backend/cpu itself. The build
// links this file into every program that links convoy (the anchor symbol
// below, named in framework/CMakeLists.txt).
#include <memory>
#include <string>

#include "backend/backend.h"
#include "backend/batch_uploader.h"
#include "backend/device_platform.h"

namespace convoy {

Backend& cpu_backend();  // backend/cpu/cpu_backend.cpp

namespace {

// On the CPU a float batch is used where it lies.
class HostBatchUploader final : public BatchUploader {
 public:
  const Tensor& upload(const Tensor& host) override { return host; }
};

class CpuPlatform final : public DevicePlatform {
 public:
  Backend& backend(int) override { return cpu_backend(); }
  std::unique_ptr<BatchUploader> make_batch_uploader(int) override { return std::make_unique<HostBatchUploader>(); }
  int usable_devices(std::string*, std::string*) override { return 1; }
  void configure_math(Precision, bool, bool) override {}  // fp32 whatever is asked
  std::string physical_id(int) override { return "cpu"; }
};

int register_cpu_backend() {
  static CpuPlatform platform;
  register_device_platform(DeviceKind::kCPU, &platform);
  return 1;
}

}  // namespace
}  // namespace convoy

// The anchor: framework/CMakeLists.txt makes every program that links convoy
// need this symbol, which brings this file (and its registration) in.
extern "C" const int convoy_cpu_backend_registered = convoy::register_cpu_backend();
