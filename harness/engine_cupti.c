/*
 * harness/engine_cupti.c — CUPTI activity tracing of a GPU point for the
 * engine (engine.c calls sb_cupti_prepare before timing and
 * sb_cupti_trace after it): whether to trace, the traced steps, and their
 * records into the outcome's kernel rows.  The CUPTI calls themselves are
 * profiler/prof_cupti.h's; the aggregation is profiler/cupti_agg.h's.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_dp.h"
#include "engine_int.h"
#include "prof_cupti.h"
#include "stats.h"

static int	cupti_rows(struct sb_outcome *, const struct prof_cupti_agg *);

/*
 * CUPTI for a GPU point: whether its kernels will be traced after timing.
 * o->r.cupti says what was decided ("ok", "off: <why>", "unavailable:
 * <why>").  CUPTI is initialised here, before the timed loop, so that
 * every point's timed loop runs alike: with CUPTI loaded and idle.  Data
 * parallel: the ranks agree (all trace or none), since the traced steps
 * hold collectives.  Returns 1 to trace, 0 not to, -1 on failure (c->err).
 */
int
sb_cupti_prepare(struct sb_ctx *c, struct sb_outcome *o)
{
	const struct sb_engine_opts *op = c->opts;
	const size_t len = sizeof(o->cupti_note);
	char why[256], tool[160];
	const char *t;
	double ok;

	if (!op->cupti)
		snprintf(o->cupti_note, len, "off: --no-cupti");
	else if (op->cupti_steps <= 0)
		snprintf(o->cupti_note, len, "off: --cupti-steps 0");
	else if ((t = prof_tool_attached(getenv, tool, sizeof(tool))) != NULL)
		/* one CUPTI client per process: the tool's */
		snprintf(o->cupti_note, len, "off: %s is attached", t);
	else if (prof_cupti_init(why, sizeof(why)) != 0)
		snprintf(o->cupti_note, len, "unavailable: %s", why);
	else
		snprintf(o->cupti_note, len, "ok");
	o->r.cupti = o->cupti_note;
	ok = strcmp(o->cupti_note, "ok") == 0;
	if (c->dp != NULL) {
		int mine = ok != 0;

		if (sb_dp_agree(c, &ok, 1, SB_RED_MIN))
			return -1;
		if (mine && ok == 0)
			snprintf(o->cupti_note, len, "off: not available on "
			    "every rank of the data-parallel world");
	}
	return ok != 0;
}

/* The aggregated rows into o->kernels (names demangled, into one block
 * o->kernel_text).  0, or -1 out of memory. */
static int
cupti_rows(struct sb_outcome *o, const struct prof_cupti_agg *ag)
{
	static const char *const kinds[] = {
		[PROF_REC_KERNEL] = "kernel", [PROF_REC_MEMSET] = "memset",
		[PROF_REC_MEMCPY] = "memcpy",
	};
	char **names;
	size_t text = 0, at = 0;
	int rc = -1;

	if (ag->nrows == 0)
		return 0;
	if ((names = calloc((size_t)ag->nrows, sizeof(*names))) == NULL)
		return -1;
	for (int j = 0; j < ag->nrows; j++) {
		const struct prof_cupti_rec *r = ag->rows[j].rec;

		names[j] = r->kind == PROF_REC_KERNEL ? prof_demangle(r->name) :
		    strdup(r->name);
		if (names[j] == NULL)
			goto out;
		text += strlen(names[j]) + 1;
	}
	o->kernels = calloc((size_t)ag->nrows, sizeof(*o->kernels));
	o->kernel_text = malloc(text);
	if (o->kernels == NULL || o->kernel_text == NULL)
		goto out;
	for (int j = 0; j < ag->nrows; j++) {
		const struct prof_cupti_rec *r = ag->rows[j].rec;
		struct db_kernel *k = &o->kernels[j];
		size_t n = strlen(names[j]) + 1;

		memcpy(o->kernel_text + at, names[j], n);
		k->idx = j;
		k->kind = kinds[r->kind];
		k->name = o->kernel_text + at;
		at += n;
		/* a graph replay's kernels have no phase */
		k->phase = r->phase >= 0 && r->phase < SB_PH_COUNT ?
		    sb_phase_name((enum sb_phase)r->phase) : NULL;
		k->stream = r->stream;
		for (int d = 0; d < 3; d++) {
			k->grid[d] = r->grid[d];
			k->block[d] = r->block[d];
		}
		k->regs = r->regs;
		k->static_smem = r->static_smem;
		k->dyn_smem = r->dyn_smem;
		k->local_bytes = r->local_bytes;
		k->bytes = r->bytes;
		k->duration_us = ag->rows[j].duration_us;
		k->start_us = ag->rows[j].start_us;
	}
	o->r.nkernels = ag->nrows;
	o->r.kernels = o->kernels;
	rc = 0;
out:
	for (int j = 0; j < ag->nrows; j++)
		free(names[j]);
	free(names);
	if (rc != 0) {
		free(o->kernels);
		free(o->kernel_text);
		o->kernels = NULL;
		o->kernel_text = NULL;
	}
	return rc;
}

/*
 * CUPTI, after the timed samples: op->cupti_steps more samples through
 * the backend (one step each, with its L2 flush, synchronised at its end)
 * with activity tracing on, each between two CUPTI timestamps; then the
 * records per step (profiler/cupti_agg.h) into o: the last step's records
 * with each one's median duration over the steps, the records per step
 * (cupti_launches, beside the declared launches) and the sum of their
 * durations beside the event time of the same steps.  A CUPTI failure
 * only changes o->r.cupti; a backend failure returns -1 (c->err).  Data
 * parallel: every rank runs the steps, traced or not, as they hold
 * collectives.
 */
int
sb_cupti_trace(struct sb_engine *e, const struct sb_backend_ops *bk,
    struct sb_ctx *c, struct sb_outcome *o)
{
	const int n = c->opts->cupti_steps;
	const size_t len = sizeof(o->cupti_note);
	struct prof_cupti_trace tr;
	struct prof_cupti_agg ag;
	uint64_t *win = calloc(2 * (size_t)n, sizeof(*win));
	double *ev = calloc((size_t)n, sizeof(*ev)), ph[SB_PH_COUNT];
	char why[256];
	int traced, rc = -1;

	memset(&tr, 0, sizeof(tr));
	memset(&ag, 0, sizeof(ag));
	if (win == NULL || ev == NULL) {
		snprintf(c->err, sizeof(c->err), "out of host memory for %d "
		    "CUPTI-traced steps", n);
		goto out;
	}
	traced = prof_cupti_begin(why, sizeof(why)) == 0;
	c->cupti_on = traced;
	for (int i = 0; i < n; i++) {
		win[2 * i] = prof_cupti_now_ns();
		if (bk->sample(e, c, &ev[i], ph)) {
			c->cupti_on = 0;
			if (traced && prof_cupti_end(&tr, why,
			    sizeof(why)) == 0)
				prof_trace_free(&tr);
			goto out;
		}
		win[2 * i + 1] = prof_cupti_now_ns();
	}
	c->cupti_on = 0;
	if (traced && prof_cupti_end(&tr, why, sizeof(why)) != 0)
		traced = 0;
	rc = 0;
	if (!traced) {
		snprintf(o->cupti_note, len, "unavailable: %s", why);
		goto out;
	}
	if (tr.dropped > 0) {
		/* a step with records missing would be counted wrong */
		snprintf(o->cupti_note, len, "unavailable: CUPTI dropped %llu "
		    "records of %d steps (its buffers were full); try "
		    "--cupti-steps 1", (unsigned long long)tr.dropped, n);
		goto out;
	}
	if (prof_cupti_aggregate(&tr, win, n, c->opts->l2_flush, &ag) != 0 ||
	    cupti_rows(o, &ag) != 0) {
		snprintf(c->err, sizeof(c->err), "out of host memory for %d "
		    "CUPTI records", tr.nrec);
		rc = -1;
		goto out;
	}
	o->r.cupti_steps = n;
	o->r.cupti_launches = ag.launches;
	o->r.cupti_kernel_us = ag.kernel_us;
	o->r.cupti_event_us = sb_median(ev, (size_t)n);
out:
	prof_cupti_agg_free(&ag);
	prof_trace_free(&tr);
	free(win);
	free(ev);
	return rc;
}
