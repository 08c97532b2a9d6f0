/* SPDX-License-Identifier: MIT */
/*
 * guest.c - guest blocks of the configuration: their directives, the
 * checks at "end", matching a connection to a block, and the path rules
 * (opens, masters) of one guest.  The ioctl verdict is in policy.c.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "isolation/guest.h"
#include "vdri/classes.h"

/* Bits of iso_guest.given: directives that may appear once per block. */
enum {
	G_MATCH,
	G_TOKEN, /* token or token-file */
	G_UID,
	G_CID,
	G_ADDR,
	G_ROLE,
	G_MAX_FILES,
	G_MAX_INFLIGHT,
	G_MAX_CALL_BYTES,
	G_MAX_CALL_BUFFERS,
	G_FLINK,
	G_MEMORY, /* + enum iso_dom */
	G_COUNT = G_MEMORY + ISO_DOM_N
};
_Static_assert(G_COUNT <= 32, "iso_guest.given has 32 bits");

void iso_guest_init(struct iso_guest *g, const char *name, int line)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->line = line;
	g->role = ISO_ROLE_DISPLAY;
	for (int d = 0; d < ISO_DOM_N; d++)
		g->mem[d] = ISO_UNLIMITED;
	g->max_files = 1024;
	g->flink = ISO_FLINK_OWN;
}

int iso_guest_name_check(const char *name, char *err, size_t errlen)
{
	size_t n = strlen(name);

	if (n == 0 || n >= sizeof(((struct iso_guest *)0)->name)) {
		snprintf(err, errlen, "a guest name has 1 to 63 bytes");
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i])) {
			snprintf(err, errlen,
				 "guest name '%s': only letters, digits, '.', '_', '-'", name);
			return -EINVAL;
		}
	return 0;
}

/* ---- values ------------------------------------------------------------ */

/* Decimal, with a K, M or G suffix (powers of 1024) when sized; in lo..hi. */
static int parse_num(const char *s, int sized, uint64_t lo, uint64_t hi, uint64_t *out)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (sized && *end) {
		const char *u = strchr("KMG", toupper((unsigned char)*end));

		if (!u || !*u)
			return -EINVAL;
		shift = 10u * (unsigned)(u - "KMG" + 1);
		end++;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	v <<= shift;
	if (v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

/* An IP literal as 16 bytes, IPv4 mapped into IPv6 (::ffff:a.b.c.d). */
static int ip_parse(const char *s, uint8_t out[16])
{
	uint8_t v4[4];

	if (inet_pton(AF_INET6, s, out) == 1)
		return 0;
	if (inet_pton(AF_INET, s, v4) != 1)
		return -EINVAL;
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, v4, 4);
	return 0;
}

static int set_token(struct iso_guest *g, const uint8_t *t, size_t n, char *err, size_t errlen)
{
	if (n < ISO_TOKEN_MIN || n > ISO_TOKEN_MAX) {
		/* never the token itself: it is a secret and this goes to logs */
		snprintf(err, errlen, "token: %zu bytes, want %d to %d", n, ISO_TOKEN_MIN,
			 ISO_TOKEN_MAX);
		return -EINVAL;
	}
	memcpy(g->token, t, n);
	g->token_len = (uint16_t)n;
	g->has_token = 1;
	return 0;
}

/*
 * A token file's content, one trailing newline (LF or CR LF) stripped, as
 * the frontend's VDRI_TOKEN_FILE.  Only a regular file: a FIFO would block.
 */
static int read_token_file(struct iso_guest *g, const char *path, char *err, size_t errlen)
{
	uint8_t buf[ISO_TOKEN_MAX + 3];
	size_t n = 0;
	struct stat st;
	int fd, r = 0;

	if (path[0] != '/') {
		snprintf(err, errlen, "token-file must be an absolute path, not '%s'", path);
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st))
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = -EISDIR; /* any non-regular file; the message says which */
	if (r) {
		snprintf(err, errlen, "token-file %s: %s", path,
			 r == -EISDIR ? "not a regular file" : strerror(-r));
		if (fd >= 0)
			close(fd);
		return -EINVAL;
	}
	while (n < sizeof(buf)) {
		ssize_t k = read(fd, buf + n, sizeof(buf) - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			r = -errno;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	if (r) {
		snprintf(err, errlen, "token-file %s: %s", path, strerror(-r));
		return -EINVAL;
	}
	if (n && buf[n - 1] == '\n') {
		n--;
		if (n && buf[n - 1] == '\r')
			n--;
	}
	r = set_token(g, buf, n, err, errlen);
	explicit_bzero(buf, sizeof(buf)); /* the secret stays in the policy only */
	if (r)
		snprintf(err, errlen, "token-file %s: %zu bytes%s, want %d to %d", path, n,
			 n > ISO_TOKEN_MAX ? " or more" : "", ISO_TOKEN_MIN, ISO_TOKEN_MAX);
	return r;
}

/* ---- ioctl names ------------------------------------------------------- */

static const struct m_ioctl *table_by_name(const struct m_table *t, const char *name)
{
	for (uint32_t i = 0; t && i < t->count; i++)
		if (t->ioctls[i].name && !strcmp(t->ioctls[i].name, name))
			return &t->ioctls[i];
	return NULL;
}

int iso_ioctl_by_name(const char *name, uint32_t *cmd)
{
	for (const struct vdri_class *const *c = vdri_classes; *c; c++) {
		const struct m_ioctl *d = table_by_name((*c)->variants, name);

		for (uint32_t i = 0; !d && i < (*c)->ntables; i++)
			d = table_by_name((*c)->tables[i], name);
		for (const struct vdri_driver *const *v = (*c)->drivers; !d && v && *v; v++)
			d = table_by_name((*v)->table, name);
		if (d) {
			*cmd = d->cmd;
			return 0;
		}
	}
	return -ENOENT;
}

/* NAME (a descriptor's) or a number (0x... or decimal), not 0. */
static int parse_ioctl(const char *val, uint32_t *cmd, char *err, size_t errlen)
{
	if (isdigit((unsigned char)val[0])) {
		unsigned long long v;
		char *end;

		errno = 0;
		v = strtoull(val, &end, 0);
		if (errno || *end || v == 0 || v > UINT32_MAX) {
			snprintf(err, errlen, "'%s' is not a 32-bit ioctl number", val);
			return -EINVAL;
		}
		*cmd = (uint32_t)v;
		return 0;
	}
	if (iso_ioctl_by_name(val, cmd)) {
		snprintf(err, errlen, "unknown ioctl '%s' (no class table has it; give its number)",
			 val);
		return -EINVAL;
	}
	return 0;
}

static int cmd_listed(const uint32_t *list, int n, uint32_t cmd)
{
	for (int i = 0; i < n; i++)
		if (list[i] == cmd)
			return 1;
	return 0;
}

static int add_ioctl(struct iso_guest *g, int is_deny, const char *key, const char *val, char *err,
		     size_t errlen)
{
	uint32_t *list = is_deny ? g->deny : g->allow, cmd;
	const uint32_t *other = is_deny ? g->allow : g->deny;
	int *n = is_deny ? &g->ndeny : &g->nallow, nother = is_deny ? g->nallow : g->ndeny;

	if (parse_ioctl(val, &cmd, err, errlen))
		return -EINVAL;
	if (cmd_listed(other, nother, cmd)) {
		snprintf(err, errlen, "%s %s: the ioctl is in both allow-ioctl and deny-ioctl", key,
			 val);
		return -EINVAL;
	}
	if (cmd_listed(list, *n, cmd)) {
		snprintf(err, errlen, "%s %s: listed twice", key, val);
		return -EINVAL;
	}
	if (*n >= ISO_GUEST_IOCTLS) {
		snprintf(err, errlen, "too many %s lines (max %d)", key, ISO_GUEST_IOCTLS);
		return -EINVAL;
	}
	list[(*n)++] = cmd;
	return 0;
}

static int add_glob(char (*globs)[ISO_GLOB_MAX], int *n, const char *key, const char *val,
		    char *err, size_t errlen)
{
	if (!iso_path_canonical(val)) {
		snprintf(err, errlen, "%s '%s': not an absolute canonical path glob", key, val);
		return -EINVAL;
	}
	if (strlen(val) >= ISO_GLOB_MAX) {
		snprintf(err, errlen, "%s: a glob has at most %d bytes", key, ISO_GLOB_MAX - 1);
		return -EINVAL;
	}
	if (*n >= ISO_GUEST_GLOBS) {
		snprintf(err, errlen, "too many %s lines (max %d)", key, ISO_GUEST_GLOBS);
		return -EINVAL;
	}
	snprintf(globs[(*n)++], ISO_GLOB_MAX, "%s", val);
	return 0;
}

/* "memory system|gtt|vram SIZE|unlimited" */
static int set_memory(struct iso_guest *g, const char *val, char *err, size_t errlen)
{
	size_t wl = strcspn(val, " \t");
	const char *size = val + wl + strspn(val + wl, " \t");
	int dom;
	uint64_t v;

	if (wl == 6 && !strncmp(val, "system", 6))
		dom = ISO_DOM_SYSTEM;
	else if (wl == 3 && !strncmp(val, "gtt", 3))
		dom = ISO_DOM_SYSTEM;
	else if (wl == 4 && !strncmp(val, "vram", 4))
		dom = ISO_DOM_VRAM;
	else {
		snprintf(err, errlen, "memory: the domain is system, gtt or vram, not '%.*s'",
			 (int)wl, val);
		return -EINVAL;
	}
	if (!strcmp(size, "unlimited"))
		v = ISO_UNLIMITED;
	else if (parse_num(size, 1, 0, UINT64_MAX, &v)) {
		snprintf(err, errlen, "memory %s: '%s' is not a size (K, M, G) or unlimited",
			 iso_dom_name((enum iso_dom)dom), size);
		return -EINVAL;
	}
	if (g->given & (1u << (G_MEMORY + dom))) {
		snprintf(err, errlen, "memory %s given twice", iso_dom_name((enum iso_dom)dom));
		return -EINVAL;
	}
	g->given |= 1u << (G_MEMORY + dom);
	g->mem[dom] = v;
	return 0;
}

/* ---- directives -------------------------------------------------------- */

/* The numeric limits: key, bit, sized, range, where. */
static const struct {
	const char *key;
	int bit, sized;
	uint64_t lo, hi;
	size_t off;
} num_keys[] = {
    {"max-files", G_MAX_FILES, 0, 1, 65536, offsetof(struct iso_guest, max_files)},
    {"max-inflight", G_MAX_INFLIGHT, 0, 1, 4096, offsetof(struct iso_guest, max_inflight)},
    {"max-call-bytes", G_MAX_CALL_BYTES, 1, 4096, 64u << 20,
     offsetof(struct iso_guest, max_call_bytes)},
    {"max-call-buffers", G_MAX_CALL_BUFFERS, 0, 1, 4096,
     offsetof(struct iso_guest, max_call_buffers)},
};

static int once(struct iso_guest *g, int bit, const char *key, char *err, size_t errlen)
{
	if (g->given & (1u << bit)) {
		snprintf(err, errlen, "'%s' given twice in guest '%s'",
			 bit == G_TOKEN ? "token/token-file" : key, g->name);
		return -EINVAL;
	}
	g->given |= 1u << bit;
	return 0;
}

static int num_directive(struct iso_guest *g, const char *key, const char *val, char *err,
			 size_t errlen)
{
	for (size_t i = 0; i < sizeof(num_keys) / sizeof(num_keys[0]); i++) {
		uint64_t v;

		if (strcmp(key, num_keys[i].key))
			continue;
		if (parse_num(val, num_keys[i].sized, num_keys[i].lo, num_keys[i].hi, &v)) {
			snprintf(err, errlen, "%s: '%s' is not a number in %llu..%llu%s", key, val,
				 (unsigned long long)num_keys[i].lo,
				 (unsigned long long)num_keys[i].hi,
				 num_keys[i].sized ? " (suffix K, M)" : "");
			return -EINVAL;
		}
		if (once(g, num_keys[i].bit, key, err, errlen))
			return -EINVAL;
		*(uint32_t *)((char *)g + num_keys[i].off) = (uint32_t)v;
		return 0;
	}
	return 1; /* not one of them */
}

static int id_directive(struct iso_guest *g, const char *key, const char *val, char *err,
			size_t errlen)
{
	uint64_t v;
	uint8_t ip[16];

	if (!strcmp(key, "match")) {
		if (strcmp(val, "any")) {
			snprintf(err, errlen, "match: only 'match any', not '%s'", val);
			return -EINVAL;
		}
		if (once(g, G_MATCH, key, err, errlen))
			return -EINVAL;
		g->match_any = 1;
		return 0;
	}
	if (!strcmp(key, "token") || !strcmp(key, "token-file")) {
		if (once(g, G_TOKEN, key, err, errlen))
			return -EINVAL;
		if (!strcmp(key, "token-file"))
			return read_token_file(g, val, err, errlen);
		for (const char *c = val; *c; c++)
			if (!isgraph((unsigned char)*c)) {
				snprintf(err, errlen,
					 "token: printable characters without spaces "
					 "(use token-file for others)");
				return -EINVAL;
			}
		return set_token(g, (const uint8_t *)val, strlen(val), err, errlen);
	}
	if (!strcmp(key, "uid") || !strcmp(key, "cid")) {
		int is_uid = key[0] == 'u';

		if (parse_num(val, 0, 0, UINT32_MAX - 1u, &v)) {
			snprintf(err, errlen, "%s: '%s' is not a number in 0..%u", key, val,
				 UINT32_MAX - 1u);
			return -EINVAL;
		}
		if (once(g, is_uid ? G_UID : G_CID, key, err, errlen))
			return -EINVAL;
		*(is_uid ? &g->uid : &g->cid) = (uint32_t)v;
		*(is_uid ? &g->has_uid : &g->has_cid) = 1;
		return 0;
	}
	if (!strcmp(key, "addr")) {
		if (strlen(val) >= sizeof(g->addr) || ip_parse(val, ip)) {
			snprintf(err, errlen, "addr: '%s' is not an IPv4 or IPv6 address", val);
			return -EINVAL;
		}
		if (once(g, G_ADDR, key, err, errlen))
			return -EINVAL;
		snprintf(g->addr, sizeof(g->addr), "%s", val);
		g->has_addr = 1;
		return 0;
	}
	return 1;
}

static int word_directive(struct iso_guest *g, const char *key, const char *val, char *err,
			  size_t errlen)
{
	if (!strcmp(key, "role")) {
		if (strcmp(val, "render") && strcmp(val, "display")) {
			snprintf(err, errlen, "role must be render or display, not '%s'", val);
			return -EINVAL;
		}
		if (once(g, G_ROLE, key, err, errlen))
			return -EINVAL;
		g->role = !strcmp(val, "render") ? ISO_ROLE_RENDER : ISO_ROLE_DISPLAY;
		return 0;
	}
	if (!strcmp(key, "flink")) {
		if (strcmp(val, "own") && strcmp(val, "deny")) {
			snprintf(err, errlen, "flink must be own or deny, not '%s'", val);
			return -EINVAL;
		}
		if (once(g, G_FLINK, key, err, errlen))
			return -EINVAL;
		g->flink = !strcmp(val, "deny") ? ISO_FLINK_DENY : ISO_FLINK_OWN;
		return 0;
	}
	return 1;
}

static int one_directive(struct iso_guest *g, const char *key, const char *val, char *err,
			 size_t errlen)
{
	int r;

	if ((r = id_directive(g, key, val, err, errlen)) <= 0)
		return r;
	if ((r = word_directive(g, key, val, err, errlen)) <= 0)
		return r;
	if ((r = num_directive(g, key, val, err, errlen)) <= 0)
		return r;
	if (!strcmp(key, "open"))
		return add_glob(g->opens, &g->nopens, key, val, err, errlen);
	if (!strcmp(key, "master"))
		return add_glob(g->masters, &g->nmasters, key, val, err, errlen);
	if (!strcmp(key, "memory"))
		return set_memory(g, val, err, errlen);
	if (!strcmp(key, "allow-ioctl") || !strcmp(key, "deny-ioctl"))
		return add_ioctl(g, key[0] == 'd', key, val, err, errlen);
	snprintf(err, errlen, "unknown directive '%s' in guest '%s'", key, g->name);
	return -EINVAL;
}

int iso_guest_directive(struct iso_guest *g, const char *key, const char *val, char *err,
			size_t errlen)
{
	uint32_t given = g->given;
	int r;

	if (!val || !*val) {
		snprintf(err, errlen, "'%s' needs a value", key);
		return -EINVAL;
	}
	r = one_directive(g, key, val, err, errlen);
	if (r)
		g->given = given; /* a refused line leaves the block as it was */
	return r;
}

/* ---- end of a block ---------------------------------------------------- */

static int globs_match(const char (*globs)[ISO_GLOB_MAX], int n, const char *path)
{
	for (int i = 0; i < n; i++)
		if (fnmatch(globs[i], path, FNM_PATHNAME) == 0)
			return 1;
	return 0;
}

static int literal(const char *glob)
{
	return !strpbrk(glob, "*?[\\");
}

static int check_identity(const struct iso_guest *g, char *err, size_t errlen)
{
	int transports = g->has_uid + g->has_cid + g->has_addr;

	if (!g->match_any && !g->has_token && !transports) {
		snprintf(err, errlen,
			 "guest '%s' has no identity: give match any, token, token-file, uid, "
			 "cid or addr",
			 g->name);
		return -EINVAL;
	}
	if (g->match_any && (g->has_token || transports)) {
		snprintf(err, errlen, "guest '%s': 'match any' with other identity criteria",
			 g->name);
		return -EINVAL;
	}
	if (transports > 1) {
		snprintf(err, errlen,
			 "guest '%s': uid (unix), cid (vsock) and addr (tcp) are different "
			 "transports; give one",
			 g->name);
		return -EINVAL;
	}
	return 0;
}

/* Literal paths can be checked now; exports given after the block cannot. */
static int check_paths(const struct iso_guest *g, const struct iso_policy *p, char *err,
		       size_t errlen)
{
	const char *why;

	for (int i = 0; p && p->nexports && i < g->nopens; i++)
		if (literal(g->opens[i]) && iso_may_open(p, g->opens[i], &why)) {
			snprintf(err, errlen,
				 "guest '%s': open %s matches no export given before the block",
				 g->name, g->opens[i]);
			return -EINVAL;
		}
	for (int i = 0; i < g->nmasters; i++) {
		const char *m = g->masters[i];

		if (!literal(m))
			continue;
		if (g->nopens ? !globs_match(g->opens, g->nopens, m)
			      : p && p->nexports && iso_may_open(p, m, &why)) {
			snprintf(err, errlen, "guest '%s': master %s is not a path it may open",
				 g->name, m);
			return -EINVAL;
		}
	}
	return 0;
}

int iso_guest_finish(struct iso_guest *g, const struct iso_policy *p, char *err, size_t errlen)
{
	if (check_identity(g, err, errlen))
		return -EINVAL;
	if (g->nmasters && g->role != ISO_ROLE_DISPLAY) {
		snprintf(err, errlen, "guest '%s': master is only for role display, not %s",
			 g->name, iso_role_name(g->role));
		return -EINVAL;
	}
	return check_paths(g, p, err, errlen);
}

int iso_guest_clash(const struct iso_guest *gs, int n, const struct iso_guest *g, char *err,
		    size_t errlen)
{
	for (int i = 0; i < n; i++) {
		if (!strcmp(gs[i].name, g->name)) {
			snprintf(err, errlen, "guest '%s' is already defined at line %d", g->name,
				 gs[i].line);
			return -EINVAL;
		}
		if (g->has_token && gs[i].has_token && g->token_len == gs[i].token_len &&
		    !memcmp(g->token, gs[i].token, g->token_len)) {
			snprintf(err, errlen,
				 "guest '%s' has the same token as guest '%s' (line %d)", g->name,
				 gs[i].name, gs[i].line);
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- matching ---------------------------------------------------------- */

/* Constant time in the token's content: a guess learns nothing from timing. */
static int token_eq(const struct iso_guest *g, const uint8_t *t, size_t n)
{
	unsigned diff = n != g->token_len;

	for (size_t i = 0; i < g->token_len; i++)
		diff |= g->token[i] ^ (i < n ? t[i] : 0u);
	return diff == 0;
}

static int addr_eq(const char *want, const char *got)
{
	uint8_t a[16], b[16];

	return got && !ip_parse(want, a) && !ip_parse(got, b) && !memcmp(a, b, 16);
}

static int guest_matches(const struct iso_guest *g, const struct iso_ident *id)
{
	if (g->match_any)
		return 1;
	if (g->has_token && (!id->token || !token_eq(g, id->token, id->token_len)))
		return 0;
	if (g->has_uid && (id->kind != ISO_ID_UNIX || id->uid != g->uid))
		return 0;
	if (g->has_cid && (id->kind != ISO_ID_VSOCK || id->cid != g->cid))
		return 0;
	if (g->has_addr && (id->kind != ISO_ID_TCP || !addr_eq(g->addr, id->addr)))
		return 0;
	return g->has_token || g->has_uid || g->has_cid || g->has_addr;
}

const struct iso_guest *iso_guest_match(const struct iso_guest *gs, int n,
					const struct iso_ident *id)
{
	for (int i = 0; i < n; i++)
		if (guest_matches(&gs[i], id))
			return &gs[i];
	return NULL;
}

/* ---- paths --------------------------------------------------------------- */

int iso_guest_may_open(const struct iso_guest *g, const struct iso_policy *p, const char *path,
		       const char **why)
{
	int r = iso_may_open(p, path, why);

	if (r || !g || !g->nopens || globs_match(g->opens, g->nopens, path))
		return r;
	*why = "path is not among this guest's opens";
	return -EACCES;
}

int iso_guest_may_display(const struct iso_guest *g, const char *path)
{
	if (!g)
		return 1;
	if (g->role != ISO_ROLE_DISPLAY)
		return 0;
	return !g->nmasters || globs_match(g->masters, g->nmasters, path);
}

const char *iso_role_name(enum iso_role r)
{
	return r == ISO_ROLE_RENDER ? "render" : "display";
}

const char *iso_dom_name(enum iso_dom d)
{
	return d == ISO_DOM_VRAM ? "vram" : "system";
}
