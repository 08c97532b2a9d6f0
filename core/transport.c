/* SPDX-License-Identifier: MIT */
/*
 * transport.c - unix, tcp, vsock and serial byte streams behind one interface.
 *
 * Owns every socket call that makes a connected stream: listen (replacing a
 * stale unix socket file), accept (with who the peer is), connect with a
 * time limit, the TCP options, and opening a serial port raw.  After that a
 * connection is a plain blocking fd for frame_io.c; nothing here reads or
 * writes frames.  The address syntax lives in transport_addr.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "vdri/transport.h"

#define VT_DEFAULT_TIMEOUT_MS 5000
#define VT_BACKLOG_RETRY_MS 10

/* ---- socket helpers ----------------------------------------------------- */

/* A unix address; a leading '@' names an abstract socket (no file). */
static int vt_unix_addr(const char *path, struct sockaddr_un *sun, socklen_t *len)
{
	size_t n = strlen(path);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (n == 0 || n >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	memcpy(sun->sun_path, path, n);
	if (path[0] == '@') {
		sun->sun_path[0] = '\0';
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}
	return 0;
}

static void vt_vsock_addr(const struct vt_addr *a, struct sockaddr_vm *svm)
{
	memset(svm, 0, sizeof(*svm));
	svm->svm_family = AF_VSOCK;
	svm->svm_cid = a->cid;
	svm->svm_port = a->port;
}

static int vt_setopt(int fd, int level, int name, int val)
{
	if (setsockopt(fd, level, name, &val, sizeof(val)) < 0)
		return -errno;
	return 0;
}

/* Low latency, and a dead peer noticed in about 10 s instead of hours. */
static int vt_tcp_options(int fd)
{
	int ret = vt_setopt(fd, IPPROTO_TCP, TCP_NODELAY, 1);

	if (!ret)
		ret = vt_setopt(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
	if (!ret)
		ret = vt_setopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, 5);
	if (!ret)
		ret = vt_setopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, 2);
	if (!ret)
		ret = vt_setopt(fd, IPPROTO_TCP, TCP_KEEPCNT, 3);
	if (!ret)
		ret = vt_setopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 10000);
	return ret;
}

static int vt_set_blocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static int vt_gai_errno(int gai)
{
	switch (gai) {
	case EAI_SYSTEM:
		return errno ? -errno : -EIO;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_AGAIN:
		return -EHOSTUNREACH;
	default:
		return -ENXIO; /* no such host */
	}
}

static int vt_resolve(const struct vt_addr *a, int passive, struct addrinfo **res)
{
	struct addrinfo hints;
	char port[16];
	int gai;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
	snprintf(port, sizeof(port), "%u", a->port);
	gai = getaddrinfo(a->host, port, &hints, res);
	return gai ? vt_gai_errno(gai) : 0;
}

/* ---- listening ---------------------------------------------------------- */

/* A non-blocking listening socket on sa, or -errno. */
static int vt_bind_listen(int family, const struct sockaddr *sa, socklen_t len)
{
	int fd, ret;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (family == AF_INET || family == AF_INET6) {
		ret = vt_setopt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
		if (ret)
			goto err_close;
	}
	if (bind(fd, sa, len) < 0 || listen(fd, SOMAXCONN) < 0) {
		ret = -errno;
		goto err_close;
	}
	return fd;

err_close:
	close(fd);
	return ret;
}

/*
 * The path exists: free it if it is a socket nobody listens on (left by a
 * daemon that died).  0: bind again; -EADDRINUSE: someone is there.
 */
static int vt_unix_reclaim(const char *path, const struct sockaddr_un *sun, socklen_t len)
{
	struct stat st;
	int fd, ret, err;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EADDRINUSE;
	/* non-blocking: a live listener with a full backlog answers EAGAIN, not a wait */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	ret = connect(fd, (const struct sockaddr *)sun, len);
	err = ret < 0 ? errno : 0;
	close(fd);
	if (err == ENOENT)
		return 0; /* gone meanwhile */
	if (err != ECONNREFUSED)
		return -EADDRINUSE;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int vt_listen_unix(const struct vt_addr *a)
{
	struct sockaddr_un sun;
	socklen_t len;
	int fd, ret;

	ret = vt_unix_addr(a->path, &sun, &len);
	if (ret)
		return ret;
	fd = vt_bind_listen(AF_UNIX, (const struct sockaddr *)&sun, len);
	if (fd != -EADDRINUSE || a->path[0] == '@')
		return fd;
	ret = vt_unix_reclaim(a->path, &sun, len);
	if (ret)
		return ret;
	return vt_bind_listen(AF_UNIX, (const struct sockaddr *)&sun, len);
}

static int vt_listen_tcp(const struct vt_addr *a)
{
	struct addrinfo *res, *ai;
	int fd;

	fd = vt_resolve(a, 1, &res);
	if (fd)
		return fd;
	fd = -EADDRNOTAVAIL;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = vt_bind_listen(ai->ai_family, ai->ai_addr, ai->ai_addrlen);
		if (fd >= 0)
			break;
	}
	freeaddrinfo(res);
	return fd;
}

int vt_listen(const struct vt_addr *a)
{
	struct sockaddr_vm svm;

	switch (a->kind) {
	case VT_UNIX:
	case VT_SHM: /* the setup socket; shm.c takes over after HELLO */
		return vt_listen_unix(a);
	case VT_TCP:
		return vt_listen_tcp(a);
	case VT_VSOCK:
		vt_vsock_addr(a, &svm);
		return vt_bind_listen(AF_VSOCK, (const struct sockaddr *)&svm, sizeof(svm));
	case VT_SERIAL:
		return -EOPNOTSUPP;
	default:
		return -EINVAL;
	}
}

int vt_local_port(int lfd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(lfd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	switch (ss.ss_family) {
	case AF_INET:
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	case AF_INET6:
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	case AF_VSOCK:
		if (((struct sockaddr_vm *)&ss)->svm_port > INT32_MAX)
			return -EOVERFLOW;
		return (int)((struct sockaddr_vm *)&ss)->svm_port;
	default:
		return -EAFNOSUPPORT;
	}
}

/* ---- accepting ---------------------------------------------------------- */

static int vt_peer_unix(int fd, struct vt_peer *peer)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	peer->pid = cred.pid;
	peer->uid = cred.uid;
	peer->gid = cred.gid;
	snprintf(peer->desc, sizeof(peer->desc), "unix pid %d uid %u gid %u", (int)cred.pid,
		 (unsigned)cred.uid, (unsigned)cred.gid);
	return 0;
}

static void vt_peer_inet(const struct sockaddr_storage *ss, struct vt_peer *peer)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		peer->port = ntohs(s6->sin6_port);
		snprintf(peer->desc, sizeof(peer->desc), "tcp [%s]:%u", ip, peer->port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		peer->port = ntohs(s4->sin_port);
		snprintf(peer->desc, sizeof(peer->desc), "tcp %s:%u", ip, peer->port);
	}
}

static int vt_describe_peer(int fd, const struct sockaddr_storage *ss, struct vt_peer *peer)
{
	const struct sockaddr_vm *svm = (const struct sockaddr_vm *)ss;

	switch (ss->ss_family) {
	case AF_UNIX:
		peer->kind = VT_UNIX;
		return vt_peer_unix(fd, peer);
	case AF_INET:
	case AF_INET6:
		peer->kind = VT_TCP;
		vt_peer_inet(ss, peer);
		return vt_tcp_options(fd);
	case AF_VSOCK:
		peer->kind = VT_VSOCK;
		peer->cid = svm->svm_cid;
		peer->port = svm->svm_port;
		snprintf(peer->desc, sizeof(peer->desc), "vsock %u:%u", peer->cid, peer->port);
		return 0;
	default:
		return -EAFNOSUPPORT;
	}
}

/*
 * The listening fd is non-blocking: with nothing pending this returns
 * -EAGAIN, so an event loop that saw POLLIN never stalls here.
 */
int vt_accept(int lfd, enum vt_kind kind, struct vt_peer *peer)
{
	struct sockaddr_storage ss;
	struct vt_peer dummy;
	socklen_t len;
	int fd, ret;

	if (kind == VT_SERIAL)
		return -EOPNOTSUPP;
	if ((unsigned)kind >= VT_KIND_COUNT)
		return -EINVAL;
	do {
		len = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
	} while (fd < 0 && (errno == EINTR || errno == ECONNABORTED));
	if (fd < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (!peer)
		peer = &dummy;
	memset(peer, 0, sizeof(*peer));
	peer->kind = kind;
	ret = vt_describe_peer(fd, &ss, peer);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/* ---- connecting --------------------------------------------------------- */

static int64_t vt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for a non-blocking connect in progress: 0 or -errno. */
static int vt_wait_connected(int fd, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	socklen_t len = sizeof(int);
	int64_t left;
	int r, err;

	for (;;) {
		left = deadline - vt_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			break;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	return -err;
}

/* Start connecting; a full unix backlog (EAGAIN) is retried until the deadline. */
static int vt_start_connect(int fd, const struct sockaddr *sa, socklen_t len, int64_t deadline)
{
	int64_t left;

	for (;;) {
		if (connect(fd, sa, len) == 0)
			return 0;
		if (errno == EINPROGRESS || errno == EINTR)
			return vt_wait_connected(fd, deadline);
		if (errno != EAGAIN)
			return -errno;
		left = deadline - vt_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		poll(NULL, 0, left < VT_BACKLOG_RETRY_MS ? (int)left : VT_BACKLOG_RETRY_MS);
	}
}

static int vt_connect_sa(const struct sockaddr *sa, socklen_t len, int64_t deadline)
{
	int fd, ret;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	ret = vt_start_connect(fd, sa, len, deadline);
	if (ret)
		goto err_close;
	ret = vt_set_blocking(fd);
	if (ret)
		goto err_close;
	if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6) {
		ret = vt_tcp_options(fd);
		if (ret)
			goto err_close;
	}
	return fd;

err_close:
	close(fd);
	return ret;
}

/* Each address of the host in turn, within one deadline. */
static int vt_connect_tcp(const struct vt_addr *a, int64_t deadline)
{
	struct addrinfo *res, *ai;
	int fd;

	fd = vt_resolve(a, 0, &res);
	if (fd)
		return fd;
	fd = -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = vt_connect_sa(ai->ai_addr, ai->ai_addrlen, deadline);
		if (fd >= 0 || fd == -ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	return fd;
}

int vt_connect(const struct vt_addr *a, int timeout_ms)
{
	int64_t deadline = vt_now_ms() + (timeout_ms > 0 ? timeout_ms : VT_DEFAULT_TIMEOUT_MS);
	struct sockaddr_un sun;
	struct sockaddr_vm svm;
	socklen_t len;
	int ret;

	switch (a->kind) {
	case VT_UNIX:
	case VT_SHM:
		ret = vt_unix_addr(a->path, &sun, &len);
		if (ret)
			return ret;
		return vt_connect_sa((const struct sockaddr *)&sun, len, deadline);
	case VT_TCP:
		return vt_connect_tcp(a, deadline);
	case VT_VSOCK:
		vt_vsock_addr(a, &svm);
		return vt_connect_sa((const struct sockaddr *)&svm, sizeof(svm), deadline);
	case VT_SERIAL:
		return vt_open_serial(a);
	default:
		return -EINVAL;
	}
}

/* ---- serial ------------------------------------------------------------- */

/* Raw mode: no echo, no line editing, no CR/LF translation, 8-bit clean. */
static int vt_tty_raw(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &t) < 0)
		return -errno;
	cfmakeraw(&t);
	if (tcsetattr(fd, TCSANOW, &t) < 0)
		return -errno;
	return 0;
}

int vt_open_serial(const struct vt_addr *a)
{
	int fd, ret;

	if (a->kind != VT_SERIAL)
		return -EINVAL;
	fd = open(a->path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (isatty(fd)) {
		ret = vt_tty_raw(fd);
		if (ret) {
			close(fd);
			return ret;
		}
	}
	return fd;
}
