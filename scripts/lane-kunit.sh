#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# KUnit lane: run the vmmem suites in a UML kernel built from Debian's
# linux-source-6.12 (Debian's own kernels have no CONFIG_KUNIT).
#
# The kernel tree lives in the cache, never in the repository:
#   $VMMEM_CACHE/<linux-source version>/pristine/  the extracted tarball
#   $VMMEM_CACHE/<linux-source version>/tree/      cp -al copy, plus
#       drivers/vmmem -> the repository and one line each in drivers/Kconfig
#       and drivers/Makefile (edited by writing new files, so the hard-linked
#       pristine copy is never modified)
#   $VMMEM_CACHE/<linux-source version>/build/     kunit.py's O= directory,
#       reused between runs so a warm run only rebuilds what changed
#
# A case passes only if KUnit says so AND the kernel log is free of
# warnings, oopses and sanitizer/lockdep/RCU reports: those do not fail a
# KUnit case by themselves. panic_on_warn=1 turns a WARN() into a crash of
# the running case as well.
#
# With "bench" (make bench) only the vmmem_bench suite runs, in the same
# build directory with kunit/bench.kunitconfig added. The sanitizers and
# lockdep run in the SMP lanes (lane-smp.sh), on real kernels with four CPUs.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

variant=${1:-}
case $variant in
"")	lane=kunit; build_name=build; extra=() ;;
# make bench: the non-debug build directory, benchmarks built in, run alone.
bench)	lane=bench; build_name=build
	extra=(--kunitconfig="$VMMEM_ROOT/kunit/bench.kunitconfig" "vmmem_bench*") ;;
*)	vmmem_die "unknown KUnit variant '$variant'" ;;
esac

dir=$(vmmem_pristine)
tree=$dir/tree
build=$dir/$build_name

vmmem_lock kunit

vmmem_kernel_tree "$dir"

vmmem_build_dir "$build"

json=$build/vmmem-results.json
log=$build/test.log
rm -f "$json" "$log"

# Absolute paths throughout: kunit.py changes into the kernel tree.
rc=0
# The timeout covers the whole boot; sanitizers make the suites far slower.
python3 "$tree/tools/testing/kunit/kunit.py" run \
	--kunitconfig="$VMMEM_ROOT/kunit" "${extra[@]}" \
	--build_dir="$build" \
	--jobs="$(nproc)" \
	--timeout=2400 \
	--kernel_args=panic_on_warn=1 \
	--json="$json" || rc=$?

if [[ ! -s $json ]]; then
	# Config or build failure, or a kernel that never printed KTAP: the
	# reason is in kunit.py's output above (it shows make's errors).
	echo "vmmem: kunit.py produced no results (exit $rc)"
	lane_result "$lane" 0 1
	exit 1
fi

vmmem_kunit_verdict "$json" "$log" "$rc"
lane_result "$lane" "$passed" "$failed"
