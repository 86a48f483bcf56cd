#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# SMP lane smp-kasan: see lane-smp.sh.
exec "$(dirname "${BASH_SOURCE[0]}")/lane-smp.sh" kasan
