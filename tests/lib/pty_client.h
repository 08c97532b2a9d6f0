/* SPDX-License-Identifier: MIT */
/*
 * pty_client.h - pieces of the forwarded-pty client programs that several
 * integration tests run (test_chardev, test_concurrency, test_shm).
 */
#ifndef VDRI_TEST_PTY_CLIENT_H
#define VDRI_TEST_PTY_CLIENT_H

/*
 * Data both ways between a forwarded master m and its native slave s:
 * the slave writes "hello", the master polls and reads it, the master
 * writes "ping", the slave reads it.  Prints "poll-data", "read" and
 * "slave-read" lines.  0, or 1 after perror.
 */
int pty_talk(int m, int s);

/*
 * 8 threads x 1500 rounds of TIOCGPTN + TIOCGWINSZ, half on fd (pty ptn,
 * window rows 42), half on a /dev/ptmx of their own.  The number of calls
 * that failed or answered wrong.
 */
int pty_hammer(int fd, int ptn);

#endif
