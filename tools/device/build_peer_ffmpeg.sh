#!/usr/bin/env bash
# Builds a minimal *shared* FFmpeg from Debian's source package for a peer of the
# benchmark suite: torchcodec loads FFmpeg's shared libraries (libavcodec.so.59 and the
# rest of FFmpeg 5), which the GPU machine does not have. Only what torchcodec needs to
# decode the benchmark videos is enabled: the MP4 demuxer, H.264/HEVC parsers, bitstream
# filters and decoders, swscale/swresample, the few filters its colour path uses, and the
# NVDEC hwaccels (through the ffnvcodec headers, loaded at run time) for its CUDA device.
# Installed under $1 (default .carry/peer-ffmpeg), stripped; the library itself links the
# static build (build_static_ffmpeg.sh), never this one.
#
# Usage: bash tools/device/build_peer_ffmpeg.sh [PREFIX]
set -euo pipefail
cd "$(dirname "$0")/../.."
PREFIX="$(realpath -m "${1:-.carry/peer-ffmpeg}")"
JOBS="$(nproc)"

# shellcheck disable=SC2054  # commas are part of FFmpeg's option values
CONFIG=(
  --disable-everything --enable-shared --disable-static --disable-programs --disable-doc
  --disable-autodetect --disable-network --disable-debug
  --enable-protocol=file --enable-demuxer=mov,matroska
  --enable-parser=h264,hevc --enable-bsf=h264_mp4toannexb,hevc_mp4toannexb,extract_extradata
  --enable-decoder=h264,hevc --enable-swscale --enable-swresample --enable-avfilter --enable-avdevice
  --enable-filter=buffer,buffersink,format,scale,scale_cuda,hwdownload,null,copy
  --enable-ffnvcodec --enable-cuda --enable-nvdec --enable-hwaccel=h264_nvdec,hevc_nvdec
)
STAMP="$PREFIX/.odvd-build-config"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "${CONFIG[*]}" ]]; then
  echo "peer FFmpeg already at $PREFIX"
  exit 0
fi
rm -rf "$PREFIX"
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
[[ -f /usr/include/ffnvcodec/dynlink_loader.h ]] || $SUDO apt-get install -y -qq libffmpeg-nvenc-dev >/dev/null
# shellcheck source=tools/device/ffmpeg_source.sh
source tools/device/ffmpeg_source.sh
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
fetch_debian_sources "$WORK" ffmpeg
cd "$(find "$WORK" -maxdepth 1 -type d -name 'ffmpeg-*' | head -1)"
./configure --prefix="$PREFIX" "${CONFIG[@]}" >/dev/null
make -j"$JOBS" >/dev/null
make install >/dev/null
strip --strip-unneeded "$PREFIX"/lib/*.so.*
# One regular file per library, named as the loader asks for it (its soname, e.g.
# libavcodec.so.59): symbolic links may not survive the trip to the GPU machine.
for lib in "$PREFIX"/lib/*.so.*.*.*; do
  soname="$(objdump -p "$lib" | awk '/SONAME/ { print $2 }')"
  rm -f "$PREFIX/lib/$soname" && mv "$lib" "$PREFIX/lib/$soname"
done
find "$PREFIX/lib" -maxdepth 1 -type l -delete
rm -rf "$PREFIX/share" "$PREFIX/include" "$PREFIX/lib/pkgconfig"
echo "${CONFIG[*]}" >"$STAMP"
echo "peer FFmpeg installed at $PREFIX ($(du -sh "$PREFIX" | cut -f1))"
