// Communicators for gradients that live on a device, by kind of device: the
// one a device's collective library provides (NCCL for CUDA,
// distributed/nccl/) registers its factory when the program starts, so that
// job set-up (distributed/job_setup.h) never includes it.
#pragma once

#include <memory>

#include "distributed/communicator.h"
#include "tensor/device.h"

namespace convoy {

// Makes the communicator of device `index` over `host` (which must outlive it). Collective.
using DeviceCommunicatorFactory = std::unique_ptr<Communicator> (*)(Communicator& host, int index);

// Registers `factory` for the devices of `kind` (null removes it); returns the one it replaces.
DeviceCommunicatorFactory register_device_communicator(DeviceKind kind, DeviceCommunicatorFactory factory);

// The factory of `kind`, or null when this build has none.
DeviceCommunicatorFactory find_device_communicator(DeviceKind kind);

}  // namespace convoy
