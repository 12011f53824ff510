/*
 * db/result.c — storing one finished plan point: the result row with its
 * raw samples, phase medians, loss curve (with the fp32 reference curve),
 * loss-scale trajectory, launch facts, for a data-parallel row its
 * all-reduces (comm), and the kernels CUPTI traced (kernel), all in one
 * transaction so a point is either wholly in the file or not at all.
 * Values the schema's CHECKs would refuse are refused here first, with the
 * field and the value named.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "db_int.h"

static int	check_result(struct db *, const struct db_result *);
static int	insert_result(struct db *, int64_t, const struct db_result *,
		    int64_t *);
static int	insert_samples(struct db *, int64_t, const struct db_result *);
static int	insert_phases(struct db *, int64_t, const struct db_result *);
static int	insert_curve(struct db *, int64_t, const struct db_result *);
static int	insert_launches(struct db *, int64_t,
		    const struct db_result *);
static int	check_scaler(struct db *, const struct db_result *);
static int	insert_scaler(struct db *, int64_t, const struct db_result *);
static int	check_dp(struct db *, const struct db_result *);
static int	check_comm(struct db *, const struct db_result *);
static int	insert_comm(struct db *, int64_t, const struct db_result *);
static int	check_v6(struct db *, const struct db_result *);
static int	check_kernels(struct db *, const struct db_result *);
static int	insert_kernels(struct db *, int64_t, const struct db_result *);

/* The caller's arrays must match their counts; a mismatch is a bug that
 * would otherwise read out of bounds or store a truncated point. */
static int
check_result(struct db *db, const struct db_result *r)
{
	const char	*bad = NULL;

	if (r->status == NULL)
		bad = "status is NULL";
	else if (r->point_idx < 0)
		bad = "point_idx is negative";
	else if (r->nsamples < 0 || (r->nsamples > 0 && r->samples_us == NULL))
		bad = "nsamples/samples_us do not match";
	else if (r->nphases < 0 || (r->nphases > 0 && r->phases == NULL))
		bad = "nphases/phases do not match";
	else if (r->nsteps < 0 || (r->nsteps > 0 && r->loss_curve == NULL))
		bad = "nsteps/loss_curve do not match";
	else if (r->nlaunch_info < 0 ||
	    (r->nlaunch_info > 0 && r->launch_info == NULL))
		bad = "nlaunch_info/launch_info do not match";
	else if (r->launches < 0 || r->graph_nodes < 0)
		bad = "launches or graph_nodes is negative (0 means unknown)";
	else if (r->nsteps > 0 && r->scale_curve == NULL &&
	    (r->skipped_curve != NULL || r->growth_curve != NULL))
		bad = "skipped_curve or growth_curve without scale_curve";
	else if (r->nsteps > 0 && r->scale_curve != NULL &&
	    r->skipped_curve == NULL)
		bad = "scale_curve without skipped_curve (a trajectory says "
		    "which steps were skipped)";
	else if (r->ref_loss_curve != NULL && r->loss_divergence < 0)
		bad = "loss_divergence is negative (it is a largest |relative "
		    "difference|; NaN means not measured)";
	else if (r->quant && (r->quant_per_channel < 0 ||
	    r->quant_per_channel > 1)) {
		db_seterr(db, "storing point %d: quant_per_channel is %d, not "
		    "0 (per tensor) or 1 (per channel); this is a bug in the "
		    "caller", r->point_idx, r->quant_per_channel);
		return (-1);
	} else if (r->quant && (r->quant_err_sym < 0 ||
	    r->quant_err_affine < 0)) {
		db_seterr(db, "storing point %d: a quantisation error is "
		    "negative (quant_err_sym %g, quant_err_affine %g; each is "
		    "a relative error, NaN means not measured); this is a bug "
		    "in the caller", r->point_idx, r->quant_err_sym,
		    r->quant_err_affine);
		return (-1);
	}
	if (bad != NULL) {
		db_seterr(db, "storing point %d: %s; this is a bug in the "
		    "caller", r->point_idx, bad);
		return (-1);
	}
	if (check_scaler(db, r) == -1 || check_dp(db, r) == -1 ||
	    check_comm(db, r) == -1 || check_v6(db, r) == -1)
		return (-1);
	return (check_kernels(db, r));
}

/* s is NULL or one of the NULL-terminated list. */
static int
one_of(const char *s, const char *const *list)
{
	if (s == NULL)
		return (1);
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return (1);
	return (0);
}

/*
 * The dp_* fields of a data-parallel row (dp = 0 stores them NULL, so
 * they are not looked at; comm rows without dp are refused).  Strings
 * from their lists, flags 0/1 (< 0: not known), times and caps >= 0,
 * the hidden fraction in [0, 1]; NaN is "not measured" throughout.
 */
static int
check_dp(struct db *db, const struct db_result *r)
{
	static const char *const backends[] = { "nccl", "mpi", NULL };
	static const char *const dtypes[] = { "f32", "f16", "bf16", NULL };
	static const char *const ops[] = { "sum", "avg", NULL };
	const struct {
		const char	*name;
		double		 v;
	} nonneg[] = {
		{ "dp_bucket_cap", r->dp_bucket_cap },
		{ "dp_first_bucket", r->dp_first_bucket },
		{ "dp_compute_us", r->dp_compute_us },
		{ "dp_comm_us", r->dp_comm_us },
		{ "dp_exposed_us", r->dp_exposed_us },
	};
	size_t	i;

	if (r->ncomm < 0 || (r->ncomm > 0 && r->comm == NULL)) {
		db_seterr(db, "storing point %d: ncomm is %d and comm is %s; "
		    "they do not match; this is a bug in the caller",
		    r->point_idx, r->ncomm, r->comm == NULL ? "NULL" : "set");
		return (-1);
	}
	if (!r->dp) {
		if (r->ncomm > 0) {
			db_seterr(db, "storing point %d: %d comm rows but dp "
			    "is 0; all-reduce rows belong to a data-parallel "
			    "result (set dp = 1, or ncomm = 0); this is a bug "
			    "in the caller", r->point_idx, r->ncomm);
			return (-1);
		}
		return (0);
	}
	if (r->dp != 1) {
		db_seterr(db, "storing point %d: dp is %d; give 1 (a "
		    "data-parallel row) or 0; this is a bug in the caller",
		    r->point_idx, r->dp);
		return (-1);
	}
	if (!one_of(r->dp_backend, backends) ||
	    !one_of(r->dp_compress, dtypes) || !one_of(r->dp_op, ops)) {
		db_seterr(db, "storing point %d: dp_backend '%s', dp_compress "
		    "'%s', dp_op '%s': valid are nccl|mpi, f32|f16|bf16, "
		    "sum|avg (or NULL); this is a bug in the caller",
		    r->point_idx, r->dp_backend ? r->dp_backend : "(null)",
		    r->dp_compress ? r->dp_compress : "(null)",
		    r->dp_op ? r->dp_op : "(null)");
		return (-1);
	}
	if (r->dp_overlap > 1 || r->dp_inplace > 1) {
		db_seterr(db, "storing point %d: dp_overlap %d, dp_inplace "
		    "%d: each is 1, 0 or < 0 (not known); this is a bug in "
		    "the caller", r->point_idx, r->dp_overlap, r->dp_inplace);
		return (-1);
	}
	for (i = 0; i < sizeof(nonneg) / sizeof(nonneg[0]); i++) {
		if (nonneg[i].v < 0) {
			db_seterr(db, "storing point %d: %s is %g; it is >= 0 "
			    "(NaN: not measured); this is a bug in the caller",
			    r->point_idx, nonneg[i].name, nonneg[i].v);
			return (-1);
		}
	}
	if (r->dp_overlap_frac < 0 || r->dp_overlap_frac > 1) {
		db_seterr(db, "storing point %d: dp_overlap_frac is %g; the "
		    "hidden share of the communication is in [0, 1] (NaN: "
		    "not measured); this is a bug in the caller",
		    r->point_idx, r->dp_overlap_frac);
		return (-1);
	}
	return (0);
}

/* Each all-reduce row: a bucket >= 0 (duplicates are caught on insert),
 * bytes, times and bandwidths >= 0, layer_lo <= layer_hi when both are
 * known. */
static int
check_comm(struct db *db, const struct db_result *r)
{
	const struct db_comm	*c;
	const char		*bad;
	double			 v;
	int			 j;

	for (j = 0; j < r->ncomm; j++) {
		c = &r->comm[j];
		bad = NULL;
		v = 0;
		if (c->bucket < 0)
			bad = "bucket", v = c->bucket;
		else if (c->bytes < 0)
			bad = "bytes", v = (double)c->bytes;
		else if (c->median_us < 0)
			bad = "median_us", v = c->median_us;
		else if (c->min_us < 0)
			bad = "min_us", v = c->min_us;
		else if (c->algbw_gbps < 0)
			bad = "algbw_gbps", v = c->algbw_gbps;
		else if (c->busbw_gbps < 0)
			bad = "busbw_gbps", v = c->busbw_gbps;
		if (bad != NULL) {
			db_seterr(db, "storing point %d: comm[%d].%s is %g; it "
			    "is >= 0 (NaN times: not measured); this is a bug "
			    "in the caller", r->point_idx, j, bad, v);
			return (-1);
		}
		if (c->layer_lo >= 0 && c->layer_hi >= 0 &&
		    c->layer_lo > c->layer_hi) {
			db_seterr(db, "storing point %d: comm[%d] has layer_lo "
			    "%d above layer_hi %d; give a bucket's lowest and "
			    "highest layer; this is a bug in the caller",
			    r->point_idx, j, c->layer_lo, c->layer_hi);
			return (-1);
		}
	}
	return (0);
}

/*
 * Every step of a trajectory must be one GradScaler can be in: a finite
 * scale above 0 (it only grows while the grown scale is finite), skipped
 * 0 or 1, and a growth tracker that is not negative.  Named here, with
 * the step and the value, rather than as a CHECK constraint's message.
 */
static int
check_scaler(struct db *db, const struct db_result *r)
{
	int	i;

	if (r->scale_curve == NULL)
		return (0);
	for (i = 0; i < r->nsteps; i++) {
		if (!isfinite(r->scale_curve[i]) || r->scale_curve[i] <= 0) {
			db_seterr(db, "storing point %d: scale_curve[%d] is %g; "
			    "a loss scale is finite and > 0; this is a bug in "
			    "the caller", r->point_idx, i, r->scale_curve[i]);
			return (-1);
		}
		if (r->skipped_curve[i] != 0 && r->skipped_curve[i] != 1) {
			db_seterr(db, "storing point %d: skipped_curve[%d] is "
			    "%d; give 1 (update skipped) or 0; this is a bug "
			    "in the caller", r->point_idx, i,
			    r->skipped_curve[i]);
			return (-1);
		}
		if (r->growth_curve != NULL && r->growth_curve[i] < 0) {
			db_seterr(db, "storing point %d: growth_curve[%d] is "
			    "%d; a count of good steps is >= 0; this is a bug "
			    "in the caller", r->point_idx, i,
			    r->growth_curve[i]);
			return (-1);
		}
	}
	return (0);
}

/* 16 lower-case hex digits: what harness/fingerprint.c prints. */
static int
is_fingerprint(const char *s)
{
	return (strlen(s) == 16 && strspn(s, "0123456789abcdef") == 16);
}

/*
 * The v6 result fields.  cupti is NULL or a non-empty note.  The CUPTI
 * counts and times need no check: as db.h says, 0, -1 and NaN are "not
 * known" and stored NULL (a caller that knows nothing of v6 leaves them
 * 0), so only a value > 0 is stored.  The fingerprint is both or
 * neither, the hash 16 lower-case hex digits and the JSON an object,
 * judged by SQLite's parser so that what passes here passes the CHECK.
 */
static int
check_v6(struct db *db, const struct db_result *r)
{
	sqlite3_stmt	*st = NULL;
	int		 ret = -1;

	if (r->cupti != NULL && r->cupti[0] == '\0') {
		db_seterr(db, "storing point %d: cupti is ''; give \"ok\", "
		    "\"off: <why>\" or \"unavailable: <why>\", or NULL for a "
		    "row that is not a GPU step; this is a bug in the caller",
		    r->point_idx);
		return (-1);
	}
	if ((r->fingerprint == NULL) != (r->fingerprint_json == NULL)) {
		db_seterr(db, "storing point %d: fingerprint is %s but "
		    "fingerprint_json is %s; the hash and the JSON it hashes "
		    "go together (give both or neither); this is a bug in the "
		    "caller", r->point_idx, r->fingerprint == NULL ? "NULL" :
		    "set", r->fingerprint_json == NULL ? "NULL" : "set");
		return (-1);
	}
	if (r->fingerprint == NULL)
		return (0);
	if (!is_fingerprint(r->fingerprint)) {
		db_seterr(db, "storing point %d: fingerprint '%s' is not 16 "
		    "lower-case hex digits (FNV-1a 64 of fingerprint_json, "
		    "e.g. 0123456789abcdef); this is a bug in the caller",
		    r->point_idx, r->fingerprint);
		return (-1);
	}
	if (db_prepare(db, &st, "SELECT CASE WHEN json_valid(?1) THEN "
	    "json_type(?1) = 'object' ELSE 0 END", "checking a result's "
	    "fingerprint_json") == -1)
		goto out;
	if (db_bind_text(st, 1, r->fingerprint_json) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		DB_FAIL(db, "checking a result's fingerprint_json");
		goto out;
	}
	if (sqlite3_column_int(st, 0) != 1) {
		db_seterr(db, "storing point %d: fingerprint_json is not a "
		    "JSON object (it starts '%.40s'); this is a bug in the "
		    "caller", r->point_idx, r->fingerprint_json);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return (ret);
}

/* Each kernel row: idx >= 0 (duplicates are caught on insert), a known
 * kind, times >= 0 (NaN: not measured).  Negative sizes and ids are "not
 * known" and stored NULL. */
static int
check_kernels(struct db *db, const struct db_result *r)
{
	static const char *const	 kinds[] = { "kernel", "memset",
	    "memcpy", NULL };
	const struct db_kernel		*k;
	int				 j;

	if (r->nkernels < 0 || (r->nkernels > 0 && r->kernels == NULL)) {
		db_seterr(db, "storing point %d: nkernels is %d and kernels is "
		    "%s; they do not match; this is a bug in the caller",
		    r->point_idx, r->nkernels, r->kernels == NULL ? "NULL" :
		    "set");
		return (-1);
	}
	for (j = 0; j < r->nkernels; j++) {
		k = &r->kernels[j];
		if (k->kind == NULL || !one_of(k->kind, kinds)) {
			db_seterr(db, "storing point %d: kernels[%d].kind is "
			    "'%s'; give kernel, memset or memcpy; this is a "
			    "bug in the caller", r->point_idx, j,
			    k->kind != NULL ? k->kind : "(null)");
			return (-1);
		}
		if (k->idx < 0) {
			db_seterr(db, "storing point %d: kernels[%d].idx is %d; "
			    "it is the record's place in the step, from 0; "
			    "this is a bug in the caller", r->point_idx, j,
			    k->idx);
			return (-1);
		}
		if (k->duration_us < 0 || k->start_us < 0) {
			db_seterr(db, "storing point %d: kernels[%d] ('%s') has "
			    "duration_us %g, start_us %g; each is >= 0 (NaN: "
			    "not measured); this is a bug in the caller",
			    r->point_idx, j, k->name != NULL ? k->name :
			    "(null)", k->duration_us, k->start_us);
			return (-1);
		}
	}
	return (0);
}

static int
insert_result(struct db *db, int64_t run_id, const struct db_result *r,
    int64_t *id)
{
	const char	*what = "storing a result";
	sqlite3_stmt	*st = NULL;
	int		 ret = -1, rc, i = 1, bad = 0;

	if (db_prepare(db, &st, "INSERT INTO result (run_id, point_idx, "
	    "variant, mode, precision, impl, m, n, k, layers, world, graph, "
	    "l2_flush, input_grad, status, reason, nsamples, warmup, reps, "
	    "median_us, mean_us, min_us, max_us, p10_us, p90_us, cv, "
	    "stop_reason, flops, bytes, tflops, gbps, peak_tflops, peak_gbps, "
	    "over_peak, err_y, err_loss, err_dw, err_db, err_w, err_dx, tol, "
	    "check_mode, err_recheck, loss, nsteps, started_at, ended_at, "
	    "layout, launches, graph_nodes, loss_divergence, "
	    "quant_per_channel, quant_err_sym, quant_err_affine, "
	    "quant_sat_act, quant_sat_weight, dp_backend, dp_bucket_cap, "
	    "dp_first_bucket, dp_overlap, dp_compress, dp_op, dp_inplace, "
	    "dp_compute_us, dp_comm_us, dp_exposed_us, dp_overlap_frac, "
	    "dp_overhead, cupti, cupti_steps, cupti_launches, cupti_kernel_us, "
	    "cupti_event_us, fingerprint, fingerprint_json) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	    "?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, "
	    "?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38, ?39, "
	    "?40, ?41, ?42, ?43, ?44, ?45, coalesce(?46, " DB_NOW_SQL "), "
	    DB_NOW_SQL ", ?47, ?48, ?49, ?50, ?51, ?52, ?53, ?54, ?55, ?56, "
	    "?57, ?58, ?59, ?60, ?61, ?62, ?63, ?64, ?65, ?66, ?67, ?68, ?69, "
	    "?70, ?71, ?72, ?73, ?74)",
	    what) == -1)
		goto out;

	/* In column order; i counts the parameters. */
#define BI(v)	bad |= sqlite3_bind_int64(st, i++, (v)) != SQLITE_OK
#define BT(v)	bad |= db_bind_text(st, i++, (v)) != SQLITE_OK
#define BR(v)	bad |= db_bind_real(st, i++, (v)) != SQLITE_OK
	BI(run_id);
	BI(r->point_idx);
	BT(r->variant);
	BT(r->mode);
	BT(r->precision);
	BT(r->impl);
	BI(r->m);
	BI(r->n);
	BI(r->k);
	BI(r->layers);
	BI(r->world);
	BI(r->graph);
	BI(r->l2_flush);
	BI(r->input_grad);
	BT(r->status);
	BT(r->reason);
	BI(r->nsamples);
	BI(r->warmup);
	BI(r->reps);
	BR(r->median_us);
	BR(r->mean_us);
	BR(r->min_us);
	BR(r->max_us);
	BR(r->p10_us);
	BR(r->p90_us);
	BR(r->cv);
	BT(r->stop_reason);
	BR(r->flops);
	BR(r->bytes);
	BR(r->tflops);
	BR(r->gbps);
	BR(r->peak_tflops);
	BR(r->peak_gbps);
	BI(r->over_peak);
	BR(r->err_y);
	BR(r->err_loss);
	BR(r->err_dw);
	BR(r->err_db);
	BR(r->err_w);
	BR(r->err_dx);
	BR(r->tol);
	BT(r->check_mode);
	BR(r->err_recheck);
	BR(r->loss);
	BI(r->nsteps);
	BT(r->started_at);
	BT(r->layout);
	/* 0 = not known */
	bad |= (r->launches > 0 ? sqlite3_bind_int64(st, i, r->launches) :
	    sqlite3_bind_null(st, i)) != SQLITE_OK;
	i++;
	bad |= (r->graph_nodes > 0 ? sqlite3_bind_int64(st, i,
	    r->graph_nodes) : sqlite3_bind_null(st, i)) != SQLITE_OK;
	i++;
	/* Measured only against a reference curve: callers that know
	 * nothing of v3 leave it 0, which must not read as "no
	 * divergence". */
	bad |= (r->ref_loss_curve != NULL ? db_bind_real(st, i,
	    r->loss_divergence) : sqlite3_bind_null(st, i)) != SQLITE_OK;
	i++;
	/* v4: NULL unless an int8dyn row; a count < 0 is "not counted" */
#define BQ(ok, bind) do {						\
	bad |= (r->quant && (ok) ? (bind) : sqlite3_bind_null(st, i))	\
	    != SQLITE_OK;						\
	i++;								\
} while (0)
	BQ(1, sqlite3_bind_int64(st, i, r->quant_per_channel));
	BQ(1, db_bind_real(st, i, r->quant_err_sym));
	BQ(1, db_bind_real(st, i, r->quant_err_affine));
	BQ(r->quant_sat_act >= 0, sqlite3_bind_int64(st, i,
	    r->quant_sat_act));
	BQ(r->quant_sat_weight >= 0, sqlite3_bind_int64(st, i,
	    r->quant_sat_weight));
#undef BQ
	/* v5: NULL unless a data-parallel row (check_dp() vetted them);
	 * db_bind_text/real store NULL strings and NaN as NULL, and a
	 * flag < 0 is "not known" */
#define BD(ok, bind) do {						\
	bad |= (r->dp && (ok) ? (bind) : sqlite3_bind_null(st, i))	\
	    != SQLITE_OK;						\
	i++;								\
} while (0)
	BD(1, db_bind_text(st, i, r->dp_backend));
	BD(1, db_bind_real(st, i, r->dp_bucket_cap));
	BD(1, db_bind_real(st, i, r->dp_first_bucket));
	BD(r->dp_overlap >= 0, sqlite3_bind_int(st, i, r->dp_overlap));
	BD(1, db_bind_text(st, i, r->dp_compress));
	BD(1, db_bind_text(st, i, r->dp_op));
	BD(r->dp_inplace >= 0, sqlite3_bind_int(st, i, r->dp_inplace));
	BD(1, db_bind_real(st, i, r->dp_compute_us));
	BD(1, db_bind_real(st, i, r->dp_comm_us));
	BD(1, db_bind_real(st, i, r->dp_exposed_us));
	BD(1, db_bind_real(st, i, r->dp_overlap_frac));
	BD(1, db_bind_real(st, i, r->dp_overhead));
#undef BD
	/* v6: check_v6() vetted them; counts and times <= 0 (and NaN,
	 * which is not > 0) are "not known" */
	BT(r->cupti);
	bad |= (r->cupti_steps > 0 ? sqlite3_bind_int(st, i,
	    r->cupti_steps) : sqlite3_bind_null(st, i)) != SQLITE_OK;
	i++;
	bad |= (r->cupti_launches > 0 ? sqlite3_bind_int64(st, i,
	    r->cupti_launches) : sqlite3_bind_null(st, i)) != SQLITE_OK;
	i++;
	bad |= (r->cupti_kernel_us > 0 ? sqlite3_bind_double(st, i,
	    r->cupti_kernel_us) : sqlite3_bind_null(st, i)) != SQLITE_OK;
	i++;
	bad |= (r->cupti_event_us > 0 ? sqlite3_bind_double(st, i,
	    r->cupti_event_us) : sqlite3_bind_null(st, i)) != SQLITE_OK;
	i++;
	BT(r->fingerprint);
	BT(r->fingerprint_json);
#undef BI
#undef BT
#undef BR
	if (bad || i != sqlite3_bind_parameter_count(st) + 1) {
		DB_FAIL(db, "%s: binding its columns", what);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT_UNIQUE) {
		db_seterr(db, "%s: point %d of run %lld already has a result "
		    "in '%s'; resume skips finished points, so this is a bug "
		    "in the caller", what, r->point_idx, (long long)run_id,
		    db->path);
		goto out;
	}
	if (rc != SQLITE_DONE) {
		DB_FAIL(db, "%s: inserting point %d", what, r->point_idx);
		goto out;
	}
	*id = sqlite3_last_insert_rowid(db->h);
	ret = 0;
out:
	sqlite3_finalize(st);
	return (ret);
}

static int
insert_samples(struct db *db, int64_t id, const struct db_result *r)
{
	const char	*what = "storing a result's samples";
	sqlite3_stmt	*st = NULL;
	int		 i, ret = -1;

	if (r->nsamples == 0)
		return (0);
	if (db_prepare(db, &st, "INSERT INTO sample (result_id, idx, time_us) "
	    "VALUES (?1, ?2, ?3)", what) == -1)
		goto out;
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
		DB_FAIL(db, "%s: binding", what);
		goto out;
	}
	for (i = 0; i < r->nsamples; i++) {
		if (sqlite3_bind_int(st, 2, i) != SQLITE_OK ||
		    db_bind_real(st, 3, r->samples_us[i]) != SQLITE_OK) {
			DB_FAIL(db, "%s: binding sample %d", what, i);
			goto out;
		}
		if (sqlite3_step(st) != SQLITE_DONE) {
			DB_FAIL(db, "%s: inserting sample %d", what, i);
			goto out;
		}
		if (sqlite3_reset(st) != SQLITE_OK) {
			DB_FAIL(db, "%s: resetting", what);
			goto out;
		}
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return (ret);
}

static int
insert_phases(struct db *db, int64_t id, const struct db_result *r)
{
	const char	*what = "storing a result's phases";
	sqlite3_stmt	*st = NULL;
	int		 i, ret = -1, rc;

	if (r->nphases == 0)
		return (0);
	if (db_prepare(db, &st, "INSERT INTO phase (result_id, name, "
	    "median_us) VALUES (?1, ?2, ?3)", what) == -1)
		goto out;
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
		DB_FAIL(db, "%s: binding", what);
		goto out;
	}
	for (i = 0; i < r->nphases; i++) {
		if (r->phases[i].name == NULL) {
			db_seterr(db, "%s: phase %d has no name; this is a bug "
			    "in the caller", what, i);
			goto out;
		}
		if (db_bind_text(st, 2, r->phases[i].name) != SQLITE_OK ||
		    db_bind_real(st, 3, r->phases[i].median_us) != SQLITE_OK) {
			DB_FAIL(db, "%s: binding phase %d", what, i);
			goto out;
		}
		rc = sqlite3_step(st);
		if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
			db_seterr(db, "%s: phase '%s' appears twice; this is a "
			    "bug in the caller", what, r->phases[i].name);
			goto out;
		}
		if (rc != SQLITE_DONE) {
			DB_FAIL(db, "%s: inserting phase '%s'", what,
			    r->phases[i].name);
			goto out;
		}
		if (sqlite3_reset(st) != SQLITE_OK) {
			DB_FAIL(db, "%s: resetting", what);
			goto out;
		}
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return (ret);
}

/* lr_curve and ref_loss_curve may be NULL (not recorded): lr and
 * ref_loss are then NULL. */
static int
insert_curve(struct db *db, int64_t id, const struct db_result *r)
{
	const char	*what = "storing a result's loss curve";
	sqlite3_stmt	*st = NULL;
	int		 i, ret = -1;

	if (r->nsteps == 0)
		return (0);
	if (db_prepare(db, &st, "INSERT INTO loss_curve (result_id, step, "
	    "loss, lr, ref_loss) VALUES (?1, ?2, ?3, ?4, ?5)", what) == -1)
		goto out;
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
		DB_FAIL(db, "%s: binding", what);
		goto out;
	}
	for (i = 0; i < r->nsteps; i++) {
		if (sqlite3_bind_int(st, 2, i) != SQLITE_OK ||
		    db_bind_real(st, 3, r->loss_curve[i]) != SQLITE_OK ||
		    (r->lr_curve != NULL ? db_bind_real(st, 4, r->lr_curve[i]) :
		    sqlite3_bind_null(st, 4)) != SQLITE_OK ||
		    (r->ref_loss_curve != NULL ? db_bind_real(st, 5,
		    r->ref_loss_curve[i]) : sqlite3_bind_null(st, 5)) !=
		    SQLITE_OK) {
			DB_FAIL(db, "%s: binding step %d", what, i);
			goto out;
		}
		if (sqlite3_step(st) != SQLITE_DONE) {
			DB_FAIL(db, "%s: inserting step %d", what, i);
			goto out;
		}
		if (sqlite3_reset(st) != SQLITE_OK) {
			DB_FAIL(db, "%s: resetting", what);
			goto out;
		}
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return (ret);
}

/* Binds v, or NULL when v < lo (not known). */
static int
bind_min(sqlite3_stmt *st, int i, int64_t v, int64_t lo)
{
	return (v >= lo ? sqlite3_bind_int64(st, i, v) :
	    sqlite3_bind_null(st, i));
}

static int
insert_launches(struct db *db, int64_t id, const struct db_result *r)
{
	const char		*what = "storing a result's launch facts";
	const struct db_launch	*l;
	sqlite3_stmt		*st = NULL;
	int			 j, c, ret = -1, rc, bad;

	if (r->nlaunch_info == 0)
		return (0);
	if (db_prepare(db, &st, "INSERT INTO launch_info (result_id, idx, "
	    "role, layer, layout, m, n, k, name, grid_x, grid_y, grid_z, "
	    "block_x, block_y, block_z, dyn_smem, regs, static_smem, "
	    "local_bytes, max_threads, ptx_version, binary_version, "
	    "ctas_per_sm, sms, waves, tail_util, efficiency) VALUES (?1, ?2, "
	    "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
	    "?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)", what) ==
	    -1)
		goto out;
	for (j = 0; j < r->nlaunch_info; j++) {
		l = &r->launch_info[j];
		if (l->role == NULL || l->role[0] == '\0' || l->name == NULL) {
			db_seterr(db, "%s: launch %d has no role or name; this "
			    "is a bug in the caller", what, j);
			goto out;
		}
		c = 1;
		bad = 0;
#define B(call)	bad |= (call) != SQLITE_OK
		B(sqlite3_bind_int64(st, c++, id));
		B(sqlite3_bind_int(st, c++, j));
		B(db_bind_text(st, c++, l->role));
		B(bind_min(st, c++, l->layer, 0));
		B(db_bind_text(st, c++, l->layout));
		B(bind_min(st, c++, l->m, 1));
		B(bind_min(st, c++, l->n, 1));
		B(bind_min(st, c++, l->k, 1));
		B(db_bind_text(st, c++, l->name));
		for (int d = 0; d < 3; d++)
			B(sqlite3_bind_int64(st, c++, l->grid[d]));
		for (int d = 0; d < 3; d++)
			B(sqlite3_bind_int64(st, c++, l->block[d]));
		B(bind_min(st, c++, l->dyn_smem, 0));
		B(bind_min(st, c++, l->regs, 0));
		B(bind_min(st, c++, l->static_smem, 0));
		B(bind_min(st, c++, l->local_bytes, 0));
		B(bind_min(st, c++, l->max_threads, 0));
		B(bind_min(st, c++, l->ptx_version, 0));
		B(bind_min(st, c++, l->binary_version, 0));
		B(bind_min(st, c++, l->ctas_per_sm, 0));
		B(bind_min(st, c++, l->sms, 1));
		B(db_bind_real(st, c++, l->waves));
		B(db_bind_real(st, c++, l->tail_util));
		B(db_bind_real(st, c++, l->efficiency));
#undef B
		if (bad || c != sqlite3_bind_parameter_count(st) + 1) {
			DB_FAIL(db, "%s: binding launch %d", what, j);
			goto out;
		}
		rc = sqlite3_step(st);
		if (rc == SQLITE_CONSTRAINT_CHECK) {
			db_seterr(db, "%s: launch %d ('%s', %s) breaks a "
			    "constraint (a negative grid or block size, or a "
			    "layout other than nt, tn, nn); this is a bug in "
			    "the caller", what, j, l->name, l->role);
			goto out;
		}
		if (rc != SQLITE_DONE) {
			DB_FAIL(db, "%s: inserting launch %d", what, j);
			goto out;
		}
		if (sqlite3_reset(st) != SQLITE_OK) {
			DB_FAIL(db, "%s: resetting", what);
			goto out;
		}
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return (ret);
}

/* One row per step of --steps, only for a result with a trajectory
 * (check_scaler() vetted the values). */
static int
insert_scaler(struct db *db, int64_t id, const struct db_result *r)
{
	const char	*what = "storing a result's loss-scale trajectory";
	sqlite3_stmt	*st = NULL;
	int		 i, ret = -1;

	if (r->scale_curve == NULL || r->nsteps == 0)
		return (0);
	if (db_prepare(db, &st, "INSERT INTO scaler (result_id, step, scale, "
	    "skipped, growth_tracker) VALUES (?1, ?2, ?3, ?4, ?5)", what) ==
	    -1)
		goto out;
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
		DB_FAIL(db, "%s: binding", what);
		goto out;
	}
	for (i = 0; i < r->nsteps; i++) {
		if (sqlite3_bind_int(st, 2, i) != SQLITE_OK ||
		    sqlite3_bind_double(st, 3, r->scale_curve[i]) !=
		    SQLITE_OK ||
		    sqlite3_bind_int(st, 4, r->skipped_curve[i]) !=
		    SQLITE_OK ||
		    (r->growth_curve != NULL ? sqlite3_bind_int(st, 5,
		    r->growth_curve[i]) : sqlite3_bind_null(st, 5)) !=
		    SQLITE_OK) {
			DB_FAIL(db, "%s: binding step %d", what, i);
			goto out;
		}
		if (sqlite3_step(st) != SQLITE_DONE) {
			DB_FAIL(db, "%s: inserting step %d", what, i);
			goto out;
		}
		if (sqlite3_reset(st) != SQLITE_OK) {
			DB_FAIL(db, "%s: resetting", what);
			goto out;
		}
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return (ret);
}

/* One row per all-reduce of a data-parallel result (check_comm() vetted
 * the values; negative nparams and layers are "not applicable": NULL). */
static int
insert_comm(struct db *db, int64_t id, const struct db_result *r)
{
	const char		*what = "storing a result's all-reduces";
	const struct db_comm	*c;
	sqlite3_stmt		*st = NULL;
	int			 j, k, rc, bad, ret = -1;

	if (r->ncomm == 0)
		return (0);
	if (db_prepare(db, &st, "INSERT INTO comm (result_id, bucket, "
	    "nparams, layer_hi, layer_lo, bytes, median_us, min_us, "
	    "algbw_gbps, busbw_gbps) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
	    "?9, ?10)", what) == -1)
		goto out;
	for (j = 0; j < r->ncomm; j++) {
		c = &r->comm[j];
		k = 1;
		bad = 0;
#define B(call)	bad |= (call) != SQLITE_OK
		B(sqlite3_bind_int64(st, k++, id));
		B(sqlite3_bind_int(st, k++, c->bucket));
		B(bind_min(st, k++, c->nparams, 0));
		B(bind_min(st, k++, c->layer_hi, 0));
		B(bind_min(st, k++, c->layer_lo, 0));
		B(sqlite3_bind_int64(st, k++, c->bytes));
		B(db_bind_real(st, k++, c->median_us));
		B(db_bind_real(st, k++, c->min_us));
		B(db_bind_real(st, k++, c->algbw_gbps));
		B(db_bind_real(st, k++, c->busbw_gbps));
#undef B
		if (bad || k != sqlite3_bind_parameter_count(st) + 1) {
			DB_FAIL(db, "%s: binding comm[%d]", what, j);
			goto out;
		}
		rc = sqlite3_step(st);
		if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
			db_seterr(db, "%s: bucket %d appears twice (comm[%d]); "
			    "each all-reduce of a result has its own bucket "
			    "number; this is a bug in the caller", what,
			    c->bucket, j);
			goto out;
		}
		if (rc != SQLITE_DONE) {
			DB_FAIL(db, "%s: inserting comm[%d] (bucket %d)", what,
			    j, c->bucket);
			goto out;
		}
		if (sqlite3_reset(st) != SQLITE_OK) {
			DB_FAIL(db, "%s: resetting", what);
			goto out;
		}
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return (ret);
}

/* One row per record of the traced step (check_kernels() vetted the
 * kinds and times; negative sizes and ids are "not known": NULL). */
static int
insert_kernels(struct db *db, int64_t id, const struct db_result *r)
{
	const char		*what = "storing a result's kernels";
	const struct db_kernel	*k;
	sqlite3_stmt		*st = NULL;
	int			 j, c, d, rc, bad, ret = -1;

	if (r->nkernels == 0)
		return (0);
	if (db_prepare(db, &st, "INSERT INTO kernel (result_id, idx, kind, "
	    "name, phase, stream, grid_x, grid_y, grid_z, block_x, block_y, "
	    "block_z, regs, static_smem, dyn_smem, local_bytes, bytes, "
	    "duration_us, start_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
	    "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)", what) ==
	    -1)
		goto out;
	for (j = 0; j < r->nkernels; j++) {
		k = &r->kernels[j];
		c = 1;
		bad = 0;
#define B(call)	bad |= (call) != SQLITE_OK
		B(sqlite3_bind_int64(st, c++, id));
		B(sqlite3_bind_int(st, c++, k->idx));
		B(db_bind_text(st, c++, k->kind));
		B(db_bind_text(st, c++, k->name));
		B(db_bind_text(st, c++, k->phase));
		B(bind_min(st, c++, k->stream, 0));
		for (d = 0; d < 3; d++)
			B(bind_min(st, c++, k->grid[d], 0));
		for (d = 0; d < 3; d++)
			B(bind_min(st, c++, k->block[d], 0));
		B(bind_min(st, c++, k->regs, 0));
		B(bind_min(st, c++, k->static_smem, 0));
		B(bind_min(st, c++, k->dyn_smem, 0));
		B(bind_min(st, c++, k->local_bytes, 0));
		B(bind_min(st, c++, k->bytes, 0));
		B(db_bind_real(st, c++, k->duration_us));
		B(db_bind_real(st, c++, k->start_us));
#undef B
		if (bad || c != sqlite3_bind_parameter_count(st) + 1) {
			DB_FAIL(db, "%s: binding kernels[%d]", what, j);
			goto out;
		}
		rc = sqlite3_step(st);
		if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
			db_seterr(db, "%s: idx %d appears twice (kernels[%d], "
			    "'%s'); each record of the step has its own idx; "
			    "this is a bug in the caller", what, k->idx, j,
			    k->name != NULL ? k->name : "(null)");
			goto out;
		}
		if (rc != SQLITE_DONE) {
			DB_FAIL(db, "%s: inserting kernels[%d]", what, j);
			goto out;
		}
		if (sqlite3_reset(st) != SQLITE_OK) {
			DB_FAIL(db, "%s: resetting", what);
			goto out;
		}
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return (ret);
}

int
db_result_add(struct db *db, int64_t run_id, const struct db_result *r)
{
	int64_t	id;
	int	ret = -1;

	if (check_result(db, r) == -1)
		goto out;
	if (db_begin(db, "storing a result") == -1)
		goto out;
	/* Checked inside the transaction: a clearer message than the
	 * foreign key's "FOREIGN KEY constraint failed". */
	if (db_run_check(db, run_id, "storing a result") == -1)
		goto out;
	if (insert_result(db, run_id, r, &id) == -1 ||
	    insert_samples(db, id, r) == -1 ||
	    insert_phases(db, id, r) == -1 ||
	    insert_curve(db, id, r) == -1 ||
	    insert_scaler(db, id, r) == -1 ||
	    insert_launches(db, id, r) == -1 ||
	    insert_comm(db, id, r) == -1 ||
	    insert_kernels(db, id, r) == -1)
		goto out;
	if (db_commit(db, "storing a result") == -1)
		goto out;
	ret = 0;
out:
	if (ret == -1)
		db_rollback(db);
	return (ret);
}
