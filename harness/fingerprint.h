/*
 * harness/fingerprint.h — the provenance a point's numbers depend on, as a
 * canonical JSON object and its hash (result.fingerprint_json and
 * result.fingerprint, schema v6).  Two rows with the same fingerprint ran
 * the same kernels, built the same way, on the same GPU with the same
 * libraries; when they differ, the dashboard's compare page names the
 * keys (db/query.c).
 *
 * Keys (sorted; absent when not applicable):
 *   GPU rows: gpu, gpu_uuid, cc, driver, cuda_runtime, cublas, cublaslt,
 *     nccl (data-parallel and all-reduce rows only), nvidia_tf32_override
 *     (when set: it turns cuBLAS's TF32 off), nvcc, nvcc_flags,
 *     cuda_archs, kernels;
 *   CPU rows: cpu, c_compiler, c_flags;
 *   both: build_type, options (werror, nvtx, sanitize).
 * kernels is an array, one object per distinct kernel of the point's
 * launch_info rows, sorted: binary_version, local_bytes, max_threads, name,
 * ptx_version, regs, static_smem (null when not known, e.g. a cuBLASLt
 * algorithm).  Versions are text ("13.0", "13.1.0", "2.27.3").
 *
 * Canonical: keys sorted bytewise, no spaces, integers in decimal, strings
 * escaped per RFC 8259 (control characters as \u00XX).  The fingerprint is
 * FNV-1a 64 of the text, as 16 lower-case hex digits.  Pure host code.
 */
#ifndef SB_HARNESS_FINGERPRINT_H
#define SB_HARNESS_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

struct sb_device;
struct sb_outcome;

/* What goes into a fingerprint.  gpu == NULL makes a CPU row's. */
struct sb_fp_input {
	const char		*gpu, *gpu_uuid, *cc;
	int			 driver, runtime;	/* CUDA's x1000 + x10 */
	int			 cublas;		/* x10000 + x100 + patch */
	int64_t			 cublaslt;		/* likewise */
	int			 nccl;			/* 0: left out */
	const char		*tf32_override;		/* NULL or "": left out */
	const char		*nvidia_driver;		/* NULL or "": left out */
	const char		*nvcc, *nvcc_flags, *cuda_archs;
	const char		*cpu, *c_compiler, *c_flags;
	const char		*build_type, *options;
	const struct db_launch	*launch;
	int			 nlaunch;
};

/* FNV-1a 64 of n bytes of s. */
uint64_t sb_fnv1a64(const void *s, size_t n);
/* The canonical JSON text (malloc'ed; NULL when out of memory). */
char	*sb_fingerprint_json(const struct sb_fp_input *);
/* hex gets the 16 lower-case hex digits of FNV-1a 64 of json, and a NUL. */
void	 sb_fingerprint_hex(const char *json, char hex[17]);

/*
 * Fills o->r.fingerprint and o->r.fingerprint_json (storage in o, freed by
 * sb_outcome_free) from dev, this build (build_info.h) and o->r's
 * launch_info rows.  gpu: the row ran (or would have run) on the GPU;
 * uses_nccl: a data-parallel or all-reduce row.  Called again, it
 * replaces what it set.  Returns 0, or -1 when out of memory (the fields
 * stay NULL).
 */
int	sb_fingerprint_outcome(struct sb_outcome *, const struct sb_device *,
	    int gpu, int uses_nccl);

#endif
