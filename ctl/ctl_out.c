/*
 * Output: messages on stderr, results on stdout. JSON is written with
 * reals in 15 significant digits (1.1, not 1.1000000000000001) unless
 * that would not read back as the same value, as cfgmgr writes its file.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static void
vwarnx(const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", CTL_PROGNAME);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
ctl_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
}

/* Print the message, return status: `return ctl_fail(1, ...)`. */
int
ctl_fail(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	return status;
}

/* v as JSON text (malloc'd; NULL on ENOMEM). */
char *
ctl_json_text(const json_t *v, bool pretty)
{
	size_t flags = JSON_ENCODE_ANY | (pretty ? JSON_INDENT(2) :
	    JSON_COMPACT);
	char *text = json_dumps(v, flags | JSON_REAL_PRECISION(15));
	json_t *back;

	if (text == NULL)
		return NULL;
	back = json_loads(text, JSON_DECODE_ANY, NULL);
	if (back == NULL || !json_equal(back, v)) {
		free(text);
		text = json_dumps(v, flags | JSON_REAL_PRECISION(17));
	}
	json_decref(back);
	return text;
}

/* v as pretty JSON and a newline ("null" for NULL). */
void
ctl_print_json(const json_t *v)
{
	json_t *null = json_null();
	char *text = ctl_json_text(v != NULL ? v : null, true);

	if (text != NULL)
		puts(text);
	free(text);
}

/* An answer's value: a string as is, nothing for no value, other JSON
 * pretty; with --json always JSON ("null" for none). */
void
ctl_print_value(struct ctl *c, const json_t *v)
{
	if (c->json)
		ctl_print_json(v);
	else if (json_is_string(v))
		puts(json_string_value(v));
	else if (v != NULL && !json_is_null(v))
		ctl_print_json(v);
}

/* s, then spaces up to width (at least one space). */
void
ctl_pad(FILE *fp, const char *s, int width)
{
	int n = (int)strlen(s);

	fputs(s, fp);
	do
		fputc(' ', fp);
	while (++n < width);
}

/* The strings of the NULL-terminated array v joined with ", " (malloc'd;
 * NULL if out of memory). */
char *
ctl_join(const char *const *v)
{
	size_t len = 1, i;
	char *buf;

	for (i = 0; v[i] != NULL; i++)
		len += strlen(v[i]) + 2;
	if ((buf = malloc(len)) == NULL)
		return NULL;
	buf[0] = '\0';
	for (i = 0; v[i] != NULL; i++)
		strcat(strcat(buf, i > 0 ? ", " : ""), v[i]);
	return buf;
}
