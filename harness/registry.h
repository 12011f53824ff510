/*
 * harness/registry.h — every variant stepbench can run, in one static table
 * (registry.c).  The table is at once the catalogue, the output of
 * `stepbench list`, and the list the GPU test walks.
 *
 * A variant id is dotted: mode.precision.impl (e.g. train.fp32.cublas).  Ids
 * never contain / @ , [ ] * + (operators in Nsight Compute's NVTX filters).
 */
#ifndef SB_HARNESS_REGISTRY_H
#define SB_HARNESS_REGISTRY_H

#include <stddef.h>

#include "dtype.h"

struct sb_gemm_f32;
struct sb_hgemm;
struct sb_igemm;
struct sb_device;

enum sb_mode { SB_TRAIN, SB_INFER };
enum sb_backend { SB_BACKEND_CPU, SB_BACKEND_GPU };

struct sb_variant {
	const char		*id;
	enum sb_mode		 mode;
	const char		*precision;	/* fp32, tf32, ... */
	const char		*impl;		/* cpu, naive, cublas, ... */
	enum sb_backend		 backend;
	int			 min_cc;	/* GPU: compute capability ×10 */
	const struct sb_gemm_f32 *gemm;		/* GPU fp32-family: the GEMMs */
	const struct sb_hgemm	*hgemm;		/* GPU mixed precision: the GEMMs
						 * (train.int8dyn: the backward's) */
	const struct sb_igemm	*igemm;		/* GPU int8dyn: the forward GEMM */
	int			 int8;		/* dynamic int8 (int8dyn) */
	enum sb_dtype		 amp;		/* mixed precision: the half type
						 * (SB_DT_F32: not mixed) */
	int			 scaled;	/* mixed precision with GradScaler */
	double			 tol;		/* base relative-error tolerance */
	const char		*summary;
};

extern const struct sb_variant sb_variants[];	/* NULL-id terminated */

const struct sb_variant	*sb_variant_find(const char *id);
const char		*sb_mode_name(enum sb_mode);
/* The compute capability (x10) v needs; its one-line summary. */
int			 sb_variant_min_cc(const struct sb_variant *);
const char		*sb_variant_summary(const struct sb_variant *);
/* What runs instead of v's own kernels on dev, or NULL (e.g. wgmma's
 * fallback off sm_90). */
const char		*sb_variant_fallback(const struct sb_variant *,
			    const struct sb_device *);
/* 1 if v can run on dev; else 0 and why (e.g. "no GPU: ...") in reason. */
int			 sb_variant_runnable(const struct sb_variant *,
			    const struct sb_device *, char *reason, size_t len);

#endif
