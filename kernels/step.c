/* kernels/step.c — step shapes and phase names. */
#include "step.h"

void
sb_dims_init(struct sb_dims *d, int64_t m, int64_t n, int64_t k, int layers)
{
	d->m = m;
	d->layers = layers;
	d->width[0] = k;
	for (int l = 1; l <= SB_MAX_LAYERS; l++)
		d->width[l] = l <= layers ? n : 0;
}

const char *
sb_phase_name(enum sb_phase ph)
{
	static const char *const names[SB_PH_COUNT] = {
		[SB_PH_FORWARD] = "forward",
		[SB_PH_LOSS] = "loss",
		[SB_PH_WGRAD] = "backward.wgrad",
		[SB_PH_DGRAD] = "backward.dgrad",
		[SB_PH_UNSCALE] = "amp.unscale",
		[SB_PH_SGD] = "sgd",
		[SB_PH_UPDATE] = "amp.update",
		[SB_PH_QSCALE] = "int8.scale",
		[SB_PH_QUANT] = "int8.quant",
		[SB_PH_DEQUANT] = "int8.dequant",
		[SB_PH_ALLREDUCE] = "dp.allreduce",
	};

	return (unsigned)ph < SB_PH_COUNT ? names[ph] : "end";
}
