#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build lane: build vmmem.ko out of tree against the headers of Debian's
# 6.12 kernel with W=1 and sparse (C=2), the way users and DKMS build it.
# Checks:
#   build    make succeeds and no compiler, sparse or modpost warning points
#            at our files
#   modinfo  vmmem.ko exists, is named vmmem, matches the kernel's vermagic
#            and carries a license
#   exports  every symbol the module exports is vmmem_* in namespace VMMEM
#            (and there are exports if the sources export anything)
#
# It builds in a fresh copy under the cache: the repository stays clean, and
# every file is compiled (and sparse-checked) on every run, so a warning
# cannot hide behind an up-to-date object.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The newest installed 6.12 headers for Debian's amd64 flavour.
kdir=$(find /usr/src -maxdepth 1 -name 'linux-headers-6.12.*-amd64' -print | sort -V | tail -n 1)
[[ -n $kdir && -f $kdir/Makefile ]] ||
	vmmem_die "no /usr/src/linux-headers-6.12.*-amd64 (run scripts/deps.sh as root)"
kver=${kdir##*/linux-headers-}
echo "vmmem: building against $kdir ($kver)"

vmmem_lock oot
copy=$VMMEM_CACHE/oot-build
rm -rf "$copy"
mkdir -p "$copy"
# Everything but git metadata and build products of earlier in-tree builds.
tar -C "$VMMEM_ROOT" -cf - \
	--exclude=./.git --exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
	--exclude='*.mod.c' --exclude='.*.cmd' --exclude='*.o.d' \
	--exclude=Module.symvers --exclude=modules.order . | tar -C "$copy" -xf -

passed=0
failed=0
pass() { echo "vmmem: ok   $1"; passed=$((passed + 1)); }
fail() { echo "vmmem: FAIL $1"; failed=$((failed + 1)); }

out=$copy.log
set +e
make -C "$kdir" M="$copy" W=1 C=2 modules >"$out" 2>&1
rc=$?
set -e
cat "$out"

# Diagnostics that name a file inside the copy are ours. Sparse also warns
# about some of the kernel's own headers (Debian builds its kernel without
# sparse, so nobody keeps them clean); those are shown but do not fail the
# lane. modpost's diagnostics are always about our module. A diagnostic in a
# kernel header caused by our code still fails the build if gcc makes it an
# error, and gcc names our file in its "In file included from" context.
diag='(warning|error):|^(WARNING|ERROR): modpost'
ours=$(grep -E "$diag" "$out" | awk -v p="$copy/" 'index($0, p) || /modpost/' || true)
theirs=$(grep -E "$diag" "$out" | awk -v p="$copy/" '!index($0, p) && !/modpost/' || true)
if [[ -n $theirs ]]; then
	echo "vmmem: $(wc -l <<<"$theirs") diagnostic(s) outside vmmem's files (kernel headers), not counted"
fi
if ((rc != 0)); then
	fail "build: make exited with $rc"
elif [[ -n $ours ]]; then
	echo "$ours"
	fail "build: $(wc -l <<<"$ours") warning(s) in vmmem's files"
else
	pass "build: no warnings (W=1 C=2)"
fi

ko=$copy/vmmem.ko
if [[ ! -f $ko ]]; then
	fail "modinfo: $ko was not built"
else
	name=$(modinfo -F name "$ko")
	vermagic=$(modinfo -F vermagic "$ko")
	license=$(modinfo -F license "$ko")
	if [[ $name == vmmem && $vermagic == "$kver "* && -n $license ]]; then
		pass "modinfo: name $name, license $license, vermagic $vermagic"
	else
		fail "modinfo: name '$name', license '$license', vermagic '$vermagic' (want vmmem, any, $kver)"
	fi
fi

# Module.symvers: CRC, symbol, module, export type, namespace (tab separated).
symvers=$copy/Module.symvers
if [[ ! -f $symvers ]]; then
	fail "exports: $symvers was not written"
else
	nexports=$(awk -F '\t' 'NF >= 4' "$symvers" | wc -l)
	bad=$(awk -F '\t' 'NF >= 4 && ($2 !~ /^vmmem_/ || $5 != "VMMEM")' "$symvers")
	exporting=$(grep -rlE --include='*.c' 'EXPORT_SYMBOL[A-Z_]*\(' "$copy" || true)
	if [[ -n $bad ]]; then
		echo "$bad"
		fail "exports: symbols above are not vmmem_* in namespace VMMEM"
	elif [[ -n $exporting && $nexports -eq 0 ]]; then
		fail "exports: sources export symbols but Module.symvers lists none"
	else
		pass "exports: $nexports symbol(s), all vmmem_* in namespace VMMEM"
	fi
fi

lane_result build "$passed" "$failed"
