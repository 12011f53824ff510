/* harness/progress.c — progress line and results table (see progress.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "db.h"
#include "progress.h"
#include "sweep.h"

static void	fmt_eta(char *, size_t, double);
static void	clear_line(struct sb_progress *);
static double	worst_err(const struct db_result *);
static void	amp_line(FILE *, const struct db_result *);
static void	int8_line(FILE *, const struct db_result *);
static void	dp_line(FILE *, const struct db_result *);
static void	cupti_line(FILE *, const struct db_result *);


static void
fmt_eta(char *buf, size_t len, double s)
{
	if (!(s >= 0) || s > 1e7)
		snprintf(buf, len, "?");
	else if (s < 60)
		snprintf(buf, len, "%.0fs", s);
	else if (s < 3600)
		snprintf(buf, len, "%dm%02ds", (int)s / 60, (int)s % 60);
	else
		snprintf(buf, len, "%dh%02dm", (int)s / 3600,
		    ((int)s % 3600) / 60);
}

static void
clear_line(struct sb_progress *p)
{
	if (p->tty)
		fputs("\r\033[K", stderr);
}

void
sb_progress_begin(struct sb_progress *p, int total, int todo)
{
	memset(p, 0, sizeof(*p));
	p->total = total;
	p->todo = todo;
	p->t0 = sb_mono_s();
	p->tty = isatty(STDERR_FILENO);
}

void
sb_progress_point(struct sb_progress *p, const struct sb_point *pt)
{
	char eta[32] = "?";
	double el = sb_mono_s() - p->t0;

	if (!p->tty)
		return;
	if (p->done > 0)
		fmt_eta(eta, sizeof(eta), el / p->done * (p->todo - p->done));
	clear_line(p);
	fprintf(stderr, "[%d/%d] %s %lldx%lldx%lld L%d%s  elapsed %.0fs, "
	    "ETA %s", p->done + 1, p->todo, pt->variant->id,
	    (long long)pt->shape.m, (long long)pt->shape.n,
	    (long long)pt->shape.k, pt->layers, pt->graph ? " graph" : "",
	    el, eta);
	fflush(stderr);
}

void
sb_progress_result(struct sb_progress *p, const struct db_result *r)
{
	p->done++;
	if (strcmp(r->status, "ok") == 0)
		p->ok++;
	else if (strcmp(r->status, "skipped") == 0)
		p->skipped++;
	else if (strcmp(r->status, "mismatch") == 0)
		p->mismatch++;
	else
		p->failed++;
	clear_line(p);
	sb_table_row(stdout, r);
	fflush(stdout);
}

void
sb_progress_end(struct sb_progress *p)
{
	clear_line(p);
	fflush(stderr);
}

void
sb_table_header(FILE *f)
{
	fprintf(f, "%4s  %-20s %-19s %2s %-1s %-8s %11s %9s %9s %9s %6s %6s\n",
	    "#", "variant", "shape MxNxK", "L", "g", "status", "median_us",
	    "TFLOP/s", "GB/s", "max_err", "n", "cv%");
}

static double
worst_err(const struct db_result *r)
{
	const double e[] = { r->err_y, r->err_loss, r->err_dw, r->err_db,
	    r->err_dx, r->err_w };
	double w = NAN;

	for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++)
		if (!isnan(e[i]) && (isnan(w) || e[i] > w))
			w = e[i];
	return w;
}

void
sb_table_row(FILE *f, const struct db_result *r)
{
	char shape[64];

	snprintf(shape, sizeof(shape), "%lldx%lldx%lld", (long long)r->m,
	    (long long)r->n, (long long)r->k);
	fprintf(f, "%4d  %-20s %-19s %2d %-1s %-8s", r->point_idx, r->variant,
	    shape, r->layers, r->graph ? "y" : "-", r->status);
	if (strcmp(r->status, "ok") == 0)
		fprintf(f, " %11.2f %9.4g %9.4g %9.2e %6d %6.2f%s\n",
		    r->median_us, r->tflops, r->gbps, worst_err(r), r->nsamples,
		    r->cv * 100, r->over_peak == 1 ? "  ABOVE PEAK?" : "");
	else
		fprintf(f, "  %s\n", r->reason ? r->reason : "");
	amp_line(f, r);
	int8_line(f, r);
	dp_line(f, r);
	cupti_line(f, r);
}

/*
 * CUPTI, under a GPU row: the records per traced step beside the launches
 * the variant declared (every launcher counts its kernels, memsets and
 * library calls; a library call may launch more than one kernel), and
 * the sum of the kernels' times beside the event time of the same steps.
 * A row that was not traced says why, once for as long as the reason
 * stays the same (every point of a sweep under ncu has the same one);
 * --no-cupti, asked for, is not repeated back.
 */
static void
cupti_line(FILE *f, const struct db_result *r)
{
	static char last[128];

	if (r->cupti == NULL)
		return;
	if (strcmp(r->cupti, "ok") != 0) {
		if (strcmp(r->cupti, "off: --no-cupti") == 0 ||
		    strncmp(last, r->cupti, sizeof(last) - 1) == 0)
			return;
		snprintf(last, sizeof(last), "%s", r->cupti);
		fprintf(f, "      cupti: %s\n", r->cupti);
		return;
	}
	last[0] = '\0';
	if (r->cupti_steps <= 0)
		return;
	fprintf(f, "      cupti: %lld launches/step", (long long)
	    r->cupti_launches);
	if (r->launches <= 0)
		fprintf(f, " (declared: not known)");
	else if (r->cupti_launches == r->launches)
		fprintf(f, " (declared %lld)", (long long)r->launches);
	else
		fprintf(f, " (declared %lld: %s)", (long long)r->launches,
		    r->cupti_launches > r->launches ? "a library call "
		    "launched more" : "fewer than declared: a launch not "
		    "seen");
	if (!isnan(r->cupti_kernel_us) && !isnan(r->cupti_event_us))
		fprintf(f, ", kernels %.1f us of %.1f us event time",
		    r->cupti_kernel_us, r->cupti_event_us);
	fprintf(f, "\n");
}

/*
 * Mixed precision, under its row: the AMP machinery's share of the step
 * (amp.unscale + amp.update over the sum of the phases), and for --steps
 * the scaler's skips and scale range and the largest divergence of the
 * loss from the fp32 step's.
 */
static void
amp_line(FILE *f, const struct db_result *r)
{
	double amp = 0, all = 0;
	int have = 0, skipped = 0;
	double lo = INFINITY, hi = -INFINITY;

	for (int i = 0; i < r->nphases; i++) {
		if (isnan(r->phases[i].median_us))
			continue;
		all += r->phases[i].median_us;
		if (strncmp(r->phases[i].name, "amp.", 4) == 0) {
			amp += r->phases[i].median_us;
			have = 1;
		}
	}
	if (!have && r->ref_loss_curve == NULL && r->scale_curve == NULL)
		return;
	fprintf(f, "      amp:");
	if (have && all > 0)
		fprintf(f, " unscale+update %.1f %% of the step;",
		    100 * amp / all);
	if (r->scale_curve != NULL && r->nsteps > 0) {
		for (int s = 0; s < r->nsteps; s++) {
			skipped += r->skipped_curve != NULL &&
			    r->skipped_curve[s];
			if (r->scale_curve[s] < lo)
				lo = r->scale_curve[s];
			if (r->scale_curve[s] > hi)
				hi = r->scale_curve[s];
		}
		fprintf(f, " %d steps: %d skipped, scale %g..%g;", r->nsteps,
		    skipped, lo, hi);
	}
	if (r->ref_loss_curve != NULL && !isnan(r->loss_divergence))
		fprintf(f, " loss within %.3g %% of the fp32 step's",
		    100 * r->loss_divergence);
	fprintf(f, "\n");
}

/*
 * Dynamic int8, under its row: the quantisation work as a share of the
 * int8 GEMM (int8.scale + int8.quant + int8.dequant over forward), the
 * weights' granularity, the error against fp32 of the symmetric scheme
 * the GPU runs and of PyTorch's, and what was clamped.
 */
static void
int8_line(FILE *f, const struct db_result *r)
{
	double q = 0, fwd = NAN;
	int have = 0;

	if (!r->quant)
		return;
	for (int i = 0; i < r->nphases; i++) {
		if (isnan(r->phases[i].median_us))
			continue;
		if (strncmp(r->phases[i].name, "int8.", 5) == 0) {
			q += r->phases[i].median_us;
			have = 1;
		} else if (strcmp(r->phases[i].name, "forward") == 0)
			fwd = r->phases[i].median_us;
	}
	fprintf(f, "      int8: weights per %s;",
	    r->quant_per_channel ? "channel" : "tensor");
	if (have && fwd > 0)
		fprintf(f, " quantisation %.1f %% of the GEMM;", 100 * q / fwd);
	if (!isnan(r->quant_err_sym))
		fprintf(f, " error vs fp32 %.3g (symmetric, this) / %.3g "
		    "(PyTorch's affine);", r->quant_err_sym,
		    r->quant_err_affine);
	if (r->quant_sat_act >= 0)
		fprintf(f, " clamped %lld activations, %lld weights",
		    (long long)r->quant_sat_act,
		    (long long)r->quant_sat_weight);
	fprintf(f, "\n");
}

/*
 * Data parallel, under its row: the backend and its buckets (their
 * bytes, the slowest bucket's bus bandwidth), the communication per step,
 * how much of it the backward hid, and what the DP step costs over the
 * same step without communication.
 */
static void
dp_line(FILE *f, const struct db_result *r)
{
	double bytes = 0, busbw = NAN;

	if (!r->dp)
		return;
	for (int b = 0; b < r->ncomm; b++) {
		bytes += (double)r->comm[b].bytes;
		if (!(r->comm[b].busbw_gbps >= busbw))
			busbw = r->comm[b].busbw_gbps;
	}
	fprintf(f, "      dp: %s, world %d, %d bucket%s, %.3g MiB in %s%s;",
	    r->dp_backend, r->world, r->ncomm, r->ncomm == 1 ? "" : "s",
	    bytes / 1048576.0, r->dp_compress, r->dp_overlap ? ", overlap" :
	    "");
	if (!isnan(r->dp_comm_us))
		fprintf(f, " all-reduce %.4g us/step", r->dp_comm_us);
	/* at world 1 the bus bandwidth is 0 by definition (2(R-1)/R):
	 * nothing crosses a link, so it says nothing */
	if (r->ncomm > 0 && !isnan(busbw) && r->world > 1)
		fprintf(f, " (min busbw %.3g GB/s)", busbw);
	if (!isnan(r->dp_overlap_frac))
		fprintf(f, "; %.0f %% hidden", 100 * r->dp_overlap_frac);
	if (!isnan(r->dp_overhead))
		fprintf(f, "; %+.1f %% over the step without communication",
		    100 * r->dp_overhead);
	fprintf(f, "\n");
}
