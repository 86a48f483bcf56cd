#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install the Debian packages the test lanes need. A no-op (dpkg-query only,
# no network) when everything is present. Extra package names given as
# arguments are checked too.
set -euo pipefail

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

((${#missing[@]})) || exit 0

if [[ $(id -u) -ne 0 ]]; then
	echo "vmmem: missing packages: ${missing[*]}" >&2
	echo "vmmem: run as root: apt-get update && apt-get install ${missing[*]}" >&2
	exit 1
fi

echo "vmmem: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# Recommends of linux-source/linux-image (initramfs tools, firmware, ...) are
# not needed for building against the headers or for UML.
apt-get install -q -y --no-install-recommends "${missing[@]}"

# apt-get succeeding does not prove every name resolved to an installed
# package (virtual packages); check again.
still=()
for p in "${missing[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[[ $status == installed ]] || still+=("$p")
done
if ((${#still[@]})); then
	echo "vmmem: still missing after apt-get install: ${still[*]}" >&2
	exit 1
fi
