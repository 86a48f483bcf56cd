#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `make check`: install what is missing, then run every test lane (or only
# the lanes named as arguments: build, lint, qemu, vdpa, xen, kunit,
# smp-kasan, smp-kcsan, arm64). A failing
# lane does not stop the others, so one run shows everything. The last line
# is always
#   kunit: N passed, M failed
# summed over all lanes; the exit status is non-zero if M > 0. A lane that
# dies without its "lane NAME: P passed, F failed" line, or that exits
# non-zero without reporting a failure, counts as one failure.
#
# Environment: VMMEM_CACHE (default /var/tmp/vmmem) holds the kernel trees
# and build directories.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# Fast lanes first, so style and warning failures show within seconds.
lanes=("$@")
((${#lanes[@]})) || lanes=(build lint qemu vdpa xen kunit smp-kasan smp-kcsan arm64)
for lane in "${lanes[@]}"; do
	[[ -f $here/lane-$lane.sh ]] || { echo "vmmem: no lane '$lane'" >&2; exit 2; }
done

total_passed=0
total_failed=0
summary=()

if ! "$here/deps.sh"; then
	echo "vmmem: dependencies missing; no lane can run"
	echo "kunit: 0 passed, 1 failed"
	exit 1
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT

for lane in "${lanes[@]}"; do
	echo "==== lane $lane"
	start=$SECONDS
	"$here/lane-$lane.sh" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	secs=$((SECONDS - start))

	line=$(grep -E "^lane $lane: [0-9]+ passed, [0-9]+ failed$" "$out" | tail -n 1)
	if [[ -z $line ]]; then
		passed=0
		failed=1
		note=" (died with exit $rc before reporting)"
	else
		read -r passed failed < <(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/' <<<"$line")
		note=
		if ((rc != 0 && failed == 0)); then
			failed=1
			note=" (exit $rc)"
		fi
	fi
	total_passed=$((total_passed + passed))
	total_failed=$((total_failed + failed))
	summary+=("$(printf '  %-9s %4ds  %d passed, %d failed%s' "$lane" "$secs" "$passed" "$failed" "$note")")
done

echo "==== summary"
printf '%s\n' "${summary[@]}"
echo "kunit: $total_passed passed, $total_failed failed"
((total_failed == 0))
