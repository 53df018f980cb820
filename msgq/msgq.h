/*
 * ccbus-msgq's private header: the broker context (struct msgq) and what
 * its files share. One section per file, in dependency order: limits and
 * configuration, the hash table, the subscription table, output queues,
 * statistics, connections, the server socket, routing, msgq's own answers,
 * notifications, commands, and msgq as a configured module.
 *
 * Ownership in one paragraph: struct msgq owns every client, the
 * subscription table and the listener. Received frames belong to the read
 * loop (msgq_client.c), which hands each one to msgq_route_frame() and
 * drops its reference afterwards; handlers borrow the frame and take their
 * own reference (cc_frame_ref) for every output queue they put it on. A
 * client is never freed inside one of its callbacks: msgq_client_close()
 * marks it dead and the reap event frees it once the callback has returned.
 */
#ifndef CCBUS_MSGQ_H
#define CCBUS_MSGQ_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>
#include <msgpack.h>

#include <cc/error.h>
#include <cc/wire.h>

#define MSGQ_LNAME		"msgq"		/* msgq's own, reserved lname */
#define MSGQ_GROUP		"Msgq"		/* group of msgq's commands */
#define MSGQ_MEMBERS_GROUP	"notifications/cc_members"
#define MSGQ_WILDCARD		"*"

#define MSGQ_DEFAULT_MAX_QUEUE	((size_t)64 << 20)
#define MSGQ_DEFAULT_MAX_CLIENTS 1024
#define MSGQ_MAX_MAX_FRAME	((size_t)UINT32_MAX)	/* length is a u32 */
#define MSGQ_MAX_MAX_CLIENTS	1000000
#define MSGQ_FD_RESERVE		16	/* fds kept for the listener, logs... */

#define MSGQ_READ_BUFSIZE	(256 * 1024)
#define MSGQ_READ_ROUNDS	8	/* reads per callback, for fairness */
#define MSGQ_ACCEPT_ROUNDS	64	/* accepts per callback */
#define MSGQ_DRAIN_TIMEOUT	2	/* seconds to flush output at exit */

struct msgq;
struct msgq_client;

/* msgq_config.c: the settings and their rules */

struct msgq_config {
	const char	*sockpath;
	size_t		 max_frame;	/* PROTOCOL.md section 2 */
	size_t		 max_queue;	/* section 6, >= max_frame */
	unsigned	 max_clients;	/* connections accepted at once */
	unsigned	 busy_poll_us;	/* spin after activity; 0: never */
};

#define MSGQ_MAX_BUSY_POLL_US	100000	/* 0.1 s */

void	msgq_config_defaults(struct msgq_config *cfg);
int	msgq_config_check(size_t max_frame, size_t max_queue,
	    unsigned max_clients, char *err, size_t errlen);
int	msgq_parse_size(const char *s, size_t *out);

/*
 * The settings a configuration may change (the config_data of
 * specs/msgq.spec), each with its field in struct msgq_config and the
 * range of one value; the rules between values are msgq_config_check's.
 */
struct msgq_setting {
	const char	*name;		/* item_name in msgq.spec */
	size_t		 off;		/* offsetof(struct msgq_config, ...) */
	int		 is_size;	/* a size_t field, else unsigned */
	uint64_t	 min, max;
};

#define MSGQ_NSETTINGS	4
extern const struct msgq_setting msgq_settings[MSGQ_NSETTINGS];

uint64_t msgq_setting_get(const struct msgq_config *cfg,
	    const struct msgq_setting *s);
void	msgq_setting_set(struct msgq_config *cfg, const struct msgq_setting *s,
	    uint64_t v);

/* msgq_hash.c: open hash, byte-string keys borrowed from the values */

struct msgq_hash;

struct msgq_hash *msgq_hash_new(uint64_t seed);
void	 msgq_hash_free(struct msgq_hash *h);
void	*msgq_hash_get(const struct msgq_hash *h, const void *key, size_t len);
void	 msgq_hash_put(struct msgq_hash *h, const void *key, size_t len,
	    void *val);
void	*msgq_hash_del(struct msgq_hash *h, const void *key, size_t len);
size_t	 msgq_hash_count(const struct msgq_hash *h);

/* msgq_subs.c: the subscription table */

struct msgq_gmember;

/*
 * The subscription side of a connection, embedded in struct msgq_client
 * (and in bare form in the unit tests). owner points back at the
 * embedding object.
 */
struct msgq_subscriber {
	void			*owner;
	TAILQ_HEAD(, msgq_gmember) groups;	/* in subscription order */
	struct msgq_hash	*bygroup;	/* group name -> gmember */
	size_t			 ngroups;
	uint64_t		 mark;		/* dedup within one match */
};

/* What a subscribe or unsubscribe changed. */
enum msgq_subs_change {
	MSGQ_SUBS_NOOP,		/* already (un)subscribed */
	MSGQ_SUBS_INSTANCE,	/* one more/less instance in a known group */
	MSGQ_SUBS_GROUP,	/* first subscription in / last out of group */
};

struct msgq_subs;
typedef int msgq_subs_match_fn(struct msgq_subscriber *s, void *arg);
typedef void msgq_subs_member_fn(struct msgq_subscriber *s, void *arg);
typedef void msgq_subs_group_fn(const char *group, size_t len, void *arg);

struct msgq_subs *msgq_subs_new(uint64_t seed);
void	msgq_subs_free(struct msgq_subs *subs);
void	msgq_subscriber_init(struct msgq_subscriber *s, void *owner);
int	msgq_subs_add(struct msgq_subs *subs, struct msgq_subscriber *s,
	    struct cc_strref group, struct cc_strref instance);
int	msgq_subs_remove(struct msgq_subs *subs, struct msgq_subscriber *s,
	    struct cc_strref group, struct cc_strref instance);
void	msgq_subs_remove_all(struct msgq_subs *subs, struct msgq_subscriber *s,
	    msgq_subs_group_fn *left, void *arg);
size_t	msgq_subs_match(struct msgq_subs *subs, struct cc_strref group,
	    struct cc_strref instance, msgq_subs_match_fn *fn, void *arg);
size_t	msgq_subs_group_size(const struct msgq_subs *subs,
	    struct cc_strref group);
void	msgq_subs_group_members(struct msgq_subs *subs, struct cc_strref group,
	    msgq_subs_member_fn *fn, void *arg);
void	msgq_subscriber_groups(const struct msgq_subscriber *s,
	    msgq_subs_group_fn *fn, void *arg);
int	msgq_subscriber_in_group(const struct msgq_subscriber *s,
	    struct cc_strref group);
size_t	msgq_subs_ngroups(const struct msgq_subs *subs);

/* msgq_outq.c: a connection's output queue */

struct evbuffer;

struct msgq_outq {
	struct evbuffer	*buf;		/* references to queued frames */
	size_t		*sizes;		/* ring of the queued frames' sizes */
	size_t		 head, nframes, cap;
	size_t		 written;	/* bytes of the head frame written */
};

void	msgq_outq_init(struct msgq_outq *q);
size_t	msgq_outq_clear(struct msgq_outq *q);
void	msgq_outq_push(struct msgq_outq *q, struct cc_frame *f);
size_t	msgq_outq_bytes(const struct msgq_outq *q);
size_t	msgq_outq_frames(const struct msgq_outq *q);
int	msgq_outq_write(struct msgq_outq *q, int fd, size_t *done);

/* msgq_stats.c: counters */

/* Why a connection ended; the names are the keys of stats.disconnects. */
enum msgq_disc {
	MSGQ_DISC_CLOSED,	/* the peer hung up */
	MSGQ_DISC_READ_ERROR,
	MSGQ_DISC_WRITE_ERROR,
	MSGQ_DISC_FRAMING,
	MSGQ_DISC_QUEUE_FULL,
	MSGQ_DISC_MAX_CLIENTS,	/* refused: too many connections */
	MSGQ_DISC_COUNT
};

struct msgq_stats {
	uint64_t	connections;	/* accepted since start */
	uint64_t	frames_in;
	uint64_t	bytes_in;
	uint64_t	deliveries;	/* copies of routed frames queued */
	uint64_t	no_recipient;
	uint64_t	dropped;	/* bad header, sender mismatch, type */
	uint64_t	undelivered;	/* copies lost with their recipient */
	uint64_t	answers;	/* frames msgq itself sent... */
	uint64_t	notifications;	/* ...and its notification copies */
	uint64_t	commands;	/* copies of its commands to cfgmgr */
	uint64_t	disconnects[MSGQ_DISC_COUNT];
	time_t		started;
};

const char *msgq_disc_name(enum msgq_disc why);
void	msgq_stats_pack(struct msgq *m, msgpack_packer *pk);
void	msgq_stats_pack_items(struct msgq *m, msgpack_packer *pk);

/* msgq_client.c: one connection */

#define MSGQ_CLIENT_DEAD	0x01	/* closed, waiting for the reap */
#define MSGQ_CLIENT_FLUSHQ	0x02	/* on m->flushq */
#define MSGQ_CLIENT_WRITING	0x04	/* ev_write is added */

struct msgq_client {
	struct msgq		*m;
	TAILQ_ENTRY(msgq_client) entry;		/* m->clients */
	TAILQ_ENTRY(msgq_client) flush_entry;	/* m->flushq */
	TAILQ_ENTRY(msgq_client) dead_entry;	/* m->deadq */
	int			 fd;
	unsigned		 flags;
	struct event		*ev_read;
	struct event		*ev_write;
	struct cc_decoder	*dec;
	struct msgq_outq	 outq;
	struct msgq_subscriber	 sub;
	char			*lname;
	size_t			 lname_len;
	pid_t			 pid;		/* -1 if unknown */
	uid_t			 uid;		/* (uid_t)-1 if unknown */
	gid_t			 gid;
	uint64_t		 sent;		/* frames written */
	uint64_t		 received;	/* frames read */
};

/* How log lines name a client: "lname (pid P, uid U)". */
#define CLIENT_FMT	"%s (pid %ld, uid %ld)"
#define CLIENT_ARGS(c)	(c)->lname, (long)(c)->pid, (long)(c)->uid

struct msgq_client *msgq_client_new(struct msgq *m, int fd);
void	msgq_client_free(struct msgq_client *c);
void	msgq_client_close(struct msgq_client *c, enum msgq_disc why,
	    const char *fmt, ...) __attribute__((__format__(__printf__, 3, 4)));
int	msgq_client_enqueue(struct msgq_client *c, struct cc_frame *f);
void	msgq_client_flush(struct msgq_client *c);
void	msgq_client_stop_reading(struct msgq_client *c);
int	msgq_client_may_stop(const struct msgq_client *c);

/* msgq_cfg.c: msgq as a configured module (PROTOCOL.md 9, CONFIG.md 3) */

#define MSGQ_CFGMGR_GROUP	"ConfigManager"
#define MSGQ_SPEC_FILE		"msgq.spec"

/*
 * What msgq needs to take part in the configuration. The command bodies
 * are encoded once, when the spec is loaded: no json_t after start-up.
 */
struct msgq_cfgmod {
	struct msgq_config	 base;		/* the command line's values */
	char			*spec_cmd;	/* module_spec; NULL: no spec */
	size_t			 spec_len;
	char			*get_cmd;	/* get_config {module_name} */
	size_t			 get_len;
	char			*stop_cmd;	/* stopping {module_name} */
	size_t			 stop_len;
	int64_t			 seq;		/* last seq msgq used */
	int64_t			 spec_seq;	/* awaited answers; 0: none */
	int64_t			 get_seq;
};

/* msgq.c: the broker context */

struct msgq {
	struct event_base	*base;
	struct msgq_config	 cfg;		/* cfg.sockpath is owned */
	uid_t			 euid;
	time_t			 started;
	uint64_t		 lname_epoch;	/* start, in microseconds */
	char			 hostname[256];
	uint64_t		 lname_counter;
	uint64_t		 hash_seed;

	/* msgq_server.c */
	int			 listen_fd;
	struct event		*ev_accept;
	struct event		*ev_accept_pause;
	dev_t			 sock_dev;	/* to remove only our socket */
	ino_t			 sock_ino;
	int			 sock_bound;

	TAILQ_HEAD(, msgq_client) clients;	/* in connection order */
	TAILQ_HEAD(, msgq_client) flushq;	/* output added, not flushed */
	TAILQ_HEAD(, msgq_client) deadq;	/* closed, to be freed */
	unsigned		 nclients;	/* live ones */
	struct msgq_hash	*lnames;	/* lname -> client */
	struct msgq_subs	*subs;
	struct msgq_stats	 stats;
	struct msgq_cfgmod	 mod;

	struct event		*ev_flush;	/* deferred: flush the flushq */
	struct event		*ev_reap;	/* deferred: free the deadq */
	struct event		*ev_drain;	/* exit deadline when stopping */
	int			 stopping;

	/* scratch, reused by every frame */
	unsigned char		*rbuf;
	struct cc_header	 hdr;
	msgpack_sbuffer		 sbuf;
};

struct msgq *msgq_new(struct event_base *base, const struct msgq_config *cfg);
void	msgq_free(struct msgq *m);
int	msgq_start(struct msgq *m);
int	msgq_run(struct msgq *m);
void	msgq_stop(struct msgq *m, const char *why);
void	msgq_check_drained(struct msgq *m);
void	msgq_schedule_flush(struct msgq *m, struct msgq_client *c);
void	msgq_schedule_reap(struct msgq *m, struct msgq_client *c);
void	msgq_set_limits(struct msgq *m, const struct msgq_config *cfg);
struct msgq_client *msgq_lookup(struct msgq *m, struct cc_strref lname);

/* msgq_server.c: the listening socket (PROTOCOL.md section 1) */

int	msgq_server_open(struct msgq *m);
void	msgq_server_close(struct msgq *m);

/* msgq_route.c: frames in (sections 4 and 5) */

void	msgq_route_frame(struct msgq *m, struct msgq_client *c,
	    struct cc_frame *f);
size_t	msgq_route_fanout(struct msgq *m, struct msgq_client *sender,
	    struct cc_strref group, struct cc_strref instance,
	    struct cc_frame *f);

/* msgq_answer.c: frames msgq writes itself */

/* What msgq knows about a frame it may have to answer. */
struct msgq_replyto {
	struct cc_strref	group;		/* ptr NULL: not a string */
	struct cc_strref	instance;
	int64_t			seq;
	int			has_seq;
	int			seq_u64;	/* CC_HDR_SEQ_U64 */
	int			want_answer;
};

void	msgq_replyto_from_header(struct msgq_replyto *r,
	    const struct cc_header *h);
msgpack_packer *msgq_body_begin(struct msgq *m, msgpack_packer *pk);
int	msgq_send_own(struct msgq *m, struct msgq_client *c,
	    const struct cc_header *h, const void *body, size_t blen);
void	msgq_answer_error(struct msgq *m, struct msgq_client *c,
	    const struct msgq_replyto *r, const char *fmt, ...)
	    __attribute__((__format__(__printf__, 4, 5)));
struct cc_frame *msgq_answer_norecipient(const void *hbuf, size_t hlen,
	    struct cc_strref lname, int64_t seq, int seq_u64, size_t max_frame);
void	msgq_pack_strref(msgpack_packer *pk, struct cc_strref s);
void	msgq_pack_cstr(msgpack_packer *pk, const char *s);
void	msgq_pack_result(msgpack_packer *pk, int rcode, const char *fmt, ...)
	    __attribute__((__format__(__printf__, 3, 4)));
struct cc_frame *msgq_frame_build(struct msgq *m, const struct cc_header *h,
	    const void *body, size_t blen);

/* msgq_notify.c: notifications/cc_members (section 8) */

void	msgq_notify_members(struct msgq *m, const char *event,
	    const struct msgq_client *c, struct cc_strref group);

/* msgq_cmd.c: msgq's own commands (section 9) */

void	msgq_cmd_receive(struct msgq *m, struct msgq_client *c,
	    struct cc_frame *f, const struct cc_header *h);
int	msgq_body_unpack(msgpack_unpacked *u, const struct cc_frame *f,
	    char *why, size_t whylen);
const msgpack_object *msgq_obj_get(const msgpack_object *o, const char *key);
struct cc_strref msgq_obj_str(const msgpack_object *o);

/* msgq_cfg.c */

void	msgq_cfg_load(struct msgq *m, const char *specdir);
void	msgq_cfg_clear(struct msgq *m);
void	msgq_cfg_subscribed(struct msgq *m, struct cc_strref group);
void	msgq_cfg_answer(struct msgq *m, struct msgq_client *c,
	    struct cc_frame *f, const struct cc_header *h);
int	msgq_cfg_apply(struct msgq *m, const msgpack_object *conf,
	    const char *source, char *err, size_t errlen);
void	msgq_cfg_stopping(struct msgq *m);

#endif
