/* SPDX-License-Identifier: MIT */
/*
 * fuzz_marshal.c - arbitrary request payloads against the backend decoder,
 * for every descriptor of every class and driver, the synthetic nested descriptor and
 * a flat call; every successful decode runs a fake kernel and builds a reply.
 *
 * Input: one selector byte, then the payload.  Selector bit 0 clear: the
 * payload's cmd and flags are set to what each descriptor expects (so one
 * input reaches every descriptor's walk); bit 1: the "ioctl" fails; the
 * rest: what the fake kernel writes.
 */
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fz_one(const struct m_ioctl *d, uint8_t sel, const uint8_t *in, uint32_t len,
		   uint8_t *buf)
{
	uint32_t cmd, flags = d ? 0 : WIRE_IOCTL_FLAT;
	struct m_buf out = {.alloc = &fz_heap};
	struct m_call *c;
	int64_t result;

	memcpy(buf, in, len);
	if (!(sel & 1) && len >= 8) {
		if (d)
			memcpy(buf, &d->cmd, 4);
		memcpy(buf + 4, &flags, 4);
	}
	if (m_decode_request(d, buf, len, &fz_lim, &fz_heap, &fz_back, &c))
		return;
	cmd = m_call_cmd(c);
	result = fz_kernel(d, cmd, c, (uint8_t)(sel >> 2));
	if (sel & 2)
		result = -EINVAL;
	m_encode_reply(c, result, &out);
	m_call_free(c);
	m_buf_fini(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct vdri_class *const *c;
	uint32_t len, i, j;
	uint8_t *buf;

	if (size < 1 || size > (1u << 20))
		return 0;
	len = (uint32_t)size - 1;
	buf = aligned_alloc(8, (len + 8) & ~7u);
	if (!buf)
		return 0;
	fz_one(&fz_nested, data[0], data + 1, len, buf);
	fz_one(NULL, data[0], data + 1, len, buf);
	for (c = vdri_classes; *c; c++)
		for (i = 0; i < (*c)->ntables; i++)
			for (j = 0; j < (*c)->tables[i]->count; j++)
				fz_one(&(*c)->tables[i]->ioctls[j], data[0], data + 1, len, buf);
	for (c = vdri_classes; *c; c++)
		for (const struct vdri_driver *const *d = (*c)->drivers; d && *d; d++)
			for (j = 0; j < (*d)->table->count; j++)
				fz_one(&(*d)->table->ioctls[j], data[0], data + 1, len, buf);
	free(buf);
	return 0;
}

/* ---- seeds: valid requests, as the frontend encodes them ------------------ */

static void fz_seed(const char *dir, const char *name, const struct m_ioctl *d, uint32_t cmd,
		    uint64_t arg, struct fz_guest *g)
{
	struct m_buf out = {.alloc = &fz_heap};
	struct m_plan plan = {.alloc = &fz_heap};
	struct m_access acc;

	fz_access(g, &acc);
	if (m_encode_request(d, cmd, arg, &acc, NULL, &out, &plan)) {
		fprintf(stderr, "seed %s: encode failed\n", name);
		exit(1);
	}
	fz_write_seed(dir, name, 0x10, out.data, out.len);
	m_buf_fini(&out);
	m_plan_fini(&plan);
}

static const struct m_ioctl *fz_find(const char *cls, uint32_t cmd)
{
	const struct m_ioctl *d = vdri_class_find(vdri_class_by_name(cls), cmd);

	if (!d) {
		fprintf(stderr, "no %s %#x\n", cls, cmd);
		exit(1);
	}
	return d;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("VDRI_FUZZ_SEEDS");
	static struct fz_guest_call call;
	static uint8_t mem[512] __attribute__((aligned(8)));
	struct fz_guest g, gm = {mem, sizeof(mem), 100};

	if (!dir)
		return 0;
	fz_guest_call_init(&call, &g);
	fz_seed(dir, "nested", &fz_nested, FZ_NESTED, FZ_U(&call.top), &g);
	strcpy((char *)mem, "tap%d");
	fz_seed(dir, "tunsetiff", fz_find("tun", 0x400454ca), 0x400454ca, FZ_U(mem), &gm);
	fz_seed(dir, "tcsets", fz_find("tty", 0x5402), 0x5402, FZ_U(mem), &gm);
	fz_seed(dir, "tcgets", fz_find("tty", 0x5401), 0x5401, FZ_U(mem), &gm);
	fz_seed(dir, "tiocgptpeer", fz_find("tty", 0x5441), 0x5441, 2, &gm);
	memset(mem, 0, sizeof(mem));
	mem[0] = 3; /* loop_config.fd: guest fd 3 */
	fz_seed(dir, "loop_configure", fz_find("loop", 0x4c0a), 0x4c0a, FZ_U(mem), &gm);
	fz_seed(dir, "loop_set_fd", fz_find("loop", 0x4c00), 0x4c00, 3, &gm);
	exit(0);
}
