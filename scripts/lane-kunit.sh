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
# With the argument "debug" (lane kunit-debug) the same suites run in a
# second build directory, $VMMEM_CACHE/<version>/build-debug, with
# kunit/debug.kunitconfig added: KASAN (vmalloc too), lockdep with RCU
# checking, DEBUG_ATOMIC_SLEEP, DEBUG_MAPLE_TREE and UBSAN. With "bench"
# (make bench) only the vmmem_bench suite runs, in the normal build
# directory with kunit/bench.kunitconfig added.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

variant=${1:-}
case $variant in
"")	lane=kunit; build_name=build; extra=() ;;
debug)	lane=kunit-debug; build_name="build-debug"
	extra=(--kunitconfig="$VMMEM_ROOT/kunit/debug.kunitconfig") ;;
# make bench: the non-debug build directory, benchmarks built in, run alone.
bench)	lane=bench; build_name=build
	extra=(--kunitconfig="$VMMEM_ROOT/kunit/bench.kunitconfig" "vmmem_bench*") ;;
*)	vmmem_die "unknown KUnit variant '$variant'" ;;
esac

dir=$(vmmem_pristine)
tree=$dir/tree
build=$dir/$build_name

vmmem_lock kunit

if [[ ! -e $dir/tree.done ]]; then
	rm -rf "$tree"
	cp -al "$dir/pristine/$VMMEM_SRC_TOP" "$tree"
	touch "$dir/tree.done"
fi

# The repository may be a different clone each run (CI), so always repoint.
ln -sfn "$VMMEM_ROOT" "$tree/drivers/vmmem"

# add_line FILE LINE [BEFORE-REGEX]: add LINE once, before the last line
# matching BEFORE-REGEX, or at the end. Writes a new file and renames it
# over the old one: the old name is a hard link into the pristine tree.
add_line()
{
	local file=$1 line=$2 before=${3:-}

	grep -qxF "$line" "$file" && return 0
	awk -v line="$line" -v before="$before" '
		{ text[NR] = $0 }
		before != "" && $0 ~ before { at = NR }
		END {
			for (i = 1; i <= NR; i++) {
				if (i == at)
					print line
				print text[i]
			}
			if (!at)
				print line
		}' "$file" >"$file.vmmem-tmp"
	mv "$file.vmmem-tmp" "$file"
}
add_line "$tree/drivers/Kconfig" 'source "drivers/vmmem/Kconfig"' '^endmenu'
# shellcheck disable=SC2016 # a make variable, not a shell one
add_line "$tree/drivers/Makefile" 'obj-$(CONFIG_VMMEM) += vmmem/'

# make decides by timestamps; objects built from another clone (or from a
# scratch copy) may be newer than this clone's sources, so drop our objects
# whenever the repository behind the symlink changes.
if [[ $(cat "$build/.vmmem-root" 2>/dev/null) != "$VMMEM_ROOT" ]]; then
	rm -rf "$build/drivers/vmmem"
	mkdir -p "$build"
	printf '%s\n' "$VMMEM_ROOT" >"$build/.vmmem-root"
fi

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

# Count leaf cases the way kunit.py does: each parameter of a parameterised
# case is one case. PASS passes, SKIP is neither, anything else (FAIL,
# ERROR = crashed or missing) fails.
if ! read -r passed failed skipped < <(python3 - "$json" <<'EOF'
import json, sys

counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}

def walk(group, path):
	for case in group.get("test_cases", []):
		status = case.get("status", "FAIL")
		if status not in ("PASS", "SKIP"):
			print("vmmem: %s: %s" % (".".join(path + [case.get("name") or "<case with no result line>"]), status),
			      file=sys.stderr)
			status = "FAIL"
		counts[status] += 1
	for sub in group.get("sub_groups", []):
		walk(sub, path + [sub.get("name", "?")])

with open(sys.argv[1]) as f:
	walk(json.load(f), [])
print(counts["PASS"], counts["FAIL"], counts["SKIP"])
EOF
); then
	echo "vmmem: cannot read $json"
	lane_result "$lane" 0 1
	exit 1
fi

if ((passed + failed + skipped == 0)); then
	echo "vmmem: no KUnit case ran"
	failed=1
elif ((rc != 0 && failed == 0)); then
	# kunit.py saw something wrong that no case carries (a parse error).
	echo "vmmem: kunit.py failed (exit $rc) although no case failed"
	failed=1
fi
((skipped == 0)) || echo "vmmem: $skipped case(s) skipped (counted neither passed nor failed)"

# Reports that do not fail a KUnit case on their own. Any hit is one more
# failure, with the lines shown.
# kmemleak's start-up banners are the only expected hits.
pattern='WARNING:|BUG:|Oops|Kernel panic|KASAN|UBSAN|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|DEBUG_LOCKS_WARN|kmemleak'
benign='kmemleak: (Kernel memory leak detector initialized|Automatic memory scanning thread started)'
if [[ ! -s $log ]]; then
	echo "vmmem: kernel log $log is missing"
	failed=$((failed + 1))
else
	hits=$(grep -nE "$pattern" "$log" | grep -vE "$benign" || true)
	if [[ -n $hits ]]; then
		echo "vmmem: kernel log $log has reports:"
		head -n 50 <<<"$hits"
		failed=$((failed + 1))
	fi
fi

lane_result "$lane" "$passed" "$failed"
