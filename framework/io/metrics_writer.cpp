#include "io/metrics_writer.h"

#include "core/error.h"

namespace convoy {

MetricsWriter::MetricsWriter(const std::string& path, bool append)
    : out_(path, append ? std::ios::app : std::ios::trunc) {
  if (!out_) CONVOY_USER_ERROR("cannot open metrics file '", path, "' for writing");
}

void MetricsWriter::write_line(const std::string& json_object) {
  if (!out_.is_open()) return;
  out_ << json_object << '\n';
  out_.flush();
}

}  // namespace convoy
