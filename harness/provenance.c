/* harness/provenance.c — run identity (see provenance.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "provenance.h"

int
sb_uuid_v4(char out[37])
{
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -1;
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

int64_t
sb_proc_start(int64_t pid)
{
	char path[64], buf[1024], *p;
	long long start = -1;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%lld/stat", (long long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* the command name may hold spaces and parentheses: skip past the
	 * last ')' and count fields from there (field 3 is the state) */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	p++;
	for (int field = 3; field <= 22 && p != NULL; field++) {
		while (*p == ' ')
			p++;
		if (field == 22) {
			start = strtoll(p, NULL, 10);
			break;
		}
		p = strchr(p, ' ');
	}
	return start;
}

int
sb_proc_alive(int64_t pid, int64_t start)
{
	int64_t now;

	if (pid <= 0 || (now = sb_proc_start(pid)) < 0)
		return 0;
	return start == 0 || now == start;
}
