/* harness/waves.c — wave quantisation of a launch (see waves.h). */
#include <math.h>
#include <stdio.h>

#include "waves.h"

int64_t
sb_grid_ctas(const unsigned grid[3])
{
	return (int64_t)grid[0] * (int64_t)grid[1] * (int64_t)grid[2];
}

enum sb_waves_status
sb_waves_compute(int64_t ctas, int sms, int ctas_per_sm, struct sb_waves *w)
{
	int64_t rounds;

	w->ctas = ctas;
	w->sms = sms;
	w->ctas_per_sm = ctas_per_sm;
	w->slots = sms > 0 && ctas_per_sm > 0 ? (int64_t)sms * ctas_per_sm :
	    0;
	w->waves = w->tail_util = w->efficiency = NAN;
	w->full_waves = w->tail_ctas = -1;
	if (ctas == 0) {
		w->waves = 0;
		w->full_waves = w->tail_ctas = 0;
		return (w->status = SB_WAVES_EMPTY);
	}
	/* No CTA fits: true whatever the SM count. */
	if (ctas_per_sm == 0)
		return (w->status = SB_WAVES_NO_FIT);
	if (sms <= 0 || ctas_per_sm < 0 || ctas < 0)
		return (w->status = SB_WAVES_UNKNOWN);
	/* Integers for the counts: a grid may hold up to ~2^63 CTAs, more
	 * than a double counts exactly (and ctas + slots could overflow). */
	rounds = ctas / w->slots + (ctas % w->slots != 0);
	w->waves = (double)ctas / (double)w->slots;
	w->full_waves = ctas / w->slots;
	w->tail_ctas = ctas - (rounds - 1) * w->slots;
	w->tail_util = (double)w->tail_ctas / (double)w->slots;
	w->efficiency = (double)ctas / ((double)rounds * (double)w->slots);
	return (w->status = SB_WAVES_OK);
}

const char *
sb_waves_describe(const struct sb_waves *w, char *buf, size_t len)
{
	switch (w->status) {
	case SB_WAVES_OK:
		(void)snprintf(buf, len, "%.2f waves of %lld CTAs (%d SMs x "
		    "%d), tail %lld/%lld CTAs (%.1f%%), %.1f%% efficient",
		    w->waves, (long long)w->slots, w->sms, w->ctas_per_sm,
		    (long long)w->tail_ctas, (long long)w->slots,
		    100 * w->tail_util, 100 * w->efficiency);
		break;
	case SB_WAVES_NO_FIT:
		(void)snprintf(buf, len, "cannot launch: 0 CTAs fit on an SM "
		    "(registers, shared memory or threads per CTA exceed what "
		    "an SM has)");
		break;
	case SB_WAVES_EMPTY:
		(void)snprintf(buf, len, "an empty grid: nothing to launch");
		break;
	default:
		(void)snprintf(buf, len, "waves unknown (%s not known)",
		    w->sms <= 0 ? "SM count" : "occupancy");
		break;
	}
	return buf;
}

const char *
sb_waves_cell(const struct sb_waves *w, char *buf, size_t len)
{
	switch (w->status) {
	case SB_WAVES_OK:
		(void)snprintf(buf, len, "%.3f/%.1f%%", w->waves,
		    100 * w->tail_util);
		break;
	case SB_WAVES_NO_FIT:
		(void)snprintf(buf, len, "no-fit");
		break;
	case SB_WAVES_EMPTY:
		(void)snprintf(buf, len, "0");
		break;
	default:
		(void)snprintf(buf, len, "-");
		break;
	}
	return buf;
}
