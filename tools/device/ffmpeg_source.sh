# Sourced by the FFmpeg build scripts of this folder: unpacks Debian's own source packages
# (FFmpeg 5.1 and the others named) into a folder, after making sure apt has a deb-src
# entry (a copy of the deb stanzas) and the build tools are there.
#
#   fetch_debian_sources WORK PACKAGE...   (needs SUDO set: "" as root, else "sudo")
fetch_debian_sources() {
  local work="$1"
  shift
  if ! grep -rqs "deb-src" /etc/apt/sources.list.d/ /etc/apt/sources.list; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
      $SUDO tee /etc/apt/sources.list.d/debian-src.sources >/dev/null
    $SUDO apt-get update -qq
  fi
  local missing=() tool
  for tool in nasm meson ninja dpkg-source pkg-config; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  if ((${#missing[@]})); then
    $SUDO apt-get install -y -qq nasm meson ninja-build dpkg-dev pkg-config >/dev/null
  fi
  (cd "$work" && apt-get source --download-only -qq "$@" >/dev/null &&
    for tarball in ./*.orig.tar.?z; do tar xf "$tarball"; done)
}
