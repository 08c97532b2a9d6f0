/* SPDX-License-Identifier: MIT */
/*
 * test_mmap.c - mmap of a forwarded file and the generic consistency model:
 * guest writes reach the backend at msync/munmap, backend-side writes
 * reach the guest at msync(MS_INVALIDATE); only changed pages move.  The
 * forwarded file is a regular file the backend exports (the DRM issue
 * tests GEM buffers the same way).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <errno.h>
#include <sys/uio.h>

#include "harness.h"
#include "runner.h"
#include "vdri/frame_io.h"
#include "vdri/wire.h"

#define PAGES 16
#define PG 4096

static int fill_check(const uint8_t *p, uint8_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

/* argv[0]: the file.  Talks with the test over stdin/stdout, one step a line. */
CLIENT(mmap_client)
{
	char line[64];
	uint8_t *p;
	int fd = open(argv[0], O_RDWR);

	if (fd < 0)
		return perror("open"), 1;
	p = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return perror("mmap"), 1;
	/* 1: the backend's initial content (0x11) is visible */
	printf("initial %s\n", fill_check(p, 0x11, PAGES * PG) ? "ok" : "bad");
	/* 2: write pages 3 and 7; msync publishes them */
	memset(p + 3 * PG, 0x22, PG);
	memset(p + 7 * PG, 0x33, PG);
	printf("msync %d\n", msync(p, PAGES * PG, MS_SYNC));
	fflush(stdout);
	/* 3: the test wrote 0x44 into page 5 on the backend side */
	if (!fgets(line, sizeof(line), stdin))
		return 2;
	printf("before-invalidate %s\n", p[5 * PG] == 0x11 ? "old" : "new");
	printf("invalidate %d\n", msync(p, PAGES * PG, MS_SYNC | MS_INVALIDATE));
	printf("page5 %s\n", fill_check(p + 5 * PG, 0x44, PG) ? "ok" : "bad");
	/* 4: partial munmap is refused; a whole munmap publishes */
	printf("partial-munmap %d\n", munmap(p + PG, PG));
	memset(p + 15 * PG, 0x55, PG);
	printf("munmap %d\n", munmap(p, PAGES * PG));
	close(fd);
	return 0;
}

TEST(mmap_coherence)
{
	static char file[128], glob[160];
	const char *exports[2] = {glob, NULL}, *args[2] = {file, NULL};
	struct backd b = {0};
	struct h_proc p;
	char line[128];
	uint8_t buf[PAGES * PG];
	int fd;

	snprintf(file, sizeof(file), "/tmp/vdri-mmap-%d", getpid());
	snprintf(glob, sizeof(glob), "%s", file);
	memset(buf, 0x11, sizeof(buf));
	fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	CHECK(write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf));
	h_backd_start(&b, NULL, exports, NULL);
	h_client_start(&b, file, "mmap_client", args, &p);
	CHECK_EQ(h_proc_line(&p, line, sizeof(line), 10), 0);
	CHECK_STREQ(line, "initial ok");
	CHECK_EQ(h_proc_line(&p, line, sizeof(line), 10), 0);
	CHECK_STREQ(line, "msync 0");
	/* the backend's file now holds the guest's pages, and only those changed */
	CHECK(pread(fd, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf));
	CHECK(fill_check(buf, 0x11, 3 * PG));
	CHECK(fill_check(buf + 3 * PG, 0x22, PG));
	CHECK(fill_check(buf + 7 * PG, 0x33, PG));
	CHECK(fill_check(buf + 8 * PG, 0x11, 8 * PG));
	/* a backend-side write */
	memset(buf, 0x44, PG);
	CHECK(pwrite(fd, buf, PG, 5 * PG) == PG);
	CHECK(write(p.in, "go\n", 3) == 3);
	CHECK_EQ(h_proc_line(&p, line, sizeof(line), 10), 0);
	CHECK_STREQ(line, "before-invalidate old");
	CHECK_EQ(h_proc_line(&p, line, sizeof(line), 10), 0);
	CHECK_STREQ(line, "invalidate 0");
	CHECK_EQ(h_proc_line(&p, line, sizeof(line), 10), 0);
	CHECK_STREQ(line, "page5 ok");
	CHECK_EQ(h_proc_line(&p, line, sizeof(line), 10), 0);
	CHECK_STREQ(line, "partial-munmap -1");
	CHECK_EQ(h_proc_line(&p, line, sizeof(line), 10), 0);
	CHECK_STREQ(line, "munmap 0");
	CHECK_EQ(h_proc_wait(&p, 10), 0);
	CHECK(pread(fd, buf, PG, 15 * PG) == PG);
	CHECK(fill_check(buf, 0x55, PG));
	h_backd_stop(&b);
	close(fd);
	unlink(file);
}

/* ---- PAGES_DIFF: only what changed since the guest last saw it ---------------- */

/* One request, its reply (caller frees *rep); returns the result. */
static int64_t raw_call(int fd, uint16_t op, uint32_t handle, const void *body, uint32_t len,
			struct wire_hdr **rep)
{
	static uint32_t id = 100;
	struct wire_hdr h;
	struct iovec iov = {(void *)body, len};
	struct fio_rx rx;
	const struct wire_hdr *got;
	int r;

	wire_hdr_init(&h, op, 0, ++id, handle, len);
	CHECK_EQ(fio_send(fd, &h, &iov, 1), 0);
	CHECK_EQ(fio_rx_init(&rx, 1u << 20, 0), 0);
	do {
		r = fio_recv(&rx, fd, &got);
		CHECK_EQ(r, 1);
	} while (got->op == WIRE_OP_EVENT);
	*rep = malloc(got->len);
	memcpy(*rep, got, got->len);
	fio_rx_fini(&rx);
	return ((const struct wire_reply *)(*rep + 1))->result;
}

/* DIFF of the whole mapping: the runs as "offset/length" pairs in pages. */
static void diff_runs(int fd, uint64_t id, char *out, size_t n)
{
	struct wire_pages p = {.map_id = id, .offset = 0, .length = PAGES * PG};
	struct wire_hdr *rep;
	const uint8_t *b;
	struct wire_run run;
	uint32_t pos = 0, blen;

	CHECK_EQ(raw_call(fd, WIRE_OP_PAGES_DIFF, 0, &p, sizeof(p), &rep), PAGES * PG);
	b = (const uint8_t *)(rep + 1) + sizeof(struct wire_reply);
	blen = rep->len - WIRE_HDR_SIZE - (uint32_t)sizeof(struct wire_reply);
	out[0] = '\0';
	while (pos < blen) {
		memcpy(&run, b + pos, sizeof(run));
		snprintf(out + strlen(out), n - strlen(out), "%s%u/%u", out[0] ? " " : "",
			 (unsigned)(run.offset / PG), run.length / PG);
		pos += sizeof(run) + run.length;
	}
	free(rep);
}

TEST(pages_diff_moves_only_changed_pages)
{
	static char file[128];
	const char *exports[2] = {file, NULL};
	struct wire_mmap mm = {
	    .length = PAGES * PG, .prot = PROT_READ | PROT_WRITE, .flags = MAP_SHARED};
	struct backd b = {0};
	struct wire_hdr *rep;
	uint8_t buf[PG + 16];
	char runs[256];
	int64_t handle, id;
	int fd, s;

	snprintf(file, sizeof(file), "/tmp/vdri-diff-%d", getpid());
	fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && ftruncate(fd, PAGES * PG) == 0);
	memset(buf, 0x11, PG);
	CHECK(pwrite(fd, buf, PG, 2 * PG) == PG);
	CHECK(pwrite(fd, buf, PG, 3 * PG) == PG);
	CHECK(pwrite(fd, buf, PG, 9 * PG) == PG);
	h_backd_start(&b, NULL, exports, NULL);
	s = h_connect_raw(&b);
	CHECK_EQ(h_raw_hello(s), 0);
	{
		uint8_t o[sizeof(struct wire_open) + 128];
		struct wire_open wo = {.flags = O_RDWR, .path_len = (uint16_t)strlen(file)};

		memcpy(o, &wo, sizeof(wo));
		memcpy(o + sizeof(wo), file, wo.path_len);
		handle = raw_call(s, WIRE_OP_OPEN, 0, o, sizeof(wo) + wo.path_len, &rep);
		free(rep);
	}
	CHECK(handle > 0);
	id = raw_call(s, WIRE_OP_MMAP, (uint32_t)handle, &mm, sizeof(mm), &rep);
	free(rep);
	CHECK(id > 0);
	/* the guest starts with zeros: only the non-zero pages move */
	diff_runs(s, (uint64_t)id, runs, sizeof(runs));
	CHECK_STREQ(runs, "2/2 9/1");
	diff_runs(s, (uint64_t)id, runs, sizeof(runs));
	CHECK_STREQ(runs, "");
	/* a device-side write moves that page alone */
	memset(buf, 0x44, PG);
	CHECK(pwrite(fd, buf, PG, 5 * PG) == PG);
	diff_runs(s, (uint64_t)id, runs, sizeof(runs));
	CHECK_STREQ(runs, "5/1");
	/* what the guest published is what it has: not sent back */
	{
		struct wire_pages pw = {.map_id = (uint64_t)id, .offset = 7 * PG};

		memcpy(buf, &pw, 16);
		memset(buf + 16, 0x55, PG);
		CHECK_EQ(raw_call(s, WIRE_OP_PAGES_WRITE, 0, buf, 16 + PG, &rep), PG);
		free(rep);
	}
	diff_runs(s, (uint64_t)id, runs, sizeof(runs));
	CHECK_STREQ(runs, "");
	/* bad ranges */
	{
		struct wire_pages bad = {.map_id = (uint64_t)id, .offset = 100, .length = PG};

		CHECK_EQ(raw_call(s, WIRE_OP_PAGES_DIFF, 0, &bad, sizeof(bad), &rep), -EINVAL);
		free(rep);
		bad.offset = 0;
		bad.length = (PAGES + 1) * PG;
		CHECK_EQ(raw_call(s, WIRE_OP_PAGES_DIFF, 0, &bad, sizeof(bad), &rep), -EINVAL);
		free(rep);
	}
	close(s);
	h_backd_stop(&b);
	close(fd);
	unlink(file);
}
