// SPDX-License-Identifier: GPL-2.0-only
/*
 * The trace events of vmmem, defined once (vmmem_trace.h declares them).
 * The suites attach probes to some of them, hence the exports.
 */
#include "vmmem.h"

#define CREATE_TRACE_POINTS
#include "vmmem_trace.h"

EXPORT_TRACEPOINT_SYMBOL_GPL(vmmem_fault);
EXPORT_TRACEPOINT_SYMBOL_GPL(vmmem_commit);
