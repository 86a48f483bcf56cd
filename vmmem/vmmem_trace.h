/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Trace events of vmmem (system "vmmem"): what changes a map, what an
 * access met when it failed, what dirty logging did. None is on a path
 * that succeeds at accessing guest memory; disabled, each is a static
 * key's no-op. Every event names its map (the name its creator gave).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vmmem

#if !defined(_VMMEM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VMMEM_TRACE_H

#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/vmmem.h>

#define vmmem_trace_map(dst, name) strscpy(dst, name, VMMEM_NAME_MAX)

DECLARE_EVENT_CLASS(vmmem_region_class,
		    TP_PROTO(const char *map, u64 gpa, u64 size, unsigned int flags),
		    TP_ARGS(map, gpa, size, flags),
		    TP_STRUCT__entry(__array(char, map, VMMEM_NAME_MAX)
				     __field(u64, gpa)
				     __field(u64, size)
				     __field(unsigned int, flags)),
		    TP_fast_assign(vmmem_trace_map(__entry->map, map);
				   __entry->gpa = gpa;
				   __entry->size = size;
				   __entry->flags = flags;),
		    TP_printk("map=%s gpa=0x%llx size=0x%llx flags=0x%x",
			      __entry->map, __entry->gpa, __entry->size,
			      __entry->flags)
);

/* A region went into the map with a published update. */
DEFINE_EVENT(vmmem_region_class, vmmem_region_add,
	     TP_PROTO(const char *map, u64 gpa, u64 size, unsigned int flags),
	     TP_ARGS(map, gpa, size, flags));

/* A region left the map with a published update. */
DEFINE_EVENT(vmmem_region_class, vmmem_region_remove,
	     TP_PROTO(const char *map, u64 gpa, u64 size, unsigned int flags),
	     TP_ARGS(map, gpa, size, flags));

/*
 * A region's last holder let go where it could not release it: the
 * release waits for a workqueue.
 */
DEFINE_EVENT(vmmem_region_class, vmmem_release_deferred,
	     TP_PROTO(const char *map, u64 gpa, u64 size, unsigned int flags),
	     TP_ARGS(map, gpa, size, flags));

/* vmmem_update() returned: its operations, outcome and duration. */
TRACE_EVENT(vmmem_commit,
	    TP_PROTO(const char *map, unsigned int ops, u64 generation,
		     int ret, u64 ns),
	    TP_ARGS(map, ops, generation, ret, ns),
	    TP_STRUCT__entry(__array(char, map, VMMEM_NAME_MAX)
			     __field(unsigned int, ops)
			     __field(u64, generation)
			     __field(int, ret)
			     __field(u64, ns)),
	    TP_fast_assign(vmmem_trace_map(__entry->map, map);
			   __entry->ops = ops;
			   __entry->generation = generation;
			   __entry->ret = ret;
			   __entry->ns = ns;),
	    TP_printk("map=%s ops=%u generation=%llu ret=%d ns=%llu",
		      __entry->map, __entry->ops, __entry->generation,
		      __entry->ret, __entry->ns)
);

/* An access failed: where, how much, why, and who asked. */
TRACE_EVENT(vmmem_fault,
	    TP_PROTO(const char *map, u64 addr, u64 len, unsigned int access,
		     unsigned int cause, unsigned long caller),
	    TP_ARGS(map, addr, len, access, cause, caller),
	    TP_STRUCT__entry(__array(char, map, VMMEM_NAME_MAX)
			     __field(u64, addr)
			     __field(u64, len)
			     __field(unsigned int, access)
			     __field(unsigned int, cause)
			     __field(unsigned long, caller)),
	    TP_fast_assign(vmmem_trace_map(__entry->map, map);
			   __entry->addr = addr;
			   __entry->len = len;
			   __entry->access = access;
			   __entry->cause = cause;
			   __entry->caller = caller;),
	    TP_printk("map=%s addr=0x%llx len=%llu access=%s cause=%s caller=%pS",
		      __entry->map, __entry->addr, __entry->len,
		      __print_symbolic(__entry->access, { VMMEM_READ, "r" },
				       { VMMEM_WRITE, "w" },
				       { VMMEM_READ | VMMEM_WRITE, "rw" }),
		      __print_symbolic(__entry->cause, { 0, "hole" },
				       { 1, "read-only" }, { 2, "misaligned" },
				       { 3, "straddle" }, { 4, "past-end" },
				       { 5, "iova-permission" },
				       { 6, "memory-error" },
				       { 7, "not-mapped" }),
		      (void *)__entry->caller)
);

DECLARE_EVENT_CLASS(vmmem_dirty_log_class,
		    TP_PROTO(const char *map, int ret),
		    TP_ARGS(map, ret),
		    TP_STRUCT__entry(__array(char, map, VMMEM_NAME_MAX)
				     __field(int, ret)),
		    TP_fast_assign(vmmem_trace_map(__entry->map, map);
				   __entry->ret = ret;),
		    TP_printk("map=%s ret=%d", __entry->map, __entry->ret)
);

DEFINE_EVENT(vmmem_dirty_log_class, vmmem_dirty_log_start,
	     TP_PROTO(const char *map, int ret),
	     TP_ARGS(map, ret));

DEFINE_EVENT(vmmem_dirty_log_class, vmmem_dirty_log_stop,
	     TP_PROTO(const char *map, int ret),
	     TP_ARGS(map, ret));

/* A harvest: the range asked for and the dirty pages it reported. */
TRACE_EVENT(vmmem_dirty_harvest,
	    TP_PROTO(const char *map, u64 gpa, u64 len, long pages),
	    TP_ARGS(map, gpa, len, pages),
	    TP_STRUCT__entry(__array(char, map, VMMEM_NAME_MAX)
			     __field(u64, gpa)
			     __field(u64, len)
			     __field(long, pages)),
	    TP_fast_assign(vmmem_trace_map(__entry->map, map);
			   __entry->gpa = gpa;
			   __entry->len = len;
			   __entry->pages = pages;),
	    TP_printk("map=%s gpa=0x%llx len=0x%llx pages=%ld", __entry->map,
		      __entry->gpa, __entry->len, __entry->pages)
);

DECLARE_EVENT_CLASS(vmmem_iova_class,
		    TP_PROTO(const char *map, u64 iova, u64 size, u64 gpa,
			     unsigned int access, int ret),
		    TP_ARGS(map, iova, size, gpa, access, ret),
		    TP_STRUCT__entry(__array(char, map, VMMEM_NAME_MAX)
				     __field(u64, iova)
				     __field(u64, size)
				     __field(u64, gpa)
				     __field(unsigned int, access)
				     __field(int, ret)),
		    TP_fast_assign(vmmem_trace_map(__entry->map, map);
				   __entry->iova = iova;
				   __entry->size = size;
				   __entry->gpa = gpa;
				   __entry->access = access;
				   __entry->ret = ret;),
		    TP_printk("map=%s iova=0x%llx size=0x%llx gpa=0x%llx access=%s ret=%d",
			      __entry->map, __entry->iova, __entry->size,
			      __entry->gpa,
			      __print_symbolic(__entry->access, { 0, "-" },
					       { VMMEM_READ, "r" },
					       { VMMEM_WRITE, "w" },
					       { VMMEM_READ | VMMEM_WRITE, "rw" }),
			      __entry->ret)
);

/* vmmem_iova_map(): the entry and its permission. */
DEFINE_EVENT(vmmem_iova_class, vmmem_iova_map,
	     TP_PROTO(const char *map, u64 iova, u64 size, u64 gpa,
		      unsigned int access, int ret),
	     TP_ARGS(map, iova, size, gpa, access, ret));

/* vmmem_iova_unmap(): the range (gpa and access unused: 0). */
DEFINE_EVENT(vmmem_iova_class, vmmem_iova_unmap,
	     TP_PROTO(const char *map, u64 iova, u64 size, u64 gpa,
		      unsigned int access, int ret),
	     TP_ARGS(map, iova, size, gpa, access, ret));

/* A miss hook was called for @iova (size and gpa unused: 0). */
DEFINE_EVENT(vmmem_iova_class, vmmem_iova_miss,
	     TP_PROTO(const char *map, u64 iova, u64 size, u64 gpa,
		      unsigned int access, int ret),
	     TP_ARGS(map, iova, size, gpa, access, ret));

#endif /* _VMMEM_TRACE_H */

/* This header lives beside the sources, not in include/trace/events. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE vmmem_trace
#include <trace/define_trace.h>
