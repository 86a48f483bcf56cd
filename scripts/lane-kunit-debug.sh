#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Debug lane: the KUnit suites again, under KASAN, lockdep, RCU checking,
# DEBUG_ATOMIC_SLEEP, DEBUG_MAPLE_TREE and UBSAN (see lane-kunit.sh).
exec "$(dirname "${BASH_SOURCE[0]}")/lane-kunit.sh" debug
