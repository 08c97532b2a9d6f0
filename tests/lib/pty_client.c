/* SPDX-License-Identifier: MIT */
/* pty_client.c - see pty_client.h. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "pty_client.h"

#define THREADS 8
#define ROUNDS 1500

int pty_talk(int m, int s)
{
	struct pollfd p = {m, POLLIN, 0};
	char buf[64];
	int n;

	if (write(s, "hello\n", 6) != 6)
		return perror("write slave"), 1;
	n = poll(&p, 1, 5000);
	printf("poll-data %d %s\n", n, (p.revents & POLLIN) ? "POLLIN" : "-");
	n = (int)read(m, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	printf("read %d %s", n, buf);
	/* and the other way: master -> slave */
	if (write(m, "ping\n", 5) != 5)
		return perror("write master"), 1;
	n = (int)read(s, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	printf("slave-read %d %s", n, buf);
	return 0;
}

struct hammer_arg {
	int fd, ptn, errors;
};

static void *hammer(void *p)
{
	struct hammer_arg *a = p;

	for (int i = 0; i < ROUNDS; i++) {
		struct winsize ws;
		int n = -1;

		if (ioctl(a->fd, TIOCGPTN, &n) || n != a->ptn)
			a->errors++;
		if (ioctl(a->fd, TIOCGWINSZ, &ws) || ws.ws_row != 42)
			a->errors++;
	}
	return NULL;
}

int pty_hammer(int fd, int ptn)
{
	struct hammer_arg a[THREADS];
	pthread_t t[THREADS];
	int errors = 0;

	for (int i = 0; i < THREADS; i++) {
		a[i] = (struct hammer_arg){.fd = fd, .ptn = ptn};
		if (i % 2) {
			a[i].fd = open("/dev/ptmx", O_RDWR | O_NOCTTY);
			ioctl(a[i].fd, TIOCGPTN, &a[i].ptn);
			ioctl(a[i].fd, TIOCSWINSZ, &(struct winsize){.ws_row = 42});
		}
		pthread_create(&t[i], NULL, hammer, &a[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		errors += a[i].errors;
		if (i % 2)
			close(a[i].fd);
	}
	return errors;
}
