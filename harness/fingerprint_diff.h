/*
 * harness/fingerprint_diff.h — how two fingerprints (fingerprint.h) differ,
 * in words: "registers of gemm_f32.warptile.nt 128 vs 96; cuBLAS 13.0.1
 * vs 13.1.0".  Depends on libc only (no harness, db or CUDA header), so
 * that the web module may compile fingerprint_diff.c into itself.
 */
#ifndef SB_HARNESS_FINGERPRINT_DIFF_H
#define SB_HARNESS_FINGERPRINT_DIFF_H

#include <stddef.h>

/*
 * Compares two fingerprint JSON objects: every top-level key, and the
 * "kernels" arrays kernel by kernel (matched by name; a kernel in one
 * only is named so).  out gets the differences joined by "; " (a, then
 * b; "(none)" for a missing key), truncated to outlen with "...".
 * Returns the number of differences (0: the same provenance), or -1
 * when a or b is not a JSON object (out then says which).
 */
int	sb_fingerprint_diff(const char *a, const char *b, char *out,
	    size_t outlen);

#endif
