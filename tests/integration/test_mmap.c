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

#include "harness.h"
#include "runner.h"

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
