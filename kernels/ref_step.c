/*
 * kernels/ref_step.c — the host step in float and in double from one body
 * (ref_step_impl.h), so the oracle and the CPU variant are the same code.
 */
#include "ref_step.h"

#define T	float
#define HSTEP	sb_hstep_f32
#define FN(x)	x##_f32
#include "ref_step_impl.h"
#undef T
#undef HSTEP
#undef FN

#define T	double
#define HSTEP	sb_hstep_f64
#define FN(x)	x##_f64
#include "ref_step_impl.h"
#undef T
#undef HSTEP
#undef FN
