/* SPDX-License-Identifier: MIT */
/*
 * test_sysview.c - the sysfs manifest end to end: collect from a fake sysfs
 * (a virtio-gpu behind PCI function 0000:00:02.0), install it, and read it
 * back through the path interposers the way libdrm and Mesa do; hostile
 * manifests; forked children; a mutation loop over the parser.
 *
 * The sources are included so that static functions are reachable and the
 * interposers of interpose_sys.c replace libc's for this binary.
 */
#include <ftw.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "runner.h"

#include "../../drm-back/sysinfo.c"
#include "../../drm-front/preload/interpose_sys.c"
#include "../../drm-front/preload/sysview.c"

#define PCI "/sys/devices/pci0000:00/0000:00:02.0"
#define VIRTIO PCI "/virtio1"
#define CARD VIRTIO "/drm/card0"

static char fake[256];	      /* the fake sysroot */
static char tmpdir[PATH_MAX]; /* TMPDIR for the mirrors */

static void mkdirs(const char *rel)
{
	char p[PATH_MAX], *s;

	snprintf(p, sizeof(p), "%s%s", fake, rel);
	for (s = p + strlen(fake) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
}

static void put_file(const char *rel, const char *data, size_t n)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", fake, rel);
	CHECK((f = fopen(p, "w")) != NULL);
	CHECK(fwrite(data, 1, n, f) == n);
	fclose(f);
}

#define PUT(rel, s) put_file(rel, s, strlen(s))

static void put_link(const char *rel, const char *target)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s%s", fake, rel);
	CHECK_OK(symlink(target, p));
}

static void make_node(const char *name, const char *dev)
{
	char p[PATH_MAX], v[PATH_MAX + 16];

	snprintf(p, sizeof(p), VIRTIO "/drm/%s", name);
	mkdirs(p);
	snprintf(v, sizeof(v), "%s/dev", p);
	PUT(v, dev);
	snprintf(v, sizeof(v), "%s/uevent", p);
	PUT(v, strncmp(name, "card", 4) ? "MAJOR=226\nMINOR=128\nDEVNAME=dri/renderD128\n"
					: "MAJOR=226\nMINOR=0\nDEVNAME=dri/card0\n");
	snprintf(v, sizeof(v), "%s/subsystem", p);
	put_link(v, "../../../../../../class/drm");
	snprintf(v, sizeof(v), "%s/device", p);
	put_link(v, "../../../virtio1");
	snprintf(v, sizeof(v), "../../devices/pci0000:00/0000:00:02.0/virtio1/drm/%s", name);
	snprintf(p, sizeof(p), "/sys/class/drm/%s", name);
	put_link(p, v);
	snprintf(p, sizeof(p), "/sys/dev/char/%.*s", (int)strcspn(dev, "\n"), dev);
	put_link(p, v);
}

static void make_pci(void)
{
	char config[300], big[5000];

	for (size_t i = 0; i < sizeof(config); i++)
		config[i] = (char)i;
	memset(big, 'x', sizeof(big));
	mkdirs(PCI);
	PUT(PCI "/vendor", "0x1af4\n");
	PUT(PCI "/device", "0x1050\n");
	PUT(PCI "/subsystem_vendor", "0x1af4\n");
	PUT(PCI "/subsystem_device", "0x1100\n");
	PUT(PCI "/revision", "0x01\n");
	PUT(PCI "/class", "0x030000\n");
	PUT(PCI "/uevent", "DRIVER=virtio-pci\nPCI_ID=1AF4:1050\nPCI_SLOT_NAME=0000:00:02.0\n");
	put_file(PCI "/config", config, sizeof(config));
	put_file(PCI "/modalias", big, sizeof(big)); /* over the cap: left out */
	PUT(PCI "/resource", "not read by libdrm\n");
	put_link(PCI "/subsystem", "../../../bus/pci");
	put_link(PCI "/driver", "../../../bus/pci/drivers/virtio-pci");
}

/* The fake sysfs under a fresh temp dir; TMPDIR points at another one. */
static void make_fake_sysfs(void)
{
	snprintf(fake, sizeof(fake), "/tmp/vdri-test-sysfs.XXXXXX");
	CHECK(mkdtemp(fake) != NULL);
	snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", fake);
	CHECK_OK(mkdir(tmpdir, 0700));
	CHECK_OK(setenv("TMPDIR", tmpdir, 1));
	mkdirs("/sys/class/drm");
	mkdirs("/sys/dev/char");
	mkdirs("/sys/bus/pci/drivers/virtio-pci");
	mkdirs("/sys/bus/pci/devices");
	mkdirs("/sys/bus/virtio/drivers/virtio_gpu");
	make_pci();
	mkdirs(VIRTIO);
	PUT(VIRTIO "/uevent", "DRIVER=virtio_gpu\nMODALIAS=virtio:d00000010v00001AF4\n");
	PUT(VIRTIO "/vendor", "0x1af4\n");
	PUT(VIRTIO "/device", "0x0010\n");
	put_link(VIRTIO "/subsystem", "../../../../bus/virtio");
	put_link(VIRTIO "/driver", "../../../../bus/virtio/drivers/virtio_gpu");
	put_link("/sys/bus/pci/devices/0000:00:02.0", "../../../devices/pci0000:00/0000:00:02.0");
	make_node("card0", "226:0\n");
	make_node("renderD128", "226:128\n");
	mkdirs(VIRTIO "/drm/bad\tname"); /* a name the manifest cannot carry */
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void cleanup(void)
{
	sysview_reset();
	nftw(fake, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *collect_fake(size_t *len)
{
	static const char *const nodes[] = {"card0", "renderD128"};
	char *m = NULL;

	CHECK_EQ(sysinfo_collect(fake, nodes, 2, &m, len), 0);
	return m;
}

static int has(const char *m, size_t len, const char *rec)
{
	return memmem(m, len, rec, strlen(rec)) != NULL;
}

static void install_fake(void)
{
	size_t len;
	char *m;

	make_fake_sysfs();
	m = collect_fake(&len);
	CHECK_EQ(sysview_install(m, len), 0);
	free(m);
}

static void read_line(const char *path, const char *want)
{
	char line[256] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		FAILF("fopen %s: %s", path, strerror(errno));
	else if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	if (f)
		fclose(f);
	CHECK_STREQ(line, want);
}

TEST(collect_records)
{
	size_t len;
	char *m;

	make_fake_sysfs();
	m = collect_fake(&len);
	CHECK(has(m, len, "D /sys\n"));
	CHECK(has(m, len,
		  "L /sys/class/drm/card0\t../../devices/pci0000:00/0000:00:02.0/"
		  "virtio1/drm/card0\n"));
	CHECK(has(m, len, "L /sys/dev/char/226:128\t../../devices/"));
	CHECK(has(m, len, "F " PCI "/vendor\t7\n0x1af4\n\n"));
	CHECK(has(m, len, "F " PCI "/config\t256\n"));
	CHECK(has(m, len, "F " VIRTIO "/device\t7\n0x0010\n\n"));
	CHECK(has(m, len, "L " PCI "/subsystem\t../../../bus/pci\n"));
	CHECK(has(m, len, "D /sys/bus/pci/drivers/virtio-pci\n"));
	CHECK(has(m, len, "L /sys/bus/pci/devices/0000:00:02.0\t"));
	CHECK(has(m, len, "D " VIRTIO "/drm/renderD128\n"));
	CHECK(has(m, len, "N card0\t226:0\nN renderD128\t226:128\n") ||
	      (has(m, len, "N card0\t226:0\n") && has(m, len, "N renderD128\t226:128\n")));
	CHECK(!has(m, len, "/resource"));
	CHECK(!has(m, len, "modalias\t5000"));
	CHECK(!has(m, len, "bad"));
	free(m);
	cleanup();
}

TEST(collect_errors)
{
	static const char *const missing[] = {"card7"}, *const bad[] = {"../card0"};
	char *m = NULL;
	size_t len = 0;

	make_fake_sysfs();
	CHECK_EQ(sysinfo_collect(fake, missing, 1, &m, &len), -ENOENT);
	CHECK_EQ(sysinfo_collect(fake, bad, 1, &m, &len), -EINVAL);
	CHECK(m == NULL);
	cleanup();
	/* This machine's own /sys: a node that does not exist is a clean error. */
	CHECK_EQ(sysinfo_collect("", missing, 1, &m, &len), -ENOENT);
	CHECK(sysinfo_collect("/nonexistent-sysroot", missing, 1, &m, &len) < 0);
	CHECK(m == NULL);
}

/* What drmParseSubsystemType, get_pci_path and parse_separate_sysfs_files do. */
TEST(libdrm_view)
{
	char p[PATH_MAX], link[PATH_MAX] = "";
	struct stat st;

	install_fake();
	CHECK(realpath("/sys/dev/char/226:0/device", p) != NULL);
	CHECK_STREQ(p, VIRTIO);
	CHECK(readlink("/sys/dev/char/226:0/device/subsystem", link, sizeof(link) - 1) > 0);
	CHECK_STREQ(link, "../../../../bus/virtio");
	memset(link, 0, sizeof(link));
	CHECK(readlink("/sys/dev/char/226:0/device/../subsystem", link, sizeof(link) - 1) > 0);
	CHECK_STREQ(link, "../../../bus/pci");
	CHECK(realpath("/sys/dev/char/226:128/device/..", p) != NULL);
	CHECK_STREQ(p, PCI);
	read_line(PCI "/vendor", "0x1af4\n");
	read_line("/sys/dev/char/226:0/device/vendor", "0x1af4\n"); /* Mesa: the virtio one */
	read_line("/sys/dev/char/226:0/device/device", "0x0010\n");
	read_line(PCI "/uevent", "DRIVER=virtio-pci\n");
	CHECK_OK(stat(sysview_map("/sys/dev/char/226:0/device/drm", p, sizeof(p)), &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK(realpath("/sys/bus/pci/devices/0000:00:02.0/virtio1/drm/card0/subsystem", p));
	CHECK_STREQ(p, "/sys/class/drm");
	cleanup();
}

static int list_has(const char *dir, const char *name)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int found = 0;

	if (!d)
		FAILF("opendir %s: %s", dir, strerror(errno));
	while ((e = readdir(d)))
		found |= strcmp(e->d_name, name) == 0;
	closedir(d);
	return found;
}

/* Entries of dir whose name starts with prefix. */
static int count_prefixed(const char *dir, const char *prefix)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		FAILF("opendir %s: %s", dir, strerror(errno));
	while ((e = readdir(d)))
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

TEST(listings_and_coverage)
{
	static const char etc[] = "/etc/passwd";
	char buf[PATH_MAX];
	FILE *w;
	const char *root;

	install_fake();
	CHECK(list_has("/dev/dri", "card0") && list_has("/dev/dri", "renderD128"));
	CHECK(list_has("/sys/dev/char/226:0/device/drm", "renderD128"));
	CHECK(list_has("/sys/class/drm", "card0"));
	CHECK(sysview_map(etc, buf, sizeof(buf)) == etc);
	CHECK_STREQ(sysview_map("/sys/devices/system/cpu", buf, sizeof(buf)),
		    "/sys/devices/system/cpu");
	CHECK_STREQ(sysview_map("/sys/devices/pci0000:00", buf, sizeof(buf)),
		    "/sys/devices/pci0000:00"); /* an ancestor only: the guest's */
	CHECK_STREQ(sysview_map("/dev/dri/card0", buf, sizeof(buf)), "/dev/dri/card0");
	CHECK_STREQ(sysview_map("relative/sys", buf, sizeof(buf)), "relative/sys");
	CHECK(sysview_map(NULL, buf, sizeof(buf)) == NULL);
	root = sysview_root();
	CHECK(root && strncmp(root, tmpdir, strlen(tmpdir)) == 0);
	CHECK(sysview_map(PCI "/vendor", buf, sizeof(buf)) == buf);
	CHECK(strncmp(buf, root, strlen(root)) == 0);
	CHECK(sysview_map(PCI "/vendor", buf, 8) != buf); /* does not fit: unmapped */
	errno = 0;
	w = fopen(PCI "/vendor", "w");
	CHECK(w == NULL && errno == EACCES);
	CHECK(realpath("/proc/self/..", buf) && strcmp(buf, "/proc") == 0);
	cleanup();
}

TEST(tree_removed_by_reset)
{
	char root[PATH_MAX];

	install_fake();
	snprintf(root, sizeof(root), "%s", sysview_root());
	CHECK_OK(access(root, F_OK));
	sysview_reset();
	CHECK(sysview_root() == NULL);
	CHECK_ERRNO(access(root, F_OK), ENOENT);
	CHECK_EQ(count_prefixed(tmpdir, "vdri-sys."), 0);
	cleanup();
}

/* A tree left by a process that is gone (exec, SIGKILL) goes with the next build. */
TEST(stale_trees_of_dead_processes_removed)
{
	char stale[PATH_MAX + 64], live[PATH_MAX + 64];
	pid_t dead = fork();

	if (dead == 0)
		_exit(0);
	CHECK(dead > 0 && waitpid(dead, NULL, 0) == dead);
	make_fake_sysfs(); /* sets TMPDIR to this test's folder */
	snprintf(stale, sizeof(stale), "%s/vdri-sys.%ld.AbCdEf", tmpdir, (long)dead);
	snprintf(live, sizeof(live), "%s/vdri-sys.%ld.XyZ123", tmpdir, (long)getppid());
	CHECK_OK(mkdir(stale, 0700));
	CHECK_OK(mkdir(live, 0700));
	{
		size_t len;
		char *m = collect_fake(&len);

		CHECK_EQ(sysview_install(m, len), 0);
		free(m);
	}
	CHECK_ERRNO(access(stale, F_OK), ENOENT);
	CHECK_OK(access(live, F_OK)); /* its owner still runs */
	CHECK_OK(rmdir(live));
	sysview_reset();
	cleanup();
}

static void expect_rejected(const char *m, size_t len)
{
	int r = sysview_install(m, len);

	if (r != -EINVAL)
		FAILF("manifest %.*s: %d, want -EINVAL", (int)len, m, r);
	CHECK(sysview_root() == NULL);
}

#define REJECT(lit) expect_rejected(lit, sizeof(lit) - 1)

TEST(hostile_manifests)
{
	static char huge[6000];

	make_fake_sysfs();
	REJECT("D /sys/../etc\n");
	REJECT("D /etc\n");
	REJECT("D /sys//a\n");
	REJECT("D /sys/a/\n");
	REJECT("D /sys/a/./b\n");
	REJECT("D /sys/a\tb\n");
	REJECT("D /sys/a\001b\n");
	REJECT("D /sys/a\0b\n");
	REJECT("D /sys/a");
	REJECT("X /sys/a\n");
	REJECT("L /sys/class/drm/card0\t../../../etc\n"); /* climbs above /sys */
	REJECT("L /sys/class/drm/card0\t/etc/passwd\n");  /* absolute, outside */
	REJECT("L /sys/class/drm/card0\t/sys/../etc\n");
	REJECT("L /sys/class/drm/card0\tx/../../../..\n"); /* ".." after a name */
	REJECT("L /sys/class/drm/card0\t\n");
	REJECT("L /sys/class/drm\t../devices\n");				/* too shallow */
	REJECT("L /sys/class/drm/card0\t../x\nL /sys/class/drm/card0\t../y\n"); /* twice */
	REJECT("L /sys/class/drm/card0\t../../devices/x\nF /sys/class/drm/card0/uevent\t1\nx\n");
	REJECT("F /sys/devices/a/b\t10\nabc");	 /* truncated */
	REJECT("F /sys/devices/a/b\t3\nabcd\n"); /* no newline after the bytes */
	REJECT("F /sys/devices/a/b\t-1\n");
	REJECT("F /sys/devices/a/b\t99999999999999999999\n");
	REJECT("F /sys/a/b\t1\nx\n"); /* too shallow */
	REJECT("N ../card0\t226:0\n");
	REJECT("N card0\t226\n");
	REJECT("N card0\t99999:0\n");
	REJECT("N card0\t226:0\nN card0\t226:0\n");
	memset(huge, 'x', sizeof(huge));
	memcpy(huge, "F /sys/devices/a/b\t4097\n", 24);
	huge[24 + 4097] = '\n';
	expect_rejected(huge, 24 + 4098);
	CHECK_EQ(count_prefixed(tmpdir, "vdri-sys."), 0); /* nothing left behind */
	cleanup();
}

TEST(absolute_links_rewritten)
{
	static const char m[] = "L /sys/class/drm/card9\t/sys/devices/v/drm/card9\n"
				"D /sys/devices/v/drm/card9\n"
				"F /sys/devices/v/drm/card9/dev\t6\n226:9\n\n"
				"N card9\t226:9\n";
	char buf[PATH_MAX] = "";

	make_fake_sysfs();
	CHECK_EQ(sysview_install(m, sizeof(m) - 1), 0);
	CHECK_EQ(sysview_install(m, sizeof(m) - 1), -EBUSY);
	CHECK_EQ(readlink("/sys/class/drm/card9", buf, sizeof(buf) - 1), 24);
	CHECK_STREQ(buf, "/sys/devices/v/drm/card9");
	CHECK(realpath("/sys/class/drm/card9", buf));
	CHECK_STREQ(buf, "/sys/devices/v/drm/card9");
	read_line("/sys/class/drm/card9/dev", "226:9\n");
	CHECK_EQ(readlink("/sys/class/drm/card9", buf, 4), 4); /* cut like readlink(2) */
	CHECK(memcmp(buf, "/sys", 4) == 0);
	cleanup();
}

/* A forked child builds and removes its own tree; the parent's stays. */
TEST(fork_child_own_tree)
{
	char parent_root[PATH_MAX], child_root[PATH_MAX] = "", p[PATH_MAX];
	int fds[2], status;
	pid_t pid;

	install_fake();
	snprintf(parent_root, sizeof(parent_root), "%s", sysview_root());
	CHECK_OK(pipe(fds));
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int ok = realpath("/sys/dev/char/226:0/device", p) && !strcmp(p, VIRTIO) &&
			 strcmp(sysview_root(), parent_root) != 0;

		if (write(fds[1], sysview_root(), strlen(sysview_root()) + 1) < 0)
			ok = 0;
		exit(ok ? 0 : 1); /* exit(), not _exit(): the atexit removal runs */
	}
	close(fds[1]);
	CHECK(read(fds[0], child_root, sizeof(child_root) - 1) > 0);
	close(fds[0]);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status));
	CHECK_ERRNO(access(child_root, F_OK), ENOENT);
	CHECK_OK(access(parent_root, F_OK));
	cleanup();
}

static int loads;
static char *loader_manifest;
static size_t loader_len;

static void test_loader(void)
{
	loads++;
	CHECK_EQ(sysview_install(loader_manifest, loader_len), 0);
}

TEST(lazy_loader)
{
	char buf[PATH_MAX];

	make_fake_sysfs();
	loader_manifest = collect_fake(&loader_len);
	sysview_set_loader(test_loader);
	CHECK_STREQ(sysview_map("/sys/devices/system/cpu", buf, sizeof(buf)),
		    "/sys/devices/system/cpu"); /* not a DRM path: no load */
	CHECK_EQ(loads, 0);
	CHECK(list_has("/dev/dri", "card0"));
	CHECK(list_has("/sys/class/drm", "renderD128"));
	CHECK_EQ(loads, 1);
	free(loader_manifest);
	cleanup();
}

/* Every link in an installed tree resolves inside the root (or nowhere). */
static const char *walk_root;
static int check_inside(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	char to[PATH_MAX] = "";

	if (flag == FTW_SL && SREAL(realpath)(p, to) &&
	    strncmp(to, walk_root, strlen(walk_root)) != 0)
		FAILF("%s resolves to %s, outside %s", p, to, walk_root);
	return 0;
}

static uint32_t rnd(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

TEST_TIMEOUT(mutated_manifests, 120)
{
	uint32_t seed = 1;
	size_t len;
	char *m, *w;
	int installed = 0;

	make_fake_sysfs();
	m = collect_fake(&len);
	CHECK((w = malloc(len)) != NULL);
	for (int i = 0; i < 1500; i++) {
		static const char alphabet[] = "/.\t\n0123456789DLFN ";
		size_t n = len;

		memcpy(w, m, len);
		for (int k = 1 + (int)(rnd(&seed) % 4); k; k--)
			w[rnd(&seed) % n] = alphabet[rnd(&seed) % (sizeof(alphabet) - 1)];
		if (rnd(&seed) % 8 == 0)
			n = rnd(&seed) % len;
		if (sysview_install(w, n) == 0) {
			installed++;
			walk_root = sysview_root();
			nftw(walk_root, check_inside, 16, FTW_PHYS);
			sysview_reset();
		}
		CHECK(sysview_root() == NULL);
	}
	test_log("%d of 1500 mutated manifests installed", installed);
	CHECK_EQ(count_prefixed(tmpdir, "vdri-sys."), 0);
	free(w);
	free(m);
	cleanup();
}

/* This machine's own sysfs: a real PCI device's attributes arrive intact. */
TEST(real_sysfs_device)
{
	char dev[PATH_MAX], path[PATH_MAX], got[PATH_MAX], want[256] = "";
	struct collect c;
	struct dirent *e;
	DIR *d = opendir("/sys/bus/pci/devices");
	FILE *f;

	while (d && (e = readdir(d)) && e->d_name[0] == '.')
		;
	if (!d || !e) {
		if (d)
			closedir(d);
		test_skip("no PCI device in /sys");
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", e->d_name);
	closedir(d);
	make_fake_sysfs(); /* for TMPDIR */
	CHECK_EQ(collect_init(&c, ""), 0);
	CHECK_EQ(resolve(&c, path, dev), 0);
	CHECK_EQ(emit_device(&c, dev), 0);
	CHECK(snprintf(path + strlen(path), 16, "/vendor") > 0);
	CHECK((f = fopen(path, "r")) != NULL);
	CHECK(fgets(want, sizeof(want), f) != NULL);
	fclose(f);
	CHECK_EQ(sysview_install(c.buf, c.len), 0);
	collect_fini(&c);
	read_line(path, want);
	*strrchr(path, '/') = '\0';
	CHECK(realpath(path, got) != NULL);
	CHECK_STREQ(got, dev);
	cleanup();
}

TEST(collect_node_twice)
{
	static const char *const nodes[] = {"renderD128", "card0", "renderD128"};
	size_t len;
	char *m;

	make_fake_sysfs();
	CHECK_EQ(sysinfo_collect(fake, nodes, 3, &m, &len), 0);
	CHECK_EQ(sysview_install(m, len), 0); /* no record twice */
	CHECK(list_has("/dev/dri", "card0"));
	free(m);
	cleanup();
}
