// What a rank prints. Rank 0 alone prints progress, results and notes; the
// other ranks print only warnings and errors, which carry their rank
// ("rank 2: warning: ..."). A single process prints as before.
#pragma once

#include <string>

namespace convoy {

void set_console_rank(int rank, int size);
bool console_is_root();
// "rank 2: " when the job has several ranks, else "".
std::string rank_prefix();

// printf to stdout, on rank 0 only (flushed).
void say(const char* format, ...) __attribute__((format(printf, 1, 2)));
// One line to stderr on any rank: "<rank prefix>warning: <message>".
void warn(const std::string& message);

}  // namespace convoy
