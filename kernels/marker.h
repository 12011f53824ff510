/*
 * kernels/marker.h — the profile marker: an empty kernel whose grid says
 * which point of a sweep follows.  `stepbench profile` sets
 * STEPBENCH_PROFILE, and the engine then launches it once per point at the
 * start of the capture window, with grid (point_idx + 1, 1, 1), on the
 * step's stream; ncu's CSV lists it like any launch, so the importer
 * (profiler/ncu_csv.h, NCU_MARKER_KERNEL) gives every later launch that
 * point without reading NVTX.  The kernel is extern "C", so every tool
 * names it sb_profile_marker_kernel.
 */
#ifndef SB_KERNELS_MARKER_H
#define SB_KERNELS_MARKER_H

#ifdef __cplusplus
extern "C" {
#endif

/* Enqueues the marker for point_idx (>= 0) on stream (a cudaStream_t);
 * returns a cudaError_t (0 = cudaSuccess). */
int	sb_profile_marker(void *stream, int point_idx);

#ifdef __cplusplus
}
#endif

#endif
