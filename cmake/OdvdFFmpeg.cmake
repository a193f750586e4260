# Finds FFmpeg (libavformat, libavcodec, libavutil, libswscale) through pkg-config.
# ODVD_FFMPEG_PREFIX points at another build (e.g. the minimal static one for the GPU machine);
# its pkg-config files are searched before the system's.
find_package(PkgConfig REQUIRED)
if(ODVD_FFMPEG_PREFIX)
  set(ENV{PKG_CONFIG_PATH} "${ODVD_FFMPEG_PREFIX}/lib/pkgconfig:$ENV{PKG_CONFIG_PATH}")
  message(STATUS "odvd: using FFmpeg from ${ODVD_FFMPEG_PREFIX}")
endif()
pkg_check_modules(FFMPEG REQUIRED IMPORTED_TARGET
  libavformat libavcodec libavutil libswscale)
add_library(odvd::ffmpeg ALIAS PkgConfig::FFMPEG)
