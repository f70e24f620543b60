#!/usr/bin/env bash
# make-pxe.sh OUT: the PXE tree OUT/pxe: kernel, initramfs, an iPXE script, and Debian's iPXE
# loaders for firmware that runs plain PXE (undionly.kpxe for BIOS, ipxe.efi / snponly.efi for
# UEFI). A DHCP server hands out the loader, then boot.ipxe to iPXE (user-class "iPXE").
# The controller serves the per-machine script with the machine's settings (docs/api.md); the
# generic one here asks for nothing and starts the console when no controller is given.
set -euo pipefail
OUT=$1
pxe=$OUT/pxe
rm -rf "$pxe"
mkdir -p "$pxe"
cp "$OUT/vmlinuz" "$OUT/initrd.img" "$pxe/"
cp /usr/lib/ipxe/undionly.kpxe /usr/lib/ipxe/ipxe.efi /usr/lib/ipxe/snponly.efi "$pxe/"
cat > "$pxe/boot.ipxe" <<'IPXE'
#!ipxe
# Dagda Rescue over the network. initrd= names the initramfs for the kernel's EFI stub (UEFI).
kernel vmlinuz initrd=initrd.img console=tty0 console=ttyS0,115200 dagda.mode=agent
initrd initrd.img
boot
IPXE
find "$pxe" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
