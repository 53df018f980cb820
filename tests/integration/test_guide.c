/*
 * The module writer's guide, doc/writing-modules.md, checked: its module
 * (doc/examples/counter, built from the very file the guide quotes) runs
 * as a process against a real ccbus-msgq and ccbus-cfgmgr and does what
 * the guide says: configuration before and while it runs, a refused
 * value, its commands and their checked arguments, statistics that match
 * its spec, shutdown by command and by signal. The last test keeps the
 * guide and the files in sync: the guide's code blocks must be the files.
 */
#include "config.h"

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cc/cc.h>

#include "itest.h"

#define COUNTER		"doc/examples/counter/counter"

static struct tl_msgq *mq, *cm;
static struct cc_session *ctl;
static char specdir[TL_DIR_MAX];

/* $CCBUS_SRCDIR/rel in buf. */
static const char *
srcpath(const char *rel, char *buf, size_t len)
{
	const char *top = getenv("CCBUS_SRCDIR");

	snprintf(buf, len, "%s/%s", top != NULL ? top : ".", rel);
	return buf;
}

/* The whole file at path, NUL-terminated (malloc'd). */
static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	long len;

	ck_assert_msg(fp != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	ck_assert_int_ge(len = ftell(fp), 0);
	rewind(fp);
	ck_assert_ptr_nonnull(buf = malloc((size_t)len + 1));
	ck_assert_uint_eq(fread(buf, 1, (size_t)len, fp), (size_t)len);
	buf[len] = '\0';
	fclose(fp);
	return buf;
}

static void
copy_file(const char *from, const char *dir, const char *name)
{
	char path[TL_PATH_MAX];
	char *text = slurp(from);
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	ck_assert_int_ge(fputs(text, fp), 0);
	ck_assert_int_eq(fclose(fp), 0);
	free(text);
}

/*
 * The spec directory an installed suite would have: the shipped specs
 * plus counter.spec, as the guide's `make install` step leaves it.
 * Every daemon started from now on reads it ($CCBUS_SPECDIR).
 */
static void
specdir_make(bool with_counter)
{
	char path[TL_PATH_MAX];
	struct dirent *de;
	DIR *d;
	size_t n;

	ck_assert_int_eq(tl_tmpdir_make(specdir, sizeof(specdir)), 0);
	ck_assert_ptr_nonnull(d = opendir(srcpath("specs", path,
	    sizeof(path))));
	while ((de = readdir(d)) != NULL) {
		char from[TL_PATH_MAX + 64];

		n = strlen(de->d_name);
		if (n < 5 || strcmp(de->d_name + n - 5, ".spec") != 0)
			continue;
		snprintf(from, sizeof(from), "%s/%s", path, de->d_name);
		copy_file(from, specdir, de->d_name);
	}
	closedir(d);
	if (with_counter)
		copy_file(srcpath("doc/examples/counter/counter.spec", path,
		    sizeof(path)), specdir, "counter.spec");
	ck_assert_int_eq(setenv("CCBUS_SPECDIR", specdir, 1), 0);
}

/* msgq, then cfgmgr with its data in its own directory: ready when it
 * has told group Boss it runs. */
static void
suite_start(bool with_counter)
{
	struct tl_client *boss;
	const char *args[] = { "-s", NULL, "-p", NULL, NULL };

	specdir_make(with_counter);
	mq = it_msgq();
	boss = it_client(mq);
	it_subscribe_sync(boss, "Boss", NULL);
	ck_assert_ptr_nonnull(cm = tl_daemon_new("cfgmgr/ccbus-cfgmgr"));
	args[1] = mq->sock;
	args[3] = cm->dir;
	ck_assert_int_eq(tl_msgq_spawn(cm, args), 0);
	ck_assert_msg(tl_client_wait_running(boss, "ConfigManager",
	    tl_ms(10000)), "cfgmgr never said it runs (log %s)", cm->log);
	tl_client_free(boss);
	ck_assert_ptr_nonnull(ctl = cc_session_new());
	ck_assert_int_eq(cc_session_connect(ctl, mq->sock, WAIT), CC_OK);
}

static void
setup(void)
{
	suite_start(true);
}

/* The same without counter.spec in the spec directory. */
static void
setup_bare(void)
{
	suite_start(false);
}

static void
teardown(void)
{
	cc_session_free(ctl);
	if (cm != NULL && cm->pid > 0)
		ck_assert_int_eq(tl_msgq_stop(cm), 0);
	tl_msgq_free(cm);
	it_msgq_end(mq);
}

/*
 * What an operator does (ccbusctl counter add n=3): a command to a group
 * (args stolen, may be NULL); the status, the answer's value in *value
 * (a new reference, may be NULL) if value is not NULL.
 */
static int
call(const char *group, const char *name, json_t *args, json_t **value)
{
	json_t *v = NULL;
	int rc = cc_command(ctl, group, name, args, tl_ms(8000), &v);

	json_decref(args);
	/* An error answer's text is in the session's error string. */
	if (rc == CC_EANSWER)
		v = json_string(cc_session_error(ctl));
	if (value != NULL)
		*value = v;
	else
		json_decref(v);
	return rc;
}

/* The value a command answers; it must succeed. */
static json_t *
answer_of(const char *group, const char *name, json_t *args)
{
	json_t *v = NULL;
	int rc = call(group, name, args, &v);

	ck_assert_msg(rc == CC_OK, "%s %s: %s (%s)", group, name,
	    cc_strerror(rc), json_string_value(v));
	return v;
}

/* The text of the error answer to a command that must be refused. */
static void
assert_refused(const char *group, const char *name, json_t *args,
    const char *want)
{
	json_t *v = NULL;

	ck_assert_int_eq(call(group, name, args, &v), CC_EANSWER);
	ck_assert_msg(strstr(json_string_value(v), want) != NULL,
	    "%s %s: \"%s\" lacks \"%s\"", group, name, json_string_value(v),
	    want);
	json_decref(v);
}

#define set_config(changes) \
	json_decref(answer_of("ConfigManager", "set_config", \
	    json_pack("[s, o]", "Counter", (changes))))

/* Start the module with extra arguments (NULL-terminated, at most 2);
 * ready once it answers `get`. */
static struct tl_msgq *
counter_start(const char *a1, const char *a2)
{
	struct tl_msgq *c = tl_daemon_new(COUNTER);
	const char *args[] = { "-s", mq->sock, a1, a2, NULL };
	int64_t deadline = tl_now_ms() + WAIT;
	int rc;

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(tl_msgq_spawn(c, args), 0);
	while ((rc = call("Counter", "get", NULL, NULL)) == CC_ENORECIPIENT) {
		ck_assert_msg(tl_msgq_wait_exit(c, 0) == -1 &&
		    tl_now_ms() < deadline, "counter not ready (log %s)",
		    c->log);
		poll(NULL, 0, 5);
	}
	ck_assert_int_eq(rc, CC_OK);
	return c;
}

static void
counter_end(struct tl_msgq *c)
{
	if (c->pid > 0)
		ck_assert_int_eq(tl_msgq_stop(c), 0);
	tl_msgq_free(c);
}

START_TEST(test_commands)
{
	struct tl_msgq *c = counter_start(NULL, NULL);

	assert_json_own(answer_of("Counter", "add", json_pack("{s:i}", "n",
	    3)), json_integer(3));
	/* No n: the configured step, 1 by default. */
	assert_json_own(answer_of("Counter", "add", NULL), json_integer(4));
	assert_json_own(answer_of("Counter", "add", json_pack("{s:i}", "n",
	    -10)), json_integer(-6));
	assert_json_own(answer_of("Counter", "get", NULL), json_integer(-6));
	/* libcc checks the arguments against the spec first. */
	assert_refused("Counter", "add", json_pack("{s:s}", "n", "three"),
	    "Counter/add/n should be an integer");
	assert_refused("Counter", "add", json_pack("{s:i}", "m", 1), "m");
	assert_refused("Counter", "reset", NULL, "Unknown command: reset");
	assert_json_own(answer_of("Counter", "add", json_pack("{s:I}", "n",
	    (json_int_t)INT64_MAX)), json_integer(INT64_MAX - 6));
	assert_refused("Counter", "add", json_pack("{s:i}", "n", 7),
	    "the counter would overflow");
	assert_json_own(answer_of("Counter", "get", NULL),
	    json_integer(INT64_MAX - 6));
	counter_end(c);
}
END_TEST

START_TEST(test_configuration)
{
	struct tl_msgq *c;

	/* cfgmgr read counter.spec from the spec directory: Counter can be
	 * configured before it first runs. */
	set_config(json_pack("{s:i}", "step", 5));
	c = counter_start(NULL, NULL);
	assert_json_own(answer_of("Counter", "add", NULL), json_integer(5));
	/* Changed while it runs: config_cb gets {"step": 2}. */
	set_config(json_pack("{s:i}", "step", 2));
	assert_json_own(answer_of("Counter", "add", NULL), json_integer(7));
	/* The module refuses, cfgmgr keeps the old value. */
	assert_refused("ConfigManager", "set_config", json_pack("[s, {s:i}]",
	    "Counter", "step", 0), "Counter: step must be at least 1");
	/* The spec refuses, the module never hears of it. */
	assert_refused("ConfigManager", "set_config", json_pack("[s, {s:s}]",
	    "Counter", "step", "two"), "Counter/step should be an integer");
	assert_json_own(answer_of("ConfigManager", "get_config",
	    json_pack("{s:s}", "module_name", "Counter")),
	    json_pack("{s:i}", "step", 2));
	assert_json_own(answer_of("Counter", "add", NULL), json_integer(9));
	/* null removes the stored value: the default, 1, comes back. */
	set_config(json_pack("{s:n}", "step"));
	assert_json_own(answer_of("Counter", "add", NULL), json_integer(10));
	counter_end(c);
}
END_TEST

START_TEST(test_statistics)
{
	struct tl_msgq *c = counter_start(NULL, NULL);
	json_t *spec, *items, *stats, *item;
	size_t i;

	assert_json_own(answer_of("Counter", "getstats", NULL),
	    json_pack("{s:i}", "adds", 0));
	json_decref(answer_of("Counter", "add", NULL));
	json_decref(answer_of("Counter", "add", json_pack("{s:i}", "n", 2)));
	call("Counter", "add", json_pack("{s:s}", "n", "x"), NULL);
	json_decref(answer_of("Counter", "get", NULL));
	stats = answer_of("Counter", "getstats", NULL);
	assert_json(stats, json_pack("{s:i}", "adds", 2));
	/* What getstats answers is what the spec's statistics declare,
	 * which is what the stats module and ccbusctl go by. */
	spec = answer_of("ConfigManager", "get_statistics_spec", NULL);
	ck_assert_ptr_nonnull(items = json_object_get(spec, "Counter"));
	ck_assert_uint_eq(json_array_size(items), json_object_size(stats));
	json_array_foreach(items, i, item)
		ck_assert_ptr_nonnull(json_object_get(stats,
		    json_string_value(json_object_get(item, "item_name"))));
	json_decref(spec);
	json_decref(stats);
	counter_end(c);
}
END_TEST

START_TEST(test_shutdown)
{
	struct tl_msgq *c = counter_start(NULL, NULL);

	/* The boss's shutdown: for this pid only; answered, then exit 0. */
	json_decref(answer_of("Counter", "shutdown", json_pack("{s:i}", "pid",
	    (int)c->pid)));
	ck_assert_int_eq(tl_msgq_wait_exit(c, WAIT), 0);
	tl_msgq_free(c);
	/* SIGTERM: the same, without the command. */
	c = counter_start(NULL, NULL);
	ck_assert_int_eq(kill(c->pid, SIGTERM), 0);
	ck_assert_int_eq(tl_msgq_wait_exit(c, WAIT), 0);
	tl_msgq_free(c);
}
END_TEST

/* Without counter.spec in the spec directory: -f names the file, and the
 * module's own module_spec makes cfgmgr know it. */
START_TEST(test_spec_by_path)
{
	char path[TL_PATH_MAX];
	struct cc_spec *spec;
	struct tl_msgq *c;

	assert_refused("ConfigManager", "set_config", json_pack("[s, {s:i}]",
	    "Counter", "step", 3), "Counter");
	srcpath("doc/examples/counter/counter.spec", path, sizeof(path));
	c = counter_start("-f", path);
	ck_assert_int_eq(cc_spec_load(path, &spec, NULL, 0), CC_OK);
	assert_json_own(answer_of("ConfigManager", "get_module_spec",
	    json_pack("{s:s}", "module_name", "Counter")),
	    json_deep_copy(cc_spec_json(spec)));
	cc_spec_free(spec);
	set_config(json_pack("{s:i}", "step", 3));
	assert_json_own(answer_of("Counter", "add", NULL), json_integer(3));
	counter_end(c);
}
END_TEST

START_TEST(test_bad_usage)
{
	struct tl_msgq *c = tl_daemon_new(COUNTER);
	const char *args[] = { "-x", NULL };

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(tl_msgq_run(c, args, WAIT), 64);
	ck_assert(tl_file_contains(c->log, "usage: counter"));
	tl_msgq_free(c);
}
END_TEST

/*
 * The guide's fenced code blocks. One whose info string names a file
 * ("```c counter.c") is that file's: the blocks of counter.c and
 * counter.spec, joined by one empty line, must be the whole file, so
 * that whoever types them in builds exactly what these tests ran; a
 * block of test_guide.c must appear in it. A c or json block that names
 * no file is an error: nothing would keep it true.
 */
struct quoted {
	const char *tag;	/* after the language */
	const char *rel;	/* the file, under the source tree */
	bool whole;		/* the blocks make up the whole file */
	char *text;		/* the blocks joined */
	int blocks;
};

static struct quoted quoted[] = {
	{ "counter.c", "doc/examples/counter/counter.c", true, NULL, 0 },
	{ "counter.spec", "doc/examples/counter/counter.spec", true, NULL, 0 },
	{ "test_guide.c", "tests/integration/test_guide.c", false, NULL, 0 },
};
#define NQUOTED	(sizeof(quoted) / sizeof(quoted[0]))

/* Append block (len bytes) to q's text, after an empty line. */
static void
quoted_add(struct quoted *q, const char *block, size_t len,
    const char *file)
{
	size_t old = q->text != NULL ? strlen(q->text) : 0;
	char *t;

	ck_assert_ptr_nonnull(t = realloc(q->text, old + len + 2));
	if (old > 0)
		t[old++] = '\n';
	memcpy(t + old, block, len);
	t[old + len] = '\0';
	q->text = t;
	q->blocks++;
	if (!q->whole) {
		char *hay = slurp(srcpath(q->rel, (char[TL_PATH_MAX]){ 0 },
		    TL_PATH_MAX));

		ck_assert_msg(strstr(hay, t + old) != NULL,
		    "%s: a block of %s is not in the file:\n%.*s", file,
		    q->tag, (int)len, block);
		free(hay);
	}
}

/* The fence's info string: language, then the file's tag. */
static void
block_done(const char *info, const char *block, size_t len,
    const char *file)
{
	char lang[32] = "", tag[64] = "";

	sscanf(info, "%31s %63s", lang, tag);
	for (size_t i = 0; i < NQUOTED; i++)
		if (strcmp(tag, quoted[i].tag) == 0) {
			quoted_add(&quoted[i], block, len, file);
			return;
		}
	ck_assert_msg(strcmp(lang, "c") != 0 && strcmp(lang, "json") != 0,
	    "%s: a ```%s block names no tested file (\"%s\")", file, lang,
	    tag);
}

START_TEST(test_guide_quotes_the_files)
{
	char path[TL_PATH_MAX];
	char *guide = slurp(srcpath("doc/writing-modules.md", path,
	    sizeof(path)));
	const char *p = guide, *info = NULL, *start = NULL;
	char infobuf[128];

	while (*p != '\0') {
		const char *eol = strchr(p, '\n');
		size_t len = eol != NULL ? (size_t)(eol - p) : strlen(p);

		if (len >= 3 && strncmp(p, "```", 3) == 0) {
			if (info == NULL) {
				snprintf(infobuf, sizeof(infobuf), "%.*s",
				    (int)len - 3, p + 3);
				info = infobuf;
				start = eol != NULL ? eol + 1 : p + len;
			} else {
				block_done(info, start, (size_t)(p - start),
				    path);
				info = NULL;
			}
		}
		p = eol != NULL ? eol + 1 : p + len;
	}
	ck_assert_msg(info == NULL, "%s: a code block is not closed", path);
	for (size_t i = 0; i < NQUOTED; i++) {
		struct quoted *q = &quoted[i];
		char *file;

		ck_assert_msg(q->blocks > 0, "%s quotes nothing of %s", path,
		    q->rel);
		if (q->whole) {
			file = slurp(srcpath(q->rel, (char[TL_PATH_MAX]){ 0 },
			    TL_PATH_MAX));
			ck_assert_msg(strcmp(q->text, file) == 0,
			    "%s: its %s blocks, joined by an empty line, are "
			    "not %s: the guide and the file differ", path,
			    q->tag, q->rel);
			free(file);
		}
		free(q->text);
	}
	free(guide);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("the module writer's guide");
	TCase *tc = tcase_create("counter, installed spec");
	TCase *bare = tcase_create("counter, spec by path");
	TCase *doc = tcase_create("the guide");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_commands);
	tcase_add_test(tc, test_configuration);
	tcase_add_test(tc, test_statistics);
	tcase_add_test(tc, test_shutdown);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(bare, setup_bare, teardown);
	tcase_set_timeout(bare, 60);
	tcase_add_test(bare, test_spec_by_path);
	tcase_add_test(bare, test_bad_usage);
	suite_add_tcase(s, bare);
	tcase_add_test(doc, test_guide_quotes_the_files);
	suite_add_tcase(s, doc);
	return s;
}

int
main(void)
{
	return it_run(suite());
}
