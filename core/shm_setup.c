/* SPDX-License-Identifier: MIT */
/*
 * shm_setup.c - setting up the shm transport (see shm.h and PROTOCOL.md
 * §17.2, §17.3): the region's layout and control page, SHM_SETUP and its
 * descriptors on the unix socket, what the accepting side checks before it
 * maps a region, taking a region over after exec, and tearing down.  The
 * data path is shm.c; where regions come from, shm_memfd.c.
 *
 * Raw system calls for the transport's own descriptors: see shm.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "vdri/shm.h"

static uint64_t vshm_setup_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- setting up ---------------------------------------------------------------- */

static int vshm_ring_size_ok(uint32_t n)
{
	return n >= VSHM_RING_MIN && n <= VSHM_RING_MAX && (n & (n - 1)) == 0;
}

static uint64_t vshm_region_size(uint32_t ring_size)
{
	return VSHM_CTRL_SIZE + 2ull * ring_size;
}

/* Point the two ends at the rings; resume: counters as the region has them. */
static int vshm_layout(struct vshm *s, int is_backend, int resume)
{
	struct vshm_page *pg = s->reg.base;
	uint8_t *req = (uint8_t *)s->reg.base + VSHM_CTRL_SIZE, *cpl = req + s->ring_size;
	int r;

	s->is_backend = is_backend;
	s->tx_data = is_backend ? VSHM_BELL_CPL_DATA : VSHM_BELL_REQ_DATA;
	s->tx_room = is_backend ? VSHM_BELL_CPL_ROOM : VSHM_BELL_REQ_ROOM;
	s->rx_data = is_backend ? VSHM_BELL_REQ_DATA : VSHM_BELL_CPL_DATA;
	s->rx_room = is_backend ? VSHM_BELL_REQ_ROOM : VSHM_BELL_CPL_ROOM;
	if (resume) {
		r = vring_resume(&s->tx, &pg->req, req, s->ring_size, 1);
		if (!r)
			r = vring_resume(&s->rx, &pg->cpl, cpl, s->ring_size, 0);
		return r;
	}
	if (is_backend)
		return vring_init(&s->tx, &pg->cpl, cpl, s->ring_size) ||
		       vring_init(&s->rx, &pg->req, req, s->ring_size);
	return vring_init(&s->tx, &pg->req, req, s->ring_size) ||
	       vring_init(&s->rx, &pg->cpl, cpl, s->ring_size);
}

static struct vshm *vshm_alloc(const struct vshm_provider *prov, uint32_t ring_size, int sock)
{
	struct vshm *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->prov = prov;
	s->sock = sock;
	s->ring_size = ring_size;
	s->reg.fd = -1;
	for (int i = 0; i < VSHM_BELL_COUNT; i++)
		s->reg.bell[i] = -1;
	vshm_set_spin(s, VSHM_SPIN_DEFAULT_US);
	return s;
}

int vshm_create(struct vshm **out, const struct vshm_provider *prov, uint32_t ring_size, int sock)
{
	struct vshm *s;
	struct vshm_page *pg;
	int r;

	if (!vshm_ring_size_ok(ring_size))
		return -EINVAL;
	s = vshm_alloc(prov, ring_size, sock);
	if (!s)
		return -ENOMEM;
	r = prov->create(&s->reg, vshm_region_size(ring_size));
	if (r) {
		free(s);
		return r;
	}
	pg = s->reg.base;
	pg->magic = vdri_le32(WIRE_SHM_MAGIC);
	pg->version = vdri_le16(WIRE_SHM_VERSION);
	pg->ring_size = vdri_le32(ring_size);
	pg->region_size = vdri_le64(s->reg.size);
	vshm_layout(s, 0, 0);
	*out = s;
	return 0;
}

int vshm_offer(const struct vshm *s, int sock, uint32_t id)
{
	struct {
		struct wire_hdr h;
		struct wire_shm_setup st;
	} m;
	int fds[VSHM_NFDS] = {s->reg.fd};
	char cbuf[CMSG_SPACE(sizeof(fds))] = {0};
	struct iovec iov = {&m, sizeof(m)};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	ssize_t n;

	if (s->reg.fd < 0)
		return -EOPNOTSUPP; /* a provider without descriptors sets up otherwise */
	memcpy(fds + 1, s->reg.bell, sizeof(s->reg.bell));
	memset(&m, 0, sizeof(m));
	wire_hdr_init(&m.h, WIRE_OP_SHM_SETUP, 0, id, 0, sizeof(m.st));
	m.st.magic = vdri_le32(WIRE_SHM_MAGIC);
	m.st.version = vdri_le16(WIRE_SHM_VERSION);
	m.st.nfds = vdri_le16(VSHM_NFDS);
	m.st.region_size = vdri_le64(s->reg.size);
	m.st.ring_size = vdri_le32(s->ring_size);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)sizeof(m) ? 0 : -EIO;
}

static void vshm_close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0) {
			syscall(SYS_close, fds[i]);
			fds[i] = -1;
		}
}

/* The descriptors of every SCM_RIGHTS block: how many arrived (extra ones are closed). */
static int vshm_take_fds(struct msghdr *m, int *fds)
{
	int n = 0;

	for (struct cmsghdr *cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm)) {
		size_t k;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (n < VSHM_NFDS)
				fds[n] = fd;
			else
				syscall(SYS_close, fd);
			n++;
		}
	}
	return n;
}

static int vshm_setup_check(const uint8_t *buf, ssize_t n, int nfds, struct wire_shm_setup *st,
			    const char **why)
{
	struct wire_hdr h;

	*why = "SHM_SETUP expected after a HELLO asking for shm";
	if (n != (ssize_t)(WIRE_HDR_SIZE + sizeof(*st)))
		return -EPROTO;
	memcpy(&h, buf, sizeof(h));
	memcpy(st, buf + WIRE_HDR_SIZE, sizeof(*st));
	if (vdri_le16(h.op) != WIRE_OP_SHM_SETUP || h.flags || !h.id ||
	    vdri_le32(h.len) != WIRE_HDR_SIZE + sizeof(*st))
		return -EPROTO;
	*why = "SHM_SETUP: bad magic, version or reserved field";
	if (vdri_le32(st->magic) != WIRE_SHM_MAGIC || vdri_le16(st->version) != WIRE_SHM_VERSION ||
	    st->reserved)
		return -EPROTO;
	*why = "SHM_SETUP: the descriptors are missing or too many";
	if (vdri_le16(st->nfds) != VSHM_NFDS || nfds != VSHM_NFDS)
		return -EPROTO;
	return 0;
}

int vshm_setup_recv(int sock, int timeout_ms, struct wire_shm_setup *setup, int *fds,
		    const char **why)
{
	uint8_t buf[WIRE_HDR_SIZE + sizeof(*setup)];
	char cbuf[CMSG_SPACE(sizeof(int) * (VSHM_NFDS + 1))];
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr m;
	uint64_t deadline = vshm_setup_now_ns() + (uint64_t)timeout_ms * 1000000u;
	ssize_t n;
	int got, r;

	for (int i = 0; i < VSHM_NFDS; i++)
		fds[i] = -1;
	for (;;) {
		struct pollfd p = {sock, POLLIN, 0};
		uint64_t now = vshm_setup_now_ns();
		struct timespec left;

		memset(&m, 0, sizeof(m));
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			break;
		if (now >= deadline) {
			*why = "no SHM_SETUP within the time limit";
			return -ETIMEDOUT;
		}
		left.tv_sec = (time_t)((deadline - now) / 1000000000u);
		left.tv_nsec = (long)((deadline - now) % 1000000000u);
		syscall(SYS_ppoll, &p, 1, &left, NULL, sizeof(sigset_t));
	}
	if (n < 0) {
		*why = "reading SHM_SETUP failed";
		return -errno;
	}
	got = vshm_take_fds(&m, fds);
	r = vshm_setup_check(buf, n, (m.msg_flags & MSG_CTRUNC) ? -1 : got, setup, why);
	if (n == 0)
		*why = "closed instead of SHM_SETUP";
	if (r)
		vshm_close_fds(fds, VSHM_NFDS);
	return r;
}

/* The control page agrees with what SHM_SETUP said (read once, into private memory). */
static int vshm_page_check(const struct vshm *s)
{
	struct vshm_page pg;

	memcpy(&pg, s->reg.base, sizeof(pg));
	return vdri_le32(pg.magic) == WIRE_SHM_MAGIC && vdri_le16(pg.version) == WIRE_SHM_VERSION &&
	       vdri_le32(pg.ring_size) == s->ring_size && vdri_le64(pg.region_size) == s->reg.size;
}

/* Map fds[] as a region of ring_size rings: the body of attach and adopt. */
static int vshm_map(struct vshm **out, const struct vshm_provider *prov, int *fds,
		    uint32_t ring_size, int sock, int is_backend, const char **why)
{
	struct vshm *s;
	int r;

	*why = "SHM_SETUP: ring size not a power of two between 64 KiB and 64 MiB";
	if (!vshm_ring_size_ok(ring_size)) {
		vshm_close_fds(fds, VSHM_NFDS);
		return -EINVAL;
	}
	s = vshm_alloc(prov, ring_size, sock);
	if (!s) {
		vshm_close_fds(fds, VSHM_NFDS);
		*why = "out of memory";
		return -ENOMEM;
	}
	s->reg.fd = fds[0];
	memcpy(s->reg.bell, fds + 1, sizeof(s->reg.bell));
	r = prov->map(&s->reg, vshm_region_size(ring_size), why);
	if (!r && !vshm_page_check(s)) {
		*why = "the region's control page does not match SHM_SETUP";
		r = -EINVAL;
	}
	if (!r && vshm_layout(s, is_backend, !is_backend)) {
		*why = "shm ring counters are not believable";
		r = -EPROTO;
	}
	if (r) {
		vshm_destroy(s);
		return r;
	}
	*out = s;
	return 0;
}

int vshm_attach(struct vshm **out, const struct vshm_provider *prov,
		const struct wire_shm_setup *setup, int *fds, int sock, const char **why)
{
	uint32_t ring_size = vdri_le32(setup->ring_size);

	if (vdri_le64(setup->region_size) != vshm_region_size(ring_size)) {
		vshm_close_fds(fds, VSHM_NFDS);
		*why = "SHM_SETUP: region size is not 4 KiB plus two rings";
		return -EINVAL;
	}
	return vshm_map(out, prov, fds, ring_size, sock, 1, why);
}

int vshm_adopt(struct vshm **out, const struct vshm_provider *prov, int *fds, uint32_t ring_size,
	       int sock, const char **why)
{
	return vshm_map(out, prov, fds, ring_size, sock, 0, why);
}

void vshm_destroy(struct vshm *s)
{
	if (!s)
		return;
	s->prov->release(&s->reg, 1);
	free(s);
}

void vshm_forget(struct vshm *s)
{
	if (!s)
		return;
	s->prov->release(&s->reg, 0);
	free(s);
}
