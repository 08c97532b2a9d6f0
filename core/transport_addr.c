/* SPDX-License-Identifier: MIT */
/*
 * transport_addr.c - the transport address syntax: vt_parse, vt_format, vt_kind_name.
 *
 * Owns turning a URI (unix:/path, unix:@name, tcp:host:port, tcp:[v6]:port,
 * vsock:cid:port, serial:/path, shm:/path, shm:@name) into a struct vt_addr
 * and back, with an error message that names what is wrong.  No sockets
 * here: transport.c.
 */
#include <errno.h>
#include <linux/vm_sockets.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "vdri/transport.h"

/* clang-format off */
static const char *const vt_kind_names[VT_KIND_COUNT] = {
    [VT_UNIX] = "unix",
    [VT_TCP] = "tcp",
    [VT_VSOCK] = "vsock",
    [VT_SERIAL] = "serial",
    [VT_SHM] = "shm",
};
/* clang-format on */

const char *vt_kind_name(enum vt_kind k)
{
	if ((unsigned)k >= VT_KIND_COUNT)
		return "unknown";
	return vt_kind_names[k];
}

/* ---- parsing ------------------------------------------------------------ */

__attribute__((format(printf, 3, 4))) static int vt_err(char *err, size_t errlen, const char *fmt,
							...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* A decimal number of n bytes, at most max; 0 or -EINVAL. */
static int vt_parse_u32(const char *s, size_t n, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 10)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int vt_parse_unix(const char *rest, const char *uri, struct vt_addr *out, char *err,
			 size_t errlen)
{
	const char *k = vt_kind_name(out->kind);
	size_t n = strlen(rest);

	if (n == 0)
		return vt_err(err, errlen, "%s: path missing in '%s'", k, uri);
	if (rest[0] == '@' && n == 1)
		return vt_err(err, errlen, "%s: abstract name missing in '%s'", k, uri);
	if (n > VT_PATH_MAX - 1)
		return vt_err(err, errlen, "%s: path too long in '%s' (%zu bytes, at most %d)", k,
			      uri, n, VT_PATH_MAX - 1);
	memcpy(out->path, rest, n + 1);
	return 0;
}

/* Split "host:port" or "[v6]:port"; the host is copied, *port points at the port. */
static int vt_split_host(const char *rest, const char *uri, struct vt_addr *out, const char **port,
			 char *err, size_t errlen)
{
	const char *host = rest, *end;

	if (rest[0] == '[') {
		host = rest + 1;
		end = strchr(host, ']');
		if (!end)
			return vt_err(err, errlen, "tcp: missing ']' in '%s'", uri);
		if (end[1] != ':')
			return vt_err(err, errlen, "tcp: port missing in '%s'", uri);
	} else {
		end = strrchr(rest, ':');
		if (!end)
			return vt_err(err, errlen, "tcp: port missing in '%s'", uri);
		if (memchr(rest, ':', (size_t)(end - rest)))
			return vt_err(err, errlen, "tcp: IPv6 address needs brackets in '%s'", uri);
	}
	if (end == host)
		return vt_err(err, errlen, "tcp: host missing in '%s'", uri);
	if ((size_t)(end - host) >= sizeof(out->host))
		return vt_err(err, errlen, "tcp: host name too long in '%s'", uri);
	memcpy(out->host, host, (size_t)(end - host));
	out->host[end - host] = '\0';
	*port = end + (rest[0] == '[' ? 2 : 1);
	return 0;
}

static int vt_parse_tcp(const char *rest, const char *uri, struct vt_addr *out, char *err,
			size_t errlen)
{
	const char *port = NULL;
	int ret;

	ret = vt_split_host(rest, uri, out, &port, err, errlen);
	if (ret)
		return ret;
	if (*port == '\0')
		return vt_err(err, errlen, "tcp: port missing in '%s'", uri);
	if (vt_parse_u32(port, strlen(port), 65535, &out->port))
		return vt_err(err, errlen, "tcp: bad port '%s' in '%s' (0 to 65535)", port, uri);
	return 0;
}

static int vt_parse_cid(const char *s, size_t n, uint32_t *cid)
{
	static const struct {
		const char *name;
		uint32_t cid;
	} names[] = {
	    {"any", VMADDR_CID_ANY},
	    {"hypervisor", VMADDR_CID_HYPERVISOR},
	    {"local", 1 /* VMADDR_CID_LOCAL, missing from older headers */},
	    {"host", VMADDR_CID_HOST},
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strlen(names[i].name) == n && memcmp(names[i].name, s, n) == 0) {
			*cid = names[i].cid;
			return 0;
		}
	}
	return vt_parse_u32(s, n, UINT32_MAX, cid);
}

static int vt_parse_vsock(const char *rest, const char *uri, struct vt_addr *out, char *err,
			  size_t errlen)
{
	const char *colon = strchr(rest, ':');

	if (!colon || colon[1] == '\0')
		return vt_err(err, errlen, "vsock: port missing in '%s'", uri);
	if (colon == rest)
		return vt_err(err, errlen, "vsock: cid missing in '%s'", uri);
	if (vt_parse_cid(rest, (size_t)(colon - rest), &out->cid))
		return vt_err(err, errlen,
			      "vsock: bad cid '%.*s' in '%s' (a number, any, host, local or "
			      "hypervisor)",
			      (int)(colon - rest), rest, uri);
	if (vt_parse_u32(colon + 1, strlen(colon + 1), UINT32_MAX, &out->port))
		return vt_err(err, errlen, "vsock: bad port '%s' in '%s'", colon + 1, uri);
	return 0;
}

static int vt_parse_serial(const char *rest, const char *uri, struct vt_addr *out, char *err,
			   size_t errlen)
{
	size_t n = strlen(rest);

	if (n == 0)
		return vt_err(err, errlen, "serial: path missing in '%s'", uri);
	if (n >= sizeof(out->path))
		return vt_err(err, errlen, "serial: path too long in '%s' (%zu bytes, at most %zu)",
			      uri, n, sizeof(out->path) - 1);
	memcpy(out->path, rest, n + 1);
	return 0;
}

int vt_parse(const char *uri, struct vt_addr *out, char *err, size_t errlen)
{
	const char *colon;
	size_t n;
	int k;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	if (!uri || !*uri)
		return vt_err(err, errlen, "empty transport address");
	colon = strchr(uri, ':');
	n = colon ? (size_t)(colon - uri) : 0;
	for (k = 0; k < VT_KIND_COUNT; k++)
		if (colon && strlen(vt_kind_names[k]) == n && memcmp(vt_kind_names[k], uri, n) == 0)
			break;
	if (k == VT_KIND_COUNT)
		return vt_err(
		    err, errlen,
		    "unknown transport in '%s' (want unix:, tcp:, vsock:, serial: or shm:)", uri);
	out->kind = (enum vt_kind)k;
	switch (out->kind) {
	case VT_UNIX:
	case VT_SHM:
		return vt_parse_unix(colon + 1, uri, out, err, errlen);
	case VT_TCP:
		return vt_parse_tcp(colon + 1, uri, out, err, errlen);
	case VT_VSOCK:
		return vt_parse_vsock(colon + 1, uri, out, err, errlen);
	default:
		return vt_parse_serial(colon + 1, uri, out, err, errlen);
	}
}

void vt_format(const struct vt_addr *a, char *buf, size_t len)
{
	switch (a->kind) {
	case VT_UNIX:
	case VT_SERIAL:
	case VT_SHM:
		snprintf(buf, len, "%s:%s", vt_kind_name(a->kind), a->path);
		break;
	case VT_TCP:
		if (strchr(a->host, ':'))
			snprintf(buf, len, "tcp:[%s]:%u", a->host, a->port);
		else
			snprintf(buf, len, "tcp:%s:%u", a->host, a->port);
		break;
	case VT_VSOCK:
		if (a->cid == VMADDR_CID_ANY)
			snprintf(buf, len, "vsock:any:%u", a->port);
		else
			snprintf(buf, len, "vsock:%u:%u", a->cid, a->port);
		break;
	default:
		snprintf(buf, len, "unknown:");
		break;
	}
}
