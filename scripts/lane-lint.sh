#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Lint lane: every C file and header under vmmem/, kunit/, include/ and
# samples/ goes through the kernel's own checkers, taken from the
# linux-source tree in the cache:
#   checkpatch.pl -f   run from the repository root so .checkpatch.conf
#                      (--strict, --no-tree, ...) applies; any ERROR,
#                      WARNING or CHECK fails the file
#   kernel-doc -none -Wall
#                      any diagnostic fails the file
#   scripts            every shell script (scripts/*.sh, .ci/run and the
#                      QEMU guests' tests/qemu/init, vdpa-init and
#                      tests/xen/init, domu-run and domu-init)
#                      through shellcheck -x
# One check per file per tool.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir=$(vmmem_pristine)
ksrc=$dir/pristine/$VMMEM_SRC_TOP

mapfile -t files < <(vmmem_c_files)
if ((${#files[@]} == 0)); then
	echo "vmmem: no C files found under $VMMEM_ROOT"
	lane_result lint 0 1
	exit 1
fi

cd "$VMMEM_ROOT"
passed=0
failed=0
for f in "${files[@]}"; do
	# Fail on a non-zero exit (errors, warnings, or checkpatch itself
	# breaking) and on any reported line: a CHECK alone must fail too.
	rc=0
	out=$(perl "$ksrc/scripts/checkpatch.pl" --no-summary --no-color -f "$f" 2>&1) || rc=$?
	if ((rc != 0)) || grep -qE '^(ERROR|WARNING|CHECK)' <<<"$out"; then
		# The report without checkpatch's boilerplate NOTE paragraphs.
		awk '/^NOTE:/ { skip = 1 } /^$/ { skip = 0 }
			skip || /has style problems/ || (/^$/ && blank++) { next }
			{ blank = /^$/; print }' <<<"$out"
		echo "vmmem: FAIL checkpatch $f"
		failed=$((failed + 1))
	else
		passed=$((passed + 1))
	fi

	# kernel-doc reports on stderr; with -none it prints nothing else.
	err=$(perl "$ksrc/scripts/kernel-doc" -none -Wall "$f" 2>&1 >/dev/null) || true
	if [[ -n $err ]]; then
		echo "$err"
		echo "vmmem: FAIL kernel-doc $f"
		failed=$((failed + 1))
	else
		passed=$((passed + 1))
	fi
done
echo "vmmem: checked ${#files[@]} files with checkpatch.pl and kernel-doc"

"$VMMEM_ROOT/scripts/deps.sh" shellcheck
mapfile -t scripts < <(cd "$VMMEM_ROOT" && ls scripts/*.sh .ci/run tests/qemu/init tests/qemu/vdpa-init tests/xen/init \
	tests/xen/domu-run tests/xen/domu-init)
for f in "${scripts[@]}"; do
	if out=$(shellcheck -x "$f" 2>&1); then
		passed=$((passed + 1))
	else
		echo "$out"
		echo "vmmem: FAIL shellcheck $f"
		failed=$((failed + 1))
	fi
done
echo "vmmem: checked ${#scripts[@]} shell scripts with shellcheck"

lane_result lint "$passed" "$failed"
