// SPDX-License-Identifier: GPL-2.0-only
/*
 * vdpa_bench - two virtio block devices side by side, in one guest: the
 * vdpa lane's benchmark of samples/vmmem_vdpa_blk against the kernel's
 * vdpa_sim_blk, both under virtio_vdpa and virtio_blk.
 *
 * Rows: sequential and random, 4 KiB and 64 KiB, O_DIRECT reads and
 * writes (one request at a time). Each row runs for a fixed time on one
 * device, then on the other, REPEATS times (A B A B ...), so that drift
 * of the emulated machine falls on both. Per run: requests per second and
 * the busy CPU time of the whole guest per request (from /proc/stat: the
 * devices work in kernel threads, which a process's own times miss).
 * Printed per row: medians of both, and the median of the per-repeat
 * ratios. Under software emulation only the ratios mean something.
 *
 * Output: a table, then "bench: vdpa_<row>_<figure> <value> <unit>"
 * lines. Usage: vdpa_bench VMMEM_DEV SIM_DEV [BYTES]; BYTES is the range
 * used on both (default 64 MiB, the smaller disk).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/types.h>

#define REPEATS		5
#define RUN_SECONDS	0.4
#define MAX_REQ		(64u << 10)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

struct row {
	const char *name;
	unsigned int size;
	bool random;
	bool write;
};

static const struct row rows[] = {
	{ "seq_read_4k",	4096,	false,	false },
	{ "seq_write_4k",	4096,	false,	true },
	{ "rand_read_4k",	4096,	true,	false },
	{ "rand_write_4k",	4096,	true,	true },
	{ "seq_read_64k",	65536,	false,	false },
	{ "seq_write_64k",	65536,	false,	true },
	{ "rand_read_64k",	65536,	true,	false },
	{ "rand_write_64k",	65536,	true,	true },
};

struct result {
	double rps;		/* requests per second */
	double cpu_us;		/* busy CPU time per request, microseconds */
};

static __u64 rng_state = 0x20261203ull;

static __u64 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Busy time of all CPUs, in clock ticks: all but idle and iowait. */
static double busy_ticks(void)
{
	unsigned long long v[10] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (!f)
		return 0;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
		   &v[8], &v[9]);
	fclose(f);
	if (n < 7)
		return 0;
	/* user nice system [idle iowait] irq softirq steal */
	return v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
}

static int run(int fd, const struct row *r, __u64 bytes, void *buf,
	       struct result *res)
{
	__u64 blocks = bytes / r->size, next = 0, count = 0, off;
	double start, end, ticks;
	ssize_t n;

	ticks = busy_ticks();
	start = now();
	do {
		off = (r->random ? rng() % blocks : next++ % blocks) * r->size;
		n = r->write ? pwrite(fd, buf, r->size, off) :
			       pread(fd, buf, r->size, off);
		if (n != (ssize_t)r->size) {
			printf("vdpa_bench: %s at %llu: %s\n", r->name,
			       (unsigned long long)off,
			       n < 0 ? strerror(errno) : "short");
			return -1;
		}
		count++;
		end = now();
	} while (end - start < RUN_SECONDS);
	ticks = busy_ticks() - ticks;
	res->rps = count / (end - start);
	res->cpu_us = ticks * 1e6 / sysconf(_SC_CLK_TCK) / count;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	double rps[2][REPEATS], cpu[2][REPEATS], rps_ratio[REPEATS];
	double cpu_ratio[REPEATS];
	__u64 bytes = 64ull << 20;
	struct result res;
	unsigned int i;
	int fd[2], d, k;
	void *buf;

	if (argc < 3) {
		fprintf(stderr, "usage: vdpa_bench VMMEM_DEV SIM_DEV [BYTES]\n");
		return 2;
	}
	if (argc > 3)
		bytes = strtoull(argv[3], NULL, 0);
	for (d = 0; d < 2; d++) {
		fd[d] = open(argv[1 + d], O_RDWR | O_DIRECT);
		if (fd[d] < 0) {
			printf("vdpa_bench: %s: %s\n", argv[1 + d],
			       strerror(errno));
			return 1;
		}
	}
	if (posix_memalign(&buf, 4096, MAX_REQ))
		return 1;
	for (i = 0; i < MAX_REQ; i++)
		((unsigned char *)buf)[i] = rng();

	printf("# vdpa bench: %s (vmmem) vs %s (vdpa_sim_blk)\n", argv[1],
	       argv[2]);
	printf("# %u runs of %.1f s per row and device, O_DIRECT, one request at a time\n",
	       REPEATS, RUN_SECONDS);
	printf("# %-15s %12s %12s %10s %12s %12s %10s\n", "row",
	       "vmmem req/s", "sim req/s", "vmmem/sim", "vmmem us/req",
	       "sim us/req", "sim/vmmem");
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		const struct row *r = &rows[i];
		double mb;

		for (k = 0; k < REPEATS; k++) {
			/* A B, then B A: neither always goes first. */
			for (d = 0; d < 2; d++) {
				int dev = k % 2 ? 1 - d : d;

				if (run(fd[dev], r, bytes, buf, &res))
					return 1;
				rps[dev][k] = res.rps;
				cpu[dev][k] = res.cpu_us;
			}
			rps_ratio[k] = rps[0][k] / rps[1][k];
			cpu_ratio[k] = cpu[0][k] ? cpu[1][k] / cpu[0][k] : 0;
		}
		printf("# %-15s %12.0f %12.0f %10.2f %12.1f %12.1f %10.2f\n",
		       r->name, median(rps[0], REPEATS), median(rps[1], REPEATS),
		       median(rps_ratio, REPEATS), median(cpu[0], REPEATS),
		       median(cpu[1], REPEATS), median(cpu_ratio, REPEATS));
		mb = median(rps[0], REPEATS) * r->size / 1e6;
		printf("bench: vdpa_%s_vmmem_vs_sim %.3f ratio\n", r->name,
		       median(rps_ratio, REPEATS));
		printf("bench: vdpa_%s_cpu_sim_vs_vmmem %.3f ratio\n", r->name,
		       median(cpu_ratio, REPEATS));
		printf("bench: vdpa_%s_vmmem %.1f MB/s\n", r->name, mb);
		printf("bench: vdpa_%s_sim %.1f MB/s\n", r->name,
		       median(rps[1], REPEATS) * r->size / 1e6);
	}
	close(fd[0]);
	close(fd[1]);
	free(buf);
	return 0;
}
