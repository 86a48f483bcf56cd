#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `make demo`: a newcomer's first run. Installs what it needs (as root),
# builds vmmem, the sample virtio echo backend and the test VMM for
# Debian's 6.12 kernel, boots that kernel under QEMU (-accel tcg), loads
# the modules, runs the test VMM, unloads and powers off, then says in a
# few lines what happened. Details: $VMMEM_CACHE/qemu/<kver>/console.log.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=qemu-lib.sh
. "$VMMEM_ROOT/scripts/qemu-lib.sh"

say() { printf '  %-10s %s\n' "$1" "$2"; }

echo "vmmem demo: preparing (packages, kernel image, builds)..."
"$VMMEM_ROOT/scripts/deps.sh" >/dev/null
"$VMMEM_ROOT/scripts/deps.sh" "${QEMU_PACKAGES[@]}" >/dev/null
vmmem_lock qemu
mkdir -p "$VMMEM_CACHE/qemu"

kver=$(qemu_kver 6.12)
dir=$VMMEM_CACHE/qemu/$kver
mkdir -p "$dir"
qemu_kernel "$kver" >/dev/null
if ! qemu_build "$kver" >"$dir/build.out"; then
	cat "$dir/build.out"
	vmmem_die "the build failed; logs in $dir"
fi
qemu_initramfs "$kver"

echo "vmmem demo: Debian's $kver kernel under QEMU (software emulation, no KVM)"
say built "vmmem.ko, vmmem_echo.ko (a virtio echo backend using vmmem), echo_vmm (a test VMM)"
start=$SECONDS
rc=0
qemu_boot "$kver" "${VMMEM_QEMU_TIMEOUT:-900}" || rc=$?
log=$dir/console.log
guest=$(sed -n '/^vmmem-qemu: dmesg begin$/q; p' "$log")
if ((rc != 0)) || ! grep -q '^vmmem-qemu: end$' "$log"; then
	tail -n 40 "$log"
	vmmem_die "the guest did not finish (qemu status $rc); console in $log"
fi

# result NAME: "ok" or "FAILED" for the guest check called NAME.
result() {
	if grep -qxF "ok - $1" <<<"$guest"; then echo ok; else echo FAILED; fi
}

say booted "in $((SECONDS - start)) s; insmod vmmem: $(result 'insmod vmmem'), insmod vmmem_echo: $(result 'insmod vmmem_echo')"
say namespace "a module that does not import VMMEM was refused: $(result 'namespace: module without MODULE_IMPORT_NS(VMMEM) refused')"
# The echo VMM's reports; of the randomized hostile VMM, only its totals.
sed -n 's/^report: //p' <<<"$guest" | grep -v '^hostile_vmm' | while IFS= read -r line; do
	say vmm "$line"
done || true
sed -n 's/^report: hostile_vmm: //p' <<<"$guest" | while IFS= read -r line; do
	say hostile "$line"
done
checks=$(grep -E '^echo_vmm: [0-9]+ passed, [0-9]+ failed$' <<<"$guest" | tail -n 1 || true)
say checks "${checks:-the test VMM did not report}"
checks=$(grep -E '^hostile_vmm: [0-9]+ passed, [0-9]+ failed$' <<<"$guest" | tail -n 1 || true)
say checks "${checks:-the hostile VMM did not report}"
grep '^not ok - ' <<<"$guest" | head -n 10 | while IFS= read -r line; do
	say FAILED "${line#not ok - }"
done || true
say unloaded "rmmod vmmem_echo: $(result 'rmmod vmmem_echo'), rmmod vmmem: $(result 'rmmod vmmem')"
splats=$(sed -n '/^vmmem-qemu: dmesg begin$/,/^vmmem-qemu: dmesg end$/p' "$log" |
	grep -cE 'WARNING:|BUG:|Oops|Call Trace' || true)
taint=$(sed -n 's/^vmmem-qemu: tainted \([0-9]*\)$/\1/p' "$log")
say kernel "$splats WARN/BUG/oops lines in dmesg; taint $taint (12288 = out-of-tree O + unsigned E only)"
say "done" "guest powered off; full console log: $log"
# Like every check: a failure anywhere fails the command.
! grep -q '^not ok - ' <<<"$guest" && ((splats == 0))
