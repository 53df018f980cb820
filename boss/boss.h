/*
 * ccbus, the boss: its private header. The context (struct boss) and what
 * its files share, one section per file:
 *
 *	boss.c			the context, start-up in order (BOSS.md 1)
 *	boss_component.c	a component and its configuration (BOSS.md 2)
 *	boss_config.c		Boss configuration: check, apply live
 *	boss_sm.c		the supervisor: states x events table
 *	boss_policy.c		the restart rule and the back-off delay
 *	boss_proc.c		fork/exec of a child
 *	boss_output.c		children's output, logged line by line
 *	boss_reap.c		SIGCHLD: waitpid loop, exits logged
 *	boss_ready.c		readiness: msgq's ready fd, cc_members, cfgmgr
 *	boss_stop.c		the stop sequence (BOSS.md 4)
 *	boss_cmd.c		the commands of group Boss (BOSS.md 5)
 *
 * Ownership in one paragraph: struct boss owns every component, the raw
 * session, the module and the output readers. A component is freed only
 * from the gc event, never inside its own state machine's dispatch. An
 * output reader outlives its process until EOF and copies the name it
 * prints. Messages received by the raw session are borrowed from libcc.
 */
#ifndef CCBUS_BOSS_H
#define CCBUS_BOSS_H

#include <sys/queue.h>
#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include <cc/error.h>
#include <cc/message.h>
#include <cc/module.h>
#include <cc/session.h>

#define BOSS_PROGNAME		"ccbus"
#define BOSS_MODULE		"Boss"		/* group and module name */
#define BOSS_SPEC		"boss.spec"
#define BOSS_MEMBERS_GROUP	"notifications/cc_members"
#define BOSS_CFGMGR_MODULE	"ConfigManager"
#define BOSS_MSGQ_NAME		"msgq"		/* built-in component names */
#define BOSS_CFGMGR_NAME	"cfgmgr"
#define BOSS_MSGQ_PROG		"ccbus-msgq"
#define BOSS_CFGMGR_PROG	"ccbus-cfgmgr"
#define BOSS_PATH_ENV		"CCBUS_DAEMON_PATH"
#define BOSS_LINE_MAX		2048	/* a longer output line is split */
#define BOSS_EVQ_MAX		8	/* events queued on one component */
#define BOSS_JITTER		0.05	/* +-5 % on back-off delays */

#ifndef TAILQ_FOREACH_SAFE	/* glibc's sys/queue.h lacks it */
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

struct boss;
struct boss_comp;

/* boss_component.c: a component and its configuration */

enum boss_kind {
	BOSS_CORE,
	BOSS_NEEDED,
	BOSS_DISPENSABLE,
};

enum boss_role {
	BOSS_ROLE_MODULE,	/* from Boss/components */
	BOSS_ROLE_MSGQ,		/* built in, core */
	BOSS_ROLE_CFGMGR,	/* built in, core */
};

/* One entry of Boss/components, parsed. Strings owned. */
struct boss_conf {
	char		*process;
	char		**args;		/* NULL-terminated, without argv[0] */
	char		**env;		/* "K=V", NULL-terminated */
	char		*address;	/* NULL: none */
	char		*user;		/* NULL: the boss's */
	enum boss_kind	 kind;
	int64_t		 priority;
	double		 ready_timeout;	/* seconds; <= 0: the global value */
	double		 stop_timeout;
	json_t		*json;		/* the entry as configured */
};

enum boss_state {
	BOSS_ST_STOPPED,
	BOSS_ST_STARTING,
	BOSS_ST_RUNNING,
	BOSS_ST_BACKOFF,
	BOSS_ST_STOPPING,
	BOSS_ST_FAILED,
	BOSS_ST_EXITED,
	BOSS_ST_COUNT
};

enum boss_event {
	BOSS_EV_START,		/* start-up, start command, entry added */
	BOSS_EV_READY,		/* exec'd (no address) / subscribed / fd */
	BOSS_EV_READY_TIMEOUT,
	BOSS_EV_EXIT_RESTART,	/* the exit, as boss_policy_exit() judged */
	BOSS_EV_EXIT_BACKOFF,
	BOSS_EV_EXIT_FAILED,
	BOSS_EV_EXIT_FATAL,
	BOSS_EV_EXIT_FINAL,
	BOSS_EV_BACKOFF_DONE,
	BOSS_EV_STOP,		/* stop command, entry removed, shutdown */
	BOSS_EV_STOP_TIMEOUT,	/* one more step of the stop sequence */
	BOSS_EV_KILL,		/* a second SIGTERM/SIGINT */
	BOSS_EV_COUNT
};

/* A deferred start/stop/restart answer, waiting on a component. */
enum boss_wait {
	BOSS_WAIT_READY,	/* answered once ready (or not) */
	BOSS_WAIT_GONE,		/* answered once the process is gone */
};

struct boss_waiter {
	TAILQ_ENTRY(boss_waiter) entry;
	struct cc_deferred	*d;
	enum boss_wait		 what;
};

struct boss_comp {
	TAILQ_ENTRY(boss_comp)	 entry;
	struct boss		*b;
	char			*name;
	enum boss_role		 role;
	struct boss_conf	 conf;
	json_t			*next_json;	/* applied at the next start */

	enum boss_state		 state;
	pid_t			 pid;		/* 0: no process */
	struct event		*timer;		/* ready, back-off, stop step */
	int			 stop_step;	/* 0 asked, 1 TERM, 2 KILL */
	int64_t			 started_ms;	/* this process, monotonic */
	int64_t			 first_ms;	/* first start, for needed */
	time_t			 started_wall;
	unsigned		 restarts;
	unsigned		 quick_failures;
	double			 delay;		/* next back-off, seconds */
	char			 last_exit[64];	/* "" before the first exit */
	bool			 restart_pending;	/* start once stopped */
	bool			 removed;	/* free once stopped */
	bool			 abandoned;	/* --no-kill: left running */
	bool			 launched;	/* started once by the boss */
	bool			 not_ready;	/* its ready_timeout passed */
	bool			 gate;		/* start-up waits for it */
	int64_t			 gate_deadline;	/* monotonic ms */
	int			 ready_fd;	/* msgq's --ready-fd pipe */
	struct event		*ready_ev;
	TAILQ_HEAD(, boss_waiter) waiters;

	enum boss_event		 evq[BOSS_EVQ_MAX];
	int			 nevq;
	bool			 dispatching;
};

TAILQ_HEAD(boss_comps, boss_comp);

struct boss_comp *boss_comp_new(struct boss *b, const char *name,
	    enum boss_role role);
void	boss_comp_free(struct boss_comp *c);
struct boss_comp *boss_comp_find(struct boss *b, const char *name);
/* Parse one entry of Boss/components (already spec-valid) into conf;
 * -1 with the reason in err. */
int	boss_conf_parse(const char *name, const json_t *entry,
	    struct boss_conf *conf, char *err, size_t errlen);
void	boss_conf_clear(struct boss_conf *conf);
/* The component's effective timeouts, in seconds. */
double	boss_comp_ready_timeout(const struct boss_comp *c);
double	boss_comp_stop_timeout(const struct boss_comp *c);
const char *boss_kind_name(enum boss_kind k);
bool	boss_comp_alive(const struct boss_comp *c);
/* Arm (seconds > 0) or cancel (< 0) the component's one timer. */
void	boss_comp_timer(struct boss_comp *c, double seconds);
/* Answer and forget the waiters of kind what (answer borrowed). */
void	boss_comp_answer(struct boss_comp *c, enum boss_wait what,
	    const json_t *answer);
void	boss_comp_answer_all(struct boss_comp *c, const char *why);
void	boss_comp_answer_ready_error(struct boss_comp *c, const char *why);

/* boss_config.c: the Boss configuration */

/* The module's config_cb: check everything, then apply. */
json_t	*boss_config_cb(struct cc_module *m, const json_t *config, void *arg);

/* boss_sm.c: the state machine */

/* Queue ev for c and run the machine unless it is already running. */
void	boss_sm_post(struct boss_comp *c, enum boss_event ev);
const char *boss_state_name(enum boss_state s);
const char *boss_event_name(enum boss_event e);

/* boss_policy.c: the restart rule */

/* Judge an exit (counters updated): one of the BOSS_EV_EXIT_* events. */
enum boss_event boss_policy_exit(struct boss_comp *c);
/* The back-off delay to wait now, jitter included; doubles the next. */
double	boss_policy_backoff(struct boss_comp *c);

/* boss_proc.c: fork/exec */

/*
 * Start c's program: found, forked, in its own process group, stdin
 * /dev/null, output to a reader, exec checked through a close-on-exec
 * pipe. 0 with c->pid set, or -1 with the reason in err (nothing left
 * running).
 */
int	boss_proc_spawn(struct boss_comp *c, char *err, size_t errlen);
/* Find prog: a path if it has '/', else $CCBUS_DAEMON_PATH, libexecdir,
 * then $PATH (when use_path). 0 with the path in out, or -1. */
int	boss_proc_find(const char *prog, bool use_path, char *out,
	    size_t outlen);
/* A user by name or uid, NULL if unknown (getpwnam's static). */
struct passwd *boss_user_lookup(const char *user);
/* Signal c's process group (or c alone); honours --no-kill. */
void	boss_proc_signal(struct boss_comp *c, int sig);

/* boss_output.c: children's output */

struct boss_output;
LIST_HEAD(boss_outputs, boss_output);

/* Log the lines read from fd (taken) as "name: line" until EOF. */
void	boss_output_new(struct boss *b, const char *name, int fd);
void	boss_outputs_free(struct boss *b);

/* boss_reap.c: SIGCHLD */

void	boss_reap_cb(evutil_socket_t sig, short what, void *arg);
/* "exit 3", "signal 9" for a wait status. */
void	boss_exit_text(int status, char *buf, size_t len);

/* boss_ready.c: readiness */

/* The raw session's message callback: cc_members and {"running": M}. */
void	boss_ready_msg_cb(struct cc_session *s, struct cc_msg *msg,
	    void *arg);
/* Watch msgq's ready pipe (fd taken). */
void	boss_ready_watch_fd(struct boss_comp *c, int fd);
void	boss_ready_unwatch_fd(struct boss_comp *c);

/* boss_stop.c: the stop sequence */

/* Begin the stop sequence (status: the exit status); a second call
 * during it SIGKILLs what is left. */
void	boss_stop_begin(struct boss *b, int status, const char *why);
/* SIGTERM, SIGINT, SIGHUP: begin, or the second time SIGKILL all. */
void	boss_stop_signal(struct boss *b, const char *name);
/* One step of the sequence, after a component changed state. */
void	boss_stop_step(struct boss *b);

/* boss_cmd.c: commands */

json_t	*boss_cmd_cb(struct cc_module *m, const char *name,
	    const json_t *args, void *arg);

/* boss.c: the context */

struct boss_opts {
	const char	*sockpath;
	const char	*datapath;	/* NULL: cfgmgr's default */
	const char	*cfgfile;	/* NULL: cfgmgr's default */
	const char	*pidfile;	/* NULL: none */
	const char	*user;		/* drop to this user after start-up */
	double		 wait;		/* --wait, seconds */
	int		 verbose;
	bool		 clear_config;
	bool		 no_kill;
};

struct boss_timing {
	double		 stable_time;
	double		 restart_delay;
	double		 restart_delay_max;
	double		 ready_timeout;
	double		 stop_timeout;
	json_int_t	 max_quick_failures;
};

enum boss_phase {
	BOSS_PH_MSGQ,		/* step 2 */
	BOSS_PH_CFGMGR,		/* steps 3 to 5 */
	BOSS_PH_COMPONENTS,	/* step 6, one priority level at a time */
	BOSS_PH_RUNNING,
	BOSS_PH_STOPPING,
};

struct boss_stats {
	time_t		 boot_time;
	uint64_t	 spawns;
	uint64_t	 exits;
	uint64_t	 restarts;	/* automatic restarts */
	uint64_t	 msgq_restarts;
	uint64_t	 commands;
};

struct boss {
	struct event_base	*base;
	struct boss_opts	 opts;
	struct boss_timing	 timing;
	struct boss_comps	 comps;		/* msgq, cfgmgr, then entries */
	struct boss_comp	*msgq, *cfgmgr;
	struct cc_session	*session;	/* raw: readiness */
	struct cc_module	*module;	/* Boss: config, commands */
	bool			 module_started;
	bool			 configured;	/* first config_cb done */
	enum boss_phase		 phase;
	int64_t			 level;		/* priority starting */
	struct event		*ev_step;	/* boss_step(), deferred */
	struct event		*ev_gate;	/* start-up level deadline */
	struct event		*ev_gc;		/* free removed components */
	struct boss_outputs	 outputs;
	struct boss_stats	 stats;
	int			 status;	/* exit status */
	bool			 quitting;
	bool			 killing;	/* a second signal came */
	bool			 pid_written;
	bool			 done;
	char			 why[512];	/* why it stops */
};

struct boss *boss_new(struct event_base *base, const struct boss_opts *o);
void	boss_free(struct boss *b);
/* Steps 1 and 2; -1 with the reason logged when a broker answers. */
int	boss_start(struct boss *b);
/* The exit status once the loop is over. */
int	boss_run(struct boss *b);
/* Schedule boss_step() (start-up gating or the stop sequence). */
void	boss_kick(struct boss *b);
/* A fatal failure: log it, stop everything, exit 1. */
void	boss_fail(struct boss *b, const char *fmt, ...)
	    __attribute__((__format__(__printf__, 2, 3)));
int64_t	boss_now_ms(void);
/* Count of the components from Boss/components. */
size_t	boss_ncomponents(const struct boss *b);
/* A line logged whatever the verbosity (start-up and stop summaries). */
void	boss_notice(const char *fmt, ...)
	    __attribute__((__format__(__printf__, 1, 2)));
/* The end of the stop sequence: pid file removed, loop left. */
void	boss_finish(struct boss *b);

#endif
