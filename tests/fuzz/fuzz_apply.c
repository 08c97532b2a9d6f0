/* SPDX-License-Identifier: MIT */
/*
 * fuzz_apply.c - arbitrary reply payloads against the plans of fixed
 * requests: the frontend must accept exactly the replies that match the
 * plan and never write outside the buffers the plan names.
 *
 * Input: one selector byte (which request), then the reply payload.
 */
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_NCALLS 5

struct fz_call {
	const struct m_ioctl *d;
	uint32_t cmd;
	uint64_t arg;
};

static struct fz_guest_call nested;
static uint8_t mem[512] __attribute__((aligned(8)));
static struct fz_guest g_nested, g_mem;

static const struct m_ioctl *fz_find(const char *cls, uint32_t cmd)
{
	const struct m_ioctl *d = vdri_class_find(vdri_class_by_name(cls), cmd);

	if (!d)
		abort();
	return d;
}

/* Reset guest memory and pick the call; returns its guest. */
static struct fz_guest *fz_pick(uint8_t sel, struct fz_call *call)
{
	fz_guest_call_init(&nested, &g_nested);
	memset(mem, 0, sizeof(mem));
	g_mem = (struct fz_guest){mem, sizeof(mem), 100};
	switch (sel % FZ_NCALLS) {
	case 0:
		*call = (struct fz_call){&fz_nested, FZ_NESTED, FZ_U(&nested.top)};
		return &g_nested;
	case 1:
		*call = (struct fz_call){fz_find("tty", 0x5401), 0x5401, FZ_U(mem)};
		break;
	case 2:
		*call = (struct fz_call){fz_find("tun", 0x400454ca), 0x400454ca, FZ_U(mem)};
		break;
	case 3:
		*call = (struct fz_call){fz_find("tty", 0x5441), 0x5441, 2};
		break;
	default:
		*call = (struct fz_call){NULL, 0xc0105601u, FZ_U(mem)}; /* flat _IOWR, 16 bytes */
		break;
	}
	return &g_mem;
}

static int fz_plan(uint8_t sel, struct fz_call *call, struct m_access *acc, struct m_plan *plan,
		   struct m_buf *req)
{
	fz_access(fz_pick(sel, call), acc);
	return m_encode_request(call->d, call->cmd, call->arg, acc, NULL, req, plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct m_buf req = {.alloc = &fz_heap};
	struct m_plan plan = {.alloc = &fz_heap};
	struct m_access acc;
	struct fz_call call;
	int64_t result;
	uint8_t *reply;

	if (size < 1 || size > (1u << 20))
		return 0;
	if (fz_plan(data[0], &call, &acc, &plan, &req))
		abort();
	reply = malloc(size); /* an exact-size copy: ASan sees any overread */
	if (reply) {
		memcpy(reply, data + 1, size - 1);
		m_apply_reply(call.d, call.cmd, call.arg, &plan, &acc, reply, (uint32_t)size - 1,
			      &result);
		free(reply);
	}
	m_plan_fini(&plan);
	m_buf_fini(&req);
	return 0;
}

/* ---- seeds: the replies a backend would send ------------------------------- */

static void fz_seed(const char *dir, uint8_t sel, uint8_t fill)
{
	struct m_buf req = {.alloc = &fz_heap}, rep = {.alloc = &fz_heap};
	struct m_plan plan = {.alloc = &fz_heap};
	struct m_access acc;
	struct fz_call call;
	struct m_call *c;
	uint8_t *p;
	char name[32];

	if (fz_plan(sel, &call, &acc, &plan, &req))
		abort();
	p = aligned_alloc(8, (req.len + 8) & ~7u);
	memcpy(p, req.data, req.len);
	if (m_decode_request(call.d, p, req.len, NULL, &fz_heap, &fz_back, &c))
		abort();
	if (m_encode_reply(c, fz_kernel(call.d, call.cmd, c, fill), &rep))
		abort();
	snprintf(name, sizeof(name), "reply%u_%u", sel, fill);
	fz_write_seed(dir, name, sel, rep.data, rep.len);
	m_call_free(c);
	free(p);
	m_buf_fini(&req);
	m_buf_fini(&rep);
	m_plan_fini(&plan);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("VDRI_FUZZ_SEEDS");
	uint8_t sel;

	if (!dir)
		return 0;
	for (sel = 0; sel < FZ_NCALLS; sel++)
		fz_seed(dir, sel, 9);
	fz_seed(dir, 0, 3); /* new_handle fails for fd 3: an error reply */
	exit(0);
}
