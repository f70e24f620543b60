#!/usr/bin/env bash
# make-iso.sh OUT WORK: the hybrid ISO OUT/dagda-rescue.iso from OUT/vmlinuz and OUT/initrd.img.
#   BIOS: isolinux, from CD (El Torito) and from USB (isohybrid MBR).
#   UEFI: Debian's signed shim and GRUB in an ESP image, from CD (El Torito) and from USB (GPT),
#         so it boots with Secure Boot enforced; the kernel is Debian's, signed too.
# No mounts: the ESP is made with mkfs.vfat -C and mtools, the ISO with xorriso.
set -euo pipefail
OUT=$1 WORK=$2
iso=$WORK/isoroot
rm -rf "$iso"
mkdir -p "$iso"/{isolinux,boot/grub,EFI/BOOT,.disk}
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$iso/isolinux/"
cp "$OUT/vmlinuz" "$OUT/initrd.img" "$iso/boot/"
cmdline="console=tty0 console=ttyS0,115200 dagda.mode=agent"
cat > "$iso/isolinux/isolinux.cfg" <<CFG
SERIAL 0 115200
DEFAULT agent
PROMPT 1
TIMEOUT 10
SAY Dagda Rescue: 'agent' (default), 'console' for the menus, or edit with TAB
LABEL agent
  KERNEL /boot/vmlinuz
  APPEND initrd=/boot/initrd.img $cmdline
LABEL console
  KERNEL /boot/vmlinuz
  APPEND initrd=/boot/initrd.img console=tty0 console=ttyS0,115200 dagda.mode=console
CFG
cat > "$iso/boot/grub/grub.cfg" <<CFG
serial --unit=0 --speed=115200
terminal_input console serial
terminal_output console serial
set timeout=1
menuentry "Dagda Rescue (agent)" {
  linux /boot/vmlinuz $cmdline
  initrd /boot/initrd.img
}
menuentry "Dagda Rescue (console)" {
  linux /boot/vmlinuz console=tty0 console=ttyS0,115200 dagda.mode=console
  initrd /boot/initrd.img
}
CFG
# Debian's signed CD GRUB looks for /.disk/info to find its medium, then reads /boot/grub/grub.cfg.
echo "Dagda Rescue" > "$iso/.disk/info"
shim=$WORK/shim/usr/lib/shim/shimx64.efi.signed
grub=$WORK/grub/usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed
cp "$shim" "$iso/EFI/BOOT/BOOTX64.EFI"
cp "$grub" "$iso/EFI/BOOT/grubx64.efi"

esp=$iso/boot/efiboot.img
rm -f "$esp"
mkfs.vfat -C --invariant -n DAGDA_EFI "$esp" 8192 >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$esp" ::/EFI ::/EFI/BOOT
find "$iso" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
mcopy -m -i "$esp" "$iso/EFI/BOOT/BOOTX64.EFI" "$iso/EFI/BOOT/grubx64.efi" ::/EFI/BOOT/
touch -h -d "@$SOURCE_DATE_EPOCH" "$esp"

rm -f "$OUT/dagda-rescue.iso"
xorriso -as mkisofs -quiet -o "$OUT/dagda-rescue.iso" -V DAGDA_RESCUE -J -R \
    -isohybrid-mbr /usr/lib/ISOLINUX/isohdpfx.bin \
    -c isolinux/boot.cat -b isolinux/isolinux.bin -no-emul-boot -boot-load-size 4 -boot-info-table \
    -eltorito-alt-boot -e boot/efiboot.img -no-emul-boot -isohybrid-gpt-basdat \
    "$iso"
