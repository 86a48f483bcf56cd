# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Shared by the test lanes; sourced, never run. Provides:
#   VMMEM_ROOT   absolute repository root (found from this file, so a clone
#                anywhere, or a scratch copy, tests itself)
#   VMMEM_CACHE  absolute cache directory outside the repository
#   vmmem_die, vmmem_lock, vmmem_src_key, vmmem_pristine, lane_result

VMMEM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
VMMEM_CACHE=$(realpath -m "${VMMEM_CACHE:-/var/tmp/vmmem}")
export VMMEM_ROOT VMMEM_CACHE

# Where Debian's linux-source-6.12 package puts its tarball, and the top
# directory inside it.
VMMEM_SRC_PKG=linux-source-6.12
VMMEM_SRC_TARBALL=/usr/src/linux-source-6.12.tar.xz
VMMEM_SRC_TOP=linux-source-6.12

vmmem_die()
{
	echo "vmmem: $*" >&2
	exit 1
}

case $VMMEM_CACHE/ in
"$VMMEM_ROOT"/*) vmmem_die "cache $VMMEM_CACHE must be outside the repository" ;;
esac

# vmmem_lock NAME: hold an exclusive lock on $VMMEM_CACHE/.NAME.lock until
# the calling script exits, so two checks (a developer's and CI's, or two
# clones) never share a half-prepared tree or build directory.
vmmem_lock()
{
	local lock=$VMMEM_CACHE/.$1.lock fd

	mkdir -p "$VMMEM_CACHE"
	exec {fd}>"$lock"
	if ! flock -n "$fd"; then
		echo "vmmem: waiting for $lock (another check is running)"
		flock "$fd"
	fi
}

# The cache is keyed by the installed linux-source version, so a Debian
# security update gets a fresh tree instead of a mix of two kernels.
vmmem_src_key()
{
	local ver

	ver=$(dpkg-query -W -f='${Version}' "$VMMEM_SRC_PKG" 2>/dev/null) ||
		vmmem_die "$VMMEM_SRC_PKG is not installed (run scripts/deps.sh as root)"
	[[ -n $ver ]] || vmmem_die "$VMMEM_SRC_PKG has no version"
	# Debian versions may hold '~' and ':'; keep directory names plain.
	printf '%s-%s\n' "$VMMEM_SRC_PKG" "$ver" | tr -c 'A-Za-z0-9.+_\n-' '_'
}

# vmmem_pristine: make sure the pristine kernel source of the installed
# version is extracted, drop trees of other versions, and print its path.
# Only the lock holder extracts; the stamp marks a finished extraction, so an
# interrupted one is redone from scratch.
vmmem_pristine()
{
	local key dir old

	key=$(vmmem_src_key)
	dir=$VMMEM_CACHE/$key
	(
		vmmem_lock src
		for old in "$VMMEM_CACHE"/*/.vmmem-cache; do
			[[ -e $old ]] || continue
			old=${old%/.vmmem-cache}
			[[ $old == "$dir" ]] && continue
			echo "vmmem: removing stale kernel tree $old" >&2
			rm -rf "$old"
		done
		if [[ ! -e $dir/pristine.done ]]; then
			[[ -r $VMMEM_SRC_TARBALL ]] ||
				vmmem_die "$VMMEM_SRC_TARBALL missing (run scripts/deps.sh as root)"
			echo "vmmem: extracting $VMMEM_SRC_TARBALL into $dir (once per version)" >&2
			rm -rf "$dir"
			mkdir -p "$dir/pristine"
			# The marker lets later runs recognise (and clean up) our
			# directories without touching anything else in the cache.
			touch "$dir/.vmmem-cache"
			tar -C "$dir/pristine" -xf "$VMMEM_SRC_TARBALL"
			[[ -f $dir/pristine/$VMMEM_SRC_TOP/Makefile ]] ||
				vmmem_die "$VMMEM_SRC_TARBALL has no $VMMEM_SRC_TOP/Makefile"
			touch "$dir/pristine.done"
		fi
	) >&2 || exit 1
	printf '%s\n' "$dir"
}

# The C and header files the lanes check, relative to VMMEM_ROOT, sorted.
vmmem_c_files()
{
	local d dirs=()

	for d in vmmem kunit include samples tests; do
		[[ -d $VMMEM_ROOT/$d ]] && dirs+=("$d")
	done
	((${#dirs[@]})) || return 0
	(cd "$VMMEM_ROOT" && find "${dirs[@]}" -type f \( -name '*.c' -o -name '*.h' \) \
		! -name '*.mod.c' -print | LC_ALL=C sort)
}

# lane_result NAME PASSED FAILED: the one line check.sh reads; the lane's
# exit status follows from it.
lane_result()
{
	echo "lane $1: $2 passed, $3 failed"
	[[ $3 -eq 0 ]]
}

# vmmem_kernel_tree DIR: make sure DIR/tree is a kernel tree that builds
# vmmem in: a cp -al copy of the pristine tree plus drivers/vmmem -> the
# repository and one line each in drivers/Kconfig and drivers/Makefile
# (edited by writing new files, so the hard-linked pristine copy is never
# modified). The caller holds the "kunit" lock.
vmmem_kernel_tree()
{
	local dir=$1 tree=$1/tree

	if [[ ! -e $dir/tree.done ]]; then
		rm -rf "$tree"
		cp -al "$dir/pristine/$VMMEM_SRC_TOP" "$tree"
		touch "$dir/tree.done"
	fi
	# The repository may be a different clone each run (CI), so always repoint.
	ln -sfn "$VMMEM_ROOT" "$tree/drivers/vmmem"
	vmmem_add_line "$tree/drivers/Kconfig" 'source "drivers/vmmem/Kconfig"' '^endmenu'
	# shellcheck disable=SC2016 # a make variable, not a shell one
	vmmem_add_line "$tree/drivers/Makefile" 'obj-$(CONFIG_VMMEM) += vmmem/'
}

# vmmem_add_line FILE LINE [BEFORE-REGEX]: add LINE once, before the last
# line matching BEFORE-REGEX, or at the end. Writes a new file and renames
# it over the old one: the old name is a hard link into the pristine tree.
vmmem_add_line()
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

# vmmem_build_dir BUILD: make decides by timestamps; objects built from
# another clone (or from a scratch copy) may be newer than this clone's
# sources, so drop vmmem's objects in BUILD whenever the repository behind
# the tree's symlink changes.
vmmem_build_dir()
{
	local build=$1

	if [[ $(cat "$build/.vmmem-root" 2>/dev/null) != "$VMMEM_ROOT" ]]; then
		rm -rf "$build/drivers/vmmem"
		mkdir -p "$build"
		printf '%s\n' "$VMMEM_ROOT" >"$build/.vmmem-root"
	fi
}

# Reports in a kernel log that do not fail a KUnit case on their own: any
# hit fails the lane. kmemleak's start-up banners are expected, and so is
# the count its scan prints: vmmem_fault_no_leaks asks for that scan, plants
# a leak to prove it works, and fails itself on any leak of vmmem's.
VMMEM_REPORTS='WARNING:|BUG:|Oops|Kernel panic|KASAN|KCSAN|UBSAN|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|DEBUG_LOCKS_WARN|detected stall|rcu_.*stall|blocked for more than|kmemleak'
VMMEM_BENIGN='kmemleak: (Kernel memory leak detector initialized|Cannot allocate a scan area, scanning the full object|Automatic memory scanning thread started|[0-9]+ new suspected memory leaks)'

# vmmem_kunit_verdict JSON LOG RC: set the globals passed and failed from
# kunit.py's JSON results (each parameter of a parameterised case is one
# case; PASS passes, SKIP is neither, anything else, FAIL or ERROR =
# crashed or missing, fails), kunit.py's exit status RC, and the reports in
# the kernel log LOG, each of which adds one failure.
vmmem_kunit_verdict()
{
	local json=$1 log=$2 rc=$3 skipped hits

	passed=0
	failed=1
	if ! read -r passed failed skipped < <(python3 - "$json" <<'PY'
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
PY
	); then
		echo "vmmem: cannot read $json"
		passed=0
		failed=1
		return
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

	if [[ ! -s $log ]]; then
		echo "vmmem: kernel log $log is missing"
		failed=$((failed + 1))
		return
	fi
	hits=$(grep -nE "$VMMEM_REPORTS" "$log" | grep -vE "$VMMEM_BENIGN" || true)
	if [[ -n $hits ]]; then
		echo "vmmem: kernel log $log has reports:"
		head -n 50 <<<"$hits"
		failed=$((failed + 1))
	fi
}
