/*
 * web/web.h — what the dashboard module's files share (docs/dashboard.md is
 * the contract they implement).
 *
 *   module.c   load/unload callback: the worker's read-only database and
 *              the static files, both per worker
 *   params.c   query-string arguments and run ids (no Kore, no SQLite)
 *   pages.c    the HTML page shells, HTML escaping, the 404 handler
 *   api.c      /api/NAME → db_query_table, JSON errors
 *   static.c   /static/NAME from a fixed list of files held in memory
 *   seccomp.c  the system calls the module needs beyond Kore's own list
 *
 * Kore reaches the handlers by name (the generated configuration names
 * them), so they have external linkage; everything else is web_-prefixed.
 * No SQLite, CUDA or harness header is included here: web links db/ only.
 */
#ifndef SB_WEB_H
#define SB_WEB_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct http_request;
struct kore_buf;

/* The largest run id the API accepts: 2^53, the largest integer a
 * JavaScript number holds exactly. */
#define WEB_ID_MAX	9007199254740992LL

/* --- module.c ------------------------------------------------------------ */

/* The worker's database, (re)opened when it was missing, was replaced on
 * disk, or failed to open before.  NULL with *why set to a message that
 * says what to do (valid until the next call). */
struct db	*web_db(const char **why);
const char	*web_db_path(void);

struct web_file {
	const char	*name;		/* under /static/ */
	const char	*type;		/* Content-Type */
	unsigned char	*data;		/* NULL: missing from the webroot */
	size_t		 len;
	char		 etag[24];	/* "\"<16 hex digits>\"" */
};

/* The static file called name (no directories), or NULL. */
const struct web_file	*web_file_find(const char *name);

/* --- params.c ------------------------------------------------------------ */

enum web_arg {
	WEB_ARG_OK,		/* found; value decoded into val */
	WEB_ARG_ABSENT,
	WEB_ARG_BAD		/* malformed, too long, or given twice */
};

/* Finds name in a raw query string (may be NULL), percent-decodes its
 * value into val (at most len - 1 bytes). */
enum web_arg	 web_arg(const char *qs, const char *name, char *val,
		    size_t len);
/* A run id: decimal digits only, 1..WEB_ID_MAX.  0 or -1. */
int		 web_parse_id(const char *s, int64_t *out);
/* Reads the id parameters names[0..n-1] of a request's query string.
 * 0, or -1 with a message for the 400 answer in why. */
int		 web_ids(const char *qs, const char *const *names, int n,
		    int64_t *ids, char *why, size_t whylen);
/* A point's page and API take run=N (a run id) and point=I (its
 * point_idx: decimal digits, 0..WEB_POINT_MAX).  ids[0] = N, ids[1] = I;
 * 0, or -1 with a message for the 400 answer in why. */
#define WEB_POINT	(-1)		/* an api route's nargs: run and point */
#define WEB_POINT_MAX	2147483647LL
int		 web_point(const char *qs, int64_t ids[2], char *why,
		    size_t whylen);

/* --- responses (pages.c) -------------------------------------------------- */

/* The headers every dynamic answer carries (docs/dashboard.md). */
void	web_headers(struct http_request *, int cacheable);
/* GET and HEAD pass; anything else is answered 405 here (returns 0). */
int	web_method_ok(struct http_request *, int json);
void	web_html_escape(struct kore_buf *, const char *);
void	web_json_string(struct kore_buf *, const char *);
/* Answers {"error": msg} with this status. */
void	web_json_error(struct http_request *, int status, const char *msg);

/* --- handlers (named in the Kore configuration) ------------------------- */

int	web_load(int);
int	web_page_runs(struct http_request *);
int	web_page_run(struct http_request *);
int	web_page_compare(struct http_request *);
int	web_page_point(struct http_request *);
int	web_api(struct http_request *);
int	web_static(struct http_request *);
int	web_not_found(struct http_request *);

#endif
