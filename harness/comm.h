/*
 * harness/comm.h — the communication backends (NCCL on GPUs, MPI on CPU
 * ranks).  This module is the only code that includes nccl.h or mpi.h.
 * The data-parallel step arrives with its own issue; today it reports the
 * NCCL version for provenance.
 */
#ifndef SB_HARNESS_COMM_H
#define SB_HARNESS_COMM_H

/* NCCL_VERSION_CODE of the linked library (e.g. 22809), 0 if not built in. */
int	sb_comm_nccl_version(void);

#endif
