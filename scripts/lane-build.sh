#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build lane: build vmmem.ko out of tree the way users and DKMS build it,
# against the headers of both of Debian 12's kernel lines, 6.12
# (linux-headers-6.12-amd64) and 6.1 (linux-headers-amd64), with W=1 and
# sparse (C=2). Checks, per kernel:
#   build    make succeeds and no compiler, sparse or modpost warning points
#            at our files
#   modinfo  vmmem.ko exists, is named vmmem, matches the kernel's vermagic
#            and carries a license
#   exports  every symbol the module exports is vmmem_* (or __vmmem_*, the
#            out-of-line halves of header macros) in namespace VMMEM, at
#            most 40 of them (and some if the sources export anything)
#   api      tests/api/api_use.c, a consumer of <linux/vmmem.h>, builds
#            without a warning, and each misuse the header promises to
#            refuse (a snapshot passed to a call that changes a map, a
#            stored int, a width other than 1, 2, 4 or 8, a cache field
#            read by a caller) fails with its own diagnostic
#   install  make install DESTDIR=... stages the module, the header and
#            Module.symvers where the Makefile documents them
#   dkms     dkms add, dkms build -k KVER and (6.12) dkms install, in a
#            private DKMS tree under the cache, keep Module.symvers
#
# It builds in a fresh copy under the cache: the repository stays clean, and
# every file is compiled (and sparse-checked) on every run, so a warning
# cannot hide behind an up-to-date object.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=qemu-lib.sh
. "$VMMEM_ROOT/scripts/qemu-lib.sh"

"$VMMEM_ROOT/scripts/deps.sh" linux-headers-amd64 linux-headers-6.12-amd64 dkms
vmmem_lock oot
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$VMMEM_ROOT/dkms.conf")

passed=0
failed=0
pass() { echo "vmmem: ok   $1"; passed=$((passed + 1)); }
fail() { echo "vmmem: FAIL $1"; failed=$((failed + 1)); }

# build_for KVER: the build, modinfo and exports checks for one kernel.
build_for()
{
	local kver=$1 kdir=/usr/src/linux-headers-$1 copy out rc ours theirs
	local ko name vermagic license symvers nexports bad exporting

	copy=$VMMEM_CACHE/oot-build/$kver
	echo "vmmem: building against $kdir ($kver)"
	qemu_copy_sources "$copy"

	out=$copy.log
	set +e
	make -C "$kdir" M="$copy" W=1 C=2 -j"$(nproc)" modules >"$out" 2>&1
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
		fail "build $kver: make exited with $rc"
	elif [[ -n $ours ]]; then
		echo "$ours"
		fail "build $kver: $(wc -l <<<"$ours") warning(s) in vmmem's files"
	else
		pass "build $kver: no warnings (W=1 C=2)"
	fi

	ko=$copy/vmmem.ko
	if [[ ! -f $ko ]]; then
		fail "modinfo $kver: $ko was not built"
	else
		name=$(modinfo -F name "$ko")
		vermagic=$(modinfo -F vermagic "$ko")
		license=$(modinfo -F license "$ko")
		if [[ $name == vmmem && $vermagic == "$kver "* && -n $license ]]; then
			pass "modinfo $kver: name $name, license $license, vermagic $vermagic"
		else
			fail "modinfo $kver: name '$name', license '$license', vermagic '$vermagic' (want vmmem, any, $kver)"
		fi
	fi

	# Module.symvers: CRC, symbol, module, export type, namespace (tab separated).
	symvers=$copy/Module.symvers
	if [[ ! -f $symvers ]]; then
		fail "exports $kver: $symvers was not written"
	else
		nexports=$(awk -F '\t' 'NF >= 4' "$symvers" | wc -l)
		bad=$(awk -F '\t' 'NF >= 4 && ($2 !~ /^(__)?vmmem_/ || $5 != "VMMEM")' "$symvers")
		exporting=$(grep -rlE --include='*.c' 'EXPORT_SYMBOL[A-Z_]*\(' "$copy" || true)
		if [[ -n $bad ]]; then
			echo "$bad"
			fail "exports $kver: symbols above are not vmmem_* in namespace VMMEM"
		elif ((nexports > 40)); then
			fail "exports $kver: $nexports symbols, more than the 40 the API allows"
		elif [[ -n $exporting && $nexports -eq 0 ]]; then
			fail "exports $kver: sources export symbols but Module.symvers lists none"
		else
			pass "exports $kver: $nexports symbol(s), all vmmem_* in namespace VMMEM"
		fi
	fi
}

# api_check KVER: build tests/api/api_use.c against KVER's headers once as
# it is (no diagnostic may name it) and once per misuse (its diagnostic must).
api_check()
{
	local kver=$1 kdir=/usr/src/linux-headers-$1 copy case want out
	local -A misuse=(
		[SNAPSHOT_UPDATE]='incompatible pointer type'
		[SNAPSHOT_PUT]='incompatible pointer type'
		[SNAPSHOT_LOG]='incompatible pointer type'
		[IOVA_UPDATE]='incompatible pointer type'
		[STORE_INT]='not an int'
		[LOAD_WIDTH]='1, 2, 4 or 8 bytes'
		[CACHE_FIELD]='dereference of noderef expression'
		[CACHE_PTR_WRITE]='qualifier from pointer target type'
		[SLICE_PTR_WRITE]='qualifier from pointer target type'
	)

	copy=$VMMEM_CACHE/oot-build/api-$kver
	rm -rf "$copy"
	mkdir -p "$copy"
	cp -R "$VMMEM_ROOT/include" "$VMMEM_ROOT"/tests/api/* "$copy/"
	if out=$(make -C "$kdir" M="$copy" W=1 C=2 api_use.o 2>&1) &&
	   ! grep -qE 'api_use\.c.*(warning|error)' <<<"$out"; then
		pass "api $kver: every accepted form builds cleanly"
	else
		echo "$out"
		fail "api $kver: the accepted forms do not build cleanly"
	fi
	# The misuses build side by side, each in a copy of its own, as many
	# at a time as there are CPUs.
	for case in "${!misuse[@]}"; do
		while (($(jobs -rp | wc -l) >= $(nproc))); do
			wait -n || true
		done
		rm -rf "$copy-$case"
		cp -R "$copy" "$copy-$case"
		rm -f "$copy-$case/api_use.o"
		make -C "$kdir" M="$copy-$case" W=1 C=2 \
		     VMMEM_API_CASE="-DVMMEM_MISUSE_$case" api_use.o \
		     >"$copy-$case.log" 2>&1 &
	done
	wait
	for case in "${!misuse[@]}"; do
		want=${misuse[$case]}
		if grep -qF "$want" "$copy-$case.log"; then
			pass "api $kver: $case refused ($want)"
		else
			tail -n 20 "$copy-$case.log"
			fail "api $kver: $case was not refused with '$want'"
		fi
		rm -rf "$copy-$case" "$copy-$case.log"
	done
}

# install_check KVER: make install DESTDIR=... from the built copy.
install_check()
{
	local kver=$1 copy=$VMMEM_CACHE/oot-build/$1 stage want f missing=()

	stage=$VMMEM_CACHE/oot-build/stage-$kver
	rm -rf "$stage"
	if ! make -C "$copy" KERNELRELEASE="$kver" DESTDIR="$stage" install \
		>"$stage.log" 2>&1; then
		tail -n 20 "$stage.log"
		fail "install $kver: make install DESTDIR=$stage failed"
		return
	fi
	want=("lib/modules/$kver/extra/vmmem.ko*"
	      "usr/lib/vmmem/$kver/include/linux/vmmem.h"
	      "usr/lib/vmmem/$kver/Module.symvers")
	for f in "${want[@]}"; do
		# shellcheck disable=SC2086 # the glob is meant: .ko or .ko.xz
		compgen -G "$stage/"$f >/dev/null || missing+=("$f")
	done
	if ((${#missing[@]})); then
		(cd "$stage" && find . -type f)
		fail "install $kver: not staged: ${missing[*]}"
	elif [[ -e $stage/lib/modules/$kver/modules.dep ]]; then
		fail "install $kver: depmod ran on a staged tree"
	else
		pass "install $kver: DESTDIR stages the module, vmmem.h and Module.symvers, no depmod"
	fi
}

# dkms_check KVER...: dkms add once, then dkms build for every KVER and
# dkms install for the first, in private trees (--sourcetree, --dkmstree,
# --installtree) so the machine's own DKMS state is never touched.
dkms_check()
{
	local root=$VMMEM_CACHE/dkms kver base log
	local args=(-m vmmem -v "$version" --sourcetree "$root/src"
		    --dkmstree "$root/tree")

	rm -rf "$root"
	mkdir -p "$root/src" "$root/tree" "$root/inst"
	# What `make dkms-install` copies to /usr/src/vmmem-<version>.
	mkdir -p "$root/src/vmmem-$version/scripts"
	cp -R "$VMMEM_ROOT"/{Kbuild,Kconfig,dkms.conf,include,vmmem} "$root/src/vmmem-$version/"
	cp "$VMMEM_ROOT/scripts/dkms-keep-symvers.sh" "$root/src/vmmem-$version/scripts/"
	log=$root/dkms.log
	if ! dkms add "${args[@]}" >"$log" 2>&1; then
		cat "$log"
		fail "dkms add: rejected dkms.conf"
		return
	fi
	pass "dkms add: dkms.conf accepted"
	for kver in "$@"; do
		base=$root/tree/vmmem/$version/$kver/$(uname -m)
		if ! dkms build "${args[@]}" -k "$kver" >>"$log" 2>&1; then
			tail -n 20 "$log"
			fail "dkms build -k $kver"
		elif ! compgen -G "$base/module/vmmem.ko*" >/dev/null ||
		     [[ ! -s $base/Module.symvers ]]; then
			fail "dkms build -k $kver: vmmem.ko or Module.symvers missing in $base"
		else
			pass "dkms build -k $kver: vmmem.ko built, Module.symvers kept"
		fi
	done
	kver=$1
	mkdir -p "$root/inst/$kver"
	if dkms install "${args[@]}" -k "$kver" --installtree "$root/inst" \
		--no-depmod >>"$log" 2>&1 &&
	   compgen -G "$root/inst/$kver/updates/dkms/vmmem.ko*" >/dev/null; then
		pass "dkms install -k $kver: vmmem.ko in updates/dkms"
	else
		tail -n 20 "$log"
		fail "dkms install -k $kver"
	fi
}

kvers=()
for line in 6.12 6.1; do
	kvers+=("$(qemu_kver "$line")")
done
for kver in "${kvers[@]}"; do
	build_for "$kver"
	install_check "$kver"
	api_check "$kver"
done
dkms_check "${kvers[@]}"

lane_result build "$passed" "$failed"
