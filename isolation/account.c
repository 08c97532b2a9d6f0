/* SPDX-License-Identifier: MIT */
/*
 * account.c - the shared accounting region (see account.h).
 *
 * Every counter a worker changes is updated with __atomic builtins on
 * naturally aligned 64-bit words: lock-free on every target we build for,
 * and shared between processes because the region is MAP_SHARED.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "isolation/account.h"

#define ACCT_MAGIC 0x76616363u /* "vacc" */

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define ADD(p, v) __atomic_add_fetch((p), (v), __ATOMIC_RELAXED)
#define SUB(p, v) __atomic_sub_fetch((p), (v), __ATOMIC_RELAXED)

struct iso_acct *iso_acct_create(void)
{
	struct iso_acct *a =
	    mmap(NULL, sizeof(*a), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (a == MAP_FAILED)
		return NULL;
	a->magic = ACCT_MAGIC;
	a->daemon_pid = (int32_t)getpid();
	a->started = (int64_t)time(NULL);
	return a;
}

void iso_acct_destroy(struct iso_acct *a)
{
	if (a)
		munmap(a, sizeof(*a));
}

int iso_acct_guest(struct iso_acct *a, const struct iso_guest *g)
{
	int free_slot = -1;

	for (int i = 0; i < ISO_ACCT_GUESTS; i++) {
		struct iso_acct_guest *s = &a->guest[i];

		if (!s->in_use) {
			if (free_slot < 0)
				free_slot = i;
			continue;
		}
		if (!strcmp(s->name, g->name)) {
			free_slot = i;
			break;
		}
	}
	if (free_slot < 0)
		return -ENOSPC;
	struct iso_acct_guest *s = &a->guest[free_slot];

	if (!s->in_use)
		snprintf(s->name, sizeof(s->name), "%s", g->name);
	for (int d = 0; d < ISO_DOM_N; d++)
		__atomic_store_n(&s->limit[d], g->mem[d], __ATOMIC_RELAXED);
	s->role = (uint32_t)g->role;
	s->in_use = 1;
	return free_slot;
}

int iso_acct_session_start(struct iso_acct *a, int gi, uint64_t id, pid_t pid, const char *peer)
{
	for (int i = 0; i < ISO_ACCT_SESSIONS; i++) {
		struct iso_acct_session *s = &a->session[i];

		if (s->in_use)
			continue;
		memset(s, 0, sizeof(*s));
		s->guest = gi;
		s->id = id;
		s->pid = (int32_t)pid;
		s->started = (int64_t)time(NULL);
		snprintf(s->peer, sizeof(s->peer), "%s", peer ? peer : "");
		s->in_use = 1;
		ADD(&a->guest[gi].sessions_total, 1);
		return i;
	}
	return -ENOSPC;
}

void iso_acct_session_end(struct iso_acct *a, int si, uint64_t left[ISO_DOM_N])
{
	struct iso_acct_session *s = &a->session[si];
	struct iso_acct_guest *g = &a->guest[s->guest];

	for (int d = 0; d < ISO_DOM_N; d++) {
		left[d] = LOAD(&s->charged[d]);
		SUB(&g->used[d], left[d]);
	}
	ADD(&g->ended_ioctls, LOAD(&s->nioctl));
	ADD(&g->ended_refused, LOAD(&s->nrefused));
	s->in_use = 0;
}

static void raise_peak(uint64_t *peak, uint64_t v)
{
	uint64_t p = LOAD(peak);

	while (v > p &&
	       !__atomic_compare_exchange_n(peak, &p, v, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

int iso_acct_charge(struct iso_acct *a, int si, int d, uint64_t bytes, int force)
{
	struct iso_acct_session *s = &a->session[si];
	struct iso_acct_guest *g = &a->guest[s->guest];
	uint64_t used = LOAD(&g->used[d]), want;

	do {
		uint64_t limit = LOAD(&g->limit[d]);

		want = used + bytes;
		if (!force && (want < used || want > limit)) {
			ADD(&g->noom, 1);
			ADD(&s->noom, 1);
			return -ENOMEM;
		}
	} while (!__atomic_compare_exchange_n(&g->used[d], &used, want, 1, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	ADD(&s->charged[d], bytes);
	raise_peak(&g->peak[d], want);
	return 0;
}

void iso_acct_uncharge(struct iso_acct *a, int si, int d, uint64_t bytes)
{
	struct iso_acct_session *s = &a->session[si];

	SUB(&a->guest[s->guest].used[d], bytes);
	SUB(&s->charged[d], bytes);
}

void iso_acct_count(struct iso_acct *a, int si, enum iso_ctr c, int64_t delta)
{
	struct iso_acct_session *s = &a->session[si];
	uint64_t *p = c == ISO_CTR_FILES   ? &s->files
		      : c == ISO_CTR_CONNS ? &s->conns
		      : c == ISO_CTR_IOCTL ? &s->nioctl
					   : &s->nrefused;

	ADD(p, (uint64_t)delta);
}

uint64_t iso_acct_used(const struct iso_acct *a, int gi, int d)
{
	return LOAD(&a->guest[gi].used[d]);
}

/* ---- the report ---------------------------------------------------------- */

struct out {
	char *buf;
	size_t len, pos;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->pos >= o->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->pos = o->pos + (size_t)n < o->len ? o->pos + (size_t)n : o->len - 1;
}

static void put_limit(struct out *o, uint64_t v)
{
	if (v == ISO_UNLIMITED)
		put(o, "unlimited");
	else
		put(o, "%llu", (unsigned long long)v);
}

static void format_guest(struct out *o, const struct iso_acct *a, int gi)
{
	const struct iso_acct_guest *g = &a->guest[gi];
	uint64_t files = 0, nio = LOAD(&g->ended_ioctls), nref = LOAD(&g->ended_refused);
	int nsess = 0;

	for (int i = 0; i < ISO_ACCT_SESSIONS; i++) {
		const struct iso_acct_session *s = &a->session[i];

		if (!s->in_use || s->guest != gi)
			continue;
		nsess++;
		files += LOAD(&s->files);
		nio += LOAD(&s->nioctl);
		nref += LOAD(&s->nrefused);
	}
	put(o, "guest %s role %s sessions %d files %llu", g->name,
	    iso_role_name((enum iso_role)g->role), nsess, (unsigned long long)files);
	for (int d = 0; d < ISO_DOM_N; d++) {
		put(o, " %s %llu/", iso_dom_name((enum iso_dom)d),
		    (unsigned long long)LOAD(&g->used[d]));
		put_limit(o, LOAD(&g->limit[d]));
	}
	for (int d = 0; d < ISO_DOM_N; d++)
		put(o, " peak-%s %llu", iso_dom_name((enum iso_dom)d),
		    (unsigned long long)LOAD(&g->peak[d]));
	put(o, " ioctls %llu refused %llu oom %llu\n", (unsigned long long)nio,
	    (unsigned long long)nref, (unsigned long long)LOAD(&g->noom));
	for (int i = 0; i < ISO_ACCT_SESSIONS; i++) {
		const struct iso_acct_session *s = &a->session[i];

		if (!s->in_use || s->guest != gi)
			continue;
		put(o, "  session %016llx pid %d files %llu conns %llu", (unsigned long long)s->id,
		    s->pid, (unsigned long long)LOAD(&s->files),
		    (unsigned long long)LOAD(&s->conns));
		for (int d = 0; d < ISO_DOM_N; d++)
			put(o, " %s %llu", iso_dom_name((enum iso_dom)d),
			    (unsigned long long)LOAD(&s->charged[d]));
		put(o, " ioctls %llu refused %llu oom %llu peer %s\n",
		    (unsigned long long)LOAD(&s->nioctl), (unsigned long long)LOAD(&s->nrefused),
		    (unsigned long long)LOAD(&s->noom), s->peer);
	}
}

size_t iso_acct_format(const struct iso_acct *a, char *buf, size_t len)
{
	struct out o = {buf, len, 0};
	int ng = 0, ns = 0;

	if (!len)
		return 0;
	buf[0] = '\0';
	for (int i = 0; i < ISO_ACCT_GUESTS; i++)
		ng += a->guest[i].in_use != 0;
	for (int i = 0; i < ISO_ACCT_SESSIONS; i++)
		ns += a->session[i].in_use != 0;
	put(&o, "vdri-backd pid %d up %llds guests %d sessions %d\n", a->daemon_pid,
	    (long long)(time(NULL) - a->started), ng, ns);
	for (int i = 0; i < ISO_ACCT_GUESTS; i++)
		if (a->guest[i].in_use)
			format_guest(&o, a, i);
	return o.pos;
}
