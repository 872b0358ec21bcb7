// Files that appear whole or not at all. Every program writes its outputs
// (checkpoints, converted datasets, plots, timelines) through this: the bytes
// go to a temporary file beside the target, are flushed to the disk, and only
// then renamed over it. A failure on the way (a full disk, a killed process)
// leaves the previous file of that name untouched and no temporary behind.
#pragma once

#include <functional>
#include <string>

namespace convoy {

// "<path>.tmp.<pid>": in the target's folder (a rename stays on one file
// system), unique per process.
std::string temporary_path_for(const std::string& path);

// Calls write(temporary) to fill the temporary file, then syncs it and
// renames it to `path` (whose folder must exist). Any failure
// removes the temporary; a user error or a file-system error comes back as a
// user error naming `path`. Other exceptions (a bug, out of memory) pass
// through unchanged, after the clean-up.
void write_file_atomically(const std::string& path, const std::function<void(const std::string& temporary)>& write);

// Syncs the finished file `finished` to the disk and renames it to `path`
// (on the same file system), then syncs the folder: `path` is then either
// the old file or the whole new one. A failure is a user error naming `path`.
void publish_file(const std::string& finished, const std::string& path);

// Creates `folder` where missing and checks that a file can be created in
// it; otherwise a user error naming `option` and the folder. For the start
// of a run, not after its first epoch.
void check_folder_writable(const std::string& folder, const std::string& option);

}  // namespace convoy
