/*
 * harness/provenance.h — who made a run: a random UUID, this process's
 * identity (pid + start time, so a reused pid is not mistaken for a live
 * sweep), and the liveness test used to mark abandoned runs 'aborted'.
 */
#ifndef SB_HARNESS_PROVENANCE_H
#define SB_HARNESS_PROVENANCE_H

#include <stdint.h>

/* A version-4 UUID, 36 characters + NUL.  Returns -1 if no randomness. */
int	sb_uuid_v4(char out[37]);
/* Start time of pid in clock ticks since boot (/proc/PID/stat field 22),
 * or -1 if there is no such process. */
int64_t	sb_proc_start(int64_t pid);
/* 1 if pid is alive and started at start (0 = any start time). */
int	sb_proc_alive(int64_t pid, int64_t start);

#endif
