/*
 * db/nsys.c — reading an Nsight Systems SQLite export (`nsys export --type
 * sqlite REPORT`): each kernel, with the point and the phase of the sweep
 * it ran in (db.h, db_nsys_read).
 *
 * The export's tables (Nsight Systems' "SQLite Export Schema Reference"):
 * StringIds(id, value) holds the strings the other tables name by id;
 * CUPTI_ACTIVITY_KIND_KERNEL one row per kernel execution (GPU times,
 * correlationId, globalPid, grid, block, registersPerThread,
 * staticSharedMemory, dynamicSharedMemory, demangledName and shortName as
 * StringIds ids); CUPTI_ACTIVITY_KIND_RUNTIME one row per CUDA runtime call
 * (start, correlationId, the calling thread's globalTid); NVTX_EVENTS the
 * NVTX events: eventType 59 a push/pop range, 75 a domain's creation (its
 * text the domain's name, domainId its id), with category, the payload in
 * uint64Value or int64Value, and the range's name in text or, for a
 * registered string, through textId.
 *
 * The join, step by step:
 *  1. The domain ids created with the name "stepbench" (a process may
 *     create it more than once; every id counts).
 *  2. Their push/pop ranges of category point (PROF_CAT_POINT = 2) and
 *     phase (PROF_CAT_PHASE = 3), copied into a TEMP table indexed by
 *     (thread, category, start).  Start/end ranges (eventType 60) are not
 *     used: they may end on another thread, and profiler/ makes none.
 *  3. Each kernel's runtime call: the row with the same correlationId in
 *     the same process.  A correlationId is unique within a process only,
 *     so where the kernel table has globalPid, the call's globalTid must
 *     carry the same process: globalTid and globalPid are serialised ids
 *     whose low 24 bits are the thread, so (globalTid >> 24) = (globalPid
 *     >> 24).  Without globalPid the correlationId alone decides.
 *  4. On the call's thread, the innermost point range open at the call's
 *     start (the latest-starting one that contains it; push/pop ranges of
 *     one thread nest) gives point_idx = its payload, and the innermost
 *     phase range inside that point the phase.  A kernel with no call, or
 *     none of these ranges, gets point_idx -1 and phase NULL.
 *
 * The file is opened read-only; the TEMP tables live in memory and go
 * with the connection.  Times are the export's nanoseconds.  A callback
 * that returns non-zero stops the read: -1, err naming the kernel (the
 * strings it was given live only for the call).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"

#define PROF_CAT_POINT	2	/* profiler/prof.h; stable ids */
#define PROF_CAT_PHASE	3
#define PROF_CAT_COMPUTE 7	/* the "timed" range of a point's samples */

/* A table the join reads: the columns it needs and those it can do
 * without (absent: NULL stands in). */
struct want {
	const char	*table;
	const char	*hint;		/* what makes the tool write it */
	const char	*need[16];
	const char	*opt[8];
	unsigned	 has_opt;	/* bit i: opt[i] is present */
};

static int	check_table(sqlite3 *, const char *, struct want *, char *,
		    size_t);

/*
 * Fills w->has_opt; -1 with err naming the table or the first missing
 * column when the export cannot be read as needed.
 */
static int
check_table(sqlite3 *h, const char *path, struct want *w, char *err,
    size_t errlen)
{
	sqlite3_stmt	*st = NULL;
	const char	*name;
	unsigned	 has_need = 0;
	int		 i, n = 0, rc, ret = -1;

	w->has_opt = 0;
	if (sqlite3_prepare_v2(h, "SELECT name FROM pragma_table_info(?1)",
	    -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, w->table, -1, SQLITE_STATIC) !=
	    SQLITE_OK) {
		(void)snprintf(err, errlen, "reading the nsys export '%s': "
		    "%s; give the .sqlite file that `nsys export --type "
		    "sqlite REPORT` wrote", path, sqlite3_errmsg(h));
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if ((name = (const char *)sqlite3_column_text(st, 0)) == NULL)
			continue;
		for (i = 0; w->need[i] != NULL; i++)
			if (strcmp(name, w->need[i]) == 0)
				has_need |= 1u << i;
		for (i = 0; w->opt[i] != NULL; i++)
			if (strcmp(name, w->opt[i]) == 0)
				w->has_opt |= 1u << i;
	}
	if (rc != SQLITE_DONE) {
		(void)snprintf(err, errlen, "reading the nsys export '%s': "
		    "%s; give the .sqlite file that `nsys export --type "
		    "sqlite REPORT` wrote", path, sqlite3_errmsg(h));
		goto out;
	}
	if (n == 0) {
		(void)snprintf(err, errlen, "the nsys export '%s' has no table "
		    "%s; %s, and export the report with `nsys export --type "
		    "sqlite`", path, w->table, w->hint);
		goto out;
	}
	for (i = 0; w->need[i] != NULL; i++)
		if (!(has_need & (1u << i))) {
			(void)snprintf(err, errlen, "the nsys export '%s': "
			    "table %s has no column %s; this Nsight Systems "
			    "version writes another schema (stepbench reads "
			    "the one of its SQLite Export Schema Reference)",
			    path, w->table, w->need[i]);
			goto out;
		}
	ret = 0;
out:
	sqlite3_finalize(st);
	return (ret);
}

int
db_nsys_read(const char *path, int (*fn)(const struct db_nsys_kernel *,
    void *), void *ctx, char *err, size_t errlen)
{
	struct want	 strs = { "StringIds", "it is in every export",
	    { "id", "value", NULL }, { NULL }, 0 };
	struct want	 kern = { "CUPTI_ACTIVITY_KIND_KERNEL", "profile with "
	    "CUDA tracing on (nsys profile -t cuda,nvtx) over a run that "
	    "launches kernels", { "start", "end", "correlationId", "gridX",
	    "gridY", "gridZ", "blockX", "blockY", "blockZ",
	    "registersPerThread", "staticSharedMemory", "dynamicSharedMemory",
	    "shortName", NULL }, { "demangledName", "globalPid", NULL }, 0 };
	struct want	 rt = { "CUPTI_ACTIVITY_KIND_RUNTIME", "profile with "
	    "CUDA tracing on (nsys profile -t cuda,nvtx)", { "start",
	    "correlationId", "globalTid", NULL }, { NULL }, 0 };
	struct want	 nvtx = { "NVTX_EVENTS", "profile with NVTX tracing on "
	    "(nsys profile -t cuda,nvtx) a stepbench built with NVTX",
	    { "start", "end", "eventType", "category", "text", "globalTid",
	    "domainId", NULL }, { "textId", "uint64Value", "int64Value",
	    NULL }, 0 };
	struct db_nsys_kernel	 k;
	sqlite3		*h = NULL;
	sqlite3_stmt	*st = NULL;
	char		*sql = NULL;
	const char	*what;
	int64_t		 payload, n = 0;
	int		 rc, ret = -1, i;

	if (errlen > 0)
		err[0] = '\0';
	if (path == NULL || fn == NULL) {
		(void)snprintf(err, errlen, "reading an nsys export: no %s "
		    "given; this is a bug in the caller", path == NULL ?
		    "path" : "callback");
		return (-1);
	}
	/* READONLY never creates the file; a missing one fails here. */
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		(void)snprintf(err, errlen, "cannot open the nsys export "
		    "'%s': %s; give the .sqlite file that `nsys export --type "
		    "sqlite REPORT` wrote", path, h != NULL ?
		    sqlite3_errmsg(h) : "out of memory");
		goto out;
	}
	if (check_table(h, path, &strs, err, errlen) == -1 ||
	    check_table(h, path, &kern, err, errlen) == -1 ||
	    check_table(h, path, &rt, err, errlen) == -1 ||
	    check_table(h, path, &nvtx, err, errlen) == -1)
		goto out;

	/* Steps 1-3 (see the top of the file). */
	sql = sqlite3_mprintf(
	    "PRAGMA temp_store = MEMORY;"
	    "CREATE TEMP TABLE sb_dom AS SELECT DISTINCT domainId AS id "
	    "FROM main.NVTX_EVENTS AS n WHERE eventType = 75 AND "
	    "coalesce(text, (SELECT value FROM main.StringIds AS s "
	    "WHERE s.id = %s)) = 'stepbench';"
	    "CREATE TEMP TABLE sb_rng AS SELECT globalTid AS tid, "
	    "category AS cat, start AS t0, \"end\" AS t1, coalesce(text, "
	    "(SELECT value FROM main.StringIds AS s WHERE s.id = %s)) AS "
	    "name, coalesce(%s, %s) AS payload FROM main.NVTX_EVENTS AS n "
	    "WHERE eventType = 59 AND category IN (%d, %d, %d) AND "
	    "domainId IN (SELECT id FROM temp.sb_dom);"
	    "CREATE INDEX temp.sb_rng_i ON sb_rng(tid, cat, t0);"
	    "CREATE TEMP TABLE sb_rt AS SELECT correlationId AS cid, "
	    "globalTid AS tid, start AS t "
	    "FROM main.CUPTI_ACTIVITY_KIND_RUNTIME WHERE correlationId IN "
	    "(SELECT correlationId FROM main.CUPTI_ACTIVITY_KIND_KERNEL);"
	    "CREATE INDEX temp.sb_rt_i ON sb_rt(cid);",
	    nvtx.has_opt & 1 ? "n.textId" : "NULL",
	    nvtx.has_opt & 1 ? "n.textId" : "NULL",
	    nvtx.has_opt & 2 ? "n.uint64Value" : "NULL",
	    nvtx.has_opt & 4 ? "n.int64Value" : "NULL",
	    PROF_CAT_POINT, PROF_CAT_PHASE, PROF_CAT_COMPUTE);
	what = "collecting the stepbench NVTX ranges and runtime calls";
	if (sql == NULL || sqlite3_exec(h, sql, NULL, NULL, NULL) !=
	    SQLITE_OK)
		goto sqlfail;
	sqlite3_free(sql);

	/* Step 4: x is the kernel with its call and innermost point; the
	 * phase is looked up inside that point only, which keeps the scan
	 * short (an index range from the point's start). */
	sql = sqlite3_mprintf(
	    "SELECT x.t0, x.t1, x.name, x.g_x, x.g_y, x.g_z, x.b_x, x.b_y, "
	    "x.b_z, "
	    "x.regs, x.ssmem, x.dsmem, p.payload, (SELECT r.name FROM "
	    "temp.sb_rng AS r WHERE r.tid = x.tid AND r.cat = %d AND "
	    "r.t0 <= x.t AND r.t0 >= coalesce(p.t0, -9223372036854775807) "
	    "AND (r.t1 IS NULL OR r.t1 >= x.t) "
	    "ORDER BY r.t0 DESC, r.rowid DESC LIMIT 1), "
	    "EXISTS (SELECT 1 FROM temp.sb_rng AS r WHERE r.tid = x.tid AND "
	    "r.cat = %d AND r.t0 <= x.t AND r.t0 >= coalesce(p.t0, "
	    "-9223372036854775807) AND (r.t1 IS NULL OR r.t1 >= x.t)) "
	    "FROM (SELECT k.start AS t0, k.\"end\" AS t1, coalesce("
	    "(SELECT value FROM main.StringIds WHERE id = %s), "
	    "(SELECT value FROM main.StringIds WHERE id = k.shortName)) AS "
	    "name, k.gridX AS g_x, k.gridY AS g_y, k.gridZ AS g_z, "
	    "k.blockX AS b_x, k.blockY AS b_y, k.blockZ AS b_z, "
	    "k.registersPerThread AS regs, k.staticSharedMemory AS ssmem, "
	    "k.dynamicSharedMemory AS dsmem, c.tid AS tid, c.t AS t, "
	    "(SELECT r.rowid FROM temp.sb_rng AS r WHERE r.tid = c.tid AND "
	    "r.cat = %d AND r.t0 <= c.t AND (r.t1 IS NULL OR r.t1 >= c.t) "
	    "ORDER BY r.t0 DESC, r.rowid DESC LIMIT 1) AS prow, "
	    "k.correlationId AS cid "
	    "FROM main.CUPTI_ACTIVITY_KIND_KERNEL AS k "
	    "LEFT JOIN temp.sb_rt AS c ON c.rowid = (SELECT rowid FROM "
	    "temp.sb_rt AS q WHERE q.cid = k.correlationId%s LIMIT 1)) AS x "
	    "LEFT JOIN temp.sb_rng AS p ON p.rowid = x.prow "
	    "ORDER BY x.t0, x.cid",
	    PROF_CAT_PHASE, PROF_CAT_COMPUTE,
	    kern.has_opt & 1 ? "k.demangledName" : "NULL",
	    PROF_CAT_POINT, kern.has_opt & 2 ?
	    " AND (q.tid >> 24) = (k.globalPid >> 24)" : "");
	what = "joining the kernels to their calls and ranges";
	if (sql == NULL || sqlite3_prepare_v2(h, sql, -1, &st, NULL) !=
	    SQLITE_OK)
		goto sqlfail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&k, 0, sizeof(k));
		k.launch = n;
		k.start_ns = sqlite3_column_int64(st, 0);
		k.duration_us = (double)(sqlite3_column_int64(st, 1) -
		    k.start_ns) / 1e3;
		k.name = (const char *)sqlite3_column_text(st, 2);
		if (k.name == NULL)
			k.name = "(no name)";
		for (i = 0; i < 3; i++) {
			k.grid[i] = sqlite3_column_int64(st, 3 + i);
			k.block[i] = sqlite3_column_int64(st, 6 + i);
		}
		k.regs = sqlite3_column_int(st, 9);
		k.static_smem = sqlite3_column_int64(st, 10);
		k.dyn_smem = sqlite3_column_int64(st, 11);
		/* A point range without a usable payload names no point. */
		payload = sqlite3_column_type(st, 12) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(st, 12);
		k.point_idx = payload >= 0 && payload <= INT_MAX ?
		    (int)payload : -1;
		k.phase = (const char *)sqlite3_column_text(st, 13);
		k.in_timed = sqlite3_column_int(st, 14) != 0;
		if (fn(&k, ctx) != 0) {
			if (errlen > 0 && err[0] == '\0')
				(void)snprintf(err, errlen, "reading the nsys "
				    "export '%s': stopped by the caller at "
				    "kernel %lld ('%s')", path, (long long)n,
				    k.name);
			goto out;
		}
		n++;
	}
	if (rc != SQLITE_DONE)
		goto sqlfail;
	ret = 0;
	goto out;
sqlfail:
	(void)snprintf(err, errlen, "reading the nsys export '%s': %s: %s",
	    path, what, sql == NULL ? "out of memory" : sqlite3_errmsg(h));
out:
	sqlite3_free(sql);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return (ret);
}
