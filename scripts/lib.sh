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
