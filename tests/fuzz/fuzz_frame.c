/* SPDX-License-Identifier: MIT */
/*
 * fuzz_frame.c - arbitrary bytes into a frame receiver (struct fio_rx), in
 * chunks, drained with fio_rx_next until it wants more (-EAGAIN) or drops
 * the connection (-EPROTO).  Every frame handed out must lie within what
 * was pushed and be 8-byte aligned.
 *
 * Input: one byte (bit 0: the receiver is the backend; the rest: chunk
 * size - 1), then the stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdri/frame_io.h"
#include "vdri/marshal.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fz_drain(struct fio_rx *rx)
{
	const struct wire_hdr *h;
	volatile uint8_t sink = 0;
	uint32_t len, i;
	int ret;

	while ((ret = fio_rx_next(rx, &h)) == 1) {
		len = h->len;
		if (len < WIRE_HDR_SIZE || len > rx->max_frame || ((uintptr_t)h & 7))
			abort();
		for (i = 0; i < len; i++) /* ASan: the whole frame is readable */
			sink ^= ((const uint8_t *)h)[i];
	}
	(void)sink;
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fio_rx rx;
	uint32_t chunk, n;
	int ret = -EAGAIN;

	if (size < 1)
		return 0;
	chunk = 1u + (data[0] >> 1);
	if (fio_rx_init(&rx, WIRE_FRAME_MIN_LIMIT, data[0] & 1))
		return 0;
	data++;
	size--;
	while (size && ret == -EAGAIN) {
		n = size < chunk ? (uint32_t)size : chunk;
		if (fio_rx_push(&rx, data, n))
			break;
		data += n;
		size -= n;
		ret = fz_drain(&rx);
		if (ret != -EAGAIN && ret != -EPROTO)
			abort();
	}
	fio_rx_fini(&rx);
	return 0;
}

/* ---- seeds ------------------------------------------------------------------ */

static void fz_frame_seed(const char *dir, const char *name, uint8_t sel, uint16_t op,
			  uint16_t flags, uint32_t id, const void *payload, uint32_t plen)
{
	struct wire_hdr h;
	char path[512];
	FILE *f;

	wire_hdr_init(&h, op, flags, id, 0, plen);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	fwrite(&sel, 1, 1, f);
	fwrite(&h, 1, sizeof(h), f);
	fwrite(payload, 1, plen, f);
	fwrite(&h, 1, sizeof(h), f); /* a second frame, pushed in the same stream */
	fwrite(payload, 1, plen, f);
	fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("VDRI_FUZZ_SEEDS");
	struct wire_hello hello = {.magic = WIRE_MAGIC, .version_min = 1, .version_max = 1};
	struct wire_reply rep = {.result = 3};
	struct wire_ioctl io = {.cmd = 0x5401};

	if (!dir)
		return 0;
	fz_frame_seed(dir, "hello", 0x07, WIRE_OP_HELLO, 0, 1, &hello, sizeof(hello));
	fz_frame_seed(dir, "ioctl", 0x01, WIRE_OP_IOCTL, 0, 5, &io, sizeof(io));
	fz_frame_seed(dir, "reply", 0x20, WIRE_OP_OPEN, WIRE_F_REPLY, 2, &rep, sizeof(rep));
	exit(0);
}
