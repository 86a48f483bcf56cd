// SPDX-License-Identifier: GPL-2.0-only
/*
 * The trace events of vmmem, defined once (vmmem_trace.h declares them).
 * Users watch them through tracefs, perf or BPF; only the suites attach
 * probes from another module, so only a KUnit build exports them (the
 * module's exports are its API, all vmmem_* in VMMEM).
 */
#include "vmmem.h"

#define CREATE_TRACE_POINTS
#include "vmmem_trace.h"

#if IS_ENABLED(CONFIG_KUNIT)
EXPORT_TRACEPOINT_SYMBOL_GPL(vmmem_fault);
EXPORT_TRACEPOINT_SYMBOL_GPL(vmmem_commit);
#endif
