/* harness/cli.c — shared CLI plumbing (see cli.h). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "db.h"
#include "device.h"
#include "provenance.h"

int
sb_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "stepbench %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'stepbench %s --help'.\n", cmd);
	return SB_EXIT_USAGE;
}

int
sb_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "stepbench %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return SB_EXIT_FAIL;
}

int
sb_bad_option(const char *cmd, int argc, char **argv, int c)
{
	const char *arg = optind - 1 < argc ? argv[optind - 1] : "?";

	if (c == ':')
		return sb_usage(cmd, "option '%s' needs a value", arg);
	if (optopt != 0 && optopt != '?')
		return sb_usage(cmd, "unknown option '-%c'", optopt);
	return sb_usage(cmd, "unknown option '%s'", arg);
}

int
sb_opt_int(const char *cmd, const char *opt, const char *val, long lo,
    long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(val, &end, 10);
	if (errno != 0 || end == val || *end != '\0' || v < lo || v > hi) {
		sb_usage(cmd, "%s: '%s' is not valid; give an integer from %ld "
		    "to %ld", opt, val, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

int
sb_opt_double(const char *cmd, const char *opt, const char *val, double lo,
    double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(val, &end);
	if (errno != 0 || end == val || *end != '\0' || !isfinite(v) ||
	    v < lo || v > hi) {
		sb_usage(cmd, "%s: '%s' is not valid; give a number from %g to "
		    "%g", opt, val, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

int
sb_opt_onoff(const char *cmd, const char *opt, const char *val, int *out)
{
	if (strcmp(val, "on") == 0 || strcmp(val, "1") == 0) {
		*out = 1;
		return 0;
	}
	if (strcmp(val, "off") == 0 || strcmp(val, "0") == 0) {
		*out = 0;
		return 0;
	}
	sb_usage(cmd, "%s: '%s' is not valid; give on or off", opt, val);
	return -1;
}

const char *
sb_db_path(const char *opt)
{
	const char *env;

	if (opt != NULL)
		return opt;
	if ((env = getenv("STEPBENCH_DB")) != NULL && env[0] != '\0')
		return env;
	return "stepbench.db";
}

static int	alive_cb(int64_t, int64_t);

static int
alive_cb(int64_t pid, int64_t start)
{
	return sb_proc_alive(pid, start);
}

struct db *
sb_db_open_cli(const char *cmd, const char *path, int mode)
{
	struct db *db = NULL;
	char err[1024], host[128];
	int marked = 0;

	if (db_open(&db, path, (enum db_open_mode)mode, err, sizeof(err))) {
		fprintf(stderr, "stepbench %s: %s\n", cmd, err);
		return NULL;
	}
	if (mode == DB_OPEN_READONLY)
		return db;
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	if (db_mark_stale_runs(db, host, alive_cb, &marked)) {
		fprintf(stderr, "stepbench %s: %s\n", cmd, db_errmsg(db));
		db_close(db);
		return NULL;
	}
	if (marked > 0)
		fprintf(stderr, "stepbench %s: marked %d run%s 'aborted': its "
		    "process is gone ('stepbench sweep --resume RUN' finishes "
		    "it)\n", cmd, marked, marked == 1 ? "" : "s");
	return db;
}
