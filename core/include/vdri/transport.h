/* SPDX-License-Identifier: MIT */
/*
 * transport.h - byte-stream transports behind one interface (user space).
 *
 * An address is a URI:
 *   unix:/run/vdri.sock         AF_UNIX stream socket (path)
 *   unix:@name                  AF_UNIX abstract socket
 *   tcp:10.0.2.2:7000           TCP (IPv4 dotted, [v6] or a host name)
 *   vsock:2:7000                AF_VSOCK cid:port (cid may be "any", "host", "local")
 *   serial:/dev/virtio-ports/x  any byte-stream character device or path,
 *                               one connection at a time (a virtio-serial port)
 *   shm:/run/vdri.sock          same host: a unix socket (path or @name) that
 *                               sets up shared-memory rings, then only tells
 *                               whether the peer is alive (shm.h); a daemon
 *                               listening on shm: listens as on unix:, and
 *                               either accepts both kinds of client
 *
 * After connect/accept a transport is just a connected stream fd; frames
 * are read and written with frame_io.h (or, for shm, the rings of shm.h).  Stream options
 * (TCP_NODELAY, keepalive with short timeouts so a dead peer is noticed) are set here.
 */
#ifndef VDRI_TRANSPORT_H
#define VDRI_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum vt_kind { VT_UNIX = 0, VT_TCP, VT_VSOCK, VT_SERIAL, VT_SHM, VT_KIND_COUNT };

#define VT_PATH_MAX 108

struct vt_addr {
	enum vt_kind kind;
	char path[256]; /* unix and shm (leading '@' = abstract), serial */
	char host[256]; /* tcp */
	uint32_t port;	/* tcp, vsock */
	uint32_t cid;	/* vsock */
};

/* Who is on the other end of an accepted connection. */
struct vt_peer {
	enum vt_kind kind;
	pid_t pid; /* unix: SO_PEERCRED */
	uid_t uid;
	gid_t gid;
	uint32_t cid;	/* vsock */
	uint32_t port;	/* tcp, vsock */
	char desc[128]; /* printable: "unix pid 12 uid 0", "tcp 10.0.2.2:4444", ... */
};

/* Parse a URI.  Returns 0, or -EINVAL with a reason in err. */
int vt_parse(const char *uri, struct vt_addr *out, char *err, size_t errlen);
/* Print an address back as a URI. */
void vt_format(const struct vt_addr *a, char *buf, size_t len);
const char *vt_kind_name(enum vt_kind k);

/*
 * Listen on an address.  Returns a listening fd (CLOEXEC, non-blocking) or
 * -errno.  For VT_SERIAL there is no listener: vt_listen returns -EOPNOTSUPP
 * and the backend opens the path with vt_open_serial as one connection.
 * A stale unix socket path left by a dead daemon is replaced.
 */
int vt_listen(const struct vt_addr *a);
/*
 * The port a tcp or vsock listener is bound to (after listening on port 0),
 * or -errno (-EAFNOSUPPORT for unix).
 */
int vt_local_port(int lfd);
/*
 * Accept one connection (CLOEXEC, blocking) and describe the peer (may be
 * NULL).  The listener is non-blocking: -EAGAIN when nothing is pending, so
 * wait for POLLIN first.  For tcp the stream options are set as on connect.
 */
int vt_accept(int lfd, enum vt_kind kind, struct vt_peer *peer);
/*
 * Connect, giving up after timeout_ms (0: the default of 5 s).  Returns a
 * connected blocking fd (CLOEXEC) or -errno (-ECONNREFUSED, -ENOENT,
 * -ETIMEDOUT, ...).  For VT_SERIAL the path is opened read-write.
 */
int vt_connect(const struct vt_addr *a, int timeout_ms);
/* Open a serial path as one connection (backend side). */
int vt_open_serial(const struct vt_addr *a);

#endif /* VDRI_TRANSPORT_H */
