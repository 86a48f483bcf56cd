#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# SMP lanes: the vmmem KUnit suites built into a real kernel (Debian's
# linux-source-6.12, the tree of the KUnit lane) and booted under QEMU with
# software emulation and four vCPUs on multi-threaded TCG, so that the
# concurrency suites run their threads on different CPUs at once:
#   smp-kasan  x86_64: KASAN (vmalloc too), lockdep + RCU checking,
#              DEBUG_ATOMIC_SLEEP, DEBUG_VM, DEBUG_MAPLE_TREE, UBSAN
#   smp-kcsan  x86_64: KCSAN in strict mode with weak memory modelling
#   arm64      arm64 (cross-compiled): lockdep + RCU checking
# Every kernel is PREEMPT and starts from `make tinyconfig` plus the
# fragments in kunit/smp/ (base, the architecture, the variant); a line of a
# fragment that olddefconfig drops fails the lane, so an option can never
# silently go missing.
#
# Build directories: $VMMEM_CACHE/<linux-source version>/build-<lane>/,
# reused between runs (a changed fragment regenerates the .config). The
# console log is parsed by kunit.py parse; a case passes only if KUnit says
# so, and any WARN, sanitizer, lockdep or RCU report in the log fails the
# lane as well (panic_on_warn=1 also crashes the running case, except under
# KCSAN, where a report fails the lane only if it involves vmmem: strict
# KCSAN also reports the core kernel's own races).
# Usage: lane-smp.sh kasan|kcsan|arm64
# Environment: VMMEM_SMP_TIMEOUT, seconds for the boot (default 1800);
# VMMEM_KUNIT_FILTER, the suites to run (a kunit.filter_glob, default
# vmmem*, so one suite can be run again quickly).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

variant=${1:-}
frag=$VMMEM_ROOT/kunit/smp
case $variant in
kasan|kcsan)
	lane=smp-$variant
	arch=x86_64
	cross=
	image=arch/x86/boot/bzImage
	fragments=("$frag/base.config" "$frag/x86_64.config" "$frag/$variant.config")
	qemu=(qemu-system-x86_64 -cpu max)
	console=ttyS0
	packages=(qemu-system-x86)
	# KCSAN's reports are WARN-class: with panic_on_warn, one race in the
	# core kernel (workqueue statistics, say) would crash whatever vmmem
	# case runs. Reports are judged from the log instead (below).
	on_warn=
	[[ $variant == kcsan ]] || on_warn=panic_on_warn=1
	;;
arm64)
	lane=arm64
	arch=arm64
	cross=aarch64-linux-gnu-
	image=arch/arm64/boot/Image
	fragments=("$frag/base.config" "$frag/arm64.config")
	# cortex-a57: no pointer authentication or SVE to emulate, so TCG
	# runs it faster than -cpu max.
	qemu=(qemu-system-aarch64 -machine virt -cpu cortex-a57)
	console=ttyAMA0
	packages=(qemu-system-arm gcc-aarch64-linux-gnu)
	on_warn=panic_on_warn=1
	;;
*)	vmmem_die "usage: lane-smp.sh kasan|kcsan|arm64" ;;
esac

"$VMMEM_ROOT/scripts/deps.sh" "${packages[@]}"

dir=$(vmmem_pristine)
tree=$dir/tree
build=$dir/build-$lane
kmake=(make -C "$tree" O="$build" ARCH="$arch" -j"$(nproc)")
[[ -n $cross ]] && kmake+=(CROSS_COMPILE="$cross")

vmmem_lock kunit
vmmem_kernel_tree "$dir"
vmmem_build_dir "$build"

# The .config: tinyconfig, then the fragments, regenerated only when a
# fragment changed (a new .config would rebuild everything).
want=$(cat "${fragments[@]}" | sha256sum | cut -d' ' -f1)
if [[ $(cat "$build/.vmmem-fragments" 2>/dev/null) != "$want" || ! -f $build/.config ]]; then
	echo "vmmem: configuring $build (tinyconfig + ${fragments[*]##*/})"
	rm -f "$build/.vmmem-fragments"
	"${kmake[@]}" -s tinyconfig
	KCONFIG_CONFIG=$build/.config "$tree/scripts/kconfig/merge_config.sh" \
		-m -O "$build" "$build/.config" "${fragments[@]}" >/dev/null
	"${kmake[@]}" -s olddefconfig
	missing=0
	while IFS= read -r line; do
		case $line in
		CONFIG_*=n) grep -qxF "# ${line%=n} is not set" "$build/.config" ||
				! grep -q "^${line%=n}=" "$build/.config" || { echo "vmmem: $line not honoured"; missing=1; } ;;
		CONFIG_*) grep -qxF "$line" "$build/.config" || { echo "vmmem: $line not in the final .config"; missing=1; } ;;
		esac
	done < <(cat "${fragments[@]}")
	if ((missing)); then
		lane_result "$lane" 0 1
		exit 1
	fi
	printf '%s\n' "$want" >"$build/.vmmem-fragments"
fi

echo "vmmem: building $arch kernel in $build"
start=$SECONDS
if ! "${kmake[@]}" -s "${image#arch/*/boot/}" >"$build/make.log" 2>&1; then
	tail -n 60 "$build/make.log"
	echo "vmmem: kernel build failed (log: $build/make.log)"
	lane_result "$lane" 0 1
	exit 1
fi
# Warnings in vmmem's own files fail the lane as in the build lane.
if grep -E '(drivers/vmmem|^vmmem|^kunit)/.*(warning|error):' "$build/make.log"; then
	echo "vmmem: compiler warnings in vmmem"
	lane_result "$lane" 0 1
	exit 1
fi
echo "vmmem: built in $((SECONDS - start)) s"

log=$build/test.log
json=$build/vmmem-results.json
rm -f "$log" "$json"
timeout_s=${VMMEM_SMP_TIMEOUT:-1800}
start=$SECONDS
rc=0
# kunit_shutdown=reboot and -no-reboot: QEMU exits when the suites are done;
# panic=-1 does the same after a crash.
timeout "$timeout_s" "${qemu[@]}" -accel tcg,thread=multi -smp 4 -m 2048 \
	-nodefaults -nographic -no-reboot -serial stdio \
	-kernel "$build/$image" \
	-append "console=$console kunit_shutdown=reboot panic=-1 $on_warn kunit.filter_glob=${VMMEM_KUNIT_FILTER:-vmmem*}" \
	</dev/null >"$log" 2>&1 || rc=$?
echo "vmmem: QEMU ran for $((SECONDS - start)) s (status $rc), console in $log"
if ((rc == 124)); then
	tail -n 40 "$log"
	echo "vmmem: the kernel did not finish within ${timeout_s} s"
fi

# A lane whose kernel came up with fewer CPUs proves nothing about SMP.
cpus=$(sed -n 's/.*smp: Brought up .* \([0-9]*\) CPUs\{0,1\}\r\{0,1\}$/\1/p' "$log" | tail -n 1)
if [[ $cpus != 4 ]]; then
	grep -a 'smp: ' "$log" | head -n 5
	echo "vmmem: the kernel brought up ${cpus:-no} CPUs, not 4"
	lane_result "$lane" 0 1
	exit 1
fi
echo "vmmem: 4 CPUs online"

prc=0
python3 "$tree/tools/testing/kunit/kunit.py" parse --json="$json" "$log" >"$build/parse.out" 2>&1 || prc=$?
# kunit.py parse prints the results with the rest of the console mixed in.
grep -E '\[(PASSED|FAILED|SKIPPED|CRASHED)\]|Testing complete|ERROR' "$build/parse.out" | tail -n 200 || true
if [[ ! -s $json ]]; then
	echo "vmmem: no results in $log"
	lane_result "$lane" 0 1
	exit 1
fi
((rc == 124)) && prc=1

# Strict KCSAN also sees the core kernel's own data races, which are not
# vmmem's to fix: a report fails the lane when one of its stack frames is a
# function of vmmem or of its suites (every function in drivers/vmmem's
# objects); the others are listed and left out of the log the verdict reads.
# A race between two accesses inside the kernel's own lock implementation
# (osq_lock() against osq_unlock(), seen under a vmmem mutex) is the core
# kernel's whatever called the lock.
judged=$log
if [[ $variant == kcsan ]]; then
	judged=$build/test.judged.log
	find "$build/drivers/vmmem" -name '*.o' ! -name '*.mod.o' -exec nm --defined-only {} + |
		awk '$2 ~ /^[tT]$/ { print $3 }' | sort -u >"$build/vmmem-functions"
	awk -v others="$build/kcsan-others.log" '
		FNR == NR { ours_fn[$1] = 1; next }
		/BUG: KCSAN:/ {
			inreport = 1; buf = ""; ours = 0; core_lock = 0
			if ($0 ~ /data-race in (osq_[a-z_]+|mutex_spin_on_owner) \/ (osq_[a-z_]+|mutex_spin_on_owner)\r?$/)
				core_lock = 1
		}
		inreport {
			buf = buf $0 "\n"
			# A stack frame: " function+0xoff/0xlen".
			if (match($0, /^ [A-Za-z0-9_.]+\+0x/)) {
				fn = substr($0, 2, RLENGTH - 4)
				sub(/\..*/, "", fn)
				if (fn in ours_fn && !core_lock)
					ours = 1
			}
			if ($0 ~ /^=+\r?$/) {
				inreport = 0
				if (ours)
					printf "%s", buf
				else
					printf "%s", buf >>others
			}
			next
		}
		{ print }
		END { if (inreport) printf "%s", buf }' "$build/vmmem-functions" "$log" >"$judged"
	if [[ -s $build/kcsan-others.log ]]; then
		echo "vmmem: KCSAN reports outside vmmem (not counted):"
		grep -a 'BUG: KCSAN:' "$build/kcsan-others.log" | sort | uniq -c
	fi
	rm -f "$build/kcsan-others.log"
fi
vmmem_kunit_verdict "$json" "$judged" "$prc"
lane_result "$lane" "$passed" "$failed"
