/* SPDX-License-Identifier: MIT */
/* log.c - log lines to stderr and/or syslog, prefixed with the guest's identity. */
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "drm-back/backd.h"

static const char *log_prog = "vdri-backd";
static int log_stderr = 1, log_syslog, log_verbose;
static char log_guest[192];

void blog_init(const char *prog, int use_stderr, int use_syslog, int verbose)
{
	log_prog = prog;
	log_stderr = use_stderr;
	log_syslog = use_syslog;
	log_verbose = verbose;
	if (use_syslog)
		openlog(prog, LOG_PID, LOG_DAEMON);
}

void blog_set_guest(const char *who)
{
	snprintf(log_guest, sizeof(log_guest), "%s", who ? who : "");
}

void blog(int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (level == LOG_D && !log_verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_stderr) {
		static const char *const names[8] = {"",	"", "",	    "error",
						     "warning", "", "info", "debug"};
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		fprintf(stderr, "%s[%d] %ld.%03ld %s: %s%s%s%s\n", log_prog, (int)getpid(),
			(long)ts.tv_sec % 100000, ts.tv_nsec / 1000000, names[level & 7],
			log_guest[0] ? "[" : "", log_guest, log_guest[0] ? "] " : "", msg);
	}
	if (log_syslog)
		syslog(level, "%s%s%s%s", log_guest[0] ? "[" : "", log_guest,
		       log_guest[0] ? "] " : "", msg);
}
