/*
 * `ccbusctl members [GROUP]` (msgq's own `members`, each lname with the
 * pid and groups msgq's `clients` knows for it) and `ccbusctl send GROUP
 * JSON` (a command waits for its answer; other bodies are data, for
 * which msgq still says when nobody received them).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* LNAME PID GROUPS, aligned. */
static void
print_members(const json_t *list, const json_t *clients, const char *self)
{
	const json_t *m, *cl;
	int w = 5;
	size_t i;

	json_array_foreach(list, i, m)
		if (json_is_string(m) && (int)strlen(json_string_value(m)) > w)
			w = (int)strlen(json_string_value(m));
	ctl_pad(stdout, "LNAME", w + 2);
	printf("PID      GROUPS\n");
	json_array_foreach(list, i, m) {
		char pid[32] = "-", *groups = NULL;

		if (!json_is_string(m))
			continue;
		if ((cl = ctl_named(clients, "lname",
		    json_string_value(m))) != NULL) {
			if (json_is_integer(json_object_get(cl, "pid")))
				snprintf(pid, sizeof(pid), "%lld", (long long)
				    json_integer_value(json_object_get(cl,
				    "pid")));
			groups = ctl_json_text(json_object_get(cl, "groups"),
			    false);
		}
		ctl_pad(stdout, json_string_value(m), w + 2);
		ctl_pad(stdout, pid, 9);
		printf("%s%s\n", groups != NULL ? groups : "-",
		    strcmp(json_string_value(m), self) == 0 ?
		    " (this ccbusctl)" : "");
		free(groups);
	}
}

int
ctl_cmd_members(struct ctl *c, int argc, char **argv)
{
	json_t *args = NULL, *list, *clients = NULL;
	int r;

	if (argc > 1)
		return ctl_fail(CTL_USAGE, "usage: %s members [GROUP]",
		    CTL_PROGNAME);
	if (argc == 1)
		args = json_pack("{s:s}", "group", argv[0]);
	r = ctl_call(c, "Msgq", "members", args, &list);
	json_decref(args);
	if (r == CTL_OK && c->json)
		ctl_print_json(list);
	else if (r == CTL_OK &&
	    (r = ctl_call(c, "Msgq", "clients", NULL, &clients)) == CTL_OK)
		print_members(list, clients, cc_session_lname(c->s));
	json_decref(list);
	json_decref(clients);
	return r;
}

/*
 * Data: sent with want_answer, which asks msgq for its no-recipient
 * answer only; a ping after it is a barrier (msgq handles our frames in
 * order), so once the pong is back that answer would have come.
 */
static int
send_data(struct ctl *c, const char *group, const json_t *body)
{
	struct cc_msg *m = NULL;
	int64_t seq;
	int r;

	if ((r = cc_send(c->s, group, NULL, NULL, body, CC_WANT_ANSWER,
	    &seq)) != CC_OK ||
	    (r = cc_ping(c->s, NULL, 0, c->timeout_ms, NULL, NULL)) != CC_OK)
		return ctl_status_of(c, r, group, "the message");
	r = cc_recv_answer(c->s, seq, 0, &m);
	cc_msg_unref(m);
	if (r == CC_OK)
		return ctl_status_of(c, CC_ENORECIPIENT, group, "");
	return CTL_OK;
}

/* A command, sent as written; its answer's value is printed. */
static int
send_command(struct ctl *c, const char *group, const char *name,
    const json_t *body)
{
	struct cc_msg *answer = NULL;
	json_t *abody, *value = NULL;
	int r, rcode;

	r = cc_call(c->s, group, NULL, NULL, body, c->timeout_ms, &answer);
	if (r == CC_OK && cc_msg_body(answer, &abody, NULL, 0) == CC_OK &&
	    cc_answer_parse(abody, &rcode, &value) == CC_OK)
		ctl_print_value(c, value);
	cc_msg_unref(answer);
	return ctl_status_of(c, r, group, name);
}

int
ctl_cmd_send(struct ctl *c, int argc, char **argv)
{
	json_error_t jerr;
	json_t *body, *args;
	const char *name;
	int r;

	if (argc != 2)
		return ctl_fail(CTL_USAGE, "usage: %s send GROUP JSON",
		    CTL_PROGNAME);
	if ((body = json_loads(argv[1], JSON_DECODE_ANY, &jerr)) == NULL)
		return ctl_fail(CTL_USAGE, "send: the body is not JSON: %s "
		    "(column %d)", jerr.text, jerr.column);
	if ((r = ctl_connect(c)) == CTL_OK) {
		if (cc_command_parse(body, &name, &args) == CC_OK)
			r = send_command(c, argv[0], name, body);
		else
			r = send_data(c, argv[0], body);
	}
	json_decref(body);
	return r;
}
