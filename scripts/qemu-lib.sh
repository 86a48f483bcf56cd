# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Shared by the QEMU lane (lane-qemu.sh) and `make demo` (demo.sh): build
# vmmem, the sample backend, the namespace test module and the test VMMs
# (samples/echo_vmm, tests/qemu/hostile_vmm) for one of Debian's kernels,
# pack them into a busybox initramfs and boot the kernel under QEMU
# (-accel tcg, never KVM). Source after lib.sh.
#
# Cache layout, per kernel release KVER:
#   $VMMEM_CACHE/qemu/vmlinuz-KVER   Debian's kernel image, from its package
#   $VMMEM_CACHE/qemu/KVER/src       copy of the repository, built in place
#   $VMMEM_CACHE/qemu/KVER/*.log     build logs
#   $VMMEM_CACHE/qemu/KVER/initramfs.cpio.gz, console.log
#   $VMMEM_CACHE/qemu/modules-KVER   the package's lib/modules/KVER/kernel

# Debian packages the QEMU lane and the demo need on top of deps.sh's.
# linux-headers-amd64 is Debian 12's 6.1 kernel line.
# shellcheck disable=SC2034 # used by the scripts that source this file
QEMU_PACKAGES=(linux-headers-amd64 linux-headers-6.12-amd64 qemu-system-x86
	busybox-static gcc libc6-dev)

# qemu_kver LINE: the newest installed Debian amd64 headers of kernel line
# LINE (6.1 or 6.12), as a kernel release such as 6.1.0-56-amd64.
qemu_kver()
{
	local dir

	dir=$(find /usr/src -maxdepth 1 -name "linux-headers-$1.*-amd64" -print |
		sort -V | tail -n 1)
	[[ -n $dir && -f $dir/Makefile ]] ||
		vmmem_die "no /usr/src/linux-headers-$1.*-amd64 (run scripts/deps.sh as root)"
	echo "${dir##*/linux-headers-}"
}

# qemu_apt ARG...: apt-get ARG... with its output (stdout and stderr)
# appended to the file $QEMU_APT_LOG names if set (`make demo`), else with
# stdout discarded.
qemu_apt()
{
	if [[ -n ${QEMU_APT_LOG:-} ]]; then
		echo "+ apt-get $*" >>"$QEMU_APT_LOG"
		apt-get "$@" >>"$QEMU_APT_LOG" 2>&1
	else
		apt-get "$@" >/dev/null
	fi
}

# qemu_download PACKAGE... DIR: download Debian's PACKAGEs (never
# installed), in one apt-get call, into a new directory under DIR and print
# that directory, which the caller removes once it has taken what it needs.
# Updates the package lists once if the first try fails.
qemu_download()
{
	local dir=${*: -1} pkgs=("${@:1:$#-1}") tmp

	tmp=$(mktemp -d "$dir/dl.XXXXXX")
	# apt drops privileges to _apt for downloads.
	chmod 755 "$tmp"
	chown _apt "$tmp" 2>/dev/null || true
	if ! (cd "$tmp" && qemu_apt download -q "${pkgs[@]}" 2>/dev/null); then
		qemu_apt update -q
		if ! (cd "$tmp" && qemu_apt download -q "${pkgs[@]}"); then
			rm -rf "$tmp"
			vmmem_die "cannot download ${pkgs[*]}"
		fi
	fi
	echo "$tmp"
}

# QEMU_SPLAT: what a kernel (or Xen) prints when something went wrong, as
# an extended regular expression over a guest's console.
# shellcheck disable=SC2034 # used by the scripts that source this file
QEMU_SPLAT='WARNING:|BUG:|BUG |Oops|Call Trace|general protection|RIP:|Kernel panic|UBSAN|KASAN|refcount_t:|list_(add|del) corruption|INFO: task .* blocked|rcu.*stall|Panic on CPU'

# qemu_console_checks LOG MARKER STATUS TIMEOUT SHOWN: the checks of one
# guest run, each an "ok - " or "not ok - " line on stdout: the guest's own
# check lines in its console LOG, then that it reached the line matching
# MARKER (QEMU's STATUS 124 means TIMEOUT seconds passed first), then that
# LOG holds no QEMU_SPLAT. Lines matching the regular expression SHOWN
# are printed too, as they are.
qemu_console_checks()
{
	local log=$1 marker=$2 status=$3 timeout_s=$4 shown=$5

	grep -E "^(ok - |not ok - )|$shown" "$log" || true
	if ((status == 124)); then
		echo "not ok - guest finished: timed out after $timeout_s s"
	elif grep -q "$marker" "$log"; then
		echo "ok - guest finished"
	else
		echo "not ok - guest finished: no end marker (qemu status $status)"
	fi
	if grep -Eq "$QEMU_SPLAT" "$log"; then
		echo "not ok - console free of WARN/BUG/oops: $(grep -Em1 "$QEMU_SPLAT" "$log")"
	else
		echo "ok - console free of WARN/BUG/oops"
	fi
}

# qemu_kernel KVER: print the path of KVER's kernel image, taken from
# Debian's linux-image-KVER package (downloaded, never installed).
qemu_kernel()
{
	local kver=$1 img=$VMMEM_CACHE/qemu/vmlinuz-$1 tmp deb

	if [[ ! -s $img ]]; then
		tmp=$(qemu_download "linux-image-$kver" "$VMMEM_CACHE/qemu")
		deb=$(echo "$tmp"/linux-image-*.deb)
		dpkg-deb --fsys-tarfile "$deb" | tar -C "$tmp" -x "./boot/vmlinuz-$kver"
		mv "$tmp/boot/vmlinuz-$kver" "$img"
		rm -rf "$tmp"
	fi
	echo "$img"
}

# qemu_debian_modules KVER: print the directory of the modules of Debian's
# linux-image-KVER package (lib/modules/KVER/kernel, still xz-compressed),
# unpacked once into the cache.
qemu_debian_modules()
{
	local kver=$1 mods=$VMMEM_CACHE/qemu/modules-$1 tmp

	if [[ ! -f $mods/.done ]]; then
		rm -rf "$mods"
		tmp=$(qemu_download "linux-image-$kver" "$VMMEM_CACHE/qemu")
		mkdir -p "$mods"
		dpkg-deb --fsys-tarfile "$tmp"/linux-image-*.deb |
			tar -C "$mods" -x --wildcards "./lib/modules/$kver/kernel/*"
		rm -rf "$tmp"
		touch "$mods/.done"
	fi
	echo "$mods/lib/modules/$kver/kernel"
}

# qemu_module_order KMODS NAME...: append to the array QEMU_MODULES the
# modules NAME... and everything they depend on (modinfo's depends,
# followed), each after its dependencies and once; KMODS is the directory
# qemu_debian_modules printed. QEMU_MODULES_SEEN (an associative array,
# declared by the caller) remembers what is already listed.
qemu_module_order()
{
	local kmods=$1 m f d

	shift
	for m in "$@"; do
		# modinfo names some dependencies with dashes (xen-privcmd).
		m=${m//-/_}
		[[ -n ${QEMU_MODULES_SEEN[$m]:-} ]] && continue
		# shellcheck disable=SC2004 # an associative array, not arithmetic
		QEMU_MODULES_SEEN[$m]=1
		f=$(qemu_module_path "$kmods" "$m")
		[[ -n $f ]] || vmmem_die "no module $m in $kmods"
		for d in $(modinfo -F depends "$f" | tr ',' ' '); do
			qemu_module_order "$kmods" "$d"
		done
		QEMU_MODULES+=("$m")
	done
}

# qemu_module_path KMODS NAME: the .ko.xz of module NAME under KMODS.
qemu_module_path()
{
	find "$1" -name "$2.ko.xz" -o -name "${2//_/-}.ko.xz" | head -n 1
}

# qemu_copy_sources DIR: a copy of the repository without git metadata or
# build products; the repository itself stays clean.
qemu_copy_sources()
{
	rm -rf "$1"
	mkdir -p "$1"
	tar -C "$VMMEM_ROOT" -cf - \
		--exclude=./.git --exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
		--exclude='*.mod.c' --exclude='.*.cmd' --exclude='*.o.d' \
		--exclude=Module.symvers --exclude=modules.order . | tar -C "$1" -xf -
}

# qemu_build KVER: build vmmem.ko, vmmem_echo.ko, the namespace test module
# and the static test VMMs for KVER under $VMMEM_CACHE/qemu/KVER. Prints one
# "ok - ..." or "not ok - ..." line per step and returns non-zero if any
# artefact the boot needs is missing.
qemu_build()
{
	local kver=$1 kdir=/lib/modules/$1/build
	local dir=$VMMEM_CACHE/qemu/$1 src ns ok=0

	src=$dir/src
	ns=$src/tests/qemu/nsmissing
	qemu_copy_sources "$src"
	[[ -f $kdir/Makefile ]] || kdir=/usr/src/linux-headers-$kver

	if make -C "$src" KDIR="$kdir" W=1 >"$dir/vmmem.log" 2>&1 &&
	   ! grep -qE 'warning:|^WARNING: modpost' "$dir/vmmem.log"; then
		echo "ok - build vmmem.ko for $kver (W=1, no warnings)"
	else
		grep -E 'warning:|error:|WARNING|ERROR' "$dir/vmmem.log" | head -n 20
		echo "not ok - build vmmem.ko for $kver: see $dir/vmmem.log"
		ok=1
	fi

	if make -C "$src/samples" KDIR="$kdir" VMMEM_SYMVERS="$src/Module.symvers" \
		W=1 >"$dir/sample.log" 2>&1 &&
	   ! grep -qE 'warning:|^WARNING: modpost' "$dir/sample.log"; then
		echo "ok - build samples/vmmem_echo.ko against vmmem's Module.symvers (W=1, no warnings)"
	else
		grep -E 'warning:|error:|WARNING|ERROR' "$dir/sample.log" | head -n 20
		echo "not ok - build samples/vmmem_echo.ko: see $dir/sample.log"
		ok=1
	fi

	# modpost must refuse a consumer that does not import the namespace...
	if make -C "$kdir" M="$ns" KBUILD_EXTRA_SYMBOLS="$src/Module.symvers" \
		modules >"$dir/nsmissing.log" 2>&1; then
		echo "not ok - namespace: modpost built a module that does not import VMMEM"
		ok=1
	elif grep -q 'ERROR: modpost: module vmmem_nsmissing uses symbol vmmem_[a-z_]* from namespace VMMEM, but does not import it' \
		"$dir/nsmissing.log"; then
		echo "ok - namespace: modpost refuses a module that does not import VMMEM"
	else
		tail -n 5 "$dir/nsmissing.log"
		echo "not ok - namespace: the build failed, but not for the namespace"
		ok=1
	fi
	# ... and KBUILD_NSDEPS=1 (modpost only records the missing import)
	# builds it anyway, so the boot can show the loader refusing it too.
	make -C "$kdir" M="$ns" KBUILD_EXTRA_SYMBOLS="$src/Module.symvers" \
		KBUILD_NSDEPS=1 modules >>"$dir/nsmissing.log" 2>&1 || true

	if gcc -static -O2 -Wall -Wextra -Werror -o "$dir/echo_vmm" \
		"$src/samples/echo_vmm.c" >"$dir/vmm.log" 2>&1; then
		echo "ok - build samples/echo_vmm (static, -Wall -Wextra -Werror)"
	else
		head -n 20 "$dir/vmm.log"
		echo "not ok - build samples/echo_vmm: see $dir/vmm.log"
		ok=1
	fi

	rm -f "$dir/hostile_vmm"
	if gcc -static -O2 -Wall -Wextra -Werror -pthread -o "$dir/hostile_vmm" \
		"$src/tests/qemu/hostile_vmm.c" >"$dir/hostile.log" 2>&1; then
		echo "ok - build tests/qemu/hostile_vmm (static, -Wall -Wextra -Werror)"
	else
		head -n 20 "$dir/hostile.log"
		echo "not ok - build tests/qemu/hostile_vmm: see $dir/hostile.log"
		ok=1
	fi

	local f
	for f in "$src/vmmem.ko" "$src/samples/vmmem_echo.ko" \
		 "$ns/vmmem_nsmissing.ko" "$dir/echo_vmm" "$dir/hostile_vmm"; do
		[[ -f $f ]] || { echo "vmmem: $f was not built"; return 1; }
	done
	return "$ok"
}

# qemu_initramfs KVER: pack busybox, the modules, the test VMMs and
# tests/qemu/init into $VMMEM_CACHE/qemu/KVER/initramfs.cpio.gz.
qemu_initramfs()
{
	local dir=$VMMEM_CACHE/qemu/$1 root

	root=$dir/root
	rm -rf "$root"
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib/vmmem}
	cp /bin/busybox "$root/bin/busybox"
	cp "$dir/echo_vmm" "$root/bin/echo_vmm"
	cp "$dir/hostile_vmm" "$root/bin/hostile_vmm"
	cp "$VMMEM_ROOT/tests/qemu/init" "$root/init"
	chmod 755 "$root/init"
	cp "$dir/src/vmmem.ko" "$dir/src/samples/vmmem_echo.ko" \
	   "$dir/src/tests/qemu/nsmissing/vmmem_nsmissing.ko" "$root/lib/vmmem/"
	(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) |
		gzip -1 >"$dir/initramfs.cpio.gz"
}

# qemu_boot KVER TIMEOUT: boot KVER's image with the initramfs, console on
# the serial port, and write the console (without carriage returns) to
# $VMMEM_CACHE/qemu/KVER/console.log. Returns timeout's status: 124 if the
# guest did not power off within TIMEOUT seconds.
qemu_boot()
{
	local kver=$1 dir=$VMMEM_CACHE/qemu/$1 img rc=0

	img=$(qemu_kernel "$kver")
	timeout --kill-after=10 "$2" qemu-system-x86_64 -accel tcg -cpu max \
		-smp 2 -m 1024 -nographic -no-reboot -monitor none \
		-kernel "$img" -initrd "$dir/initramfs.cpio.gz" \
		-append "console=ttyS0 quiet panic=-1" </dev/null 2>&1 |
		tr -d '\r' >"$dir/console.log" || rc=${PIPESTATUS[0]}
	return "$rc"
}
