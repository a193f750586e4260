#!/usr/bin/env bash
# Builds a minimal static, position-independent FFmpeg from Debian's own source
# package, for the GPU machine (which has no FFmpeg and no network).
#
# Only what the library uses is enabled: the demuxers of the containers we read,
# the parsers and bitstream filters the index and GOP reader need, the software
# decoders of the CPU back end, and swscale. AV1 has no software decoder of FFmpeg's
# own, so dav1d (Debian's source package too) is built as a static library first and
# FFmpeg's libdav1d decoder wraps it. The result is installed (static libs, headers,
# pkg-config files) under $1 (default: .carry/ffmpeg); cmake/OdvdFFmpeg.cmake links it
# (-DODVD_FFMPEG_PREFIX=...).
#
# Idempotent: nothing is done when PREFIX holds a build of this exact configuration
# (PREFIX/.odvd-build-config); a different configuration is rebuilt from scratch.
#
# Usage: bash tools/device/build_static_ffmpeg.sh [PREFIX]
#        ODVD_DEBIAN_SUITE=trixie bash tools/device/build_static_ffmpeg.sh PREFIX   (FFmpeg 7.1)
set -euo pipefail
cd "$(dirname "$0")/../.."
PREFIX="$(realpath -m "${1:-.carry/ffmpeg}")"
JOBS="$(nproc)"

# shellcheck disable=SC2054  # commas are part of FFmpeg's option values
FFMPEG_CONFIG=(
  --disable-everything --enable-pic --enable-static --disable-shared --disable-programs
  --disable-doc --disable-autodetect --disable-network --disable-debug
  --disable-avdevice --disable-avfilter --disable-swresample
  --enable-protocol=file
  --enable-demuxer=mov,matroska,mpegts,mpegps,h264,hevc,ivf,avi,m4v,mpegvideo,vc1
  --enable-parser=h264,hevc,vp8,vp9,av1,mpeg4video,mpegvideo,mjpeg,vc1
  --enable-bsf=h264_mp4toannexb,hevc_mp4toannexb,extract_extradata,vp9_superframe_split
  --enable-decoder=h264,hevc,vp8,vp9,mpeg4,mpeg1video,mpeg2video,mjpeg,vc1,libdav1d --enable-libdav1d
  --enable-swscale
)
DAV1D_CONFIG=(--default-library=static -Db_staticpic=true --buildtype=release
  -Denable_tools=false -Denable_tests=false -Denable_examples=false)
STAMP="$PREFIX/.odvd-build-config"
CONFIG="ffmpeg: ${FFMPEG_CONFIG[*]} | dav1d: ${DAV1D_CONFIG[*]}${ODVD_DEBIAN_SUITE:+ | suite: $ODVD_DEBIAN_SUITE} | licenses"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$CONFIG" && -f "$PREFIX/lib/pkgconfig/libavcodec.pc" ]]; then
  echo "static FFmpeg already at $PREFIX"
  exit 0
fi
rm -rf "$PREFIX"

SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
# shellcheck source=tools/device/ffmpeg_source.sh
source tools/device/ffmpeg_source.sh
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
fetch_debian_sources "$WORK" dav1d ffmpeg
src_dir() { find "$WORK" -maxdepth 1 -type d -name "$1-*" | head -1; }

# dav1d: static, PIC, installed into the same prefix (lib/, not Debian's multiarch lib dir).
DAV1D_SRC="$(src_dir dav1d)"
meson setup "$WORK/dav1d-build" "$DAV1D_SRC" --prefix="$PREFIX" --libdir=lib "${DAV1D_CONFIG[@]}" >/dev/null
ninja -C "$WORK/dav1d-build" -j"$JOBS" >/dev/null
ninja -C "$WORK/dav1d-build" install >/dev/null

cd "$(src_dir ffmpeg)"
PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" ./configure --prefix="$PREFIX" --pkg-config-flags=--static \
  "${FFMPEG_CONFIG[@]}" >/dev/null
make -j"$JOBS" >/dev/null
make install >/dev/null
strip --strip-debug "$PREFIX"/lib/*.a
rm -rf "$PREFIX/share"
# The licences of what a wheel linking this carries (tools/build_wheel.sh installs them with it).
mkdir -p "$PREFIX/licenses"
cp COPYING.LGPLv2.1 "$PREFIX/licenses/FFmpeg-COPYING.LGPLv2.1"
cp "$DAV1D_SRC/COPYING" "$PREFIX/licenses/dav1d-COPYING"
{
  echo "FFmpeg $(cat VERSION 2>/dev/null || cat RELEASE 2>/dev/null || echo '(version unknown)') from Debian's source package"
  echo "configure: ${FFMPEG_CONFIG[*]}"
  echo "dav1d from Debian's source package, meson: ${DAV1D_CONFIG[*]}"
} >"$PREFIX/licenses/BUILD.txt"
echo "$CONFIG" >"$STAMP"
echo "static FFmpeg installed at $PREFIX ($(du -sh "$PREFIX" | cut -f1))"
