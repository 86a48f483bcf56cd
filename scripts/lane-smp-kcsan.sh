#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# SMP lane smp-kcsan: see lane-smp.sh.
exec "$(dirname "${BASH_SOURCE[0]}")/lane-smp.sh" kcsan
