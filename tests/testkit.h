/*
 * tests/testkit.h — a tiny assertion kit for the C tests.  Each CHECK names its
 * case ("ref-1.2: ...") so a failure says which promise broke.  main() ends
 * with `return check_summary("test_x");`, which prints "N passed, M failed"
 * and returns 1 if anything failed.
 */
#ifndef SB_TESTS_TESTKIT_H
#define SB_TESTS_TESTKIT_H

#include <math.h>
#include <stdio.h>

static int check_pass_, check_fail_;

#define CHECK(name, cond) do {						\
	if (cond) {							\
		check_pass_++;						\
	} else {							\
		check_fail_++;						\
		fprintf(stderr, "FAIL %s (%s:%d): %s\n", (name),	\
		    __FILE__, __LINE__, #cond);				\
	}								\
} while (0)

/* |got - want| <= tol * max(1, |want|); NaN never passes */
#define CHECK_NEAR(name, got, want, tol) do {				\
	double g_ = (got), w_ = (want);					\
	double s_ = fabs(w_) > 1 ? fabs(w_) : 1;			\
	if (!isnan(g_) && !isnan(w_) && fabs(g_ - w_) <= (tol) * s_) {	\
		check_pass_++;						\
	} else {							\
		check_fail_++;						\
		fprintf(stderr, "FAIL %s (%s:%d): got %.17g want %.17g "\
		    "(tol %g)\n", (name), __FILE__, __LINE__, g_, w_,	\
		    (double)(tol));					\
	}								\
} while (0)

static inline int
check_summary(const char *prog)
{
	printf("%s: %d passed, %d failed\n", prog, check_pass_, check_fail_);
	return check_fail_ != 0;
}

#endif
