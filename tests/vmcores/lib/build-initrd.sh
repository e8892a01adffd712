#!/bin/bash
# build-initrd.sh KVER
#   Builds, for kernel KVER (already unpacked by fetch-kernel.sh):
#     $TB/build/$KVER/vmlab.ko      the crash-trigger + object-planting module (with DWARF)
#     $TB/build/$KVER/initrd.img    busybox initramfs with kexec, makedumpfile,
#                                   their shared libraries, modules and /init
#   The same initrd serves the first kernel and the kdump capture kernel.
#   $TB/build/$KVER/inputs.sha256 records the sources it was built from; the
#   caller (setup.sh) rebuilds when they change.
set -euo pipefail
KVER=${1:?usage: build-initrd.sh KVER}
TB=${TB:?TB (test-bed cache root) not set}
SRC=$(cd "$(dirname "$0")/.." && pwd)     # tests/vmcores
K=$TB/kernels/$KVER
B=$TB/build/$KVER
W=$B.tmp.$$
trap 'rm -rf "$W"' EXIT
rm -rf "$W"; mkdir -p "$W"
R=$W/root

# 1. the module, built against the Debian kbuild headers.
#    CONFIG_DEBUG_INFO_BTF_MODULES= : the 6.12 kbuild wants pahole to add BTF,
#    and pahole is not installed (and not needed).
#    Built in a fixed directory (setup.sh holds its lock): the source path ends up in
#    BUG() messages ("kernel BUG at .../vmlab.c:NNN!") and should not vary between builds.
M=$TB/build/module-$KVER
rm -rf "$M"; mkdir -p "$M"
cp "$SRC/module/vmlab.c" "$SRC/module/Kbuild" "$M/"
make -s -C "$K/build" M="$M" modules CONFIG_DEBUG_INFO_BTF_MODULES= >"$W/module-build.log" 2>&1 ||
    { cat "$W/module-build.log"; echo "ERROR: vmlab.ko does not build for $KVER" >&2; exit 1; }
mkdir -p "$W/module"; cp "$M/vmlab.ko" "$W/module/"
if [ -s "$W/module-build.log" ]; then cat "$W/module-build.log"; fi

# 2. static helper programs
gcc -O2 -static -pthread -o "$W/vmlab-load" "$SRC/guest/vmlab-load.c"
gcc -O2 -static -o "$W/vmlab-trigger" "$SRC/guest/vmlab-trigger.c"

# 3. the root tree
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,lib/modules,proc,sys,dev,tmp,mnt,etc,root}
cp /bin/busybox "$R/bin/busybox"
for a in $(/bin/busybox --list); do [ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"; done
cp "$W/vmlab-load" "$W/vmlab-trigger" "$R/bin/"
# kexec-tools and makedumpfile from the host (Debian bookworm), with every
# library ldd lists (kexec alone pulls in nine libxen* libraries)
copy_with_libs() {
    local f=$1 dst=$2
    cp "$f" "$R$dst"
    ldd "$f" | awk '/=>/ {print $3} /^\t\/lib/ {print $1}' | while read -r lib; do
        [ -e "$lib" ] || continue
        mkdir -p "$R$(dirname "$lib")"
        cp -L "$lib" "$R$lib"
    done
}
copy_with_libs "$(command -v kexec)" /sbin/kexec
copy_with_libs "$(command -v makedumpfile)" /usr/bin/makedumpfile
# the dynamic loader lives in /lib64 (a symlink on the host)
mkdir -p "$R/lib64"; cp -L /lib64/ld-linux-x86-64.so.2 "$R/lib64/"
# kernel modules: the virtio transport + block driver (built in on the 6.12
# cloud kernel), qemu_fw_cfg for "-device vmcoreinfo"
python3 "$SRC/lib/moddeps.py" "$K/modules" "$R/lib/modules" virtio_pci virtio_blk qemu_fw_cfg
cp "$W/module/vmlab.ko" "$R/lib/modules/"
cp "$SRC/guest/init" "$R/init"; chmod 755 "$R/init"
echo "root:x:0:0:root:/root:/bin/sh" > "$R/etc/passwd"

# 4. pack (newc cpio, gzip: both kernels have CONFIG_RD_GZIP)
(cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -6) > "$W/initrd.img"

# 5. publish
mkdir -p "$B"
cp "$W/module/vmlab.ko" "$B/vmlab.ko.new" && mv "$B/vmlab.ko.new" "$B/vmlab.ko"
mv "$W/initrd.img" "$B/initrd.img"
cp "$W/module-build.log" "$B/module-build.log"
"$SRC/lib/inputs-hash.sh" > "$B/inputs.sha256"
ls -la "$B"
