#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install the Debian packages the test lanes need. A no-op (dpkg-query only,
# no network) when everything is present. Extra package names given as
# arguments are checked too.
#
# Usage: deps.sh [--missing] [--log FILE] [PACKAGE...]
#   --missing   only print the names of the missing packages on one line
#               (an empty line if none) and exit 0; installs nothing
#   --log FILE  quiet: apt-get's output is appended to FILE instead of
#               shown; if apt-get fails, FILE's last lines and its name go
#               to stderr (`make demo` uses this)
set -euo pipefail

only_list=
log=
while (($#)); do
	case $1 in
	--missing) only_list=1 ;;
	--log)
		(($# >= 2)) || { echo "vmmem: deps.sh: --log needs a file" >&2; exit 2; }
		log=$2
		shift
		;;
	--) shift; break ;;
	-*) echo "vmmem: deps.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done

packages=(
	# UML kernel build (kunit.py) and out-of-tree module build
	bc bison flex libc6-dev libelf-dev libssl-dev make perl python3 xz-utils
	# C=2 and modinfo in the build lane
	sparse kmod
	cpio
	# Kernel source (UML tree, checkpatch.pl, kernel-doc) and the headers
	# of Debian's 6.12 kernel; the metapackages follow security updates,
	# so no version is ever named here.
	linux-source-6.12 linux-headers-6.12-amd64
	"$@"
)

missing=()
for p in "${packages[@]}"; do
	# Unknown packages make dpkg-query fail; that means missing too.
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[[ $status == installed ]] || missing+=("$p")
done

if [[ -n $only_list ]]; then
	echo "${missing[*]}"
	exit 0
fi
((${#missing[@]})) || exit 0

if [[ $(id -u) -ne 0 ]]; then
	echo "vmmem: missing packages: ${missing[*]}" >&2
	echo "vmmem: run as root: apt-get update && apt-get install ${missing[*]}" >&2
	exit 1
fi

# run_apt ARG...: apt-get ARG..., its output shown, or in quiet mode (--log)
# appended to the log, whose tail is shown only if apt-get fails.
run_apt()
{
	local rc=0

	if [[ -z $log ]]; then
		apt-get "$@"
		return
	fi
	echo "+ apt-get $*" >>"$log"
	apt-get "$@" </dev/null >>"$log" 2>&1 || rc=$?
	if ((rc != 0)); then
		echo "vmmem: apt-get $1 failed (exit $rc); the end of $log:" >&2
		tail -n 25 "$log" >&2
		echo "vmmem: apt-get's full output: $log" >&2
		exit 1
	fi
}

echo "vmmem: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
[[ -z $log ]] || mkdir -p "$(dirname "$log")"
run_apt update -q
# Recommends of linux-source/linux-image (initramfs tools, firmware, ...) are
# not needed for building against the headers or for UML.
run_apt install -q -y --no-install-recommends "${missing[@]}"

# apt-get succeeding does not prove every name resolved to an installed
# package (virtual packages); check again.
still=()
for p in "${missing[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[[ $status == installed ]] || still+=("$p")
done
if ((${#still[@]})); then
	echo "vmmem: still missing after apt-get install: ${still[*]}" >&2
	[[ -z $log ]] || echo "vmmem: apt-get's output: $log" >&2
	exit 1
fi
