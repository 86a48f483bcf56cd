#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `make bench`: run the vmmem_bench suite in the (non-debug) UML kernel of
# the KUnit lane and print its table, then one machine-readable line per
# figure: "bench: <name> <value> <unit>". Figures are ratios measured side
# by side in one run; nothing here passes or fails on speed.
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
