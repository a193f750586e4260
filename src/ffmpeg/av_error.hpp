// Turning libav* return codes into MediaError messages (DESIGN.md, habit 4).
#pragma once

#include <string>

namespace odvd::av {

// FFmpeg's own text for an error code (av_strerror).
std::string error_text(int errnum);

// Throws MediaError("<context>: <FFmpeg's text>") when ret < 0; returns ret otherwise.
int check(int ret, const std::string& context);

// Sets FFmpeg's log level once per process: quiet by default (the library reports
// errors through exceptions); ODVD_FFMPEG_LOGLEVEL=quiet|panic|fatal|error|warning|info|
// verbose|debug|trace shows FFmpeg's own messages on stderr.
void init_logging();

}  // namespace odvd::av
