/*
 * harness/cli.h — what the subcommands share: exit codes, error messages
 * that say what to do next, option-value parsing, opening the database.
 */
#ifndef SB_HARNESS_CLI_H
#define SB_HARNESS_CLI_H

#include <stdint.h>

#define SB_EXIT_OK	0
#define SB_EXIT_FAIL	1	/* a point failed, or an operation did */
#define SB_EXIT_USAGE	2	/* bad input: nothing was written */
#define SB_EXIT_INTR	130

struct db;
struct sb_engine_opts;

/*
 * The measuring options that `run`, `sweep` and `gemm` share: their
 * getopt_long entries (SB_TIMING_OPTIONS, inside a struct option table),
 * their help text (sb_timing_help, defaults in brackets) and their parser.
 * A command numbers its own long-only options from SB_OPT_TIMING_END.
 */
enum {
	SB_OPT_WARMUP = 256, SB_OPT_MIN_SAMPLES, SB_OPT_MAX_SAMPLES,
	SB_OPT_MAX_NOISE, SB_OPT_TIMEOUT, SB_OPT_SEED, SB_OPT_L2_FLUSH,
	SB_OPT_CHECK_LIMIT, SB_OPT_TIMING_END
};

#define SB_TIMING_OPTIONS						\
	{ "warmup", required_argument, NULL, SB_OPT_WARMUP },		\
	{ "min-samples", required_argument, NULL, SB_OPT_MIN_SAMPLES },	\
	{ "max-samples", required_argument, NULL, SB_OPT_MAX_SAMPLES },	\
	{ "max-noise", required_argument, NULL, SB_OPT_MAX_NOISE },	\
	{ "timeout", required_argument, NULL, SB_OPT_TIMEOUT },		\
	{ "seed", required_argument, NULL, SB_OPT_SEED },		\
	{ "l2-flush", required_argument, NULL, SB_OPT_L2_FLUSH },	\
	{ "check-limit", required_argument, NULL, SB_OPT_CHECK_LIMIT }

extern const char sb_timing_help[];

/* Applies getopt's c with its value to eo: 1 if c is a timing option,
 * 0 if it is not, -1 (after printing why) if the value is bad. */
int	sb_timing_opt(const char *cmd, int c, const char *val,
	    struct sb_engine_opts *eo);

/* "stepbench CMD: <message>\nTry 'stepbench CMD --help'." → returns 2 */
int	sb_usage(const char *cmd, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* "stepbench CMD: <message>" → returns 1 */
int	sb_fail(const char *cmd, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Reports getopt_long's '?' and ':' results; returns 2. */
int	sb_bad_option(const char *cmd, int argc, char **argv, int c);

/* Parse an option's value, or print why not and return -1. */
int	sb_opt_int(const char *cmd, const char *opt, const char *val,
	    long lo, long hi, long *out);
int	sb_opt_double(const char *cmd, const char *opt, const char *val,
	    double lo, double hi, double *out);
int	sb_opt_onoff(const char *cmd, const char *opt, const char *val,
	    int *out);

/* The database path: --db, else $STEPBENCH_DB, else ./stepbench.db. */
const char *sb_db_path(const char *opt);
/* Opens the database (mode as db_open) and marks runs whose process is gone
 * 'aborted', saying so on stderr.  Prints the error and returns NULL on
 * failure. */
struct db *sb_db_open_cli(const char *cmd, const char *path, int mode);

struct sb_device;

/*
 * Starts a run of planned points in db for the command line argc/argv
 * (stored whole), with this machine's identity and environment: fills uuid
 * (37 bytes) and *run_id.  Prints why and returns 1 on failure.
 */
int	sb_cli_run_begin(const char *cmd, struct db *, const struct sb_device *,
	    int argc, char **argv, const char *label, const char *note,
	    int planned, char *uuid, int64_t *run_id);
/* SIGINT and SIGTERM set sb_engine_interrupted: the point in flight ends
 * at its next sample and the command marks its run 'aborted'. */
void	sb_cli_catch_interrupts(void);

int	cmd_info(int, char **);
int	cmd_list(int, char **);
int	cmd_run(int, char **);
int	cmd_sweep(int, char **);
int	cmd_runs(int, char **);
int	cmd_export(int, char **);
int	cmd_import(int, char **);
int	cmd_serve(int, char **);
int	cmd_gemm(int, char **);
int	cmd_allreduce(int, char **);
int	cmd_profile(int, char **);

/* `stepbench profile`: checks the arguments of a sweep (argv[0..argc-1],
 * without "sweep") as 'stepbench sweep' would, printing why not.
 * Returns 0, -1 after printing the sweep's --help, or 2. */
int	sb_sweep_check_args(int argc, char **argv);

#endif
