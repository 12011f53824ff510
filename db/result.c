/*
 * db/result.c — storing one finished plan point: the result row with its
 * raw samples, phase medians, loss curve (with the fp32 reference curve),
 * loss-scale trajectory and launch facts, all in one transaction so a
 * point is either wholly in the file or not at all.
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
	return (check_scaler(db, r));
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
	    "quant_sat_act, quant_sat_weight) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	    "?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, "
	    "?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38, ?39, "
	    "?40, ?41, ?42, ?43, ?44, ?45, coalesce(?46, " DB_NOW_SQL "), "
	    DB_NOW_SQL ", ?47, ?48, ?49, ?50, ?51, ?52, ?53, ?54, ?55)",
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
	    insert_launches(db, id, r) == -1)
		goto out;
	if (db_commit(db, "storing a result") == -1)
		goto out;
	ret = 0;
out:
	if (ret == -1)
		db_rollback(db);
	return (ret);
}
