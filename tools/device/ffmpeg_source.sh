# Sourced by the FFmpeg build scripts of this folder: unpacks Debian's own source packages
# (FFmpeg 5.1 and the others named) into a folder, after making sure apt has a deb-src
# entry (a copy of the deb stanzas) and the build tools are there.
#
#   fetch_debian_sources WORK PACKAGE...   (needs SUDO set: "" as root, else "sudo")
#   ODVD_DEBIAN_SUITE=trixie fetch_debian_sources ...   (another release's sources)
fetch_debian_sources() {
  local work="$1"
  shift
  local apt_opts=()
  if [[ -n "${ODVD_DEBIAN_SUITE:-}" ]]; then
    # Another Debian release's sources (e.g. trixie: FFmpeg 7.1), from the same mirror as
    # the system's, with an apt state of their own: the system's apt stays as it is.
    local state="$work/apt-$ODVD_DEBIAN_SUITE"
    mkdir -p "$state/lists/partial"
    awk -v suite="$ODVD_DEBIAN_SUITE" 'NF == 0 { exit } /^Types:/ { print "Types: deb-src"; next }
      /^Suites:/ { print "Suites: " suite; next } { print }' /etc/apt/sources.list.d/debian.sources >"$state/src.sources"
    apt_opts=(-o "Dir::Etc::sourcelist=$state/src.sources" -o "Dir::Etc::sourceparts=/dev/null"
      -o "Dir::State::Lists=$state/lists")
    apt-get "${apt_opts[@]}" update -qq
  elif ! grep -rqs "deb-src" /etc/apt/sources.list.d/ /etc/apt/sources.list; then
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
  (cd "$work" && apt-get "${apt_opts[@]}" source --download-only -qq "$@" >/dev/null &&
    for tarball in ./*.orig.tar.?z; do tar xf "$tarball"; done)
}
