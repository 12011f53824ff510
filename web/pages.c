/*
 * web/pages.c — the server-rendered HTML shells (runs, run, compare,
 * point), the headers every answer carries, escaping, and the 404 for
 * unknown paths.
 *
 * A shell is the fixed page of docs/dashboard.md; app.js fills #app from
 * the API.  Error shells (400, 404, no database) show the message in
 * #error, set #status to data-state="error" and load no scripts, so
 * nothing on an error page depends on the front end.  Every string that
 * came from the database or the environment passes web_html_escape; the
 * only other variable text is formatted integers.
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

struct shell {
	const char	*page;		/* data-page */
	char		 attrs[96];	/* " data-id=\"3\"": integers only */
	char		 title[320];	/* unescaped */
	const char	*error;		/* NULL: a working page */
};

static void	shell_send(struct http_request *, int, const struct shell *);
static int	run_title(struct http_request *, struct db *, int64_t,
		    struct shell *, char *, size_t);

void
web_headers(struct http_request *req, int cacheable)
{
	http_response_header(req, "content-security-policy",
	    "default-src 'self'");
	http_response_header(req, "x-content-type-options", "nosniff");
	http_response_header(req, "x-frame-options", "DENY");
	http_response_header(req, "referrer-policy", "no-referrer");
	/* Static files may be kept, but are revalidated (ETag → 304) so
	 * that a rebuilt app.js is picked up on the next load. */
	http_response_header(req, "cache-control",
	    cacheable ? "no-cache" : "no-store");
}

int
web_method_ok(struct http_request *req, int json)
{
	static const char	msg[] = "only GET and HEAD are allowed here; "
	    "the dashboard is read-only";

	if (req->method == HTTP_METHOD_GET || req->method == HTTP_METHOD_HEAD)
		return (1);
	http_response_header(req, "allow", "GET, HEAD");
	if (json)
		web_json_error(req, HTTP_STATUS_METHOD_NOT_ALLOWED, msg);
	else {
		web_headers(req, 0);
		http_response_header(req, "content-type",
		    "text/plain; charset=utf-8");
		http_response(req, HTTP_STATUS_METHOD_NOT_ALLOWED, msg,
		    sizeof(msg) - 1);
	}
	return (0);
}

void
web_html_escape(struct kore_buf *b, const char *s)
{
	const char	*run = s, *rep;

	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		kore_buf_append(b, run, s - run);
		kore_buf_append(b, rep, strlen(rep));
		run = s + 1;
	}
	kore_buf_append(b, run, s - run);
}

/*
 * A JSON string literal.  Control characters are \u-escaped; bytes that are
 * not well-formed UTF-8 (a path on disk may hold any) become U+FFFD, so the
 * answer is always valid JSON.
 */
void
web_json_string(struct kore_buf *b, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n, i;
	unsigned int		 cp;

	kore_buf_append(b, "\"", 1);
	while (*p != '\0') {
		if (*p == '"' || *p == '\\') {
			kore_buf_appendf(b, "\\%c", *p++);
			continue;
		}
		if (*p < 0x20 || *p == 0x7f) {
			kore_buf_appendf(b, "\\u%04x", *p++);
			continue;
		}
		if (*p < 0x80) {
			kore_buf_append(b, p++, 1);
			continue;
		}
		/* Lead byte: sequence length and the bits it carries. */
		if (*p >= 0xc2 && *p <= 0xdf)
			n = 2, cp = *p & 0x1f;
		else if (*p >= 0xe0 && *p <= 0xef)
			n = 3, cp = *p & 0x0f;
		else if (*p >= 0xf0 && *p <= 0xf4)
			n = 4, cp = *p & 0x07;
		else
			n = 0, cp = 0;
		for (i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				break;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		/* Overlong forms, surrogates and > U+10FFFF are invalid. */
		if (n == 0 || i < n || (n == 3 && cp < 0x800) ||
		    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff)) {
			kore_buf_append(b, "\\ufffd", 6);
			p++;
			continue;
		}
		kore_buf_append(b, p, n);
		p += n;
	}
	kore_buf_append(b, "\"", 1);
}

void
web_json_error(struct http_request *req, int status, const char *msg)
{
	struct kore_buf	b;

	kore_buf_init(&b, 256);
	kore_buf_append(&b, "{\"error\": ", 10);
	web_json_string(&b, msg);
	kore_buf_append(&b, "}\n", 2);
	web_headers(req, 0);
	http_response_header(req, "content-type",
	    "application/json; charset=utf-8");
	http_response(req, status, b.data, b.offset);
	kore_buf_cleanup(&b);
}

static void
shell_send(struct http_request *req, int status, const struct shell *sh)
{
	struct kore_buf	b;

	kore_buf_init(&b, 1024);
	kore_buf_appendf(&b, "<!doctype html>\n"
	    "<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	    "<title>stepbench — ");
	web_html_escape(&b, sh->title);
	kore_buf_appendf(&b, "</title>\n"
	    "<link rel=\"stylesheet\" href=\"/static/style.css\">\n");
	if (sh->error == NULL)
		kore_buf_appendf(&b,
		    "<script src=\"/static/chart.min.js\" defer></script>\n"
		    "<script src=\"/static/app.js\" defer></script>\n");
	kore_buf_appendf(&b, "</head>\n<body data-page=\"%s\"%s>\n"
	    "<header><a href=\"/\">stepbench</a> <span id=\"title\">",
	    sh->page, sh->attrs);
	web_html_escape(&b, sh->title);
	kore_buf_appendf(&b, "</span></header>\n");
	if (sh->error == NULL)
		kore_buf_appendf(&b, "<div id=\"error\" hidden></div>\n"
		    "<main id=\"app\"></main>\n"
		    "<footer id=\"status\" data-state=\"loading\">loading…"
		    "</footer>\n");
	else {
		kore_buf_appendf(&b, "<div id=\"error\">");
		web_html_escape(&b, sh->error);
		kore_buf_appendf(&b, "</div>\n<main id=\"app\"></main>\n"
		    "<footer id=\"status\" data-state=\"error\">error"
		    "</footer>\n");
	}
	kore_buf_appendf(&b, "</body></html>\n");

	web_headers(req, 0);
	http_response_header(req, "content-type", "text/html; charset=utf-8");
	http_response(req, status, b.data, b.offset);
	kore_buf_cleanup(&b);
}

/*
 * Looks run id up for a page: 0 with "run N — label" appended to the
 * title, or -1 after answering 404 / 500 itself.
 */
static int
run_title(struct http_request *req, struct db *h, int64_t id,
    struct shell *sh, char *msg, size_t msglen)
{
	struct db_run_row	row;
	char			ref[24];
	size_t			len = strlen(sh->title);
	int			rc;

	snprintf(ref, sizeof(ref), "%" PRId64, id);
	rc = db_run_find(h, ref, &row);
	/* db_run_find also matches UUID prefixes: "1234" could name a run
	 * whose UUID starts so.  The API means the integer id only. */
	if (rc == DB_NOTFOUND || (rc == 0 && row.id != id)) {
		snprintf(msg, msglen, "no run %" PRId64 " in '%s'; the runs "
		    "page lists the runs there", id, web_db_path());
		snprintf(sh->title, sizeof(sh->title), "no run %" PRId64, id);
		sh->error = msg;
		shell_send(req, HTTP_STATUS_NOT_FOUND, sh);
		return (-1);
	}
	if (rc != 0) {
		kore_log(LOG_ERR, "dashboard: run %" PRId64 ": %s", id,
		    db_errmsg(h));
		snprintf(msg, msglen, "reading run %" PRId64 " failed: %s",
		    id, db_errmsg(h));
		sh->error = msg;
		shell_send(req, HTTP_STATUS_INTERNAL_ERROR, sh);
		return (-1);
	}
	snprintf(sh->title + len, sizeof(sh->title) - len, "%srun %" PRId64
	    "%s%s", len ? " vs " : "", id, row.label[0] ? " — " : "",
	    row.label[0] ? row.label : "");
	return (0);
}

int
web_page_runs(struct http_request *req)
{
	struct shell	 sh = { .page = "runs", .title = "runs" };
	const char	*why;

	if (!web_method_ok(req, 0))
		return (KORE_RESULT_OK);
	if (web_db(&why) == NULL)
		sh.error = why;
	shell_send(req, HTTP_STATUS_OK, &sh);
	return (KORE_RESULT_OK);
}

int
web_page_run(struct http_request *req)
{
	static const char *const names[] = { "id" };
	struct shell	 sh = { .page = "run" };
	struct db	*h;
	const char	*why;
	char		 msg[1200];
	int64_t		 id;

	if (!web_method_ok(req, 0))
		return (KORE_RESULT_OK);
	if (web_ids(req->query_string, names, 1, &id, msg,
	    sizeof(msg)) == -1) {
		snprintf(sh.title, sizeof(sh.title), "bad request");
		sh.error = msg;
		shell_send(req, HTTP_STATUS_BAD_REQUEST, &sh);
		return (KORE_RESULT_OK);
	}
	snprintf(sh.attrs, sizeof(sh.attrs), " data-id=\"%" PRId64 "\"", id);
	if ((h = web_db(&why)) == NULL) {
		snprintf(sh.title, sizeof(sh.title), "run %" PRId64, id);
		sh.error = why;
		shell_send(req, HTTP_STATUS_OK, &sh);
		return (KORE_RESULT_OK);
	}
	if (run_title(req, h, id, &sh, msg, sizeof(msg)) == 0)
		shell_send(req, HTTP_STATUS_OK, &sh);
	return (KORE_RESULT_OK);
}

int
web_page_compare(struct http_request *req)
{
	static const char *const names[] = { "a", "b" };
	struct shell	 sh = { .page = "compare" };
	struct db	*h;
	const char	*why;
	char		 msg[1200];
	int64_t		 ab[2];

	if (!web_method_ok(req, 0))
		return (KORE_RESULT_OK);
	if (web_ids(req->query_string, names, 2, ab, msg,
	    sizeof(msg)) == -1) {
		snprintf(sh.title, sizeof(sh.title), "bad request");
		sh.error = msg;
		shell_send(req, HTTP_STATUS_BAD_REQUEST, &sh);
		return (KORE_RESULT_OK);
	}
	snprintf(sh.attrs, sizeof(sh.attrs), " data-a=\"%" PRId64 "\" "
	    "data-b=\"%" PRId64 "\"", ab[0], ab[1]);
	if ((h = web_db(&why)) == NULL) {
		snprintf(sh.title, sizeof(sh.title), "run %" PRId64 " vs run %"
		    PRId64, ab[0], ab[1]);
		sh.error = why;
		shell_send(req, HTTP_STATUS_OK, &sh);
		return (KORE_RESULT_OK);
	}
	if (run_title(req, h, ab[0], &sh, msg, sizeof(msg)) == 0 &&
	    run_title(req, h, ab[1], &sh, msg, sizeof(msg)) == 0)
		shell_send(req, HTTP_STATUS_OK, &sh);
	return (KORE_RESULT_OK);
}

/*
 * /point?run=N&point=I: one point of a run (its CUPTI kernels, phases and
 * imported profile values).  The run and the point must exist: 404
 * otherwise, with the message db/ gives ("no point I in run N; ...").
 */
int
web_page_point(struct http_request *req)
{
	struct shell	 sh = { .page = "point" };
	struct db	*h;
	const char	*why;
	char		 msg[1200], *rows = NULL;
	size_t		 len;
	int64_t		 ids[2];
	int		 rc;

	if (!web_method_ok(req, 0))
		return (KORE_RESULT_OK);
	if (web_point(req->query_string, ids, msg, sizeof(msg)) == -1) {
		snprintf(sh.title, sizeof(sh.title), "bad request");
		sh.error = msg;
		shell_send(req, HTTP_STATUS_BAD_REQUEST, &sh);
		return (KORE_RESULT_OK);
	}
	snprintf(sh.attrs, sizeof(sh.attrs), " data-run=\"%" PRId64 "\" "
	    "data-point=\"%" PRId64 "\"", ids[0], ids[1]);
	if ((h = web_db(&why)) == NULL) {
		snprintf(sh.title, sizeof(sh.title), "run %" PRId64 " · point %"
		    PRId64, ids[0], ids[1]);
		sh.error = why;
		shell_send(req, HTTP_STATUS_OK, &sh);
		return (KORE_RESULT_OK);
	}
	if (run_title(req, h, ids[0], &sh, msg, sizeof(msg)) == -1)
		return (KORE_RESULT_OK);
	len = strlen(sh.title);
	snprintf(sh.title + len, sizeof(sh.title) - len, " · point %" PRId64,
	    ids[1]);
	/* The point's own row says whether it exists (CSV: the cheaper
	 * text; the page asks for the JSON itself). */
	rc = db_query_table(h, DB_Q_POINT, ids, 2, DB_FMT_CSV, &rows, &len);
	free(rows);
	if (rc == DB_NOTFOUND) {
		snprintf(msg, sizeof(msg), "%s", db_errmsg(h));
		snprintf(sh.title, sizeof(sh.title), "no point %" PRId64
		    " in run %" PRId64, ids[1], ids[0]);
		sh.error = msg;
		shell_send(req, HTTP_STATUS_NOT_FOUND, &sh);
		return (KORE_RESULT_OK);
	}
	if (rc != 0) {
		kore_log(LOG_ERR, "dashboard: point %" PRId64 " of run %"
		    PRId64 ": %s", ids[1], ids[0], db_errmsg(h));
		snprintf(msg, sizeof(msg), "reading point %" PRId64 " of run %"
		    PRId64 " failed: %s", ids[1], ids[0], db_errmsg(h));
		sh.error = msg;
		shell_send(req, HTTP_STATUS_INTERNAL_ERROR, &sh);
		return (KORE_RESULT_OK);
	}
	shell_send(req, HTTP_STATUS_OK, &sh);
	return (KORE_RESULT_OK);
}

/* Every path no route claims (the last route in the configuration). */
int
web_not_found(struct http_request *req)
{
	struct shell	sh = { .page = "error", .title = "not found" };
	int		api = strncmp(req->path, "/api/", 5) == 0;

	if (!web_method_ok(req, api))
		return (KORE_RESULT_OK);
	if (api) {
		web_json_error(req, HTTP_STATUS_NOT_FOUND, "no such API "
		    "route; docs/dashboard.md lists them");
		return (KORE_RESULT_OK);
	}
	sh.error = "no such page; start from the runs page";
	shell_send(req, HTTP_STATUS_NOT_FOUND, &sh);
	return (KORE_RESULT_OK);
}
