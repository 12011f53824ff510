/* harness/cmd_runs.c — `stepbench runs` and `stepbench export`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "db.h"

static int	print_run(const struct db_run_row *, void *);

static int
print_run(const struct db_run_row *r, void *arg)
{
	int *n = arg;

	if ((*n)++ == 0)
		printf("%-8s %-24s %-8s %9s  %-28s %s\n", "run", "started",
		    "status", "points", "device", "label / note");
	printf("%-8.8s %-24s %-8s %4d/%-4d  %-28.28s %s%s%s\n", r->uuid,
	    r->started_at, r->status, r->done_points, r->planned_points,
	    r->device, r->label, r->label[0] && r->note[0] ? " — " : "",
	    r->note);
	return 0;
}

int
cmd_runs(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dbopt = NULL;
	struct db *db;
	int c, json = 0, n = 0, rc = SB_EXIT_OK;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dbopt = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			printf("usage: stepbench runs [--db PATH] [--json]\n\n"
			    "Lists the runs in the database, newest first: "
			    "id (a UUID; any unique\nprefix of 4+ characters "
			    "names it), start time, status (running, ok,\n"
			    "failed, aborted), points stored / planned, "
			    "device, label and note.\nRuns whose process died "
			    "are marked aborted first.\n");
			return SB_EXIT_OK;
		default:
			return sb_bad_option("runs", argc, argv, c);
		}
	}
	if (optind < argc)
		return sb_usage("runs", "unexpected argument '%s'", argv[optind]);
	if ((db = sb_db_open_cli("runs", sb_db_path(dbopt),
	    DB_OPEN_EXISTING)) == NULL)
		return SB_EXIT_USAGE;
	if (json ? db_runs_json(db, stdout) :
	    db_run_foreach(db, print_run, &n))
		rc = sb_fail("runs", "%s", db_errmsg(db));
	else if (!json && n == 0)
		printf("no runs yet in %s; 'stepbench sweep' makes one\n",
		    sb_db_path(dbopt));
	db_close(db);
	return rc;
}

int
cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dbopt = NULL, *format = NULL, *ref, *out = "-";
	struct db_run_row row;
	struct db *db;
	FILE *f = stdout;
	int c, rc = SB_EXIT_OK;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":hf:", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dbopt = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'h':
			printf("usage: stepbench export RUN [FILE|-] [--format "
			    "csv|json] [--db PATH]\n\nWrites one run's results: "
			    "CSV (a row per point, summary statistics,\nerrors, "
			    "status and reason) or JSON (the run, and each point "
			    "with its raw\nsamples, phase times and loss curve). "
			    " FILE defaults to - (stdout); the\nformat follows "
			    "FILE's extension, else csv.  RUN is an id or a "
			    "unique UUID\nprefix ('stepbench runs' lists "
			    "them).\n");
			return SB_EXIT_OK;
		default:
			return sb_bad_option("export", argc, argv, c);
		}
	}
	if (optind >= argc)
		return sb_usage("export", "which run? give its id or UUID "
		    "prefix ('stepbench runs' lists them)");
	ref = argv[optind++];
	if (optind < argc)
		out = argv[optind++];
	if (optind < argc)
		return sb_usage("export", "unexpected argument '%s'",
		    argv[optind]);
	if (format == NULL) {
		size_t n = strlen(out);

		format = n > 5 && strcmp(out + n - 5, ".json") == 0 ? "json" :
		    "csv";
	}
	if (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)
		return sb_usage("export", "--format: '%s' is not valid; give "
		    "csv or json", format);
	if ((db = sb_db_open_cli("export", sb_db_path(dbopt),
	    DB_OPEN_EXISTING)) == NULL)
		return SB_EXIT_USAGE;
	if ((rc = db_run_find(db, ref, &row)) != 0) {
		fprintf(stderr, "stepbench export: %s\n", db_errmsg(db));
		rc = rc == DB_NOTFOUND ? SB_EXIT_USAGE : SB_EXIT_FAIL;
		goto out;
	}
	if (strcmp(out, "-") != 0 && (f = fopen(out, "w")) == NULL) {
		rc = sb_fail("export", "cannot write '%s': %m", out);
		goto out;
	}
	if (db_export(db, row.id, format, f))
		rc = sb_fail("export", "%s", db_errmsg(db));
	if (f != stdout && fclose(f) != 0 && rc == SB_EXIT_OK)
		rc = sb_fail("export", "writing '%s' failed: %m", out);
	if (f == stdout)
		fflush(stdout);
out:
	db_close(db);
	return rc;
}
