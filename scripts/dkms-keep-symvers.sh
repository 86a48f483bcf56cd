#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# DKMS POST_BUILD hook (dkms.conf), run in DKMS's build directory, which
# DKMS deletes after the build: keep vmmem's Module.symvers beside the
# module DKMS saved, in <dkms tree>/vmmem/<version>/KVER/ARCH/, so consumer
# modules can pass it as KBUILD_EXTRA_SYMBOLS. `dkms remove` deletes it
# with the rest of that directory.
# Usage: dkms-keep-symvers.sh KVER ARCH
set -eu
[ $# -eq 2 ] || { echo "usage: $0 KVER ARCH" >&2; exit 2; }
dest=../$1/$2
[ -d "$dest" ] || { echo "vmmem: no DKMS directory $dest" >&2; exit 1; }
cp Module.symvers "$dest/Module.symvers"
echo "vmmem: kept Module.symvers in $(cd "$dest" && pwd)"
