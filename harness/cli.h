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

int	cmd_info(int, char **);
int	cmd_list(int, char **);
int	cmd_run(int, char **);
int	cmd_sweep(int, char **);
int	cmd_runs(int, char **);
int	cmd_export(int, char **);
int	cmd_import(int, char **);
int	cmd_serve(int, char **);

#endif
