#!/usr/bin/env bash
# Builds the Dagda Rescue live image from Debian packages, without root-only steps other than
# installing missing build packages, and without loop mounts (docs: README.md, "The live image").
#
# Settings (environment): DAGDA_IMAGE_DIR (OUT), DAGDA_IMAGE_CA (a controller's CA file to build in as
# /etc/dagda/ca.pem), SOURCE_DATE_EPOCH, DAGDA_BINARY (a dagda already built).
#
# Output (OUT, default build/image):
#   vmlinuz initrd.img dagda-rescue.iso   the kernel, the initramfs, the hybrid ISO (BIOS+UEFI, CD+USB)
#   pxe/  vmlinuz initrd.img boot.ipxe undionly.kpxe ipxe.efi snponly.efi
#   build-info.txt                         inputs (package versions) and the SHA-256 of each output
#
# Reproducible: every timestamp is SOURCE_DATE_EPOCH (default: the last commit's time), the cpio
# is written in sorted order with owner 0, the FAT image with --invariant; two builds from the same
# inputs give the same files (scripts/build-image --check builds twice and compares).
#
# Inputs fetched with `apt-get download` into WORK/debs (kept as a cache): the kernel
# (linux-image-amd64's current ABI), shim-signed and grub-efi-amd64-signed (Secure Boot chain), and
# udev for its udevadm. They are unpacked with dpkg-deb, never installed: their maintainer scripts
# would touch the build host's /boot and ESP (and start udevd).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
OUT=${DAGDA_IMAGE_DIR:-$root/build/image}
WORK=$OUT/work
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 1700000000)}
export LC_ALL=C TZ=UTC

say() { echo "build-image: $*" >&2; }
die() { say "$*"; exit 1; }

dagda=${DAGDA_BINARY:-$("$root/scripts/build")}
mkdir -p "$OUT" "$WORK/debs"
chmod 777 "$WORK/debs"  # apt-get download runs as _apt where it can

# --- inputs -------------------------------------------------------------------------------
kernel_package=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$kernel_package" ] || die "apt-cache does not know linux-image-amd64 (run apt-get update)"
fetch() {  # fetch PACKAGE: the .deb in WORK/debs (downloaded once), its path on stdout
    local deb
    deb=$(ls "$WORK/debs/$1"_*.deb 2>/dev/null | head -1 || true)
    if [ -z "$deb" ]; then
        (cd "$WORK/debs" && apt-get download -q "$1" >&2) || die "cannot download $1"
        deb=$(ls "$WORK/debs/$1"_*.deb | head -1)
    fi
    echo "$deb"
}
unpack() {  # unpack PACKAGE DIR
    rm -rf "$2"; mkdir -p "$2"
    dpkg-deb -x "$(fetch "$1")" "$2"
}
say "kernel $kernel_package, shim-signed, grub-efi-amd64-signed, udev"
unpack "$kernel_package" "$WORK/kernel"
unpack shim-signed "$WORK/shim"
unpack grub-efi-amd64-signed "$WORK/grub"
unpack udev "$WORK/udev"
kver=$(ls "$WORK/kernel/lib/modules")
depmod -b "$WORK/kernel" "$kver"

# --- the root file system of the initramfs ---------------------------------------------------
rootfs=$WORK/rootfs
rm -rf "$rootfs"
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/lib/dagda,etc,proc,sys,dev,run,tmp,root,var/lib/dagda,lib/modules,lib64}
cp /bin/busybox "$rootfs/bin/busybox"
"$root/imagebuild/copy-program.sh" "$rootfs" "$dagda" /usr/bin/dagda strip
for tool in $(cat "$here/programs.list" | sed 's/#.*//'); do
    "$root/imagebuild/copy-program.sh" "$rootfs" "$(command -v "$tool")" "/usr/bin/$tool"
done
# Debian's libparted runs `udevadm settle` (through sh) around every partition table re-read
# outside a chroot; without the program each disk.apply_layout printed "udevadm: not found". With
# no udevd in the image (devtmpfs makes the nodes), udevadm settle finds no queue and returns at once.
"$root/imagebuild/copy-program.sh" "$rootfs" "$WORK/udev/bin/udevadm" /usr/bin/udevadm
# Every program must find all its libraries in the image: the image's loader resolves each one
# (a library it had to take from the build host would show a path outside the rootfs).
for program in /usr/bin/dagda /usr/bin/udevadm $(sed 's/#.*//' "$here/programs.list" | awk 'NF {print "/usr/bin/" $1}'); do
    resolved=$("$rootfs/lib64/ld-linux-x86-64.so.2" --inhibit-cache --library-path "$rootfs/lib/x86_64-linux-gnu:$rootfs/usr/lib/x86_64-linux-gnu" \
                   --list "$rootfs$program") || die "$program: the image's loader cannot load it"
    outside=$(awk '/=>/ {print $3}' <<<"$resolved" | grep -v "^$rootfs/" || true)
    [ -z "$outside" ] || die "$program: libraries missing from the image: $outside"
done
"$rootfs/lib64/ld-linux-x86-64.so.2" --inhibit-cache --library-path "$rootfs/lib/x86_64-linux-gnu" "$rootfs/usr/bin/udevadm" --version >/dev/null ||
    die "udevadm does not start with the image's libraries"
install -m 0644 -D /usr/lib/syslinux/mbr/mbr.bin "$rootfs/usr/lib/syslinux/mbr/mbr.bin"  # disk apply's generic MBR
# iconv's converters are loaded at run time, so ldd does not list them: hivex recodes key and
# value names between UTF-16LE and UTF-8 through iconv, and mtools uses DOS code pages. Without
# them every hive edit fails. The text configuration is enough (no gconv-modules.cache).
gconv=/usr/lib/x86_64-linux-gnu/gconv
for converter in $(sed 's/#.*//' "$here/gconv.list"); do install -m 0644 -D "$gconv/$converter" "$rootfs$gconv/$converter"; done
install -m 0755 "$root/initramfs/init" "$rootfs/init"
install -m 0755 "$root/initramfs/udhcpc.script" "$rootfs/etc/udhcpc.script"
install -m 0755 "$root/initramfs/console-loop" "$root/initramfs/poweroff" "$root/initramfs/reboot" "$root/initramfs/mount-media" "$rootfs/usr/lib/dagda/"
git -C "$root" describe --always --dirty 2>/dev/null > "$rootfs/etc/dagda-version" || echo unknown > "$rootfs/etc/dagda-version"
# DAGDA_IMAGE_CA: a controller's CA built into the image, for dagda.ca=/etc/dagda/ca.pem (agents then
# trust any certificate that CA issues for the controller's name, instead of one pinned certificate).
if [ -n "${DAGDA_IMAGE_CA:-}" ]; then
  [ -r "$DAGDA_IMAGE_CA" ] || die "DAGDA_IMAGE_CA: cannot read $DAGDA_IMAGE_CA"
  install -m 0644 -D "$DAGDA_IMAGE_CA" "$rootfs/etc/dagda/ca.pem"
fi
echo "root:x:0:0:root:/root:/bin/sh" > "$rootfs/etc/passwd"
echo "root:x:0:" > "$rootfs/etc/group"

# Kernel modules: the closure of modules.list, with what modprobe and depmod read.
moddir=$rootfs/lib/modules/$kver
mkdir -p "$moddir"
missing=()
for module in $(sed 's/#.*//' "$here/modules.list"); do
    lines=$(modprobe -d "$WORK/kernel" -S "$kver" --show-depends "$module" 2>/dev/null) || { missing+=("$module"); continue; }
    while read -r kind path _; do
        [ "$kind" = insmod ] || continue
        relative=${path#"$WORK/kernel"}
        install -m 0644 -D "$path" "$rootfs$relative"
    done <<<"$lines"
done
[ ${#missing[@]} -eq 0 ] || say "not in kernel $kver (skipped): ${missing[*]}"
cp "$WORK/kernel/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo} "$moddir/"
depmod -b "$rootfs" "$kver"

# --- the initramfs: sorted, owner 0, fixed times, zstd ----------------------------------------
find "$rootfs" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
(cd "$rootfs" && find . -mindepth 1 | sort | cpio --quiet -o -H newc -R 0:0 --reproducible) | zstd -q -19 -T1 > "$OUT/initrd.img"
cp "$WORK/kernel/boot/vmlinuz-$kver" "$OUT/vmlinuz"

"$here/make-iso.sh" "$OUT" "$WORK"
"$here/make-pxe.sh" "$OUT"

{
    echo "Dagda Rescue live image, SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH"
    echo "dagda $(cat "$rootfs/etc/dagda-version")"
    for deb in "$WORK"/debs/*.deb; do dpkg-deb -f "$deb" Package Version | paste -sd' '; done
    echo "busybox-static $(dpkg-query -W -f '${Version}' busybox-static)"
    echo "modules: $(find "$moddir" -name '*.ko' | wc -l) files"
    (cd "$OUT" && sha256sum vmlinuz initrd.img dagda-rescue.iso pxe/*)
} > "$OUT/build-info.txt"
say "done: $OUT (initrd $(stat -c %s "$OUT/initrd.img") bytes, ISO $(stat -c %s "$OUT/dagda-rescue.iso") bytes)"
