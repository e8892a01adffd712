#!/bin/bash
# fetch-kernel.sh KVER
#   Download (apt-get download, nothing is installed) and unpack one Debian
#   kernel release: the image, its -dbg package (vmlinux with DWARF) and the
#   kbuild headers needed to build vmlab.ko out of tree.
#   KVER is e.g. 6.1.0-56-cloud-amd64 or 6.12.117+deb12-cloud-amd64.
#
#   Result ($TB = the test-bed cache):
#     $TB/kernels/$KVER/{img,dbg,hdr}/     unpacked packages
#     $TB/kernels/$KVER/vmlinuz            -> img/boot/vmlinuz-$KVER
#     $TB/kernels/$KVER/vmlinux            -> dbg/usr/lib/debug/boot/vmlinux-$KVER
#     $TB/kernels/$KVER/System.map         -> dbg/usr/lib/debug/boot/System.map-$KVER
#     $TB/kernels/$KVER/modules            -> img/lib/modules/$KVER
#     $TB/kernels/$KVER/build              -> hdr/usr/src/linux-headers-$KVER (absolute links fixed)
#     $TB/kernels/$KVER/.done              written last: the kernel is complete
set -euo pipefail
KVER=${1:?usage: fetch-kernel.sh KVER}
TB=${TB:?TB (test-bed cache root) not set}
DEBS=$TB/debs
K=$TB/kernels/$KVER
[ -e "$K/.done" ] && { echo "kernel $KVER already unpacked"; exit 0; }
mkdir -p "$DEBS" "$K"
cd "$DEBS"

dl() {  # download the first available package name; print the .deb path
    local p
    for p in "$@"; do
        if apt-cache show "$p" >/dev/null 2>&1; then
            # ${p}_*.deb: the package name is followed by _VERSION_ARCH.deb
            ls "${p}"_*.deb >/dev/null 2>&1 || apt-get download "$p" >&2
            ls "${p}"_*.deb | head -1
            return 0
        fi
    done
    echo "no package among: $*" >&2; return 1
}
depends_of() {  # the package names in the Depends: line of $1
    apt-cache show "$1" | sed -n 's/^Depends: //p' | head -1 | tr ',' '\n' | sed 's/(.*//; s/ //g'
}

# apt-get download needs the package lists; fetch them once if apt knows nothing yet.
apt-cache show "linux-headers-$KVER" >/dev/null 2>&1 || apt-get update >&2

IMG=$(dl "linux-image-$KVER" "linux-image-$KVER-unsigned")
DBG=$(dl "linux-image-$KVER-dbg")
HDR=$(dl "linux-headers-$KVER")
COMMON=$(depends_of "linux-headers-$KVER" | grep -E '^linux-headers-.*-common$' | head -1)
KBUILD=$(depends_of "linux-headers-$KVER" | grep -E '^linux-kbuild-' | head -1)
COMMON_DEB=$(dl "$COMMON"); KBUILD_DEB=$(dl "$KBUILD")

[ -e "$K/img/.done" ] || { rm -rf "$K/img"; dpkg-deb -x "$IMG" "$K/img"; touch "$K/img/.done"; }
[ -e "$K/dbg/.done" ] || { rm -rf "$K/dbg"; dpkg-deb -x "$DBG" "$K/dbg"; touch "$K/dbg/.done"; }
if [ ! -e "$K/hdr/.done" ]; then
    rm -rf "$K/hdr"
    for d in "$HDR" "$COMMON_DEB" "$KBUILD_DEB"; do dpkg-deb -x "$d" "$K/hdr"; done
    # The Debian headers tree is full of absolute symlinks (/usr/src/...,
    # /usr/lib/linux-kbuild-*) that would point into the (absent) installed
    # packages; re-point them into our private prefix.
    find "$K/hdr" -type l | while read -r l; do
        t=$(readlink "$l")
        case "$t" in /*) ln -sfn "$K/hdr$t" "$l";; esac
    done
    # ... and the arch Makefile "include"s the -common Makefile by absolute path.
    sed -i "s#^include /usr/src/#include $K/hdr/usr/src/#" "$K/hdr/usr/src/linux-headers-$KVER/Makefile"
    touch "$K/hdr/.done"
fi
ln -sfn "img/boot/vmlinuz-$KVER" "$K/vmlinuz"
ln -sfn "dbg/usr/lib/debug/boot/System.map-$KVER" "$K/System.map"   # the image ships a stub
ln -sfn "dbg/usr/lib/debug/boot/vmlinux-$KVER" "$K/vmlinux"
ln -sfn "img/lib/modules/$KVER" "$K/modules"
ln -sfn "hdr/usr/src/linux-headers-$KVER" "$K/build"
for f in vmlinuz System.map vmlinux modules build; do
    [ -e "$K/$f" ] || { echo "ERROR: $K/$f missing after unpacking" >&2; exit 1; }
done
# The unpacked packages are big and only needed here; the .debs can go.
rm -f "$IMG" "$DBG" "$HDR" "$COMMON_DEB" "$KBUILD_DEB"
touch "$K/.done"
echo "kernel $KVER ready: $(du -sh "$K" | cut -f1)"
