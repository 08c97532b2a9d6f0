// SPDX-License-Identifier: GPL-2.0
/*
 * conn.c - the connection to the backend: a kernel TCP socket, the HELLO
 * handshake, requests matched to replies by id, a receive thread that
 * also applies readiness events, and failure: when the stream ends or
 * breaks, every waiter gets -EIO and every file of the connection dies
 * (core/PROTOCOL.md §12).  The next open connects again (a new session).
 */
#include <linux/inet.h>
#include <linux/in.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/utsname.h>
#include <linux/vm_sockets.h>
#include <linux/workqueue.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "vdri_front.h"

struct vf_req {
	struct list_head link;
	u32 id;
	u16 op;
	bool abandoned; /* its caller was killed: the receiver frees it */
	struct completion done;
	int err;
	struct vf_reply rep;
};

/* The backend's address (module parameter "backend", parsed once at load). */
static union {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_vm vm;
} vf_addr;
static int vf_addr_len;
static char vf_addr_text[64];

static DEFINE_MUTEX(vf_cur_lock); /* guards vf_cur and connecting */
/* the module's work items (drained at unload: their code lives here) */
static struct workqueue_struct *vf_wq;
static struct vf_conn *vf_cur;

/* "vsock:CID:PORT"; CID may be "host" (2) */
static int vf_addr_parse_vsock(const char *p)
{
	const char *colon = strchr(p, ':');
	unsigned int cid, port;
	char num[12];
	size_t n;

	if (!colon || colon == p || colon - p >= sizeof(num))
		return -EINVAL;
	n = colon - p;
	memcpy(num, p, n);
	num[n] = '\0';
	if (!strcmp(num, "host"))
		cid = VMADDR_CID_HOST;
	else if (kstrtouint(num, 10, &cid) || cid < VMADDR_CID_HOST || cid == VMADDR_CID_ANY)
		return -EINVAL;
	if (kstrtouint(colon + 1, 10, &port) || port == VMADDR_PORT_ANY)
		return -EINVAL;
	memset(&vf_addr, 0, sizeof(vf_addr));
	vf_addr.vm.svm_family = AF_VSOCK;
	vf_addr.vm.svm_cid = cid;
	vf_addr.vm.svm_port = port;
	vf_addr_len = sizeof(vf_addr.vm);
	snprintf(vf_addr_text, sizeof(vf_addr_text), "vsock:%u:%u", cid, port);
	return 0;
}

/* "tcp:IPV4:PORT" or "vsock:CID:PORT" */
int vf_addr_parse(const char *uri)
{
	char host[20];
	const char *p, *colon;
	unsigned int port;
	size_t n;

	if (uri && !strncmp(uri, "vsock:", 6))
		return vf_addr_parse_vsock(uri + 6);
	if (!uri || strncmp(uri, "tcp:", 4))
		return -EINVAL;
	p = uri + 4;
	colon = strrchr(p, ':');
	if (!colon)
		return -EINVAL;
	n = colon - p;
	if (n == 0 || n >= sizeof(host))
		return -EINVAL;
	memcpy(host, p, n);
	host[n] = '\0';
	if (kstrtouint(colon + 1, 10, &port) || port == 0 || port > 65535)
		return -EINVAL;
	memset(&vf_addr, 0, sizeof(vf_addr));
	vf_addr.in.sin_family = AF_INET;
	vf_addr.in.sin_port = htons(port);
	if (!in4_pton(host, -1, (u8 *)&vf_addr.in.sin_addr.s_addr, '\0', NULL))
		return -EINVAL;
	vf_addr_len = sizeof(vf_addr.in);
	snprintf(vf_addr_text, sizeof(vf_addr_text), "tcp:%pI4:%u", &vf_addr.in.sin_addr, port);
	return 0;
}

const char *vf_addr_desc(void)
{
	return vf_addr_text;
}

/* ---- sending and receiving whole buffers ---------------------------------------- */

static int vf_recv_all(struct socket *sock, void *buf, size_t len)
{
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	size_t got = 0;
	int r;

	while (got < len) {
		iov.iov_base = buf + got;
		iov.iov_len = len - got;
		r = kernel_recvmsg(sock, &msg, &iov, 1, len - got, MSG_WAITALL | MSG_NOSIGNAL);
		if (r == 0)
			return got ? -EIO : -ECONNRESET;
		if (r < 0)
			return r;
		got += r;
	}
	return 0;
}

/*
 * Send every byte of iov.  *sent says how many went out, so a caller
 * interrupted by a signal knows whether the stream is still in step.
 */
static int vf_send_iov(struct socket *sock, struct kvec *iov, int niov, size_t total,
		       size_t *sent)
{
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	struct kvec tmp[8];
	size_t skip;
	int i, n, r;

	while (*sent < total) {
		/* the iovecs past *sent */
		skip = *sent;
		for (i = 0, n = 0; i < niov; i++) {
			if (skip >= iov[i].iov_len) {
				skip -= iov[i].iov_len;
				continue;
			}
			tmp[n].iov_base = iov[i].iov_base + skip;
			tmp[n].iov_len = iov[i].iov_len - skip;
			skip = 0;
			n++;
		}
		r = kernel_sendmsg(sock, &msg, tmp, n, total - *sent);
		if (r <= 0)
			return r ? r : -EPIPE;
		*sent += r;
	}
	return 0;
}

/*
 * The rest of a frame whose sending a signal interrupted goes out from a
 * work item (no signals there), so the stream stays in step.
 */
struct vf_send_work {
	struct work_struct work;
	struct socket *sock;
	struct kvec *iov;
	int niov;
	size_t total, sent;
	int err;
	struct completion done;
};

static void vf_send_rest(struct work_struct *w)
{
	struct vf_send_work *sw = container_of(w, struct vf_send_work, work);

	sw->err = vf_send_iov(sw->sock, sw->iov, sw->niov, sw->total, &sw->sent);
	complete(&sw->done);
}

static void vf_conn_fail(struct vf_conn *c, const char *why, int err);

/* One frame: header + iov.  Caller holds no lock. */
static int vf_send_frame(struct vf_conn *c, struct wire_hdr *h, struct kvec *iov, int niov)
{
	struct kvec all[8];
	size_t sent = 0;
	int i, r;

	if (niov > 7)
		return -EINVAL;
	all[0].iov_base = h;
	all[0].iov_len = sizeof(*h);
	for (i = 0; i < niov; i++)
		all[i + 1] = iov[i];
	r = mutex_lock_killable(&c->send_lock);
	if (r)
		return r;
	if (READ_ONCE(c->dead)) {
		mutex_unlock(&c->send_lock);
		return -EIO;
	}
	r = vf_send_iov(c->sock, all, niov + 1, h->len, &sent);
	if (r && sent > 0 && sent < h->len && (r == -ERESTARTSYS || r == -EINTR)) {
		struct vf_send_work sw = { .sock = c->sock, .iov = all, .niov = niov + 1,
					   .total = h->len, .sent = sent };

		INIT_WORK_ONSTACK(&sw.work, vf_send_rest);
		init_completion(&sw.done);
		queue_work(vf_wq, &sw.work);
		if (wait_for_completion_killable(&sw.done)) {
			/* killed with a frame half sent: the stream cannot be saved */
			vf_conn_fail(c, "a task was killed while sending", -EIO);
			wait_for_completion(&sw.done);
		}
		destroy_work_on_stack(&sw.work);
		r = sw.err;
	}
	mutex_unlock(&c->send_lock);
	if (r && sent > 0)
		vf_conn_fail(c, "send failed", r);
	/* nothing sent: the stream is intact, the caller may restart */
	return r;
}

/* ---- requests ------------------------------------------------------------------- */

/*
 * A caller killed after its OPEN or IOCTL went out never sees the handles
 * the reply makes; they are closed here, from a work item (the receive
 * thread must not wait for the send lock: a sender may be waiting for the
 * backend, which may be waiting for us to read).
 */
struct vf_close_work {
	struct work_struct work;
	struct vf_conn *conn;
	u32 n;
	u32 handles[16];
};

static void vf_close_fn(struct work_struct *w)
{
	struct vf_close_work *cw = container_of(w, struct vf_close_work, work);
	u32 i;

	for (i = 0; i < cw->n && !READ_ONCE(cw->conn->dead); i++)
		vf_send_noreply(cw->conn, WIRE_OP_CLOSE, cw->handles[i]);
	vf_conn_put(cw->conn);
	kfree(cw);
}

/* The handles a reply made: OPEN's result, an IOCTL reply's files. */
static u32 vf_reply_handles(const void *frame, u16 op, u32 *out, u32 max)
{
	const struct wire_hdr *h = frame;
	const u8 *p = frame + WIRE_HDR_SIZE;
	u32 len = h->len - WIRE_HDR_SIZE, n = 0, i;
	const struct wire_ioctl_reply *ir;
	const struct wire_ioctl_buf *b;
	const struct wire_ioctl_file *f;
	s64 result = ((const struct wire_reply *)p)->result;
	u64 off = sizeof(struct wire_reply) + sizeof(*ir);

	if (result < 0)
		return 0;
	if (op == WIRE_OP_OPEN) {
		out[0] = (u32)result;
		return result <= U32_MAX;
	}
	if (op != WIRE_OP_IOCTL || len < off)
		return 0;
	ir = (const void *)(p + sizeof(struct wire_reply));
	for (i = 0; i < ir->nbuf; i++) {
		if (off + sizeof(*b) > len)
			return 0;
		b = (const void *)(p + off);
		off += sizeof(*b) + VDRI_ALIGN8(b->len);
	}
	for (i = 0; i < ir->nfile && n < max && off + sizeof(*f) <= len; i++) {
		f = (const void *)(p + off);
		out[n++] = f->handle;
		off += sizeof(*f);
	}
	return n;
}

static void vf_close_later(struct vf_conn *c, const void *frame, u16 op)
{
	struct vf_close_work *cw = kzalloc(sizeof(*cw), GFP_KERNEL);

	if (!cw)
		return;
	cw->n = vf_reply_handles(frame, op, cw->handles, ARRAY_SIZE(cw->handles));
	/* (never the last reference here: that would stop the receiver from itself) */
	if (!cw->n || !kref_get_unless_zero(&c->ref)) {
		kfree(cw);
		return;
	}
	cw->conn = c;
	INIT_WORK(&cw->work, vf_close_fn);
	queue_work(vf_wq, &cw->work);
}

void vf_reply_free(struct vf_reply *rep)
{
	kvfree(rep->frame);
	rep->frame = NULL;
}

/*
 * Send a request and wait for its reply.  Returns the reply's result
 * (>= 0, or a negated errno from the backend), -EIO when the connection
 * is lost, -E2BIG for a frame over the limit, or -EINTR/-ERESTARTSYS when
 * the caller was killed (or interrupted before anything was sent).  With
 * rep, a reply is kept there (vf_reply_free) whenever one arrived.
 */
s64 vf_call(struct vf_conn *c, u16 op, u32 handle, struct kvec *iov, int niov,
	    struct vf_reply *rep)
{
	struct wire_hdr h;
	struct vf_req *q;
	const struct wire_reply *wr;
	u32 payload = 0;
	s64 result;
	int i, r;

	for (i = 0; i < niov; i++)
		payload += iov[i].iov_len;
	if ((u64)payload + WIRE_HDR_SIZE > c->max_frame)
		return -E2BIG;
	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return -ENOMEM;
	init_completion(&q->done);
	spin_lock(&c->lock);
	if (c->dead) {
		spin_unlock(&c->lock);
		kfree(q);
		return -EIO;
	}
	do {
		q->id = c->next_id++;
	} while (q->id < 2); /* 0: events, 1: HELLO */
	q->op = op;
	list_add_tail(&q->link, &c->pending);
	spin_unlock(&c->lock);

	wire_hdr_init(&h, op, 0, q->id, handle, payload);
	r = vf_send_frame(c, &h, iov, niov);
	if (r) {
		/* not sent (or the connection failed): nobody will complete it */
		spin_lock(&c->lock);
		if (!list_empty(&q->link))
			list_del_init(&q->link);
		spin_unlock(&c->lock);
		if (completion_done(&q->done) && q->rep.frame)
			vf_reply_free(&q->rep);
		kfree(q);
		return r;
	}
	r = wait_for_completion_killable(&q->done);
	if (r) {
		spin_lock(&c->lock);
		if (!list_empty(&q->link)) {
			q->abandoned = true; /* the receiver frees it, closing its handles */
			q = NULL;
		}
		spin_unlock(&c->lock);
		if (q) {
			/* the reply was handed over in the meantime */
			if (q->rep.frame) {
				vf_close_later(c, q->rep.frame, q->op);
				vf_reply_free(&q->rep);
			}
			kfree(q);
		}
		return r;
	}
	if (q->err) {
		result = q->err;
		kfree(q);
		return result;
	}
	wr = q->rep.frame + WIRE_HDR_SIZE;
	result = wr->result;
	q->rep.body = wr + 1;
	q->rep.body_len = ((struct wire_hdr *)q->rep.frame)->len - WIRE_HDR_SIZE - sizeof(*wr);
	if (rep)
		*rep = q->rep;
	else
		vf_reply_free(&q->rep);
	kfree(q);
	return result;
}

/* A request whose reply nobody waits for (CLOSE, MUNMAP): the receiver drops it. */
void vf_send_noreply_iov(struct vf_conn *c, u16 op, u32 handle, struct kvec *iov, int niov)
{
	struct wire_hdr h;
	u32 id, len = 0;
	int i;

	for (i = 0; i < niov; i++)
		len += iov[i].iov_len;
	spin_lock(&c->lock);
	do {
		id = c->next_id++;
	} while (id < 2);
	spin_unlock(&c->lock);
	wire_hdr_init(&h, op, 0, id, handle, len);
	vf_send_frame(c, &h, iov, niov);
}

void vf_send_noreply(struct vf_conn *c, u16 op, u32 handle)
{
	struct wire_hdr h;
	u32 id;

	spin_lock(&c->lock);
	do {
		id = c->next_id++;
	} while (id < 2);
	spin_unlock(&c->lock);
	wire_hdr_init(&h, op, 0, id, handle, 0);
	vf_send_frame(c, &h, NULL, 0);
}

/* ---- files of a connection ------------------------------------------------------ */

int vf_conn_add_file(struct vf_conn *c, struct vf_file *f)
{
	u32 i, revents = f->revents;
	u64 newest = f->born_seq;
	bool seen = false;
	int r;

	r = xa_insert(&c->files, f->handle, f, GFP_KERNEL);
	if (r)
		return r == -EBUSY ? -EPROTO : r;
	spin_lock(&c->lock);
	if (c->dead)
		f->dead = true;
	/* only events that came after the reply that made it (a handle is reused) */
	for (i = 0; i < VF_MISSED; i++) {
		if (c->missed[i].handle != f->handle)
			continue;
		if (c->missed[i].seq > newest) {
			newest = c->missed[i].seq;
			revents = c->missed[i].revents;
			seen = true;
		}
		c->missed[i].handle = 0;
	}
	f->revents = revents;
	spin_unlock(&c->lock);
	if (seen || f->dead)
		vf_file_wake(f, f->dead ? EPOLLERR | EPOLLHUP : revents);
	return 0;
}

void vf_conn_del_file(struct vf_conn *c, struct vf_file *f)
{
	xa_erase(&c->files, f->handle);
}

static void vf_event(struct vf_conn *c, u32 handle, u32 revents)
{
	struct vf_file *f;
	u32 i;

	xa_lock(&c->files);
	f = xa_load(&c->files, handle);
	if (f) {
		spin_lock(&c->lock);
		f->revents = revents;
		spin_unlock(&c->lock);
		vf_file_wake(f, revents);
	} else {
		/* the OPEN (or ioctl) reply is on its way to its caller */
		spin_lock(&c->lock);
		i = c->missed_next++ % VF_MISSED;
		c->missed[i].handle = handle;
		c->missed[i].revents = revents;
		c->missed[i].seq = c->rx_seq;
		spin_unlock(&c->lock);
	}
	xa_unlock(&c->files);
}

/* ---- failure and the receive thread ---------------------------------------------- */

static void vf_conn_fail(struct vf_conn *c, const char *why, int err)
{
	struct vf_req *q, *tmp;
	struct vf_file *f;
	unsigned long idx;

	spin_lock(&c->lock);
	if (c->dead) {
		spin_unlock(&c->lock);
		return;
	}
	c->dead = true;
	list_for_each_entry_safe(q, tmp, &c->pending, link) {
		list_del_init(&q->link);
		if (q->abandoned) {
			kfree(q);
			continue;
		}
		q->err = -EIO;
		complete(&q->done);
	}
	spin_unlock(&c->lock);
	if (why) /* NULL: a connection closed on purpose */
		pr_warn("vdri_front: connection to %s (session %llu) lost: %s (%d); its open files now fail with EIO\n",
			c->desc, c->session, why, err);
	xa_lock(&c->files);
	xa_for_each(&c->files, idx, f) {
		spin_lock(&c->lock);
		f->dead = true;
		spin_unlock(&c->lock);
		vf_file_wake(f, EPOLLERR | EPOLLHUP);
	}
	xa_unlock(&c->files);
	/* wakes a sender blocked on a full socket and the receiver */
	kernel_sock_shutdown(c->sock, SHUT_RDWR);
}

static int vf_rx_frame(struct vf_conn *c)
{
	struct wire_hdr h;
	const char *why = NULL;
	struct vf_req *q, *found = NULL;
	void *frame;
	int r;

	r = vf_recv_all(c->sock, &h, sizeof(h));
	if (r)
		return r;
	spin_lock(&c->lock);
	c->rx_seq++;
	spin_unlock(&c->lock);
	r = wire_hdr_check(&h, c->max_frame, 0, &why);
	if (r) {
		pr_warn("vdri_front: %s: bad frame from the backend: %s\n", c->desc, why);
		return r;
	}
	frame = kvmalloc(h.len, GFP_KERNEL);
	if (!frame)
		return -ENOMEM;
	memcpy(frame, &h, sizeof(h));
	r = vf_recv_all(c->sock, frame + sizeof(h), h.len - sizeof(h));
	if (r) {
		kvfree(frame);
		return r;
	}
	if (h.flags & WIRE_F_EVENT) {
		const struct wire_event *ev = frame + sizeof(h);

		vf_event(c, h.handle, ev->revents);
		kvfree(frame);
		return 0;
	}
	spin_lock(&c->lock);
	list_for_each_entry(q, &c->pending, link) {
		if (q->id == h.id) {
			found = q;
			list_del_init(&q->link);
			if (!q->abandoned) {
				found->rep.frame = frame;
				found->rep.seq = c->rx_seq;
				complete(&found->done);
			}
			break;
		}
	}
	spin_unlock(&c->lock);
	if (found && found->abandoned) {
		vf_close_later(c, frame, found->op);
		kfree(found);
		found = NULL;
	}
	if (!found)
		kvfree(frame); /* CLOSE, MUNMAP, or a caller that was killed */
	return 0;
}

static int vf_rx_thread(void *arg)
{
	struct vf_conn *c = arg;
	int r = 0;

	while (!kthread_should_stop()) {
		r = vf_rx_frame(c);
		if (r)
			break;
	}
	vf_conn_fail(c, r == -ECONNRESET ? "the backend closed the connection" : "receive failed",
		     r);
	/* stay until stopped: the last vf_conn_put joins this thread */
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
	return 0;
}

/* ---- connecting ------------------------------------------------------------------ */

static int vf_hello(struct vf_conn *c)
{
	const char *name = vf_guest_name && *vf_guest_name ? vf_guest_name : utsname()->nodename;
	u16 nlen = min_t(size_t, strlen(name), WIRE_NAME_MAX);
	u16 tlen = vf_token ? min_t(size_t, strlen(vf_token), 256) : 0;
	struct wire_hello hello = {
		.magic = WIRE_MAGIC,
		.version_min = WIRE_VERSION,
		.version_max = WIRE_VERSION,
		.features = WIRE_FEAT_EVENTS | WIRE_FEAT_MMAP,
		.pid = task_tgid_nr(current),
		.name_len = nlen,
		.token_len = tlen,
	};
	struct kvec iov[3] = {
		{ &hello, sizeof(hello) },
		{ (void *)name, nlen },
		{ vf_token, tlen },
	};
	struct wire_hdr h, rh;
	struct wire_reply rr;
	struct wire_hello_reply hr;
	u8 body[sizeof(rr) + sizeof(hr)];
	u32 blen, keep;
	size_t sent = 0;
	int r;

	wire_hdr_init(&h, WIRE_OP_HELLO, 0, 1, 0, sizeof(hello) + nlen + tlen);
	{
		struct kvec all[4] = { { &h, sizeof(h) }, iov[0], iov[1], iov[2] };

		r = vf_send_iov(c->sock, all, tlen ? 4 : 3, h.len, &sent);
	}
	if (r)
		return r;
	r = vf_recv_all(c->sock, &rh, sizeof(rh));
	if (r)
		return r;
	if (rh.op != WIRE_OP_HELLO || rh.flags != WIRE_F_REPLY || rh.id != 1 ||
	    rh.len < sizeof(rh) + sizeof(rr) || rh.len > sizeof(rh) + 4096)
		return -EPROTO;
	blen = rh.len - sizeof(rh);
	keep = min_t(u32, blen, sizeof(body));
	r = vf_recv_all(c->sock, body, keep);
	if (!r && blen > keep) {
		u8 *tail = kmalloc(blen - keep, GFP_KERNEL);

		r = tail ? vf_recv_all(c->sock, tail, blen - keep) : -ENOMEM;
		kfree(tail);
	}
	if (r)
		return r;
	memcpy(&rr, body, sizeof(rr));
	if (rr.result < 0)
		return rr.result < -4095 ? -EPROTO : (int)rr.result;
	if (blen < sizeof(body))
		return -EPROTO;
	memcpy(&hr, body + sizeof(rr), sizeof(hr));
	c->max_frame = clamp_t(u32, hr.max_frame, WIRE_FRAME_MIN_LIMIT, WIRE_FRAME_MAX_LIMIT);
	c->session = hr.session;
	return 0;
}

static void vf_conn_release(struct kref *ref)
{
	struct vf_conn *c = container_of(ref, struct vf_conn, ref);

	if (c->rx) {
		vf_conn_fail(c, NULL, 0);
		kthread_stop(c->rx); /* drops the task reference */
	}
	if (c->sock)
		sock_release(c->sock);
	WARN_ON(!xa_empty(&c->files));
	xa_destroy(&c->files);
	kfree(c);
}

void vf_conn_put(struct vf_conn *c)
{
	if (c)
		kref_put(&c->ref, vf_conn_release);
}

static struct vf_conn *vf_connect(void)
{
	struct vf_conn *c;
	struct sock *sk;
	long tmo = msecs_to_jiffies(vf_timeout_ms);
	int r;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return ERR_PTR(-ENOMEM);
	kref_init(&c->ref);
	mutex_init(&c->send_lock);
	spin_lock_init(&c->lock);
	INIT_LIST_HEAD(&c->pending);
	xa_init(&c->files);
	mutex_init(&c->maps_lock);
	INIT_LIST_HEAD(&c->maps);
	c->next_id = 2;
	c->max_frame = WIRE_FRAME_MIN_LIMIT;
	strscpy(c->desc, vf_addr_text, sizeof(c->desc));

	r = sock_create_kern(&init_net, vf_addr.sa.sa_family, SOCK_STREAM,
			     vf_addr.sa.sa_family == AF_INET ? IPPROTO_TCP : 0, &c->sock);
	if (r)
		goto err;
	sk = c->sock->sk;
	/* connect and HELLO give up after timeout_ms */
	sk->sk_sndtimeo = tmo;
	sk->sk_rcvtimeo = tmo;
	r = kernel_connect(c->sock, &vf_addr.sa, vf_addr_len, 0);
	if (r)
		goto err;
	if (vf_addr.sa.sa_family == AF_INET) {
		tcp_sock_set_nodelay(sk);
		/* a driver VM that vanishes without a FIN is noticed in ~11 s */
		sock_set_keepalive(sk);
		tcp_sock_set_keepidle(sk, 5);
		tcp_sock_set_keepintvl(sk, 2);
		tcp_sock_set_keepcnt(sk, 3);
	}
	r = vf_hello(c);
	if (r)
		goto err;
	sk->sk_sndtimeo = MAX_SCHEDULE_TIMEOUT;
	sk->sk_rcvtimeo = MAX_SCHEDULE_TIMEOUT;
	c->rx = kthread_create(vf_rx_thread, c, "vdri-rx");
	if (IS_ERR(c->rx)) {
		r = PTR_ERR(c->rx);
		c->rx = NULL;
		goto err;
	}
	get_task_struct(c->rx);
	wake_up_process(c->rx);
	pr_info("vdri_front: connected to %s, session %llu, frames up to %u bytes\n", c->desc,
		c->session, c->max_frame);
	return c;
err:
	pr_warn("vdri_front: cannot connect to %s: error %d\n", c->desc, r);
	vf_conn_put(c);
	return ERR_PTR(r);
}

/* The live connection (connecting when there is none), with a reference. */
struct vf_conn *vf_conn_get(void)
{
	struct vf_conn *c, *old = NULL;
	int r, err = -ENODEV;

	r = mutex_lock_killable(&vf_cur_lock);
	if (r)
		return ERR_PTR(r);
	if (vf_cur && READ_ONCE(vf_cur->dead)) {
		old = vf_cur;
		vf_cur = NULL;
	}
	if (!vf_cur) {
		c = vf_connect();
		if (!IS_ERR(c))
			vf_cur = c;
		else if (PTR_ERR(c) == -EACCES || PTR_ERR(c) == -EINTR || PTR_ERR(c) == -ERESTARTSYS)
			err = PTR_ERR(c); /* refused by the backend's policy, or killed */
	}
	c = vf_cur;
	if (c)
		kref_get(&c->ref);
	mutex_unlock(&vf_cur_lock);
	vf_conn_put(old);
	return c ? c : ERR_PTR(err);
}

int vf_conn_init(void)
{
	vf_wq = alloc_workqueue("vdri_front", WQ_UNBOUND, 0);
	return vf_wq ? 0 : -ENOMEM;
}

/*
 * Module unload: no file is open (each holds the module); drop the
 * connection, then let queued work (which may hold the last reference)
 * finish.
 */
void vf_conn_shutdown_current(void)
{
	struct vf_conn *c;

	mutex_lock(&vf_cur_lock);
	c = vf_cur;
	vf_cur = NULL;
	mutex_unlock(&vf_cur_lock);
	vf_conn_put(c);
	destroy_workqueue(vf_wq);
}
