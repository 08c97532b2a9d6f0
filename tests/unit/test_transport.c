/* SPDX-License-Identifier: MIT */
/* test_transport.c - address syntax, and unix/tcp/vsock/serial connections on this host. */
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pty.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"
#include "vdri/frame_io.h"
#include "vdri/transport.h"

/* ---- parsing ------------------------------------------------------------ */

static struct vt_addr parse_ok(const char *uri)
{
	struct vt_addr a;
	char err[256];

	if (vt_parse(uri, &a, err, sizeof(err)) != 0)
		FAILF("'%s' refused: %s", uri, err);
	return a;
}

/* Parse, print back, and compare with want (the canonical form). */
static void round_trip(const char *uri, const char *want)
{
	struct vt_addr a = parse_ok(uri);
	char buf[512];

	vt_format(&a, buf, sizeof(buf));
	if (strcmp(buf, want) != 0)
		FAILF("'%s' printed as '%s', want '%s'", uri, buf, want);
}

TEST(parse_good)
{
	struct vt_addr a;

	a = parse_ok("unix:/run/vdri.sock");
	CHECK_EQ(a.kind, VT_UNIX);
	CHECK_STREQ(a.path, "/run/vdri.sock");
	a = parse_ok("unix:@vdri");
	CHECK_STREQ(a.path, "@vdri");
	a = parse_ok("tcp:10.0.2.2:7000");
	CHECK_EQ(a.kind, VT_TCP);
	CHECK_STREQ(a.host, "10.0.2.2");
	CHECK_EQ(a.port, 7000);
	a = parse_ok("tcp:[::1]:65535");
	CHECK_STREQ(a.host, "::1");
	CHECK_EQ(a.port, 65535);
	a = parse_ok("tcp:driver-vm.example:0");
	CHECK_STREQ(a.host, "driver-vm.example");
	CHECK_EQ(a.port, 0);
	a = parse_ok("vsock:2:7000");
	CHECK_EQ(a.kind, VT_VSOCK);
	CHECK_EQ(a.cid, 2);
	CHECK_EQ(a.port, 7000);
	CHECK_EQ(parse_ok("vsock:any:1").cid, 0xffffffffu);
	CHECK_EQ(parse_ok("vsock:host:1").cid, 2);
	CHECK_EQ(parse_ok("vsock:local:1").cid, 1);
	CHECK_EQ(parse_ok("vsock:hypervisor:1").cid, 0);
	CHECK_EQ(parse_ok("vsock:4294967295:4294967295").port, 0xffffffffu);
	a = parse_ok("serial:/dev/virtio-ports/vdri");
	CHECK_EQ(a.kind, VT_SERIAL);
	CHECK_STREQ(a.path, "/dev/virtio-ports/vdri");
	a = parse_ok("shm:/run/vdri.sock");
	CHECK_EQ(a.kind, VT_SHM);
	CHECK_STREQ(a.path, "/run/vdri.sock");
	CHECK_STREQ(parse_ok("shm:@vdri").path, "@vdri");
}

TEST(format_round_trip)
{
	round_trip("unix:/run/vdri.sock", "unix:/run/vdri.sock");
	round_trip("unix:@vdri", "unix:@vdri");
	round_trip("tcp:10.0.2.2:7000", "tcp:10.0.2.2:7000");
	round_trip("tcp:[fe80::1%eth0]:80", "tcp:[fe80::1%eth0]:80");
	round_trip("tcp:localhost:1", "tcp:localhost:1");
	round_trip("vsock:3:9", "vsock:3:9");
	round_trip("vsock:any:9", "vsock:any:9");
	round_trip("vsock:host:9", "vsock:2:9");
	round_trip("serial:/dev/ttyS1", "serial:/dev/ttyS1");
	round_trip("shm:/run/vdri.sock", "shm:/run/vdri.sock");
	round_trip("shm:@vdri", "shm:@vdri");
}

/* Refused with exactly this message (or, with a trailing '*', this prefix). */
static void parse_bad(const char *uri, const char *want)
{
	size_t n = strlen(want);
	struct vt_addr a;
	char err[512];

	if (vt_parse(uri, &a, err, sizeof(err)) != -EINVAL)
		FAILF("'%s' accepted", uri);
	if (want[n - 1] == '*' ? strncmp(err, want, n - 1) != 0 : strcmp(err, want) != 0)
		FAILF("'%s': \"%s\", want \"%s\"", uri, err, want);
}

TEST(parse_bad_scheme_unix_serial)
{
	char long_uri[400];

	parse_bad("", "empty transport address");
	parse_bad("foo", "unknown transport in 'foo' (want unix:, tcp:, vsock:, serial: or shm:)");
	parse_bad("udp:1.2.3.4:5", "unknown transport in 'udp:1.2.3.4:5'*");
	parse_bad("UNIX:/x", "unknown transport in 'UNIX:/x'*");
	parse_bad("unix:", "unix: path missing in 'unix:'");
	parse_bad("unix:@", "unix: abstract name missing in 'unix:@'");
	parse_bad("shm:", "shm: path missing in 'shm:'");
	parse_bad("shm:@", "shm: abstract name missing in 'shm:@'");
	snprintf(long_uri, sizeof(long_uri), "unix:/%0107d", 0);
	parse_bad(long_uri, "unix: path too long in '*");
	CHECK(strstr(long_uri, "unix:/000") == long_uri);
	snprintf(long_uri, sizeof(long_uri), "unix:/%0106d", 0); /* 107 bytes: fits */
	CHECK_EQ(parse_ok(long_uri).kind, VT_UNIX);
	parse_bad("serial:", "serial: path missing in 'serial:'");
	snprintf(long_uri, sizeof(long_uri), "serial:/%0255d", 0);
	parse_bad(long_uri, "serial: path too long in '*");
	CHECK_EQ(vt_parse("", &(struct vt_addr){0}, NULL, 0), -EINVAL); /* no message buffer */
}

TEST(parse_bad_tcp)
{
	char long_uri[400];

	parse_bad("tcp:foo", "tcp: port missing in 'tcp:foo'");
	parse_bad("tcp:foo:", "tcp: port missing in 'tcp:foo:'");
	parse_bad("tcp:", "tcp: port missing in 'tcp:'");
	parse_bad("tcp::80", "tcp: host missing in 'tcp::80'");
	parse_bad("tcp:[]:80", "tcp: host missing in 'tcp:[]:80'");
	parse_bad("tcp:[::1]", "tcp: port missing in 'tcp:[::1]'");
	parse_bad("tcp:[::1]80", "tcp: port missing in 'tcp:[::1]80'");
	parse_bad("tcp:[::1:80", "tcp: missing ']' in 'tcp:[::1:80'");
	parse_bad("tcp:::1:80", "tcp: IPv6 address needs brackets in 'tcp:::1:80'");
	parse_bad("tcp:h:65536", "tcp: bad port '65536' in 'tcp:h:65536' (0 to 65535)");
	parse_bad("tcp:h:8x", "tcp: bad port '8x' in 'tcp:h:8x' (0 to 65535)");
	parse_bad("tcp:h:-1", "tcp: bad port '-1'*");
	parse_bad("tcp:h: 80", "tcp: bad port ' 80'*");
	parse_bad("tcp:h:99999999999999999999", "tcp: bad port*");
	snprintf(long_uri, sizeof(long_uri), "tcp:h%0255d:1", 0);
	parse_bad(long_uri, "tcp: host name too long in '*");
}

TEST(parse_bad_vsock)
{
	parse_bad("vsock:2", "vsock: port missing in 'vsock:2'");
	parse_bad("vsock:2:", "vsock: port missing in 'vsock:2:'");
	parse_bad("vsock:", "vsock: port missing in 'vsock:'");
	parse_bad("vsock::5", "vsock: cid missing in 'vsock::5'");
	parse_bad("vsock:guest:5",
		  "vsock: bad cid 'guest' in 'vsock:guest:5' (a number, any, host, "
		  "local or hypervisor)");
	parse_bad("vsock:4294967296:5", "vsock: bad cid '4294967296'*");
	parse_bad("vsock:2:x", "vsock: bad port 'x' in 'vsock:2:x'");
	parse_bad("vsock:2:4294967296", "vsock: bad port '4294967296' in 'vsock:2:4294967296'");
}

TEST(parse_error_truncated)
{
	struct vt_addr a;
	char err[8];

	CHECK_EQ(vt_parse("tcp:foo", &a, err, sizeof(err)), -EINVAL);
	CHECK_STREQ(err, "tcp: po");
}

TEST(kind_names)
{
	CHECK_STREQ(vt_kind_name(VT_UNIX), "unix");
	CHECK_STREQ(vt_kind_name(VT_TCP), "tcp");
	CHECK_STREQ(vt_kind_name(VT_VSOCK), "vsock");
	CHECK_STREQ(vt_kind_name(VT_SERIAL), "serial");
	CHECK_STREQ(vt_kind_name(VT_KIND_COUNT), "unknown");
}

/* ---- helpers ------------------------------------------------------------ */

static char tmpdir[64];

static void tmpdir_make(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vdri-test-XXXXXX");
	if (!mkdtemp(tmpdir))
		FAILF("mkdtemp: %s", strerror(errno));
}

static void tmpdir_remove(const char *file)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, file);
	unlink(p);
	rmdir(tmpdir);
}

static struct vt_addr addr_of(const char *fmt, const char *arg)
{
	char uri[256];

	snprintf(uri, sizeof(uri), fmt, arg);
	return parse_ok(uri);
}

static void check_fd_flags(int fd, int want_nonblock)
{
	int fd_flags = fcntl(fd, F_GETFD), fl = fcntl(fd, F_GETFL);

	CHECK(fd_flags >= 0 && fl >= 0);
	if (!(fd_flags & FD_CLOEXEC))
		FAILF("fd %d is not close-on-exec", fd);
	if (!!(fl & O_NONBLOCK) != want_nonblock)
		FAILF("fd %d: O_NONBLOCK is %s", fd, want_nonblock ? "off" : "on");
}

/* One frame each way over a connected pair of stream fds. */
static void exchange(int front, int back)
{
	const struct wire_hdr *f;
	struct fio_rx brx, frx;
	struct wire_hdr h;

	CHECK_OK(fio_rx_init(&brx, 0, 1));
	CHECK_OK(fio_rx_init(&frx, 0, 0));
	wire_hdr_init(&h, WIRE_OP_PING, 0, 77, 0, 0);
	CHECK_EQ(fio_send(front, &h, NULL, 0), 0);
	CHECK_EQ(fio_recv(&brx, back, &f), 1);
	CHECK_EQ(f->id, 77);
	CHECK_EQ(fio_send_reply(back, WIRE_OP_PING, 77, 0, 0, NULL, 0), 0);
	CHECK_EQ(fio_recv(&frx, front, &f), 1);
	CHECK_EQ(f->flags, WIRE_F_REPLY);
	fio_rx_fini(&brx);
	fio_rx_fini(&frx);
}

/* Listen, connect, accept, talk: returns the peer seen by the listener. */
static struct vt_peer connect_pair(const struct vt_addr *a, int lfd)
{
	struct vt_peer peer;
	int cfd, afd;

	check_fd_flags(lfd, 1);
	CHECK_EQ(vt_accept(lfd, a->kind, &peer), -EAGAIN); /* nothing pending */
	cfd = vt_connect(a, 2000);
	if (cfd < 0)
		FAILF("vt_connect: %s", strerror(-cfd));
	afd = vt_accept(lfd, a->kind, &peer);
	if (afd < 0)
		FAILF("vt_accept: %s", strerror(-afd));
	check_fd_flags(cfd, 0);
	check_fd_flags(afd, 0);
	exchange(cfd, afd);
	close(cfd);
	close(afd);
	return peer;
}

/* ---- unix --------------------------------------------------------------- */

TEST(unix_listen_connect_accept)
{
	struct vt_addr a;
	struct vt_peer peer;
	struct stat st;
	int lfd;

	tmpdir_make();
	a = addr_of("unix:%s/sock", tmpdir);
	lfd = vt_listen(&a);
	CHECK(lfd >= 0);
	CHECK_OK(stat(a.path, &st));
	CHECK(S_ISSOCK(st.st_mode));
	peer = connect_pair(&a, lfd);
	CHECK_EQ(peer.kind, VT_UNIX);
	CHECK_EQ(peer.pid, getpid());
	CHECK_EQ(peer.uid, getuid());
	CHECK_EQ(peer.gid, getgid());
	if (strncmp(peer.desc, "unix pid ", 9) != 0)
		FAILF("desc '%s'", peer.desc);
	CHECK_EQ(vt_local_port(lfd), -EAFNOSUPPORT);
	close(lfd);
	tmpdir_remove("sock");
}

TEST(unix_abstract)
{
	struct vt_addr a;
	struct vt_peer peer;
	char name[64];
	int lfd;

	snprintf(name, sizeof(name), "@vdri-test-%d", (int)getpid());
	a = addr_of("unix:%s", name);
	lfd = vt_listen(&a);
	CHECK(lfd >= 0);
	CHECK_EQ(vt_listen(&a), -EADDRINUSE);
	CHECK(access(name, F_OK) < 0); /* no file named "@..." appeared */
	peer = connect_pair(&a, lfd);
	CHECK_EQ(peer.pid, getpid());
	close(lfd);
	/* gone with its last fd */
	CHECK_EQ(vt_connect(&a, 500), -ECONNREFUSED);
}

/* A socket file left by a dead daemon is replaced; a live one is not. */
TEST(unix_stale_socket_replaced)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct vt_addr a;
	int s, lfd;

	tmpdir_make();
	a = addr_of("unix:%s/sock", tmpdir);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(s >= 0);
	strcpy(sun.sun_path, a.path);
	CHECK_OK(bind(s, (struct sockaddr *)&sun, sizeof(sun)));
	close(s); /* the file stays, nobody listens */
	CHECK_EQ(vt_connect(&a, 500), -ECONNREFUSED);
	lfd = vt_listen(&a);
	if (lfd < 0)
		FAILF("stale socket not replaced: %s", strerror(-lfd));
	CHECK_EQ(vt_listen(&a), -EADDRINUSE); /* now someone listens */
	/* that second vt_listen found out by connecting: a connection that ends at once */
	s = vt_accept(lfd, VT_UNIX, NULL);
	CHECK(s >= 0);
	CHECK_EQ(read(s, &(char){0}, 1), 0);
	close(s);
	connect_pair(&a, lfd); /* the first listener still works */
	close(lfd);
	tmpdir_remove("sock");
}

TEST(unix_regular_file_kept)
{
	struct vt_addr a;
	int fd;

	tmpdir_make();
	a = addr_of("unix:%s/sock", tmpdir);
	fd = open(a.path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(vt_listen(&a), -EADDRINUSE);
	CHECK_OK(access(a.path, F_OK)); /* not unlinked */
	tmpdir_remove("sock");
}

TEST(unix_connect_errors)
{
	struct vt_addr a;

	tmpdir_make();
	a = addr_of("unix:%s/none", tmpdir);
	CHECK_EQ(vt_connect(&a, 500), -ENOENT);
	tmpdir_remove("none");
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Connect to a listener that never accepts and whose backlog is full. */
static void expect_timeout(const struct vt_addr *a)
{
	int64_t t0 = now_ms(), dt;
	int r;

	r = vt_connect(a, 300);
	dt = now_ms() - t0;
	if (r >= 0)
		close(r);
	CHECK_EQ(r, -ETIMEDOUT);
	if (dt < 250 || dt > 2000)
		FAILF("timed out after %lld ms, want about 300", (long long)dt);
}

/*
 * A listener with a backlog of 0 that never accepts, and connections queued
 * on it until it takes no more.  sa is updated to the bound address.
 */
static int full_listener(struct sockaddr *sa, socklen_t len, int fill[3])
{
	int l, i;

	l = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(l >= 0);
	CHECK_OK(bind(l, sa, len));
	CHECK_OK(listen(l, 0));
	CHECK_OK(getsockname(l, sa, &len));
	for (i = 0; i < 3; i++) {
		fill[i] = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		CHECK(fill[i] >= 0);
		connect(fill[i], sa, len); /* the later ones stay pending */
	}
	usleep(50000);
	return l;
}

TEST(unix_connect_timeout)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct vt_addr a;
	int l, fill[3], i;

	tmpdir_make();
	a = addr_of("unix:%s/full", tmpdir);
	strcpy(sun.sun_path, a.path);
	l = full_listener((struct sockaddr *)&sun, sizeof(sun), fill);
	expect_timeout(&a);
	for (i = 0; i < 3; i++)
		close(fill[i]);
	close(l);
	tmpdir_remove("full");
}

/* ---- tcp ---------------------------------------------------------------- */

static int getopt_int(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	CHECK_OK(getsockopt(fd, level, name, &v, &len));
	return v;
}

static void check_tcp_options(int fd)
{
	CHECK_EQ(getopt_int(fd, IPPROTO_TCP, TCP_NODELAY), 1);
	CHECK_EQ(getopt_int(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
	CHECK_EQ(getopt_int(fd, IPPROTO_TCP, TCP_KEEPIDLE), 5);
	CHECK_EQ(getopt_int(fd, IPPROTO_TCP, TCP_KEEPINTVL), 2);
	CHECK_EQ(getopt_int(fd, IPPROTO_TCP, TCP_KEEPCNT), 3);
	CHECK_EQ(getopt_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 10000);
}

/* Listen on host port 0; *a gets the bound port. */
static int tcp_listen_any_port(const char *host, struct vt_addr *a)
{
	int lfd, port;

	*a = addr_of(strchr(host, ':') ? "tcp:[%s]:0" : "tcp:%s:0", host);
	lfd = vt_listen(a);
	if (lfd < 0)
		return lfd;
	port = vt_local_port(lfd);
	CHECK(port > 0 && port <= 65535);
	a->port = (uint32_t)port;
	return lfd;
}

TEST(tcp_loopback)
{
	struct vt_addr a;
	struct vt_peer peer;
	char want[64];
	int lfd, cfd, afd;

	lfd = tcp_listen_any_port("127.0.0.1", &a);
	CHECK(lfd >= 0);
	CHECK_EQ(getopt_int(lfd, SOL_SOCKET, SO_REUSEADDR), 1);
	cfd = vt_connect(&a, 2000);
	CHECK(cfd >= 0);
	afd = vt_accept(lfd, VT_TCP, &peer);
	CHECK(afd >= 0);
	check_fd_flags(cfd, 0);
	check_fd_flags(afd, 0);
	check_tcp_options(cfd);
	check_tcp_options(afd);
	CHECK_EQ(peer.kind, VT_TCP);
	CHECK(peer.port > 0);
	snprintf(want, sizeof(want), "tcp 127.0.0.1:%u", peer.port);
	CHECK_STREQ(peer.desc, want);
	exchange(cfd, afd);
	close(cfd);
	close(afd);
	close(lfd);
}

TEST(tcp_ipv6_loopback)
{
	struct vt_addr a;
	struct vt_peer peer;
	int lfd;

	lfd = tcp_listen_any_port("::1", &a);
	if (lfd == -EADDRNOTAVAIL || lfd == -EAFNOSUPPORT)
		test_skip("no IPv6 loopback here (%s)", strerror(-lfd));
	CHECK(lfd >= 0);
	peer = connect_pair(&a, lfd);
	if (strncmp(peer.desc, "tcp [::1]:", 10) != 0)
		FAILF("desc '%s'", peer.desc);
	close(lfd);
}

/* "localhost" may resolve to ::1 first: the next address is tried. */
TEST(tcp_host_name)
{
	struct vt_addr a;
	int lfd;

	lfd = tcp_listen_any_port("127.0.0.1", &a);
	CHECK(lfd >= 0);
	snprintf(a.host, sizeof(a.host), "localhost");
	connect_pair(&a, lfd);
	close(lfd);
}

TEST(tcp_connect_refused)
{
	struct vt_addr a;
	int lfd;

	lfd = tcp_listen_any_port("127.0.0.1", &a);
	CHECK(lfd >= 0);
	close(lfd); /* the port is now (very likely) closed */
	CHECK_EQ(vt_connect(&a, 1000), -ECONNREFUSED);
}

TEST(tcp_connect_timeout)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct vt_addr a;
	int l, fill[3], i;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = full_listener((struct sockaddr *)&sin, sizeof(sin), fill);
	a = parse_ok("tcp:127.0.0.1:1");
	a.port = ntohs(sin.sin_port);
	expect_timeout(&a);
	for (i = 0; i < 3; i++)
		close(fill[i]);
	close(l);
}

TEST(tcp_listen_in_use)
{
	struct vt_addr a;
	int lfd;

	lfd = tcp_listen_any_port("127.0.0.1", &a);
	CHECK(lfd >= 0);
	CHECK_EQ(vt_listen(&a), -EADDRINUSE);
	close(lfd);
}

/* ---- vsock -------------------------------------------------------------- */

TEST(vsock_local)
{
	struct vt_addr a = parse_ok("vsock:local:0");
	struct vt_peer peer;
	int lfd, port;

	a.port = 0xffffffffu; /* VMADDR_PORT_ANY */
	lfd = vt_listen(&a);
	if (lfd == -EAFNOSUPPORT || lfd == -EADDRNOTAVAIL || lfd == -ENODEV)
		test_skip("no vsock loopback on this host (listen on cid 1: %s)", strerror(-lfd));
	CHECK(lfd >= 0);
	port = vt_local_port(lfd);
	CHECK(port >= 0);
	a.port = (uint32_t)port;
	peer = connect_pair(&a, lfd);
	CHECK_EQ(peer.kind, VT_VSOCK);
	CHECK_EQ(peer.cid, 1);
	close(lfd);
}

/* ---- serial ------------------------------------------------------------- */

TEST(serial_no_listener)
{
	struct vt_addr a = parse_ok("serial:/dev/null");

	CHECK_EQ(vt_listen(&a), -EOPNOTSUPP);
	CHECK_EQ(vt_accept(0, VT_SERIAL, NULL), -EOPNOTSUPP);
	a = parse_ok("serial:/nonexistent/port");
	CHECK_EQ(vt_open_serial(&a), -ENOENT);
	CHECK_EQ(vt_connect(&a, 100), -ENOENT);
	a = parse_ok("unix:/x");
	CHECK_EQ(vt_open_serial(&a), -EINVAL);
}

static void read_exact(int fd, void *buf, size_t n)
{
	uint8_t *p = buf;
	ssize_t r;

	while (n) {
		r = read(fd, p, n);
		if (r <= 0)
			FAILF("read: %zd %s", r, strerror(errno));
		p += r;
		n -= (size_t)r;
	}
}

/* A pty stands in for a virtio-serial port: raw mode passes every byte unchanged. */
TEST(serial_pty_raw)
{
	const uint8_t bytes[] = {'a', '\n', '\r', 0x03, 0x04, 0x11, 0x13, 0x7f, 0xff, 0};
	uint8_t got[sizeof(bytes)];
	struct termios t;
	struct vt_addr a;
	char name[128];
	int master, slave, fd;

	CHECK_OK(openpty(&master, &slave, name, NULL, NULL));
	close(slave);
	a = addr_of("serial:%s", name);
	fd = vt_open_serial(&a);
	CHECK(fd >= 0);
	check_fd_flags(fd, 0);
	CHECK_OK(tcgetattr(fd, &t));
	CHECK(!(t.c_lflag & (ICANON | ECHO | ISIG)));
	CHECK(!(t.c_iflag & (ICRNL | IXON)));
	CHECK(!(t.c_oflag & OPOST));
	CHECK_EQ(write(master, bytes, sizeof(bytes)), sizeof(bytes));
	read_exact(fd, got, sizeof(got));
	CHECK(memcmp(got, bytes, sizeof(bytes)) == 0);
	CHECK_EQ(write(fd, bytes, sizeof(bytes)), sizeof(bytes));
	read_exact(master, got, sizeof(got));
	CHECK(memcmp(got, bytes, sizeof(bytes)) == 0);
	close(fd);
	close(master);
}

/* A FIFO opened read-write loops back: frames go through fio_send's writev path. */
TEST(serial_fifo_frames)
{
	const struct wire_hdr *f;
	struct fio_rx rx;
	struct vt_addr a;
	int fd;

	tmpdir_make();
	a = addr_of("serial:%s/fifo", tmpdir);
	CHECK_OK(mkfifo(a.path, 0600));
	fd = vt_connect(&a, 0);
	CHECK(fd >= 0);
	check_fd_flags(fd, 0);
	CHECK_OK(fio_rx_init(&rx, 0, 0));
	CHECK_EQ(fio_send_reply(fd, WIRE_OP_READ, 5, 1, 3, "abc", 3), 0);
	CHECK_EQ(fio_recv(&rx, fd, &f), 1);
	CHECK_EQ(f->id, 5);
	CHECK_EQ(f->len, 16 + 8 + 3);
	fio_rx_fini(&rx);
	close(fd);
	tmpdir_remove("fifo");
}
