// A process that dies of a fatal signal (a segmentation fault, an abort, an
// illegal instruction) says so on stderr with a backtrace before it dies, as
// PyTorch and glog do: on a cluster node, or on a GPU machine with no
// debugger installed, that trace is often all there is to go on. Frames read
// `binary(+0xoffset)` or `binary(function+0xoffset)`; `addr2line -Cfpe binary
// 0xoffset` names the source line.
#pragma once

namespace convoy {

// Installs the report for `program` (the name it is printed under, copied:
// "train_alexnet rank 3") once per process; later calls only rename. After the report the signal goes to the
// handler that was there before: by default the process dies of it, with its
// usual exit status; under a sanitizer, the sanitizer reports too.
void install_crash_report(const char* program);

}  // namespace convoy
