#include "formats/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace convoy {

namespace fs = std::filesystem;

namespace {

// fsync of a file or folder; false with errno set on failure.
bool sync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  errno = saved;
  return ok;
}

}  // namespace

std::string temporary_path_for(const std::string& path) { return path + ".tmp." + std::to_string(::getpid()); }

void publish_file(const std::string& finished, const std::string& path) {
  if (!sync_path(finished, O_RDONLY))
    CONVOY_USER_ERROR("cannot write '", path, "': flushing it to the disk failed (", std::strerror(errno), ")");
  std::error_code ec;
  fs::rename(finished, path, ec);
  if (ec) CONVOY_USER_ERROR("cannot move '", finished, "' into place as '", path, "': ", ec.message());
  // The rename itself reaches the disk with the folder's entry.
  const fs::path target(path);
  sync_path(target.has_parent_path() ? target.parent_path().string() : ".", O_RDONLY | O_DIRECTORY);
}

void write_file_atomically(const std::string& path, const std::function<void(const std::string& temporary)>& write) {
  const std::string temporary = temporary_path_for(path);
  auto remove_temporary = [&] {
    std::error_code ignored;
    fs::remove(temporary, ignored);
  };
  try {
    write(temporary);
    publish_file(temporary, path);
  } catch (const Error& e) {
    remove_temporary();
    if (!e.is_user_error()) throw;
    if (e.message().find("'" + path + "'") != std::string::npos) throw;  // names the target already
    throw Error::user("cannot write '" + path + "': " + e.message() + "; nothing was replaced");
  } catch (const fs::filesystem_error& e) {
    remove_temporary();
    CONVOY_USER_ERROR("cannot write '", path, "': ", e.code().message(), "; nothing was replaced");
  } catch (...) {
    remove_temporary();
    throw;
  }
}

void check_folder_writable(const std::string& folder, const std::string& option) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) CONVOY_USER_ERROR(option, " '", folder, "' cannot be created: ", ec.message());
  if (!fs::is_directory(folder, ec)) CONVOY_USER_ERROR(option, " '", folder, "' is not a folder");
  const std::string probe = (fs::path(folder) / (".convoy-write-test." + std::to_string(::getpid()))).string();
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) CONVOY_USER_ERROR(option, " '", folder, "' is not writable: ", std::strerror(errno));
  ::close(fd);
  ::unlink(probe.c_str());
}

}  // namespace convoy
