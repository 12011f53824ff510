/*
 * harness/waves.h — wave quantisation: how a grid of CTAs fills the GPU.
 *
 * A launch of C CTAs on S SMs that each hold R CTAs at once runs in waves
 * of slots = S·R CTAs.  When C is a little above a multiple of the slots,
 * the last wave is nearly empty and the GPU idles through it: a size sweep
 * shows a dip there.  These numbers say so next to the timing:
 *
 *   waves       C / slots (fractional; 1.0038 = one full wave and a sliver)
 *   full_waves  floor(C / slots)
 *   tail_ctas   CTAs in the last wave, 1..slots (slots when it is full)
 *   tail_util   tail_ctas / slots (1.0 when the last wave is full)
 *   efficiency  C / (ceil(waves) · slots): the share of the slot-waves the
 *               launch occupies, 1.0 when every wave is full
 *
 * e.g. 265 CTAs on 132 SMs at 2 CTAs/SM: 264 slots, 1.0038 waves, a tail of
 * 1 CTA (tail_util 0.0038), efficiency 265 / 528 = 0.502.
 *
 * The model assumes equal CTAs and ignores what else is resident; it
 * explains a dip, it does not predict a time.  Pure C, no CUDA.
 */
#ifndef SB_HARNESS_WAVES_H
#define SB_HARNESS_WAVES_H

#include <stddef.h>
#include <stdint.h>

enum sb_waves_status {
	SB_WAVES_OK,
	SB_WAVES_UNKNOWN,	/* SM count or occupancy not known (< 0) */
	SB_WAVES_NO_FIT,	/* 0 CTAs per SM: the launch cannot run */
	SB_WAVES_EMPTY		/* 0 CTAs: nothing to run */
};

struct sb_waves {
	enum sb_waves_status	 status;
	int64_t			 ctas;
	int			 sms, ctas_per_sm;
	int64_t			 slots;		/* sms · ctas_per_sm */
	double			 waves;		/* NaN unless status is OK
						 * or EMPTY (0) */
	int64_t			 full_waves;	/* -1 when not known */
	int64_t			 tail_ctas;	/* -1 when not known */
	double			 tail_util;	/* NaN when not known */
	double			 efficiency;	/* NaN when not known */
};

/* CTAs of a grid: x·y·z (0 if any is 0). */
int64_t	sb_grid_ctas(const unsigned grid[3]);
/* Fills w for ctas CTAs on sms SMs at ctas_per_sm resident CTAs per SM.
 * In this order: ctas = 0 is EMPTY; ctas_per_sm = 0 is NO_FIT; sms <= 0,
 * ctas_per_sm < 0 or ctas < 0 is UNKNOWN.  Returns w->status. */
enum sb_waves_status sb_waves_compute(int64_t ctas, int sms, int ctas_per_sm,
	    struct sb_waves *w);
/* One line for a table or a message, e.g. "1.00 waves, tail 1/264 CTAs
 * (0.4%), 50.2% efficient", "cannot launch: 0 CTAs fit on an SM",
 * "waves unknown (occupancy not known)".  Returns buf. */
const char *sb_waves_describe(const struct sb_waves *, char *buf, size_t len);
/* A short cell for a results table: "1.00/0.4%" (waves / tail
 * utilisation), "no-fit", "-".  Returns buf. */
const char *sb_waves_cell(const struct sb_waves *, char *buf, size_t len);

#endif
