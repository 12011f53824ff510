/*
 * profiler/cupti_agg.h — the host-only half of CUPTI tracing: what the
 * activity records of a few traced steps become (cupti.h collects them).
 * No CUDA or CUPTI type here, so that tests/test_cupti.c checks all of it
 * on a machine without a GPU.
 *
 * Invariants the aggregation relies on:
 *   1. a traced step is one call of the backend's sample function, which
 *      ends by synchronising: every record of step i starts and ends inside
 *      the host window [win[2i], win[2i+1]] taken with prof_cupti_now_ns()
 *      (CUPTI's clock, the one its records use), and windows do not overlap;
 *   2. within one thread, CUDA API calls get increasing correlation ids:
 *      with the L2 flush on, the first record the sample enqueues (lowest
 *      correlation id in the window) is the flush's memset, which is not
 *      part of the step and is dropped;
 *   3. the phase of a record is the CUSTOM0 external id the engine had
 *      pushed (phase index + 1) when the API call that enqueued it ran; a
 *      graph replay enqueues everything from one call made outside any
 *      phase, so its records have none (-1).
 */
#ifndef SB_PROFILER_CUPTI_AGG_H
#define SB_PROFILER_CUPTI_AGG_H

#include <stddef.h>
#include <stdint.h>

enum prof_rec_kind { PROF_REC_KERNEL, PROF_REC_MEMSET, PROF_REC_MEMCPY };

/* One kernel, memset or memcpy as CUPTI saw it.  -1 in an int field: not
 * applicable (a memset has no grid). */
struct prof_cupti_rec {
	enum prof_rec_kind	 kind;
	char			*name;		/* owned; kernel: as CUPTI gives
						 * it (mangled), memcpy: "memcpy
						 * HtoD" ..., memset: "memset" */
	uint64_t		 start_ns, end_ns;	/* CUPTI's clock */
	uint32_t		 correlation;	/* of the API call */
	uint32_t		 stream;	/* CUPTI's stream id */
	int32_t			 grid[3], block[3];
	int			 regs;		/* per thread */
	int			 static_smem;	/* bytes per CTA */
	int64_t			 dyn_smem;	/* bytes per CTA */
	int			 local_bytes;	/* per thread */
	int64_t			 bytes;		/* memset / memcpy */
	int			 phase;		/* set by prof_trace_correlate:
						 * phase index, -1 none */
};

/* An external correlation: the API call `correlation` ran while `id` was
 * pushed for external kind `kind` (PROF_EXT_PHASE: CUPTI's CUSTOM0). */
#define PROF_EXT_PHASE	0
struct prof_cupti_ext {
	uint32_t	 correlation;
	int		 kind;
	uint64_t	 id;
};

/* What one tracing session collected. */
struct prof_cupti_trace {
	struct prof_cupti_rec	*rec;
	int			 nrec, caprec;
	struct prof_cupti_ext	*ext;
	int			 next, capext;
	uint64_t		 dropped;	/* records CUPTI had no room for */
};

/* Appends a copy of r (its name copied too); 0, or -1 out of memory. */
int	prof_trace_add_rec(struct prof_cupti_trace *,
	    const struct prof_cupti_rec *r);
int	prof_trace_add_ext(struct prof_cupti_trace *, uint32_t correlation,
	    int kind, uint64_t id);
void	prof_trace_free(struct prof_cupti_trace *);
/* Sets every record's phase from the PROF_EXT_PHASE correlations (id - 1;
 * -1 when none names the record's correlation id). */
void	prof_trace_correlate(struct prof_cupti_trace *);

/* One record of the representative (last) traced step, in start order. */
struct prof_cupti_row {
	const struct prof_cupti_rec	*rec;	/* into the trace */
	double		 duration_us;	/* median over the steps that have a
					 * record at this index */
	double		 start_us;	/* from the step's first record */
};

struct prof_cupti_agg {
	int			 steps;		/* windows given */
	int			*per_step;	/* records in each step */
	int64_t			 launches;	/* largest per_step */
	double			 kernel_us;	/* median over the steps of the
						 * sum of their durations */
	struct prof_cupti_row	*rows;
	int			 nrows;
	int			 stray;		/* records in no window */
	int			 flush_dropped;	/* flush memsets left out */
};

/*
 * Groups t's records by step window (win_ns[2i], win_ns[2i+1]: step i's
 * host start and end), leaves out each step's first-enqueued memset when
 * drop_flush, orders each step by start and fills out.  Returns 0, or -1
 * out of memory (out then holds nothing to free).  t must outlive out.
 */
int	prof_cupti_aggregate(const struct prof_cupti_trace *t,
	    const uint64_t *win_ns, int steps, int drop_flush,
	    struct prof_cupti_agg *out);
void	prof_cupti_agg_free(struct prof_cupti_agg *);

/* The median of v[0..n) (reorders v); NaN for n = 0. */
double	prof_median(double *v, int n);

/*
 * Which profiler is attached to this process, from its environment (get:
 * getenv, or a test's table): NULL when none, else a short name ("ncu",
 * "nsys", or a description of the injection library) written to buf.
 * `stepbench profile` sets STEPBENCH_PROFILE=<tool> for its child; nsys
 * sets NSYS_PROFILING_SESSION_ID and CUDA_INJECTION64_PATH; ncu 2025.3
 * sets NV_COMPUTE_PROFILER_PERFWORKS_DIR and NV_TPS_LAUNCH_TOKEN (and
 * NV_NSIGHT_INJECTION_*, which any Nsight tool may); other injection
 * tools set CUDA_INJECTION64_PATH.  Only one CUPTI client fits in a
 * process, so CUPTI tracing stays off under any of them.
 */
const char *prof_tool_attached(char *(*get)(const char *name),
	    char *buf, size_t len);

#endif
