/*
 * profiler/prof.h — NVTX ranges and the profiler capture window.  The only
 * code that includes NVTX (and, later, CUPTI); no CUDA type crosses this
 * header.  With no tool attached every call is close to free.
 *
 * Ranges live in the domain "stepbench": one per sweep, one per point (its
 * dotted id), one per phase of the step (forward, loss, backward.wgrad, ...),
 * and in a data-parallel step one per bucket started (allreduce.bucketN,
 * category comm) and the wait before the update (allreduce.wait).
 */
#ifndef SB_PROFILER_PROF_H
#define SB_PROFILER_PROF_H

enum prof_category {
	PROF_CAT_SWEEP = 1,
	PROF_CAT_POINT,
	PROF_CAT_PHASE,
	PROF_CAT_CHECK,
	PROF_CAT_COMM		/* data parallel: a bucket's all-reduce */
};

void	prof_init(void);
void	prof_push(enum prof_category, const char *name);
void	prof_pop(void);
/* Brackets the timed region: cudaProfilerStart/Stop, so that
 * `nsys --capture-range=cudaProfilerApi` records only the timed steps. */
void	prof_capture_begin(void);
void	prof_capture_end(void);

#endif
