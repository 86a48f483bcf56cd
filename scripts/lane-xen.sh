#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Xen lane: Debian's Xen 4.17 hypervisor under QEMU (-accel tcg, never KVM,
# no hardware virtualisation: the CPU model is qemu64, which has none to
# offer) with Debian's 6.12 kernel as its PV dom0:
#   - the hypervisor comes from the xen-hypervisor-4.17-amd64 package
#     (downloaded and unpacked, never installed); QEMU boots it as a
#     multiboot kernel with dom0's kernel and initramfs as modules
#   - build vmmem.ko and the samples with W=1 against the 6.12 headers,
#     warnings counted as failures, and the static programs
#     samples/echo_vmm, tests/xen/grant_probe and tests/xen/domu_vmm
#   - Debian's xen-gntdev, xen-gntalloc and xen-privcmd modules from the
#     image package
#   - dom0's /init (tests/xen/init) maps a grant end to end (dom0 grants
#     pages to itself with gntalloc and maps them with gntdev, as a
#     frontend and a backend do), runs the echo sample under PV, and loads
#     tests/xen/vmmem_xen_test.ko, which reaches its own grants through
#     vmmem_add_xen_grants() and frames it maps with privcmd, as a VMM
#     does, through vmmem_add_xen_foreign()
#   - then tests/xen/domu-run starts Xen's toolstack in dom0 (xl,
#     xenstored, xenconsoled from xen-utils-4.17 and the libraries it
#     needs, downloaded and unpacked, never installed; the host's C
#     library and compression libraries beside them) and a PV domU with
#     the same kernel, whose tests/xen/vmmem_xen_domu.ko grants pages to
#     dom0; tests/xen/vmmem_xen_domu_test.ko reaches them through
#     vmmem_add_xen_grants() and vmmem_add_xen_foreign(), the static
#     tests/xen/domu_vmm maps them with privcmd as a VMM does, before and
#     after, and the domU checks what dom0 wrote
#   - every "ok - "/"not ok - " line counts; the lane also fails on a guest
#     that does not finish and on a WARN/BUG/oops on the console
# Usage: lane-xen.sh
# Environment: VMMEM_QEMU_TIMEOUT, seconds for the boot (default 900);
# VMMEM_BOOT_LOCK, a file to hold with flock(1) during the boot only.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=qemu-lib.sh
. "$VMMEM_ROOT/scripts/qemu-lib.sh"

"$VMMEM_ROOT/scripts/deps.sh" "${QEMU_PACKAGES[@]}"
kver=$(qemu_kver 6.12)
dir=$VMMEM_CACHE/xen/$kver
mkdir -p "$dir" "$VMMEM_CACHE/qemu"
vmmem_lock xen
timeout_s=${VMMEM_QEMU_TIMEOUT:-900}
passed=0
failed=0

ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1: $2"; failed=$((failed + 1)); }

# The hypervisor: xen.gz from the package, decompressed (QEMU's multiboot
# loader reads an ELF image, not a gzip).
xen=$VMMEM_CACHE/xen/xen-4.17
if [[ ! -s $xen ]]; then
	tmp=$(qemu_download xen-hypervisor-4.17-amd64 "$VMMEM_CACHE/xen")
	dpkg-deb --fsys-tarfile "$tmp"/xen-hypervisor-4.17-amd64_*.deb |
		tar -C "$tmp" -x ./boot/xen-4.17-amd64.gz
	gzip -dc "$tmp/boot/xen-4.17-amd64.gz" >"$xen.tmp"
	mv "$xen.tmp" "$xen"
	rm -rf "$tmp"
fi

# The toolstack dom0 needs to start a domU, unpacked from Debian's packages
# into one tree: xl and the daemons from xen-utils-4.17, xenstore-read and
# xenstore-write from xenstore-utils, and the libraries they link.
tools=$VMMEM_CACHE/xen/tools-4.17
if [[ ! -f $tools/.done ]]; then
	rm -rf "$tools"
	mkdir -p "$tools"
	tmp=$(qemu_download xen-utils-4.17 xenstore-utils libxencall1 \
		libxendevicemodel1 libxenevtchn1 libxenforeignmemory1 \
		libxengnttab1 libxenhypfs1 libxenmisc4.17 libxenstore4 \
		libxentoolcore1 libxentoollog1 libyajl2 "$VMMEM_CACHE/xen")
	for deb in "$tmp"/*.deb; do
		dpkg-deb -x "$deb" "$tools"
	done
	rm -rf "$tmp"
	touch "$tools/.done"
fi

# Build in a copy of the sources, so the repository stays clean.
kdir=/usr/src/linux-headers-$kver
qemu_copy_sources "$dir/src"
if make -C "$dir/src" KDIR="$kdir" W=1 >"$dir/vmmem.log" 2>&1 &&
   ! grep -q 'warning:' "$dir/vmmem.log"; then
	ok "build vmmem.ko (W=1)"
else
	not_ok "build vmmem.ko (W=1)" "see $dir/vmmem.log"
fi
if make -C "$dir/src/samples" KDIR="$kdir" \
	VMMEM_SYMVERS="$dir/src/Module.symvers" W=1 >"$dir/samples.log" 2>&1 &&
   ! grep -q 'warning:' "$dir/samples.log"; then
	ok "build the samples (W=1)"
else
	not_ok "build the samples (W=1)" "see $dir/samples.log"
fi
if make -C "$kdir" M="$dir/src/tests/xen" \
	KBUILD_EXTRA_SYMBOLS="$dir/src/Module.symvers" W=1 modules \
	>"$dir/xen_test.log" 2>&1 && ! grep -q 'warning:' "$dir/xen_test.log"; then
	ok "build tests/xen's modules (W=1)"
else
	not_ok "build tests/xen's modules (W=1)" "see $dir/xen_test.log"
fi
for prog in samples/echo_vmm tests/xen/grant_probe tests/xen/domu_vmm; do
	rm -f "$dir/${prog##*/}"
	if gcc -static -O2 -Wall -Wextra -Werror -o "$dir/${prog##*/}" \
		"$dir/src/$prog.c" >"$dir/${prog##*/}.log" 2>&1; then
		ok "build $prog (static, -Wall -Wextra -Werror)"
	else
		not_ok "build $prog" "see $dir/${prog##*/}.log"
	fi
done
for f in src/vmmem.ko src/samples/vmmem_echo.ko src/tests/xen/vmmem_xen_test.ko \
	 src/tests/xen/vmmem_xen_domu_test.ko src/tests/xen/vmmem_xen_domu.ko \
	 echo_vmm grant_probe domu_vmm; do
	[[ -f $dir/$f ]] || {
		not_ok "boot skipped" "$f did not build"
		lane_result xen "$passed" "$failed"
		exit 1
	}
done

kmods=$(qemu_debian_modules "$kver")
QEMU_MODULES=()
declare -A QEMU_MODULES_SEEN=()
qemu_module_order "$kmods" xen_gntdev xen_gntalloc xen_privcmd xenfs xen_evtchn

# The initramfs: busybox, the modules, the programs.
root=$dir/root
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib/xen}
cp /bin/busybox "$root/bin/busybox"
for m in "${QEMU_MODULES[@]}"; do
	xz -dc "$(qemu_module_path "$kmods" "$m")" >"$root/lib/xen/$m.ko"
done
printf '%s\n' "${QEMU_MODULES[@]}" >"$root/lib/xen/order"
cp "$dir/src/vmmem.ko" "$dir/src/samples/vmmem_echo.ko" \
   "$dir/src/tests/xen/vmmem_xen_test.ko" \
   "$dir/src/tests/xen/vmmem_xen_domu_test.ko" "$root/lib/xen/"
cp "$dir/echo_vmm" "$dir/grant_probe" "$dir/domu_vmm" "$root/bin/"
cp "$VMMEM_ROOT/tests/xen/init" "$root/init"
cp "$VMMEM_ROOT/tests/xen/domu-run" "$root/bin/domu-run"
chmod 755 "$root/init" "$root/bin/domu-run"

img=$(qemu_kernel "$kver")
# The toolstack, with every library the dynamic linker would load:
# ldd's list, and libgcc_s, which the C library opens when xl's threads
# are cancelled.
xbin=/usr/lib/xen-4.17/bin
mkdir -p "$root$xbin" "$root/usr/bin" "$root/lib/x86_64-linux-gnu" \
	 "$root/lib64" "$root/boot" "$root/etc/xen"
for b in xl xenstored xenconsoled xen-init-dom0; do
	cp "$tools$xbin/$b" "$root$xbin/"
done
cp "$tools/usr/bin/xenstore" "$root/usr/bin/"
for b in read write; do
	ln -s xenstore "$root/usr/bin/xenstore-$b"
done
# (awk reads to the end: leaving early would kill ldconfig with SIGPIPE,
# which pipefail turns into a failure.)
libgcc=$(ldconfig -p |
	awk '$1 == "libgcc_s.so.1" && /x86-64/ && !lib { lib = $NF } END { print lib }')
[[ -n $libgcc ]] || vmmem_die "no libgcc_s.so.1 (package libgcc-s1)"
for lib in $libgcc $(LD_LIBRARY_PATH=$tools/usr/lib/x86_64-linux-gnu \
	ldd "$root$xbin"/* "$root/usr/bin/xenstore" |
	awk '$3 ~ /^\// { print $3 } $1 ~ /^\/lib64\// { print $1 }' | sort -u); do
	case $lib in
	/lib64/*) cp -L "$lib" "$root/lib64/" ;;
	*) cp -L "$lib" "$root/lib/x86_64-linux-gnu/" ;;
	esac
done
echo 'autoballoon = "off"' >"$root/etc/xen/xl.conf"
cp "$VMMEM_ROOT/tests/xen/domu.cfg" "$root/etc/xen/vmmem-domu.cfg"
# The domU boots the same kernel, with an initramfs of its own.
cp "$img" "$root/boot/vmlinuz"
domu=$dir/domu
rm -rf "$domu"
mkdir -p "$domu"/{bin,dev,proc,sys}
cp /bin/busybox "$domu/bin/busybox"
cp "$dir/src/tests/xen/vmmem_xen_domu.ko" "$domu/"
cp "$VMMEM_ROOT/tests/xen/domu-init" "$domu/init"
chmod 755 "$domu/init"
(cd "$domu" && find . -print0 | cpio --null -o -H newc --quiet) |
	gzip -1 >"$root/boot/domu.cpio.gz"
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) |
	gzip -1 >"$dir/initramfs.cpio.gz"

log=$dir/console.log
start=$SECONDS
rc=0
boot=(timeout --kill-after=10 "$timeout_s")
[[ -n ${VMMEM_BOOT_LOCK:-} ]] && boot=(flock "$VMMEM_BOOT_LOCK" "${boot[@]}")
# -cpu qemu64: with -cpu max, dom0 dies at its first exception (Xen's
# bounce frame onto the guest stack faults under TCG). The multiboot
# modules are separated by commas: dom0's kernel with its command line,
# then its initramfs.
"${boot[@]}" qemu-system-x86_64 \
	-accel tcg,thread=multi -cpu qemu64 -smp 2 -m 2048 -nographic \
	-no-reboot -monitor none -kernel "$xen" \
	-append "console=com1 com1=115200,8n1 dom0_mem=768M,max:768M loglvl=warning guest_loglvl=warning" \
	-initrd "$img console=hvc0 quiet panic=-1,$dir/initramfs.cpio.gz" \
	</dev/null 2>&1 | tr -d '\r' >"$log" || rc=${PIPESTATUS[0]}
echo "# booted Xen 4.17 with $kver as PV dom0 (tcg): $((SECONDS - start)) s, console in $log"

while IFS= read -r line; do
	echo "$line"
	case $line in
	"ok - "*)	passed=$((passed + 1)) ;;
	"not ok - "*)	failed=$((failed + 1)) ;;
	esac
done < <(qemu_console_checks "$log" '^vmmem-xen: done' "$rc" "$timeout_s" '^(# |echo_vmm: )')
lane_result xen "$passed" "$failed"
