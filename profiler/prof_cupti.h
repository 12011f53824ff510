/*
 * profiler/prof_cupti.h — CUPTI activity tracing of a few steps: every
 * kernel, memset and memcpy they ran, with its launch configuration, its
 * GPU duration and the step phase that enqueued it.  The only code that
 * includes CUPTI is prof_cupti.c; no CUDA or CUPTI type crosses this header.
 * (Named prof_cupti.h, not cupti.h: profiler/ is on the include path, where
 * a cupti.h would hide CUDA's own <cupti.h>.)
 *
 * Use, once per point:
 *
 *	prof_cupti_init(why, n)		once per process (later calls return
 *					the first answer)
 *	prof_cupti_begin(why, n)
 *	  for each step: w0 = prof_cupti_now_ns(); the step, phases marked
 *	  with prof_cupti_phase(p) ... prof_cupti_phase(-1); synchronise;
 *	  w1 = prof_cupti_now_ns()
 *	prof_cupti_end(&trace, why, n)
 *	prof_cupti_aggregate(&trace, windows, ...)	(cupti_agg.h)
 *
 * Enabled kinds: CONCURRENT_KERNEL (never KERNEL, which serialises
 * kernels), MEMCPY, MEMSET, and for the phases EXTERNAL_CORRELATION with
 * the RUNTIME and DRIVER API records it is attached to.  Only one CUPTI
 * client fits in a process: under nsys or ncu do not call these at all
 * (prof_tool_attached, cupti_agg.h).
 */
#ifndef SB_PROFILER_PROF_CUPTI_H
#define SB_PROFILER_PROF_CUPTI_H

#include <stddef.h>
#include <stdint.h>

#include "cupti_agg.h"

/* 0: tracing works here; -1 and why: it does not (no driver, no CUPTI in
 * this build, CUPTI's error, another tool holding CUPTI). */
int	prof_cupti_init(char *why, size_t len);
/* Starts collecting; 0, or -1 and why. */
int	prof_cupti_begin(char *why, size_t len);
/* The phase the next API calls belong to (its index, >= 0), or -1: none.
 * Pops the previous one.  A no-op when not collecting. */
void	prof_cupti_phase(int phase);
/* CUPTI's clock, in which records are stamped (0 when unavailable). */
uint64_t prof_cupti_now_ns(void);
/* Flushes and stops; hands every record since begin to out (free it with
 * prof_trace_free), phases correlated.  0, or -1 and why (out is then
 * empty). */
int	prof_cupti_end(struct prof_cupti_trace *out, char *why, size_t len);
/* A kernel's readable name: the demangled C++ name, else a copy of name;
 * malloc'd, NULL when out of memory. */
char	*prof_demangle(const char *name);

#endif
