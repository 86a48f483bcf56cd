#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `make demo`: a newcomer's first run. Installs what it needs (as root),
# builds vmmem, the sample virtio echo backend and the test VMM for
# Debian's 6.12 kernel, boots that kernel under QEMU (-accel tcg), loads
# the modules, runs the test VMM, unloads and powers off, then says in a
# few lines what happened. Details: $VMMEM_CACHE/qemu/<kver>/console.log.
# Then it runs the vdpa lane (scripts/lane-vdpa.sh, a second boot): ext4 on
# samples/vmmem_vdpa_blk.ko under virtio_vdpa, and a VMM over vhost_vdpa.
# While it prepares it prints one line per step with its duration;
# apt-get's output goes to $VMMEM_CACHE/demo-apt.log, not the terminal.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=qemu-lib.sh
. "$VMMEM_ROOT/scripts/qemu-lib.sh"

say() { printf '  %-10s %s\n' "$1" "$2"; }

# The preparation prints one line per step, its result and how long it
# took. A step that may take a while first says what it is doing: on a
# terminal its result then replaces that line; elsewhere (a pipe, a CI log)
# both lines stay.
tty=
if [[ -t 1 && ${TERM:-dumb} != dumb ]]; then
	tty=1
	cols=$(tput cols 2>/dev/null || true)
	[[ $cols =~ ^[0-9]+$ ]] && ((cols >= 40)) || cols=80
fi
pending=
step_start=$SECONDS
step_log=

# begin LABEL TEXT: a slow step starts.
begin()
{
	local line

	line=$(say "$1" "$2 ...")
	if [[ -n $tty ]]; then
		# One screen line, so that the result can replace it.
		((${#line} < cols)) || line=${line:0:cols-4}...
		pending=1
	fi
	printf '%s\n' "$line"
}

# unpend: on a terminal, clear the line of the step under way.
unpend()
{
	[[ -n $pending ]] || return 0
	printf '\033[A\r\033[K'
	pending=
}

# finish LABEL TEXT [NOTE]: a step's result, then in parentheses NOTE and
# the seconds since the previous step finished.
finish()
{
	unpend
	say "$1" "$2 (${3:+$3, }$((SECONDS - step_start)) s)"
	step_start=$SECONDS
}

# A step that dies shows the end of its log, if it has one.
trap 'rc=$?
if ((rc != 0)) && [[ -n $step_log && -s $step_log ]]; then
	echo "vmmem: the end of $step_log:" >&2
	tail -n 20 "$step_log" >&2
fi' EXIT

# words LIST MAX: the first words of LIST that fit in about MAX characters,
# and how many more there are.
words()
{
	local w out='' n=0 all

	read -ra all <<<"$1"
	for w in "${all[@]}"; do
		((${#out} + ${#w} < $2)) || break
		out+=${out:+ }$w
		n=$((n + 1))
	done
	((n == ${#all[@]})) || out+=" and $((${#all[@]} - n)) more"
	echo "$out"
}

echo "vmmem demo: preparing"
mkdir -p "$VMMEM_CACHE/qemu"
# apt-get's output, kept off the terminal.
apt_log=$VMMEM_CACHE/demo-apt.log
: >"$apt_log"

# deps.sh's list and the QEMU lane's, installed with one apt-get run.
deps=$VMMEM_ROOT/scripts/deps.sh
missing=$("$deps" --missing "${QEMU_PACKAGES[@]}")
if [[ -z $missing ]]; then
	finish packages "all present"
elif ((EUID != 0)); then
	"$deps" "${QEMU_PACKAGES[@]}" # says which, and to run as root
else
	read -ra names <<<"$missing"
	begin packages "installing ${#names[@]} with apt-get, log in $apt_log"
	"$deps" --log "$apt_log" "${QEMU_PACKAGES[@]}" >/dev/null
	total=$(sed -n 's/^[0-9]* upgraded, \([0-9]*\) newly installed.*/\1/p' "$apt_log" | tail -n 1)
	finish packages "installed $(words "$missing" 60)" "apt-get${total:+, $total new packages in all}"
fi

# Another check's QEMU run (or another demo) may hold the cache.
lock=$VMMEM_CACHE/.qemu.lock
if flock -n "$lock" true; then
	vmmem_lock qemu
else
	begin lock "waiting for another check's QEMU run to finish ($lock)"
	vmmem_lock qemu >/dev/null
	finish lock "the other QEMU run finished"
fi

kver=$(qemu_kver 6.12)
dir=$VMMEM_CACHE/qemu/$kver
mkdir -p "$dir"
if [[ -s $VMMEM_CACHE/qemu/vmlinuz-$kver ]]; then
	finish kernel "vmlinuz-$kver already in the cache"
else
	begin kernel "downloading Debian's linux-image-$kver"
	QEMU_APT_LOG=$apt_log
	step_log=$apt_log
	qemu_kernel "$kver" >/dev/null
	step_log=
	# apt-get download says "Get:1 ... linux-image-KVER amd64 VERSION [SIZE]".
	got=$(grep "^Get:.* linux-image-$kver " "$apt_log" | tail -n 1 || true)
	ver=$(sed -n 's/.* \([^ ]*\) \[.*\]$/\1/p' <<<"$got")
	size=$(sed -n 's/.* \[\(.*\)\]$/\1/p' <<<"$got")
	finish kernel "vmlinuz-$kver unpacked from Debian's package${ver:+ $ver}, not installed" "${size:+$size download}"
fi

begin build "building for $kver"
if ! qemu_build "$kver" >"$dir/build.out"; then
	cat "$dir/build.out"
	vmmem_die "the build failed; logs in $dir"
fi
finish build "vmmem.ko, vmmem_echo.ko (a virtio echo backend), echo_vmm and hostile_vmm (test VMMs) for $kver" "W=1, no warnings"

qemu_initramfs "$kver"
size=$(stat -c %s "$dir/initramfs.cpio.gz")
finish initramfs "busybox, the modules, the test VMMs and tests/qemu/init packed" "$((size / 1024)) KiB"

timeout_s=${VMMEM_QEMU_TIMEOUT:-900}
echo "vmmem demo: Debian's $kver kernel under QEMU (software emulation, no KVM)"
begin boot "loading the modules, running the test VMMs (timeout $timeout_s s)"
start=$SECONDS
rc=0
qemu_boot "$kver" "$timeout_s" || rc=$?
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

unpend
say booted "in $((SECONDS - start)) s; insmod vmmem: $(result 'insmod vmmem'), insmod vmmem_echo: $(result 'insmod vmmem_echo')"
say namespace "a module that does not import VMMEM was refused: $(result 'namespace: module without MODULE_IMPORT_NS(VMMEM) refused')"
# The echo VMM's reports; of the randomized hostile VMM, only its totals.
sed -n 's/^report: //p' <<<"$guest" | grep -vE '^(hostile_vmm|debugfs|trace)' |
	while IFS= read -r line; do
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
# Last, what vmmem itself showed of the run: its debugfs files while the
# echo VMM ran, and the last trace event of each kind checked.
sed -n 's/^report: debugfs //p' <<<"$guest" | while IFS= read -r line; do
	say debugfs "$line"
done || true
sed -n 's/^report: trace: //p' <<<"$guest" | while IFS= read -r line; do
	say trace "$line"
done || true
say "done" "guest powered off; full console log: $log"

# A file system on a vmmem device: the vdpa lane's guest (another boot).
echo "vmmem demo: a vDPA block device on vmmem, under Debian's own drivers"
begin vdpa "ext4 over virtio_vdpa and virtio_blk, then a VMM over vhost_vdpa"
vrc=0
VMMEM_QEMU_TIMEOUT=$timeout_s "$VMMEM_ROOT/scripts/lane-vdpa.sh" \
	>"$dir/vdpa.out" 2>&1 || vrc=$?
vdpa_total=$(grep -E '^lane vdpa: ' "$dir/vdpa.out" || echo "no result")
finish vdpa "$vdpa_total" "log in $dir/vdpa.out"
# What the guest measured, and any check that failed.
grep -E '^# ' "$dir/vdpa.out" | grep -vE '^# (dmesg|booted|Debian modules)' |
	while IFS= read -r line; do
		say vdpa "${line#\# }"
	done || true
for name in "mkfs.ext4 /dev/vda" "drop caches, read back, checksums match" \
	    "e2fsck -fn clean" "O_DIRECT unaligned writes and reads" \
	    "vdpa_vmm exits 0"; do
	if grep -qxF "ok - $name" "$dir/vdpa.out"; then
		say vdpa "$name: ok"
	else
		say vdpa "$name: FAILED"
	fi
done
grep '^not ok - ' "$dir/vdpa.out" | head -n 10 | while IFS= read -r line; do
	say FAILED "${line#not ok - }"
done || true
# Like every check: a failure anywhere fails the command.
! grep -q '^not ok - ' <<<"$guest" && ((splats == 0 && vrc == 0))
