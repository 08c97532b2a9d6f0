/* SPDX-License-Identifier: MIT */
/*
 * backd.c - vdri-backd, the driver-VM daemon: listens on the configured
 * transports, reads each new connection's HELLO (with a deadline, never
 * blocking on a slow peer), and routes it to a session worker: a new worker
 * process for a new session, or the existing worker for an attach.
 *
 * A bad HELLO closes that connection with a logged reason; nothing else is
 * affected.  Worker exits are reaped and logged.  SIGTERM/SIGINT stop the
 * daemon and its workers.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "drm-back/backd.h"
#include "isolation/account.h"

#define MAX_PENDING 64
#define MAX_SESSIONS 256
#define HELLO_DEADLINE_MS 5000
#define SERIAL_RETRY_MS 1000

struct listener {
	struct vt_addr addr;
	int fd;		  /* listening socket, or the open serial path */
	int serial_busy;  /* serial: a connection is in use */
	int64_t retry_at; /* serial: reopen after this time (ms) */
	pid_t owner;	  /* serial: the worker serving its connection */
};

struct pending {
	struct handoff ho;
	uint32_t got;
	int64_t deadline;
};

struct session {
	uint64_t id;
	pid_t pid;
	int ctl;
	int acct_slot;
	char guest[64]; /* the policy's name: connections attaching must match it too */
};

static struct backd_config cfg;
static int saved_argc;
static char **saved_argv;
static struct iso_acct *shared_acct;
static struct iso_guest open_guest;
static void session_unaccount(struct session *s); /* no guest blocks: everybody, unlimited */
static int status_fd = -1;
static const char *refuse_reason; /* --refuse: every HELLO gets EACCES */
static int check_only;		  /* --check: parse, report, exit */
static struct listener listeners[BACKD_MAX_LISTEN];
static struct pending *pend[MAX_PENDING];
static struct session sessions[MAX_SESSIONS];
static int sig_fd = -1;
static pid_t session_last_pid;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pending_add(int fd, const struct vt_peer *peer, int serial_tag)
{
	for (int i = 0; i < MAX_PENDING; i++) {
		if (pend[i])
			continue;
		pend[i] = calloc(1, sizeof(*pend[i]));
		if (!pend[i])
			break;
		pend[i]->ho.fd = fd;
		pend[i]->ho.peer = *peer;
		pend[i]->ho.serial_tag = serial_tag;
		pend[i]->deadline = now_ms() + HELLO_DEADLINE_MS;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		return;
	}
	blog(LOG_W, "%s: too many connections waiting for HELLO; closed", peer->desc);
	close(fd);
	if (serial_tag >= 0)
		listeners[serial_tag].serial_busy = 0;
}

static void serial_release(int tag)
{
	if (tag < 0 || tag >= cfg.nlisten)
		return;
	listeners[tag].serial_busy = 0;
	listeners[tag].owner = 0;
	listeners[tag].retry_at = now_ms() + 100;
}

static void pending_drop(int i, const char *why, int reply_errno)
{
	struct pending *p = pend[i];

	/*
	 * A serial port with nobody at the host end reads as closed at once
	 * and is reopened every second: that is waiting, not a fault.
	 */
	if (why)
		blog(p->ho.serial_tag >= 0 && !reply_errno ? LOG_D : LOG_W,
		     "%s: %s; connection closed", p->ho.peer.desc, why);
	if (reply_errno) {
		const struct wire_hdr *h = (const void *)p->ho.hello;

		fcntl(p->ho.fd, F_SETFL, fcntl(p->ho.fd, F_GETFL) & ~O_NONBLOCK);
		fio_send_reply(p->ho.fd, WIRE_OP_HELLO, h->id, 0, -reply_errno, NULL, 0);
	}
	close(p->ho.fd);
	if (p->ho.serial_tag >= 0) {
		listeners[p->ho.serial_tag].serial_busy = 0;
		listeners[p->ho.serial_tag].retry_at = now_ms() + SERIAL_RETRY_MS;
	}
	free(p);
	pend[i] = NULL;
}

/* Check a complete HELLO frame.  Returns NULL or the reason; *err the errno to reply. */
static const char *hello_check(const struct pending *p, int *err)
{
	const struct wire_hdr *h = (const void *)p->ho.hello;
	const struct wire_hello *hl = (const void *)(h + 1);
	uint32_t need = WIRE_HDR_SIZE + sizeof(*hl) + hl->name_len + hl->token_len;

	*err = EPROTO;
	if (vdri_le32(hl->magic) != WIRE_MAGIC)
		return "bad magic in HELLO";
	if (need != h->len || hl->name_len > WIRE_NAME_MAX || hl->token_len > 256)
		return "HELLO lengths inconsistent";
	if (hl->version_min > WIRE_VERSION || hl->version_max < WIRE_VERSION) {
		*err = EPROTONOSUPPORT;
		return "no common protocol version";
	}
	if (hl->name_len &&
	    wire_check_string(hl, h->len - WIRE_HDR_SIZE, sizeof(*hl), hl->name_len, WIRE_NAME_MAX))
		return "guest name is not a string";
	return NULL;
}

/* Who is connecting, as isolation/ sees it. */
static void ident_of(const struct pending *p, struct iso_ident *id, char *addr, size_t alen,
		     char *name)
{
	const struct wire_hello *hl = (const void *)(p->ho.hello + WIRE_HDR_SIZE);
	const struct vt_peer *peer = &p->ho.peer;

	memset(id, 0, sizeof(*id));
	id->kind = peer->kind == VT_UNIX    ? ISO_ID_UNIX
		   : peer->kind == VT_TCP   ? ISO_ID_TCP
		   : peer->kind == VT_VSOCK ? ISO_ID_VSOCK
					    : ISO_ID_SERIAL;
	id->uid = (uint32_t)peer->uid;
	id->cid = peer->cid;
	if (peer->kind == VT_TCP) {
		/* desc is "tcp IP:PORT" or "tcp [IP6]:PORT" */
		const char *a = peer->desc + 4, *colon = strrchr(a, ':');
		size_t n = colon ? (size_t)(colon - a) : strlen(a);

		if (*a == '[' && n >= 2)
			a++, n -= 2;
		snprintf(addr, alen, "%.*s", (int)n, a);
		id->addr = addr;
	}
	memcpy(name, hl + 1, hl->name_len);
	name[hl->name_len] = '\0';
	id->name = name;
	id->token = (const uint8_t *)(hl + 1) + hl->name_len;
	id->token_len = hl->token_len;
}

/* The policy for a connection, or NULL: no guest block matches. */
static const struct iso_guest *guest_for(const struct pending *p)
{
	struct iso_ident id;
	char addr[64], name[WIRE_NAME_MAX + 1];

	if (!cfg.nguests)
		return &open_guest;
	ident_of(p, &id, addr, sizeof(addr), name);
	return iso_guest_match(cfg.guests, cfg.nguests, &id);
}

static struct session *session_find(uint64_t id)
{
	for (int i = 0; i < MAX_SESSIONS; i++)
		if (sessions[i].pid && sessions[i].id == id)
			return &sessions[i];
	return NULL;
}

static void close_daemon_fds(int keep)
{
	for (int i = 0; i < cfg.nlisten; i++)
		if (listeners[i].fd >= 0 && listeners[i].fd != keep)
			close(listeners[i].fd);
	for (int i = 0; i < MAX_PENDING; i++)
		if (pend[i] && pend[i]->ho.fd != keep)
			close(pend[i]->ho.fd);
	for (int i = 0; i < MAX_SESSIONS; i++)
		if (sessions[i].pid)
			close(sessions[i].ctl);
	if (status_fd >= 0)
		close(status_fd);
	close(sig_fd);
}

static int session_start(struct pending *p, const struct iso_guest *g)
{
	struct session *s = NULL;
	int sv[2], gi, si;
	uint64_t id;
	pid_t pid;

	for (int i = 0; i < MAX_SESSIONS && !s; i++)
		if (!sessions[i].pid)
			s = &sessions[i];
	if (!s)
		return -EAGAIN;
	do {
		if (getrandom(&id, sizeof(id), 0) != sizeof(id))
			return -EIO;
	} while (!id || session_find(id));
	gi = iso_acct_guest(shared_acct, g);
	si = gi < 0 ? gi : iso_acct_session_start(shared_acct, gi, id, 0, p->ho.peer.desc);
	if (si < 0)
		return si;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		iso_acct_session_end(shared_acct, si, (uint64_t[ISO_DOM_N]){0});
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		iso_acct_session_end(shared_acct, si, (uint64_t[ISO_DOM_N]){0});
		return -errno;
	}
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		close(sv[0]);
		close_daemon_fds(p->ho.fd);
		fcntl(p->ho.fd, F_SETFL, fcntl(p->ho.fd, F_GETFL) | O_NONBLOCK);
		worker_main(&cfg, sv[1], id, &p->ho, g, shared_acct, si);
	}
	close(sv[1]);
	session_last_pid = pid;
	s->id = id;
	s->pid = pid;
	s->ctl = sv[0];
	s->acct_slot = si;
	shared_acct->session[si].pid = (int32_t)pid;
	snprintf(s->guest, sizeof(s->guest), "%s", g->name);
	blog(LOG_I, "%s: guest %s: session %016llx, worker %d", p->ho.peer.desc, g->name,
	     (unsigned long long)id, (int)pid);
	return 0;
}

static int session_attach(struct session *s, struct pending *p)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {&p->ho, sizeof(p->ho)};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &p->ho.fd, sizeof(int));
	if (sendmsg(s->ctl, &m, MSG_NOSIGNAL) != (ssize_t)sizeof(p->ho))
		return -errno;
	return 0;
}

static void pending_route(int i)
{
	struct pending *p = pend[i];
	const struct wire_hello *hl = (const void *)(p->ho.hello + WIRE_HDR_SIZE);
	const struct iso_guest *g;
	const char *why;
	int err, r;

	why = hello_check(p, &err);
	if (why) {
		pending_drop(i, why, err);
		return;
	}
	p->ho.hello_len = p->got;
	if (refuse_reason) {
		char reason[300];

		snprintf(reason, sizeof(reason), "refusing every guest: %s", refuse_reason);
		pending_drop(i, reason, EACCES);
		return;
	}
	g = guest_for(p);
	if (!g) {
		pending_drop(i, "no guest policy matches this peer and token", EACCES);
		return;
	}
	if (hl->session) {
		struct session *s = session_find(hl->session);

		if (!s) {
			pending_drop(i, "attach to an unknown session", ESRCH);
			return;
		}
		if (strcmp(s->guest, g->name)) {
			pending_drop(i, "attach to a session of another guest", EACCES);
			return;
		}
		r = session_attach(s, p);
	} else {
		r = session_start(p, g);
	}
	if (r) {
		blog(LOG_E, "%s: could not start or reach a session: %s", p->ho.peer.desc,
		     strerror(-r));
		pending_drop(i, NULL, -r);
		return;
	}
	if (p->ho.serial_tag >= 0)
		listeners[p->ho.serial_tag].owner =
		    hl->session ? session_find(hl->session)->pid : session_last_pid;
	close(p->ho.fd);
	free(p);
	pend[i] = NULL;
}

static void pending_readable(int i)
{
	struct pending *p = pend[i];
	const struct wire_hdr *h = (const void *)p->ho.hello;
	uint32_t want = p->got < WIRE_HDR_SIZE ? WIRE_HDR_SIZE : h->len;
	ssize_t n = read(p->ho.fd, p->ho.hello + p->got, want - p->got);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		pending_drop(i, n ? strerror(errno) : "closed before HELLO", 0);
		return;
	}
	p->got += (uint32_t)n;
	if (p->got == WIRE_HDR_SIZE) {
		if (h->op != WIRE_OP_HELLO || h->flags || !h->id)
			return pending_drop(i, "first frame is not a HELLO", 0);
		if (h->len < WIRE_HDR_SIZE + sizeof(struct wire_hello) ||
		    h->len > sizeof(p->ho.hello))
			return pending_drop(i, "HELLO frame has a bad length", EPROTO);
	}
	if (p->got >= WIRE_HDR_SIZE && p->got == h->len)
		pending_route(i);
}

static void listener_ready(int i)
{
	struct listener *l = &listeners[i];
	struct vt_peer peer;
	int fd;

	if (l->addr.kind == VT_SERIAL)
		return;
	fd = vt_accept(l->fd, l->addr.kind, &peer);
	if (fd < 0) {
		if (fd != -EAGAIN && fd != -EINTR)
			blog(LOG_W, "accept on listener %d: %s", i, strerror(-fd));
		return;
	}
	pending_add(fd, &peer, -1);
}

static void serial_reopen(void)
{
	for (int i = 0; i < cfg.nlisten; i++) {
		struct listener *l = &listeners[i];
		struct vt_peer peer = {.kind = VT_SERIAL};
		int fd;

		if (l->addr.kind != VT_SERIAL || l->serial_busy || now_ms() < l->retry_at)
			continue;
		fd = vt_open_serial(&l->addr);
		if (fd < 0) {
			l->retry_at = now_ms() + SERIAL_RETRY_MS;
			continue;
		}
		l->serial_busy = 1;
		snprintf(peer.desc, sizeof(peer.desc), "serial %.100s", l->addr.path);
		pending_add(fd, &peer, i);
	}
}

static void session_ctl(int i)
{
	int32_t tag;
	ssize_t n = recv(sessions[i].ctl, &tag, sizeof(tag), MSG_DONTWAIT);

	if (n == sizeof(tag))
		serial_release(tag);
}

static void reap(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < MAX_SESSIONS; i++) {
			if (sessions[i].pid != pid)
				continue;
			if (WIFSIGNALED(status))
				blog(LOG_W, "session %016llx worker %d killed by signal %d",
				     (unsigned long long)sessions[i].id, pid, WTERMSIG(status));
			else if (WEXITSTATUS(status))
				blog(LOG_W, "session %016llx worker %d exited with status %d",
				     (unsigned long long)sessions[i].id, pid, WEXITSTATUS(status));
			close(sessions[i].ctl);
			sessions[i].pid = 0;
			session_unaccount(&sessions[i]);
			/* A serial connection whose worker died is free again. */
			for (int k = 0; k < cfg.nlisten; k++)
				if (listeners[k].owner == pid)
					serial_release(k);
		}
	}
}
static void shutdown_all(int sig)
{
	blog(LOG_I, "stopping on signal %d", sig);
	for (int i = 0; i < MAX_SESSIONS; i++)
		if (sessions[i].pid)
			kill(sessions[i].pid, SIGTERM);
	for (int i = 0; i < cfg.nlisten; i++)
		if ((listeners[i].addr.kind == VT_UNIX || listeners[i].addr.kind == VT_SHM) &&
		    listeners[i].addr.path[0] != '@')
			unlink(listeners[i].addr.path);
	if (status_fd >= 0 && cfg.status.kind == VT_UNIX && cfg.status.path[0] != '@')
		unlink(cfg.status.path);
	if (cfg.ready_file)
		unlink(cfg.ready_file);
	exit(0);
}

/* The worker is gone: what it still had charged goes back to its guest. */
static void session_unaccount(struct session *s)
{
	uint64_t left[ISO_DOM_N];

	iso_acct_session_end(shared_acct, s->acct_slot, left);
	for (int d = 0; d < ISO_DOM_N; d++)
		if (left[d])
			blog(LOG_I, "session %016llx: %llu bytes of %s returned to guest %s",
			     (unsigned long long)s->id, (unsigned long long)left[d],
			     iso_dom_name((enum iso_dom)d), s->guest);
}

/* Guests get slots at start and on reload, so the status lists them all. */
static void account_guests(void)
{
	if (!cfg.nguests) {
		iso_acct_guest(shared_acct, &open_guest);
		return;
	}
	for (int i = 0; i < cfg.nguests; i++)
		if (iso_acct_guest(shared_acct, &cfg.guests[i]) < 0)
			blog(LOG_W, "guest %s: no accounting slot left", cfg.guests[i].name);
}

static int parse_args(int argc, char **argv, struct backd_config *c);

/*
 * SIGHUP: the command line (and so its -c files) is read again into a new
 * configuration.  A bad one is logged and the running one kept.  A good
 * one replaces the guests, exports and flat-ioctl policy for new sessions;
 * partitions (limits) apply at once to running sessions through the
 * shared region; listeners, threads and limits of the daemon itself need a
 * restart.  No guest is dropped.
 */
static void reload(void)
{
	struct backd_config fresh;

	backd_config_init(&fresh);
	optind = 0; /* glibc: start the scan afresh */
	if (parse_args(saved_argc, saved_argv, &fresh)) {
		blog(LOG_E, "SIGHUP: configuration not reloaded (see the error above); "
			    "keeping the running one");
		backd_config_fini(&fresh);
		return;
	}
	memcpy(cfg.guests, fresh.guests, sizeof(cfg.guests));
	cfg.nguests = fresh.nguests;
	{
		struct iso_policy tmp = cfg.policy;

		cfg.policy = fresh.policy;
		fresh.policy = tmp;
	}
	backd_config_fini(&fresh);
	account_guests();
	blog(LOG_I, "SIGHUP: configuration reloaded: %d guest%s, %d export%s", cfg.nguests,
	     cfg.nguests == 1 ? "" : "s", cfg.policy.nexports, cfg.policy.nexports == 1 ? "" : "s");
}

/*
 * One status report per connection, then close (vdri status).  Written
 * without waiting: a reader that does not read cannot stall the daemon
 * (it gets what the socket buffer took).
 */
static void status_ready(void)
{
	static char buf[256 * 1024];
	struct vt_peer peer;
	size_t n, off = 0;
	int fd = vt_accept(status_fd, cfg.status.kind, &peer);

	if (fd < 0)
		return;
	n = refuse_reason
		? (size_t)snprintf(buf, sizeof(buf), "refusing every guest: %s\n", refuse_reason)
		: 0;
	n += iso_acct_format(shared_acct, buf + n, sizeof(buf) - n);
	while (off < n) {
		ssize_t k = send(fd, buf + off, n - off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (k <= 0)
			break;
		off += (size_t)k;
	}
	if (off < n)
		blog(LOG_W, "%s: status report cut at %zu of %zu bytes (reader too slow)",
		     peer.desc, off, n);
	close(fd);
}

static void signal_readable(void)
{
	struct signalfd_siginfo si;

	while (read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			reap();
		else if (si.ssi_signo == SIGHUP)
			reload();
		else
			shutdown_all((int)si.ssi_signo);
	}
}

enum slot_kind { SLOT_SIGNAL, SLOT_LISTENER, SLOT_PENDING, SLOT_SESSION, SLOT_STATUS };

struct slot {
	enum slot_kind kind;
	int idx;
};

#define MAX_SLOTS (2 + BACKD_MAX_LISTEN + MAX_PENDING + MAX_SESSIONS)

/* Fill the poll set; drops pending connections past their HELLO deadline. */
static int build_pollset(struct pollfd *pfd, struct slot *who)
{
	int64_t now = now_ms();
	int n = 0;

	pfd[n] = (struct pollfd){sig_fd, POLLIN, 0};
	who[n++] = (struct slot){SLOT_SIGNAL, 0};
	if (status_fd >= 0) {
		pfd[n] = (struct pollfd){status_fd, POLLIN, 0};
		who[n++] = (struct slot){SLOT_STATUS, 0};
	}
	for (int i = 0; i < cfg.nlisten; i++)
		if (listeners[i].addr.kind != VT_SERIAL) {
			pfd[n] = (struct pollfd){listeners[i].fd, POLLIN, 0};
			who[n++] = (struct slot){SLOT_LISTENER, i};
		}
	for (int i = 0; i < MAX_PENDING; i++) {
		if (!pend[i])
			continue;
		if (now >= pend[i]->deadline) {
			pending_drop(i, "no HELLO before the deadline", 0);
			continue;
		}
		pfd[n] = (struct pollfd){pend[i]->ho.fd, POLLIN, 0};
		who[n++] = (struct slot){SLOT_PENDING, i};
	}
	for (int i = 0; i < MAX_SESSIONS; i++)
		if (sessions[i].pid) {
			pfd[n] = (struct pollfd){sessions[i].ctl, POLLIN, 0};
			who[n++] = (struct slot){SLOT_SESSION, i};
		}
	return n;
}

static void slot_ready(const struct slot *w)
{
	switch (w->kind) {
	case SLOT_SIGNAL:
		signal_readable();
		break;
	case SLOT_LISTENER:
		listener_ready(w->idx);
		break;
	case SLOT_PENDING:
		if (pend[w->idx])
			pending_readable(w->idx);
		break;
	case SLOT_SESSION:
		if (sessions[w->idx].pid)
			session_ctl(w->idx);
		break;
	case SLOT_STATUS:
		status_ready();
		break;
	}
}

static int daemon_loop(void)
{
	for (;;) {
		struct pollfd pfd[MAX_SLOTS];
		struct slot who[MAX_SLOTS];
		int n = build_pollset(pfd, who);

		if (poll(pfd, (nfds_t)n, 1000) < 0 && errno != EINTR)
			return -errno;
		for (int k = 0; k < n; k++)
			if (pfd[k].revents)
				slot_ready(&who[k]);
		serial_reopen();
	}
}

static int open_listeners(void)
{
	char uri[300];

	for (int i = 0; i < cfg.nlisten; i++) {
		listeners[i].addr = cfg.listen[i];
		listeners[i].fd = -1;
		vt_format(&cfg.listen[i], uri, sizeof(uri));
		if (cfg.listen[i].kind == VT_SERIAL) {
			blog(LOG_I, "serving serial %s", uri);
			continue;
		}
		listeners[i].fd = vt_listen(&cfg.listen[i]);
		if (listeners[i].fd < 0) {
			blog(LOG_E, "cannot listen on %s: %s", uri, strerror(-listeners[i].fd));
			return listeners[i].fd;
		}
		blog(LOG_I, "listening on %s", uri);
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vdri-backd [-c FILE] [-l URI]... [-e GLOB]... [--flat-ioctl allow|deny]\n"
		"                  [-t THREADS] [--ready-file PATH] [--syslog] [-v]\n"
		"  -c FILE      configuration file (see configs/vdri-backd.conf)\n"
		"  -l URI       listen: unix:PATH, unix:@NAME, tcp:HOST:PORT, vsock:CID:PORT,\n"
		"               serial:PATH, shm:PATH (a unix socket; clients may move to\n"
		"               shared-memory rings on any unix socket)\n"
		"  -e GLOB      export device paths matching GLOB (e.g. '/dev/dri/*')\n"
		"  -t N         worker threads per guest session (default 4)\n"
		"  --shm-spin-us N  most µs to busy-poll a shm ring before sleeping (200)\n"
		"  --check      check the configuration and exit (0: good, 2: the error)\n"
		"  --refuse WHY listen, but refuse every guest (EACCES) with this reason\n"
		"  -v           debug logging\n");
}

static int parse_args(int argc, char **argv, struct backd_config *c)
{
	/* clang-format off */
	static const struct option opts[] = {{"config", 1, 0, 'c'},
					     {"listen", 1, 0, 'l'},
					     {"export", 1, 0, 'e'},
					     {"flat-ioctl", 1, 0, 'F'},
					     {"threads", 1, 0, 't'},
					     {"shm-spin-us", 1, 0, 'P'},
					     {"ready-file", 1, 0, 'R'},
					     {"syslog", 0, 0, 'S'},
					     {"verbose", 0, 0, 'v'},
					     {"keep-capability", 1, 0, 'K'},
					     {"check", 0, 0, 'C'},
					     {"refuse", 1, 0, 'X'},
					     {"help", 0, 0, 'h'},
					     {0, 0, 0, 0}};
	static const char *const keys[128] = {
	    ['l'] = "listen",  ['e'] = "export",     ['F'] = "flat-ioctl",
	    ['t'] = "threads", ['R'] = "ready-file", ['K'] = "keep-capability",
	    ['P'] = "shm-spin-us"};
	/* clang-format on */
	char err[512];
	int o;

	while ((o = getopt_long(argc, argv, "c:l:e:t:vh", opts, NULL)) != -1) {
		int r = 0;

		if (o == 'c')
			r = backd_config_load(c, optarg, err, sizeof(err));
		else if (o == 'S')
			c->use_syslog = 1;
		else if (o == 'v')
			c->verbose = 1;
		else if (o == 'C')
			check_only = 1;
		else if (o == 'X')
			refuse_reason = optarg;
		else if (o == 'h')
			return usage(stdout), 1;
		else if (o > 0 && o < 128 && keys[o])
			r = backd_config_directive(c, keys[o], optarg, err, sizeof(err));
		else
			return usage(stderr), -1;
		if (r) {
			if (shared_acct) /* a reload: the daemon runs and logs */
				blog(LOG_E, "%s", err);
			else
				fprintf(stderr, "vdri-backd: %s\n", err);
			return -1;
		}
	}
	if (optind < argc || !c->nlisten) {
		fprintf(stderr, "vdri-backd: %s\n",
			optind < argc ? "unexpected arguments" : "nothing to listen on (-l URI)");
		return -1;
	}
	return 0;
}

static void write_ready_file(void)
{
	char tmp[4096];
	FILE *f;

	if (!cfg.ready_file)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", cfg.ready_file);
	f = fopen(tmp, "we");
	if (!f) {
		blog(LOG_W, "ready file %s: %s", tmp, strerror(errno));
		return;
	}
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	rename(tmp, cfg.ready_file);
}

int main(int argc, char **argv)
{
	char uri[300];
	sigset_t set;
	int r;

	backd_config_init(&cfg);
	saved_argc = argc;
	saved_argv = argv;
	r = parse_args(argc, argv, &cfg);
	if (r)
		return r > 0 ? 0 : 2;
	if (check_only) {
		printf("configuration ok: %d listener%s, %d export%s, %d guest%s\n", cfg.nlisten,
		       cfg.nlisten == 1 ? "" : "s", cfg.policy.nexports,
		       cfg.policy.nexports == 1 ? "" : "s", cfg.nguests,
		       cfg.nguests == 1 ? "" : "s");
		return 0;
	}
	iso_guest_init(&open_guest, "default", 0);
	open_guest.match_any = 1;
	blog_init("vdri-backd", cfg.use_stderr, cfg.use_syslog, cfg.verbose);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	shared_acct = iso_acct_create();
	if (sig_fd < 0 || !shared_acct || open_listeners())
		return 1;
	if (cfg.has_status) {
		status_fd = vt_listen(&cfg.status);
		if (status_fd < 0) {
			vt_format(&cfg.status, uri, sizeof(uri));
			blog(LOG_E, "cannot listen for status on %s: %s", uri,
			     strerror(-status_fd));
			return 1;
		}
		vt_format(&cfg.status, uri, sizeof(uri));
		blog(LOG_I, "status on %s", uri);
	}
	account_guests();
	for (int i = 0; i < cfg.nguests; i++)
		blog(LOG_I, "guest %s: role %s", cfg.guests[i].name,
		     iso_role_name(cfg.guests[i].role));
	for (int i = 0; i < cfg.policy.nexports; i++)
		blog(LOG_I, "exporting %s", cfg.policy.exports[i]);
	if (refuse_reason)
		blog(LOG_W, "refusing every guest: %s", refuse_reason);
	blog(LOG_I, "ready (protocol %d, flat ioctls %s)", WIRE_VERSION,
	     cfg.policy.flat_ioctl ? "allowed" : "denied");
	write_ready_file();
	r = daemon_loop();
	blog(LOG_E, "daemon loop failed: %s", strerror(-r));
	return 1;
}
