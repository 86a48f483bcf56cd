#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `make bench`: run the vmmem_bench suite in the (non-debug) UML kernel of
# the KUnit lane and print its table, then one machine-readable line per
# figure: "bench: <name> <value> <unit>". Then the vdpa lane's guest with
# its benchmark (VMMEM_VDPA_BENCH=1): samples/vmmem_vdpa_blk against the
# kernel's vdpa_sim_blk, side by side in one QEMU guest. Figures are
# ratios measured side by side in one run; nothing here passes or fails on
# speed.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$VMMEM_ROOT/scripts/deps.sh"
# A fresh cache: bench.out is written before the lane creates the directory.
mkdir -p "$VMMEM_CACHE"
rc=0
"$VMMEM_ROOT/scripts/lane-kunit.sh" bench >"$VMMEM_CACHE/bench.out" 2>&1 || rc=$?
log=$(vmmem_pristine)/build/test.log
if ((rc != 0)) || [[ ! -s $log ]]; then
	cat "$VMMEM_CACHE/bench.out"
	vmmem_die "the benchmark run failed"
fi
echo "vmmem benchmarks (UML, one run; min / median / max over repeats)"
# Which machine: figures from another CPU or hypervisor are not comparable.
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
hv=$(dmesg 2>/dev/null | sed -n 's/.*Hypervisor detected: //p' | head -n 1)
echo "machine: ${cpu:-unknown CPU}, $(nproc) CPUs, host kernel $(uname -r), hypervisor ${hv:-none detected}, $(date -u +%F)"
sed -n 's/^ *# vmmem_bench_[a-z_]*: //p' "$log" | grep -v '^pass:'
grep -h '^bench: ' "$log"

echo "vmmem vDPA block device vs vdpa_sim_blk (Debian 6.12 under QEMU, software emulation, one boot; medians of 5 alternating runs)"
rc=0
VMMEM_VDPA_BENCH=1 "$VMMEM_ROOT/scripts/lane-vdpa.sh" >"$VMMEM_CACHE/bench-vdpa.out" 2>&1 || rc=$?
if ((rc != 0)) || ! grep -q '^bench: vdpa_' "$VMMEM_CACHE/bench-vdpa.out"; then
	grep -E '^(not ok|lane) ' "$VMMEM_CACHE/bench-vdpa.out" || true
	vmmem_die "the vDPA benchmark failed; log in $VMMEM_CACHE/bench-vdpa.out"
fi
sed -n '/^# vdpa bench: /,/^# rand_write_64k /{s/^# //p}' "$VMMEM_CACHE/bench-vdpa.out"
grep '^bench: vdpa_' "$VMMEM_CACHE/bench-vdpa.out"
