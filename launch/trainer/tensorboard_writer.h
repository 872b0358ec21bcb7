// TensorBoard event files: the scalars a training run logs, in the format
// TensorBoard reads (TFRecord framing of tensorboard_event.proto's Event
// messages, each record's length and data guarded by a masked CRC-32C), so
// that `tensorboard --logdir DIR` shows the curves while the job runs.
// One file per run, events.out.tfevents.<seconds>.<host>.<pid>.convoy in DIR;
// a run resumed at step S first writes a SessionLog START at S, which makes
// TensorBoard drop the earlier runs' events from step S on (the JSON-lines
// metrics' last value per step wins the same way).
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace convoy {

// CRC-32C (Castagnoli) of `bytes`, and TFRecord's mask of it.
uint32_t crc32c(const void* bytes, size_t size);
uint32_t masked_crc32c(const void* bytes, size_t size);
// One TFRecord: length (uint64, little-endian), its masked CRC, the data, the data's masked CRC.
std::string tfrecord(const std::string& data);

class TensorBoardWriter {
 public:
  TensorBoardWriter() = default;  // disabled: writes nothing
  // Creates `folder` if needed and a new event file in it; resume_step >= 0
  // marks a resumed run (SessionLog START at that step).
  TensorBoardWriter(const std::string& folder, int64_t resume_step);
  bool enabled() const { return out_.is_open(); }
  const std::string& path() const { return path_; }

  // One event of scalars at `step`, written and flushed (a live job shows up at once).
  void scalars(int64_t step, const std::vector<std::pair<std::string, double>>& values);

 private:
  void write_event(const std::string& serialized);

  std::string path_;
  std::ofstream out_;
};

}  // namespace convoy
