/* SPDX-License-Identifier: MIT */
/*
 * frame_io.h - reading and writing whole frames on a stream fd (user space).
 *
 * Senders: fio_send writes header + iovecs completely (retrying partial
 * writes and EINTR); callers serialize sends on one fd with their own lock.
 * Receivers: struct fio_rx is a per-connection buffer; fio_recv returns one
 * validated frame at a time, reading more only when needed, so several
 * frames that arrived together cost one read(2).
 */
#ifndef VDRI_FRAME_IO_H
#define VDRI_FRAME_IO_H

#include <stdint.h>
#include <sys/uio.h>

#include "vdri/wire.h"

struct fio_rx {
	uint8_t *buf;
	uint32_t cap;
	uint32_t start; /* first unconsumed byte */
	uint32_t end;	/* one past the last received byte */
	uint32_t max_frame;
	int is_backend;	 /* which frames are legal, see wire_hdr_check */
	const char *why; /* reason for the last -EPROTO */
};

int fio_rx_init(struct fio_rx *rx, uint32_t max_frame, int is_backend);
void fio_rx_fini(struct fio_rx *rx);

/*
 * Get the next frame.  Returns 1 and points *frame at it (valid until the
 * next call), 0 at end of stream with no partial frame, -EAGAIN when a
 * non-blocking fd has no complete frame yet, -EPROTO for a malformed frame
 * (rx->why says why; the connection must be closed), -EIO for end of stream
 * inside a frame, or another -errno from read(2).
 */
int fio_recv(struct fio_rx *rx, int fd, const struct wire_hdr **frame);
/*
 * Append bytes to the buffer without reading an fd (tests, fuzzing, and
 * transports that receive by other means).  0, -ENOMEM or -E2BIG.
 */
int fio_rx_push(struct fio_rx *rx, const void *data, uint32_t len);
/* Like fio_recv but only from what is buffered: 1 frame, -EAGAIN, -EPROTO. */
int fio_rx_next(struct fio_rx *rx, const struct wire_hdr **frame);
/*
 * Receive by copying in place of read(2) (the shm ring): room for the
 * bytes of the frame being received, after checking its header if it is
 * buffered (so the buffer never grows for a frame that will be refused).
 * 0 with *dst and *room (> 0); -EEXIST when a whole frame is already
 * buffered (take it with fio_rx_next first); -EPROTO; -ENOMEM.  Then copy
 * at most *room bytes to *dst and report them with fio_rx_produced.
 */
int fio_rx_reserve(struct fio_rx *rx, uint8_t **dst, uint32_t *room);
void fio_rx_produced(struct fio_rx *rx, uint32_t n);
/* A complete frame is already buffered (no read needed). */
int fio_rx_has_frame(const struct fio_rx *rx);

/* Write a frame: the header, then niov buffers whose total is hdr->len - 16. */
int fio_send(int fd, const struct wire_hdr *hdr, const struct iovec *iov, int niov);

/* Convenience: a reply with a result and an optional payload. */
int fio_send_reply(int fd, uint16_t op, uint32_t id, uint32_t handle, int64_t result,
		   const void *payload, uint32_t payload_len);

#endif /* VDRI_FRAME_IO_H */
