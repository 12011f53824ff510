/* harness/cmd_import.c — `stepbench import`: runs from another database. */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "db.h"
#include "query.h"

int
cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dbopt = NULL, *other;
	struct db *db = NULL, *src = NULL;
	struct stat sb;
	char err[1024];
	int c, imported = 0, skipped = 0, rc;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dbopt = optarg;
			break;
		case 'h':
			printf("usage: stepbench import [--db PATH] OTHER.db"
			    "\n\nCopies every run of the stepbench database "
			    "OTHER.db that the\ndatabase (--db, else "
			    "$STEPBENCH_DB, else ./stepbench.db; created if\n"
			    "missing) lacks, with its environment, results, "
			    "raw samples, phase\ntimes, loss curves (with "
			    "their fp32 reference), loss-scale\ntrajectories "
			    "and launch facts.  Runs are matched by UUID, so\n"
			    "importing the same file again copies nothing.  "
			    "OTHER.db is only\nread; everything is copied in "
			    "one transaction.  A run still running\nin "
			    "OTHER.db is copied as 'running'.\n");
			return SB_EXIT_OK;
		default:
			return sb_bad_option("import", argc, argv, c);
		}
	}
	if (optind >= argc)
		return sb_usage("import", "which database? give the path of "
		    "the stepbench database to copy runs from");
	other = argv[optind++];
	if (optind < argc)
		return sb_usage("import", "unexpected argument '%s'",
		    argv[optind]);

	/* Check OTHER before opening --db, which may create that file: a
	 * bad OTHER must leave everything as it was. */
	if (stat(other, &sb) == -1 && errno == ENOENT) {
		fprintf(stderr, "stepbench import: no database at '%s' to "
		    "import; give the path of a stepbench database file\n",
		    other);
		return SB_EXIT_USAGE;
	}
	if (db_open(&src, other, DB_OPEN_READONLY, err, sizeof(err)) != 0) {
		fprintf(stderr, "stepbench import: cannot import: %s\n", err);
		return SB_EXIT_USAGE;
	}
	db_close(src);
	if ((db = sb_db_open_cli("import", sb_db_path(dbopt),
	    DB_OPEN_WRITE)) == NULL)
		return SB_EXIT_USAGE;
	rc = db_import(db, other, &imported, &skipped);
	if (rc != 0) {
		fprintf(stderr, "stepbench import: %s\n", db_errmsg(db));
		rc = rc == DB_BADSOURCE ? SB_EXIT_USAGE : SB_EXIT_FAIL;
	} else {
		printf("imported %d runs from %s (%d already present)\n",
		    imported, other, skipped);
		rc = SB_EXIT_OK;
	}
	db_close(db);
	return rc;
}
