/* SPDX-License-Identifier: MIT */
/*
 * test_guest.c - per-guest identity and policy (isolation/guest.h): the
 * directives of a guest block and their errors, the checks at "end",
 * matching a connection to a block, the guest's paths, and the per-guest
 * ioctl verdict against the real DRM descriptors (M_F_DISPLAY).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drm.h>
#include <drm_mode.h>

#include "isolation/guest.h"
#include "runner.h"
#include "vdri/classes.h"

#define TOKEN_A "secret-token-aaaa"
#define TOKEN_B "secret-token-bbbb"

/* A guest from "key value" lines; fails the test on a refused directive. */
static void guest_from(struct iso_guest *g, const char *name, const char *const *lines)
{
	char err[256], key[64];

	iso_guest_init(g, name, 1);
	for (; *lines; lines++) {
		size_t k = strcspn(*lines, " ");

		snprintf(key, sizeof(key), "%.*s", (int)k, *lines);
		if (iso_guest_directive(g, key, *lines + k + ((*lines)[k] ? 1 : 0), err,
					sizeof(err)))
			FAILF("'%s' refused: %s", *lines, err);
	}
}

/* A directive that must be refused with a reason containing want. */
static void bad(struct iso_guest *g, const char *key, const char *val, const char *want)
{
	char err[256] = "";

	if (iso_guest_directive(g, key, val, err, sizeof(err)) != -EINVAL)
		FAILF("'%s %s' accepted", key, val ? val : "(null)");
	if (!strstr(err, want))
		FAILF("'%s %s': reason '%s' lacks '%s'", key, val ? val : "(null)", err, want);
}

static void policy_init(struct iso_policy *p, const char *const *exports)
{
	memset(p, 0, sizeof(*p));
	for (; exports && *exports; exports++)
		CHECK_EQ(iso_policy_add_export(p, *exports), 0);
}

static int finish(struct iso_guest *g, const struct iso_policy *p, char *err, size_t len)
{
	err[0] = '\0';
	return iso_guest_finish(g, p, err, len);
}

/* ---- directives ------------------------------------------------------- */

TEST(defaults)
{
	struct iso_guest g;

	iso_guest_init(&g, "vm1", 7);
	CHECK_STREQ(g.name, "vm1");
	CHECK_EQ(g.line, 7);
	CHECK_EQ(g.role, ISO_ROLE_DISPLAY);
	CHECK(g.mem[ISO_DOM_SYSTEM] == ISO_UNLIMITED);
	CHECK(g.mem[ISO_DOM_VRAM] == ISO_UNLIMITED);
	CHECK_EQ(g.max_files, 1024);
	CHECK_EQ(g.max_inflight, 0);
	CHECK_EQ(g.max_call_bytes, 0);
	CHECK_EQ(g.max_call_buffers, 0);
	CHECK_EQ(g.flink, ISO_FLINK_OWN);
	CHECK_STREQ(iso_role_name(ISO_ROLE_RENDER), "render");
	CHECK_STREQ(iso_dom_name(ISO_DOM_VRAM), "vram");
	CHECK_STREQ(iso_dom_name(ISO_DOM_SYSTEM), "system");
}

TEST(directives_good)
{
	static const char *const lines[] = {
	    "token " TOKEN_A,
	    "role render",
	    "open /dev/dri/renderD*",
	    "open /dev/dri/card0",
	    "memory system 256M",
	    "memory vram 0",
	    "max-files 64",
	    "max-inflight 32",
	    "max-call-bytes 1M",
	    "max-call-buffers 128",
	    "allow-ioctl 0x12345678",
	    "allow-ioctl DRM_IOCTL_MODE_SETCRTC",
	    "deny-ioctl DRM_IOCTL_I915_GEM_EXECBUFFER2",
	    "deny-ioctl TIOCGPTN",
	    "flink deny",
	    NULL,
	};
	struct iso_guest g;
	uint32_t cmd;

	guest_from(&g, "r", lines);
	CHECK(g.has_token);
	CHECK_EQ(g.token_len, strlen(TOKEN_A));
	CHECK(!memcmp(g.token, TOKEN_A, g.token_len));
	CHECK_EQ(g.role, ISO_ROLE_RENDER);
	CHECK_EQ(g.nopens, 2);
	CHECK_STREQ(g.opens[1], "/dev/dri/card0");
	CHECK(g.mem[ISO_DOM_SYSTEM] == 256ull << 20);
	CHECK(g.mem[ISO_DOM_VRAM] == 0);
	CHECK_EQ(g.max_files, 64);
	CHECK_EQ(g.max_inflight, 32);
	CHECK_EQ(g.max_call_bytes, 1u << 20);
	CHECK_EQ(g.max_call_buffers, 128);
	CHECK_EQ(g.nallow, 2);
	CHECK_EQ(g.allow[0], 0x12345678u);
	CHECK_EQ(g.allow[1], DRM_IOCTL_MODE_SETCRTC);
	CHECK_EQ(g.ndeny, 2);
	CHECK_EQ(iso_ioctl_by_name("DRM_IOCTL_I915_GEM_EXECBUFFER2", &cmd), 0);
	CHECK_EQ(g.deny[0], cmd);
	CHECK_EQ(g.flink, ISO_FLINK_DENY);

	guest_from(&g, "d",
		   (const char *const[]){"uid 0", "master /dev/dri/card*", "memory gtt 2G",
					 "memory vram unlimited", "cid 4294967294", NULL});
	CHECK(g.has_uid && g.uid == 0);
	CHECK(g.has_cid && g.cid == 4294967294u);
	CHECK_EQ(g.nmasters, 1);
	CHECK(g.mem[ISO_DOM_SYSTEM] == 2ull << 30);
	CHECK(g.mem[ISO_DOM_VRAM] == ISO_UNLIMITED);
	guest_from(&g, "t",
		   (const char *const[]){"addr ::1", "match any", "memory system 4k", NULL});
	CHECK(g.has_addr && g.match_any);
	CHECK(g.mem[ISO_DOM_SYSTEM] == 4096);
}

TEST(ioctl_names)
{
	uint32_t cmd = 0;

	CHECK_EQ(iso_ioctl_by_name("DRM_IOCTL_MODE_SETCRTC", &cmd), 0);
	CHECK_EQ(cmd, DRM_IOCTL_MODE_SETCRTC);
	CHECK_EQ(iso_ioctl_by_name("DRM_IOCTL_SET_MASTER", &cmd), 0);
	CHECK_EQ(cmd, DRM_IOCTL_SET_MASTER);
	CHECK_EQ(iso_ioctl_by_name("DRM_IOCTL_MODE_ATOMIC", &cmd), 0);
	CHECK_EQ(cmd, DRM_IOCTL_MODE_ATOMIC);
	CHECK_EQ(iso_ioctl_by_name("DMA_BUF_IOCTL_SYNC", &cmd), 0);
	CHECK_EQ(iso_ioctl_by_name("DRM_IOCTL_VIRTGPU_EXECBUFFER", &cmd), 0); /* a driver's */
	CHECK_EQ(iso_ioctl_by_name("TIOCGPTN", &cmd), 0);		      /* another class */
	CHECK_EQ(iso_ioctl_by_name("DRM_IOCTL_NO_SUCH", &cmd), -ENOENT);
	CHECK_EQ(iso_ioctl_by_name("", &cmd), -ENOENT);
	/* every descriptor is named by its macro, not by the macro's expansion */
	for (const struct vdri_class *const *c = vdri_classes; *c; c++)
		for (uint32_t t = 0; t < (*c)->ntables; t++)
			for (uint32_t i = 0; i < (*c)->tables[t]->count; i++) {
				const char *n = (*c)->tables[t]->ioctls[i].name;

				if (!n || strchr(n, '(') || strchr(n, ' '))
					FAILF("%s: entry %u named '%s'", (*c)->name, i,
					      n ? n : "(null)");
			}
}

TEST(directive_errors)
{
	struct iso_guest g;

	iso_guest_init(&g, "x", 1);
	bad(&g, "token", "", "needs a value");
	bad(&g, "token", NULL, "needs a value");
	bad(&g, "token", "short", "5 bytes, want 8 to 256");
	bad(&g, "token", "has spaces in it", "printable characters without spaces");
	bad(&g, "uid", "-1", "not a number");
	bad(&g, "uid", "4294967295", "not a number");
	bad(&g, "uid", "12x", "not a number");
	bad(&g, "cid", "any", "not a number");
	bad(&g, "addr", "example.com", "not an IPv4 or IPv6 address");
	bad(&g, "addr", "[::1]", "not an IPv4 or IPv6 address");
	bad(&g, "match", "all", "only 'match any'");
	bad(&g, "role", "admin", "role must be render or display");
	bad(&g, "open", "dev/dri/card0", "not an absolute canonical path glob");
	bad(&g, "open", "/dev/dri/../sda", "not an absolute canonical path glob");
	bad(&g, "master", "/dev/dri//card0", "not an absolute canonical path glob");
	bad(&g, "memory", "vram", "not a size");
	bad(&g, "memory", "hbm 1G", "the domain is system, gtt or vram");
	bad(&g, "memory", "system 1T", "not a size");
	bad(&g, "memory", "system -1", "not a size");
	bad(&g, "memory", "system 99999999999999999999", "not a size");
	bad(&g, "memory", "system 17179869184G", "not a size"); /* 2^64: overflows */
	bad(&g, "max-files", "0", "not a number in 1..65536");
	bad(&g, "max-files", "65537", "not a number in 1..65536");
	bad(&g, "max-inflight", "4097", "not a number in 1..4096");
	bad(&g, "max-call-bytes", "1K", "not a number in 4096..67108864");
	bad(&g, "max-call-bytes", "65M", "not a number in 4096..67108864");
	bad(&g, "max-call-buffers", "0", "not a number in 1..4096");
	bad(&g, "allow-ioctl", "DRM_IOCTL_NOPE", "unknown ioctl 'DRM_IOCTL_NOPE'");
	bad(&g, "deny-ioctl", "0", "not a 32-bit ioctl number");
	bad(&g, "deny-ioctl", "0x100000000", "not a 32-bit ioctl number");
	bad(&g, "flink", "share", "flink must be own or deny");
	bad(&g, "export", "/dev/dri/*", "unknown directive 'export' in guest 'x'");
	/* nothing refused has changed the block */
	CHECK(!g.has_token && !g.has_uid && !g.has_addr && !g.nopens && !g.nallow && !g.ndeny);
	CHECK(g.mem[ISO_DOM_SYSTEM] == ISO_UNLIMITED);

	/* given twice, lists full, allow and deny at once */
	guest_from(&g, "x",
		   (const char *const[]){"token " TOKEN_A, "uid 1", "role render", "memory vram 1M",
					 "max-files 2", "allow-ioctl DRM_IOCTL_MODE_SETCRTC",
					 NULL});
	bad(&g, "token", TOKEN_B, "'token/token-file' given twice");
	bad(&g, "uid", "2", "'uid' given twice");
	bad(&g, "role", "display", "'role' given twice");
	bad(&g, "memory", "vram 2M", "memory vram given twice");
	bad(&g, "max-files", "3", "'max-files' given twice");
	bad(&g, "deny-ioctl", "DRM_IOCTL_MODE_SETCRTC", "in both allow-ioctl and deny-ioctl");
	bad(&g, "allow-ioctl", "DRM_IOCTL_MODE_SETCRTC", "listed twice");
	CHECK(g.mem[ISO_DOM_VRAM] == 1u << 20);
	CHECK_EQ(g.uid, 1);
	iso_guest_init(&g, "x", 1);
	for (int i = 0; i < ISO_GUEST_GLOBS; i++)
		CHECK_EQ(iso_guest_directive(&g, "open", "/dev/dri/card0", (char[64]){0}, 64), 0);
	bad(&g, "open", "/dev/dri/card1", "too many open lines (max 16)");
	for (uint32_t i = 0; i < ISO_GUEST_IOCTLS; i++) {
		char num[16];

		snprintf(num, sizeof(num), "%u", 1000 + i);
		CHECK_EQ(iso_guest_directive(&g, "deny-ioctl", num, (char[64]){0}, 64), 0);
	}
	bad(&g, "deny-ioctl", "0x7777", "too many deny-ioctl lines (max 32)");
}

TEST(guest_names)
{
	char err[128];

	CHECK_EQ(iso_guest_name_check("render-vm_1.a", err, sizeof(err)), 0);
	CHECK_EQ(iso_guest_name_check("", err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "1 to 63 bytes"));
	CHECK_EQ(iso_guest_name_check("two words", err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "only letters, digits"));
	CHECK_EQ(
	    iso_guest_name_check("0123456789012345678901234567890123456789012345678901234567890123",
				 err, sizeof(err)),
	    -EINVAL);
}

/* ---- token files -------------------------------------------------------- */

static void write_file(const char *path, const char *content, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	CHECK(fd >= 0);
	CHECK_EQ(write(fd, content, len), (long long)len);
	close(fd);
}

TEST(token_file)
{
	char dir[] = "/tmp/vdri-guest-XXXXXX", path[128], big[300];
	struct iso_guest g;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/token", dir);

	write_file(path, TOKEN_A "\n", strlen(TOKEN_A) + 1);
	iso_guest_init(&g, "f", 1);
	CHECK_EQ(iso_guest_directive(&g, "token-file", path, (char[128]){0}, 128), 0);
	CHECK_EQ(g.token_len, strlen(TOKEN_A));
	CHECK(!memcmp(g.token, TOKEN_A, g.token_len));

	/* CR LF: both stripped; binary content and inner spaces are fine in a file */
	write_file(path,
		   "a b\0c\xff"
		   "defg\r\n",
		   12);
	iso_guest_init(&g, "f", 1);
	CHECK_EQ(iso_guest_directive(&g, "token-file", path, (char[128]){0}, 128), 0);
	CHECK_EQ(g.token_len, 10);
	CHECK(!memcmp(g.token,
		      "a b\0c\xff"
		      "defg",
		      10));
	bad(&g, "token", TOKEN_A, "given twice");

	/* only one newline is stripped */
	write_file(path, "12345678\n\n", 10);
	iso_guest_init(&g, "f", 1);
	CHECK_EQ(iso_guest_directive(&g, "token-file", path, (char[128]){0}, 128), 0);
	CHECK_EQ(g.token_len, 9);

	write_file(path, "1234567\n", 8);
	iso_guest_init(&g, "f", 1);
	bad(&g, "token-file", path, "7 bytes, want 8 to 256");
	memset(big, 'x', sizeof(big));
	write_file(path, big, sizeof(big));
	iso_guest_init(&g, "f", 1);
	bad(&g, "token-file", path, "or more, want 8 to 256");
	write_file(path, big, 256);
	iso_guest_init(&g, "f", 1);
	CHECK_EQ(iso_guest_directive(&g, "token-file", path, (char[128]){0}, 128), 0);
	CHECK_EQ(g.token_len, 256);

	iso_guest_init(&g, "f", 1);
	bad(&g, "token-file", "relative/token", "must be an absolute path");
	bad(&g, "token-file", dir, "not a regular file");
	unlink(path);
	bad(&g, "token-file", path, "No such file");
	CHECK(!g.has_token);
	rmdir(dir);
}

/* ---- end of a block ------------------------------------------------------ */

static void finish_bad(const char *const *lines, const struct iso_policy *p, const char *want)
{
	struct iso_guest g;
	char err[256];

	guest_from(&g, "g", lines);
	if (finish(&g, p, err, sizeof(err)) != -EINVAL)
		FAILF("block '%s'... finished", lines[0] ? lines[0] : "(empty)");
	if (!strstr(err, want))
		FAILF("reason '%s' lacks '%s'", err, want);
}

TEST(finish_checks)
{
	static const char *const exports[] = {"/dev/dri/card*", "/dev/dri/renderD*", NULL};
	struct iso_policy p;
	struct iso_guest g;
	char err[256];

	policy_init(&p, exports);
	finish_bad((const char *const[]){"role render", NULL}, &p, "has no identity");
	finish_bad((const char *const[]){"match any", "uid 0", NULL}, &p,
		   "'match any' with other identity criteria");
	finish_bad((const char *const[]){"uid 0", "cid 3", NULL}, &p, "different transports");
	finish_bad((const char *const[]){"addr 10.0.0.1", "uid 0", NULL}, &p,
		   "different transports");
	/* master before role: checked at the end, whatever the order */
	finish_bad((const char *const[]){"uid 0", "master /dev/dri/card0", "role render", NULL}, &p,
		   "master is only for role display");
	finish_bad((const char *const[]){"uid 0", "open /dev/sda", NULL}, &p,
		   "open /dev/sda matches no export");
	finish_bad(
	    (const char *const[]){"uid 0", "open /dev/dri/renderD*", "master /dev/dri/card0", NULL},
	    &p, "master /dev/dri/card0 is not a path it may open");
	finish_bad((const char *const[]){"uid 0", "master /dev/fb0", NULL}, &p,
		   "master /dev/fb0 is not a path it may open");

	/* good blocks; globs are not compared with exports, literal paths are */
	guest_from(&g, "g",
		   (const char *const[]){"token " TOKEN_A, "uid 5", "open /dev/dri/card0",
					 "open /dev/xyz*", "master /dev/dri/card0", NULL});
	CHECK_EQ(finish(&g, &p, err, sizeof(err)), 0);
	guest_from(&g, "g", (const char *const[]){"match any", NULL});
	CHECK_EQ(finish(&g, &p, err, sizeof(err)), 0);
	/* no export known yet (they may follow the block): literal paths pass */
	iso_policy_fini(&p);
	guest_from(&g, "g", (const char *const[]){"cid 3", "open /dev/sda", NULL});
	CHECK_EQ(finish(&g, &p, err, sizeof(err)), 0);
}

TEST(clashes)
{
	struct iso_guest gs[3];
	char err[256];

	guest_from(&gs[0], "a", (const char *const[]){"token " TOKEN_A, NULL});
	gs[0].line = 3;
	guest_from(&gs[1], "b", (const char *const[]){"uid 0", NULL});
	guest_from(&gs[2], "a", (const char *const[]){"uid 1", NULL});
	CHECK_EQ(iso_guest_clash(gs, 2, &gs[2], err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "guest 'a' is already defined at line 3"));
	guest_from(&gs[2], "c", (const char *const[]){"token " TOKEN_A, "uid 0", NULL});
	CHECK_EQ(iso_guest_clash(gs, 2, &gs[2], err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "same token as guest 'a' (line 3)"));
	CHECK(!strstr(err, TOKEN_A)); /* a secret never goes to a message */
	guest_from(&gs[2], "c", (const char *const[]){"token " TOKEN_B, "uid 0", NULL});
	CHECK_EQ(iso_guest_clash(gs, 2, &gs[2], err, sizeof(err)), 0);
}

/* ---- matching ------------------------------------------------------------ */

static const struct iso_guest *match(const struct iso_guest *gs, int n, enum iso_id_kind kind,
				     uint32_t num, const char *addr, const char *token)
{
	struct iso_ident id = {.kind = kind,
			       .uid = num,
			       .cid = num,
			       .addr = addr,
			       .token = (const uint8_t *)token,
			       .token_len = token ? strlen(token) : 0,
			       .name = "test"};

	return iso_guest_match(gs, n, &id);
}

TEST(matching)
{
	struct iso_guest gs[6];

	guest_from(&gs[0], "tok", (const char *const[]){"token " TOKEN_A, NULL});
	guest_from(&gs[1], "tok-uid", (const char *const[]){"token " TOKEN_B, "uid 1000", NULL});
	guest_from(&gs[2], "root", (const char *const[]){"uid 0", NULL});
	guest_from(&gs[3], "vm3", (const char *const[]){"cid 3", NULL});
	guest_from(&gs[4], "lan", (const char *const[]){"addr 10.0.2.15", NULL});
	guest_from(&gs[5], "rest", (const char *const[]){"match any", NULL});

	/* token alone, on any transport */
	CHECK(match(gs, 6, ISO_ID_TCP, 0, "192.0.2.1", TOKEN_A) == &gs[0]);
	CHECK(match(gs, 6, ISO_ID_SERIAL, 0, NULL, TOKEN_A) == &gs[0]);
	/* a wrong, short, longer or missing token falls through */
	CHECK(match(gs, 5, ISO_ID_TCP, 0, "192.0.2.1", "secret-token-aaab") == NULL);
	CHECK(match(gs, 5, ISO_ID_TCP, 0, "192.0.2.1", "secret-token-aaa") == NULL);
	CHECK(match(gs, 5, ISO_ID_TCP, 0, "192.0.2.1", TOKEN_A "a") == NULL);
	CHECK(match(gs, 5, ISO_ID_TCP, 0, "192.0.2.1", NULL) == NULL);
	CHECK(match(gs, 6, ISO_ID_TCP, 0, "192.0.2.1", "wrong-token") == &gs[5]);
	/* token and uid: both must hold */
	CHECK(match(gs, 6, ISO_ID_UNIX, 1000, NULL, TOKEN_B) == &gs[1]);
	CHECK(match(gs, 6, ISO_ID_UNIX, 1001, NULL, TOKEN_B) == &gs[5]);
	CHECK(match(gs, 6, ISO_ID_VSOCK, 1000, NULL, TOKEN_B) == &gs[5]);
	/* uid only for unix peers, cid only for vsock */
	CHECK(match(gs, 6, ISO_ID_UNIX, 0, NULL, NULL) == &gs[2]);
	CHECK(match(gs, 6, ISO_ID_VSOCK, 0, NULL, NULL) == &gs[5]);
	CHECK(match(gs, 6, ISO_ID_VSOCK, 3, NULL, NULL) == &gs[3]);
	CHECK(match(gs, 6, ISO_ID_UNIX, 3, NULL, NULL) == &gs[5]);
	/* addr: v4, v4-mapped v6, not a neighbour, not without an address */
	CHECK(match(gs, 6, ISO_ID_TCP, 0, "10.0.2.15", NULL) == &gs[4]);
	CHECK(match(gs, 6, ISO_ID_TCP, 0, "::ffff:10.0.2.15", NULL) == &gs[4]);
	CHECK(match(gs, 6, ISO_ID_TCP, 0, "10.0.2.16", NULL) == &gs[5]);
	CHECK(match(gs, 6, ISO_ID_TCP, 0, NULL, NULL) == &gs[5]);
	CHECK(match(gs, 6, ISO_ID_UNIX, 7, "10.0.2.15", NULL) == &gs[5]);
	/* order: the first block that matches wins */
	CHECK(match(gs, 6, ISO_ID_UNIX, 0, NULL, TOKEN_A) == &gs[0]);
	CHECK(match(&gs[2], 4, ISO_ID_UNIX, 0, NULL, TOKEN_A) == &gs[2]);
	CHECK(match(&gs[5], 1, ISO_ID_UNIX, 0, NULL, NULL) == &gs[5]);
	CHECK(match(gs, 0, ISO_ID_UNIX, 0, NULL, NULL) == NULL);

	guest_from(&gs[0], "v6", (const char *const[]){"addr 2001:db8::1", NULL});
	CHECK(match(gs, 1, ISO_ID_TCP, 0, "2001:db8:0::1", NULL) == &gs[0]);
	CHECK(match(gs, 1, ISO_ID_TCP, 0, "2001:db8::2", NULL) == NULL);
	CHECK(match(gs, 1, ISO_ID_TCP, 0, "garbage", NULL) == NULL);
}

/* ---- paths --------------------------------------------------------------- */

TEST(may_open)
{
	static const char *const exports[] = {"/dev/dri/card*", "/dev/dri/renderD*", NULL};
	struct iso_policy p;
	struct iso_guest g;
	const char *why = NULL;

	policy_init(&p, exports);
	guest_from(&g, "r", (const char *const[]){"uid 0", "open /dev/dri/renderD*", NULL});
	CHECK_EQ(iso_guest_may_open(&g, &p, "/dev/dri/renderD128", &why), 0);
	CHECK_EQ(iso_guest_may_open(&g, &p, "/dev/dri/card0", &why), -EACCES);
	CHECK_STREQ(why, "path is not among this guest's opens");
	CHECK_EQ(iso_guest_may_open(NULL, &p, "/dev/dri/card0", &why), 0);
	/* the exports first: a guest glob cannot widen them */
	guest_from(&g, "w", (const char *const[]){"uid 0", "open /dev/*", NULL});
	CHECK_EQ(iso_guest_may_open(&g, &p, "/dev/sda", &why), -EACCES);
	CHECK_STREQ(why, "path is not exported");
	/* FNM_PATHNAME: '*' does not cross '/' */
	CHECK_EQ(iso_guest_may_open(&g, &p, "/dev/dri/card1", &why), -EACCES);
	CHECK_STREQ(why, "path is not among this guest's opens");
	/* non-canonical paths never match, whatever the globs say */
	CHECK_EQ(iso_guest_may_open(&g, &p, "/dev/dri/../dri/card0", &why), -EINVAL);
	CHECK_EQ(iso_guest_may_open(&g, &p, "/dev/dri//card0", &why), -EINVAL);
	CHECK_EQ(iso_guest_may_open(&g, &p, "dev/dri/card0", &why), -EINVAL);
	/* no open lines: every export */
	guest_from(&g, "all", (const char *const[]){"uid 0", NULL});
	CHECK_EQ(iso_guest_may_open(&g, &p, "/dev/dri/card0", &why), 0);
	CHECK_EQ(iso_guest_may_open(&g, &p, "/dev/dri/renderD129", &why), 0);
	iso_policy_fini(&p);
}

TEST(may_display)
{
	struct iso_guest g;

	CHECK(iso_guest_may_display(NULL, "/dev/dri/card0"));
	guest_from(&g, "d", (const char *const[]){"uid 0", NULL});
	CHECK(iso_guest_may_display(&g, "/dev/dri/card0"));
	CHECK(iso_guest_may_display(&g, "/dev/dri/card1"));
	guest_from(&g, "d", (const char *const[]){"uid 0", "master /dev/dri/card0", NULL});
	CHECK(iso_guest_may_display(&g, "/dev/dri/card0"));
	CHECK(!iso_guest_may_display(&g, "/dev/dri/card1"));
	CHECK(!iso_guest_may_display(&g, "/dev/dri/renderD128"));
	guest_from(&g, "r", (const char *const[]){"uid 0", "role render", NULL});
	CHECK(!iso_guest_may_display(&g, "/dev/dri/card0"));
}

/* ---- verdicts ------------------------------------------------------------ */

static const struct m_ioctl *drm_desc(uint32_t cmd)
{
	const struct vdri_class *c = vdri_class_by_name("drm");

	CHECK(c != NULL);
	return vdri_class_lookup(c, NULL, cmd);
}

static enum iso_verdict verdict(const struct iso_policy *p, const struct iso_guest *g, uint32_t cmd,
				int display_file, int *err, const char **why)
{
	return iso_guest_ioctl_verdict(p, g, drm_desc(cmd), cmd, display_file, err, why);
}

TEST(display_flags)
{
	static const uint32_t display[] = {
	    DRM_IOCTL_SET_MASTER,     DRM_IOCTL_DROP_MASTER,	   DRM_IOCTL_AUTH_MAGIC,
	    DRM_IOCTL_MODE_SETCRTC,   DRM_IOCTL_MODE_CURSOR,	   DRM_IOCTL_MODE_CURSOR2,
	    DRM_IOCTL_MODE_SETGAMMA,  DRM_IOCTL_MODE_SETPROPERTY,  DRM_IOCTL_MODE_OBJ_SETPROPERTY,
	    DRM_IOCTL_MODE_PAGE_FLIP, DRM_IOCTL_MODE_DIRTYFB,	   DRM_IOCTL_MODE_SETPLANE,
	    DRM_IOCTL_MODE_ATOMIC,    DRM_IOCTL_MODE_CREATE_LEASE, DRM_IOCTL_MODE_REVOKE_LEASE,
	};
	static const uint32_t other[] = {
	    DRM_IOCTL_VERSION,	     DRM_IOCTL_GET_MAGIC,	  DRM_IOCTL_MODE_GETRESOURCES,
	    DRM_IOCTL_MODE_GETCRTC,  DRM_IOCTL_MODE_ADDFB2,	  DRM_IOCTL_MODE_CREATE_DUMB,
	    DRM_IOCTL_MODE_GETPLANE, DRM_IOCTL_MODE_LIST_LESSEES, DRM_IOCTL_PRIME_HANDLE_TO_FD,
	    DRM_IOCTL_SYNCOBJ_WAIT,  DRM_IOCTL_GEM_CLOSE,	  DRM_IOCTL_MODE_GETGAMMA,
	};
	const struct vdri_class *c = vdri_class_by_name("drm");

	for (size_t i = 0; i < sizeof(display) / sizeof(display[0]); i++) {
		const struct m_ioctl *d = drm_desc(display[i]);

		CHECK(d != NULL);
		if (!(d->flags & M_F_DISPLAY))
			FAILF("%s lacks M_F_DISPLAY", d->name);
	}
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		const struct m_ioctl *d = drm_desc(other[i]);

		CHECK(d != NULL);
		if (d->flags & M_F_DISPLAY)
			FAILF("%s has M_F_DISPLAY", d->name);
	}
	CHECK(vdri_class_variant(c, DRM_IOCTL_MODE_ATOMIC)->flags & M_F_DISPLAY);
	CHECK(M_F_DISPLAY >> M_F_CLASS_SHIFT); /* a class flag: the engine ignores it */
}

TEST(verdict_render_guest)
{
	struct iso_policy p = {0};
	struct iso_guest g;
	const char *why;
	int err;

	guest_from(&g, "r", (const char *const[]){"token " TOKEN_A, "role render", NULL});
	CHECK_EQ(verdict(&p, &g, DRM_IOCTL_MODE_SETCRTC, 1, &err, &why), ISO_DENY);
	CHECK_EQ(err, EACCES);
	CHECK_STREQ(why, "display ioctl, guest role render");
	CHECK_EQ(verdict(&p, &g, DRM_IOCTL_SET_MASTER, 0, &err, &why), ISO_DENY);
	CHECK_STREQ(why, "display ioctl, guest role render");
	CHECK_EQ(verdict(&p, &g, DRM_IOCTL_MODE_ATOMIC, 1, &err, &why), ISO_DENY);
	CHECK_EQ(verdict(&p, &g, DRM_IOCTL_MODE_GETRESOURCES, 0, &err, &why), ISO_DESC);
	CHECK_EQ(err, 0);
	CHECK(why == NULL);
	CHECK_EQ(verdict(&p, &g, DRM_IOCTL_MODE_CREATE_DUMB, 0, &err, &why), ISO_DESC);
	/* no descriptor: ENOTTY, as without a guest */
	CHECK_EQ(iso_guest_ioctl_verdict(&p, &g, NULL, 0xc0106499u, 0, &err, &why), ISO_DENY);
	CHECK_EQ(err, ENOTTY);
	CHECK_EQ(iso_ioctl_verdict(&p, NULL, 0xc0106499u), ISO_DENY);
	p.flat_ioctl = 1;
	CHECK_EQ(iso_guest_ioctl_verdict(&p, &g, NULL, 0xc0106499u, 0, &err, &why), ISO_FLAT);
	CHECK_EQ(iso_ioctl_verdict(&p, NULL, 0xc0106499u), ISO_FLAT);
}

TEST(verdict_lists)
{
	struct iso_policy p = {0};
	struct iso_guest g;
	const char *why;
	int err;

	guest_from(&g, "r",
		   (const char *const[]){"uid 0", "role render",
					 "allow-ioctl DRM_IOCTL_MODE_DIRTYFB",
					 "allow-ioctl 0xc0106499", "deny-ioctl DRM_IOCTL_GEM_FLINK",
					 "deny-ioctl 0xc0106498", NULL});
	/* the deny list first, with or without a descriptor, even with flat allowed */
	p.flat_ioctl = 1;
	CHECK_EQ(verdict(&p, &g, DRM_IOCTL_GEM_FLINK, 1, &err, &why), ISO_DENY);
	CHECK_EQ(err, EACCES);
	CHECK_STREQ(why, "denied for this guest");
	CHECK_EQ(iso_guest_ioctl_verdict(&p, &g, NULL, 0xc0106498u, 1, &err, &why), ISO_DENY);
	CHECK_EQ(err, EACCES);
	p.flat_ioctl = 0;
	/* the allow list: a display ioctl despite the role, a number without descriptor flat */
	CHECK_EQ(verdict(&p, &g, DRM_IOCTL_MODE_DIRTYFB, 0, &err, &why), ISO_DESC);
	CHECK_EQ(verdict(&p, &g, DRM_IOCTL_MODE_PAGE_FLIP, 1, &err, &why), ISO_DENY);
	CHECK_EQ(iso_guest_ioctl_verdict(&p, &g, NULL, 0xc0106499u, 0, &err, &why), ISO_FLAT);
	CHECK_EQ(iso_guest_ioctl_verdict(&p, &g, NULL, 0xc010649au, 0, &err, &why), ISO_DENY);
	CHECK_EQ(err, ENOTTY);
	CHECK_STREQ(why, "no descriptor, flat forwarding denied");
	/* another guest's lists do not apply; no guest: no per-guest rules */
	CHECK_EQ(verdict(&p, NULL, DRM_IOCTL_GEM_FLINK, 1, &err, &why), ISO_DESC);
	CHECK_EQ(verdict(&p, NULL, DRM_IOCTL_MODE_SETCRTC, 1, &err, &why), ISO_DESC);
	CHECK_EQ(iso_guest_ioctl_verdict(&p, NULL, NULL, 0xc0106499u, 1, &err, &why), ISO_DENY);
}

TEST(verdict_display_guest)
{
	static const char *const exports[] = {"/dev/dri/card*", "/dev/dri/renderD*", NULL};
	const char *card0 = "/dev/dri/card0", *card1 = "/dev/dri/card1";
	struct iso_policy p;
	struct iso_guest g;
	const char *why;
	int err;

	policy_init(&p, exports);
	guest_from(&g, "d", (const char *const[]){"uid 0", "master /dev/dri/card0", NULL});
	CHECK_EQ(finish(&g, &p, (char[128]){0}, 128), 0);
	CHECK_EQ(
	    verdict(&p, &g, DRM_IOCTL_MODE_SETCRTC, iso_guest_may_display(&g, card0), &err, &why),
	    ISO_DESC);
	CHECK_EQ(
	    verdict(&p, &g, DRM_IOCTL_SET_MASTER, iso_guest_may_display(&g, card0), &err, &why),
	    ISO_DESC);
	CHECK_EQ(
	    verdict(&p, &g, DRM_IOCTL_MODE_SETCRTC, iso_guest_may_display(&g, card1), &err, &why),
	    ISO_DENY);
	CHECK_EQ(err, EACCES);
	CHECK_STREQ(why, "display ioctl on a file that is not this guest's display");
	CHECK_EQ(verdict(&p, &g, DRM_IOCTL_MODE_GETRESOURCES, iso_guest_may_display(&g, card1),
			 &err, &why),
		 ISO_DESC);
	/* without masters, every file it opens */
	guest_from(&g, "d", (const char *const[]){"uid 0", NULL});
	CHECK_EQ(
	    verdict(&p, &g, DRM_IOCTL_MODE_PAGE_FLIP, iso_guest_may_display(&g, card1), &err, &why),
	    ISO_DESC);
	iso_policy_fini(&p);
}
