/*
 * `ccbusctl status [NAME]`: the boss's `status`, one aligned line per
 * component, like supervisorctl: NAME STATE PID UPTIME RESTARTS
 * LAST-EXIT; "-" where there is nothing (no process, never exited).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define NCOLS	6

static const char *const heads[NCOLS] = {
	"NAME", "STATE", "PID", "UPTIME", "RESTARTS", "LAST-EXIT",
};

/* 3d 04:05:06, 1:02:03, 2:03, 12s. */
static void
fmt_uptime(char *buf, size_t len, double secs)
{
	long long t = (long long)secs, d = t / 86400, h = t / 3600 % 24,
	    m = t / 60 % 60, s = t % 60;

	if (d > 0)
		snprintf(buf, len, "%lldd %02lld:%02lld:%02lld", d, h, m, s);
	else if (h > 0)
		snprintf(buf, len, "%lld:%02lld:%02lld", h, m, s);
	else if (m > 0)
		snprintf(buf, len, "%lld:%02lld", m, s);
	else
		snprintf(buf, len, "%llds", s);
}

/* The cells of one component's row. */
static void
row_cells(const json_t *st, char cells[NCOLS][128])
{
	const json_t *pid = json_object_get(st, "pid");
	const char *s;

	s = json_string_value(json_object_get(st, "name"));
	snprintf(cells[0], 128, "%s", s != NULL ? s : "?");
	s = json_string_value(json_object_get(st, "state"));
	snprintf(cells[1], 128, "%s", s != NULL ? s : "?");
	if (json_is_integer(pid)) {
		snprintf(cells[2], 128, "%lld",
		    (long long)json_integer_value(pid));
		fmt_uptime(cells[3], 128, json_number_value(json_object_get(st,
		    "uptime")));
	} else {
		strcpy(cells[2], "-");
		strcpy(cells[3], "-");
	}
	snprintf(cells[4], 128, "%lld", (long long)json_integer_value(
	    json_object_get(st, "restarts")));
	s = json_string_value(json_object_get(st, "last_exit"));
	snprintf(cells[5], 128, "%s", s != NULL ? s : "-");
}

static void
print_table(const json_t *list)
{
	char (*cells)[NCOLS][128];
	size_t n = json_array_size(list), i;
	int w[NCOLS];

	if ((cells = calloc(n + 1, sizeof(*cells))) == NULL)
		return;
	for (int j = 0; j < NCOLS; j++)
		snprintf(cells[0][j], 128, "%s", heads[j]);
	for (i = 0; i < n; i++)
		row_cells(json_array_get(list, i), cells[i + 1]);
	for (int j = 0; j < NCOLS; j++) {
		w[j] = 0;
		for (i = 0; i <= n; i++)
			if ((int)strlen(cells[i][j]) > w[j])
				w[j] = (int)strlen(cells[i][j]);
	}
	for (i = 0; i <= n; i++) {
		for (int j = 0; j < NCOLS - 1; j++)
			ctl_pad(stdout, cells[i][j], w[j] + 2);
		puts(cells[i][NCOLS - 1]);
	}
	free(cells);
}

int
ctl_cmd_status(struct ctl *c, int argc, char **argv)
{
	json_t *args = NULL, *list;
	int r;

	if (argc > 1)
		return ctl_fail(CTL_USAGE, "usage: %s status [NAME]",
		    CTL_PROGNAME);
	if (argc == 1)
		args = json_pack("{s:s}", "name", argv[0]);
	r = ctl_call(c, "Boss", "status", args, &list);
	json_decref(args);
	if (r == CTL_OK && !json_is_array(list))
		r = ctl_fail(CTL_ERROR, "Boss status: the answer is not a "
		    "list");
	else if (r == CTL_OK && c->json)
		ctl_print_json(list);
	else if (r == CTL_OK)
		print_table(list);
	json_decref(list);
	return r;
}
