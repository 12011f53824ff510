/*
 * web/api.c — /api/<name>: one db_query_table() call per request, answered
 * as JSON or (format=csv) as a CSV attachment.
 *
 * Status codes (docs/dashboard.md): 400 for a malformed or missing id or
 * an unknown format, 404 for an id that names no run, 503 while there is
 * no usable database, 500 only when SQLite fails on a database that did
 * open.  The table text comes from db/ (SQLite's JSON functions, RFC 4180
 * CSV), bounded by each query's row limit; this file adds nothing to it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kore/kore.h>
#include <kore/http.h>

#include "db.h"
#include "query.h"
#include "web.h"

static const struct api_route {
	const char	*path;
	enum db_query	 query;
	int		 nargs;		/* run ids: 0, 1 (id) or 2 (a, b);
					 * WEB_POINT: run and point */
} routes[] = {
	{ "/api/runs",		DB_Q_RUNS,		0 },
	{ "/api/run",		DB_Q_RUN,		1 },
	{ "/api/results",	DB_Q_RESULTS,		1 },
	{ "/api/baseline",	DB_Q_BASELINE,		1 },
	{ "/api/phases",	DB_Q_PHASES,		1 },
	{ "/api/curves",	DB_Q_CURVES,		1 },
	{ "/api/compare",	DB_Q_COMPARE,		2 },
	{ "/api/compare_env",	DB_Q_COMPARE_ENV,	2 },
	{ "/api/launch_info",	DB_Q_LAUNCHES,		1 },
	{ "/api/scaler",	DB_Q_SCALER,		1 },
	{ "/api/comm",		DB_Q_COMM,		1 },
	{ "/api/compare_fp",	DB_Q_COMPARE_FP,	2 },
	{ "/api/point",		DB_Q_POINT,		WEB_POINT },
	{ "/api/kernels",	DB_Q_KERNELS,		WEB_POINT },
	{ "/api/profile",	DB_Q_PROFILE,		WEB_POINT },
};

static const char *const one_id[] = { "id" };
static const char *const two_ids[] = { "a", "b" };

int
web_api(struct http_request *req)
{
	const struct api_route	*r = NULL;
	struct db		*h;
	enum db_fmt		 fmt = DB_FMT_JSON;
	const char		*why, *name;
	char			 msg[512], val[16], disp[128];
	char			*out = NULL;
	size_t			 len = 0, i;
	int64_t			 ids[2];
	int			 rc;

	if (!web_method_ok(req, 1))
		return (KORE_RESULT_OK);
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strcmp(req->path, routes[i].path) == 0)
			r = &routes[i];
	if (r == NULL) {
		web_json_error(req, HTTP_STATUS_NOT_FOUND, "no such API "
		    "route; docs/dashboard.md lists them");
		return (KORE_RESULT_OK);
	}

	switch (web_arg(req->query_string, "format", val, sizeof(val))) {
	case WEB_ARG_ABSENT:
		break;
	case WEB_ARG_OK:
		if (strcmp(val, "csv") == 0) {
			fmt = DB_FMT_CSV;
			break;
		}
		if (strcmp(val, "json") == 0)
			break;
		/* FALLTHROUGH */
	case WEB_ARG_BAD:
		web_json_error(req, HTTP_STATUS_BAD_REQUEST, "unknown format; "
		    "give format=json (the default) or format=csv");
		return (KORE_RESULT_OK);
	}
	if (r->nargs == WEB_POINT ? web_point(req->query_string, ids, msg,
	    sizeof(msg)) == -1 : web_ids(req->query_string, r->nargs == 2 ?
	    two_ids : one_id, r->nargs, ids, msg, sizeof(msg)) == -1) {
		web_json_error(req, HTTP_STATUS_BAD_REQUEST, msg);
		return (KORE_RESULT_OK);
	}
	if ((h = web_db(&why)) == NULL) {
		web_json_error(req, HTTP_STATUS_SERVICE_UNAVAILABLE, why);
		return (KORE_RESULT_OK);
	}

	rc = db_query_table(h, r->query, ids, r->nargs == WEB_POINT ? 2 :
	    r->nargs, fmt, &out, &len);
	if (rc == DB_NOTFOUND) {
		web_json_error(req, HTTP_STATUS_NOT_FOUND, db_errmsg(h));
		goto out;
	}
	if (rc != 0) {
		kore_log(LOG_ERR, "dashboard: %s: %s", req->path,
		    db_errmsg(h));
		web_json_error(req, HTTP_STATUS_INTERNAL_ERROR, db_errmsg(h));
		goto out;
	}

	web_headers(req, 0);
	if (fmt == DB_FMT_JSON)
		http_response_header(req, "content-type",
		    "application/json; charset=utf-8");
	else {
		/* The name is ours ("results", ...) and the ids integers,
		 * so the header needs no quoting beyond the quotes. */
		if ((name = db_query_name(r->query)) == NULL)
			name = "table";
		if (r->nargs == 0)
			snprintf(disp, sizeof(disp), "attachment; "
			    "filename=\"%s.csv\"", name);
		else if (r->nargs == WEB_POINT)
			snprintf(disp, sizeof(disp), "attachment; "
			    "filename=\"%s-%" PRId64 "-%" PRId64 ".csv\"",
			    name, ids[0], ids[1]);
		else if (r->nargs == 1)
			snprintf(disp, sizeof(disp), "attachment; "
			    "filename=\"%s-%" PRId64 ".csv\"", name, ids[0]);
		else
			snprintf(disp, sizeof(disp), "attachment; "
			    "filename=\"%s-%" PRId64 "-%" PRId64 ".csv\"",
			    name, ids[0], ids[1]);
		http_response_header(req, "content-type",
		    "text/csv; charset=utf-8");
		http_response_header(req, "content-disposition", disp);
	}
	http_response(req, HTTP_STATUS_OK, out, len);
out:
	free(out);
	return (KORE_RESULT_OK);
}
