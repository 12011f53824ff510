/*
 * harness/json.h — a small JSON writer into a growable string, for the
 * environment record and `--json` outputs.  Strings are escaped per RFC 8259;
 * numbers use %.17g; NaN and infinities become null.
 */
#ifndef SB_HARNESS_JSON_H
#define SB_HARNESS_JSON_H

#include <stddef.h>
#include <stdint.h>

struct sb_json {
	char	*buf;
	size_t	 len, cap;
	int	 need_comma;
	int	 oom;
};

void	sb_json_init(struct sb_json *);
void	sb_json_free(struct sb_json *);
void	sb_json_obj_begin(struct sb_json *, const char *key);
void	sb_json_obj_end(struct sb_json *);
void	sb_json_arr_begin(struct sb_json *, const char *key);
void	sb_json_arr_end(struct sb_json *);
/* key is NULL inside arrays. */
void	sb_json_str(struct sb_json *, const char *key, const char *val);
void	sb_json_int(struct sb_json *, const char *key, int64_t val);
void	sb_json_num(struct sb_json *, const char *key, double val);
void	sb_json_bool(struct sb_json *, const char *key, int val);
/* The text, or NULL after an allocation failure. */
const char *sb_json_text(const struct sb_json *);

#endif
