/* harness/cli.c — shared CLI plumbing (see cli.h). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "comm.h"
#include "db.h"
#include "device.h"
#include "engine.h"
#include "build_info.h"
#include "provenance.h"

const char sb_timing_help[] =
    "      --warmup N        untimed runs before sampling [3]\n"
    "      --min-samples N   samples before the noise test applies [10]\n"
    "      --max-samples N   stop after N samples [1000]\n"
    "      --max-noise PCT   stop when the relative stdev is <= PCT % [0.5]\n"
    "      --timeout SEC     stop sampling a point after SEC seconds [3]\n"
    "      --seed N          input seed; same seed, same inputs [42]\n"
    "      --l2-flush on|off flush the L2 (CPU: last-level cache) between\n"
    "                        samples [on]\n"
    "      --check-limit GF  full fp64 reference up to GF GFLOP (per step\n"
    "                        or GEMM); above it, sampled checks [4]\n";

int
sb_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	/* every rank of an mpirun job parses the same command line: one
	 * copy of the message is enough */
	if (sb_comm_rank() != 0)
		return SB_EXIT_USAGE;
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
	/* a long flag given a value (--per-channel=yes): getopt_long sets
	 * optopt to the flag's code, not a character */
	if (strncmp(arg, "--", 2) == 0 && strchr(arg, '=') != NULL)
		return sb_usage(cmd, "option '%.*s' takes no value (got '%s')",
		    (int)(strchr(arg, '=') - arg), arg, arg);
	if (optopt > 0 && optopt < 128 && optopt != '?')
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

int
sb_timing_opt(const char *cmd, int c, const char *val,
    struct sb_engine_opts *eo)
{
	long lv;
	double dv;

	switch (c) {
	case SB_OPT_WARMUP:
		if (sb_opt_int(cmd, "--warmup", val, 0, 100000, &lv))
			return -1;
		eo->warmup = (int)lv;
		return 1;
	case SB_OPT_MIN_SAMPLES:
		if (sb_opt_int(cmd, "--min-samples", val, 1, 1000000, &lv))
			return -1;
		eo->min_samples = (int)lv;
		return 1;
	case SB_OPT_MAX_SAMPLES:
		if (sb_opt_int(cmd, "--max-samples", val, 1, 1000000, &lv))
			return -1;
		eo->max_samples = (int)lv;
		return 1;
	case SB_OPT_MAX_NOISE:
		if (sb_opt_double(cmd, "--max-noise", val, 0, 100, &dv))
			return -1;
		eo->max_noise = dv / 100;
		return 1;
	case SB_OPT_TIMEOUT:
		if (sb_opt_double(cmd, "--timeout", val, 0.001, 86400, &dv))
			return -1;
		eo->timeout_s = dv;
		return 1;
	case SB_OPT_SEED:
		if (sb_opt_int(cmd, "--seed", val, 0, 0x7fffffffL, &lv))
			return -1;
		eo->seed = (uint64_t)lv;
		return 1;
	case SB_OPT_L2_FLUSH:
		return sb_opt_onoff(cmd, "--l2-flush", val, &eo->l2_flush) ?
		    -1 : 1;
	case SB_OPT_CHECK_LIMIT:
		if (sb_opt_double(cmd, "--check-limit", val, 0, 1e9, &dv))
			return -1;
		eo->check_budget_flop = dv * 1e9;
		return 1;
	default:
		return 0;
	}
}

int
sb_cli_run_begin(const char *cmd, struct db *db, const struct sb_device *dev,
    int argc, char **argv, const char *label, const char *note, int planned,
    char *uuid, int64_t *run_id)
{
	struct db_run_info ri;
	char device[128], *env = NULL;
	int rc = SB_EXIT_OK;

	if (sb_uuid_v4(uuid) || (env = sb_device_env_json(dev)) == NULL) {
		rc = sb_fail(cmd, "no randomness or memory for the run's "
		    "identity");
		goto out;
	}
	sb_device_label(dev, device, sizeof(device));
	memset(&ri, 0, sizeof(ri));
	ri.uuid = uuid;
	ri.label = label;
	ri.note = note;
	ri.argc = argc;
	ri.argv = argv;
	ri.git_rev = SB_GIT_REV;
	ri.git_dirty = SB_GIT_DIRTY;
	ri.host = dev->host;
	ri.pid = getpid();
	ri.pid_start = sb_proc_start(getpid());
	ri.env_json = env;
	ri.device = device;
	ri.planned_points = planned;
	if (db_run_begin(db, &ri, run_id))
		rc = sb_fail(cmd, "%s", db_errmsg(db));
out:
	free(env);
	return rc;
}

static void	on_signal(int);

static void
on_signal(int sig)
{
	(void)sig;
	sb_engine_interrupted = 1;
}

void
sb_cli_catch_interrupts(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}
