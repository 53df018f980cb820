/*
 * The fixture of the tests that run a real ccbus-msgq and ccbus-cfgmgr
 * with modules written with libcc's module API in this process's
 * libevent loop (test_config_suite, test_reconnect): the daemons, the
 * loop, the operator's session attached to it, spec files in a temporary
 * directory, and the waits, all driven by the loop under a deadline.
 *
 * Like test_boss.h, a header of static functions for one test program:
 * its globals are that program's.
 */
#ifndef SUITE_H
#define SUITE_H

#include <poll.h>
#include <stdbool.h>
#include <stdio.h>

#include <event2/event.h>
#include <cc/cc.h>

#include "itest.h"

static struct tl_msgq *mq, *cm;		/* the daemons */
static struct event_base *base;		/* the modules' and ctl's loop */
static struct cc_session *ctl;		/* the operator's session */
static char specdir[TL_DIR_MAX];	/* the tests' spec files */

/* Run the loop until cond holds (a deadline, never a sleep). */
#define loop_until(cond) do {						\
	int64_t d_ = tl_now_ms() + WAIT;				\
	while (!(cond)) {						\
		ck_assert_msg(tl_now_ms() < d_, "timed out: %s", #cond); \
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);	\
		poll(NULL, 0, 1);					\
	}								\
} while (0)

/* The element i of a recorder's array must equal want (stolen). */
#define assert_nth(arr, i, want) do {					\
	ck_assert_uint_gt(json_array_size(arr), (i));			\
	assert_json(json_array_get((arr), (i)), (want));		\
} while (0)

/* Write a spec file into specdir; its path in buf. */
static inline void
suite_write_spec(const char *name, const char *text, char *buf, size_t len)
{
	FILE *fp;

	snprintf(buf, len, "%s/%s", specdir, name);
	ck_assert_ptr_nonnull(fp = fopen(buf, "w"));
	ck_assert_int_ge(fputs(text, fp), 0);
	ck_assert_int_eq(fclose(fp), 0);
}

/* A module started on mq with spec file text written into specdir
 * (text NULL: file is the path of an existing spec). */
static inline struct cc_module *
suite_module_start(const char *file, const char *text, cc_config_cb config,
    cc_command_cb command, void *arg)
{
	char path[TL_PATH_MAX];
	struct cc_module *m;
	int rc;

	if (text != NULL)
		suite_write_spec(file, text, path, sizeof(path));
	else
		snprintf(path, sizeof(path), "%s", file);
	ck_assert_ptr_nonnull(m = cc_module_new(base, path, config, command,
	    arg));
	rc = cc_module_start(m, mq->sock, 5000);
	ck_assert_msg(rc == CC_OK, "start %s: %s", file, cc_module_error(m));
	return m;
}

/* A call made by ctl, completed by the loop. */
struct pending {
	bool	 done;
	int	 status;
	json_t	*value;		/* the answer's value, if any */
};

static inline void
pending_done(struct cc_session *s, int status, struct cc_msg *answer,
    void *arg)
{
	struct pending *p = arg;
	json_t *body = NULL, *value = NULL;
	int rcode;

	p->done = true;
	p->status = status;
	if (answer != NULL && cc_msg_body(answer, &body, NULL, 0) == CC_OK &&
	    cc_answer_parse(body, &rcode, &value) == CC_OK && value != NULL)
		p->value = json_incref(value);
}

/*
 * Send command name (args stolen, may be NULL) to group through ctl and
 * run the loop until it is answered or timeout_ms pass. Returns the
 * call's status (CC_OK, CC_EANSWER...), or cc_call_async()'s error when
 * it could not be sent (ctl may be reconnecting); the answer's value in
 * *value (new reference, may be NULL) if value is not NULL.
 */
static inline int
ctl_call_within(const char *group, const char *name, json_t *args,
    json_t **value, int timeout_ms)
{
	struct pending p = { false, 0, NULL };
	json_t *body = cc_command_new(name, args);
	int rc;

	json_decref(args);
	rc = cc_call_async(ctl, group, NULL, NULL, body, timeout_ms,
	    pending_done, &p);
	json_decref(body);
	if (rc != CC_OK)
		return rc;
	while (!p.done)
		ck_assert_int_ge(event_base_loop(base, EVLOOP_ONCE), 0);
	if (value != NULL)
		*value = p.value;
	else
		json_decref(p.value);
	return p.status;
}

/* Start cfgmgr on mq with data in its own directory; ready when it has
 * told group Boss it runs. */
static inline void
suite_cfgmgr_start(void)
{
	struct tl_client *boss = it_client(mq);
	const char *args[] = { "-s", mq->sock, "-p", NULL, "-v", NULL };

	it_subscribe_sync(boss, "Boss", NULL);
	ck_assert_ptr_nonnull(cm = tl_daemon_new("cfgmgr/ccbus-cfgmgr"));
	args[3] = cm->dir;
	ck_assert_int_eq(tl_msgq_spawn(cm, args), 0);
	ck_assert_msg(tl_client_wait_running(boss, "ConfigManager",
	    tl_ms(10000)), "cfgmgr never said it runs (log %s)", cm->log);
	tl_client_free(boss);
}

/* The operator's session takes no unasked messages. */
static inline void
suite_ctl_ignore(struct cc_session *s, struct cc_msg *msg, void *arg)
{
}

/* msgq, cfgmgr, the spec directory, the loop and ctl attached to it. */
static inline void
suite_setup(void)
{
	mq = it_msgq();
	suite_cfgmgr_start();
	ck_assert_int_eq(tl_tmpdir_make(specdir, sizeof(specdir)), 0);
	ck_assert_ptr_nonnull(base = event_base_new());
	ck_assert_ptr_nonnull(ctl = cc_session_new());
	ck_assert_int_eq(cc_session_connect(ctl, mq->sock, 5000), CC_OK);
	ck_assert_int_eq(cc_session_attach(ctl, base, suite_ctl_ignore, NULL,
	    NULL), CC_OK);
}

#endif
