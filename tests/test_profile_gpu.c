/*
 * tests/test_profile_gpu.c — `stepbench profile ncu` with the real Nsight
 * Compute on two small GPU points (harness/cmd_profile.c).  Label gpu:
 * exits 77 (skipped) without a GPU, or without ncu (say where it is with
 * $NCU).
 *
 *   profile-gpu-1  the command exits 0 and prints what it ran; the report
 *                  lies in <dbdir>/profiles/
 *   profile-gpu-2  one ncu session of the sweep's run; every row linked
 *                  to a result of that run, both points (0, 1) have rows:
 *                  the marker kernel split the launches, and no marker row
 *                  was imported
 *   profile-gpu-3  each point: at least one launch, at most the launches
 *                  one eager step declares (result.launches; ncu sees
 *                  kernels, not memsets); every launch has
 *                  gpu__time_duration.sum > 0 in nsecond and
 *                  launch__registers_per_thread > 0
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "device.h"
#include "testkit.h"

#ifndef SB_STEPBENCH
#error "SB_STEPBENCH: the path of the stepbench binary"
#endif

static const char *find_ncu(void);
static long long q1(sqlite3 *, const char *);

/* $NCU, else ncu on PATH, else CUDA's. */
static const char *
find_ncu(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("NCU"), *p = getenv("PATH");

	if (env != NULL && access(env, X_OK) == 0)
		return env;
	while (p != NULL && *p != '\0') {
		size_t n = strcspn(p, ":");

		snprintf(path, sizeof(path), "%.*s/ncu", (int)n, p);
		if (n > 0 && access(path, X_OK) == 0)
			return path;
		p += n + (p[n] == ':');
	}
	if (access("/usr/local/cuda/bin/ncu", X_OK) == 0)
		return "/usr/local/cuda/bin/ncu";
	return NULL;
}

/* The first column of the first row as an integer; -1 on error. */
static long long
q1(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "  %s: %s\n", sql, sqlite3_errmsg(db));
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int
main(void)
{
	struct sb_device dev;
	char dir[] = "/tmp/stepbench-profile-gpu.XXXXXX", cmd[PATH_MAX + 1024];
	char dbp[128], logp[128], sql[512];
	const char *ncu;
	sqlite3 *db = NULL;
	int rc;

	sb_device_probe(&dev);
	if (dev.gpu_count == 0) {
		printf("test_profile_gpu: skipped: no GPU (%s)\n",
		    dev.no_gpu_reason);
		return 77;
	}
	if ((ncu = find_ncu()) == NULL) {
		printf("test_profile_gpu: skipped: no ncu on PATH or in "
		    "/usr/local/cuda/bin; set NCU=/path/to/ncu\n");
		return 77;
	}
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dbp, sizeof(dbp), "%s/r.db", dir);
	snprintf(logp, sizeof(logp), "%s/out.log", dir);
	snprintf(cmd, sizeof(cmd), "'%s' profile ncu --ncu '%s' --metrics "
	    "gpu__time_duration.sum,launch__registers_per_thread -- --db '%s' "
	    "--variants train.fp32.warptile --shapes 64x64x64,128x96x32 "
	    "--l2-flush off >'%s' 2>&1", SB_STEPBENCH, ncu, dbp, logp);
	printf("%s\n", cmd);
	fflush(stdout);
	rc = system(cmd);
	snprintf(cmd, sizeof(cmd), "cat '%s'", logp);
	if (system(cmd) != 0)
		fprintf(stderr, "  (no output)\n");
	CHECK("profile-gpu-1: exit 0", rc == 0);
	snprintf(cmd, sizeof(cmd), "grep -q '^running: STEPBENCH_PROFILE=ncu ' "
	    "'%s' && ls '%s'/profiles/*.ncu-rep >/dev/null", logp, dir);
	CHECK("profile-gpu-1: the command printed, the report next to the "
	    "database", system(cmd) == 0);

	if (sqlite3_open_v2(dbp, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		CHECK("profile-gpu-2: the database opens", 0);
		sqlite3_close(db);
		return check_summary("test_profile_gpu");
	}
	CHECK("profile-gpu-2: one ncu session of the run",
	    q1(db, "SELECT count(*) FROM profile_session s JOIN run ON "
	    "run.id = s.run_id WHERE s.tool = 'ncu'") == 1);
	CHECK("profile-gpu-2: rows imported",
	    q1(db, "SELECT count(*) FROM profile") > 0);
	CHECK("profile-gpu-2: every row linked to a result of the run",
	    q1(db, "SELECT count(*) FROM profile p LEFT JOIN result r ON "
	    "r.id = p.result_id AND r.run_id = (SELECT run_id FROM "
	    "profile_session) WHERE r.id IS NULL") == 0);
	CHECK("profile-gpu-2: both points have rows",
	    q1(db, "SELECT count(DISTINCT r.point_idx) FROM profile p JOIN "
	    "result r ON r.id = p.result_id") == 2);
	CHECK("profile-gpu-2: no marker rows",
	    q1(db, "SELECT count(*) FROM profile WHERE kernel LIKE "
	    "'%sb_profile_marker%'") == 0);
	for (int pt = 0; pt < 2; pt++) {
		long long n, declared;

		snprintf(sql, sizeof(sql), "SELECT count(DISTINCT p.launch) "
		    "FROM profile p JOIN result r ON r.id = p.result_id WHERE "
		    "r.point_idx = %d", pt);
		n = q1(db, sql);
		snprintf(sql, sizeof(sql), "SELECT coalesce(launches, -1) FROM "
		    "result WHERE point_idx = %d", pt);
		declared = q1(db, sql);
		printf("point %d: %lld launches profiled, %lld declared per "
		    "step\n", pt, n, declared);
		CHECK("profile-gpu-3: at least one launch", n >= 1);
		CHECK("profile-gpu-3: no more than one step declares",
		    declared < 0 || n <= declared);
	}
	CHECK("profile-gpu-3: every launch has a duration > 0 in nsecond",
	    q1(db, "SELECT count(DISTINCT launch) FROM profile") ==
	    q1(db, "SELECT count(*) FROM profile WHERE metric = "
	    "'gpu__time_duration.sum' AND unit IN ('nsecond', 'ns') AND "
	    "value > 0"));
	CHECK("profile-gpu-3: every launch has registers > 0",
	    q1(db, "SELECT count(DISTINCT launch) FROM profile") ==
	    q1(db, "SELECT count(*) FROM profile WHERE metric = "
	    "'launch__registers_per_thread' AND value > 0"));
	sqlite3_close(db);
	if (check_fail_ == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "  could not remove %s\n", dir);
	} else {
		fprintf(stderr, "  kept %s for a look\n", dir);
	}
	return check_summary("test_profile_gpu");
}
