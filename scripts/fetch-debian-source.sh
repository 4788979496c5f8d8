#!/bin/sh
# scripts/fetch-debian-source.sh PACKAGE [DEST]
# Fetch Debian's own source package PACKAGE (`apt-get source PACKAGE`) into DEST/PACKAGE (DEST
# default build/PACKAGE-src): Mbed TLS for the microcontroller builds (make mcu), cmocka for the
# 32-bit unit tests. Nothing of it enters the repo.
#
# The deb-src entry exists only for the duration and only for this fetch: apt runs with a private
# sources file, list directory and cache under DEST, so the machine's apt state (its lists, its
# lock) is never touched, and no root is needed. The suite comes from /etc/os-release. A second
# run finds DEST/.complete and does nothing (the build caches the source).
set -eu

pkg=${1:?usage: fetch-debian-source.sh PACKAGE [DEST]}
dest=${2:-build/$pkg-src}
[ -f "$dest/.complete" ] && exit 0

. /etc/os-release
suite=${VERSION_CODENAME:?fetch-debian-source: no VERSION_CODENAME in /etc/os-release}
uri=${OTA_DEBIAN_MIRROR:-http://deb.debian.org/debian}

mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
state="$dest/.apt"
rm -rf "$state"
mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/etc"
cat > "$state/etc/sources.list" <<SRC
deb-src $uri $suite main
SRC
apt_opts="-o Dir::Etc::sourcelist=$state/etc/sources.list -o Dir::Etc::sourceparts=/nonexistent
 -o Dir::State::Lists=$state/lists -o Dir::Cache=$state/cache -o Dir::State::status=/var/lib/dpkg/status
 -o APT::Sandbox::User=root -o Debug::NoLocking=1 -qq"
echo "fetch-debian-source: apt-get source $pkg ($suite) into $dest"
# shellcheck disable=SC2086
apt-get $apt_opts update
rm -rf "$dest/src"
mkdir -p "$dest/src"
# shellcheck disable=SC2086
(cd "$dest/src" && apt-get $apt_opts source "$pkg")
dir=$(find "$dest/src" -mindepth 1 -maxdepth 1 -type d -name "$pkg-*" | head -n 1)
[ -n "$dir" ] && [ -f "$dir/CMakeLists.txt" ] || {
    echo "fetch-debian-source: no $pkg source tree in $dest/src" >&2
    exit 1
}
rm -rf "$dest/$pkg"
mv "$dir" "$dest/$pkg"
rm -rf "$state" "$dest/src"
touch "$dest/.complete"
