/*
 * tests/test_igemm_check.c — the int8 GEMM catalogue and the call checks of
 * kernels/gemm_s8.c, no GPU: ladder order and lookup, the packed call of
 * sb_igemm_call_init, well-formed calls accepted, and every refusal of
 * sb_igemm_check with a message that names the bad value and what would be
 * valid.  Nothing is launched: operand pointers are host addresses that
 * no check dereferences.
 */
#include <stdint.h>
#include <string.h>

#include "testkit.h"
#include "gemm_s8.h"

static _Alignas(256) int8_t	a_[64], b_[64];
static _Alignas(256) float	c_[64], scale_[8], bias_[8];

/* 1 if sb_igemm_check refuses call c for impl and g.err holds every
 * string in want (NULL-terminated) */
static int
refused(const struct sb_igemm *impl, const struct sb_igemm_call *c,
    void *lt, const char *const *want)
{
	struct sb_gpu g;

	memset(&g, 0, sizeof(g));
	g.lt = lt;
	if (sb_igemm_check(&g, impl, c) != -1)
		return 0;
	for (; *want != NULL; want++)
		if (strstr(g.err, *want) == NULL) {
			printf("  message '%s' lacks '%s'\n", g.err, *want);
			return 0;
		}
	return 1;
}

static int
accepted(const struct sb_igemm *impl, const struct sb_igemm_call *c, void *lt)
{
	struct sb_gpu g;

	memset(&g, 0, sizeof(g));
	g.lt = lt;
	if (sb_igemm_check(&g, impl, c) == 0)
		return 1;
	printf("  refused: %s\n", g.err);
	return 0;
}

static void
test_catalogue(void)
{
	static const char *const ladder[] = { "dp4a", "imma", "cublaslt" };
	int i;

	for (i = 0; sb_igemms[i] != NULL; i++) {
		const struct sb_igemm *im = sb_igemms[i];

		CHECK("igemm-1.1: ladder order", i < 3 &&
		    strcmp(im->name, ladder[i]) == 0);
		CHECK("igemm-1.2: find", sb_igemm_find(im->name) == im);
		CHECK("igemm-1.3: summary and min_cc", im->summary != NULL &&
		    im->summary[0] != '\0' && im->min_cc >= 61);
	}
	CHECK("igemm-1.4: three implementations", i == 3);
	CHECK("igemm-1.5: unknown name", sb_igemm_find("wmma") == NULL);
	CHECK("igemm-1.6: hand-written kernels describe and dequantise",
	    sb_igemm_dp4a.describe != NULL && sb_igemm_imma.describe != NULL &&
	    sb_igemm_dp4a.epilogue && sb_igemm_imma.epilogue &&
	    !sb_igemm_dp4a.needs_lt && !sb_igemm_imma.needs_lt &&
	    sb_igemm_imma.min_cc == 80);
}

static void
test_call_init(void)
{
	struct sb_igemm_call c;

	memset(&c, 0xa5, sizeof(c));
	sb_igemm_call_init(&c, SB_DT_F16, 10, 3, 5, a_, b_, c_);
	CHECK("igemm-2.1: packed call", c.m == 10 && c.n == 3 && c.k == 5 &&
	    c.lda == 5 && c.ldb == 5 && c.ldc == 3 && c.a == a_ &&
	    c.b == b_ && c.c == c_ && c.out == SB_DT_F16);
	CHECK("igemm-2.2: no epilogue operands", c.a_scale == NULL &&
	    c.b_scale == NULL && c.bias == NULL && c.b_per_channel == 0);
}

static void
test_check(void)
{
	const struct sb_igemm *dp4a = &sb_igemm_dp4a, *imma = &sb_igemm_imma;
	const struct sb_igemm *lt = &sb_igemm_cublaslt;
	void *handle = &a_[0];	/* a non-NULL stand-in for g->lt */
	struct sb_igemm_call c, s32, f32;

	sb_igemm_call_init(&s32, SB_DT_S32, 10, 3, 5, a_, b_, c_);
	f32 = s32;
	f32.out = SB_DT_F32;
	f32.a_scale = scale_;
	f32.b_scale = scale_;
	CHECK("igemm-3.1: s32 accepted", accepted(dp4a, &s32, NULL) &&
	    accepted(imma, &s32, NULL));
	c = f32;
	c.b_per_channel = 1;
	c.bias = bias_;
	CHECK("igemm-3.2: f32, per channel, bias accepted",
	    accepted(imma, &c, NULL) && accepted(dp4a, &c, NULL));
	c.out = SB_DT_F16;
	c.lda = c.ldb = 7;
	c.ldc = 4;
	CHECK("igemm-3.3: f16, padded accepted", accepted(imma, &c, NULL));

	c = s32;
	c.out = SB_DT_S8;
	CHECK("igemm-3.4: output type", refused(imma, &c, NULL,
	    (const char *const[]){ "'s8'", "s32, f32 or f16", NULL }));
	c = s32;
	c.k = 0;
	CHECK("igemm-3.5: k = 0", refused(dp4a, &c, NULL,
	    (const char *const[]){ "k=0", "at least 1", NULL }));
	c = s32;
	c.lda = 4;
	CHECK("igemm-3.6: lda < k", refused(imma, &c, NULL,
	    (const char *const[]){ "lda=4", "lda >= k = 5", NULL }));
	c = s32;
	c.ldc = 2;
	CHECK("igemm-3.7: ldc < n", refused(imma, &c, NULL,
	    (const char *const[]){ "ldc=2", "ldc >= n = 3", NULL }));
	c = s32;
	c.b = NULL;
	CHECK("igemm-3.8: NULL operand", refused(dp4a, &c, NULL,
	    (const char *const[]){ "must not be NULL", NULL }));
	c = f32;
	c.b_scale = NULL;
	CHECK("igemm-3.9: f32 without b_scale", refused(imma, &c, NULL,
	    (const char *const[]){ "b_scale=NULL", "f32 out", NULL }));
	c = s32;
	c.bias = bias_;
	CHECK("igemm-3.10: s32 with a bias", refused(imma, &c, NULL,
	    (const char *const[]){ "bias=set", "must be NULL", NULL }));
	CHECK("igemm-3.11: no implementation", refused(NULL, &s32, NULL,
	    (const char *const[]){ "no implementation", NULL }));
	CHECK("igemm-3.12: cuBLASLt without epilogue", refused(lt, &f32,
	    handle, (const char *const[]){ "no dequantising epilogue",
	    "s32", NULL }));
	c = s32;
	c.k = c.lda = c.ldb = 16;
	c.n = c.ldc = 4;
	CHECK("igemm-3.13: cuBLASLt without a handle", refused(lt, &c, NULL,
	    (const char *const[]){ "needs cuBLASLt", NULL }));
	CHECK("igemm-3.14: cuBLASLt, aligned call accepted",
	    accepted(lt, &c, handle));
	c.lda = c.ldb = 17;
	CHECK("igemm-3.15: cuBLASLt refuses through its hook", refused(lt,
	    &c, handle, (const char *const[]){ "17", NULL }));
}

int
main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_catalogue();
	test_call_init();
	test_check();
	return check_summary("test_igemm_check");
}
