#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# vDPA lane: samples/vmmem_vdpa_blk.ko, a vDPA virtio-blk device on vmmem,
# driven by Debian 6.12's own vdpa stacks:
#   - build vmmem.ko and the samples (vmmem_vq.ko, vmmem_vdpa_blk.ko)
#     with W=1 against Debian's 6.12 headers, warnings counted as failures,
#     and tests/qemu/vdpa_vmm (static, -Wall -Wextra -Werror)
#   - take vdpa, virtio_vdpa, virtio_blk, ext4, vhost_vdpa and the modules
#     they depend on (modinfo's depends, followed) from the linux-image
#     package, decompressed on the host
#   - boot Debian's kernel under QEMU (-accel tcg,thread=multi, never KVM,
#     2 vCPUs) into a busybox initramfs with mkfs.ext4 and e2fsck (and the
#     libraries ldd lists); its /init (tests/qemu/vdpa-init) runs the file
#     system and O_DIRECT checks over virtio_vdpa + virtio_blk, then binds
#     the device to vhost_vdpa and runs vdpa_vmm, a VMM on the vhost-vdpa
#     uAPI, and unloads everything
#   - every "ok - "/"not ok - " line counts; the lane also fails on a guest
#     that does not finish and on a WARN/BUG/oops in dmesg
# Usage: lane-vdpa.sh
# Environment: VMMEM_QEMU_TIMEOUT, seconds for the boot (default 1200);
# VMMEM_BOOT_LOCK, a file to hold with flock(1) during the boot only (the
# builds run without it); VMMEM_VDPA_BENCH=1 (`make bench`) also builds
# the kernel's vdpa_sim_blk (with vringh, which Debian's kernel lacks) from
# linux-source-6.12 and tests/qemu/vdpa_bench, and the guest benchmarks
# both devices side by side under virtio_vdpa before the vhost_vdpa part.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=qemu-lib.sh
. "$VMMEM_ROOT/scripts/qemu-lib.sh"

"$VMMEM_ROOT/scripts/deps.sh" "${QEMU_PACKAGES[@]}" e2fsprogs
kver=$(qemu_kver 6.12)
dir=$VMMEM_CACHE/vdpa/$kver
mkdir -p "$dir" "$VMMEM_CACHE/qemu"
vmmem_lock vdpa
timeout_s=${VMMEM_QEMU_TIMEOUT:-1200}
passed=0
failed=0

ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1: $2"; failed=$((failed + 1)); }

# Build in a copy of the sources, so the repository stays clean.
kdir=/usr/src/linux-headers-$kver
rm -rf "$dir/src"
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
	ok "build vmmem_vq.ko and vmmem_vdpa_blk.ko (W=1)"
else
	not_ok "build vmmem_vq.ko and vmmem_vdpa_blk.ko (W=1)" "see $dir/samples.log"
fi
rm -f "$dir/vdpa_vmm"
if gcc -static -O2 -Wall -Wextra -Werror -pthread -o "$dir/vdpa_vmm" \
	"$dir/src/tests/qemu/vdpa_vmm.c" >"$dir/vmm.log" 2>&1; then
	ok "build tests/qemu/vdpa_vmm (static, -Wall -Wextra -Werror)"
else
	not_ok "build tests/qemu/vdpa_vmm" "see $dir/vmm.log"
fi
bench=()
if [[ -n ${VMMEM_VDPA_BENCH:-} ]]; then
	# The yardstick, built unchanged from the kernel's own sources.
	ksrc=$(vmmem_pristine)/pristine/$VMMEM_SRC_TOP
	sim=$dir/sim
	rm -rf "$sim"
	mkdir -p "$sim"
	cp "$ksrc/drivers/vhost/vringh.c" "$ksrc"/drivers/vdpa/vdpa_sim/vdpa_sim.[ch] \
	   "$ksrc/drivers/vdpa/vdpa_sim/vdpa_sim_blk.c" "$sim/"
	echo 'obj-m += vringh.o vdpa_sim.o vdpa_sim_blk.o' >"$sim/Kbuild"
	make -C "$kdir" M="$sim" modules >"$dir/sim.log" 2>&1 ||
		vmmem_die "vdpa_sim_blk did not build: see $dir/sim.log"
	gcc -static -O2 -Wall -Wextra -Werror -o "$dir/vdpa_bench" \
		"$dir/src/tests/qemu/vdpa_bench.c" >"$dir/bench.log" 2>&1 ||
		vmmem_die "vdpa_bench did not build: see $dir/bench.log"
	bench=("$sim/vringh.ko" "$sim/vdpa_sim.ko" "$sim/vdpa_sim_blk.ko")
fi

for ko in vmmem.ko samples/vmmem_vq.ko samples/vmmem_vdpa_blk.ko ../vdpa_vmm; do
	[[ -f $dir/src/$ko ]] || {
		not_ok "boot skipped" "$ko did not build"
		lane_result vdpa "$passed" "$failed"
		exit 1
	}
done

# Debian's modules, from the image package, each after its dependencies.
kmods=$(qemu_debian_modules "$kver")
QEMU_MODULES=()
declare -A QEMU_MODULES_SEEN=()
# ext4 and jbd2 ask the crypto API for crc32c (a soft dependency, which
# modinfo's depends does not list): the generic implementation serves.
qemu_module_order "$kmods" vdpa virtio_vdpa virtio_blk crc32c_generic ext4
first=("${QEMU_MODULES[@]}")
# Then what vhost_vdpa adds, loaded once virtio_vdpa is gone (a device
# binds to the first driver that takes it).
qemu_module_order "$kmods" vhost_vdpa
order=("${QEMU_MODULES[@]}")
second=("${order[@]:${#first[@]}}")

# The initramfs: busybox, e2fsprogs with its libraries, the modules.
root=$dir/root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,mnt,etc,lib/vdpa}
cp /bin/busybox "$root/bin/busybox"
tools=(/usr/sbin/mkfs.ext4 /usr/sbin/e2fsck)
((${#bench[@]})) && tools+=(/sbin/vdpa)
for b in "${tools[@]}"; do
	cp "$b" "$root/sbin/"
	for l in $(ldd "$b" | awk '/=>/ { print $3 } /^\t\// { print $1 }'); do
		mkdir -p "$root/$(dirname "$l")"
		cp -L "$l" "$root/$l"
	done
done
[[ -f /etc/mke2fs.conf ]] && cp /etc/mke2fs.conf "$root/etc/"
: >"$root/lib/vdpa/order"
for m in "${order[@]}"; do
	xz -dc "$(qemu_module_path "$kmods" "$m")" >"$root/lib/vdpa/$m.ko"
done
printf '%s\n' "${first[@]}" >"$root/lib/vdpa/order"
printf '%s\n' "${second[@]}" >"$root/lib/vdpa/order.vhost"
cp "$dir/src/vmmem.ko" "$dir/src/samples/vmmem_vq.ko" \
   "$dir/src/samples/vmmem_vdpa_blk.ko" "$root/lib/vdpa/"
cp "$dir/vdpa_vmm" "$root/bin/"
if ((${#bench[@]})); then
	# Their presence tells the guest to run the benchmark.
	mkdir -p "$root/lib/vdpa/bench"
	cp "${bench[@]}" "$root/lib/vdpa/bench/"
	cp "$dir/vdpa_bench" "$root/bin/"
fi
cp "$VMMEM_ROOT/tests/qemu/vdpa-init" "$root/init"
chmod 755 "$root/init"
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) |
	gzip -1 >"$dir/initramfs.cpio.gz"
echo "# Debian modules: ${first[*]}; then ${second[*]}"

img=$(qemu_kernel "$kver")
log=$dir/console.log
start=$SECONDS
rc=0
boot=(timeout --kill-after=10 "$timeout_s")
[[ -n ${VMMEM_BOOT_LOCK:-} ]] && boot=(flock "$VMMEM_BOOT_LOCK" "${boot[@]}")
"${boot[@]}" qemu-system-x86_64 \
	-accel tcg,thread=multi -cpu max -smp 2 -m 1024 -nographic \
	-no-reboot -monitor none -kernel "$img" \
	-initrd "$dir/initramfs.cpio.gz" \
	-append "console=ttyS0 quiet panic=-1" </dev/null 2>&1 |
	tr -d '\r' >"$log" || rc=${PIPESTATUS[0]}
echo "# booted $kver (tcg): $((SECONDS - start)) s, console in $log"

while IFS= read -r line; do
	echo "$line"
	case $line in
	"ok - "*)	passed=$((passed + 1)) ;;
	"not ok - "*)	failed=$((failed + 1)) ;;
	esac
done < <(qemu_console_checks "$log" '^vmmem-vdpa: done' "$rc" "$timeout_s" '^(# |bench: )')
lane_result vdpa "$passed" "$failed"
