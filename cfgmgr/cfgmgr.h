/*
 * ccbus-cfgmgr's private header: the config manager's context (struct
 * cfgmgr) and what its files share, one section per file: the
 * configuration file (cfgmgr_store.c), the registry of known modules
 * (cfgmgr_module.c), the commands (cfgmgr_cmd.c), set_config
 * (cfgmgr_set.c) and the context with its start-up and loop (cfgmgr.c).
 *
 * Ownership in one paragraph: struct cfgmgr owns the session, the module
 * registry and the set_config in progress with its queue. Received
 * messages belong to libcc's dispatcher; handlers borrow them and take a
 * reference (cc_msg_ref) only to keep one past the callback, as a queued
 * or running set_config does for its reply. Module entries are never
 * freed before the context, so pointers to them stay valid.
 */
#ifndef CCBUS_CFGMGR_H
#define CCBUS_CFGMGR_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include <cc/error.h>
#include <cc/message.h>
#include <cc/session.h>
#include <cc/spec.h>

#define CFGMGR_MODULE		"ConfigManager"	/* group and module name */
#define CFGMGR_BOSS_GROUP	"Boss"
#define CFGMGR_MEMBERS_GROUP	"notifications/cc_members"
#define CFGMGR_MSGQ_LNAME	"msgq"
#define CFGMGR_DEFAULT_FILENAME	"ccbus-config.db"
#define CFGMGR_STORE_VERSION	1	/* the file format this one writes */
#define CFGMGR_STORE_MAX	((size_t)64 << 20)	/* largest file read */
#define CFGMGR_BAK_MAX		1000	/* .bak, .bak.1 ... .bak.999 */
#define CFGMGR_SET_QUEUE_MAX	256	/* set_configs waiting their turn */
#define CFGMGR_DEFAULT_TIMEOUT	4.0	/* answer_timeout, seconds */
#define CFGMGR_MAX_TIMEOUT	86400	/* its largest value, seconds */
#define CFGMGR_ERRLEN		1024

struct cfgmgr;

/* cfgmgr_store.c: the configuration file (CONFIG.md section 2) */

/*
 * Read the file at path: {"version": 1, "<Module>": {values}, ...}.
 * Returns 0 and a new object {"<Module>": {values}} (no "version") in
 * *modules, an empty one if the file does not exist; -1 with the reason,
 * naming the file, in err. Never changes the file.
 */
int	 cfgmgr_store_load(const char *path, json_t **modules, char *err,
	    size_t errlen);
/*
 * Replace the file at path with modules (borrowed) and the version, atomic
 * and durable: path.tmp written, fsync'd, renamed over path, the
 * directory fsync'd. 0, or -1 with "<path>: <reason>" in err and the
 * temporary file removed.
 */
int	 cfgmgr_store_save(const char *path, const json_t *modules, char *err,
	    size_t errlen);
/*
 * --clear-config: rename the file at path to path.bak, or path.bak.N if
 * taken, never overwriting one. 1 with the new name in bak, 0 if there was
 * no file, -1 with the reason in err.
 */
int	 cfgmgr_store_clear(const char *path, char *bak, size_t baklen,
	    char *err, size_t errlen);
/* Create dir (its last component only, mode 0700) unless it exists. */
int	 cfgmgr_store_mkdir(const char *dir, char *err, size_t errlen);

/* cfgmgr_module.c: the registry of known modules */

struct cfgmgr_module {
	TAILQ_ENTRY(cfgmgr_module) entry;
	char		*name;
	struct cc_spec	*spec;		/* NULL: only values from the file */
	json_t		*values;	/* committed, as stored; an object */
	char		*lname;		/* its registrar; NULL: not running */
};
TAILQ_HEAD(cfgmgr_modules, cfgmgr_module);

struct cfgmgr_module *cfgmgr_module_find(struct cfgmgr_modules *,
	    const char *name);
/* Find name, or add it (no spec, no values, not running). */
struct cfgmgr_module *cfgmgr_module_get(struct cfgmgr_modules *,
	    const char *name);
/* Take spec (stolen), replacing the one known. */
void	 cfgmgr_module_set_spec(struct cfgmgr_module *, struct cc_spec *);
/* Running as lname (copied), or not running when lname is NULL. */
void	 cfgmgr_module_set_running(struct cfgmgr_module *,
	    const char *lname);
/* Committed values (a new reference is taken). */
void	 cfgmgr_module_set_values(struct cfgmgr_module *, json_t *values);
void	 cfgmgr_modules_free(struct cfgmgr_modules *);
/* Take the file's {"<Module>": {values}} (borrowed) into the registry. */
void	 cfgmgr_modules_load_values(struct cfgmgr_modules *,
	    const json_t *stored);
/* Load every *.spec file of dir; a bad one is skipped with a warning. */
void	 cfgmgr_modules_load_specs(struct cfgmgr_modules *, const char *dir);
/* {"<Module>": {values}} of the modules with values: the file's content
 * without its version. New reference. */
json_t	*cfgmgr_modules_stored(struct cfgmgr_modules *);
/* {"<Module>": what(spec)} of every module with a spec. New reference. */
json_t	*cfgmgr_modules_spec_map(struct cfgmgr_modules *,
	    const json_t *(*what)(const struct cc_spec *));

/* cfgmgr_cmd.c: the commands of group ConfigManager */

/* Handle the command name with args (NULL: none) of msg (borrowed). */
void	 cfgmgr_cmd_dispatch(struct cfgmgr *, struct cc_msg *msg,
	    const char *name, const json_t *args);
/* Answer msg with answer (stolen); a failure is only logged. */
void	 cfgmgr_reply(struct cfgmgr *, struct cc_msg *msg, json_t *answer);

/* cfgmgr_set.c: set_config */

/*
 * Merge changes into values (both borrowed): a copy of values where each
 * key of changes is set, or removed when its value is null. New reference.
 */
json_t	*cfgmgr_merge(const json_t *values, const json_t *changes);
/* Run the set_config of msg (borrowed) now, or queue it behind the one in
 * progress. */
void	 cfgmgr_set_submit(struct cfgmgr *, struct cc_msg *msg);
/* mod stopped running (stopping, disconnected): stop waiting for it. */
void	 cfgmgr_set_module_gone(struct cfgmgr *, struct cfgmgr_module *mod);
/* Drop the set_config in progress and the queue, unanswered (at exit). */
void	 cfgmgr_set_clear(struct cfgmgr *);
/* Drop the queue only, unanswered (the connection to msgq was lost). */
void	 cfgmgr_set_drop_pending(struct cfgmgr *);

/* cfgmgr.c: the context */

struct cfgmgr_opts {
	const char	*sockpath;	/* NULL: cc_default_socket_path() */
	const char	*datapath;
	const char	*filename;
	bool		 clear;		/* --clear-config */
};

struct cfgmgr_pending {
	TAILQ_ENTRY(cfgmgr_pending) entry;
	struct cc_msg	*msg;		/* a reference */
};
TAILQ_HEAD(cfgmgr_pendq, cfgmgr_pending);

struct cfgmgr_set;

struct cfgmgr {
	struct event_base	*base;
	struct cc_session	*session;
	const char		*sockpath;
	char			*datapath;
	char			*path;		/* the configuration file */
	struct cfgmgr_modules	 modules;
	struct cfgmgr_set	*set;		/* in progress, NULL if none */
	struct cfgmgr_pendq	 pending;	/* set_configs waiting */
	size_t			 npending;
	bool			 clear;
	bool			 quitting;	/* the loop is ending */
	int			 status;	/* exit status of the loop */
};

/* A context for base; nothing loaded or connected yet. */
struct cfgmgr *cfgmgr_new(struct event_base *base,
	    const struct cfgmgr_opts *opts);
/*
 * Load the configuration file (after --clear-config's rename) and the
 * spec files. 0; else the exit status (2: the file, 1: anything else)
 * with the reason in err.
 */
int	 cfgmgr_load(struct cfgmgr *, char *err, size_t errlen);
/* Connect, subscribe, attach, tell the boss. 0, or -1 with err. */
int	 cfgmgr_start(struct cfgmgr *, char *err, size_t errlen);
/* Run the loop until cfgmgr_stop(); the exit status. */
int	 cfgmgr_run(struct cfgmgr *);
/* End the loop with status; why is logged. */
void	 cfgmgr_stop(struct cfgmgr *, int status, const char *why);
void	 cfgmgr_free(struct cfgmgr *);
/* ConfigManager's answer_timeout in milliseconds, from committed values. */
int	 cfgmgr_answer_timeout_ms(struct cfgmgr *);

#endif
