#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# QEMU lane: vmmem used the way users use it, on Debian's real kernels.
# For each kernel line, 6.12 (linux-headers-6.12-amd64) and 6.1
# (linux-headers-amd64):
#   - build vmmem.ko, samples/vmmem_echo.ko (against vmmem's
#     Module.symvers) and the static test VMMs samples/echo_vmm and
#     tests/qemu/hostile_vmm; modpost must refuse tests/qemu/nsmissing, a
#     consumer that does not import VMMEM
#   - boot Debian's kernel image of the same release under QEMU (-accel tcg,
#     never KVM) into a busybox initramfs whose /init (tests/qemu/init)
#     loads vmmem, sees the namespace test module refused, loads the sample,
#     runs the test VMM and the randomized hostile VMM and unloads both
#   - every "ok - "/"not ok - " line counts as one check; the lane also
#     fails on a guest that does not finish within the timeout, on a test
#     VMM (either one) that does not report or exits non-zero, on any WARN,
#     BUG, oops or other splat in dmesg, and on any taint but out-of-tree
#     (O) and unsigned (E) modules
# Usage: lane-qemu.sh [LINE...]   (default: 6.12 6.1)
# Environment: VMMEM_QEMU_TIMEOUT, seconds per boot (default 900).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=qemu-lib.sh
. "$VMMEM_ROOT/scripts/qemu-lib.sh"

"$VMMEM_ROOT/scripts/deps.sh" "${QEMU_PACKAGES[@]}"
vmmem_lock qemu
mkdir -p "$VMMEM_CACHE/qemu"

lines=("$@")
((${#lines[@]})) || lines=(6.12 6.1)
timeout_s=${VMMEM_QEMU_TIMEOUT:-900}

passed=0
failed=0

# tally PREFIX: echo stdin with PREFIX and count its ok / not ok lines.
tally()
{
	local line

	while IFS= read -r line; do
		echo "$1$line"
		case $line in
		"ok - "*)	passed=$((passed + 1)) ;;
		"not ok - "*)	failed=$((failed + 1)) ;;
		esac
	done
}

# Taint bits that loading any out-of-tree module sets: O (4096) and, on a
# kernel that signs its modules, E (8192).
allowed_taint=$(((1 << 12) | (1 << 13)))
splat='WARNING:|BUG:|BUG |Oops|Call Trace|general protection|RIP:|Kernel panic|UBSAN|KASAN|refcount_t:|list_(add|del) corruption|INFO: task .* blocked|rcu.*stall|stack-protector|double fault|Bad page'

for line in "${lines[@]}"; do
	kver=$(qemu_kver "$line")
	dir=$VMMEM_CACHE/qemu/$kver
	mkdir -p "$dir"
	p="qemu $line: "
	echo "==== $kver"

	# Build failures arrive as "not ok" lines; missing artefacts stop here.
	tally "$p" < <(qemu_build "$kver" || true)
	if [[ ! -f $dir/src/vmmem.ko || ! -f $dir/src/samples/vmmem_echo.ko ||
	      ! -f $dir/src/tests/qemu/nsmissing/vmmem_nsmissing.ko || ! -f $dir/echo_vmm ||
	      ! -f $dir/hostile_vmm ]]; then
		echo "${p}not ok - boot skipped: the modules or the test VMMs did not build"
		failed=$((failed + 1))
		continue
	fi

	qemu_initramfs "$kver"
	start=$SECONDS
	rc=0
	qemu_boot "$kver" "$timeout_s" || rc=$?
	log=$dir/console.log
	echo "${p}booted $kver in QEMU (tcg): $((SECONDS - start)) s, console in $log"

	# The guest's own checks: everything before the dmesg dump.
	tally "$p" < <(sed -n '/^vmmem-qemu: dmesg begin$/q; p' "$log" |
		grep -E '^(ok - |not ok - |report: |echo_vmm: |hostile_vmm: |vmmem-qemu: )')

	if ((rc == 124)) || ! grep -q '^vmmem-qemu: end$' "$log"; then
		tail -n 30 "$log"
		echo "${p}not ok - guest finished: no end marker (qemu status $rc; timeout ${timeout_s}s)"
		failed=$((failed + 1))
		continue
	fi
	echo "${p}ok - guest ran to the end and powered off"
	passed=$((passed + 1))

	for vmm in echo_vmm hostile_vmm; do
		summary=$(grep -E "^$vmm: [0-9]+ passed, [0-9]+ failed\$" "$log" | tail -n 1 || true)
		status=$(sed -n "s/^vmmem-qemu: $vmm exit \\([0-9]*\\)\$/\\1/p" "$log")
		if [[ -n $summary && $status == 0 ]]; then
			echo "${p}ok - test VMM: $summary, exit 0"
			passed=$((passed + 1))
		else
			echo "${p}not ok - test VMM $vmm: summary '${summary:-none}', exit ${status:-none}"
			failed=$((failed + 1))
		fi
	done

	dmesg_log=$(sed -n '/^vmmem-qemu: dmesg begin$/,/^vmmem-qemu: dmesg end$/p' "$log")
	bad=$(grep -E "$splat" <<<"$dmesg_log" || true)
	if [[ -n $bad ]]; then
		echo "$bad" | head -n 40
		echo "${p}not ok - dmesg: $(wc -l <<<"$bad") line(s) of WARN/BUG/oops"
		failed=$((failed + 1))
	else
		echo "${p}ok - dmesg: no WARN, BUG, oops or splat"
		passed=$((passed + 1))
	fi

	taint=$(sed -n 's/^vmmem-qemu: tainted \([0-9]*\)$/\1/p' "$log")
	if [[ -n $taint ]] && (((taint & ~allowed_taint) == 0)); then
		echo "${p}ok - taint: $taint (out-of-tree/unsigned modules only)"
		passed=$((passed + 1))
	else
		echo "${p}not ok - taint: '${taint:-none}' has bits beyond O and E"
		failed=$((failed + 1))
	fi
done

lane_result qemu "$passed" "$failed"
