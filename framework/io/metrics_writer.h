// Metrics as JSON lines, one object per line, flushed as written so a plot
// script (or `tail -f`) sees them during training.
#pragma once

#include <fstream>
#include <string>

namespace convoy {

class MetricsWriter {
 public:
  MetricsWriter() = default;  // disabled: writes nothing
  explicit MetricsWriter(const std::string& path, bool append);
  bool enabled() const { return out_.is_open(); }
  // `json_object` is one serialised JSON object.
  void write_line(const std::string& json_object);

 private:
  std::ofstream out_;
};

}  // namespace convoy
