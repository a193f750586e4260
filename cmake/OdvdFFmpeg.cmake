# Finds FFmpeg (libavformat, libavcodec, libavutil, libswscale) and provides it as the target
# odvd::ffmpeg.
#
# Shared FFmpeg (the system's, or a prefix with shared libraries): pkg-config's imported target,
# as is. ODVD_FFMPEG_PREFIX's pkg-config files are searched before the system's.
#
# Static FFmpeg: ODVD_FFMPEG_PREFIX names a prefix whose lib/ holds libavcodec.a and no
# libavcodec.so (the minimal one tools/device/build_static_ffmpeg.sh makes for the GPU machine).
# Its .pc files are read here rather than through pkg-config, because that prefix travels: the
# paths written into the .pc files are those of the machine that built it, and the GPU machine
# need not have pkg-config. odvd::ffmpeg then links
#   - the archives lib/lib{avformat,avcodec,swscale,avutil}.a by full path, in dependency order;
#   - the private dependencies, i.e. what `pkg-config --static --libs` gives: every -l<name> and
#     flag (-pthread) of the Libs and Libs.private lines of the four .pc files; a -l<name> whose
#     archive lib/lib<name>.a is in the prefix too (dav1d) is linked by full path, after them;
# and gives the shared objects that link it (the Python extension) two link options:
#   -Wl,-Bsymbolic        FFmpeg's x86 assembly refers to its own tables with PC-relative
#                         relocations, which ld only accepts in a shared object when global
#                         symbols bind locally ("relocation R_X86_64_PC32 ... can not be used
#                         when making a shared object" otherwise);
#   -Wl,--exclude-libs,.. FFmpeg's symbols stay out of the extension's dynamic symbol table, so
#                         they never clash with another FFmpeg loaded in the same process.
set(_odvd_ffmpeg_modules libavformat libavcodec libswscale libavutil)  # dependency order

set(_odvd_ffmpeg_static OFF)
if(ODVD_FFMPEG_PREFIX)
  message(STATUS "odvd: using FFmpeg from ${ODVD_FFMPEG_PREFIX}")
  if(EXISTS "${ODVD_FFMPEG_PREFIX}/lib/libavcodec.a" AND NOT EXISTS "${ODVD_FFMPEG_PREFIX}/lib/libavcodec.so")
    set(_odvd_ffmpeg_static ON)
  endif()
endif()

if(NOT _odvd_ffmpeg_static)
  find_package(PkgConfig REQUIRED)
  if(ODVD_FFMPEG_PREFIX)
    set(ENV{PKG_CONFIG_PATH} "${ODVD_FFMPEG_PREFIX}/lib/pkgconfig:$ENV{PKG_CONFIG_PATH}")
  endif()
  pkg_check_modules(FFMPEG REQUIRED IMPORTED_TARGET
    libavformat libavcodec libavutil libswscale)
  add_library(odvd::ffmpeg ALIAS PkgConfig::FFMPEG)
  return()
endif()

# True when the C compiler links a program with -l<lib>. A system library the .pc files name on
# the machine that built FFmpeg may be missing on the one that links it (e.g. libatomic, which
# FFmpeg names but x86-64 code does not need): it is then left out, with a message.
include(CheckCSourceCompiles)
function(odvd_system_lib_links lib out_var)
  string(MAKE_C_IDENTIFIER "ODVD_LINKS_LIB_${lib}" _cache)
  set(CMAKE_REQUIRED_LIBRARIES "${lib}")
  set(CMAKE_REQUIRED_QUIET ON)
  check_c_source_compiles("int main(void) { return 0; }" ${_cache})
  set(${out_var} ${${_cache}} PARENT_SCOPE)
endfunction()

# Appends to `libs_var` / `flags_var` the system libraries (-l<name>, except FFmpeg's own) and
# the other link flags (-pthread, ...; not -L) of the Libs and Libs.private lines of `pc_file`.
function(odvd_pc_private_deps pc_file libs_var flags_var)
  file(STRINGS "${pc_file}" _lines REGEX "^Libs(\\.private)?:")
  set(_libs ${${libs_var}})
  set(_flags ${${flags_var}})
  foreach(_line IN LISTS _lines)
    string(REGEX REPLACE "^Libs(\\.private)?:" "" _line "${_line}")
    separate_arguments(_tokens UNIX_COMMAND "${_line}")
    foreach(_tok IN LISTS _tokens)
      if(_tok MATCHES "^-l(.+)$")
        if(NOT "lib${CMAKE_MATCH_1}" IN_LIST _odvd_ffmpeg_modules)
          list(APPEND _libs "${CMAKE_MATCH_1}")
        endif()
      elseif(NOT _tok MATCHES "^-L")
        list(APPEND _flags "${_tok}")
      endif()
    endforeach()
  endforeach()
  set(${libs_var} ${_libs} PARENT_SCOPE)
  set(${flags_var} ${_flags} PARENT_SCOPE)
endfunction()

add_library(odvd_ffmpeg_static INTERFACE)
target_include_directories(odvd_ffmpeg_static INTERFACE "${ODVD_FFMPEG_PREFIX}/include")
set(_odvd_ffmpeg_archives "")
set(_odvd_ffmpeg_syslibs "")
set(_odvd_ffmpeg_flags "")
foreach(_module IN LISTS _odvd_ffmpeg_modules)
  set(_archive "${ODVD_FFMPEG_PREFIX}/lib/${_module}.a")
  set(_pc "${ODVD_FFMPEG_PREFIX}/lib/pkgconfig/${_module}.pc")
  if(NOT EXISTS "${_archive}" OR NOT EXISTS "${_pc}")
    message(FATAL_ERROR "odvd: static FFmpeg at ${ODVD_FFMPEG_PREFIX} lacks ${_archive} or ${_pc}")
  endif()
  file(STRINGS "${_pc}" _version REGEX "^Version:")
  message(STATUS "odvd: ${_module} ${_version}")
  target_link_libraries(odvd_ffmpeg_static INTERFACE "${_archive}")
  list(APPEND _odvd_ffmpeg_archives "${_module}.a")
  odvd_pc_private_deps("${_pc}" _odvd_ffmpeg_syslibs _odvd_ffmpeg_flags)
endforeach()
list(REMOVE_DUPLICATES _odvd_ffmpeg_syslibs)
list(REMOVE_DUPLICATES _odvd_ffmpeg_flags)
foreach(_lib IN LISTS _odvd_ffmpeg_syslibs)
  if(EXISTS "${ODVD_FFMPEG_PREFIX}/lib/lib${_lib}.a")
    target_link_libraries(odvd_ffmpeg_static INTERFACE "${ODVD_FFMPEG_PREFIX}/lib/lib${_lib}.a")
    list(APPEND _odvd_ffmpeg_archives "lib${_lib}.a")
    continue()
  endif()
  odvd_system_lib_links("${_lib}" _links)
  if(_links)
    target_link_libraries(odvd_ffmpeg_static INTERFACE "${_lib}")
  else()
    message(STATUS "odvd: FFmpeg's .pc files name -l${_lib}, which does not link here; left out")
  endif()
endforeach()
if(_odvd_ffmpeg_flags)
  target_link_options(odvd_ffmpeg_static INTERFACE ${_odvd_ffmpeg_flags})
endif()

list(JOIN _odvd_ffmpeg_archives ":" _odvd_ffmpeg_exclude)
# Evaluated for the consuming target: only shared objects (the Python module) get these.
set(_odvd_is_shared
  "$<OR:$<STREQUAL:$<TARGET_PROPERTY:TYPE>,SHARED_LIBRARY>,$<STREQUAL:$<TARGET_PROPERTY:TYPE>,MODULE_LIBRARY>>")
target_link_options(odvd_ffmpeg_static INTERFACE
  "$<${_odvd_is_shared}:LINKER:-Bsymbolic>"
  "$<${_odvd_is_shared}:LINKER:--exclude-libs,${_odvd_ffmpeg_exclude}>")
add_library(odvd::ffmpeg ALIAS odvd_ffmpeg_static)
message(STATUS "odvd: FFmpeg static (${_odvd_ffmpeg_archives}; -l: ${_odvd_ffmpeg_syslibs};"
               " flags: ${_odvd_ffmpeg_flags})")
