/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ring.c - a hostile peer on the other side of the shm rings.  The
 * input drives what the peer writes into the shared control lines and the
 * data area between our reads: counters anywhere, flags, any bytes.  Our
 * consumer end (vshm_recv: struct vring, then struct fio_rx) must hand out
 * only whole, checked, 8-byte aligned frames or drop the connection, and
 * our producer end (vring_space/vring_write) must refuse a consumer
 * counter that is not believable.  The ring data and control areas are
 * heap blocks of exactly their size, so AddressSanitizer sees any access
 * outside them.
 *
 * Input: one byte (bit 0: we are the backend), then commands, each a byte
 * and its operands:
 *   0 prod(u32)              the peer moves its producer counter
 *   1 off(u16) n(u8) bytes   the peer writes n bytes at off (wrapping)
 *   2                        we receive every frame there is
 *   3 cons(u32) n(u8)        the peer moves its consumer counter of our
 *                            other ring; we write n bytes if there is room
 *   4 flags(u8)              the peer sets the sleep flags
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdri/shm.h"

#define FZ_RING VRING_SIZE_MIN

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fz_ring_bell(const struct vshm_region *reg, enum vshm_bell b)
{
}

static const struct vshm_provider fz_prov = {
    .name = "fuzz",
    .ring = fz_ring_bell,
    .drain = fz_ring_bell,
};

struct fz {
	const uint8_t *p;
	size_t left;
};

static int fz_take(struct fz *f, void *dst, size_t n)
{
	if (f->left < n)
		return -1;
	memcpy(dst, f->p, n);
	f->p += n;
	f->left -= n;
	return 0;
}

/* Drain what vshm_recv hands out; -EPROTO ends the connection. */
static int fz_recv(struct vshm *s, struct fio_rx *rx)
{
	const struct wire_hdr *h;
	volatile uint8_t sink = 0;
	int r;

	while ((r = vshm_recv(s, rx, &h)) == 1) {
		if (h->len < WIRE_HDR_SIZE || h->len > rx->max_frame || ((uintptr_t)h & 7))
			abort();
		for (uint32_t i = 0; i < h->len; i++) /* ASan: the whole frame is readable */
			sink ^= ((const uint8_t *)h)[i];
	}
	(void)sink;
	if (r != -EAGAIN && r != -EPROTO)
		abort();
	return r;
}

static int fz_step(struct fz *f, struct vshm *s, struct fio_rx *rx, struct vring_ctrl *peer_rx)
{
	uint8_t cmd, n, flags, buf[256];
	uint32_t v;
	uint16_t off;

	if (fz_take(f, &cmd, 1))
		return -1;
	switch (cmd % 5) {
	case 0:
		if (fz_take(f, &v, 4))
			return -1;
		s->rx.ctrl->prod = v;
		return 0;
	case 1:
		if (fz_take(f, &off, 2) || fz_take(f, &n, 1) || fz_take(f, buf, n))
			return -1;
		for (uint32_t i = 0; i < n; i++)
			s->rx.data[(off + i) & (FZ_RING - 1)] = buf[i];
		return 0;
	case 2:
		return fz_recv(s, rx) == -EPROTO ? -1 : 0;
	case 3: {
		int room;

		if (fz_take(f, &v, 4) || fz_take(f, &n, 1))
			return -1;
		peer_rx->cons = v;
		room = vring_space(&s->tx);
		if (room < 0)
			return -1;
		if ((uint32_t)room > s->tx.size)
			abort();
		memset(buf, 0x5a, n);
		vring_write(&s->tx, buf, n < (uint32_t)room ? n : (uint32_t)room);
		vring_publish(&s->tx);
		return 0;
	}
	default:
		if (fz_take(f, &flags, 1))
			return -1;
		s->rx.ctrl->prod_wait = flags & 1;
		s->tx.ctrl->cons_wait = (flags >> 1) & 1;
		return 0;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vring_ctrl *rxc = calloc(1, sizeof(*rxc)), *txc = calloc(1, sizeof(*txc));
	uint8_t *rxd = calloc(1, FZ_RING), *txd = calloc(1, FZ_RING);
	struct fz f = {data + 1, size ? size - 1 : 0};
	struct vshm s;
	struct fio_rx rx;

	memset(&s, 0, sizeof(s));
	s.prov = &fz_prov;
	s.reg.fd = -1;
	if (size < 1 || !rxc || !txc || !rxd || !txd ||
	    fio_rx_init(&rx, WIRE_FRAME_MIN_LIMIT, data[0] & 1))
		goto out;
	vring_init(&s.rx, rxc, rxd, FZ_RING);
	vring_init(&s.tx, txc, txd, FZ_RING);
	while (fz_step(&f, &s, &rx, txc) == 0)
		;
	fio_rx_fini(&rx);
out:
	free(rxc);
	free(txc);
	free(rxd);
	free(txd);
	return 0;
}

/* ---- seeds ------------------------------------------------------------------ */

struct fz_seed {
	uint8_t b[8192];
	size_t n;
	uint32_t prod;
};

static void fz_put(struct fz_seed *sd, const void *p, size_t n)
{
	memcpy(sd->b + sd->n, p, n);
	sd->n += n;
}

/* The peer writes a frame at its producer counter, moves it, and we receive. */
static void fz_seed_frame(struct fz_seed *sd, uint16_t op, uint16_t flags, uint32_t id,
			  uint32_t plen)
{
	uint8_t frame[200] = {0}, cmd;
	struct wire_hdr h;
	uint16_t off = (uint16_t)sd->prod;
	uint8_t n = (uint8_t)(WIRE_HDR_SIZE + plen);

	wire_hdr_init(&h, op, flags, id, 0, plen);
	memcpy(frame, &h, sizeof(h));
	cmd = 1;
	fz_put(sd, &cmd, 1);
	fz_put(sd, &off, 2);
	fz_put(sd, &n, 1);
	fz_put(sd, frame, n);
	sd->prod += n;
	cmd = 0;
	fz_put(sd, &cmd, 1);
	fz_put(sd, &sd->prod, 4);
	cmd = 2;
	fz_put(sd, &cmd, 1);
}

static void fz_seed_write(const char *dir, const char *name, const struct fz_seed *sd)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	fwrite(sd->b, 1, sd->n, f);
	fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("VDRI_FUZZ_SEEDS");
	struct fz_seed sd;

	if (!dir)
		return 0;
	/* the backend end: two requests */
	memset(&sd, 0, sizeof(sd));
	fz_put(&sd, (uint8_t[]){1}, 1);
	fz_seed_frame(&sd, WIRE_OP_PING, 0, 1, 0);
	fz_seed_frame(&sd, WIRE_OP_IOCTL, 0, 2, 24);
	fz_seed_write(dir, "requests", &sd);
	/* the frontend end: replies of 200 bytes, the 21st wrapping around the end */
	memset(&sd, 0, sizeof(sd));
	fz_put(&sd, (uint8_t[]){0}, 1);
	for (uint32_t i = 1; i <= 21; i++)
		fz_seed_frame(&sd, WIRE_OP_PING, WIRE_F_REPLY, i, 200 - WIRE_HDR_SIZE);
	fz_seed_write(dir, "wrapped-replies", &sd);
	exit(0);
}
