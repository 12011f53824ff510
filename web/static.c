/*
 * web/static.c — /static/<name> for the three files of the build's webroot
 * (app.js, style.css, chart.min.js), read into memory by web_load().
 *
 * Not Kore's filemap: the path is compared with a fixed list of names, so
 * no request can reach any other file, whatever its dots, slashes or
 * percent-escapes (filemap's realpath check accepts any sibling directory
 * whose name starts with the webroot's); and the answers carry the same
 * security headers as the rest (filemap's cannot).
 */
#include <string.h>

#include <kore/kore.h>
#include <kore/http.h>

#include "web.h"

int
web_static(struct http_request *req)
{
	static const char	 prefix[] = "/static/";
	static const char	 nf[] = "no such file\n";
	const struct web_file	*f = NULL;
	const char		*inm;

	if (!web_method_ok(req, 0))
		return (KORE_RESULT_OK);
	if (strncmp(req->path, prefix, sizeof(prefix) - 1) == 0)
		f = web_file_find(req->path + sizeof(prefix) - 1);
	if (f == NULL) {
		web_headers(req, 0);
		http_response_header(req, "content-type",
		    "text/plain; charset=utf-8");
		http_response(req, HTTP_STATUS_NOT_FOUND, nf, sizeof(nf) - 1);
		return (KORE_RESULT_OK);
	}
	web_headers(req, 1);
	http_response_header(req, "etag", f->etag);
	if (http_request_header(req, "if-none-match", &inm) &&
	    strcmp(inm, f->etag) == 0) {
		http_response(req, HTTP_STATUS_NOT_MODIFIED, NULL, 0);
		return (KORE_RESULT_OK);
	}
	http_response_header(req, "content-type", f->type);
	http_response(req, HTTP_STATUS_OK, f->data, f->len);
	return (KORE_RESULT_OK);
}
