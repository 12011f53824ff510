/*
 * harness/cmd_gemm.c — `stepbench gemm`: the GEMM implementations alone,
 * across kernels × layouts × sizes (float kernels, half kernels for
 * each of --types f16, bf16 with C in --out half or f32, and with --types
 * s8 the int8 kernels at layout nt with C in s32 or f32), each with its
 * TFLOP/s (TOP/s for s8), its ratio to cuBLAS of the same precision at
 * the same layout and size (cuBLASLt s8 for the int8 kernels), and the wave quantisation of its launch (or, for cuBLASLt, the
 * algorithm it chose); a table row per point on stdout (or, with --json,
 * one JSON document at the end) and a run in the database.
 *
 * Everything given is validated before the database is opened: bad input
 * exits 2 and writes nothing.  The plan and the measuring are
 * gemm_bench.c's.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "db.h"
#include "device.h"
#include "engine.h"
#include "gemm_bench.h"
#include "gemm_h16.h"
#include "gpu.h"
#include "json.h"
#include "prof.h"
#include "waves.h"

struct gemm_args {
	const char		*kernels;	/* NULL = all */
	unsigned		 types;		/* 1 << enum sb_dtype */
	int			 out;		/* SB_GEMM_OUT_* */
	int			 out_given;
	const char		*layouts;
	const char		*sizes;
	const char		*db;
	const char		*label;
	const char		*note;
	long			 pad;
	int			 json;
	struct sb_engine_opts	 eo;
};

/* What the table and the JSON need of a stored point. */
struct row {
	char		 status[16];
	char		 reason[512];
	double		 median_us, tflops, cv, err, err_recheck, tol;
	int		 nsamples;
	int64_t		 launches;
	int		 has_launch;	/* a kernel's launch facts */
	int		 has_algo;	/* cuBLASLt's algorithm (launch.name) */
	struct db_launch launch;
	char		 launch_name[SB_LAUNCH_NAME_LEN];
};

enum {
	OPT_PAD = SB_OPT_TIMING_END, OPT_LABEL, OPT_NOTE, OPT_DB, OPT_JSON,
	OPT_TYPES, OPT_OUT
};

static const struct option gemm_opts[] = {
	{ "kernels", required_argument, NULL, 'k' },
	{ "types", required_argument, NULL, OPT_TYPES },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "layouts", required_argument, NULL, 'l' },
	{ "sizes", required_argument, NULL, 's' },
	{ "lda-pad", required_argument, NULL, OPT_PAD },
	SB_TIMING_OPTIONS,
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "note", required_argument, NULL, OPT_NOTE },
	{ "db", required_argument, NULL, OPT_DB },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int	usage_help(void);
static int	is_baseline(const struct sb_gemm_point *);
static int	parse_args(int, char **, struct gemm_args *);
static void	table_header(FILE *);
static void	table_row(FILE *, const struct sb_gemm_point *,
		    const struct row *, double);
static double	pct_of(const struct sb_gemm_plan *, const struct row *, int);
static void	keep(struct row *, const struct sb_outcome *);
static void	json_point(struct sb_json *, const struct sb_gemm_point *,
		    const struct row *, double);
static int	execute(struct gemm_args *, int, char **);

static int
usage_help(void)
{
	int col = 24;

	struct sb_gemm_kernel all[SB_GEMM_MAX_KERNELS];
	int count = sb_gemm_kernels_all(all, SB_GEMM_MAX_KERNELS);

	if (count > SB_GEMM_MAX_KERNELS)
		count = SB_GEMM_MAX_KERNELS;
	printf("usage: stepbench gemm [options]\n\n"
	    "Measures the GEMM implementations alone, across kernels x "
	    "layouts x sizes.\nEach point is checked against an fp64 GEMM "
	    "before and after timing, and\nreports its TFLOP/s, its share "
	    "of cuBLAS of the same precision at the same\nlayout and size "
	    "(measured at every point, marked * when not asked for; for s8,\n"
	    "of cuBLASLt s8), and its kernel's resources and waves.  The rows "
	    "are stored\nas a run "
	    "(mode 'gemm',\nids gemm.<precision>.<name>.<layout>, e.g. "
	    "gemm.f32.warptile.nt or\ngemm.f16.mma.nt).\n\n"
	    "  -k, --kernels GLOBS   comma-separated globs over <type>.<name>, "
	    "the name,\n"
	    "                        or gemm.<type>.<name> [all]:\n"
	    "                       ");
	/* the catalogue, wrapped */
	for (int i = 0; i < count; i++) {
		int w = (int)(strlen(all[i].type) + strlen(all[i].name)) + 3;

		if (col + w > 79) {
			printf("\n                       ");
			col = 24;
		}
		printf(" %s.%s%s", all[i].type, all[i].name,
		    i + 1 < count ? "," : "");
		col += w;
	}
	printf("\n"
	    "      --types LIST      input types: f32 (the float kernels, tf32 "
	    "included),\n"
	    "                        f16, bf16 (the half kernels), s8 (the int8 "
	    "kernels,\n"
	    "                        layout nt only; never in the default) "
	    "[f32,f16,bf16]\n"
	    "      --out half|f32|s32\n"
	    "                        C of a half kernel: half (its input type, "
	    "as in the\n"
	    "                        autocast step) or f32 (ids then read\n"
	    "                        gemm.<type>-f32.<name>.<layout>) [half];\n"
	    "                        of an s8 kernel: s32 (the int32 sums) or "
	    "f32 (the\n"
	    "                        dequantising epilogue, gemm.s8-f32.*) "
	    "[s32]\n"
	    "  -l, --layouts LIST    nt (C = A.B^T), tn (C = A^T.B), nn "
	    "(C = A.B) [nt,tn,nn]\n"
	    "  -s, --sizes LIST      MxNxK (C is MxN, K the reduction), "
	    "ranges START:END:xF\n"
	    "                        or START:END:+S, presets small, "
	    "headline [" SB_GEMM_DEFAULT_SIZES "]\n"
	    "      --lda-pad N       add N to every leading dimension "
	    "(unaligned rows) [0]\n"
	    "measuring (defaults in brackets):\n%s"
	    "recording:\n"
	    "      --db PATH         SQLite file [$STEPBENCH_DB or "
	    "./stepbench.db]\n"
	    "      --label TEXT      a short name for the run\n"
	    "      --note TEXT       what the run is meant to show\n"
	    "      --json            one JSON document on stdout instead of "
	    "the table\n\n"
	    "Half inputs are the fixed-seed floats rounded to the type; the "
	    "fp64 reference\nuses the rounded values.  Tolerances: relative "
	    "L2 error 1e-5 (f32), 2e-3\n(tf32), 1e-4 (f16, bf16 accumulation), "
	    "grown by sqrt(k/4096) and the\nconditioning, plus one rounding of "
	    "a half C (2^-11 f16, 2^-8 bf16).\n"
	    "s8 inputs are random int8 over [-128, 127]; an s32 C must equal "
	    "the exact\ninteger sums bit for bit, an f32 C the epilogue "
	    "fmaf(acc, sa*sb, bias) within\n1 ulp.\n\n"
	    "Columns: median_us of one call, TFLOP/s = 2MNK / median (TOP/s "
	    "for s8),\n%%cuBLAS = cuBLAS's median / this median (for a half "
	    "kernel, cublasGemmEx\nwith the same types; for s8, cuBLASLt s8: "
	    "%%cuBLASLt),\nwaves/tail = CTAs / (SMs x "
	    "CTAs per SM) and the last wave's fill\n(harness/waves.h; '-' for "
	    "libraries).  A cuBLASLt row ends with the algorithm\nit chose, "
	    "also stored as its launch_info name.  Without a GPU every point "
	    "is\nstored as skipped with the reason.  Exit status: 0 every "
	    "point ok or skipped,\n1 a point failed or mismatched, 2 bad "
	    "usage (nothing written), 130 interrupted.\n", sb_timing_help);
	return -1;
}

/* Returns 0, -1 after --help, or an exit code (2) after printing why. */
static int
parse_args(int argc, char **argv, struct gemm_args *a)
{
	char err[512];
	long lv;
	int c, rc;

	memset(a, 0, sizeof(*a));
	a->types = SB_GEMM_TYPES_ALL;
	a->layouts = "nt,tn,nn";
	a->sizes = SB_GEMM_DEFAULT_SIZES;
	sb_engine_opts_default(&a->eo);
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":hk:l:s:", gemm_opts, NULL)) !=
	    -1) {
		switch (c) {
		case 'k':
			a->kernels = optarg;
			break;
		case OPT_TYPES:
			if (sb_gemm_parse_types(optarg, &a->types, err,
			    sizeof(err)) != 0)
				return sb_usage("gemm", "%s", err);
			break;
		case OPT_OUT:
			if (sb_gemm_parse_out(optarg, &a->out, err,
			    sizeof(err)) != 0)
				return sb_usage("gemm", "%s", err);
			a->out_given = 1;
			break;
		case 'l':
			a->layouts = optarg;
			break;
		case 's':
			a->sizes = optarg;
			break;
		case OPT_PAD:
			if (sb_opt_int("gemm", "--lda-pad", optarg, 0,
			    SB_GEMM_PAD_MAX, &lv))
				return SB_EXIT_USAGE;
			a->pad = lv;
			break;
		case OPT_LABEL:
			a->label = optarg;
			break;
		case OPT_NOTE:
			a->note = optarg;
			break;
		case OPT_DB:
			if (optarg[0] == '\0')
				return sb_usage("gemm", "--db is empty; give a "
				    "file path such as results.db");
			a->db = optarg;
			break;
		case OPT_JSON:
			a->json = 1;
			break;
		case 'h':
			return usage_help();
		default:
			if ((rc = sb_timing_opt("gemm", c, optarg, &a->eo)) <
			    0)
				return SB_EXIT_USAGE;
			if (rc == 0)
				return sb_bad_option("gemm", argc, argv, c);
			break;
		}
	}
	if (optind < argc)
		return sb_usage("gemm", "unexpected argument '%s'",
		    argv[optind]);
	if (a->eo.min_samples > a->eo.max_samples)
		return sb_usage("gemm", "--min-samples %d is above "
		    "--max-samples %d", a->eo.min_samples, a->eo.max_samples);
	return 0;
}

static void
table_header(FILE *f)
{
	fprintf(f, "%4s  %-30s %-22s %11s %9s %8s %-15s %s\n", "#", "id",
	    "size MxNxK", "median_us", "TFLOP/s", "%cuBLAS", "waves/tail",
	    "status");
}

/* The point is its family's cuBLAS. */
static int
is_baseline(const struct sb_gemm_point *pt)
{
	struct sb_gemm_kernel base;

	return sb_gemm_baseline_of(&pt->kern, &base) == 0 &&
	    sb_gemm_kernel_equal(&base, &pt->kern);
}

/* 100 · baseline median / this median, NaN when either is missing. */
static double
pct_of(const struct sb_gemm_plan *plan, const struct row *rows, int i)
{
	const struct sb_gemm_point *pt = &plan->points[i];
	const struct row *base;

	if (strcmp(rows[i].status, "ok") != 0)
		return NAN;
	if (pt->baseline_idx < 0)
		return is_baseline(pt) ? 100 : NAN;
	base = &rows[pt->baseline_idx];
	if (strcmp(base->status, "ok") != 0)
		return NAN;
	return 100 * base->median_us / rows[i].median_us;
}

static void
table_row(FILE *f, const struct sb_gemm_point *pt, const struct row *r,
    double pct)
{
	char id[SB_GEMM_ID_LEN + 2], size[96], cell[32] = "-";
	struct sb_waves w;

	(void)snprintf(id, sizeof(id), "%s%s", pt->id,
	    pt->auto_baseline ? "*" : "");
	(void)snprintf(size, sizeof(size), "%lldx%lldx%lld", (long long)pt->m,
	    (long long)pt->n, (long long)pt->k);
	if (pt->pad > 0)
		(void)snprintf(size + strlen(size), sizeof(size) - strlen(size),
		    "+%lld", (long long)pt->pad);
	fprintf(f, "%4d  %-30s %-22s", pt->idx, id, size);
	if (strcmp(r->status, "ok") != 0) {
		fprintf(f, " %-8s %s\n", r->status, r->reason);
		return;
	}
	if (r->has_launch) {
		const struct db_launch *l = &r->launch;

		sb_waves_compute(l->grid[0] * l->grid[1] * l->grid[2], l->sms,
		    l->ctas_per_sm, &w);
		sb_waves_cell(&w, cell, sizeof(cell));
	}
	fprintf(f, " %11.2f %9.4g %8.1f %-15s %s%s%s\n", r->median_us,
	    r->tflops, pct, cell, r->status, r->has_algo ? "  " : "",
	    r->has_algo ? r->launch_name : "");
}

static void
keep(struct row *k, const struct sb_outcome *o)
{
	memset(k, 0, sizeof(*k));
	(void)snprintf(k->status, sizeof(k->status), "%s", o->r.status);
	(void)snprintf(k->reason, sizeof(k->reason), "%s",
	    o->r.reason != NULL ? o->r.reason : "");
	k->median_us = o->r.median_us;
	k->tflops = o->r.tflops;
	k->cv = o->r.cv;
	k->err = o->r.err_y;
	k->err_recheck = o->r.err_recheck;
	k->tol = o->r.tol;
	k->nsamples = o->r.nsamples;
	k->launches = o->r.launches;
	if (o->r.nlaunch_info > 0) {
		/* a library's row (cuBLASLt) names its algorithm and has no
		 * launch shape */
		k->has_algo = o->r.launch_info[0].block[0] == 0;
		k->has_launch = !k->has_algo;
		k->launch = o->r.launch_info[0];
		(void)snprintf(k->launch_name, sizeof(k->launch_name), "%s",
		    o->r.launch_info[0].name);
		k->launch.name = k->launch_name;
	}
}

static void
json_point(struct sb_json *j, const struct sb_gemm_point *pt,
    const struct row *r, double pct)
{
	const struct db_launch *l = &r->launch;
	struct sb_waves w;

	sb_json_obj_begin(j, NULL);
	sb_json_int(j, "idx", pt->idx);
	sb_json_str(j, "id", pt->id);
	sb_json_str(j, "precision", pt->precision);
	sb_json_str(j, "kernel", pt->kern.name);
	sb_json_str(j, "in", sb_dtype_name(pt->kern.in));
	sb_json_str(j, "out", sb_dtype_name(pt->out));
	sb_json_str(j, "layout", sb_layout_name(pt->layout));
	sb_json_int(j, "m", pt->m);
	sb_json_int(j, "n", pt->n);
	sb_json_int(j, "k", pt->k);
	sb_json_int(j, "lda_pad", pt->pad);
	sb_json_bool(j, "baseline", is_baseline(pt));
	sb_json_bool(j, "auto_baseline", pt->auto_baseline);
	sb_json_str(j, "status", r->status);
	sb_json_str(j, "reason", r->reason[0] ? r->reason : NULL);
	sb_json_num(j, "median_us", r->median_us);
	sb_json_num(j, "tflops", r->tflops);
	sb_json_num(j, "pct_of_cublas", pct);
	sb_json_num(j, "cv", r->cv);
	sb_json_int(j, "nsamples", r->nsamples);
	sb_json_num(j, "err", r->err);
	sb_json_num(j, "err_recheck", r->err_recheck);
	sb_json_num(j, "tol", r->tol);
	if (r->launches > 0)
		sb_json_int(j, "launches", r->launches);
	else
		sb_json_str(j, "launches", NULL);
	sb_json_str(j, "algo", r->has_algo ? r->launch_name : NULL);
	if (!r->has_launch) {
		sb_json_str(j, "launch", NULL);
		sb_json_obj_end(j);
		return;
	}
	sb_waves_compute(l->grid[0] * l->grid[1] * l->grid[2], l->sms,
	    l->ctas_per_sm, &w);
	sb_json_obj_begin(j, "launch");
	sb_json_str(j, "name", l->name);
	sb_json_arr_begin(j, "grid");
	for (int d = 0; d < 3; d++)
		sb_json_int(j, NULL, l->grid[d]);
	sb_json_arr_end(j);
	sb_json_arr_begin(j, "block");
	for (int d = 0; d < 3; d++)
		sb_json_int(j, NULL, l->block[d]);
	sb_json_arr_end(j);
	sb_json_int(j, "regs", l->regs);
	sb_json_int(j, "static_smem", l->static_smem);
	sb_json_int(j, "dyn_smem", l->dyn_smem);
	sb_json_int(j, "local_bytes", l->local_bytes);
	sb_json_int(j, "ctas_per_sm", l->ctas_per_sm);
	sb_json_int(j, "sms", l->sms);
	sb_json_int(j, "ctas", w.ctas);
	sb_json_num(j, "waves", w.waves);
	sb_json_int(j, "tail_ctas", w.tail_ctas);
	sb_json_num(j, "tail_util", w.tail_util);
	sb_json_num(j, "efficiency", w.efficiency);
	sb_json_obj_end(j);
	sb_json_obj_end(j);
}

static int
execute(struct gemm_args *a, int argc, char **argv)
{
	struct sb_gemm_selection sel;
	struct sb_shape_list sizes;
	struct sb_gemm_plan plan = { 0, NULL };
	enum sb_layout layouts[SB_LAYOUT_COUNT];
	struct sb_gemm_bench *bench = NULL;
	struct sb_device dev;
	struct sb_json j;
	struct row *rows = NULL;
	struct db *db = NULL;
	const char *path = sb_db_path(a->db);
	char err[1024], uuid[40], device[128];
	int64_t run_id = 0;
	int nlayouts = 0, rc = SB_EXIT_OK, any_failed = 0, done = 0, tty;
	int counts[4] = { 0, 0, 0, 0 };	/* ok, skipped, mismatch, failed */

	/* everything is validated before the database is touched */
	if (sb_gemm_parse_kernels(a->kernels != NULL ? a->kernels : "*",
	    a->types, &sel, err, sizeof(err)) != 0 ||
	    (a->out_given && sb_gemm_check_out(&sel, a->out, err,
	    sizeof(err)) != 0) ||
	    sb_gemm_parse_layouts(a->layouts, layouts, &nlayouts, err,
	    sizeof(err)) != 0 ||
	    sb_gemm_parse_sizes(a->sizes, &sizes, err, sizeof(err)) != 0 ||
	    sb_gemm_plan_build(&plan, &sel, layouts, nlayouts, &sizes, a->pad,
	    a->out, err, sizeof(err)) != 0)
		return sb_usage("gemm", "%s", err);
	for (int i = 0; i < sel.count; i++)
		if (sel.k[i].s8 != NULL && nlayouts > 1) {
			fprintf(stderr, "stepbench gemm: note: the s8 kernels "
			    "run at layout nt only (int8 tensor cores take "
			    "K-major operands); they are left out of the "
			    "other layouts\n");
			break;
		}
	if ((rows = calloc((size_t)plan.count, sizeof(*rows))) == NULL) {
		sb_gemm_plan_free(&plan);
		return sb_fail("gemm", "out of memory");
	}
	sb_device_probe(&dev);
	if (dev.gpu_count == 0)
		fprintf(stderr, "stepbench gemm: no GPU (%s): every point is "
		    "stored as skipped\n", dev.no_gpu_reason);
	if ((db = sb_db_open_cli("gemm", path, DB_OPEN_WRITE)) == NULL) {
		rc = SB_EXIT_USAGE;
		goto out;
	}
	if ((rc = sb_cli_run_begin("gemm", db, &dev, argc, argv, a->label,
	    a->note, plan.count, uuid, &run_id)) != 0)
		goto out;
	if (sb_gemm_bench_create(&bench, &dev)) {
		rc = sb_fail("gemm", "out of memory");
		db_run_end(db, run_id, "failed");
		goto out;
	}
	sb_cli_catch_interrupts();
	prof_init();
	tty = isatty(STDERR_FILENO);
	if (!a->json)
		table_header(stdout);
	{
		char mark[256];

		snprintf(mark, sizeof(mark), "run %lld%s%s", (long long)run_id,
		    a->label != NULL ? " label " : "",
		    a->label != NULL ? a->label : "");
		prof_sweep_begin("gemm", run_id, mark);
	}
	for (int i = 0; i < plan.count && !sb_engine_interrupted; i++) {
		const struct sb_gemm_point *pt = &plan.points[i];
		struct sb_outcome o;
		int er;

		if (tty)
			fprintf(stderr, "\r\033[K[%d/%d] %s %lldx%lldx%lld",
			    i + 1, plan.count, pt->id, (long long)pt->m,
			    (long long)pt->n, (long long)pt->k);
		er = sb_gemm_bench_run(bench, pt, &a->eo, &o);
		if (tty)
			fputs("\r\033[K", stderr);
		if (er == 1) {		/* interrupted mid-point */
			sb_outcome_free(&o);
			break;
		}
		if (db_result_add(db, run_id, &o.r)) {
			rc = sb_fail("gemm", "%s", db_errmsg(db));
			sb_outcome_free(&o);
			break;
		}
		keep(&rows[i], &o);
		done++;
		if (strcmp(o.r.status, "ok") == 0)
			counts[0]++;
		else if (strcmp(o.r.status, "skipped") == 0)
			counts[1]++;
		else {
			counts[strcmp(o.r.status, "mismatch") == 0 ? 2 : 3]++;
			any_failed = 1;
		}
		if (!a->json) {
			table_row(stdout, pt, &rows[i], pct_of(&plan, rows, i));
			fflush(stdout);
		}
		sb_outcome_free(&o);
		if (er < 0) {
			rc = sb_fail("gemm", "the GPU is in an unrecoverable "
			    "error state (see the failed point); run the rest "
			    "in a new process");
			break;
		}
	}
	prof_pop();
	fprintf(stderr, "%d point%s measured: %d ok, %d skipped, %d mismatch, "
	    "%d failed\n", done, done == 1 ? "" : "s", counts[0], counts[1],
	    counts[2], counts[3]);
	if (sb_engine_interrupted) {
		db_run_end(db, run_id, "aborted");
		fprintf(stderr, "stepbench gemm: interrupted; run %s is marked "
		    "aborted\n", uuid);
		rc = SB_EXIT_INTR;
	} else if (db_run_end(db, run_id, rc != 0 || any_failed ? "failed" :
	    "ok")) {
		rc = sb_fail("gemm", "%s", db_errmsg(db));
	} else {
		fprintf(stderr, "run %s stored in %s; 'stepbench export "
		    "%.8s -' prints it\n", uuid, path, uuid);
		if (rc == 0 && any_failed)
			rc = SB_EXIT_FAIL;
	}
	if (a->json) {
		sb_device_label(&dev, device, sizeof(device));
		sb_json_init(&j);
		sb_json_obj_begin(&j, NULL);
		sb_json_str(&j, "run", uuid);
		sb_json_str(&j, "db", path);
		sb_json_str(&j, "device", device);
		sb_json_int(&j, "planned_points", plan.count);
		sb_json_arr_begin(&j, "points");
		for (int i = 0; i < done; i++)
			json_point(&j, &plan.points[i], &rows[i],
			    pct_of(&plan, rows, i));
		sb_json_arr_end(&j);
		sb_json_obj_end(&j);
		if (sb_json_text(&j) != NULL)
			printf("%s\n", sb_json_text(&j));
		else
			rc = sb_fail("gemm", "out of memory for the JSON");
		sb_json_free(&j);
	}
out:
	sb_gemm_bench_destroy(bench);
	free(rows);
	sb_gemm_plan_free(&plan);
	db_close(db);
	return rc;
}

int
cmd_gemm(int argc, char **argv)
{
	struct gemm_args a;
	int rc;

	if ((rc = parse_args(argc, argv, &a)) != 0)
		return rc < 0 ? SB_EXIT_OK : rc;
	/* argv here starts at "gemm": store the whole command line */
	return execute(&a, argc + 1, argv - 1);
}
