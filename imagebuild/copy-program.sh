#!/usr/bin/env bash
# copy-program.sh ROOTFS PROGRAM DEST [strip]: installs PROGRAM at ROOTFS/DEST with exactly the
# shared libraries `ldd` says it loads, at the paths ldd prints (Debian's loader searches
# /lib/x86_64-linux-gnu by default, so no ld.so.cache is needed). `strip` drops debug symbols.
set -euo pipefail
rootfs=$1 program=$2 dest=$3
[ -x "$program" ] || { echo "copy-program: $program is not a program" >&2; exit 1; }
install -m 0755 -D "$program" "$rootfs$dest"
[ "${4:-}" = strip ] && strip --strip-debug "$rootfs$dest"
ldd "$program" | awk '/=> \// {print $3} /^\t\/lib/ {print $1}' | while read -r library; do
    real=$(readlink -f "$library")
    [ -e "$rootfs$library" ] && continue
    install -m 0755 -D "$real" "$rootfs$library"
done
