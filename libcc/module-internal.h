/*
 * Private to libcc's module layer: what lies behind struct cc_module and
 * the helpers its files share. Not installed; every symbol here is
 * libcc_* and stays out of the shared object's exports.
 *
 *	module.c		life cycle, stop, accessors, errors
 *	module_start.c		cc_module_start(): spec, bus, config manager
 *	module_group.c		the groups the session is subscribed to
 *	module_dispatch.c	the session's callbacks: messages by group,
 *				the module's own commands
 *	module_config.c		configurations: fetch, merge, diff, paths
 *	module_remote.c		following other modules' configurations
 *	module_notify.c		notifications, sent and subscribed
 *	module_reconnect.c	registering again after msgq restarted
 *
 * User callbacks run between libcc_module_enter() and
 * libcc_module_leave(): a cc_module_stop() from inside one is deferred to
 * the outermost leave, so that nothing the dispatch still uses goes away
 * under it.
 */
#ifndef LIBCC_MODULE_INTERNAL_H
#define LIBCC_MODULE_INTERNAL_H

#include <sys/queue.h>
#include <stdbool.h>
#include <jansson.h>

#include "cc/module.h"

#define LIBCC_CFGMGR_GROUP	"ConfigManager"
#define LIBCC_NOTIFY_PREFIX	"notifications/"

enum libcc_module_state {
	LIBCC_MODULE_IDLE,	/* new, stopped, or a start failed */
	LIBCC_MODULE_STARTING,	/* inside cc_module_start() */
	LIBCC_MODULE_RUNNING,	/* attached to the event base */
};

/*
 * A group the session is subscribed to (instance "*"), to unsubscribe it
 * when no longer needed. (The session itself remembers its subscriptions
 * for a reconnection.)
 */
struct libcc_group {
	LIST_ENTRY(libcc_group)	 entry;
	char			 name[];
};

/* A followed module's configuration. */
struct libcc_remote {
	LIST_ENTRY(libcc_remote) entry;
	struct cc_spec		*spec;
	json_t			*config;	/* full, defaults filled in */
	cc_remote_config_cb	 cb;
	void			*arg;
	unsigned		 updates;	/* config_updates seen */
	char			 name[];	/* also its group */
};

/*
 * One exchange with the config manager after a reconnection
 * (module_reconnect.c): module_spec then get_config for the module
 * itself, get_config for a followed module. Retried with back-off until
 * it succeeds. Owned by the module's list while idle or calling; a call
 * in flight when the module gives it up is orphaned (m NULL) and freed by
 * its callback.
 */
enum libcc_refetch_step {
	LIBCC_REFETCH_SPEC,	/* module_spec, for the module itself */
	LIBCC_REFETCH_CONFIG,	/* get_config */
};

struct libcc_refetch {
	LIST_ENTRY(libcc_refetch) entry;
	struct cc_module	*m;		/* NULL: given up */
	struct event		*timer;		/* the next try */
	enum libcc_refetch_step	 step;
	int			 backoff;	/* ms */
	bool			 calling;	/* cc_call_async in flight */
	unsigned		 updates;	/* when get_config was sent */
	char			 module[];	/* own name or a followed one */
};

/* A subscribed notification topic. */
struct libcc_topic {
	LIST_ENTRY(libcc_topic)	 entry;
	cc_notification_cb	 cb;
	void			*arg;
	const char		*topic;		/* into group */
	char			 group[];	/* notifications/<topic> */
};

struct cc_module {
	struct event_base	*base;
	char			*spec_arg;	/* given to cc_module_new() */
	cc_config_cb		 config_cb;
	cc_command_cb		 command_cb;
	void			*arg;
	cc_shutdown_cb		 shutdown_cb;
	void			*shutdown_arg;

	enum libcc_module_state	 state;
	struct cc_spec		*spec;
	struct cc_session	*session;
	json_t			*config;	/* full, defaults filled in */
	int			 timeout_ms;	/* of the start */
	bool			 registered;	/* module_spec accepted */
	bool			 stopping_sent;
	int			 status;	/* cc_module_status() */
	int			 depth;		/* user callbacks running */
	struct cc_msg		*current;	/* command in command_cb */
	bool			 deferred;	/* its answer was deferred */
	bool			 stop_pending;	/* stop asked for inside one */
	unsigned		 updates;	/* own config_updates seen */

	LIST_HEAD(, libcc_group)	 groups;
	LIST_HEAD(, libcc_remote)	 remotes;
	LIST_HEAD(, libcc_topic)	 topics;
	LIST_HEAD(, libcc_refetch)	 refetches;
	char			 err[512];
};

/* module.c */
int	 libcc_module_seterr(struct cc_module *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));	/* returns the status */
int	 libcc_module_callerr(struct cc_module *, int, const char *,
	    const char *);	/* a failed call to the config manager */
void	 libcc_module_enter(struct cc_module *);	/* around user code */
void	 libcc_module_leave(struct cc_module *);
void	 libcc_module_leave_bus(struct cc_module *);
int	 libcc_module_send_stopping(struct cc_module *);
void	 libcc_module_shutdown(struct cc_module *);	/* the action */

/* module_group.c */
int	 libcc_group_subscribe(struct cc_module *, const char *);
void	 libcc_group_unsubscribe(struct cc_module *, const char *);
void	 libcc_groups_clear(struct cc_module *);

/* module_dispatch.c */
struct cc_session;
struct cc_msg;
void	 libcc_module_msg_cb(struct cc_session *, struct cc_msg *, void *);
void	 libcc_module_err_cb(struct cc_session *, int, void *);
bool	 libcc_answer_refuses(const json_t *, const char **);

/* module_reconnect.c */
void	 libcc_module_reconnect_cb(struct cc_session *, void *);
void	 libcc_refetches_clear(struct cc_module *);

/* module_config.c */
int	 libcc_config_fetch(struct cc_module *, const char *,
	    const struct cc_spec *, int, json_t **);
json_t	*libcc_config_merge(const struct cc_spec *, const json_t *, char *,
	    size_t);
json_t	*libcc_config_diff(const json_t *, const json_t *);
const json_t *libcc_config_lookup(const json_t *, const char *);
json_t	*libcc_module_config_update(struct cc_module *, const json_t *);

/* module_remote.c */
struct libcc_remote *libcc_remote_find(const struct cc_module *,
	    const char *);
void	 libcc_remote_update(struct cc_module *, struct libcc_remote *,
	    const json_t *);
void	 libcc_remotes_clear(struct cc_module *);

/* module_notify.c */
bool	 libcc_topic_dispatch(struct cc_module *, const char *,
	    const json_t *);
void	 libcc_topics_clear(struct cc_module *);

#endif
