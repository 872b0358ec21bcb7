// The resumable part of a conversion: what images_to_hdf5 has done so far,
// kept in "<out>.partial/" so that a run ended at any point (SIGKILL, a full
// disk, a power cut after the last commit) continues from its last commit.
// Stored images are appended to records.bin and their sizes to sizes.bin;
// state.json says how much of both is committed. It is replaced atomically
// only after both files reached the disk, so it never promises bytes that
// are not there, and bytes past it are cut off when a run continues.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace convoy {

struct SpoolState {
  std::string fingerprint;        // of the inputs and options (a change is refused)
  int64_t total = 0;              // inputs
  int64_t next_input = 0;         // inputs done, written or skipped
  int64_t records = 0;            // images stored
  int64_t bytes = 0;              // their bytes in records.bin
  std::vector<int64_t> skipped;   // input indices skipped (unreadable images)
  std::vector<double> moments;    // RgbMoments::state() of the stored pixels, merged in input order
};

// "<out>.partial": a folder beside the output, so that it shares its file system.
std::string partial_folder_for(const std::string& out);

class ConversionSpool {
 public:
  // Continues the partial conversion of `out` when its fingerprint matches,
  // else starts one; `restart` discards any partial conversion first. A
  // partial conversion of other inputs or options is a user error that says
  // how to go on.
  ConversionSpool(const std::string& out, const std::string& fingerprint, int64_t total, bool restart);
  ~ConversionSpool();
  ConversionSpool(const ConversionSpool&) = delete;
  ConversionSpool& operator=(const ConversionSpool&) = delete;

  const SpoolState& committed() const { return committed_; }
  // Where the finished HDF5 file is assembled before it is renamed into place.
  std::string assembly_path() const { return folder_ + "/assembly.h5"; }

  void append(const uint8_t* data, size_t size);  // one stored image, after the committed ones
  // Everything appended reaches the disk, then state.json says `state`.
  void commit(const SpoolState& state);
  // Record `index` (< committed().records); records are read back once, in order (0, 1, ...).
  void read(int64_t index, std::vector<uint8_t>& out);
  // The partial conversion goes: the file is finished, or its work cannot be continued.
  void remove();

 private:
  void open_data_files(bool truncate_to_committed);
  void close_data_files();

  std::string folder_;
  SpoolState committed_;
  std::FILE* records_ = nullptr;
  std::FILE* sizes_ = nullptr;
  int64_t read_index_ = 0, read_offset_ = 0;  // the sequential read's position
};

}  // namespace convoy
