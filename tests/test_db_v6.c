/*
 * tests/test_db_v6.c — the results store's schema v6 (profiling) against
 * real SQLite files in a fresh temporary directory: a result's CUPTI
 * figures, kernel rows and provenance fingerprint (stored, refused, read
 * back through a separate connection), profile sessions and their values,
 * the export of all of it, and `stepbench import` carrying it over with
 * new ids.  The upgrade of a v5 file is test_db.c's db-17.
 */
#define _XOPEN_SOURCE 700	/* mkdtemp, nftw, open_memstream */

#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "testkit.h"
#include "db.h"
#include "dbtest.h"
#include "query.h"	/* db_import */

static char	 tmpdir[256];

static const char	*P(const char *);
static const char	*raw_text(const char *, const char *);
static char		*capture(struct db *, int64_t, const char *, int *);
static void		 run_info(struct db_run_info *, const char *);
static void		 result_init(struct db_result *, int);
static void		 traced_init(struct db_result *, int);
static int		 refused(struct db *, int64_t, const struct db_result *,
			    const char *, const char *);
static void		 test_store(void);
static void		 test_refusals(void);
static void		 test_schema_checks(void);
static void		 test_profile(void);
static void		 test_export(void);
static void		 test_import(void);

/* Three records of one step: a GEMM kernel, a memcpy (no grid, block,
 * registers: -1 = not applicable), a memset whose duration was not
 * measured (NaN) and whose phase is not known. */
static const struct db_kernel	 kernels3[3] = {
	{ 0, "kernel", "gemm_warptile<128, 64>(sb_gemm_args)", "forward", 7,
	  { 4, 8, 1 }, { 256, 1, 1 }, 96, 1024, 49152, 0, -1, 12.5, 0 },
	{ 1, "memcpy", "memcpy DtoD", "sgd", 7, { -1, -1, -1 },
	  { -1, -1, -1 }, -1, -1, -1, -1, 4096, 0.75, 13 },
	{ 2, "memset", "memset", NULL, 14, { -1, -1, -1 }, { -1, -1, -1 },
	  -1, -1, -1, -1, 8388608, NAN, 20.25 },
};

#define FP_JSON	"{\"gpu_uuid\":\"GPU-0000\",\"nvcc\":\"-O3\"," \
	"\"kernels\":[{\"name\":\"gemm\",\"regs\":96}]}"

/* Paths inside the temp dir; a few rotating buffers so calls can nest. */
static const char *
P(const char *name)
{
	static char	buf[8][PATH_MAX];
	static int	i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return (buf[i]);
}

/* First column of the first row as text, through a separate connection:
 * "(null)" for NULL, "(error)" on error. */
static const char *
raw_text(const char *path, const char *sql)
{
	static char	 buf[8192];
	sqlite3		*h = NULL;
	sqlite3_stmt	*st = NULL;
	const char	*s;

	snprintf(buf, sizeof(buf), "(error)");
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(h, sql, -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		s = (const char *)sqlite3_column_text(st, 0);
		snprintf(buf, sizeof(buf), "%s", s != NULL ? s : "(null)");
	} else
		fprintf(stderr, "raw_text(%s): %s\n", sql, sqlite3_errmsg(h));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return (buf);
}

static char *
capture(struct db *db, int64_t run_id, const char *fmt, int *rc)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 len = 0;

	if ((f = open_memstream(&buf, &len)) == NULL) {
		*rc = -2;
		return (NULL);
	}
	*rc = db_export(db, run_id, fmt, f);
	fclose(f);
	return (buf);
}

static void
run_info(struct db_run_info *ri, const char *uuid)
{
	static char *const	 argv[] = { "stepbench", "sweep", NULL };

	memset(ri, 0, sizeof(*ri));
	ri->uuid = uuid;
	ri->label = "v6";
	ri->argc = 2;
	ri->argv = argv;
	ri->host = "h1";
	ri->pid = 42;
	ri->pid_start = 1;
	ri->device = "gpu: test";
	ri->planned_points = 4;
}

/* A GPU point with nothing of v6 set (a caller that knows nothing of it:
 * the struct zeroed). */
static void
result_init(struct db_result *r, int idx)
{
	memset(r, 0, sizeof(*r));
	r->point_idx = idx;
	r->variant = "train.fp32.warptile";
	r->mode = "train";
	r->precision = "fp32";
	r->impl = "warptile";
	r->m = r->n = r->k = 64;
	r->layers = 1;
	r->world = 1;
	r->status = "ok";
	r->over_peak = -1;
	r->median_us = r->mean_us = r->min_us = r->max_us = 40;
	r->p10_us = r->p90_us = 40;
	r->cv = 0.01;
	r->flops = r->bytes = r->tflops = r->gbps = NAN;
	r->peak_tflops = r->peak_gbps = NAN;
	r->err_y = r->err_loss = r->err_dw = r->err_db = r->err_w = NAN;
	r->err_dx = r->tol = r->err_recheck = r->loss = NAN;
	r->launches = 3;
}

/* The same point, traced by CUPTI, with its fingerprint. */
static void
traced_init(struct db_result *r, int idx)
{
	result_init(r, idx);
	r->cupti = "ok";
	r->cupti_steps = 5;
	r->cupti_launches = 3;
	r->cupti_kernel_us = 13.25;
	r->cupti_event_us = 40.5;
	r->nkernels = 3;
	r->kernels = kernels3;
	r->fingerprint = "0123456789abcdef";
	r->fingerprint_json = FP_JSON;
}

/* db_result_add refuses r, naming want (and want2 if not NULL). */
static int
refused(struct db *db, int64_t id, const struct db_result *r,
    const char *want, const char *want2)
{
	int	rc;

	rc = db_result_add(db, id, r);
	if (rc == -1 && strstr(db_errmsg(db), want) != NULL &&
	    (want2 == NULL || strstr(db_errmsg(db), want2) != NULL) &&
	    strstr(db_errmsg(db), "point ") != NULL)
		return (1);
	fprintf(stderr, "  wanted a refusal naming '%s': rc %d, %s\n", want,
	    rc, rc == 0 ? "(stored)" : db_errmsg(db));
	return (0);
}

/* --- 1: storing a traced result ------------------------------------------- */

static void
test_store(void)
{
	struct db		*db = NULL;
	struct db_run_info	 ri;
	struct db_result	 r;
	const char		*path = P("store.db");
	const char		*q;
	char			 err[1024];
	int64_t			 id = 0;
	int			 rc, ok;

	if (db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err)) != 0 ||
	    (run_info(&ri, "60a00000-0000-4000-8000-000000000001"),
	    db_run_begin(db, &ri, &id)) != 0) {
		CHECK("v6-1.0: open and run", 0);
		fprintf(stderr, "  %s\n", err);
		db_close(db);
		return;
	}
	traced_init(&r, 0);
	rc = db_result_add(db, id, &r);
	CHECK("v6-1.1: a traced result stores", rc == 0);
	if (rc != 0)
		fprintf(stderr, "  %s\n", db_errmsg(db));
	CHECK("v6-1.1: its v6 columns, as given", strcmp(raw_text(path,
	    "SELECT cupti || '|' || cupti_steps || '|' || cupti_launches || "
	    "'|' || cupti_kernel_us || '|' || cupti_event_us || '|' || "
	    "fingerprint || '|' || fingerprint_json FROM result"),
	    "ok|5|3|13.25|40.5|0123456789abcdef|" FP_JSON) == 0);
	CHECK("v6-1.1: its kernel rows, every field", strcmp(raw_text(path,
	    "SELECT group_concat(x, char(10)) FROM (SELECT "
	    "quote(idx) || ' ' || quote(kind) || ' ' || quote(name) || ' ' "
	    "|| quote(phase) || ' ' || quote(stream) || ' ' || "
	    "quote(grid_x) || 'x' || quote(grid_y) || 'x' || quote(grid_z) "
	    "|| ' ' || quote(block_x) || 'x' || quote(block_y) || 'x' || "
	    "quote(block_z) || ' ' || quote(regs) || ' ' || "
	    "quote(static_smem) || ' ' || quote(dyn_smem) || ' ' || "
	    "quote(local_bytes) || ' ' || quote(bytes) || ' ' || "
	    "quote(duration_us) || ' ' || quote(start_us) AS x "
	    "FROM kernel ORDER BY idx)"),
	    "0 'kernel' 'gemm_warptile<128, 64>(sb_gemm_args)' 'forward' 7 "
	    "4x8x1 256x1x1 96 1024 49152 0 NULL 12.5 0.0\n"
	    "1 'memcpy' 'memcpy DtoD' 'sgd' 7 NULLxNULLxNULL NULLxNULLxNULL "
	    "NULL NULL NULL NULL 4096 0.75 13.0\n"
	    "2 'memset' 'memset' NULL 14 NULLxNULLxNULL NULLxNULLxNULL "
	    "NULL NULL NULL NULL 8388608 NULL 20.25") == 0);

	/* 0, -1 and NaN are "not known": NULL, not refused (db.h). */
	result_init(&r, 1);
	r.cupti = "off: --no-cupti";
	r.cupti_steps = 0;
	r.cupti_launches = -1;
	r.cupti_kernel_us = NAN;
	r.cupti_event_us = -1;
	rc = db_result_add(db, id, &r);
	result_init(&r, 2);	/* every v6 field zeroed */
	rc |= db_result_add(db, id, &r);
	CHECK("v6-1.2: untraced rows store", rc == 0);
	q = raw_text(path, "SELECT group_concat(x, ';') FROM (SELECT "
	    "quote(cupti) || quote(cupti_steps) || quote(cupti_launches) || "
	    "quote(cupti_kernel_us) || quote(cupti_event_us) || "
	    "quote(fingerprint) || quote(fingerprint_json) AS x FROM result "
	    "WHERE point_idx > 0 ORDER BY point_idx)");
	ok = strcmp(q, "'off: --no-cupti'NULLNULLNULLNULLNULLNULL;"
	    "NULLNULLNULLNULLNULLNULLNULL") == 0;
	if (!ok)
		fprintf(stderr, "  got %s\n", q);
	CHECK("v6-1.2: their v6 columns are NULL but the note", ok &&
	    strcmp(raw_text(path, "SELECT count(*) FROM kernel"), "3") == 0);
	db_close(db);
}

/* --- 2: refusals name the field and store nothing ------------------------ */

static void
test_refusals(void)
{
	struct db		*db = NULL;
	struct db_run_info	 ri;
	struct db_result	 r;
	struct db_kernel	 bad[3];
	const char		*path = P("refuse.db");
	char			 err[1024];
	int64_t			 id = 0;
	int			 ok = 1;

	if (db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err)) != 0 ||
	    (run_info(&ri, "60a00000-0000-4000-8000-000000000002"),
	    db_run_begin(db, &ri, &id)) != 0) {
		CHECK("v6-2.0: open and run", 0);
		db_close(db);
		return;
	}
	traced_init(&r, 0);
	r.kernels = NULL;
	CHECK("v6-2.1: nkernels without kernels", refused(db, id, &r,
	    "nkernels is 3 and kernels is NULL", NULL));
	traced_init(&r, 0);
	r.nkernels = -1;
	CHECK("v6-2.1: negative nkernels", refused(db, id, &r,
	    "nkernels is -1", NULL));

	memcpy(bad, kernels3, sizeof(bad));
	bad[1].kind = "kernal";
	traced_init(&r, 0);
	r.kernels = bad;
	CHECK("v6-2.2: an unknown kind, the valid ones named", refused(db, id,
	    &r, "kernels[1].kind is 'kernal'", "kernel, memset or memcpy"));
	bad[1].kind = NULL;
	CHECK("v6-2.2: no kind", refused(db, id, &r,
	    "kernels[1].kind is '(null)'", NULL));
	memcpy(bad, kernels3, sizeof(bad));
	bad[0].duration_us = -0.5;
	CHECK("v6-2.3: a negative duration", refused(db, id, &r,
	    "kernels[0]", "duration_us -0.5"));
	memcpy(bad, kernels3, sizeof(bad));
	bad[2].start_us = -1;
	CHECK("v6-2.3: a negative start", refused(db, id, &r,
	    "kernels[2]", "start_us -1"));
	memcpy(bad, kernels3, sizeof(bad));
	bad[2].idx = -3;
	CHECK("v6-2.4: a negative idx", refused(db, id, &r,
	    "kernels[2].idx is -3", NULL));
	/* Caught by the primary key, inside the transaction: the result
	 * row inserted before it must go too. */
	memcpy(bad, kernels3, sizeof(bad));
	bad[2].idx = 0;
	db_result_add(db, id, &r);
	ok = strstr(db_errmsg(db), "idx 0 appears twice") != NULL &&
	    strstr(db_errmsg(db), "kernels[2]") != NULL;
	CHECK("v6-2.4: an idx given twice, named", ok);

	traced_init(&r, 0);
	r.fingerprint = "0123456789ABCDEF";
	CHECK("v6-2.5: an upper-case fingerprint", refused(db, id, &r,
	    "fingerprint '0123456789ABCDEF' is not 16 lower-case hex", NULL));
	r.fingerprint = "0123456789abcde";
	CHECK("v6-2.5: a short fingerprint", refused(db, id, &r,
	    "fingerprint '0123456789abcde'", NULL));
	r.fingerprint = "0123456789abcdeg";
	CHECK("v6-2.5: a fingerprint with a non-hex digit", refused(db, id,
	    &r, "fingerprint '0123456789abcdeg'", NULL));
	traced_init(&r, 0);
	r.fingerprint_json = "{\"gpu_uuid\":";
	CHECK("v6-2.6: invalid fingerprint_json", refused(db, id, &r,
	    "fingerprint_json is not a JSON object", "{\"gpu_uuid\":"));
	r.fingerprint_json = "[1,2]";
	CHECK("v6-2.6: a fingerprint_json that is not an object",
	    refused(db, id, &r, "fingerprint_json is not a JSON object",
	    NULL));
	traced_init(&r, 0);
	r.fingerprint_json = NULL;
	CHECK("v6-2.7: fingerprint without its JSON", refused(db, id, &r,
	    "fingerprint is set but fingerprint_json is NULL", NULL));
	traced_init(&r, 0);
	r.fingerprint = NULL;
	CHECK("v6-2.7: fingerprint_json without its hash", refused(db, id,
	    &r, "fingerprint is NULL but fingerprint_json is set", NULL));
	traced_init(&r, 0);
	r.cupti = "";
	CHECK("v6-2.8: an empty cupti note", refused(db, id, &r,
	    "cupti is ''", NULL));
	CHECK("v6-2.9: nothing of the refused points stored", strcmp(raw_text(
	    path, "SELECT (SELECT count(*) FROM result) || ' ' || "
	    "(SELECT count(*) FROM kernel)"), "0 0") == 0);
	traced_init(&r, 0);
	CHECK("v6-2.9: the point stores once it is right",
	    db_result_add(db, id, &r) == 0 && strcmp(raw_text(path,
	    "SELECT (SELECT count(*) FROM result) || ' ' || "
	    "(SELECT count(*) FROM kernel)"), "1 3") == 0);
	db_close(db);
}

/* --- 3: the schema's own CHECKs, for writers other than db/ -------------- */

static void
test_schema_checks(void)
{
	const char	*path = P("store.db");	/* test_store's file */

	CHECK("v6-3.1: kind outside the list refused by the schema",
	    raw_exec(path, "INSERT INTO kernel (result_id, idx, kind) "
	    "SELECT id, 9, 'graph' FROM result LIMIT 1") ==
	    SQLITE_CONSTRAINT_CHECK);
	CHECK("v6-3.1: a negative duration refused by the schema",
	    raw_exec(path, "INSERT INTO kernel (result_id, idx, kind, "
	    "duration_us) SELECT id, 9, 'kernel', -1 FROM result LIMIT 1") ==
	    SQLITE_CONSTRAINT_CHECK);
	CHECK("v6-3.2: an upper-case fingerprint refused by the schema",
	    raw_exec(path, "UPDATE result SET fingerprint = "
	    "'0123456789ABCDEF' WHERE point_idx = 0") ==
	    SQLITE_CONSTRAINT_CHECK);
	CHECK("v6-3.2: a fingerprint without its JSON refused by the schema",
	    raw_exec(path, "UPDATE result SET fingerprint_json = NULL WHERE "
	    "point_idx = 0") == SQLITE_CONSTRAINT_CHECK);
	CHECK("v6-3.2: a JSON array refused by the schema",
	    raw_exec(path, "UPDATE result SET fingerprint_json = '[]' WHERE "
	    "point_idx = 0") == SQLITE_CONSTRAINT_CHECK);
	CHECK("v6-3.3: a tool other than ncu or nsys refused by the schema",
	    raw_exec(path, "INSERT INTO profile_session (run_id, tool, "
	    "command, imported_at) SELECT id, 'perf', 'perf record', 'now' "
	    "FROM run LIMIT 1") == SQLITE_CONSTRAINT_CHECK);
	CHECK("v6-3.4: the file is unchanged by the refusals", strcmp(
	    raw_text(path, "SELECT (SELECT count(*) FROM kernel) || ' ' || "
	    "(SELECT fingerprint FROM result WHERE point_idx = 0) || ' ' || "
	    "(SELECT count(*) FROM profile_session)"),
	    "3 0123456789abcdef 0") == 0);
}

/* --- 4: profile sessions and their values -------------------------------- */

static void
test_profile(void)
{
	struct db_profile_session	 ps = { "ncu", "/tmp/x/run.ncu-rep",
	    "ncu --clock-control none -o /tmp/x/run ./stepbench sweep",
	    "2025.3.1" };
	struct db_profile_metric	 m[4] = {
		{ 0, 0, "gemm_warptile", "forward", "gpu__time_duration.sum",
		  "ns", 12345, NULL },
		{ 1, 1, "sgd_kernel", "sgd", "launch__grid_size", NULL, 1e6,
		  NULL },
		{ -1, 2, "memset_kernel", NULL, "sm__warps_active.avg.pct",
		  "%", NAN, "n/a" },
		{ 7, 3, "gemm_warptile", "forward", "gpu__time_duration.sum",
		  "ns", 5.5, NULL },
	};
	struct db_profile_metric	 bad[2];
	struct db_profile_session	 bs;
	struct db			*db = NULL;
	const char			*path = P("store.db");
	char				 err[1024];
	int64_t				 sid = 0, sid2 = 0, run_id;
	int				 rc;

	if (db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("v6-4.0: open", 0);
		return;
	}
	run_id = strtoll(raw_text(path, "SELECT id FROM run"), NULL, 10);
	rc = db_profile_begin(db, run_id, &ps, &sid);
	CHECK("v6-4.1: a session begins", rc == 0 && sid > 0);
	CHECK("v6-4.1: its row, as given", strcmp(raw_text(path,
	    "SELECT run_id || '|' || tool || '|' || report || '|' || "
	    "command || '|' || tool_version || '|' || "
	    "(imported_at LIKE '20__-__-__T__:__:__.___Z') FROM "
	    "profile_session"), "1|ncu|/tmp/x/run.ncu-rep|ncu "
	    "--clock-control none -o /tmp/x/run ./stepbench sweep|2025.3.1|1")
	    == 0);

	bs = ps;
	bs.tool = "perf";
	CHECK("v6-4.2: an unknown tool refused, named",
	    db_profile_begin(db, run_id, &bs, &sid2) == -1 &&
	    strstr(db_errmsg(db), "tool is 'perf'") != NULL &&
	    strstr(db_errmsg(db), "ncu or nsys") != NULL);
	bs = ps;
	bs.command = NULL;
	CHECK("v6-4.2: no command refused",
	    db_profile_begin(db, run_id, &bs, &sid2) == -1 &&
	    strstr(db_errmsg(db), "no command") != NULL);
	CHECK("v6-4.2: a missing run refused",
	    db_profile_begin(db, 999, &ps, &sid2) == -1 &&
	    strstr(db_errmsg(db), "no run with id 999") != NULL);
	CHECK("v6-4.2: nothing stored by the refusals", strcmp(raw_text(path,
	    "SELECT count(*) FROM profile_session"), "1") == 0);

	rc = db_profile_add(db, sid, m, 4);
	CHECK("v6-4.3: 4 values added", rc == 0);
	if (rc != 0)
		fprintf(stderr, "  %s\n", db_errmsg(db));
	/* point 0 and 1 have results (test_store); -1 and 7 do not */
	CHECK("v6-4.3: the rows, every field", strcmp(raw_text(path,
	    "SELECT group_concat(x, char(10)) FROM (SELECT quote(p.idx) || "
	    "' ' || quote(r.point_idx) || ' ' || quote(launch) || ' ' || "
	    "quote(kernel) || ' ' || quote(phase) || ' ' || quote(metric) || "
	    "' ' || quote(unit) || ' ' || quote(value) || ' ' || quote(text) "
	    "AS x FROM profile AS p LEFT JOIN result AS r ON "
	    "r.id = p.result_id ORDER BY p.idx)"),
	    "0 0 0 'gemm_warptile' 'forward' 'gpu__time_duration.sum' 'ns' "
	    "12345.0 NULL\n"
	    "1 1 1 'sgd_kernel' 'sgd' 'launch__grid_size' NULL 1000000.0 "
	    "NULL\n"
	    "2 NULL 2 'memset_kernel' NULL 'sm__warps_active.avg.pct' '%' "
	    "NULL 'n/a'\n"
	    "3 NULL 3 'gemm_warptile' 'forward' 'gpu__time_duration.sum' "
	    "'ns' 5.5 NULL") == 0);
	CHECK("v6-4.3: NULL result_id only where no point matched",
	    strcmp(raw_text(path, "SELECT count(*) FROM profile WHERE "
	    "result_id IS NULL"), "2") == 0);

	rc = db_profile_add(db, sid, m, 1);
	CHECK("v6-4.4: a later call numbers on", rc == 0 && strcmp(raw_text(
	    path, "SELECT max(idx) || ' ' || count(*) FROM profile"), "4 5")
	    == 0);
	CHECK("v6-4.4: n = 0 adds nothing", db_profile_add(db, sid, NULL, 0)
	    == 0 && strcmp(raw_text(path, "SELECT count(*) FROM profile"),
	    "5") == 0);

	memcpy(bad, m, sizeof(bad));
	bad[1].kernel = NULL;
	CHECK("v6-4.5: a value without a kernel refuses the batch",
	    db_profile_add(db, sid, bad, 2) == -1 &&
	    strstr(db_errmsg(db), "value 1 (launch 1) has no kernel") != NULL);
	memcpy(bad, m, sizeof(bad));
	bad[1].metric = "";
	CHECK("v6-4.5: an empty metric refuses the batch",
	    db_profile_add(db, sid, bad, 2) == -1 &&
	    strstr(db_errmsg(db), "has no metric") != NULL);
	memcpy(bad, m, sizeof(bad));
	bad[1].launch = -1;
	CHECK("v6-4.5: a negative launch refuses the batch",
	    db_profile_add(db, sid, bad, 2) == -1 &&
	    strstr(db_errmsg(db), "has launch -1") != NULL);
	CHECK("v6-4.5: values without a count refused",
	    db_profile_add(db, sid, NULL, 2) == -1 &&
	    strstr(db_errmsg(db), "n is 2") != NULL);
	CHECK("v6-4.5: a missing session refused",
	    db_profile_add(db, sid + 100, m, 1) == -1 &&
	    strstr(db_errmsg(db), "no profile session with id") != NULL);
	CHECK("v6-4.5: nothing of the refused batches stored",
	    strcmp(raw_text(path, "SELECT count(*) FROM profile"), "5") == 0);

	/* db_profile_import: the session and its values, or neither */
	CHECK("v6-4.7: an import into a missing run stores no session",
	    db_profile_import(db, 999, &ps, m, 1, &sid2) == -1 &&
	    strcmp(raw_text(path, "SELECT count(*) FROM profile_session"),
	    "1") == 0);
	memcpy(bad, m, sizeof(bad));
	bad[1].kernel = NULL;
	CHECK("v6-4.7: an import with a bad value stores no session",
	    db_profile_import(db, run_id, &ps, bad, 2, &sid2) == -1 &&
	    strstr(db_errmsg(db), "has no kernel") != NULL &&
	    strcmp(raw_text(path, "SELECT count(*) FROM profile_session"),
	    "1") == 0 && strcmp(raw_text(path, "SELECT count(*) FROM "
	    "profile"), "5") == 0);

	/* An nsys session with one value, for the export and import. */
	ps.tool = "nsys";
	ps.report = NULL;
	ps.tool_version = NULL;
	m[0].metric = "duration_ns";
	rc = db_profile_begin(db, run_id, &ps, &sid2);
	rc |= db_profile_add(db, sid2, m, 1);
	CHECK("v6-4.6: a second session", rc == 0 && sid2 == sid + 1);
	db_close(db);
}

/* --- 5: exports ------------------------------------------------------------ */

static void
test_export(void)
{
	struct db	*db = NULL;
	struct csv	 c;
	const char	*path = P("store.db");
	char		 err[1024], *s;
	int		 rc, ci;

	if (db_open(&db, path, DB_OPEN_READONLY, err, sizeof(err)) != 0) {
		CHECK("v6-5.0: open", 0);
		return;
	}
	s = capture(db, 1, "json", &rc);
	CHECK("v6-5.1: json export", rc == 0 && strcmp(jx(s,
	    "json_valid(?1)"), "1") == 0);
	CHECK("v6-5.1: the v6 columns of point 0", strcmp(jx(s,
	    "json_extract(?1, '$.results[0].cupti', "
	    "'$.results[0].cupti_steps', '$.results[0].cupti_launches', "
	    "'$.results[0].cupti_kernel_us', '$.results[0].cupti_event_us', "
	    "'$.results[0].fingerprint')"),
	    "[\"ok\",5,3,13.25,40.5,\"0123456789abcdef\"]") == 0);
	CHECK("v6-5.1: fingerprint_json is an object, not a string",
	    strcmp(jx(s, "json_type(?1, '$.results[0].fingerprint_json') || "
	    "' ' || json_extract(?1, "
	    "'$.results[0].fingerprint_json.kernels[0].regs')"),
	    "object 96") == 0);
	CHECK("v6-5.2: the kernels of point 0, by idx", strcmp(jx(s,
	    "json_extract(?1, '$.results[0].kernels')"),
	    "[{\"idx\":0,\"kind\":\"kernel\",\"name\":\"gemm_warptile<128, "
	    "64>(sb_gemm_args)\",\"phase\":\"forward\",\"stream\":7,"
	    "\"grid_x\":4,\"grid_y\":8,\"grid_z\":1,\"block_x\":256,"
	    "\"block_y\":1,\"block_z\":1,\"regs\":96,\"static_smem\":1024,"
	    "\"dyn_smem\":49152,\"local_bytes\":0,\"bytes\":null,"
	    "\"duration_us\":12.5,\"start_us\":0.0},"
	    "{\"idx\":1,\"kind\":\"memcpy\",\"name\":\"memcpy DtoD\","
	    "\"phase\":\"sgd\",\"stream\":7,\"grid_x\":null,\"grid_y\":null,"
	    "\"grid_z\":null,\"block_x\":null,\"block_y\":null,"
	    "\"block_z\":null,\"regs\":null,\"static_smem\":null,"
	    "\"dyn_smem\":null,\"local_bytes\":null,\"bytes\":4096,"
	    "\"duration_us\":0.75,\"start_us\":13.0},"
	    "{\"idx\":2,\"kind\":\"memset\",\"name\":\"memset\","
	    "\"phase\":null,\"stream\":14,\"grid_x\":null,\"grid_y\":null,"
	    "\"grid_z\":null,\"block_x\":null,\"block_y\":null,"
	    "\"block_z\":null,\"regs\":null,\"static_smem\":null,"
	    "\"dyn_smem\":null,\"local_bytes\":null,\"bytes\":8388608,"
	    "\"duration_us\":null,\"start_us\":20.25}]") == 0);
	CHECK("v6-5.3: the profile values of point 0, by session", strcmp(jx(s,
	    "json_extract(?1, '$.results[0].profile')"),
	    "[{\"session_id\":1,\"tool\":\"ncu\",\"idx\":0,\"launch\":0,"
	    "\"kernel\":\"gemm_warptile\",\"phase\":\"forward\","
	    "\"metric\":\"gpu__time_duration.sum\",\"unit\":\"ns\","
	    "\"value\":12345.0,\"text\":null},"
	    "{\"session_id\":1,\"tool\":\"ncu\",\"idx\":4,\"launch\":0,"
	    "\"kernel\":\"gemm_warptile\",\"phase\":\"forward\","
	    "\"metric\":\"gpu__time_duration.sum\",\"unit\":\"ns\","
	    "\"value\":12345.0,\"text\":null},"
	    "{\"session_id\":2,\"tool\":\"nsys\",\"idx\":0,\"launch\":0,"
	    "\"kernel\":\"gemm_warptile\",\"phase\":\"forward\","
	    "\"metric\":\"duration_ns\",\"unit\":\"ns\","
	    "\"value\":12345.0,\"text\":null}]") == 0);
	CHECK("v6-5.3: kernels and profile [] where none", strcmp(jx(s,
	    "json_array_length(?1, '$.results[2].kernels') || ' ' || "
	    "json_array_length(?1, '$.results[2].profile') || ' ' || "
	    "json_array_length(?1, '$.results[1].profile') || ' ' || "
	    "json_type(?1, '$.results[2].fingerprint_json')"), "0 0 1 null")
	    == 0);
	CHECK("v6-5.4: the run's sessions", strcmp(jx(s, "json_extract(?1, "
	    "'$.profile_sessions[0].tool', '$.profile_sessions[0].report', "
	    "'$.profile_sessions[0].tool_version', "
	    "'$.profile_sessions[1].id', '$.profile_sessions[1].tool', "
	    "'$.profile_sessions[1].report') || ' ' || "
	    "json_array_length(?1, '$.profile_sessions')"),
	    "[\"ncu\",\"/tmp/x/run.ncu-rep\",\"2025.3.1\",2,\"nsys\",null] 2")
	    == 0);
	free(s);

	s = capture(db, 1, "csv", &rc);
	CHECK("v6-5.5: csv export", rc == 0 && s != NULL &&
	    csv_parse(s, &c) == 0 && c.nrows == 4);
#define CELL(row, col) ((ci = csv_col(&c, (col))) > 0 && c.nrows == 4 ?	\
	c.f[(row)][ci] : "(no column)")
	CHECK("v6-5.5: csv v6 columns", strcmp(CELL(1, "cupti"), "ok") == 0 &&
	    strcmp(CELL(1, "cupti_steps"), "5") == 0 &&
	    strcmp(CELL(1, "cupti_launches"), "3") == 0 &&
	    strcmp(CELL(1, "cupti_kernel_us"), "13.25") == 0 &&
	    strcmp(CELL(1, "cupti_event_us"), "40.5") == 0 &&
	    strcmp(CELL(1, "fingerprint"), "0123456789abcdef") == 0 &&
	    strcmp(CELL(1, "fingerprint_json"), FP_JSON) == 0);
	CHECK("v6-5.5: csv v6 columns empty where NULL", strcmp(CELL(2,
	    "cupti"), "off: --no-cupti") == 0 && strcmp(CELL(2,
	    "cupti_steps"), "") == 0 && strcmp(CELL(3, "cupti"), "") == 0 &&
	    strcmp(CELL(3, "fingerprint_json"), "") == 0);
#undef CELL
	csv_free(&c);
	free(s);
	db_close(db);
}

/* --- 6: import carries kernels and profiles, with new ids ----------------- */

static void
test_import(void)
{
	struct db_profile_session	 ps = { "nsys", "other.nsys-rep",
	    "nsys profile ...", NULL };
	struct db_profile_metric	 m = { 0, 0, "k", NULL, "duration_ns",
	    NULL, 1, NULL };
	struct db			*db = NULL;
	struct db_run_info		 ri;
	struct db_result		 r;
	const char			*src = P("store.db"), *dst = P("dst.db");
	const char			*q;
	char				 err[1024], want[4096];
	int64_t				 id = 0, sid = 0;
	int				 imp = -1, skip = -1, rc, ok;

	/* The destination already holds a run with a traced point and a
	 * session, so every id of the copy differs from the source's. */
	if (db_open(&db, dst, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("v6-6.0: open", 0);
		return;
	}
	run_info(&ri, "60a00000-0000-4000-8000-0000000000ff");
	rc = db_run_begin(db, &ri, &id);
	traced_init(&r, 0);
	rc |= db_result_add(db, id, &r);
	result_init(&r, 1);
	rc |= db_result_add(db, id, &r);
	rc |= db_profile_begin(db, id, &ps, &sid);
	rc |= db_profile_add(db, sid, &m, 1);
	CHECK("v6-6.0: destination set up", rc == 0);

	rc = db_import(db, src, &imp, &skip);
	CHECK("v6-6.1: import", rc == 0 && imp == 1 && skip == 0);
	if (rc != 0)
		fprintf(stderr, "  %s\n", db_errmsg(db));
	/* The same query on both files: the copy of run 60a..01 reads as
	 * the original. */
	q = "SELECT (SELECT group_concat(x, ';') FROM (SELECT r.point_idx "
	    "|| ':' || k.idx || ':' || k.kind || ':' || quote(k.name) || ':' "
	    "|| quote(k.phase) || ':' || quote(k.grid_x) || ':' || "
	    "quote(k.bytes) || ':' || quote(k.duration_us) AS x FROM kernel "
	    "AS k JOIN result AS r ON r.id = k.result_id JOIN run ON run.id = "
	    "r.run_id WHERE run.uuid LIKE '%01' ORDER BY r.point_idx, k.idx)) "
	    "|| ' / ' || (SELECT group_concat(x, ';') FROM (SELECT s.tool || "
	    "':' || quote(s.report) || ':' || s.command || ':' || "
	    "quote(s.tool_version) || ':' || s.imported_at AS x FROM "
	    "profile_session AS s JOIN run ON run.id = s.run_id WHERE "
	    "run.uuid LIKE '%01' ORDER BY s.id)) || ' / ' || (SELECT "
	    "group_concat(x, ';') FROM (SELECT s.tool || ':' || p.idx || ':' "
	    "|| quote(r.point_idx) || ':' || p.launch || ':' || p.kernel || "
	    "':' || p.metric || ':' || quote(p.unit) || ':' || quote(p.value) "
	    "|| ':' || quote(p.text) AS x FROM profile AS p JOIN "
	    "profile_session AS s ON s.id = p.session_id JOIN run ON run.id "
	    "= s.run_id LEFT JOIN result AS r ON r.id = p.result_id WHERE "
	    "run.uuid LIKE '%01' ORDER BY s.id, p.idx))";
	snprintf(want, sizeof(want), "%s", raw_text(src, q));
	ok = strstr(want, "0:0:kernel:") != NULL && strcmp(raw_text(dst, q),
	    want) == 0;
	CHECK("v6-6.2: kernels, sessions and profile rows copied as they were",
	    ok);
	if (!ok)
		fprintf(stderr, "  source: %s\n  copy:   %s\n", want,
		    raw_text(dst, q));
	CHECK("v6-6.2: renumbered: the copy's rows point at the copy",
	    strcmp(raw_text(dst, "SELECT (SELECT count(*) FROM kernel AS k "
	    "JOIN result AS r ON r.id = k.result_id JOIN run ON run.id = "
	    "r.run_id WHERE run.uuid LIKE '%01') || ' ' || (SELECT count(*) "
	    "FROM profile AS p JOIN profile_session AS s ON s.id = "
	    "p.session_id JOIN result AS r ON r.id = p.result_id WHERE "
	    "r.run_id <> s.run_id) || ' ' || (SELECT count(*) FROM "
	    "profile_session) || ' ' || (SELECT count(*) FROM profile) || ' ' "
	    "|| (SELECT count(*) FROM kernel)"), "3 0 3 7 6") == 0);
	CHECK("v6-6.2: the destination's own rows untouched", strcmp(raw_text(
	    dst, "SELECT group_concat(s.command || ':' || p.kernel || ':' || "
	    "r.point_idx || ':' || run.uuid) FROM profile AS p JOIN "
	    "profile_session AS s ON s.id = p.session_id JOIN result AS r ON "
	    "r.id = p.result_id JOIN run ON run.id = r.run_id WHERE "
	    "run.uuid LIKE '%ff'"),
	    "nsys profile ...:k:0:60a00000-0000-4000-8000-0000000000ff") == 0);
	CHECK("v6-6.2: foreign keys hold", raw_int(dst,
	    "SELECT count(*) FROM pragma_foreign_key_check") == 0);
	rc = db_import(db, src, &imp, &skip);
	CHECK("v6-6.3: importing again is a no-op", rc == 0 && imp == 0 &&
	    skip == 1 && strcmp(raw_text(dst, "SELECT (SELECT count(*) FROM "
	    "profile) || ' ' || (SELECT count(*) FROM kernel)"), "7 6") == 0);
	db_close(db);

	/* Deleting a run removes everything measured for it. */
	CHECK("v6-6.4: a run deleted", raw_exec(dst, "PRAGMA foreign_keys = "
	    "ON; DELETE FROM run WHERE uuid LIKE '%01'") == SQLITE_OK);
	CHECK("v6-6.4: its kernels, sessions and profile rows go with it",
	    strcmp(raw_text(dst, "SELECT (SELECT count(*) FROM kernel) || ' ' "
	    "|| (SELECT count(*) FROM profile_session) || ' ' || (SELECT "
	    "count(*) FROM profile)"), "3 1 1") == 0);
}

int
main(void)
{
	char	tmpl[] = "/tmp/test_db_v6.XXXXXX";

	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		return (1);
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s", tmpl);

	test_store();
	test_refusals();
	test_schema_checks();
	test_profile();
	test_export();
	test_import();

	if (nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "note: could not remove %s: %s\n", tmpdir,
		    strerror(errno));
	return (check_summary("test_db_v6"));
}
