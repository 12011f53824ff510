/*
 * profiler/prof.h — NVTX ranges and the profiler capture window.  The only
 * code that includes NVTX; no CUDA type crosses this header (a stream is a
 * void *).  docs/profiling.md, section "NVTX", is the user's map.
 *
 * Everything lives in the domain "stepbench".  Ranges nest:
 *
 *   sweep | gemm                 category sweep, payload the run's row id
 *     <point id>                 category point, payload the point index,
 *                                colour its implementation family; a mark
 *                                "MxNxK L<layers> world R graph on|off"
 *       setup                    inputs, fp64 reference, buffers
 *       check                    a checked step (also the re-check)
 *         <phase> ...
 *       warmup                   untimed steps (and the graph capture)
 *       timed                    the timed samples (inside the
 *         <phase> ...            cudaProfilerStart/Stop window)
 *
 * Phases are category phase whatever their kind; the kind (compute,
 * update, quant, comm) is in the colour, prof_phase_kind().  A DP bucket's
 * all-reduce (allreduce.bucketN) and the wait before the update
 * (allreduce.wait) are category comm, inside the phase dp.allreduce.
 *
 * The category ids are stable: the nsys importer (db_nsys_read) finds
 * point ranges by PROF_CAT_POINT = 2 and phase ranges by PROF_CAT_PHASE = 3.
 *
 * With no tool attached NVTX hands out no domain, and every call here
 * returns at its first test; built with -DSB_WITH_NVTX=OFF there is no
 * NVTX code at all.
 */
#ifndef SB_PROFILER_PROF_H
#define SB_PROFILER_PROF_H

#include <stdint.h>

enum prof_category {
	PROF_CAT_SWEEP = 1,	/* a whole sweep or gemm run */
	PROF_CAT_POINT = 2,	/* one point: its dotted id */
	PROF_CAT_PHASE = 3,	/* a phase of the step (forward, ...) */
	PROF_CAT_CHECK = 4,	/* a checked step */
	PROF_CAT_COMM = 5,	/* data parallel: a bucket's all-reduce */
	PROF_CAT_SETUP = 6,	/* a point's setup and its warm-up */
	PROF_CAT_COMPUTE = 7	/* the timed samples */
};

/* Creates the domain, names the categories and this thread
 * ("stepbench-main"), registers the fixed range names.  Idempotent; the
 * other calls make it on first use. */
void	prof_init(void);
/* Registers name (copied) as an NVTX registered string: a push of an
 * equal string then sends the handle, not the text.  For names pushed
 * often (phases); call before any thread but the main one pushes. */
void	prof_register(const char *name);

void	prof_push(enum prof_category, const char *name);
void	prof_pop(void);
/* A point range: message id, payload idx, colour of impl's family
 * (prof_family); then, if mark != NULL, a mark with that text. */
void	prof_point_begin(const char *id, const char *impl, int64_t idx,
	    const char *mark);
/* A sweep range ("sweep" or "gemm"), payload the run's row id, then a
 * mark with the label (may be NULL). */
void	prof_sweep_begin(const char *name, int64_t run_id, const char *label);
/* An instant marker in the domain. */
void	prof_mark(const char *text);
/* Names a CUDA stream (a cudaStream_t) for the timeline: "compute" for
 * the step's stream, "comm" for the data-parallel all-reduce stream. */
void	prof_name_stream(void *stream, const char *name);

/* Brackets the timed region: cudaProfilerStart/Stop, so that
 * `nsys --capture-range=cudaProfilerApi` records only the timed steps. */
void	prof_capture_begin(void);
void	prof_capture_end(void);

/*
 * 1 if s may name a range: non-empty, at most PROF_NAME_MAX bytes,
 * printable ASCII without spaces and without / @ , [ ] * + (operators in
 * Nsight Compute's --nvtx-include filters); else 0.
 */
#define PROF_NAME_MAX	120
int	prof_name_ok(const char *s);
/* The fixed range names the harness pushes (sweep, gemm, setup, check,
 * warmup, timed, allreduce.wait): i = 0, 1, ... until NULL. */
const char *prof_fixed_name(int i);
/* The implementation family of impl ("cpu", "simt", "tensor", "cublas",
 * "cublaslt", "comm", or "other") and its ARGB colour. */
const char *prof_family(const char *impl);
uint32_t prof_family_argb(const char *impl);
/* The kind of a phase name: "compute" (forward, loss, backward.*),
 * "update" (sgd, amp.*), "quant" (int8.*), "comm" (dp.*, allreduce.*),
 * or "other". */
const char *prof_phase_kind(const char *phase);

#endif
