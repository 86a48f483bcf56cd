// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_model: a randomized differential test against a simple reference
 * model (a sorted list of regions, each with its own byte array). Random
 * updates (single adds and removes, and arrays of them with remove-alls),
 * copies across holes, region ends and 2^64, single accesses, range
 * checks, slices, holds and snapshots run on both; any difference in a
 * result, a byte or the map's info fails. An IOVA space over the map gets
 * random maps and unmaps (a page-by-page model), and copies and single
 * accesses through it, checked the same way. The seed is printed; boot with
 * vmmem_kunit.model_seed=<seed> to replay it.
 */
#include <kunit/test.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "fixture.h"

static ulong model_seed;
module_param(model_seed, ulong, 0444);
MODULE_PARM_DESC(model_seed, "seed of vmmem_model (0: random)");

/*
 * One thread, so the logic is UML's to prove, with 100000 operations. The
 * SMP lanes' emulated kernels run it for their checkers (KASAN, lockdep,
 * UBSAN) over the same paths: a quarter as many still makes the rarest
 * kind (1 in 100, below) some 250 times (the full count was 66 s of
 * smp-kasan's 251 s). Under KCSAN there is no race to find, only a
 * tenfold slowdown.
 */
#define MODEL_OPS	(IS_ENABLED(CONFIG_UML) ? 100000 :		\
			 IS_ENABLED(CONFIG_KCSAN) ? 10000 : 25000)
#define WINDOW_PAGES	32	/* two windows: at 0 and ending at 2^64 - 1 */
#define MAX_PAGES	6
#define MAX_REGIONS	(2 * WINDOW_PAGES)
#define MAX_SNAPS	4
#define MAX_COPY	(3 * FX_P)
#define MAX_UPDATES	5
/* A range of MAX_COPY bytes crosses at most 4 regions of a page or more. */
#define MAX_HOLD	4

struct mregion {
	u64 gpa;
	u64 size;
	unsigned int flags;
	unsigned int refs;	/* the model map and model snapshots */
	u8 *bytes;
};

struct mmap_state {
	struct mregion *r[MAX_REGIONS];
	unsigned int n;
};

struct msnap {
	struct vmmem_snapshot *view;
	u64 generation;		/* the map's when it was taken */
	struct mmap_state map;
};

static const char * const op_names[] = {
	"add", "remove", "update", "copy-to", "copy-from", "single", "range",
	"slice", "hold", "snap-take", "snap-read", "snap-drop", "info",
	"iova-map", "iova-unmap", "iova-copy", "iova-single", "iova-info",
};

/* An IOVA page of the model: unmapped while @entry is 0. */
struct miova {
	unsigned int entry;	/* which map made it, from 1 */
	unsigned int perm;
	u64 gpa;
};

struct model {
	struct kunit *test;
	struct vmmem *vm;
	struct rnd_state rnd;
	struct mmap_state map;
	struct msnap snaps[MAX_SNAPS];
	unsigned int nsnaps;
	u64 generation;		/* the map's, after the last update */
	u8 *src, *dst, *expect;
	unsigned long counts[ARRAY_SIZE(op_names)];
	bool diverged;
	struct vmmem_iova *iova;
	/* The two windows of IOVA pages: at 0, then the one ending at 2^64 - 1. */
	struct miova pages[2 * WINDOW_PAGES];
	unsigned int entries;	/* maps made */
};

static u32 rnd(struct model *m, u32 n)
{
	return prandom_u32_state(&m->rnd) % n;
}

static __printf(2, 3) void diverge(struct model *m, const char *fmt, ...)
{
	char msg[128];
	va_list args;

	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	KUNIT_FAIL(m->test, "%s", msg);
	m->diverged = true;
}

/* A random address near the two windows, sometimes just outside them. */
static u64 rnd_addr(struct model *m)
{
	u64 span = (WINDOW_PAGES + 2) * FX_P;
	u64 off = ((u64)prandom_u32_state(&m->rnd) << 20 ^
		   prandom_u32_state(&m->rnd)) % span;

	return rnd(m, 2) ? off : 0 - span + off;
}

static u64 rnd_page(struct model *m)
{
	u64 page = rnd(m, WINDOW_PAGES) * FX_P;

	return rnd(m, 2) ? page : 0 - WINDOW_PAGES * FX_P + page;
}

static struct mregion *m_find(const struct mmap_state *map, u64 gpa)
{
	unsigned int i;

	for (i = 0; i < map->n; i++)
		if (gpa >= map->r[i]->gpa && gpa - map->r[i]->gpa < map->r[i]->size)
			return map->r[i];
	return NULL;
}

static bool m_overlaps(const struct mmap_state *map, u64 gpa, u64 size)
{
	u64 last = gpa + size - 1;
	unsigned int i;

	for (i = 0; i < map->n; i++)
		if (gpa <= map->r[i]->gpa + map->r[i]->size - 1 &&
		    map->r[i]->gpa <= last)
			return true;
	return false;
}

static void m_put(struct mregion *r)
{
	if (!--r->refs) {
		kfree(r->bytes);
		kfree(r);
	}
}

/* The argument rules of the contract, written out again for the model. */
static int m_args(u64 gpa, u64 size, unsigned int flags)
{
	u64 last;

	if (flags & ~VMMEM_REGION_FLAGS || !size || !PAGE_ALIGNED(gpa) ||
	    !PAGE_ALIGNED(size))
		return -EINVAL;
	if (check_add_overflow(gpa, size - 1, &last))
		return -EOVERFLOW;
	return 0;
}

static int m_add(struct mmap_state *map, u64 gpa, u64 size, unsigned int flags)
{
	struct mregion *r;
	int ret = m_args(gpa, size, flags);

	if (ret)
		return ret;
	if (m_overlaps(map, gpa, size))
		return -EEXIST;
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (r)
		r->bytes = kzalloc(size, GFP_KERNEL);
	if (!r || !r->bytes) {
		kfree(r);
		return -ENOMEM;
	}
	r->gpa = gpa;
	r->size = size;
	r->flags = flags;
	r->refs = 1;
	map->r[map->n++] = r;
	return 0;
}

static int m_remove(struct mmap_state *map, u64 gpa, u64 size)
{
	unsigned int i;

	for (i = 0; i < map->n; i++) {
		if (map->r[i]->gpa == gpa && map->r[i]->size == size) {
			m_put(map->r[i]);
			map->r[i] = map->r[--map->n];
			return 0;
		}
	}
	return -ENOENT;
}

/* Copy a model map: every region shared, one more reference each. */
static void m_share(struct mmap_state *to, const struct mmap_state *from)
{
	unsigned int i;

	*to = *from;
	for (i = 0; i < to->n; i++)
		to->r[i]->refs++;
}

static void m_drop(struct mmap_state *map)
{
	while (map->n)
		m_put(map->r[--map->n]);
}

/* Bytes a copy reaches before the first unmapped or forbidden byte. */
static u64 m_reach(const struct mmap_state *map, u64 gpa, u64 len, bool write)
{
	u64 done = 0, n;
	struct mregion *r;

	while (done < len) {
		r = m_find(map, gpa + done);
		if (!r || (write && (r->flags & VMMEM_REGION_RDONLY)))
			break;
		n = min(len - done, r->gpa + r->size - (gpa + done));
		done += n;
		if (r->gpa + r->size - 1 == U64_MAX)
			break;
	}
	return done;
}

static u8 *m_byte(const struct mmap_state *map, u64 gpa)
{
	struct mregion *r = m_find(map, gpa);

	return &r->bytes[gpa - r->gpa];
}

static void rnd_region(struct model *m, u64 *gpa, u64 *size, unsigned int *flags)
{
	*gpa = rnd_page(m);
	*size = (1 + rnd(m, MAX_PAGES)) * FX_P;
	*flags = rnd(m, 4) ? 0 : VMMEM_REGION_RDONLY;
	/* Sometimes bad arguments. */
	switch (rnd(m, 50)) {
	case 0:
		*gpa += 8;
		break;
	case 1:
		*size = 0;
		break;
	case 2:
		*size = 0 - *gpa + FX_P;	/* wraps past 2^64 */
		break;
	}
}

/* The map (NULL), or now and then one of the snapshots, and its model. */
static struct vmmem_snapshot *rnd_snap(struct model *m, struct mmap_state **map)
{
	struct msnap *s;

	if (!m->nsnaps || rnd(m, 4)) {
		*map = &m->map;
		return NULL;
	}
	s = &m->snaps[rnd(m, m->nsnaps)];
	*map = &s->map;
	return s->view;
}

/* The same, as a space for the calls that take one. */
static void rnd_space(struct model *m, struct mmap_state **map,
		      union vmmem_space *space)
{
	struct vmmem_snapshot *snap = rnd_snap(m, map);

	if (snap)
		space->snapshot = snap;
	else
		space->map = m->vm;
}

/*
 * Applies @ups to the map; @want is the model's result. A failed update
 * changes nothing, not even the generation; a successful one changes it.
 */
static void m_update(struct model *m, const struct vmmem_update *ups,
		     unsigned int nr, int want)
{
	struct vmmem_info info;
	int got = vmmem_update(m->vm, ups, nr);

	if (want != got)
		diverge(m, "update of %u, first %u at %#llx+%#llx: %d, model %d",
			nr, ups[0].op, ups[0].gpa, ups[0].size, got, want);
	vmmem_info(m->vm, &info);
	if (info.generation == m->generation ? !got : got)
		diverge(m, "update of %u: %d, generation %llu -> %llu", nr, got,
			m->generation, info.generation);
	m->generation = info.generation;
}

static void op_add(struct model *m)
{
	struct vmmem_update up = { .op = VMMEM_ADD_VMALLOC };

	rnd_region(m, &up.gpa, &up.size, &up.flags);
	m_update(m, &up, 1, m_add(&m->map, up.gpa, up.size, up.flags));
}

static void rnd_victim(struct model *m, u64 *gpa, u64 *size)
{
	struct mregion *r;

	if (!m->map.n || !rnd(m, 8)) {
		*gpa = rnd_page(m);
		*size = FX_P;
		return;
	}
	r = m->map.r[rnd(m, m->map.n)];
	*gpa = r->gpa;
	*size = r->size;
	if (!rnd(m, 6))
		*size += FX_P;
	else if (!rnd(m, 6))
		*gpa += FX_P;
}

static void op_remove(struct model *m)
{
	struct vmmem_update up = { .op = VMMEM_REMOVE };

	rnd_victim(m, &up.gpa, &up.size);
	m_update(m, &up, 1, m_remove(&m->map, up.gpa, up.size));
}

/*
 * An array of up to MAX_UPDATES adds, removes and remove-alls: all of it
 * applies, or none. The argument errors of every update come first; then
 * the first update that fails applied in order, against the map as the
 * earlier ones leave it.
 */
static void op_update(struct model *m)
{
	unsigned int i, nr = 1 + rnd(m, MAX_UPDATES);
	struct vmmem_update ups[MAX_UPDATES];
	int arg_err = 0, apply_err = 0, ret;
	struct mmap_state next;

	m_share(&next, &m->map);
	for (i = 0; i < nr; i++) {
		struct vmmem_update *up = &ups[i];
		u32 kind = rnd(m, 10);

		*up = (struct vmmem_update){};
		if (kind < 5) {
			up->op = VMMEM_ADD_VMALLOC;
			rnd_region(m, &up->gpa, &up->size, &up->flags);
			ret = m_args(up->gpa, up->size, up->flags);
			if (ret)
				arg_err = arg_err ?: ret;
			else
				apply_err = apply_err ?: m_add(&next, up->gpa, up->size,
								up->flags);
		} else if (kind < 9) {
			up->op = VMMEM_REMOVE;
			rnd_victim(m, &up->gpa, &up->size);
			apply_err = apply_err ?: m_remove(&next, up->gpa, up->size);
		} else {
			/* Its gpa and size are ignored: make them nonsense. */
			up->op = VMMEM_REMOVE_ALL;
			up->gpa = rnd_addr(m);
			up->size = rnd(m, 3);
			if (!apply_err)
				m_drop(&next);
		}
	}
	m_update(m, ups, nr, arg_err ?: apply_err);
	if (!arg_err && !apply_err) {
		m_drop(&m->map);
		m->map = next;
	} else {
		m_drop(&next);
	}
}

static void op_copy_to(struct model *m)
{
	u64 gpa = rnd_addr(m), len = rnd(m, MAX_COPY + 1), reach, i;
	struct mmap_state *map;
	union vmmem_space space;
	unsigned long left;

	rnd_space(m, &map, &space);
	get_random_bytes(m->src, len);
	reach = m_reach(map, gpa, len, true);
	left = vmmem_copy_to_guest(space, gpa, m->src, len);
	if (left != len - reach)
		diverge(m, "copy to %#llx+%llu: %lu left, model %llu", gpa, len, left,
			len - reach);
	for (i = 0; i < reach; i++)
		*m_byte(map, gpa + i) = m->src[i];
}

/* Reads through @space must match @map: counts and every byte. */
static void check_copy_from(struct model *m, union vmmem_space space,
			    const struct mmap_state *map, u64 gpa, u64 len)
{
	u64 reach = m_reach(map, gpa, len, false), i;
	unsigned long left;

	memset(m->dst, 0xa5, len);
	left = vmmem_copy_from_guest(space, gpa, m->dst, len);
	if (left != len - reach) {
		diverge(m, "copy from %#llx+%llu: %lu left, model %llu", gpa, len,
			left, len - reach);
		return;
	}
	for (i = 0; i < reach; i++)
		m->expect[i] = *m_byte(map, gpa + i);
	if (memcmp(m->dst, m->expect, reach))
		diverge(m, "copy from %#llx+%llu: bytes differ", gpa, len);
}

static void op_copy_from(struct model *m)
{
	check_copy_from(m, (union vmmem_space){ .map = m->vm }, &m->map, rnd_addr(m),
			rnd(m, MAX_COPY + 1));
}

/* The snapshot the operation picked, or else the map. */
static union vmmem_space pick_space(struct vmmem *vm,
				    struct vmmem_snapshot *snap)
{
	return snap ? (union vmmem_space){ .snapshot = snap } :
		      (union vmmem_space){ .map = vm };
}

/*
 * The width is the type's: one variable per width. @val is left as it was
 * on failure, as the value is.
 */
static int single_load(struct vmmem *vm, struct vmmem_snapshot *snap,
		       bool acquire, unsigned int bytes, u64 gpa, u64 *val)
{
	union vmmem_space space = pick_space(vm, snap);
	u8 v8 = *val;
	u16 v16 = *val;
	u32 v32 = *val;
	int ret;

	switch (bytes) {
	case 1:
		ret = acquire ? vmmem_load_acquire(space, gpa, &v8) :
				vmmem_load(space, gpa, &v8);
		*val = v8;
		return ret;
	case 2:
		ret = acquire ? vmmem_load_acquire(space, gpa, &v16) :
				vmmem_load(space, gpa, &v16);
		*val = v16;
		return ret;
	case 4:
		ret = acquire ? vmmem_load_acquire(space, gpa, &v32) :
				vmmem_load(space, gpa, &v32);
		*val = v32;
		return ret;
	default:
		return acquire ? vmmem_load_acquire(space, gpa, val) :
				 vmmem_load(space, gpa, val);
	}
}

static int single_store(struct vmmem *vm, struct vmmem_snapshot *snap,
			bool release, unsigned int bytes, u64 gpa, u64 val)
{
	union vmmem_space space = pick_space(vm, snap);

	switch (bytes) {
	case 1:
		return release ? vmmem_store_release(space, gpa, (u8)val) :
				 vmmem_store(space, gpa, (u8)val);
	case 2:
		return release ? vmmem_store_release(space, gpa, (u16)val) :
				 vmmem_store(space, gpa, (u16)val);
	case 4:
		return release ? vmmem_store_release(space, gpa, (u32)val) :
				 vmmem_store(space, gpa, (u32)val);
	default:
		return release ? vmmem_store_release(space, gpa, val) :
				 vmmem_store(space, gpa, val);
	}
}

static void op_single(struct model *m)
{
	unsigned int bytes = 1 << rnd(m, 4), kind = rnd(m, 4), i;
	bool store = kind & 1;
	u64 gpa = rnd_addr(m), val = get_random_u64(), old, want_val = 0;
	struct mmap_state *map;
	struct vmmem_snapshot *snap = rnd_snap(m, &map);
	struct mregion *r;
	int want, got;

	if (rnd(m, 4))
		gpa = round_down(gpa, bytes);
	r = m_find(map, gpa);
	if (!IS_ALIGNED(gpa, bytes))
		want = -EINVAL;
	else if (!r || (store && (r->flags & VMMEM_REGION_RDONLY)))
		want = -EFAULT;
	else
		want = 0;

	if (bytes < 8)
		val &= BIT_ULL(8 * bytes) - 1;
	old = val;
	if (!want && !store) {
		/* Little-endian assembly of the model's bytes, then CPU order. */
		for (i = 0; i < bytes; i++)
			want_val |= (u64)*m_byte(map, gpa + i) << (8 * i);
		if (IS_ENABLED(CONFIG_CPU_BIG_ENDIAN))
			want_val = swab64(want_val) >> (64 - 8 * bytes);
	}
	got = store ? single_store(m->vm, snap, kind & 2, bytes, gpa, val) :
		      single_load(m->vm, snap, kind & 2, bytes, gpa, &val);
	if (want != got) {
		diverge(m, "single %u/%u at %#llx: %d, model %d", kind, bytes, gpa,
			got, want);
		return;
	}
	if (want) {
		if (val != old)
			diverge(m, "failed load %u at %#llx changed the value", bytes, gpa);
		return;
	}
	if (store) {
		for (i = 0; i < bytes; i++)
			*m_byte(map, gpa + i) = IS_ENABLED(CONFIG_CPU_BIG_ENDIAN) ?
				val >> (8 * (bytes - 1 - i)) : val >> (8 * i);
	} else if (val != want_val) {
		diverge(m, "load %u at %#llx: %#llx, model %#llx", bytes, gpa, val,
			want_val);
	}
}

static void op_range(struct model *m)
{
	u64 gpa = rnd_addr(m), len = rnd(m, MAX_COPY + 1);
	bool write = rnd(m, 2), want;
	struct mmap_state *map;
	union vmmem_space space;

	rnd_space(m, &map, &space);
	want = m_reach(map, gpa, len, write) == len;
	if (want != vmmem_check_range(space, gpa, len, write ? VMMEM_WRITE : VMMEM_READ))
		diverge(m, "check_range %#llx+%llu", gpa, len);
}

/* Access bits: mostly valid, sometimes none or unknown ones. */
static unsigned int rnd_access(struct model *m)
{
	static const unsigned int bits[] = {
		VMMEM_READ, VMMEM_WRITE, VMMEM_READ | VMMEM_WRITE,
		VMMEM_READ, VMMEM_WRITE, VMMEM_READ | VMMEM_WRITE,
		VMMEM_READ, VMMEM_READ | VMMEM_WRITE, 0, VMMEM_READ | 0x8,
	};

	return bits[rnd(m, ARRAY_SIZE(bits))];
}

static bool access_valid(unsigned int access)
{
	return access && !(access & ~VMMEM_ACCESS_MASK);
}

static bool access_ok_for(const struct mregion *r, unsigned int access)
{
	return !(access & VMMEM_WRITE) || !(r->flags & VMMEM_REGION_RDONLY);
}

/* @s must show [@gpa, @gpa + @len) of region @r, and its bytes. */
static bool slice_matches(const struct mmap_state *map, const struct mregion *r,
			  const struct vmmem_slice *s, u64 gpa, u64 len,
			  unsigned int access)
{
	return s->gpa == gpa && s->len == len &&
	       s->wptr == (access & VMMEM_WRITE ? (void *)s->ptr : NULL) &&
	       !memcmp(s->ptr, m_byte(map, gpa), len);
}

/*
 * A slice is one region's: a range that crosses the region's end is
 * -EINVAL, even into an adjacent region.
 */
static void op_slice(struct model *m)
{
	u64 gpa = rnd_addr(m), len = 1 + rnd(m, MAX_COPY);
	unsigned int access = rnd_access(m);
	struct mmap_state *map;
	union vmmem_space space;
	struct vmmem_slice slice;
	struct mregion *r;
	int want, got;

	rnd_space(m, &map, &space);
	r = m_find(map, gpa);
	if (!access_valid(access))
		want = -EINVAL;
	else if (!r || !access_ok_for(r, access))
		want = -EFAULT;
	else if (len > r->gpa + r->size - gpa)
		want = -EINVAL;
	else
		want = 0;

	rcu_read_lock();
	got = vmmem_find_slice(space, gpa, len, access, &slice);
	if (want != got)
		diverge(m, "find_slice %#llx+%llu/%u: %d, model %d", gpa, len, access,
			got, want);
	else if (!got && (!slice_matches(map, r, &slice, gpa, len, access) || slice.region))
		diverge(m, "find_slice %#llx+%llu: wrong slice", gpa, len);
	rcu_read_unlock();
}

/* Pieces of a walk of [@gpa, @gpa + @len): one per region, or -EFAULT. */
static int m_pieces(const struct mmap_state *map, u64 gpa, u64 len,
		    unsigned int access)
{
	u64 done = 0;
	struct mregion *r;
	int n = 0;

	while (done < len) {
		r = m_find(map, gpa + done);
		if (!r || !access_ok_for(r, access))
			return -EFAULT;
		done += min(len - done, r->gpa + r->size - (gpa + done));
		n++;
		/* Bytes left past 2^64 - 1. */
		if (done < len && r->gpa + r->size - 1 == U64_MAX)
			return -EFAULT;
	}
	return n;
}

/*
 * Holds across adjacent regions, one slice per region; too few slices is
 * -ENOBUFS with the count needed, and nothing held either way.
 */
static void op_hold(struct model *m)
{
	u64 gpa = rnd_addr(m), len = rnd(m, MAX_COPY + 1), done = 0;
	unsigned int i, access = rnd_access(m), max = 1 + rnd(m, MAX_HOLD), nr = max;
	struct vmmem_slice slices[MAX_HOLD];
	struct mmap_state *map;
	union vmmem_space space;
	int need, want, got;

	rnd_space(m, &map, &space);
	/* The contract leaves invalid access bits on an empty range open. */
	if (!len)
		access = VMMEM_READ;
	need = m_pieces(map, gpa, len, access);
	if (!access_valid(access))
		want = -EINVAL;
	else
		want = need > (int)max ? -ENOBUFS : need;
	got = vmmem_hold(space, gpa, len, access, slices, &nr);
	if (want < 0 ? got != want : got || nr != want) {
		diverge(m, "hold %#llx+%llu/%u in %u: %d (%u), model %d", gpa, len,
			access, max, got, nr, want);
		if (!got)
			vmmem_release(slices, nr);
		return;
	}
	if (got == -ENOBUFS && nr != need)
		diverge(m, "hold %#llx+%llu: needs %u, model %d", gpa, len, nr, need);
	if (got)
		return;
	for (i = 0; i < nr; i++) {
		u64 at = gpa + done;
		struct mregion *r = m_find(map, at);
		u64 n = min(len - done, r->gpa + r->size - at);

		if (!slices[i].region || !slice_matches(map, r, &slices[i], at, n, access))
			diverge(m, "hold %#llx+%llu: wrong slice %u", gpa, len, i);
		done += n;
	}
	vmmem_release(slices, nr);
}

static void op_snap_take(struct model *m)
{
	struct vmmem_info info;
	struct msnap *s, *from;

	if (m->nsnaps == MAX_SNAPS)
		return;
	s = &m->snaps[m->nsnaps++];
	if (m->nsnaps > 1 && !rnd(m, 4)) {
		/* Another reference to a snapshot: the same one. */
		from = &m->snaps[rnd(m, m->nsnaps - 1)];
		s->view = vmmem_snapshot(from->view);
		s->generation = from->generation;
		m_share(&s->map, &from->map);
		if (s->view != from->view)
			diverge(m, "a snapshot of a snapshot is another one");
		return;
	}
	s->view = vmmem_snapshot(m->vm);
	s->generation = m->generation;
	m_share(&s->map, &m->map);
	vmmem_info(s->view, &info);
	if (info.generation != s->generation)
		diverge(m, "snapshot taken at generation %llu, map %llu",
			info.generation, s->generation);
}

/* What vmmem_info() must say of @map, at @generation. */
static void check_info(struct model *m, union vmmem_space space,
		       const struct mmap_state *map, u64 generation)
{
	struct vmmem_info info;
	u64 last = 0;
	unsigned int i;

	for (i = 0; i < map->n; i++)
		last = max(last, map->r[i]->gpa + map->r[i]->size - 1);
	vmmem_info(space, &info);
	if (info.nr_regions != map->n || info.last_addr != last ||
	    info.generation != generation)
		diverge(m, "%u regions to %#llx at generation %llu, model %u to %#llx at %llu",
			info.nr_regions, info.last_addr, info.generation, map->n,
			last, generation);
}

static void op_snap_read(struct model *m)
{
	struct msnap *s;

	if (!m->nsnaps)
		return;
	s = &m->snaps[rnd(m, m->nsnaps)];
	check_copy_from(m, (union vmmem_space){ .snapshot = s->view }, &s->map,
			rnd_addr(m), rnd(m, MAX_COPY + 1));
	/* A snapshot keeps its generation, whatever the map did since. */
	check_info(m, (union vmmem_space){ .snapshot = s->view }, &s->map,
		   s->generation);
}

static void op_snap_drop(struct model *m)
{
	struct msnap *s;

	if (!m->nsnaps)
		return;
	s = &m->snaps[rnd(m, m->nsnaps)];
	vmmem_snapshot_put(s->view);
	m_drop(&s->map);
	*s = m->snaps[--m->nsnaps];
}

static void op_info(struct model *m)
{
	check_info(m, (union vmmem_space){ .map = m->vm }, &m->map, m->generation);
}

/* The model of IOVA page @addr, or NULL outside the windows. */
static struct miova *m_iova(struct model *m, u64 addr)
{
	u64 top = 0 - WINDOW_PAGES * FX_P;

	if (addr < WINDOW_PAGES * FX_P)
		return &m->pages[addr / FX_P];
	if (addr >= top)
		return &m->pages[WINDOW_PAGES + (addr - top) / FX_P];
	return NULL;
}

/* Bytes a copy through the IOVA space reaches, as m_reach() for the map. */
static u64 m_iova_reach(struct model *m, u64 addr, u64 len, bool write)
{
	unsigned int perm = write ? VMMEM_WRITE : VMMEM_READ;
	const struct miova *p;
	struct mregion *r;
	u64 done, gpa;

	for (done = 0; done < len; done++) {
		p = m_iova(m, addr + done);
		if (!p || !p->entry || !(p->perm & perm))
			break;
		gpa = p->gpa + (addr + done) % FX_P;
		r = m_find(&m->map, gpa);
		if (!r || (write && (r->flags & VMMEM_REGION_RDONLY)))
			break;
		if (addr + done == U64_MAX) {
			done++;
			break;
		}
	}
	return done;
}

static u8 *m_iova_byte(struct model *m, u64 addr)
{
	return m_byte(&m->map, m_iova(m, addr)->gpa + addr % FX_P);
}

/* A range of IOVA pages, inside one window (or wrapping past 2^64 - 1). */
static void rnd_iova_range(struct model *m, u64 *addr, u64 *size)
{
	*addr = rnd_page(m);
	*size = (1 + rnd(m, MAX_PAGES)) * FX_P;
	if (*addr < WINDOW_PAGES * FX_P)
		*size = min(*size, WINDOW_PAGES * FX_P - *addr);
}

/* The generation must have moved if and only if @changed. */
static void check_iova_generation(struct model *m, u64 before, bool changed,
				  const char *what)
{
	struct vmmem_info info;
	bool moved;

	vmmem_info(m->iova, &info);
	moved = info.generation != before;
	if (moved != changed)
		diverge(m, "%s: generation %llu -> %llu", what, before, info.generation);
}

static void op_iova_map(struct model *m)
{
	static const unsigned int perms[] = {
		VMMEM_READ, VMMEM_WRITE, VMMEM_READ | VMMEM_WRITE,
		VMMEM_READ | VMMEM_WRITE, 0, 0x4,
	};
	unsigned int perm = perms[rnd(m, ARRAY_SIZE(perms))];
	u64 addr, size, gpa = rnd_page(m), off, last;
	struct vmmem_info info;
	int want = 0, got;

	rnd_iova_range(m, &addr, &size);
	if (!rnd(m, 50))
		addr += 8;
	if (!access_valid(perm) || !PAGE_ALIGNED(addr) ||
	    check_add_overflow(addr, size - 1, &last) ||
	    check_add_overflow(gpa, size - 1, &last))
		want = -EINVAL;
	for (off = 0; !want && off < size; off += FX_P) {
		if (m_iova(m, addr + off)->entry)
			want = -EEXIST;
	}
	vmmem_info(m->iova, &info);
	got = vmmem_iova_map(m->iova, addr, size, gpa, perm);
	if (got != want)
		diverge(m, "iova map %#llx+%#llx -> %#llx (%u): %d, model %d", addr, size,
			gpa, perm, got, want);
	check_iova_generation(m, info.generation, !got, "iova map");
	if (got || want)
		return;
	m->entries++;
	for (off = 0; off < size; off += FX_P)
		*m_iova(m, addr + off) = (struct miova){ .entry = m->entries,
							 .perm = perm,
							 .gpa = gpa + off };
}

static void op_iova_unmap(struct model *m)
{
	u64 addr, size, off, last;
	struct vmmem_info info;
	bool mapped = false;
	int want = 0, got;

	rnd_iova_range(m, &addr, &size);
	if (!rnd(m, 20))
		size = 0;
	if (check_add_overflow(addr, size - 1, &last) && size)
		want = -EINVAL;
	for (off = 0; !want && off < size; off += FX_P)
		mapped |= m_iova(m, addr + off)->entry != 0;
	vmmem_info(m->iova, &info);
	got = vmmem_iova_unmap(m->iova, addr, size);
	if (got != want)
		diverge(m, "iova unmap %#llx+%#llx: %d, model %d", addr, size, got, want);
	check_iova_generation(m, info.generation, !got && mapped, "iova unmap");
	for (off = 0; !got && !want && off < size; off += FX_P)
		m_iova(m, addr + off)->entry = 0;
}

static void op_iova_copy(struct model *m)
{
	u64 addr = rnd_addr(m), len = rnd(m, MAX_COPY + 1), i;
	bool write = rnd(m, 2), whole;
	u64 reach = m_iova_reach(m, addr, len, write);
	unsigned long left;

	if (write) {
		get_random_bytes(m->src, len);
		left = vmmem_copy_to_guest(m->iova, addr, m->src, len);
	} else {
		memset(m->dst, 0xa5, len);
		left = vmmem_copy_from_guest(m->iova, addr, m->dst, len);
	}
	if (left != len - reach) {
		diverge(m, "iova copy %s %#llx+%llu: %lu left, model %llu",
			write ? "to" : "from", addr, len, left, len - reach);
		return;
	}
	for (i = 0; i < reach; i++) {
		if (write)
			*m_iova_byte(m, addr + i) = m->src[i];
		else
			m->expect[i] = *m_iova_byte(m, addr + i);
	}
	if (!write && memcmp(m->dst, m->expect, reach))
		diverge(m, "iova copy from %#llx+%llu: bytes differ", addr, len);
	whole = reach == len;
	if (vmmem_check_range(m->iova, addr, len, write ? VMMEM_WRITE : VMMEM_READ) != whole)
		diverge(m, "iova check_range %#llx+%llu", addr, len);
}

/* An 8-byte load or store through the IOVA space. */
static void op_iova_single(struct model *m)
{
	u64 addr = round_down(rnd_addr(m), 8), val = get_random_u64(), want_val = 0;
	bool store = rnd(m, 2);
	unsigned int i;
	int want, got;

	want = m_iova_reach(m, addr, 8, store) == 8 ? 0 : -EFAULT;
	for (i = 0; !want && !store && i < 8; i++)
		want_val |= (u64)*m_iova_byte(m, addr + i) << (8 * i);
	if (IS_ENABLED(CONFIG_CPU_BIG_ENDIAN))
		want_val = swab64(want_val);
	got = store ? vmmem_store(m->iova, addr, val) : vmmem_load(m->iova, addr, &val);
	if (got != want) {
		diverge(m, "iova %s at %#llx: %d, model %d", store ? "store" : "load",
			addr, got, want);
		return;
	}
	if (want)
		return;
	if (store) {
		for (i = 0; i < 8; i++)
			*m_iova_byte(m, addr + i) = IS_ENABLED(CONFIG_CPU_BIG_ENDIAN) ?
				val >> (8 * (7 - i)) : val >> (8 * i);
	} else if (val != want_val) {
		diverge(m, "iova load at %#llx: %#llx, model %#llx", addr, val, want_val);
	}
}

/* Mapped ranges: runs of pages of one map that no unmap cut. */
static void op_iova_info(struct model *m)
{
	unsigned int i, ranges = 0, prev = 0;
	struct vmmem_info info;
	u64 last = 0;

	for (i = 0; i < ARRAY_SIZE(m->pages); i++) {
		if (i == WINDOW_PAGES)
			prev = 0;
		if (m->pages[i].entry && m->pages[i].entry != prev)
			ranges++;
		prev = m->pages[i].entry;
		if (prev)
			last = (i < WINDOW_PAGES ? i * FX_P :
				0 - (2 * WINDOW_PAGES - i) * FX_P) + FX_P - 1;
	}
	vmmem_info(m->iova, &info);
	if (info.nr_regions != ranges || info.last_addr != last)
		diverge(m, "iova: %u ranges to %#llx, model %u to %#llx",
			info.nr_regions, info.last_addr, ranges, last);
}

static void (* const ops[])(struct model *m) = {
	op_add, op_remove, op_update, op_copy_to, op_copy_from, op_single,
	op_range, op_slice, op_hold, op_snap_take, op_snap_read, op_snap_drop,
	op_info, op_iova_map, op_iova_unmap, op_iova_copy, op_iova_single,
	op_iova_info,
};

/* Out of 1000. */
static const unsigned int weights[] = {
	70, 50, 40, 120, 120, 130, 60, 40, 40, 30, 50, 30, 20,
	40, 30, 80, 40, 10,
};

static void vmmem_model_differential(struct kunit *test)
{
	struct model *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	u64 seed = model_seed ?: get_random_u64();
	unsigned int i, pick, op;
	struct vmmem_info info;

	static_assert(ARRAY_SIZE(weights) == ARRAY_SIZE(ops));
	static_assert(ARRAY_SIZE(op_names) == ARRAY_SIZE(ops));
	KUNIT_ASSERT_NOT_NULL(test, m);
	m->test = test;
	m->vm = fx_create(test);
	m->iova = vmmem_iova_create(m->vm, NULL, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, m->iova);
	vmmem_info(m->vm, &info);
	m->generation = info.generation;
	m->src = kunit_kmalloc(test, MAX_COPY, GFP_KERNEL);
	m->dst = kunit_kmalloc(test, MAX_COPY, GFP_KERNEL);
	m->expect = kunit_kmalloc(test, MAX_COPY, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, m->src && m->dst && m->expect);
	kunit_info(test, "seed %llu (replay: vmmem_kunit.model_seed=%llu)\n", seed, seed);
	prandom_seed_state(&m->rnd, seed);

	for (i = 0; i < MODEL_OPS && !m->diverged; i++) {
		pick = rnd(m, 1000);
		for (op = 0; pick >= weights[op]; op++)
			pick -= weights[op];
		ops[op](m);
		m->counts[op]++;
		if (i % 256 == 0)
			cond_resched();
	}
	if (m->diverged)
		kunit_info(test, "diverged at operation %u (%s)\n", i - 1, op_names[op]);

	for (op = 0; op < ARRAY_SIZE(ops); op++)
		kunit_info(test, "%s: %lu\n", op_names[op], m->counts[op]);
	KUNIT_EXPECT_EQ(test, i, MODEL_OPS);

	while (m->nsnaps)
		op_snap_drop(m);
	vmmem_iova_destroy(m->iova);
	m_drop(&m->map);
}

static struct kunit_case vmmem_model_cases[] = {
	KUNIT_CASE_SLOW(vmmem_model_differential),
	{}
};

static struct kunit_suite vmmem_model_suite = {
	.name = "vmmem_model",
	.test_cases = vmmem_model_cases,
};

kunit_test_suite(vmmem_model_suite);
