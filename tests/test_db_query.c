/*
 * tests/test_db_query.c — the dashboard's queries (db_query_table) and
 * db_import, against real SQLite files in a fresh temporary directory.
 * Rows are crafted so that every figure a query derives is known exactly;
 * the JSON is checked with SQLite's own parser (json_valid, json_extract
 * on a separate in-memory connection), never with db/'s writer.
 */
#define _XOPEN_SOURCE 700	/* mkdtemp, nftw, symlink */

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
#include "query.h"
#include "dbtest.h"

/* Environments: B differs from A in cublas_version only; D lacks the GPU
 * and NCCL keys. */
#define ENV_A	"{\"host\":\"h1\",\"cpu\":\"Xeon\",\"driver_version\":13000," \
	"\"runtime_version\":13000,\"cublas_version\":130100,"		\
	"\"cublaslt_version\":130100,\"nccl_version\":22000,"		\
	"\"sqlite_version\":\"3.40.1\",\"gpus\":[{\"name\":\"NVIDIA H100\"," \
	"\"cc\":\"9.0\"}],\"build\":{\"git_rev\":\"abc\"}}"
#define ENV_B	"{\"host\":\"h1\",\"cpu\":\"Xeon\",\"driver_version\":13000," \
	"\"runtime_version\":13000,\"cublas_version\":130200,"		\
	"\"cublaslt_version\":130100,\"nccl_version\":22000,"		\
	"\"sqlite_version\":\"3.40.1\",\"gpus\":[{\"name\":\"NVIDIA H100\"," \
	"\"cc\":\"9.0\"}],\"build\":{\"git_rev\":\"abc\"}}"
#define ENV_D	"{\"host\":\"h1\",\"cpu\":\"Xeon\",\"driver_version\":13000," \
	"\"runtime_version\":13000,\"cublas_version\":130100,"		\
	"\"cublaslt_version\":130100,\"sqlite_version\":\"3.40.1\","	\
	"\"gpus\":[],\"build\":{\"git_rev\":\"abc\"}}"

#define RUNS_COLS	"id,uuid,label,note,device,host,status,started_at," \
	"ended_at,planned_points,done_points,ok_points,skipped_points,"	\
	"failed_points,git_rev,git_dirty"
#define RESULTS_COLS	"point_idx,variant,mode,precision,impl,m,n,k,"	\
	"layers,world,graph,l2_flush,input_grad,status,reason,nsamples,reps," \
	"median_us,mean_us,p10_us,p90_us,min_us,max_us,cv,stop_reason,"	\
	"flops,bytes,tflops,gbps,peak_tflops,peak_gbps,over_peak,"	\
	"err_y,err_loss,err_dw,err_db,err_dx,err_w,tol,check_mode,"	\
	"err_recheck,loss,nsteps,layout,launches,graph_nodes,loss_divergence," \
	"quant_per_channel,quant_err_sym,quant_err_affine,quant_sat_act," \
	"quant_sat_weight,dp_backend,dp_bucket_cap,dp_first_bucket,"	\
	"dp_overlap,dp_compress,dp_op,dp_inplace,dp_compute_us,dp_comm_us," \
	"dp_exposed_us,dp_overlap_frac,dp_overhead,cupti,cupti_steps,"	\
	"cupti_launches,cupti_kernel_us,cupti_event_us,fingerprint"

#define COMM_COLS	"point_idx,variant,status,m,n,k,layers,world,graph," \
	"dp_backend,dp_compress,dp_op,dp_inplace,dp_overlap,bucket,nparams," \
	"layer_hi,layer_lo,bytes,median_us,min_us,algbw_gbps,busbw_gbps"

static const char hostile[] = "<script>\"\n\\\x01 \xc3\xa9, &end\r\n";

static char	 tmpdir[256];

static const char	*P(const char *);
static char		*jnorm(const char *);
static const char	*csv_header(const struct csv *);
static char		*qt(struct db *, enum db_query, int64_t, int64_t,
			    enum db_fmt, int *);
static char		*export_json(struct db *, int64_t);
static void		 run_info(struct db_run_info *, const char *,
			    const char *);
static void		 result_init(struct db_result *, int, const char *,
			    const char *, int64_t);
static int		 add(struct db *, int64_t, int, const char *,
			    const char *, int64_t, double, double, double,
			    double);
static void		 test_runs(void);
static void		 test_results(void);
static void		 test_baseline(void);
static void		 test_phases(void);
static void		 test_curves(void);
static void		 test_compare(void);
static void		 test_compare_env(void);
static void		 test_errors(void);
static void		 test_readonly(void);
static void		 test_limits(void);
static void		 test_import(void);
static int		 add_gemm(struct db *, int64_t, int, const char *,
			    const char *, double);
static void		 launch_init(struct db_launch *, const char *, int,
			    int64_t);
static void		 test_launches(void);
static void		 test_scaler(void);
static void		 test_quant(void);
static void		 test_profile(void);

static const char *
P(const char *name)
{
	static char	buf[8][PATH_MAX];
	static int	i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return (buf[i]);
}

/* A db_export JSON without the ids an import renumbers (run.id, and each
 * result's id and run_id); malloc'ed. */
static char *
jnorm(const char *json)
{
	sqlite3		*h = NULL;
	sqlite3_stmt	*st = NULL;
	const char	*s;
	char		*out = NULL;

	if (json != NULL &&
	    sqlite3_open(":memory:", &h) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, "SELECT json_set(json_remove(?1, "
	    "'$.run.id'), '$.results', json((SELECT json_group_array("
	    "json_remove(value, '$.id', '$.run_id')) FROM "
	    "json_each(?1, '$.results'))))", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW &&
	    (s = (const char *)sqlite3_column_text(st, 0)) != NULL)
		out = strdup(s);
	else if (h != NULL)
		fprintf(stderr, "jnorm: %s\n", sqlite3_errmsg(h));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return (out);
}

/* The header row joined with commas. */
static const char *
csv_header(const struct csv *c)
{
	static char	buf[2048];
	size_t		n = 0;
	int		i;

	buf[0] = '\0';
	for (i = 0; c->nrows > 0 && i < c->ncols[0]; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
		    i > 0 ? "," : "", c->f[0][i]);
	return (buf);
}

/* Runs a query (a, b as its arguments, by its arity); checks *len. */
static char *
qt(struct db *db, enum db_query q, int64_t a, int64_t b, enum db_fmt fmt,
    int *rc)
{
	static const int	 nargs[DB_Q_COUNT] = { 0, 1, 1, 1, 1, 1, 2, 2,
	    1, 1, 1, 2, 2, 2, 2 };
	int64_t			 args[2] = { a, b };
	char			*out = (char *)&out;	/* must be reset */
	size_t			 len = 12345;

	*rc = db_query_table(db, q, args, nargs[q], fmt, &out, &len);
	if (*rc != 0) {
		if (out != NULL || len != 0) {
			fprintf(stderr, "qt: failed query left out/len set\n");
			*rc = -99;
		}
		return (NULL);
	}
	if (out == NULL || strlen(out) != len) {
		fprintf(stderr, "qt: len %zu does not match the text\n", len);
		*rc = -98;
	}
	return (out);
}

static char *
export_json(struct db *db, int64_t id)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 len = 0;
	int	 rc;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return (NULL);
	rc = db_export(db, id, "json", f);
	fclose(f);
	if (rc != 0) {
		fprintf(stderr, "export: %s\n", db_errmsg(db));
		free(buf);
		return (NULL);
	}
	return (buf);
}

static void
run_info(struct db_run_info *ri, const char *uuid, const char *env)
{
	static char *const	argv[] = { "stepbench", "sweep", "--x=\"y\"" };

	memset(ri, 0, sizeof(*ri));
	ri->uuid = uuid;
	ri->argc = 3;
	ri->argv = argv;
	ri->git_rev = "abc1234";
	ri->host = "h1";
	ri->pid = 4242;
	ri->pid_start = 99;
	ri->env_json = env;
	ri->device = "NVIDIA H100";
	ri->planned_points = 8;
}

static void
result_init(struct db_result *r, int idx, const char *variant,
    const char *impl, int64_t size)
{
	memset(r, 0, sizeof(*r));
	r->point_idx = idx;
	r->variant = variant;
	r->mode = "train";
	r->precision = "fp32";
	r->impl = impl;
	r->m = r->n = r->k = size;
	r->layers = 1;
	r->world = 1;
	r->status = "ok";
	r->reps = 1;
	r->over_peak = 0;
	r->median_us = r->mean_us = r->min_us = r->max_us = NAN;
	r->p10_us = r->p90_us = r->cv = NAN;
	r->flops = r->bytes = r->tflops = r->gbps = NAN;
	r->peak_tflops = r->peak_gbps = NAN;
	r->err_y = r->err_loss = r->err_dw = r->err_db = r->err_w = NAN;
	r->err_dx = r->tol = r->err_recheck = r->loss = NAN;
}

/* An ok point with the figures DB_Q_COMPARE reads. */
static int
add(struct db *db, int64_t run, int idx, const char *variant,
    const char *impl, int64_t size, double median, double p10, double p90,
    double cv)
{
	struct db_result	r;

	result_init(&r, idx, variant, impl, size);
	r.median_us = median;
	r.p10_us = p10;
	r.p90_us = p90;
	r.cv = cv;
	if (db_result_add(db, run, &r) != 0) {
		fprintf(stderr, "  add: %s\n", db_errmsg(db));
		return (-1);
	}
	return (0);
}

/* --- 1: runs and one run ------------------------------------------------ */

static void
test_runs(void)
{
	struct db		*db = NULL;
	struct db_run_info	 ri;
	struct db_result	 r;
	struct csv		 c;
	const char		*path = P("runs.db");
	char			 err[1024], *s, expr[128];
	int64_t			 a = 0, b = 0, bad = 0;
	int			 rc, ci, i;
	static const char	*const st[] = { "ok", "ok", "skipped",
	    "mismatch", "failed" };

	if (db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("q-1.0: open", 0);
		fprintf(stderr, "  %s\n", err);
		return;
	}
	run_info(&ri, "aaaa0000-0000-4000-8000-000000000001", ENV_A);
	ri.label = hostile;
	ri.note = "note, \"quoted\"";
	rc = db_run_begin(db, &ri, &a);
	for (i = 0; i < 5; i++) {
		result_init(&r, i, "train.fp32.naive", "naive", 64);
		r.status = st[i];
		rc |= db_result_add(db, a, &r);
	}
	rc |= db_run_end(db, a, "ok");
	run_info(&ri, "bbbb0000-0000-4000-8000-000000000002", NULL);
	ri.argc = 0;
	rc |= db_run_begin(db, &ri, &b);
	/* Not valid UTF-8: a stray continuation byte and a cut sequence. */
	run_info(&ri, "cccc0000-0000-4000-8000-000000000003", NULL);
	ri.label = "x\x80y\xe2\x82";
	rc |= db_run_begin(db, &ri, &bad);
	CHECK("q-1.0: data set up", rc == 0);
	/* Start times in a known order (they may share a millisecond). */
	CHECK("q-1.0: start times set", raw_exec(path,
	    "UPDATE run SET started_at = '2024-01-0' || id || "
	    "'T00:00:00.000Z'") == SQLITE_OK);

	s = qt(db, DB_Q_RUNS, 0, 0, DB_FMT_JSON, &rc);
	CHECK("q-1.1: runs json", rc == 0 && s != NULL);
	CHECK("q-1.1: valid JSON", strcmp(jx(s, "json_valid(?1)"), "1") == 0);
	CHECK("q-1.1: every run", strcmp(jx(s, "json_array_length(?1)"),
	    "3") == 0);
	CHECK("q-1.1: the columns of query.h, in order", strcmp(jx(s,
	    "(SELECT group_concat(key, ',') FROM json_each(?1, '$[2]'))"),
	    RUNS_COLS) == 0);
	CHECK("q-1.1: newest first", strcmp(jx(s, "json_extract(?1, "
	    "'$[0].uuid') || ' ' || json_extract(?1, '$[2].uuid')"),
	    "cccc0000-0000-4000-8000-000000000003 "
	    "aaaa0000-0000-4000-8000-000000000001") == 0);
	CHECK("q-1.2: point counts", strcmp(jx(s, "json_extract(?1, "
	    "'$[2].planned_points', '$[2].done_points', '$[2].ok_points', "
	    "'$[2].skipped_points', '$[2].failed_points')"),
	    "[8,5,2,1,2]") == 0);
	CHECK("q-1.2: a run without results counts 0", strcmp(jx(s,
	    "json_extract(?1, '$[1].done_points', '$[1].ok_points', "
	    "'$[1].failed_points')"), "[0,0,0]") == 0);
	CHECK("q-1.2: integers are numbers, NULL is null", strcmp(jx(s,
	    "json_type(?1, '$[2].id') || json_type(?1, '$[2].git_dirty') || "
	    "json_type(?1, '$[1].ended_at') || json_type(?1, '$[1].label')"),
	    "integerintegernullnull") == 0);
	CHECK("q-1.3: a hostile label round-trips", strcmp(jx(s,
	    "json_extract(?1, '$[2].label')"), hostile) == 0);
	CHECK("q-1.3: no raw '<' or control byte in the text", s != NULL &&
	    strchr(s, '<') == NULL && strchr(s, '\x01') == NULL &&
	    strchr(s, '&') == NULL && strstr(s, "\\u0026end") != NULL &&
	    strstr(s, "\\u003cscript>") == NULL &&
	    strstr(s, "\\u003cscript\\u003e\\\"\\u000a\\\\\\u0001 \xc3\xa9")
	    != NULL);
	CHECK("q-1.3: invalid UTF-8 becomes U+FFFD", strcmp(jx(s,
	    "json_extract(?1, '$[0].label')"),
	    "x\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbd") == 0);
	CHECK("q-1.3: strings escaped", strcmp(jx(s,
	    "json_extract(?1, '$[2].note')"), "note, \"quoted\"") == 0);
	free(s);

	s = qt(db, DB_Q_RUNS, 0, 0, DB_FMT_CSV, &rc);
	CHECK("q-1.4: runs csv", rc == 0 && s != NULL &&
	    csv_parse(s, &c) == 0);
	CHECK("q-1.4: header + a row per run, CRLF", c.nrows == 4 && c.crlf);
	CHECK("q-1.4: header is the column list",
	    strcmp(csv_header(&c), RUNS_COLS) == 0);
	ci = csv_col(&c, "label");
	CHECK("q-1.4: hostile label round-trips through CSV", ci >= 0 &&
	    c.nrows == 4 && strcmp(c.f[3][ci], hostile) == 0);
	CHECK("q-1.4: quoted, quotes doubled", s != NULL && strstr(s,
	    ",\"<script>\"\"\n\\\x01 \xc3\xa9, &end\r\n\",") != NULL);
	CHECK("q-1.4: NULL is an empty field", ci >= 0 && c.nrows == 4 &&
	    strcmp(c.f[2][ci], "") == 0);
	csv_free(&c);
	free(s);

	s = qt(db, DB_Q_RUN, a, 0, DB_FMT_JSON, &rc);
	CHECK("q-1.5: run json", rc == 0 && strcmp(jx(s,
	    "json_array_length(?1)"), "1") == 0);
	CHECK("q-1.5: the runs columns plus argv, pid, env_json", strcmp(jx(s,
	    "(SELECT group_concat(key, ',') FROM json_each(?1, '$[0]'))"),
	    RUNS_COLS ",argv,pid,env_json") == 0);
	CHECK("q-1.5: counts of this run", strcmp(jx(s, "json_extract(?1, "
	    "'$[0].done_points', '$[0].skipped_points', '$[0].pid')"),
	    "[5,1,4242]") == 0);
	CHECK("q-1.5: argv and env_json are strings holding JSON",
	    strcmp(jx(s, "json_type(?1, '$[0].argv') || "
	    "json_type(?1, '$[0].env_json')"), "texttext") == 0 &&
	    strcmp(jx(s, "json_extract(json_extract(?1, '$[0].argv'), "
	    "'$[2]')"), "--x=\"y\"") == 0 &&
	    strcmp(jx(s, "json_extract(json_extract(?1, '$[0].env_json'), "
	    "'$.gpus[0].name')"), "NVIDIA H100") == 0);
	free(s);
	s = qt(db, DB_Q_RUN, b, 0, DB_FMT_JSON, &rc);
	CHECK("q-1.5: no environment is null", rc == 0 && strcmp(jx(s,
	    "json_type(?1, '$[0].env_json') || json_extract(?1, "
	    "'$[0].argv')"), "null[]") == 0);
	free(s);
	s = qt(db, DB_Q_RUN, a, 0, DB_FMT_CSV, &rc);
	CHECK("q-1.5: run csv", rc == 0 && s != NULL &&
	    csv_parse(s, &c) == 0 && c.nrows == 2);
	ci = csv_col(&c, "env_json");
	CHECK("q-1.5: env_json survives CSV quoting", ci >= 0 &&
	    c.nrows == 2 && strcmp(c.f[1][ci], ENV_A) == 0);
	csv_free(&c);
	free(s);

	/* The names of the API. */
	snprintf(expr, sizeof(expr), "%s %s %s %s %s %s %s %s %s %s %s",
	    db_query_name(DB_Q_RUNS), db_query_name(DB_Q_RUN),
	    db_query_name(DB_Q_RESULTS), db_query_name(DB_Q_BASELINE),
	    db_query_name(DB_Q_PHASES), db_query_name(DB_Q_CURVES),
	    db_query_name(DB_Q_COMPARE), db_query_name(DB_Q_COMPARE_ENV),
	    db_query_name(DB_Q_LAUNCHES), db_query_name(DB_Q_SCALER),
	    db_query_name(DB_Q_COMM));
	CHECK("q-1.6: query names", strcmp(expr, "runs run results baseline "
	    "phases curves compare compare_env launch_info scaler comm") == 0);
	CHECK("q-1.6: unknown query has no name",
	    db_query_name(DB_Q_COUNT) == NULL &&
	    db_query_name((enum db_query)-1) == NULL);
	db_close(db);
}

/* --- 2: results ----------------------------------------------------------- */

static void
test_results(void)
{
	static const double	 samples[2] = { 1, 2 };
	struct db		*db = NULL;
	struct db_run_info	 ri;
	struct db_result	 r;
	struct csv		 c;
	const char		*path = P("results.db");
	char			 err[1024], *s;
	int64_t			 id = 0;
	int			 rc, ci;

	if (db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("q-2.0: open", 0);
		return;
	}
	run_info(&ri, "2e500000-0000-4000-8000-000000000001", ENV_A);
	rc = db_run_begin(db, &ri, &id);
	/* Stored out of order: the query sorts by point_idx. */
	result_init(&r, 2, "train.fp32.naive", "naive", 128);
	r.status = "mismatch";
	r.reason = hostile;
	r.median_us = 0.1;
	r.err_y = 1.5e-7;
	r.flops = 1e15;
	r.cv = 1.0 / 3.0;
	rc |= db_result_add(db, id, &r);
	result_init(&r, 0, "train.fp32.naive", "naive", 64);
	r.nsamples = 2;
	r.samples_us = samples;
	r.median_us = 12.5;
	r.nsteps = 0;
	rc |= db_result_add(db, id, &r);
	result_init(&r, 1, "train.fp32.cublas", "cublas", 64);
	rc |= db_result_add(db, id, &r);
	CHECK("q-2.0: data set up", rc == 0);

	s = qt(db, DB_Q_RESULTS, id, 0, DB_FMT_JSON, &rc);
	CHECK("q-2.1: results json", rc == 0 && strcmp(jx(s,
	    "json_valid(?1)"), "1") == 0);
	CHECK("q-2.1: the columns of query.h, in order", strcmp(jx(s,
	    "(SELECT group_concat(key, ',') FROM json_each(?1, '$[0]'))"),
	    RESULTS_COLS) == 0);
	CHECK("q-2.1: by point_idx", strcmp(jx(s, "(SELECT group_concat("
	    "json_extract(value, '$.point_idx'), ',') FROM json_each(?1))"),
	    "0,1,2") == 0);
	CHECK("q-2.2: NaN stored as NULL is null", strcmp(jx(s,
	    "json_type(?1, '$[1].median_us') || json_type(?1, "
	    "'$[2].err_dw')"), "nullnull") == 0);
	CHECK("q-2.2: REAL is a number", strcmp(jx(s,
	    "json_type(?1, '$[2].median_us')"), "real") == 0 &&
	    s != NULL && strstr(s, "\"median_us\":0.1,") != NULL &&
	    strstr(s, "\"err_y\":1.5e-07,") != NULL &&
	    strstr(s, "\"median_us\":12.5,") != NULL);
	CHECK("q-2.2: every bit survives", strcmp(jx(s,
	    "json_extract(?1, '$[2].cv') = 1.0 / 3.0"), "1") == 0 &&
	    s != NULL && strstr(s, "\"cv\":0.3333333333333333,") != NULL);
	CHECK_NEAR("q-2.2: large value", strtod(jx(s,
	    "json_extract(?1, '$[2].flops')"), NULL), 1e15, 0);
	CHECK("q-2.2: hostile reason round-trips", strcmp(jx(s,
	    "json_extract(?1, '$[2].reason')"), hostile) == 0);
	free(s);

	s = qt(db, DB_Q_RESULTS, id, 0, DB_FMT_CSV, &rc);
	CHECK("q-2.3: results csv", rc == 0 && s != NULL &&
	    csv_parse(s, &c) == 0 && c.nrows == 4 && c.crlf);
	CHECK("q-2.3: header is the column list",
	    strcmp(csv_header(&c), RESULTS_COLS) == 0);
	CHECK("q-2.3: every row has the header's width", c.nrows == 4 &&
	    c.ncols[1] == c.ncols[0] && c.ncols[3] == c.ncols[0]);
	ci = csv_col(&c, "median_us");
	CHECK("q-2.3: NULL is empty, numbers shortest", ci >= 0 &&
	    c.nrows == 4 && strcmp(c.f[2][ci], "") == 0 &&
	    strcmp(c.f[3][ci], "0.1") == 0 && strcmp(c.f[1][ci], "12.5") == 0);
	ci = csv_col(&c, "cv");
	CHECK("q-2.3: every bit survives CSV", ci >= 0 && c.nrows == 4 &&
	    strtod(c.f[3][ci], NULL) == 1.0 / 3.0);
	ci = csv_col(&c, "reason");
	CHECK("q-2.3: hostile reason round-trips", ci >= 0 && c.nrows == 4 &&
	    strcmp(c.f[3][ci], hostile) == 0);
	ci = csv_col(&c, "point_idx");
	CHECK("q-2.3: by point_idx", ci >= 0 && c.nrows == 4 &&
	    strcmp(c.f[1][ci], "0") == 0 && strcmp(c.f[3][ci], "2") == 0);
	csv_free(&c);
	free(s);
	db_close(db);
}

/* --- 3: against the library baseline ------------------------------------ */

static void
test_baseline(void)
{
	struct db		*db = NULL;
	struct db_run_info	 ri;
	struct db_result	 r;
	const char		*path = P("baseline.db");
	char			 err[1024], *s;
	int64_t			 id = 0, gid = 0;
	int			 rc;

	if (db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("q-3.0: open", 0);
		return;
	}
	run_info(&ri, "ba5e0000-0000-4000-8000-000000000001", ENV_A);
	rc = db_run_begin(db, &ri, &id);
	/* 64: cublas 30 us, naive 40 us → 75 %; 128: 50 vs 200 → 25 %. */
	rc |= add(db, id, 0, "train.fp32.cublas", "cublas", 64, 30, 0, 0, 0);
	rc |= add(db, id, 1, "train.fp32.naive", "naive", 64, 40, 0, 0, 0);
	rc |= add(db, id, 2, "train.fp32.cublas", "cublas", 128, 50, 0, 0, 0);
	rc |= add(db, id, 3, "train.fp32.naive", "naive", 128, 200, 0, 0, 0);
	/* 256: cuBLASLt (8) wins over cuBLAS (10) as the baseline. */
	rc |= add(db, id, 4, "train.fp32.cublas", "cublas", 256, 10, 0, 0, 0);
	rc |= add(db, id, 5, "train.fp32.naive", "naive", 256, 16, 0, 0, 0);
	rc |= add(db, id, 6, "train.fp32.cublaslt", "cublaslt", 256, 8, 0, 0,
	    0);
	/* No baseline: another precision, and a shape whose cuBLAS point
	 * failed. */
	result_init(&r, 7, "train.tf32.naive", "naive", 64);
	r.precision = "tf32";
	r.median_us = 5;
	rc |= db_result_add(db, id, &r);
	result_init(&r, 8, "train.fp32.cublas", "cublas", 512);
	r.status = "failed";
	r.median_us = 5;
	rc |= db_result_add(db, id, &r);
	rc |= add(db, id, 9, "train.fp32.naive", "naive", 512, 7, 0, 0, 0);
	/* A failed naive point is not compared. */
	result_init(&r, 10, "train.fp32.naive2", "naive", 64);
	r.status = "failed";
	r.median_us = 5;
	rc |= db_result_add(db, id, &r);
	CHECK("q-3.0: data set up", rc == 0);

	s = qt(db, DB_Q_BASELINE, id, 0, DB_FMT_JSON, &rc);
	CHECK("q-3.1: baseline json", rc == 0 && strcmp(jx(s,
	    "json_valid(?1)"), "1") == 0);
	CHECK("q-3.1: columns", strcmp(jx(s, "(SELECT group_concat(key, ',') "
	    "FROM json_each(?1, '$[0]'))"), "point_idx,variant,mode,"
	    "precision,impl,m,n,k,layers,graph,tflops,median_us,"
	    "baseline_variant,baseline_median_us,pct_of_baseline") == 0);
	CHECK("q-3.2: rows only where a baseline exists, by point",
	    strcmp(jx(s, "(SELECT group_concat(json_extract(value, "
	    "'$.point_idx'), ',') FROM json_each(?1))"),
	    "0,1,2,3,4,5,6") == 0);
	CHECK("q-3.2: pct_of_baseline exact", strcmp(jx(s,
	    "(SELECT group_concat(json_extract(value, '$.pct_of_baseline'), "
	    "',') FROM json_each(?1))"), "100,75,100,25,80,50,100") == 0);
	CHECK("q-3.2: cuBLASLt preferred over cuBLAS", strcmp(jx(s,
	    "json_extract(?1, '$[4].baseline_variant', "
	    "'$[4].baseline_median_us', '$[1].baseline_variant')"),
	    "[\"train.fp32.cublaslt\",8,\"train.fp32.cublas\"]") == 0);
	free(s);

	/* GEMM rows: the baseline is cuBLAS at the same layout (another run,
	 * so the step rows above stay as they are). */
	run_info(&ri, "ba5e0000-0000-4000-8000-000000000002", ENV_A);
	rc = db_run_begin(db, &ri, &gid);
	rc |= add_gemm(db, gid, 0, "cublas", "nt", 10);
	rc |= add_gemm(db, gid, 1, "cublas", "tn", 40);
	rc |= add_gemm(db, gid, 2, "warptile", "nt", 20);
	rc |= add_gemm(db, gid, 3, "warptile", "tn", 50);
	rc |= add_gemm(db, gid, 4, "warptile", "nn", 30);
	CHECK("q-3.3: gemm data set up", rc == 0);
	s = qt(db, DB_Q_BASELINE, gid, 0, DB_FMT_JSON, &rc);
	CHECK("q-3.3: gemm rows compare at their own layout", rc == 0 &&
	    strcmp(jx(s, "(SELECT group_concat(json_extract(value, "
	    "'$.point_idx') || ':' || json_extract(value, "
	    "'$.pct_of_baseline'), ',') FROM json_each(?1))"),
	    "0:100,1:100,2:50,3:80") == 0);
	free(s);
	db_close(db);
}

/* A gemm.f32.<impl>.<layout> row at 4096. */
static int
add_gemm(struct db *db, int64_t run, int idx, const char *impl,
    const char *layout, double median)
{
	struct db_result	r;
	char			variant[64];

	snprintf(variant, sizeof(variant), "gemm.f32.%s.%s", impl, layout);
	result_init(&r, idx, variant, impl, 4096);
	r.mode = "gemm";
	r.precision = "f32";
	r.layout = layout;
	r.median_us = median;
	if (db_result_add(db, run, &r) != 0) {
		fprintf(stderr, "  add_gemm: %s\n", db_errmsg(db));
		return (-1);
	}
	return (0);
}

/* --- 4: phases ------------------------------------------------------------ */

static void
test_phases(void)
{
	struct db_phase		 ph[9] = { { "sgd", 5 }, { "zeta", 7 },
	    { "backward.dgrad", 4 }, { "forward", 1 }, { "alpha", 6 },
	    { "loss", 2 }, { "backward.wgrad", NAN }, { "amp.update", 8 },
	    { "amp.unscale", 9 } };
	struct db		*db = NULL;
	struct db_run_info	 ri;
	struct db_result	 r;
	const char		*path = P("phases.db");
	char			 err[1024], *s;
	int64_t			 id = 0;
	int			 rc;

	if (db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("q-4.0: open", 0);
		return;
	}
	run_info(&ri, "0a5e0000-0000-4000-8000-000000000001", ENV_A);
	rc = db_run_begin(db, &ri, &id);
	result_init(&r, 1, "train.fp32.naive", "naive", 64);
	r.nphases = 2;
	r.phases = ph + 2;
	rc |= db_result_add(db, id, &r);
	result_init(&r, 0, "train.fp32.naive", "naive", 32);
	r.nphases = 9;
	r.phases = ph;
	rc |= db_result_add(db, id, &r);
	result_init(&r, 2, "train.fp32.naive", "naive", 16);
	rc |= db_result_add(db, id, &r);
	CHECK("q-4.0: data set up", rc == 0);

	s = qt(db, DB_Q_PHASES, id, 0, DB_FMT_JSON, &rc);
	CHECK("q-4.1: phases json", rc == 0 && strcmp(jx(s,
	    "json_valid(?1)"), "1") == 0);
	CHECK("q-4.1: columns", strcmp(jx(s, "(SELECT group_concat(key, ',') "
	    "FROM json_each(?1, '$[0]'))"), "point_idx,variant,m,n,k,layers,"
	    "graph,phase,median_us") == 0);
	CHECK("q-4.2: by point, then step order, then name", strcmp(jx(s,
	    "(SELECT group_concat(json_extract(value, '$.point_idx') || ':' "
	    "|| json_extract(value, '$.phase'), ',') FROM json_each(?1))"),
	    "0:forward,0:loss,0:backward.wgrad,0:backward.dgrad,"
	    "0:amp.unscale,0:sgd,0:amp.update,0:alpha,0:zeta,1:forward,"
	    "1:backward.dgrad") == 0);
	CHECK("q-4.2: medians and NULL", strcmp(jx(s, "json_extract(?1, "
	    "'$[0].median_us', '$[2].median_us', '$[4].median_us', "
	    "'$[9].m')"), "[1,null,9,64]") == 0);
	free(s);
	db_close(db);
}

/* --- 5: loss curves ------------------------------------------------------- */

static void
test_curves(void)
{
	static const int	 nsteps[4] = { 2000, 3, 1000, 501 };
	struct db		*db = NULL;
	struct db_run_info	 ri;
	struct db_result	 r;
	const char		*path = P("curves.db");
	char			 err[1024], *s, expr[512];
	double			*loss, *lr;
	int64_t			 id = 0;
	int			 rc, i, j, okrows;

	if (db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("q-5.0: open", 0);
		return;
	}
	run_info(&ri, "c0e50000-0000-4000-8000-000000000001", ENV_A);
	rc = db_run_begin(db, &ri, &id);
	loss = calloc(2000, sizeof(*loss));
	lr = calloc(2000, sizeof(*lr));
	for (i = 0; loss != NULL && lr != NULL && i < 2000; i++) {
		loss[i] = 1000.0 / (i + 1);
		lr[i] = i * 0.5;
	}
	for (i = 0; loss != NULL && lr != NULL && i < 4; i++) {
		result_init(&r, i, "train.fp32.naive", "naive", 16 << i);
		r.nsteps = nsteps[i];
		r.loss_curve = loss;
		r.lr_curve = i == 1 ? NULL : lr;
		rc |= db_result_add(db, id, &r);
	}
	result_init(&r, 4, "train.fp32.naive", "naive", 1024);
	rc |= db_result_add(db, id, &r);
	CHECK("q-5.0: data set up", rc == 0 && loss != NULL && lr != NULL);
	free(loss);
	free(lr);

	s = qt(db, DB_Q_CURVES, id, 0, DB_FMT_JSON, &rc);
	CHECK("q-5.1: curves json", rc == 0 && strcmp(jx(s,
	    "json_valid(?1)"), "1") == 0);
	CHECK("q-5.1: columns", strcmp(jx(s, "(SELECT group_concat(key, ',') "
	    "FROM json_each(?1, '$[0]'))"), "point_idx,variant,m,n,k,layers,"
	    "step,loss,lr,ref_loss") == 0);
	/* Per curve: rows, first, last and largest step, and whether the
	 * steps rise. */
	CHECK("q-5.2: 2000 steps become 500 rows ending at the last", strcmp(
	    jx(s, "(SELECT count(*) || ' ' || min(s) || ' ' || max(s) FROM "
	    "(SELECT json_extract(value, '$.step') AS s FROM json_each(?1) "
	    "WHERE json_extract(value, '$.point_idx') = 0))"),
	    "500 0 1999") == 0);
	CHECK("q-5.2: every 4th step, then the last", strcmp(jx(s,
	    "(SELECT group_concat(s, ',') FROM (SELECT json_extract(value, "
	    "'$.step') AS s FROM json_each(?1) WHERE json_extract(value, "
	    "'$.point_idx') = 0 AND (json_extract(value, '$.step') < 9 OR "
	    "json_extract(value, '$.step') > 1990)))"),
	    "0,4,8,1992,1999") == 0);
	CHECK("q-5.2: values belong to their steps", strcmp(jx(s,
	    "json_extract(?1, '$[1].step', '$[1].loss', '$[1].lr', "
	    "'$[499].loss')"), "[4,200,2,0.5]") == 0);
	CHECK("q-5.3: a short curve is whole", strcmp(jx(s,
	    "(SELECT group_concat(json_extract(value, '$.step') || '=' || "
	    "json_extract(value, '$.loss') || '/' || json_type(value, "
	    "'$.lr'), ',') FROM json_each(?1) WHERE json_extract(value, "
	    "'$.point_idx') = 1)"), "0=1000/null,1=500/null,"
	    "2=333.333333333333/null") == 0);
	CHECK("q-5.3: 1000 steps: 500 rows, last kept", strcmp(jx(s,
	    "(SELECT count(*) || ' ' || max(s) FROM (SELECT "
	    "json_extract(value, '$.step') AS s FROM json_each(?1) WHERE "
	    "json_extract(value, '$.point_idx') = 2))"), "500 999") == 0);
	CHECK("q-5.3: 501 steps: stride 2, 251 rows, last kept", strcmp(jx(s,
	    "(SELECT count(*) || ' ' || max(s) || ' ' || sum(s % 2) FROM "
	    "(SELECT json_extract(value, '$.step') AS s FROM json_each(?1) "
	    "WHERE json_extract(value, '$.point_idx') = 3))"), "251 500 0") ==
	    0);
	/* Every curve: no more than 500 rows and rising steps. */
	okrows = 1;
	for (j = 0; j < 4; j++) {
		snprintf(expr, sizeof(expr), "(SELECT count(*) <= 500 AND "
		    "count(*) = count(DISTINCT s) AND max(s) = %d FROM "
		    "(SELECT json_extract(value, '$.step') AS s FROM "
		    "json_each(?1) WHERE json_extract(value, '$.point_idx') "
		    "= %d))", nsteps[j] - 1, j);
		okrows &= strcmp(jx(s, expr), "1") == 0;
	}
	CHECK("q-5.4: every curve within 500 rows, ends at its last step",
	    okrows);
	CHECK("q-5.4: ordered by point, then step", strcmp(jx(s,
	    "(SELECT count(*) FROM (SELECT v, lag(v) OVER (ORDER BY key) "
	    "AS prev FROM (SELECT key, json_extract(value, '$.point_idx') "
	    "* 100000 + json_extract(value, '$.step') AS v FROM "
	    "json_each(?1))) WHERE v <= prev)"), "0") == 0);
	CHECK("q-5.4: a result without a curve has no rows", strcmp(jx(s,
	    "(SELECT count(*) FROM json_each(?1) WHERE json_extract(value, "
	    "'$.point_idx') = 4)"), "0") == 0);
	free(s);
	db_close(db);
}

/* --- 6: comparing two runs ----------------------------------------------- */

static void
test_compare(void)
{
	struct db		*db = NULL;
	struct db_run_info	 ri;
	struct db_result	 r;
	struct csv		 c;
	const char		*path = P("compare.db");
	char			 err[1024], *s;
	int64_t			 a = 0, b = 0;
	int			 rc, ci;

	if (db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("q-6.0: open", 0);
		return;
	}
	run_info(&ri, "c0a00000-0000-4000-8000-00000000000a", ENV_A);
	rc = db_run_begin(db, &ri, &a);
	run_info(&ri, "c0b00000-0000-4000-8000-00000000000b", ENV_B);
	rc |= db_run_begin(db, &ri, &b);
	/* 16 faster: b's p90 (90) < a's p10 (100). */
	rc |= add(db, a, 0, "train.fp32.naive", "naive", 16, 105, 100, 110,
	    0.01);
	rc |= add(db, b, 0, "train.fp32.naive", "naive", 16, 84, 80, 90,
	    0.01);
	/* 32 slower: b's p10 (120) > a's p90 (110). */
	rc |= add(db, a, 1, "train.fp32.naive", "naive", 32, 105, 100, 110,
	    0.01);
	rc |= add(db, b, 1, "train.fp32.naive", "naive", 32, 125, 120, 130,
	    0.01);
	/* 64 same: speedup 100/101, within max(0.01, 2·0.02). */
	rc |= add(db, a, 2, "train.fp32.naive", "naive", 64, 100, 95, 105,
	    0.02);
	rc |= add(db, b, 2, "train.fp32.naive", "naive", 64, 101, 96, 106,
	    0.01);
	/* 128 unclear: ranges overlap but speedup 1.25 with tiny cv. */
	rc |= add(db, a, 3, "train.fp32.naive", "naive", 128, 100, 50, 150,
	    0.001);
	rc |= add(db, b, 3, "train.fp32.naive", "naive", 128, 80, 60, 140,
	    0.001);
	/* 256 unclear: no cv to judge by. */
	rc |= add(db, a, 4, "train.fp32.naive", "naive", 256, 100, 95, 105,
	    NAN);
	rc |= add(db, b, 4, "train.fp32.naive", "naive", 256, 100, 95, 105,
	    0.01);
	/* 512 in a only, 1024 failed in b, 2048 another layer count in b:
	 * none matched. */
	rc |= add(db, a, 5, "train.fp32.naive", "naive", 512, 1, 1, 1, 0);
	rc |= add(db, a, 6, "train.fp32.naive", "naive", 1024, 1, 1, 1, 0);
	result_init(&r, 6, "train.fp32.naive", "naive", 1024);
	r.status = "failed";
	rc |= db_result_add(db, b, &r);
	rc |= add(db, a, 7, "train.fp32.naive", "naive", 2048, 1, 1, 1, 0);
	result_init(&r, 7, "train.fp32.naive", "naive", 2048);
	r.layers = 2;
	rc |= db_result_add(db, b, &r);
	CHECK("q-6.0: data set up", rc == 0);

	s = qt(db, DB_Q_COMPARE, a, b, DB_FMT_JSON, &rc);
	CHECK("q-6.1: compare json", rc == 0 && strcmp(jx(s,
	    "json_valid(?1)"), "1") == 0);
	CHECK("q-6.1: columns", strcmp(jx(s, "(SELECT group_concat(key, ',') "
	    "FROM json_each(?1, '$[0]'))"), "variant,m,n,k,layers,world,"
	    "graph,a_point,b_point,a_fingerprint,b_fingerprint,"
	    "a_median_us,b_median_us,a_p10_us,a_p90_us,b_p10_us,"
	    "b_p90_us,a_cv,b_cv,speedup,verdict") == 0);
	CHECK("q-6.2: the verdicts, by a's point", strcmp(jx(s,
	    "(SELECT group_concat(json_extract(value, '$.m') || ':' || "
	    "json_extract(value, '$.verdict'), ',') FROM json_each(?1))"),
	    "16:faster,32:slower,64:same,128:unclear,256:unclear") == 0);
	CHECK_NEAR("q-6.2: speedup = a / b", strtod(jx(s,
	    "json_extract(?1, '$[0].speedup')"), NULL), 105.0 / 84.0, 0);
	CHECK("q-6.2: both sides' figures", strcmp(jx(s, "json_extract(?1, "
	    "'$[3].a_median_us', '$[3].b_median_us', '$[3].a_p10_us', "
	    "'$[3].a_p90_us', '$[3].b_p10_us', '$[3].b_p90_us', '$[3].a_cv', "
	    "'$[3].b_cv', '$[3].speedup', '$[4].a_cv')"),
	    "[100,80,50,150,60,140,0.001,0.001,1.25,null]") == 0);
	free(s);

	/* The other way round: faster and slower swap. */
	s = qt(db, DB_Q_COMPARE, b, a, DB_FMT_CSV, &rc);
	CHECK("q-6.3: compare csv", rc == 0 && s != NULL &&
	    csv_parse(s, &c) == 0 && c.nrows == 6);
	ci = csv_col(&c, "verdict");
	CHECK("q-6.3: reversed verdicts", ci >= 0 && c.nrows == 6 &&
	    strcmp(c.f[1][ci], "slower") == 0 &&
	    strcmp(c.f[2][ci], "faster") == 0 &&
	    strcmp(c.f[3][ci], "same") == 0);
	ci = csv_col(&c, "b_cv");
	CHECK("q-6.3: NULL cv is an empty field", ci >= 0 && c.nrows == 6 &&
	    strcmp(c.f[5][ci], "") == 0);
	csv_free(&c);
	free(s);

	/* A run against itself: the same, but for the point without
	 * figures (b's 2048 at 2 layers). */
	s = qt(db, DB_Q_COMPARE, b, b, DB_FMT_JSON, &rc);
	CHECK("q-6.4: a run against itself", rc == 0 && strcmp(jx(s,
	    "(SELECT group_concat(json_extract(value, '$.verdict'), ',') "
	    "FROM json_each(?1))"), "same,same,same,same,same,unclear") == 0);
	free(s);
	db_close(db);
}

/* --- 7: comparing two runs' environments ------------------------------- */

static void
test_compare_env(void)
{
	struct db		*db = NULL;
	struct db_run_info	 ri;
	struct csv		 c;
	const char		*path = P("env.db");
	char			 err[1024], *s;
	int64_t			 a = 0, a2 = 0, b = 0, d = 0, n = 0;
	int			 rc;

	if (db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("q-7.0: open", 0);
		return;
	}
	run_info(&ri, "e0a00000-0000-4000-8000-000000000001", ENV_A);
	rc = db_run_begin(db, &ri, &a);
	run_info(&ri, "e0a00000-0000-4000-8000-000000000002", ENV_A);
	rc |= db_run_begin(db, &ri, &a2);
	run_info(&ri, "e0b00000-0000-4000-8000-000000000003", ENV_B);
	rc |= db_run_begin(db, &ri, &b);
	run_info(&ri, "e0d00000-0000-4000-8000-000000000004", ENV_D);
	rc |= db_run_begin(db, &ri, &d);
	run_info(&ri, "e0e00000-0000-4000-8000-000000000005", NULL);
	rc |= db_run_begin(db, &ri, &n);
	CHECK("q-7.0: data set up", rc == 0);

	s = qt(db, DB_Q_COMPARE_ENV, a, a2, DB_FMT_JSON, &rc);
	CHECK("q-7.1: identical environments: no rows", rc == 0 && s != NULL &&
	    strcmp(s, "[]\n") == 0);
	free(s);
	s = qt(db, DB_Q_COMPARE_ENV, a, b, DB_FMT_JSON, &rc);
	CHECK("q-7.2: one differing library", rc == 0 && strcmp(jx(s,
	    "json_array_length(?1)"), "1") == 0);
	CHECK("q-7.2: key, a_value, b_value", strcmp(jx(s,
	    "(SELECT group_concat(key, ',') FROM json_each(?1, '$[0]')) || "
	    "' ' || json_extract(?1, '$[0].key') || ' ' || "
	    "json_extract(?1, '$[0].a_value') || ' ' || "
	    "json_extract(?1, '$[0].b_value') || ' ' || "
	    "json_type(?1, '$[0].a_value')"),
	    "key,a_value,b_value cublas_version 130100 130200 integer") == 0);
	free(s);
	s = qt(db, DB_Q_COMPARE_ENV, a, d, DB_FMT_JSON, &rc);
	CHECK("q-7.3: missing keys differ from values, in key order",
	    rc == 0 && strcmp(jx(s, "(SELECT group_concat(json_extract(value, "
	    "'$.key') || '=' || json_extract(value, '$.a_value') || '/' || "
	    "json_type(value, '$.b_value'), ',') FROM json_each(?1))"),
	    "gpus[0].name=NVIDIA H100/null,gpus[0].cc=9.0/null,"
	    "nccl_version=22000/null") == 0);
	free(s);
	s = qt(db, DB_Q_COMPARE_ENV, n, n, DB_FMT_JSON, &rc);
	CHECK("q-7.4: both without environment: the same", rc == 0 &&
	    s != NULL && strcmp(s, "[]\n") == 0);
	free(s);
	s = qt(db, DB_Q_COMPARE_ENV, n, a, DB_FMT_CSV, &rc);
	CHECK("q-7.4: none against one: every key", rc == 0 && s != NULL &&
	    csv_parse(s, &c) == 0 && c.nrows == 12 &&
	    strcmp(csv_header(&c), "key,a_value,b_value") == 0 &&
	    strcmp(c.f[1][0], "host") == 0 && strcmp(c.f[1][1], "") == 0 &&
	    strcmp(c.f[1][2], "h1") == 0 &&
	    strcmp(c.f[11][0], "cpu") == 0);
	csv_free(&c);
	free(s);
	db_close(db);
}

/* --- 8: unknown runs and misuse ------------------------------------------- */

static void
test_errors(void)
{
	struct db		*db = NULL;
	struct db_run_info	 ri;
	const char		*path = P("errors.db");
	char			 err[1024], *s, *out;
	int64_t			 id = 0, args[2];
	size_t			 len;
	int			 rc, q, nf;

	if (db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("q-8.0: open", 0);
		return;
	}
	run_info(&ri, "e1100000-0000-4000-8000-000000000001", ENV_A);
	CHECK("q-8.0: run", db_run_begin(db, &ri, &id) == 0);

	nf = 1;
	for (q = DB_Q_RUN; q <= DB_Q_CURVES; q++) {
		s = qt(db, (enum db_query)q, 999, 0, DB_FMT_JSON, &rc);
		nf &= rc == DB_NOTFOUND && s == NULL &&
		    strstr(db_errmsg(db), "no run 999") != NULL;
		free(s);
	}
	for (q = DB_Q_LAUNCHES; q <= DB_Q_COMM; q++) {
		s = qt(db, (enum db_query)q, 999, 0, DB_FMT_CSV, &rc);
		nf &= rc == DB_NOTFOUND && s == NULL &&
		    strstr(db_errmsg(db), "no run 999") != NULL;
		free(s);
	}
	CHECK("q-8.1: an unknown run id is DB_NOTFOUND, 'no run N'", nf);
	nf = 1;
	for (q = DB_Q_COMPARE; q <= DB_Q_COMPARE_ENV; q++) {
		s = qt(db, (enum db_query)q, id, 998, DB_FMT_CSV, &rc);
		nf &= rc == DB_NOTFOUND && s == NULL &&
		    strstr(db_errmsg(db), "no run 998") != NULL;
		free(s);
		s = qt(db, (enum db_query)q, 997, id, DB_FMT_CSV, &rc);
		nf &= rc == DB_NOTFOUND && s == NULL &&
		    strstr(db_errmsg(db), "no run 997") != NULL;
		free(s);
	}
	CHECK("q-8.1: compare needs both runs", nf);

	/* An existing run with nothing measured: empty tables. */
	s = qt(db, DB_Q_RESULTS, id, 0, DB_FMT_JSON, &rc);
	CHECK("q-8.2: no rows is []", rc == 0 && s != NULL &&
	    strcmp(s, "[]\n") == 0);
	free(s);
	s = qt(db, DB_Q_CURVES, id, 0, DB_FMT_CSV, &rc);
	CHECK("q-8.2: no rows is the header alone", rc == 0 && s != NULL &&
	    strcmp(s, "point_idx,variant,m,n,k,layers,step,loss,lr,ref_loss"
	    "\r\n") == 0);
	free(s);
	s = qt(db, DB_Q_SCALER, id, 0, DB_FMT_JSON, &rc);
	CHECK("q-8.2: no trajectory is []", rc == 0 && s != NULL &&
	    strcmp(s, "[]\n") == 0);
	free(s);
	s = qt(db, DB_Q_SCALER, id, 0, DB_FMT_CSV, &rc);
	CHECK("q-8.2: no trajectory is the header alone", rc == 0 &&
	    s != NULL && strcmp(s, "point_idx,variant,m,n,k,layers,graph,"
	    "step,scale,skipped,growth_tracker\r\n") == 0);
	free(s);
	s = qt(db, DB_Q_COMM, id, 0, DB_FMT_JSON, &rc);
	CHECK("q-8.2: no all-reduces is []", rc == 0 && s != NULL &&
	    strcmp(s, "[]\n") == 0);
	free(s);
	s = qt(db, DB_Q_COMM, id, 0, DB_FMT_CSV, &rc);
	CHECK("q-8.2: no all-reduces is the header alone", rc == 0 &&
	    s != NULL && strcmp(s, COMM_COLS "\r\n") == 0);
	free(s);

	args[0] = id;
	args[1] = id;
	out = (char *)&out;
	len = 7;
	rc = db_query_table(db, DB_Q_RUN, args, 2, DB_FMT_JSON, &out, &len);
	CHECK("q-8.3: wrong number of ids refused", rc == -1 && out == NULL &&
	    len == 0 && strstr(db_errmsg(db), "bug") != NULL);
	rc = db_query_table(db, DB_Q_RUN, NULL, 1, DB_FMT_JSON, &out, &len);
	CHECK("q-8.3: NULL args refused", rc == -1 && out == NULL);
	rc = db_query_table(db, DB_Q_COUNT, NULL, 0, DB_FMT_JSON, &out, &len);
	CHECK("q-8.3: unknown query refused", rc == -1 && out == NULL);
	rc = db_query_table(db, DB_Q_RUNS, NULL, 0, (enum db_fmt)7, &out,
	    &len);
	CHECK("q-8.3: unknown format refused", rc == -1 && out == NULL);
	rc = db_query_table(db, DB_Q_RUNS, NULL, 0, DB_FMT_JSON, &out, NULL);
	CHECK("q-8.3: len may be NULL", rc == 0 && out != NULL);
	free(out);
	db_close(db);
}

/* --- 9: a reader while another connection writes ------------------------ */

static void
test_readonly(void)
{
	struct db		*w = NULL, *ro = NULL;
	struct db_run_info	 ri;
	const char		*path = P("ro.db");
	char			 err[1024], *s;
	sqlite3			*h = NULL;
	int64_t			 id = 0;
	int			 rc, q, all;

	if (db_open(&w, path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("q-9.0: open", 0);
		return;
	}
	run_info(&ri, "0e000000-0000-4000-8000-000000000001", ENV_A);
	rc = db_run_begin(w, &ri, &id);
	rc |= add(w, id, 0, "train.fp32.cublas", "cublas", 64, 30, 29, 31,
	    0.01);
	CHECK("q-9.0: data set up", rc == 0);
	rc = db_open(&ro, path, DB_OPEN_READONLY, err, sizeof(err));
	CHECK("q-9.1: READONLY opens", rc == 0);
	if (rc != 0) {
		db_close(w);
		return;
	}
	/* Another connection holds a write transaction with a new point. */
	rc = sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE, NULL);
	rc |= sqlite3_exec(h, "BEGIN IMMEDIATE; INSERT INTO result (run_id, "
	    "point_idx, status, nsamples, nsteps, started_at, ended_at) "
	    "SELECT id, 1, 'ok', 0, 0, 'x', 'x' FROM run", NULL, NULL, NULL);
	CHECK("q-9.2: writer holds its transaction", rc == SQLITE_OK);
	all = 1;
	for (q = 0; q < DB_Q_COUNT; q++) {
		/* The point queries take point 0 of the run. */
		s = qt(ro, (enum db_query)q, id, q == DB_Q_POINT ||
		    q == DB_Q_KERNELS || q == DB_Q_PROFILE ? 0 : id,
		    q % 2 ? DB_FMT_CSV : DB_FMT_JSON, &rc);
		if (rc != 0)
			fprintf(stderr, "  %s: %s\n",
			    db_query_name((enum db_query)q), db_errmsg(ro));
		all &= rc == 0 && s != NULL;
		free(s);
	}
	CHECK("q-9.2: every query works on the reader meanwhile", all);
	s = qt(ro, DB_Q_RESULTS, id, 0, DB_FMT_JSON, &rc);
	CHECK("q-9.2: the reader sees the committed point only", rc == 0 &&
	    strcmp(jx(s, "json_array_length(?1)"), "1") == 0);
	free(s);
	rc = sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
	s = qt(ro, DB_Q_RESULTS, id, 0, DB_FMT_JSON, &rc);
	CHECK("q-9.3: and the new one once committed", rc == 0 &&
	    strcmp(jx(s, "json_array_length(?1)"), "2") == 0);
	free(s);
	CHECK("q-9.3: the writer still writes", db_run_end(w, id, "ok") == 0);
	sqlite3_close(h);
	db_close(ro);
	db_close(w);
}

/* --- 10: row limits, on real rows ----------------------------------------- */

static void
test_limits(void)
{
	struct db		*db = NULL;
	struct db_run_info	 ri;
	const char		*path = P("limits.db");
	char			 err[1024], *s, sql[4096], want[64];
	int64_t			 a = 0, b = 0;
	int			 rc;

	if (db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("q-10.0: open", 0);
		return;
	}
	run_info(&ri, "11110000-0000-4000-8000-00000000000a", ENV_A);
	rc = db_run_begin(db, &ri, &a);
	run_info(&ri, "11110000-0000-4000-8000-00000000000b", ENV_A);
	rc |= db_run_begin(db, &ri, &b);
	CHECK("q-10.0: runs", rc == 0);
	/* One more result than the limit in each run (cuBLAS, so each is
	 * its own baseline), 10 phases each (every phase a step can have),
	 * and 101 curves of 500 steps. */
	snprintf(sql, sizeof(sql), "BEGIN; "
	    "WITH RECURSIVE i(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM i "
	    "WHERE x < %d) INSERT INTO result (run_id, point_idx, variant, "
	    "mode, precision, impl, m, n, k, layers, world, graph, "
	    "input_grad, status, nsamples, median_us, p10_us, p90_us, cv, "
	    "nsteps, started_at, ended_at) SELECT r.id, x, "
	    "'train.fp32.cublas', "
	    "'train', 'fp32', 'cublas', x + 1, 8, 8, 1, 1, 0, 0, 'ok', 0, 10, "
	    "9, 11, 0.01, CASE WHEN x <= 100 THEN 500 ELSE 0 END, 'x', 'x' "
	    "FROM i, run AS r; "
	    "INSERT INTO phase (result_id, name, median_us) SELECT result.id, "
	    "p.name, 1 FROM result, (SELECT 'forward' AS name UNION ALL "
	    "SELECT 'loss' UNION ALL SELECT 'backward.wgrad' UNION ALL "
	    "SELECT 'backward.dgrad' UNION ALL SELECT 'amp.unscale' "
	    "UNION ALL SELECT 'sgd' UNION ALL SELECT 'amp.update' "
	    "UNION ALL SELECT 'int8.scale' UNION ALL SELECT 'int8.quant' "
	    "UNION ALL SELECT 'int8.dequant') AS p "
	    "WHERE result.run_id = %lld; "
	    "WITH RECURSIVE st(s) AS (SELECT 0 UNION ALL SELECT s + 1 FROM st "
	    "WHERE s < 499), r AS MATERIALIZED (SELECT id FROM result "
	    "WHERE nsteps = 500 AND run_id = %lld) INSERT INTO loss_curve "
	    "(result_id, step, loss, lr) SELECT r.id, s, 1, 0.1 FROM r, st; "
	    "INSERT INTO scaler (result_id, step, scale, skipped) "
	    "SELECT result_id, step, 1024, 0 FROM loss_curve; "
	    "COMMIT",
	    DB_Q_RESULTS_LIMIT, (long long)a, (long long)a);
	CHECK("q-10.0: rows inserted", raw_exec(path, sql) == SQLITE_OK);
	snprintf(sql, sizeof(sql), "SELECT (SELECT count(*) FROM result "
	    "WHERE run_id = %lld) = %d AND (SELECT count(*) FROM phase) = "
	    "10 * %d AND (SELECT count(*) FROM loss_curve) = 101 * 500 AND "
	    "(SELECT count(*) FROM scaler) = 101 * 500",
	    (long long)a, DB_Q_RESULTS_LIMIT + 1, DB_Q_RESULTS_LIMIT + 1);
	CHECK("q-10.0: more rows than every limit", raw_int(path, sql) == 1 &&
	    101 * 500 > DB_Q_CURVES_LIMIT &&
	    101 * 500 > DB_Q_SCALER_LIMIT &&
	    10 * (DB_Q_RESULTS_LIMIT + 1) > DB_Q_PHASES_LIMIT);

	snprintf(want, sizeof(want), "%d 0 %d", DB_Q_RESULTS_LIMIT,
	    DB_Q_RESULTS_LIMIT - 1);
	s = qt(db, DB_Q_RESULTS, a, 0, DB_FMT_JSON, &rc);
	CHECK("q-10.1: results stop at the limit, lowest points first",
	    rc == 0 && strcmp(jx(s, "json_array_length(?1) || ' ' || "
	    "json_extract(?1, '$[0].point_idx') || ' ' || "
	    "json_extract(?1, '$[#-1].point_idx')"), want) == 0);
	free(s);
	s = qt(db, DB_Q_BASELINE, a, 0, DB_FMT_JSON, &rc);
	CHECK("q-10.2: baseline stops at the limit", rc == 0 &&
	    atoi(jx(s, "json_array_length(?1)")) == DB_Q_RESULTS_LIMIT);
	free(s);
	s = qt(db, DB_Q_COMPARE, a, b, DB_FMT_JSON, &rc);
	CHECK("q-10.3: compare stops at the limit", rc == 0 &&
	    atoi(jx(s, "json_array_length(?1)")) == DB_Q_RESULTS_LIMIT);
	free(s);
	s = qt(db, DB_Q_PHASES, a, 0, DB_FMT_CSV, &rc);
	CHECK("q-10.4: phases stop at the limit (+ header)", rc == 0 &&
	    s != NULL && atoi(jx(s, "length(?1) - length(replace(?1, "
	    "char(10), ''))")) == DB_Q_PHASES_LIMIT + 1);
	free(s);
	s = qt(db, DB_Q_SCALER, a, 0, DB_FMT_CSV, &rc);
	CHECK("q-10.6: scaler stops at the limit (+ header)", rc == 0 &&
	    s != NULL && atoi(jx(s, "length(?1) - length(replace(?1, "
	    "char(10), ''))")) == DB_Q_SCALER_LIMIT + 1);
	free(s);
	s = qt(db, DB_Q_CURVES, a, 0, DB_FMT_JSON, &rc);
	snprintf(want, sizeof(want), "%d 99 499", DB_Q_CURVES_LIMIT);
	CHECK("q-10.5: curves stop at the limit", rc == 0 && strcmp(jx(s,
	    "json_array_length(?1) || ' ' || "
	    "json_extract(?1, '$[#-1].point_idx') || ' ' || "
	    "json_extract(?1, '$[#-1].step')"), want) == 0);
	free(s);
	db_close(db);
}

/* --- 11: importing another database --------------------------------------- */

static void
test_import(void)
{
	static const double	 samples[3] = { 3, 1, 2 };
	static const double	 loss[4] = { 4, 3, 2, 1 };
	static const double	 ref[4] = { 4.5, 3, NAN, 1.25 };
	static const double	 scale[4] = { 1024, 512, 512, 512 };
	static const int	 skipped[4] = { 1, 0, 0, 0 };
	static const int	 growth[4] = { 0, 1, 2, 3 };
	struct db_phase		 ph[2] = { { "forward", 1.5 },
	    { "loss", 0.25 } };
	struct db_launch	 li[2];
	struct db		*src = NULL, *dst = NULL, *ro = NULL;
	struct db_run_info	 ri;
	struct db_result	 r;
	struct blob		 b1, b2, b3, b4;
	char			 sp[PATH_MAX], dp[PATH_MAX];
	char			 err[1024], *e1, *e2, *n1, *n2;
	char			 path[PATH_MAX + 8], dwal[PATH_MAX + 8];
	int64_t			 s1 = 0, s2 = 0, s3 = 0, d1 = 0, d4 = 0, id;
	int			 rc, imp = -1, skip = -1, i;
	FILE			*f;

	/* P()'s buffers rotate: these two live through the whole test. */
	snprintf(sp, sizeof(sp), "%s", P("src.db"));
	snprintf(dp, sizeof(dp), "%s", P("dst.db"));
	if (db_open(&src, sp, DB_OPEN_WRITE, err, sizeof(err)) != 0 ||
	    db_open(&dst, dp, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("q-11.0: open", 0);
		db_close(src);
		return;
	}
	launch_init(&li[0], "forward", 0, 8);
	launch_init(&li[1], "backward.wgrad", 0, 8);
	li[1].regs = -1;
	/* src: U1 (also in dst), U2 with everything, U3 still running and
	 * without environment.  dst: its own U1 and U4. */
	run_info(&ri, "1a000000-0000-4000-8000-000000000001", ENV_A);
	ri.label = "src copy";
	rc = db_run_begin(src, &ri, &s1);
	rc |= add(src, s1, 0, "train.fp32.naive", "naive", 8, 1, 1, 1, 0);
	run_info(&ri, "1a000000-0000-4000-8000-000000000002", ENV_B);
	ri.label = hostile;
	ri.note = "n";
	rc |= db_run_begin(src, &ri, &s2);
	for (i = 0; i < 3; i++) {
		result_init(&r, 2 - i, "train.fp32.naive", "naive", 8 << i);
		r.median_us = 10 + i;
		r.err_y = 1.5e-7;
		r.nsamples = 3;
		r.samples_us = samples;
		r.nphases = 2;
		r.phases = ph;
		r.nsteps = i == 1 ? 0 : 4;
		r.loss_curve = loss;
		r.started_at = "2024-02-03T04:05:06.789Z";
		r.launches = 7 + i;
		r.graph_nodes = i == 2 ? 0 : 6;
		r.nlaunch_info = i == 1 ? 0 : 2;
		r.launch_info = li;
		/* Point 0 has a trajectory and an fp32 curve. */
		if (i == 2) {
			r.ref_loss_curve = ref;
			r.loss_divergence = 0.125;
			r.scale_curve = scale;
			r.skipped_curve = skipped;
			r.growth_curve = growth;
		}
		rc |= db_result_add(src, s2, &r);
	}
	rc |= db_run_end(src, s2, "failed");
	run_info(&ri, "1a000000-0000-4000-8000-000000000003", NULL);
	rc |= db_run_begin(src, &ri, &s3);
	rc |= add(src, s3, 0, "train.fp32.naive", "naive", 8, 1, 1, 1, 0);
	run_info(&ri, "1a000000-0000-4000-8000-000000000001", ENV_A);
	ri.label = "dst copy";
	rc |= db_run_begin(dst, &ri, &d1);
	run_info(&ri, "1a000000-0000-4000-8000-000000000004", ENV_D);
	rc |= db_run_begin(dst, &ri, &d4);
	rc |= add(dst, d4, 0, "train.fp32.naive", "naive", 8, 1, 1, 1, 0);
	CHECK("q-11.0: data set up", rc == 0);

	/* Refusals first: both files must stay as they are. */
	snprintf(path, sizeof(path), "%s", P("foreign.db"));
	raw_exec(path, "CREATE TABLE contacts (name TEXT); "
	    "INSERT INTO contacts VALUES ('x')");
	snprintf(dwal, sizeof(dwal), "%s-wal", dp);
	b1 = slurp(dp);
	b2 = slurp(dwal);
	b3 = slurp(path);
	rc = db_import(dst, path, &imp, &skip);
	CHECK("q-11.1: a foreign database is refused", rc == DB_BADSOURCE &&
	    strstr(db_errmsg(dst), "not a stepbench database") != NULL &&
	    strstr(db_errmsg(dst), path) != NULL && imp == 0 && skip == 0);
	CHECK("q-11.1: the foreign file is unchanged", same(path, b3));
	snprintf(path, sizeof(path), "%s", P("future.db"));
	raw_exec(path, "PRAGMA application_id = 1398030928; "
	    "PRAGMA user_version = 99; CREATE TABLE run (x INTEGER)");
	b3 = slurp(path);
	rc = db_import(dst, path, &imp, &skip);
	CHECK("q-11.2: a newer schema is refused", rc == DB_BADSOURCE &&
	    strstr(db_errmsg(dst), "v99") != NULL &&
	    strstr(db_errmsg(dst), "newer") != NULL);
	CHECK("q-11.2: the newer file is unchanged", same(path, b3));
	snprintf(path, sizeof(path), "%s", P("notes.txt"));
	f = fopen(path, "w");
	if (f != NULL) {
		for (i = 0; i < 300; i++)
			fprintf(f, "line %d, not a database\n", i);
		fclose(f);
	}
	b3 = slurp(path);
	rc = db_import(dst, path, &imp, &skip);
	CHECK("q-11.3: a text file is refused", rc == DB_BADSOURCE &&
	    strstr(db_errmsg(dst), "not a SQLite database") != NULL);
	CHECK("q-11.3: the text file is unchanged", same(path, b3));
	rc = db_import(dst, P("absent.db"), &imp, &skip);
	CHECK("q-11.4: a missing file is refused", rc == DB_BADSOURCE &&
	    strstr(db_errmsg(dst), "absent.db") != NULL);
	b4 = slurp(P("absent.db"));
	CHECK("q-11.4: and not created", b4.ok == 2);
	free(b4.data);
	rc = db_import(dst, dp, &imp, &skip);
	CHECK("q-11.5: importing into itself is refused",
	    rc == DB_BADSOURCE && strstr(db_errmsg(dst),
	    "cannot import a database into itself") != NULL);
	snprintf(path, sizeof(path), "%s", P("link.db"));
	CHECK("q-11.5: a symlink", symlink(dp, path) == 0);
	rc = db_import(dst, path, &imp, &skip);
	CHECK("q-11.5: itself under another name is refused",
	    rc == DB_BADSOURCE && strstr(db_errmsg(dst), "itself") != NULL);
	snprintf(path, sizeof(path), "%s", P("hard.db"));
	CHECK("q-11.5: a hard link", link(dp, path) == 0);
	rc = db_import(dst, path, &imp, &skip);
	CHECK("q-11.5: itself through a hard link is refused",
	    rc == DB_BADSOURCE && strstr(db_errmsg(dst), "itself") != NULL);
	unlink(path);
	CHECK("q-11.6: the target is unchanged by every refusal",
	    same(dp, b1) && same(dwal, b2));

	/* A read-only target cannot import; nothing lands. */
	if (db_open(&ro, dp, DB_OPEN_READONLY, err, sizeof(err)) == 0) {
		rc = db_import(ro, sp, &imp, &skip);
		CHECK("q-11.7: a read-only target fails", rc == -1 &&
		    imp == 0);
		db_close(ro);
	}
	CHECK("q-11.7: nothing imported", raw_int(dp,
	    "SELECT count(*) FROM run") == 2);

	/* The import. */
	b3 = slurp(sp);
	snprintf(path, sizeof(path), "%s-wal", sp);
	b4 = slurp(path);
	rc = db_import(dst, sp, &imp, &skip);
	if (rc != 0)
		fprintf(stderr, "  %s\n", db_errmsg(dst));
	CHECK("q-11.8: import", rc == 0 && imp == 2 && skip == 1);
	CHECK("q-11.8: the source is unchanged", same(sp, b3) &&
	    same(path, b4));
	CHECK("q-11.8: four runs, one per uuid", raw_int(dp,
	    "SELECT count(*) = 4 AND count(DISTINCT uuid) = 4 FROM run") == 1);
	CHECK("q-11.8: the run already present is left alone", raw_int(dp,
	    "SELECT count(*) FROM run WHERE uuid LIKE '%0001' AND "
	    "label = 'dst copy' AND id = 1") == 1 && raw_int(dp,
	    "SELECT count(*) FROM result WHERE run_id = 1") == 0);
	CHECK("q-11.8: environments deduplicated by hash", raw_int(dp,
	    "SELECT count(*) FROM environment") == 3 && raw_int(dp,
	    "SELECT count(*) FROM run AS r JOIN environment AS e ON "
	    "e.id = r.env_id WHERE r.uuid LIKE '%0002' AND "
	    "json_extract(e.json, '$.cublas_version') = 130200") == 1);
	CHECK("q-11.8: no environment stays none", raw_int(dp,
	    "SELECT count(*) FROM run WHERE uuid LIKE '%0003' AND "
	    "env_id IS NULL AND status = 'running' AND ended_at IS NULL") ==
	    1);
	CHECK("q-11.8: children remapped to the new results", raw_int(dp,
	    "SELECT (SELECT count(*) FROM sample AS s JOIN result AS r ON "
	    "r.id = s.result_id JOIN run ON run.id = r.run_id WHERE "
	    "run.uuid LIKE '%0002') = 9 AND (SELECT count(*) FROM phase AS p "
	    "JOIN result AS r ON r.id = p.result_id JOIN run ON "
	    "run.id = r.run_id WHERE run.uuid LIKE '%0002') = 6 AND "
	    "(SELECT count(*) FROM loss_curve AS c JOIN result AS r ON "
	    "r.id = c.result_id JOIN run ON run.id = r.run_id WHERE "
	    "run.uuid LIKE '%0002') = 8 AND (SELECT count(*) FROM "
	    "launch_info AS l JOIN result AS r ON r.id = l.result_id JOIN "
	    "run ON run.id = r.run_id WHERE run.uuid LIKE '%0002') = 4") ==
	    1);
	CHECK("q-11.8: launch counts and facts copied", raw_int(dp,
	    "SELECT sum(r.launches) || ',' || count(r.graph_nodes) || ',' || "
	    "(SELECT count(*) FROM launch_info AS l JOIN result AS r2 ON "
	    "r2.id = l.result_id JOIN run AS u ON u.id = r2.run_id WHERE "
	    "u.uuid LIKE '%0002' AND l.regs IS NULL AND l.waves = 0.5) "
	    "= '24,2,2' FROM result AS r JOIN run ON run.id = r.run_id "
	    "WHERE run.uuid LIKE '%0002'") == 1);
	CHECK("q-11.8: the trajectory and the fp32 curve copied", raw_int(dp,
	    "SELECT (SELECT group_concat(s.step || ':' || s.scale || ':' || "
	    "s.skipped || ':' || s.growth_tracker, ',') FROM scaler AS s "
	    "JOIN result AS r ON r.id = s.result_id JOIN run ON "
	    "run.id = r.run_id WHERE run.uuid LIKE '%0002' AND "
	    "r.point_idx = 0) = '0:1024.0:1:0,1:512.0:0:1,2:512.0:0:2,"
	    "3:512.0:0:3' AND (SELECT count(*) FROM loss_curve AS c JOIN "
	    "result AS r ON r.id = c.result_id JOIN run ON "
	    "run.id = r.run_id WHERE run.uuid LIKE '%0002' AND "
	    "c.ref_loss IS NOT NULL) = 3 AND (SELECT count(*) FROM result "
	    "AS r JOIN run ON run.id = r.run_id WHERE run.uuid LIKE '%0002' "
	    "AND r.loss_divergence = 0.125) = 1") == 1);
	CHECK("q-11.8: foreign keys hold", raw_int(dp,
	    "SELECT count(*) FROM pragma_foreign_key_check") == 0);

	/* The imported run exports exactly as the original, ids aside. */
	id = raw_int(dp, "SELECT id FROM run WHERE uuid LIKE '%0002'");
	e1 = export_json(src, s2);
	e2 = export_json(dst, id);
	n1 = jnorm(e1);
	n2 = jnorm(e2);
	CHECK("q-11.9: the export of the imported run matches",
	    n1 != NULL && n2 != NULL && strcmp(n1, n2) == 0);
	CHECK("q-11.9: and is not trivially so", n1 != NULL &&
	    strcmp(jx(n1, "json_array_length(?1, '$.results') || ' ' || "
	    "json_array_length(?1, '$.results[0].loss_curve') || ' ' || "
	    "json_extract(?1, '$.results[2].samples') || ' ' || "
	    "json_extract(?1, '$.run.status') || ' ' || "
	    "json_array_length(?1, '$.results[0].scaler') || ' ' || "
	    "json_extract(?1, '$.results[0].loss_curve[0].ref_loss') || ' ' || "
	    "json_extract(?1, '$.results[0].loss_divergence')"),
	    "3 4 [3.0,1.0,2.0] failed 4 4.5 0.125") == 0 &&
	    strcmp(jx(n1, "json_extract(?1, '$.run.label')"), hostile) == 0);
	CHECK("q-11.9: the ids did change", e1 != NULL && e2 != NULL &&
	    strcmp(e1, e2) != 0);
	free(e1);
	free(e2);
	free(n1);
	free(n2);

	/* Again: nothing new. */
	rc = db_import(dst, sp, &imp, &skip);
	CHECK("q-11.10: a second import imports nothing", rc == 0 &&
	    imp == 0 && skip == 3);
	CHECK("q-11.10: still four runs", raw_int(dp,
	    "SELECT count(*) FROM run") == 4 && raw_int(dp,
	    "SELECT count(*) FROM result") == 5);
	CHECK("q-11.10: counts may be NULL", db_import(dst, sp, NULL, NULL) ==
	    0);
	/* And the other way round: dst's U4 goes to src, U1 is skipped. */
	rc = db_import(src, dp, &imp, &skip);
	CHECK("q-11.11: importing back", rc == 0 && imp == 1 && skip == 3);
	db_close(src);
	db_close(dst);
}

/* --- 12: launch facts ----------------------------------------------------- */

#define LAUNCH_COLS	"point_idx,variant,idx,role,layer,layout,m,n,k," \
	"name,grid_x,grid_y,grid_z,ctas,block_x,block_y,block_z,threads," \
	"dyn_smem,regs,static_smem,local_bytes,max_threads,ptx_version," \
	"binary_version,ctas_per_sm,sms,waves,tail_util,efficiency"

static void
launch_init(struct db_launch *l, const char *role, int layer, int64_t size)
{
	memset(l, 0, sizeof(*l));
	l->role = role;
	l->layer = layer;
	l->layout = "nt";
	l->m = l->n = l->k = size;
	l->name = "gemm_f32.regtile2d.nt";
	l->grid[0] = 4;
	l->grid[1] = 3;
	l->grid[2] = 2;
	l->block[0] = 16;
	l->block[1] = 16;
	l->block[2] = 1;
	l->dyn_smem = 0;
	l->regs = 96;
	l->static_smem = 16384;
	l->local_bytes = 0;
	l->max_threads = 1024;
	l->ptx_version = l->binary_version = 90;
	l->ctas_per_sm = 3;
	l->sms = 16;
	l->waves = 0.5;
	l->tail_util = 0.5;
	l->efficiency = 0.5;
}

static void
test_launches(void)
{
	struct db_launch	 li[3];
	struct db		*db = NULL;
	struct db_run_info	 ri;
	struct db_result	 r;
	struct csv		 c;
	const char		*path = P("launches.db");
	char			 err[1024], *s;
	int64_t			 id = 0, id2 = 0;
	int			 rc, ci;

	if (db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("q-12.0: open", 0);
		return;
	}
	run_info(&ri, "1a0c0000-0000-4000-8000-000000000001", ENV_A);
	rc = db_run_begin(db, &ri, &id);
	run_info(&ri, "1a0c0000-0000-4000-8000-000000000002", ENV_A);
	rc |= db_run_begin(db, &ri, &id2);
	launch_init(&li[0], "forward", 0, 64);
	launch_init(&li[1], "backward.wgrad", 0, 64);
	li[1].layout = "tn";
	li[1].regs = -1;
	li[1].waves = NAN;
	launch_init(&li[2], "backward.dgrad", 1, 64);
	li[2].layout = "nn";
	/* Stored out of order: rows come by point_idx, then idx. */
	result_init(&r, 1, "train.fp32.regtile2d", "regtile2d", 64);
	r.nlaunch_info = 3;
	r.launch_info = li;
	rc |= db_result_add(db, id, &r);
	result_init(&r, 0, "train.fp32.cublas", "cublas", 64);
	rc |= db_result_add(db, id, &r);
	result_init(&r, 2, "gemm.f32.regtile2d.nt", "regtile2d", 64);
	r.mode = "gemm";
	r.layout = "nt";
	r.nlaunch_info = 1;
	r.launch_info = &li[0];
	rc |= db_result_add(db, id, &r);
	/* Another run's facts stay out. */
	result_init(&r, 0, "train.fp32.regtile2d", "regtile2d", 64);
	r.nlaunch_info = 1;
	r.launch_info = li;
	rc |= db_result_add(db, id2, &r);
	CHECK("q-12.0: data set up", rc == 0);

	s = qt(db, DB_Q_LAUNCHES, id, 0, DB_FMT_JSON, &rc);
	CHECK("q-12.1: launch_info json", rc == 0 && strcmp(jx(s,
	    "json_valid(?1)"), "1") == 0);
	CHECK("q-12.1: the columns of query.h, in order", strcmp(jx(s,
	    "(SELECT group_concat(key, ',') FROM json_each(?1, '$[0]'))"),
	    LAUNCH_COLS) == 0);
	CHECK("q-12.2: this run's rows, by point then launch", strcmp(jx(s,
	    "(SELECT group_concat(json_extract(value, '$.point_idx') || '.' "
	    "|| json_extract(value, '$.idx') || '.' || json_extract(value, "
	    "'$.role'), ',') FROM json_each(?1))"),
	    "1.0.forward,1.1.backward.wgrad,1.2.backward.dgrad,2.0.forward") ==
	    0);
	CHECK("q-12.3: ctas and threads are the products", strcmp(jx(s,
	    "json_extract(?1, '$[0].ctas', '$[0].threads', '$[0].sms', "
	    "'$[0].waves', '$[3].variant')"),
	    "[24,256,16,0.5,\"gemm.f32.regtile2d.nt\"]") == 0);
	CHECK("q-12.3: unknowns are null", strcmp(jx(s,
	    "json_type(?1, '$[1].regs') || json_type(?1, '$[1].waves') || "
	    "json_extract(?1, '$[1].layout')"), "nullnulltn") == 0);
	free(s);

	s = qt(db, DB_Q_LAUNCHES, id, 0, DB_FMT_CSV, &rc);
	CHECK("q-12.4: launch_info csv", rc == 0 && s != NULL &&
	    csv_parse(s, &c) == 0 && c.nrows == 5 &&
	    strcmp(csv_header(&c), LAUNCH_COLS) == 0);
	ci = csv_col(&c, "static_smem");
	CHECK("q-12.4: values", ci >= 0 && c.nrows == 5 &&
	    strcmp(c.f[1][ci], "16384") == 0);
	ci = csv_col(&c, "regs");
	CHECK("q-12.4: NULL is empty", ci >= 0 && c.nrows == 5 &&
	    strcmp(c.f[2][ci], "") == 0 && strcmp(c.f[1][ci], "96") == 0);
	csv_free(&c);
	free(s);

	s = qt(db, DB_Q_LAUNCHES, 999, 0, DB_FMT_JSON, &rc);
	CHECK("q-12.5: a missing run is DB_NOTFOUND", rc == DB_NOTFOUND &&
	    s == NULL);
	free(s);
	db_close(db);
}

/* --- 13: loss-scale trajectories and the fp32 loss curve (schema v3) ---- */

/*
 * Point 0 runs GradScaler's rule (growth interval 500 here) over 2000
 * steps with overflows at steps 3 and 1001: the scale backs off at 4 and
 * 1002 and grows at 504 and 1502.  The API keeps every 4th step, the
 * last, both skipped steps and the 4 changes; from those rows alone the
 * scale of every step must come back (the step-after reading).
 */
static void
test_scaler(void)
{
	static const double	 loss3[3] = { 3, 2, 1 };
	static const double	 ref3[3] = { 3.5, NAN, 0.5 };
	static const double	 sc3[3] = { 8, 4, 4 };
	static const int	 sk3[3] = { 1, 0, 0 };
	struct db		*db = NULL;
	struct db_run_info	 ri;
	struct db_result	 r;
	const char		*path = P("scaler.db");
	char			 err[1024], *s = NULL, *list = NULL, *p, *e;
	double			*loss = NULL, *scale = NULL, sc, got;
	int			*skipped = NULL, *growth = NULL;
	int64_t			 id = 0, other = 0;
	int			 i, rc, gt, step, last, exact, rows;

	if (db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("q-13.0: open", 0);
		return;
	}
	loss = calloc(2000, sizeof(*loss));
	scale = calloc(2000, sizeof(*scale));
	skipped = calloc(2000, sizeof(*skipped));
	growth = calloc(2000, sizeof(*growth));
	if (loss == NULL || scale == NULL || skipped == NULL ||
	    growth == NULL) {
		CHECK("q-13.0: memory", 0);
		goto out;
	}
	sc = 65536;
	gt = 0;
	for (i = 0; i < 2000; i++) {
		loss[i] = 1.0 / (i + 1);
		scale[i] = sc;
		skipped[i] = i == 3 || i == 1001;
		if (skipped[i]) {
			sc *= 0.5;
			gt = 0;
		} else if (++gt == 500) {
			sc *= 2;
			gt = 0;
		}
		growth[i] = gt;
	}
	run_info(&ri, "5ca1e000-0000-4000-8000-000000000001", ENV_A);
	rc = db_run_begin(db, &ri, &id);
	result_init(&r, 0, "train.fp16amp.mma", "mma", 64);
	r.precision = "fp16amp";
	r.graph = 1;
	r.nsteps = 2000;
	r.loss_curve = loss;
	r.scale_curve = scale;
	r.skipped_curve = skipped;
	r.growth_curve = growth;
	rc |= db_result_add(db, id, &r);
	result_init(&r, 1, "train.fp16amp.cpu", "cpu", 8);
	r.precision = "fp16amp";
	r.nsteps = 3;
	r.loss_curve = loss3;
	r.ref_loss_curve = ref3;
	r.loss_divergence = 1;
	r.scale_curve = sc3;
	r.skipped_curve = sk3;
	rc |= db_result_add(db, id, &r);
	result_init(&r, 2, "train.bf16amp.cpu", "cpu", 8);
	r.precision = "bf16amp";
	r.nsteps = 3;
	r.loss_curve = loss3;
	r.ref_loss_curve = ref3;
	r.loss_divergence = 0.25;
	rc |= db_result_add(db, id, &r);
	result_init(&r, 3, "train.fp32.cpu", "cpu", 8);
	rc |= db_result_add(db, id, &r);
	/* Another run's trajectory must not show up in this one's. */
	run_info(&ri, "5ca1e000-0000-4000-8000-000000000002", ENV_A);
	rc |= db_run_begin(db, &ri, &other);
	result_init(&r, 0, "train.fp16amp.cpu", "cpu", 8);
	r.nsteps = 3;
	r.loss_curve = loss3;
	r.scale_curve = sc3;
	r.skipped_curve = sk3;
	rc |= db_result_add(db, other, &r);
	CHECK("q-13.0: data set up", rc == 0);

	s = qt(db, DB_Q_SCALER, id, 0, DB_FMT_JSON, &rc);
	CHECK("q-13.1: scaler json", rc == 0 && strcmp(jx(s,
	    "json_valid(?1)"), "1") == 0);
	CHECK("q-13.1: columns", strcmp(jx(s, "(SELECT group_concat(key, ',') "
	    "FROM json_each(?1, '$[0]'))"), "point_idx,variant,m,n,k,layers,"
	    "graph,step,scale,skipped,growth_tracker") == 0);
	CHECK("q-13.1: only the points with a trajectory, of this run",
	    strcmp(jx(s, "(SELECT group_concat(p) FROM (SELECT DISTINCT "
	    "json_extract(value, '$.point_idx') AS p FROM json_each(?1)))"),
	    "0,1") == 0);
	CHECK("q-13.2: 2000 steps: 499 multiples of 4, the last, 2 skips, "
	    "2 changes off the stride", strcmp(jx(s, "(SELECT count(*) FROM "
	    "json_each(?1) WHERE json_extract(value, '$.point_idx') = 0)"),
	    "504") == 0);
	CHECK("q-13.2: the rows off the stride", strcmp(jx(s,
	    "(SELECT group_concat(s) FROM (SELECT json_extract(value, "
	    "'$.step') AS s FROM json_each(?1) WHERE json_extract(value, "
	    "'$.point_idx') = 0 AND json_extract(value, '$.step') % 4 != 0))"),
	    "3,1001,1002,1502,1999") == 0);
	CHECK("q-13.2: values belong to their steps", strcmp(jx(s,
	    "(SELECT group_concat(json_extract(value, '$.step') || '=' || "
	    "json_extract(value, '$.scale') || '/' || json_extract(value, "
	    "'$.skipped') || '/' || json_extract(value, '$.growth_tracker'), "
	    "',') FROM json_each(?1) WHERE json_extract(value, "
	    "'$.point_idx') = 0 AND json_extract(value, '$.step') IN (0, 3, "
	    "4, 504, 1001, 1002, 1502, 1999))"), "0=65536/0/1,3=65536/1/0,"
	    "4=32768/0/1,504=65536/0/1,1001=65536/1/0,1002=32768/0/1,"
	    "1502=65536/0/1,1999=65536/0/498") == 0);
	CHECK("q-13.2: graph and shape", strcmp(jx(s, "json_extract(?1, "
	    "'$[0].graph', '$[0].m', '$[0].variant')"),
	    "[1,64,\"train.fp16amp.mma\"]") == 0);
	/* Every step's scale from the kept rows: the latest row at or
	 * before it. */
	list = strdup(jx(s, "(SELECT group_concat(json_extract(value, "
	    "'$.step') || ':' || json_extract(value, '$.scale'), ' ') FROM "
	    "json_each(?1) WHERE json_extract(value, '$.point_idx') = 0)"));
	exact = list != NULL;
	rows = 0;
	last = -1;
	got = NAN;
	for (p = list, step = 0; exact && step < 2000; step++) {
		while (p != NULL && *p != '\0' &&
		    strtol(p, NULL, 10) <= step) {
			last = (int)strtol(p, &e, 10);
			if (*e != ':') {
				exact = 0;
				break;
			}
			got = strtod(e + 1, &e);
			p = e;
			rows++;
		}
		if (last < 0 || got != scale[step]) {
			fprintf(stderr, "  step %d: scale %g from row %d, "
			    "stored %g\n", step, got, last, scale[step]);
			exact = 0;
		}
	}
	CHECK("q-13.3: the scale of every step follows from the rows",
	    exact && rows == 504);
	CHECK("q-13.4: a short trajectory is whole, growth NULL", strcmp(jx(s,
	    "(SELECT group_concat(json_extract(value, '$.step') || '=' || "
	    "json_extract(value, '$.scale') || '/' || json_extract(value, "
	    "'$.skipped') || '/' || json_type(value, '$.growth_tracker'), "
	    "',') FROM json_each(?1) WHERE json_extract(value, "
	    "'$.point_idx') = 1)"), "0=8/1/null,1=4/0/null,2=4/0/null") == 0);
	free(s);

	/* The fp32 curve beside the loss, the divergence with the result. */
	s = qt(db, DB_Q_CURVES, id, 0, DB_FMT_JSON, &rc);
	CHECK("q-13.5: ref_loss per step, NULL for NaN or none", rc == 0 &&
	    strcmp(jx(s, "(SELECT group_concat(json_extract(value, "
	    "'$.point_idx') || ':' || json_extract(value, '$.step') || '=' || "
	    "coalesce(json_extract(value, '$.ref_loss'), 'null'), ',') FROM "
	    "json_each(?1) WHERE json_extract(value, '$.point_idx') IN (1, 2) "
	    "OR json_extract(value, '$.step') = 0)"), "0:0=null,1:0=3.5,"
	    "1:1=null,1:2=0.5,2:0=3.5,2:1=null,2:2=0.5") == 0);
	free(s);
	s = qt(db, DB_Q_RESULTS, id, 0, DB_FMT_JSON, &rc);
	CHECK("q-13.6: loss_divergence only where measured", rc == 0 &&
	    strcmp(jx(s, "json_extract(?1, '$[0].loss_divergence', "
	    "'$[1].loss_divergence', '$[2].loss_divergence', "
	    "'$[3].loss_divergence')"), "[null,1,0.25,null]") == 0);
	free(s);
	s = qt(db, DB_Q_SCALER, id, 0, DB_FMT_CSV, &rc);
	CHECK("q-13.7: csv: header and 507 rows", rc == 0 && s != NULL &&
	    strncmp(s, "point_idx,variant,m,n,k,layers,graph,step,scale,"
	    "skipped,growth_tracker\r\n0,train.fp16amp.mma,64,64,64,1,1,0,"
	    "65536,0,1\r\n", 100) == 0);
	rows = 0;
	for (p = s; p != NULL && (p = strstr(p, "\r\n")) != NULL; p += 2)
		rows++;
	CHECK("q-13.7: csv rows", rows == 1 + 504 + 3);
	free(s);
	s = qt(db, DB_Q_SCALER, 424242, 0, DB_FMT_JSON, &rc);
	CHECK("q-13.8: an unknown run is DB_NOTFOUND", rc == DB_NOTFOUND &&
	    s == NULL && strstr(db_errmsg(db), "no run 424242") != NULL);
	free(s);
	s = NULL;
out:
	free(s);
	free(list);
	free(loss);
	free(scale);
	free(skipped);
	free(growth);
	db_close(db);
}

/* --- 14: the int8dyn measures in the results query (schema v4) ----------- */

static void
test_quant(void)
{
	static const struct db_phase	 ph[5] = { { "sgd", 4 },
	    { "int8.dequant", 3 }, { "forward", 40 }, { "int8.quant", 2 },
	    { "int8.scale", 1 } };
	struct db			*db = NULL, *dst = NULL;
	struct db_run_info		 ri;
	struct db_result		 r;
	struct csv			 c;
	char				 err[1024], *s = NULL;
	char				 sp[PATH_MAX], dp[PATH_MAX];
	int64_t				 id = 0;
	int				 rc, ci, imp = -1, skip = -1;

	snprintf(sp, sizeof(sp), "%s", P("quant.db"));
	snprintf(dp, sizeof(dp), "%s", P("quant-import.db"));
	if (db_open(&db, sp, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("q-14.0: open", 0);
		return;
	}
	run_info(&ri, "14a00000-0000-4000-8000-000000000001", ENV_A);
	rc = db_run_begin(db, &ri, &id);
	/* 0: per channel, every measure; 1: per tensor, nothing measured
	 * or counted; 2: not an int8dyn row. */
	result_init(&r, 0, "infer.int8dyn.imma", "imma", 64);
	r.mode = "infer";
	r.precision = "int8dyn";
	r.quant = 1;
	r.quant_per_channel = 1;
	r.quant_err_sym = 0.0125;
	r.quant_err_affine = 0.00875;
	r.quant_sat_act = 12;
	r.quant_sat_weight = 0;
	r.nphases = 5;
	r.phases = ph;
	rc |= db_result_add(db, id, &r);
	result_init(&r, 1, "train.int8dyn.dp4a", "dp4a", 64);
	r.precision = "int8dyn";
	r.quant = 1;
	r.quant_err_sym = r.quant_err_affine = NAN;
	r.quant_sat_act = r.quant_sat_weight = -1;
	rc |= db_result_add(db, id, &r);
	result_init(&r, 2, "train.fp32.naive", "naive", 64);
	rc |= db_result_add(db, id, &r);
	CHECK("q-14.0: data set up", rc == 0);

	s = qt(db, DB_Q_RESULTS, id, 0, DB_FMT_JSON, &rc);
	CHECK("q-14.1: the measures of an int8dyn row", rc == 0 &&
	    strcmp(jx(s, "json_extract(?1, '$[0].quant_per_channel', "
	    "'$[0].quant_err_sym', '$[0].quant_err_affine', "
	    "'$[0].quant_sat_act', '$[0].quant_sat_weight')"),
	    "[1,0.0125,0.00875,12,0]") == 0);
	CHECK("q-14.1: null where not measured, 0 for per tensor",
	    strcmp(jx(s, "json_extract(?1, '$[1].quant_per_channel', "
	    "'$[1].quant_err_sym', '$[1].quant_err_affine', "
	    "'$[1].quant_sat_act', '$[1].quant_sat_weight')"),
	    "[0,null,null,null,null]") == 0);
	CHECK("q-14.1: null on a row that is not int8dyn", strcmp(jx(s,
	    "(SELECT count(*) FROM json_each(?1, '$[2]') WHERE key LIKE "
	    "'quant%' AND type = 'null')"), "5") == 0);
	free(s);
	s = qt(db, DB_Q_RESULTS, id, 0, DB_FMT_CSV, &rc);
	CHECK("q-14.2: results csv", rc == 0 && s != NULL &&
	    csv_parse(s, &c) == 0 && c.nrows == 4);
	ci = csv_col(&c, "quant_err_affine");
	CHECK("q-14.2: csv measures, empty where NULL", ci > 0 &&
	    c.nrows == 4 && strcmp(c.f[1][ci], "0.00875") == 0 &&
	    strcmp(c.f[2][ci], "") == 0 && strcmp(c.f[3][ci], "") == 0);
	ci = csv_col(&c, "quant_sat_weight");
	CHECK("q-14.2: csv count 0 is 0", ci > 0 && c.nrows == 4 &&
	    strcmp(c.f[1][ci], "0") == 0 && strcmp(c.f[2][ci], "") == 0);
	csv_free(&c);
	free(s);

	/* The int8 phases come back with their medians; any order of the
	 * int8 ones is the query's (query.h lists them), so only the
	 * set and the known phases' order are checked. */
	s = qt(db, DB_Q_PHASES, id, 0, DB_FMT_JSON, &rc);
	CHECK("q-14.3: int8 phases of the point", rc == 0 && strcmp(jx(s,
	    "(SELECT group_concat(p, ',') FROM (SELECT json_extract(value, "
	    "'$.phase') || '=' || json_extract(value, '$.median_us') AS p "
	    "FROM json_each(?1) ORDER BY 1))"), "forward=40,"
	    "int8.dequant=3,int8.quant=2,int8.scale=1,sgd=4") == 0);
	free(s);
	s = NULL;

	/* import copies them like any other column */
	if (db_open(&dst, dp, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("q-14.4: open the import target", 0);
		goto out;
	}
	rc = db_import(dst, sp, &imp, &skip);
	CHECK("q-14.4: import of the int8 run", rc == 0 && imp == 1 &&
	    skip == 0);
	CHECK("q-14.4: the measures survive import", raw_int(dp,
	    "SELECT count(*) FROM result WHERE (point_idx = 0 AND "
	    "quant_per_channel = 1 AND quant_err_sym = 0.0125 AND "
	    "quant_err_affine = 0.00875 AND quant_sat_act = 12 AND "
	    "quant_sat_weight = 0) OR (point_idx = 1 AND quant_per_channel = 0 "
	    "AND quant_err_sym IS NULL AND quant_sat_weight IS NULL) OR "
	    "(point_idx = 2 AND quant_per_channel IS NULL)") == 3);
out:
	db_close(dst);
	db_close(db);
}

/* --- 15: data parallel (schema v5) ---------------------------------------- */

static void
test_dp(void)
{
	/* Buckets stored out of order: the query sorts them. */
	static const struct db_comm	 cm[3] = {
	    { 2, 2, 0, 0, 4096, 30, 28, 0.1365, 0.2048 },
	    { 0, 1, 2, 2, 1024, 10, 9, 0.1024, 0.1536 },
	    { 1, 3, 2, 1, 2048, NAN, NAN, NAN, NAN } };
	static const struct db_comm	 ar[1] = {
	    { 0, -1, -1, -1, 1 << 20, 50, 48, 20.97152, 31.45728 } };
	struct db			*db = NULL, *dst = NULL;
	struct db_run_info		 ri;
	struct db_result		 r;
	struct csv			 c;
	char				 err[1024], *s = NULL;
	char				 sp[PATH_MAX], dp[PATH_MAX];
	int64_t				 id = 0;
	int				 rc, ci, imp = -1, skip = -1;

	snprintf(sp, sizeof(sp), "%s", P("dp.db"));
	snprintf(dp, sizeof(dp), "%s", P("dp-import.db"));
	if (db_open(&db, sp, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("q-15.0: open", 0);
		return;
	}
	run_info(&ri, "15a00000-0000-4000-8000-000000000001", ENV_A);
	rc = db_run_begin(db, &ri, &id);
	/* 0: a data-parallel step with 3 buckets; 1: an allreduce row;
	 * 2: not data parallel. */
	result_init(&r, 0, "train.fp32.cublas", "cublas", 64);
	r.layers = 3;
	r.world = 2;
	r.median_us = 100;
	r.dp = 1;
	r.dp_backend = "mpi";
	r.dp_bucket_cap = 25 * 1048576.0;
	r.dp_first_bucket = 1048576.0;
	r.dp_overlap = 1;
	r.dp_compress = "f32";
	r.dp_op = "avg";
	r.dp_inplace = -1;
	r.dp_compute_us = 80;
	r.dp_comm_us = 40;
	r.dp_exposed_us = 20;
	r.dp_overlap_frac = 0.5;
	r.dp_overhead = 0.25;
	r.ncomm = 3;
	r.comm = cm;
	rc |= db_result_add(db, id, &r);
	result_init(&r, 1, "allreduce.nccl", "nccl", 1);
	r.mode = "allreduce";
	r.precision = "bf16";
	r.world = 1;
	r.graph = 1;
	r.dp = 1;
	r.dp_backend = "nccl";
	r.dp_bucket_cap = r.dp_first_bucket = NAN;
	r.dp_overlap = -1;
	r.dp_compress = "bf16";
	r.dp_op = "sum";
	r.dp_inplace = 0;
	r.dp_compute_us = r.dp_comm_us = r.dp_exposed_us = NAN;
	r.dp_overlap_frac = r.dp_overhead = NAN;
	r.ncomm = 1;
	r.comm = ar;
	rc |= db_result_add(db, id, &r);
	result_init(&r, 2, "train.fp32.naive", "naive", 64);
	rc |= db_result_add(db, id, &r);
	CHECK("q-15.0: data set up", rc == 0);
	if (rc != 0)
		fprintf(stderr, "  %s\n", db_errmsg(db));

	s = qt(db, DB_Q_RESULTS, id, 0, DB_FMT_JSON, &rc);
	CHECK("q-15.1: the dp figures of a data-parallel step", rc == 0 &&
	    strcmp(jx(s, "json_extract(?1, '$[0].dp_backend', "
	    "'$[0].dp_bucket_cap', '$[0].dp_first_bucket', '$[0].dp_overlap', "
	    "'$[0].dp_compress', '$[0].dp_op', '$[0].dp_inplace', "
	    "'$[0].dp_compute_us', '$[0].dp_comm_us', '$[0].dp_exposed_us', "
	    "'$[0].dp_overlap_frac', '$[0].dp_overhead')"),
	    "[\"mpi\",26214400,1048576,1,\"f32\",\"avg\",null,80,40,20,"
	    "0.5,0.25]") == 0);
	CHECK("q-15.1: an allreduce row's", strcmp(jx(s, "json_extract(?1, "
	    "'$[1].dp_backend', '$[1].dp_compress', '$[1].dp_op', "
	    "'$[1].dp_inplace', '$[1].dp_overlap', '$[1].dp_comm_us')"),
	    "[\"nccl\",\"bf16\",\"sum\",0,null,null]") == 0);
	CHECK("q-15.1: null on a row that is not data parallel", strcmp(jx(s,
	    "(SELECT count(*) FROM json_each(?1, '$[2]') WHERE key LIKE "
	    "'dp%' AND type = 'null')"), "12") == 0);
	free(s);

	s = qt(db, DB_Q_COMM, id, 0, DB_FMT_JSON, &rc);
	CHECK("q-15.2: all-reduces by point, then bucket", rc == 0 &&
	    strcmp(jx(s, "(SELECT group_concat(json_extract(value, "
	    "'$.point_idx') || '/' || json_extract(value, '$.bucket') || '/' "
	    "|| json_extract(value, '$.bytes'), ',') FROM json_each(?1))"),
	    "0/0/1024,0/1/2048,0/2/4096,1/0/1048576") == 0);
	CHECK("q-15.2: a bucket's figures and its result's", strcmp(jx(s,
	    "json_extract(?1, '$[2].nparams', '$[2].layer_hi', "
	    "'$[2].layer_lo', '$[2].median_us', '$[2].min_us', "
	    "'$[2].algbw_gbps', '$[2].busbw_gbps', '$[2].world', "
	    "'$[2].dp_backend', '$[2].dp_overlap', '$[2].layers')"),
	    "[2,0,0,30,28,0.1365,0.2048,2,\"mpi\",1,3]") == 0);
	CHECK("q-15.2: not measured is null", strcmp(jx(s, "json_extract(?1, "
	    "'$[1].median_us', '$[1].busbw_gbps', '$[1].layer_hi')"),
	    "[null,null,2]") == 0);
	CHECK("q-15.2: an allreduce row: dtype, no layers", strcmp(jx(s,
	    "json_extract(?1, '$[3].variant', '$[3].dp_compress', "
	    "'$[3].nparams', '$[3].layer_hi', '$[3].busbw_gbps', "
	    "'$[3].graph', '$[3].dp_inplace')"),
	    "[\"allreduce.nccl\",\"bf16\",null,null,31.45728,1,0]") == 0);
	free(s);
	s = qt(db, DB_Q_COMM, id, 0, DB_FMT_CSV, &rc);
	CHECK("q-15.3: comm csv", rc == 0 && s != NULL &&
	    csv_parse(s, &c) == 0 && c.nrows == 5 &&
	    strcmp(csv_header(&c), COMM_COLS) == 0);
	ci = csv_col(&c, "busbw_gbps");
	CHECK("q-15.3: csv bandwidths, empty where NULL", ci > 0 &&
	    c.nrows == 5 && strcmp(c.f[1][ci], "0.1536") == 0 &&
	    strcmp(c.f[2][ci], "") == 0 && strcmp(c.f[4][ci], "31.45728") == 0);
	csv_free(&c);
	free(s);
	s = NULL;

	if (db_open(&dst, dp, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("q-15.4: open the import target", 0);
		goto out;
	}
	rc = db_import(dst, sp, &imp, &skip);
	CHECK("q-15.4: import of the data-parallel run", rc == 0 &&
	    imp == 1 && skip == 0);
	CHECK("q-15.4: the comm rows survive import", raw_int(dp,
	    "SELECT count(*) FROM comm JOIN result ON result.id = "
	    "comm.result_id WHERE (point_idx = 0 AND ((bucket = 0 AND "
	    "comm.bytes = 1024 AND nparams = 1 AND layer_hi = 2 AND layer_lo = 2 "
	    "AND comm.median_us = 10 AND comm.min_us = 9 AND "
	    "busbw_gbps = 0.1536) OR "
	    "(bucket = 1 AND comm.median_us IS NULL AND layer_lo = 1) OR "
	    "(bucket = 2 AND algbw_gbps = 0.1365))) OR (point_idx = 1 AND "
	    "bucket = 0 AND nparams IS NULL AND comm.bytes = 1048576)") == 4 &&
	    raw_int(dp, "SELECT count(*) FROM comm") == 4);
	CHECK("q-15.4: and the dp columns", raw_int(dp,
	    "SELECT count(*) FROM result WHERE (point_idx = 0 AND "
	    "dp_backend = 'mpi' AND dp_overlap = 1 AND dp_inplace IS NULL "
	    "AND dp_overlap_frac = 0.5 AND dp_overhead = 0.25) OR "
	    "(point_idx = 1 AND dp_compress = 'bf16' AND dp_inplace = 0) OR "
	    "(point_idx = 2 AND dp_backend IS NULL)") == 3);
out:
	db_close(dst);
	db_close(db);
}

int
main(void)
{
	char	tmpl[] = "/tmp/test_db_query.XXXXXX";

	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		return (1);
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s", tmpl);

	test_runs();
	test_results();
	test_baseline();
	test_phases();
	test_curves();
	test_compare();
	test_compare_env();
	test_errors();
	test_readonly();
	test_limits();
	test_import();
	test_launches();
	test_scaler();
	test_quant();
	test_dp();
	test_profile();

	if (nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "note: could not remove %s: %s\n", tmpdir,
		    strerror(errno));
	return (check_summary("test_db_query"));
}

/* --- 16: profiling (schema v6): a point, its kernels, its profile ------- */

static void
test_profile(void)
{
	static const struct db_kernel	 kn[3] = {
	    { .idx = 1, .kind = "kernel", .name = "loss<float> & co",
	      .phase = "loss", .stream = 7, .grid = { 4, 1, 1 },
	      .block = { 256, 1, 1 }, .regs = 32, .static_smem = 0,
	      .dyn_smem = 1024, .local_bytes = 0, .bytes = -1,
	      .duration_us = 3.5, .start_us = 12 },
	    { .idx = 0, .kind = "kernel", .name = "gemm_f32.warptile.nt",
	      .phase = "forward", .stream = 7, .grid = { 8, 4, 1 },
	      .block = { 256, 1, 1 }, .regs = 128, .static_smem = 16384,
	      .dyn_smem = 0, .local_bytes = 0, .bytes = -1,
	      .duration_us = 11.25, .start_us = 0 },
	    { .idx = 2, .kind = "memset", .name = "memset", .phase = NULL,
	      .stream = 7, .grid = { -1, -1, -1 }, .block = { -1, -1, -1 },
	      .regs = -1, .static_smem = -1, .dyn_smem = -1,
	      .local_bytes = -1, .bytes = 512, .duration_us = 0.5,
	      .start_us = 16 } };
	static const struct db_phase	 ph[2] = {
	    { "forward", 12 }, { "loss", 4 } };
	/* a: nvcc_flags differ, regs of one kernel differ, a kernel and a
	 * key only b has; c: a's, written in another key order (same
	 * value, another text: compared as JSON, not as text). */
	static const char fa[] = "{\"driver\":\"13.0\",\"kernels\":[{\"name\":"
	    "\"k1\",\"regs\":128},{\"name\":\"k2\",\"regs\":40}],"
	    "\"nvcc_flags\":\"-O3\"}";
	static const char fb[] = "{\"driver\":\"13.0\",\"kernels\":[{\"name\":"
	    "\"k1\",\"regs\":96},{\"name\":\"k2\",\"regs\":40},{\"name\":"
	    "\"k3\",\"regs\":8}],\"nccl\":\"2.27\",\"nvcc_flags\":\"-O3 -G\"}";
	static const char fc[] = "{\"nvcc_flags\":\"-O3\",\"kernels\":[{"
	    "\"regs\":128,\"name\":\"k1\"},{\"name\":\"k2\",\"regs\":40}],"
	    "\"driver\":\"13.0\"}";
	struct db_profile_session	 ps = { "ncu", "/r/x.ncu-rep",
	    "ncu --csv ./stepbench sweep", "2025.3.1" };
	struct db_profile_metric	 pm[3] = {
	    { 0, 0, "gemm_f32.warptile.nt", "forward",
	      "gpu__time_duration.sum", "usecond", 11.5, NULL },
	    { 0, 0, "gemm_f32.warptile.nt", "forward",
	      "launch__cache_config", NULL, NAN, "PreferNone" },
	    { 1, 0, "other", NULL, "gpu__time_duration.sum", "usecond", 2,
	      NULL } };
	struct db			*db = NULL;
	struct db_run_info		 ri;
	struct db_result		 r;
	const char			*path = P("profile.db");
	const char			*fps[3] = { fa, fb, fc };
	char				 err[1024], *s, hex[3][17];
	int64_t				 run[3] = { 0, 0, 0 }, sid = 0, args[2];
	size_t				 len;
	int				 rc = 0, i, j;

	if (db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("q-16.0: open", 0);
		fprintf(stderr, "  %s\n", err);
		return;
	}
	for (i = 0; i < 3; i++) {
		run_info(&ri, i == 0 ? "f0000000-0000-4000-8000-000000000001" :
		    i == 1 ? "f0000000-0000-4000-8000-000000000002" :
		    "f0000000-0000-4000-8000-000000000003", ENV_A);
		rc |= db_run_begin(db, &ri, &run[i]);
		/* FNV-1a 64 of the text, as harness/fingerprint.c makes it */
		{
			uint64_t	h = 0xcbf29ce484222325ULL;
			const char	*c;

			for (c = fps[i]; *c != '\0'; c++)
				h = (h ^ (unsigned char)*c) *
				    0x100000001b3ULL;
			snprintf(hex[i], sizeof(hex[i]), "%016llx",
			    (unsigned long long)h);
		}
		for (j = 0; j < 3; j++) {
			result_init(&r, j, j == 2 ? "train.fp32.cpu" :
			    "train.fp32.warptile", "warptile", 64 << j);
			r.median_us = r.p10_us = r.p90_us = 10;
			r.cv = 0.01;
			/* point 1 has the same fingerprint in every run;
			 * point 2 none */
			if (j < 2) {
				r.fingerprint = j == 0 ? hex[i] : hex[0];
				r.fingerprint_json = j == 0 ? fps[i] : fa;
			}
			if (i == 0 && j == 0) {
				r.cupti = "ok";
				r.cupti_steps = 5;
				r.launches = 3;
				r.cupti_launches = 3;
				r.cupti_kernel_us = 15.25;
				r.cupti_event_us = 17;
				r.nkernels = 3;
				r.kernels = kn;
				r.nphases = 2;
				r.phases = ph;
			}
			rc |= db_result_add(db, run[i], &r);
		}
	}
	rc |= db_profile_begin(db, run[0], &ps, &sid);
	rc |= db_profile_add(db, sid, pm, 3);
	CHECK("q-16.0: data set up", rc == 0);
	if (rc != 0)
		fprintf(stderr, "  %s\n", db_errmsg(db));

	s = qt(db, DB_Q_POINT, run[0], 0, DB_FMT_JSON, &rc);
	CHECK("q-16.1: point: one row", rc == 0 &&
	    strcmp(jx(s, "json_array_length(?1)"), "1") == 0);
	CHECK("q-16.1: point: the results columns, then its own",
	    strcmp(jx(s, "(SELECT group_concat(key, ',') FROM "
	    "json_each(?1, '$[0]'))"), RESULTS_COLS ",fingerprint_json,"
	    "phases_json,nkernels,nprofile") == 0);
	CHECK("q-16.1: point: cupti figures, counts, phases as JSON text",
	    strcmp(jx(s, "json_extract(?1, '$[0].cupti', "
	    "'$[0].cupti_launches', '$[0].cupti_kernel_us', "
	    "'$[0].nkernels', '$[0].nprofile', '$[0].launches') || "
	    "json_extract(json_extract(?1, '$[0].phases_json'), "
	    "'$.forward', '$.loss')"), "[\"ok\",3,15.25,3,2,3][12.0,4.0]") == 0);
	CHECK("q-16.1: point: the fingerprint JSON as stored", strcmp(jx(s,
	    "json_extract(?1, '$[0].fingerprint_json')"), fa) == 0);
	free(s);
	s = qt(db, DB_Q_POINT, run[0], 2, DB_FMT_JSON, &rc);
	CHECK("q-16.2: a point without any: nulls and zeros", rc == 0 &&
	    strcmp(jx(s, "json_extract(?1, '$[0].cupti', "
	    "'$[0].fingerprint', '$[0].phases_json', '$[0].nkernels', "
	    "'$[0].nprofile')"), "[null,null,null,0,0]") == 0);
	free(s);

	s = qt(db, DB_Q_KERNELS, run[0], 0, DB_FMT_JSON, &rc);
	CHECK("q-16.3: kernels: by idx, with their columns", rc == 0 &&
	    strcmp(jx(s, "(SELECT group_concat(json_extract(value, '$.idx') "
	    "|| ':' || json_extract(value, '$.kind') || ':' || "
	    "coalesce(json_extract(value, '$.phase'), '-') || ':' || "
	    "coalesce(json_extract(value, '$.grid_x'), '-'), ',') FROM "
	    "json_each(?1))"), "0:kernel:forward:8,1:kernel:loss:4,"
	    "2:memset:-:-") == 0);
	CHECK("q-16.3: kernels: columns", strcmp(jx(s, "(SELECT "
	    "group_concat(key, ',') FROM json_each(?1, '$[0]'))"),
	    "idx,kind,name,phase,stream,grid_x,grid_y,grid_z,block_x,"
	    "block_y,block_z,regs,static_smem,dyn_smem,local_bytes,bytes,"
	    "duration_us,start_us") == 0);
	free(s);
	s = qt(db, DB_Q_KERNELS, run[1], 0, DB_FMT_CSV, &rc);
	CHECK("q-16.3: no trace: the header only", rc == 0 && s != NULL &&
	    strncmp(s, "idx,kind,name,", 14) == 0 &&
	    strchr(s, '\n') == s + strlen(s) - 1);
	free(s);

	s = qt(db, DB_Q_PROFILE, run[0], 0, DB_FMT_JSON, &rc);
	CHECK("q-16.4: profile: the point's values with their session",
	    rc == 0 && strcmp(jx(s, "(SELECT group_concat(json_extract("
	    "value, '$.tool') || ':' || json_extract(value, '$.metric') || "
	    "':' || coalesce(json_extract(value, '$.value'), json_extract("
	    "value, '$.text')), ',') FROM json_each(?1))"),
	    "ncu:gpu__time_duration.sum:11.5,ncu:launch__cache_config:"
	    "PreferNone") == 0);
	CHECK("q-16.4: profile: the command and version", strcmp(jx(s,
	    "json_extract(?1, '$[0].command', '$[0].tool_version', "
	    "'$[0].report')"), "[\"ncu --csv ./stepbench sweep\","
	    "\"2025.3.1\",\"/r/x.ncu-rep\"]") == 0);
	free(s);

	/* Unknown refs: DB_NOTFOUND with a message; nothing returned. */
	args[0] = run[0];
	args[1] = 7;
	s = (char *)&s;
	rc = db_query_table(db, DB_Q_KERNELS, args, 2, DB_FMT_JSON, &s, &len);
	CHECK("q-16.5: an unknown point is DB_NOTFOUND", rc == DB_NOTFOUND &&
	    s == NULL && strstr(db_errmsg(db), "no point 7 in run") != NULL);
	args[0] = 999;
	args[1] = 0;
	rc = db_query_table(db, DB_Q_PROFILE, args, 2, DB_FMT_JSON, &s, &len);
	CHECK("q-16.5: an unknown run is DB_NOTFOUND", rc == DB_NOTFOUND &&
	    strcmp(db_errmsg(db), "no run 999") == 0);
	rc = db_query_table(db, DB_Q_POINT, args, 1, DB_FMT_JSON, &s, &len);
	CHECK("q-16.5: a point query takes two ids", rc == -1 &&
	    strstr(db_errmsg(db), "a run, a point") != NULL);

	s = qt(db, DB_Q_COMPARE_FP, run[0], run[1], DB_FMT_JSON, &rc);
	CHECK("q-16.6: compare_fp: the differing keys, kernels by name",
	    rc == 0 && strcmp(jx(s, "(SELECT group_concat(json_extract("
	    "value, '$.a_point') || ' ' || json_extract(value, '$.key') || "
	    "'=' || coalesce(json_extract(value, '$.a_value'), '(none)') || "
	    "'/' || coalesce(json_extract(value, '$.b_value'), '(none)'), "
	    "';') FROM json_each(?1))"), "0 nccl=(none)/2.27;"
	    "0 nvcc_flags=-O3/-O3 -G;0 kernels[k3]=(none)/{\"name\":\"k3\","
	    "\"regs\":8};0 kernels[k1].regs=128/96") == 0);
	CHECK("q-16.6: compare_fp: the pair's fingerprints", strcmp(jx(s,
	    "json_extract(?1, '$[0].variant', '$[0].b_point') || "
	    "(json_extract(?1, '$[0].a_fingerprint') <> "
	    "json_extract(?1, '$[0].b_fingerprint'))"),
	    "[\"train.fp32.warptile\",0]1") == 0);
	free(s);
	s = qt(db, DB_Q_COMPARE_FP, run[0], run[2], DB_FMT_JSON, &rc);
	CHECK("q-16.7: compare_fp: the same JSON in another order: no rows "
	    "(the hashes differ)", rc == 0 &&
	    strcmp(jx(s, "json_array_length(?1)"), "0") == 0 &&
	    strcmp(hex[0], hex[2]) != 0);
	free(s);
	s = qt(db, DB_Q_COMPARE_FP, run[1], run[1], DB_FMT_CSV, &rc);
	CHECK("q-16.7: compare_fp: a run with itself: the header only",
	    rc == 0 && s != NULL && strncmp(s, "variant,m,n,k,", 14) == 0 &&
	    strchr(s, '\n') == s + strlen(s) - 1);
	free(s);
	db_close(db);
}
