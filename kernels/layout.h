/*
 * kernels/layout.h — the three GEMM layouts of the step, shared by the C
 * launchers (gpu.h) and the device code (*.cuh, also compiled on the host by
 * the CPU emulator test).
 *
 * All matrices are row-major with a leading dimension (the distance between
 * rows, in elements); layouts are named by which operand is transposed:
 *
 *   NT  C[m,n] = A[m,k] · B[n,k]^T   forward  y  = in · w^T   lda ≥ k, ldb ≥ k
 *   TN  C[m,n] = A[k,m]^T · B[k,n]   wgrad    dw = dy^T · in  lda ≥ m, ldb ≥ n
 *   NN  C[m,n] = A[m,k] · B[k,n]     dgrad    dx = dy · w     lda ≥ k, ldb ≥ n
 *
 * and ldc ≥ n.  k is the reduction length in all three.
 */
#ifndef SB_KERNELS_LAYOUT_H
#define SB_KERNELS_LAYOUT_H

enum sb_layout { SB_NT, SB_TN, SB_NN, SB_LAYOUT_COUNT };

#endif
