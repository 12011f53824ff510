/*
 * tests/test_ncu_csv.c — Nsight Compute's raw CSV page (profiler/ncu_csv.h)
 * on hand-made fixtures in ncu 2025.3's format:
 *
 *   ncu_raw.csv          ==PROF== lines first, the units row, thousands
 *                        separators, a name with commas and doubled quotes,
 *                        an empty cell, "n/a", markers for points 0 and 1
 *   ncu_raw_awkward.csv  a UTF-8 BOM, CRLF, no units row, unquoted cells,
 *                        a launch before any marker, a marker written
 *                        "name()", a ==WARNING== line between rows,
 *                        a bad separator group ("1,23": text), an exponent
 *
 * and on broken texts, each refused with the line named.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ncu_csv.h"
#include "testkit.h"

#ifndef SB_FIXTURES
#error "SB_FIXTURES: the tests/fixtures directory"
#endif

static char	*slurp(const char *, size_t *);
static int	 collect(const struct ncu_row *, void *);
static const struct ncu_row *find(const char *kernel, const char *metric);
static void	 test_numbers(void);
static void	 test_fixture(void);
static void	 test_awkward(void);
static void	 test_broken(void);

#define MAX_ROWS	64

/* rows copied out of ncu_csv_foreach (the strings stay in the parse) */
static struct ncu_row rows[MAX_ROWS];
static int nrows;

static char *
slurp(const char *name, size_t *len)
{
	char path[512], *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", SB_FIXTURES, name);
	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static int
collect(const struct ncu_row *r, void *ctx)
{
	(void)ctx;
	if (nrows == MAX_ROWS)
		return 1;
	rows[nrows++] = *r;
	return 0;
}

static const struct ncu_row *
find(const char *kernel, const char *metric)
{
	for (int i = 0; i < nrows; i++)
		if (strcmp(rows[i].launch->kernel, kernel) == 0 &&
		    strcmp(rows[i].metric, metric) == 0)
			return &rows[i];
	return NULL;
}

static void
test_numbers(void)
{
	double v = 0;
	int64_t d[3] = { 0, 0, 0 };

	CHECK("ncu-1.1: plain", ncu_csv_number("42", &v) == 0 && v == 42);
	CHECK("ncu-1.2: thousands", ncu_csv_number("1,234.5", &v) == 0 &&
	    v == 1234.5);
	CHECK("ncu-1.2: millions", ncu_csv_number("12,345,678", &v) == 0 &&
	    v == 12345678);
	CHECK("ncu-1.3: negative, spaces", ncu_csv_number(" -3.25 ", &v) ==
	    0 && v == -3.25);
	CHECK("ncu-1.4: exponent", ncu_csv_number("1.5e+03", &v) == 0 &&
	    v == 1500);
	CHECK("ncu-1.5: a group of two is not a separator",
	    ncu_csv_number("1,23", &v) != 0);
	CHECK("ncu-1.5: a group of four", ncu_csv_number("1,2345", &v) != 0);
	CHECK("ncu-1.5: a leading comma", ncu_csv_number(",123", &v) != 0);
	CHECK("ncu-1.5: four digits before a comma",
	    ncu_csv_number("1234,567", &v) != 0);
	CHECK("ncu-1.5: a comma in the fraction",
	    ncu_csv_number("1.234,5", &v) != 0);
	CHECK("ncu-1.6: n/a is text", ncu_csv_number("n/a", &v) != 0);
	CHECK("ncu-1.6: nan is text", ncu_csv_number("nan", &v) != 0);
	CHECK("ncu-1.6: inf is text", ncu_csv_number("inf", &v) != 0);
	CHECK("ncu-1.6: empty", ncu_csv_number("", &v) != 0);
	CHECK("ncu-1.6: a unit suffix", ncu_csv_number("12 ms", &v) != 0);
	CHECK("ncu-1.7: dim3", ncu_csv_dim3("(16, 8, 1)", d) == 0 &&
	    d[0] == 16 && d[1] == 8 && d[2] == 1);
	CHECK("ncu-1.7: one number", ncu_csv_dim3("256", d) == 0 &&
	    d[0] == 256 && d[1] == 1 && d[2] == 1);
	CHECK("ncu-1.7: no commas", ncu_csv_dim3("(32 1 1)", d) != 0);
	CHECK("ncu-1.7: four", ncu_csv_dim3("(1, 1, 1, 1)", d) != 0);
}

static void
test_fixture(void)
{
	struct ncu_csv *p = NULL;
	const struct ncu_row *r;
	const char *gemm = "void gemm_f32_warptile<128, 64, (sb_layout)0>("
	    "sb_gemm_params, int, \"nt\")";
	char err[256] = "";
	size_t len;
	char *text = slurp("ncu_raw.csv", &len);
	int points = -1, markers;

	CHECK("ncu-2.1: parses", ncu_csv_parse(&p, text, len, err,
	    sizeof(err)) == 0);
	if (p == NULL) {
		fprintf(stderr, "  %s\n", err);
		free(text);
		return;
	}
	CHECK("ncu-2.2: four metric columns", ncu_csv_nmetrics(p) == 4);
	CHECK("ncu-2.2: the first metric",
	    strcmp(ncu_csv_metric(p, 0), "dram__bytes.sum") == 0);
	CHECK("ncu-2.3: units from the units row",
	    strcmp(ncu_csv_unit(p, 1), "nsecond") == 0 &&
	    strcmp(ncu_csv_unit(p, 2), "register/thread") == 0 &&
	    strcmp(ncu_csv_unit(p, 3), "%") == 0);
	CHECK("ncu-2.4: five launches (the units row is none)",
	    ncu_csv_nlaunches(p) == 5);
	markers = ncu_csv_link(p, NCU_MARKER_KERNEL, &points, err,
	    sizeof(err));
	CHECK("ncu-2.5: two markers", markers == 2);
	CHECK("ncu-2.5: two points", points == 2);
	CHECK("ncu-2.6: a quoted name with commas and doubled quotes",
	    strcmp(ncu_csv_launch(p, 1)->kernel, gemm) == 0);
	CHECK("ncu-2.7: grid and block",
	    ncu_csv_launch(p, 1)->grid[0] == 16 &&
	    ncu_csv_launch(p, 1)->grid[1] == 8 &&
	    ncu_csv_launch(p, 1)->block[0] == 256);
	CHECK("ncu-2.7: stream and ID", ncu_csv_launch(p, 1)->stream == 13 &&
	    ncu_csv_launch(p, 4)->id == 4);

	nrows = 0;
	CHECK("ncu-2.8: foreach", ncu_csv_foreach(p, collect, NULL) == 0);
	/* 4 + 4 + 3 (the empty cell holds nothing); markers left out */
	CHECK("ncu-2.8: eleven metric rows", nrows == 11);
	for (int i = 0; i < nrows; i++)
		CHECK("ncu-2.8: no marker row",
		    strcmp(rows[i].launch->kernel, NCU_MARKER_KERNEL) != 0);
	r = find(gemm, "dram__bytes.sum");
	CHECK("ncu-2.9: 1,234,567 bytes", r != NULL && r->value == 1234567 &&
	    r->text == NULL && strcmp(r->unit, "byte") == 0);
	r = find(gemm, "gpu__time_duration.sum");
	CHECK("ncu-2.9: 12,345.5 ns, point 0", r != NULL &&
	    r->value == 12345.5 && r->point_idx == 0);
	r = find("loss_mse_kernel(const float *, const float *, float *, int)",
	    "sm__throughput.avg.pct_of_peak_sustained_elapsed");
	CHECK("ncu-2.10: n/a is kept as text", r != NULL && isnan(r->value) &&
	    r->text != NULL && strcmp(r->text, "n/a") == 0);
	r = find("sgd_kernel(float *, const float *, float, long)",
	    "dram__bytes.sum");
	CHECK("ncu-2.11: an empty cell is no row", r == NULL);
	r = find("sgd_kernel(float *, const float *, float, long)",
	    "gpu__time_duration.sum");
	CHECK("ncu-2.12: after the second marker: point 1", r != NULL &&
	    r->point_idx == 1 && r->value == 2048.25 &&
	    r->launch->id == 4);
	ncu_csv_free(p);
	free(text);
}

static void
test_awkward(void)
{
	struct ncu_csv *p = NULL;
	const struct ncu_row *r;
	const char *tmpl = "kernel<\"a,b\", 2>(x, \"y\")";
	char err[256] = "";
	size_t len;
	char *text = slurp("ncu_raw_awkward.csv", &len);
	int points = -1;

	CHECK("ncu-3.1: parses", ncu_csv_parse(&p, text, len, err,
	    sizeof(err)) == 0);
	if (p == NULL) {
		fprintf(stderr, "  %s\n", err);
		free(text);
		return;
	}
	CHECK("ncu-3.2: no units row: four launches, no units",
	    ncu_csv_nlaunches(p) == 4 && ncu_csv_unit(p, 0) == NULL);
	CHECK("ncu-3.3: a marker written name()", ncu_csv_link(p,
	    NCU_MARKER_KERNEL, &points, err, sizeof(err)) == 1);
	CHECK("ncu-3.3: one point (the launch before it has none)",
	    points == 1);
	nrows = 0;
	ncu_csv_foreach(p, collect, NULL);
	CHECK("ncu-3.4: eleven rows", nrows == 11);
	r = find("cast_kernel", "gpu__time_duration.sum");
	CHECK("ncu-3.5: before any marker: point -1, exponent read",
	    r != NULL && r->point_idx == -1 && r->value == 1500 &&
	    r->unit == NULL);
	r = find("cast_kernel", "launch__grid_size");
	CHECK("ncu-3.6: (4, 1, 1) in a metric cell is text", r != NULL &&
	    r->text != NULL && strcmp(r->text, "(4, 1, 1)") == 0);
	r = find("cast_kernel", "smsp__pcsamp_warps_issue_stalled_barrier");
	CHECK("ncu-3.6: 1,23 is text, not 123", r != NULL && r->text != NULL &&
	    strcmp(r->text, "1,23") == 0);
	r = find(tmpl, "l1tex__t_bytes.sum");
	CHECK("ncu-3.7: quoted template name, point 5, 12,345,678",
	    r != NULL && r->point_idx == 5 && r->value == 12345678);
	CHECK("ncu-3.8: an empty stream is unknown, a bad block is 0",
	    r != NULL && r->launch->stream == -1 &&
	    r->launch->block[0] == 0 && r->launch->grid[2] == 3);
	r = find("name with, comma", "l1tex__t_bytes.sum");
	CHECK("ncu-3.9: an empty last cell before CRLF is no row", r == NULL);
	r = find("name with, comma", "smsp__pcsamp_warps_issue_stalled_barrier");
	CHECK("ncu-3.9: the last launch", r != NULL && r->value == 0.5 &&
	    r->launch->stream == 14 && r->launch->id == 10);
	ncu_csv_free(p);
	free(text);
}

static void
test_broken(void)
{
	static const char hdr[] = "\"ID\",\"Kernel Name\",\"Grid Size\","
	    "\"gpu__time_duration.sum\"\n";
	struct {
		const char *id, *text, *needle;
	} bad[] = {
		{ "ncu-4.1: no header", "==PROF== No kernels were profiled.\n",
		    "no header" },
		{ "ncu-4.2: details page", "\"Kernel Name\",\"Metric\"\n",
		    "no header" },
		{ "ncu-4.3: unterminated quote", NULL, "line 2" },
		{ "ncu-4.4: a missing cell", NULL, "line 2: 3 cells" },
		{ "ncu-4.5: an ID that is no number", NULL, "ID 'x'" },
		{ "ncu-4.6: an extra cell", NULL, "line 3: 5 cells" },
	};
	char buf[6][256], err[256];

	snprintf(buf[2], sizeof(buf[2]), "%s\"0\",\"k(\",\"(1, 1, 1)\",\"5",
	    hdr);
	snprintf(buf[3], sizeof(buf[3]), "%s\"0\",\"k\",\"(1, 1, 1)\"\n", hdr);
	snprintf(buf[4], sizeof(buf[4]), "%sx,k,1,5\n", hdr);
	snprintf(buf[5], sizeof(buf[5]), "%s0,k,1,5\n1,k,1,5,6\n", hdr);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ncu_csv *p = (struct ncu_csv *)&err;	/* not NULL */
		const char *t = bad[i].text != NULL ? bad[i].text : buf[i];

		err[0] = '\0';
		CHECK(bad[i].id, ncu_csv_parse(&p, t, strlen(t), err,
		    sizeof(err)) == -1 && p == NULL);
		CHECK(bad[i].id, strstr(err, bad[i].needle) != NULL);
		if (strstr(err, bad[i].needle) == NULL)
			fprintf(stderr, "  got: %s\n", err);
	}

	/* a marker whose grid is not (N, 1, 1) */
	{
		static const char t[] = "ID,Kernel Name,Grid Size,m\n"
		    "0,sb_profile_marker_kernel,\"(0, 1, 1)\",1\n";
		struct ncu_csv *p = NULL;

		CHECK("ncu-4.7: parses", ncu_csv_parse(&p, t, strlen(t), err,
		    sizeof(err)) == 0);
		if (p != NULL) {
			CHECK("ncu-4.7: a marker of grid 0 is refused",
			    ncu_csv_link(p, NCU_MARKER_KERNEL, NULL, err,
			    sizeof(err)) == -1 && strstr(err, "(0, 1, 1)") !=
			    NULL);
			ncu_csv_free(p);
		}
	}
	/* a header alone is an empty profile, not an error */
	{
		struct ncu_csv *p = NULL;

		CHECK("ncu-4.8: header only", ncu_csv_parse(&p, hdr,
		    strlen(hdr), err, sizeof(err)) == 0 && p != NULL &&
		    ncu_csv_nlaunches(p) == 0);
		ncu_csv_free(p);
	}
}

int
main(void)
{
	test_numbers();
	test_fixture();
	test_awkward();
	test_broken();
	/* the per-device cells ncu repeats for every kernel */
	CHECK("ncu-9.1: device attributes are per device",
	    ncu_metric_per_device("device__attribute_clock_rate") &&
	    ncu_metric_per_device("nvlink__count") &&
	    ncu_metric_per_device("c2clink__present") &&
	    ncu_metric_per_device("numa__id_cpu") &&
	    ncu_metric_per_device("profiler__replayer_passes"));
	CHECK("ncu-9.2: launch and counter metrics are per kernel",
	    !ncu_metric_per_device("gpu__time_duration.sum") &&
	    !ncu_metric_per_device("launch__registers_per_thread") &&
	    !ncu_metric_per_device("sm__throughput.avg.pct_of_peak_"
	    "sustained_elapsed") && !ncu_metric_per_device("device") &&
	    !ncu_metric_per_device(""));
	return check_summary("test_ncu_csv");
}
