/*
 * The module API: what a ccbus module links against to get its
 * configuration, its updates, its commands and its shutdown without
 * thinking about the bus (CONFIG.md section 3).
 *
 * A module is a spec file and a few callbacks:
 *
 *	m = cc_module_new(base, "hello.spec", config_cb, command_cb, ctx);
 *	if (cc_module_start(m, NULL, CC_DEFAULT_TIMEOUT) != CC_OK)
 *		errx(1, "%s", cc_module_error(m));
 *	event_base_dispatch(base);	// until shutdown
 *	cc_module_free(m);
 *
 * cc_module_start() connects, registers the spec with the config manager,
 * fetches the stored configuration, fills in the spec's defaults and calls
 * config_cb once with the full configuration. It waits (bounded) for
 * those steps; from then on everything happens inside the caller's
 * event_base: config_update commands reach config_cb reduced to the items
 * that changed, other commands reach command_cb after validation against
 * the spec, and `shutdown` ends the loop (or calls the shutdown callback).
 *
 * Reconnection (BOSS.md 6): if msgq dies, the module does not end. Its
 * session reconnects on its own (cc_session_set_reconnect(): back-off
 * from 10 ms to 1 s) with a new lname and its subscriptions (its group,
 * followed modules, notification topics); libcc then sends module_spec
 * again, fetches the configuration and offers config_cb what changed
 * meanwhile as for a config_update (a refusal keeps the current one), then
 * fetches each followed module's configuration likewise. Each of these
 * exchanges is asynchronous and retried (50 ms doubling to 1 s) until the
 * config manager, which may be reconnecting too, answers; a module that
 * cannot register again keeps trying until it is stopped. The loop is
 * never blocked. While disconnected, calls that send fail with
 * CC_ECONNLOST; answers deferred before the loss cannot reach their
 * sender. cc_module_status() stays CC_OK throughout; cc_module_error()
 * says what last went wrong.
 *
 * libcc never owns the loop, never exits, never prints. Not
 * thread-safe.
 *
 * Ownership: values passed to callbacks are borrowed for the call. A
 * callback's returned answer is a new reference that libcc takes.
 */
#ifndef CC_MODULE_H
#define CC_MODULE_H

#include <jansson.h>
#include <cc/session.h>
#include <cc/spec.h>

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;
struct cc_module;

/*
 * The configuration handler. config is the full configuration (defaults
 * filled in) on the first call, then a map of only the items that changed
 * (an item whose stored value was removed appears with its default, or as
 * JSON null if it is optional without a default). During the call
 * cc_module_config() is still the previous configuration (NULL on the
 * first call). Return NULL or cc_answer_new(0, NULL) to accept; an error
 * answer (cc_answer_error(1, "...")) refuses: libcc keeps the previous
 * configuration and sends the answer to the config manager, which rolls
 * the change back everywhere.
 */
typedef json_t *(*cc_config_cb)(struct cc_module *m, const json_t *config,
    void *arg);

/*
 * The command handler: name is a command of the spec and args passed
 * cc_spec_validate_command(). args is never NULL: it is a map with the
 * item_default of every argument left out filled in (so that the spec,
 * not the handler, holds the defaults), empty when the command had no
 * arguments and the spec gives no defaults. Return the answer: NULL
 * means [0]; else e.g. cc_answer_new(0, value) or cc_answer_error(1,
 * "..."). Commands not in the spec are answered [1, "Unknown command: X"]
 * without calling it; config_update and shutdown are handled by libcc.
 * A body that cannot be decoded (cc/codec.h: not msgpack, too deep, more
 * than CC_CODEC_MAX_VALUES values) is answered [1, "M: the body cannot
 * be decoded: ..."] if its sender wants an answer, and dropped if not.
 */
typedef json_t *(*cc_command_cb)(struct cc_module *m, const char *name,
    const json_t *args, void *arg);

/*
 * Deferred answers, for a command that can only be answered later (the
 * boss's `start` is answered once the component is ready). Inside
 * command_cb, cc_module_defer() returns a handle for the command being
 * handled; libcc then sends nothing when command_cb returns (return NULL).
 * cc_module_answer() sends answer (borrowed; NULL means [0]) later and
 * frees the handle: call it exactly once per handle, also when the module
 * has stopped meanwhile (it then only frees). cc_module_defer() returns
 * NULL outside command_cb, or on ENOMEM (then answer at once).
 * cc_module_answer() returns CC_OK or cc_reply()'s errors.
 */
struct cc_deferred;

struct cc_deferred *cc_module_defer(struct cc_module *m);
int cc_module_answer(struct cc_module *m, struct cc_deferred *d,
    const json_t *answer);

/* Called after a shutdown for this process was answered and `stopping`
 * sent: the module should leave its loop and clean up. Not called when
 * the connection to msgq is lost: the module reconnects (see the top of
 * this file). */
typedef void (*cc_shutdown_cb)(struct cc_module *m, void *arg);

/* A followed module's configuration: full (defaults filled) on the first
 * call, then only what changed. Never answered. */
typedef void (*cc_remote_config_cb)(struct cc_module *m, const char *module,
    const json_t *config, void *arg);

/* A notification on a subscribed topic; params is NULL when the
 * notification had none. */
typedef void (*cc_notification_cb)(struct cc_module *m, const char *topic,
    const char *event, const json_t *params, void *arg);

/*
 * A new module, not started. spec is a spec file's path, or a bare file
 * name ("hello.spec", no '/') looked up in cc_spec_dir(). config_cb and
 * command_cb may be NULL (config accepted as is; every command of the
 * spec answered [0]). arg is passed to both. Nothing is read or connected
 * yet: errors come from cc_module_start(). NULL only on ENOMEM.
 */
struct cc_module *cc_module_new(struct event_base *base, const char *spec,
    cc_config_cb config_cb, cc_command_cb command_cb, void *arg);

/*
 * Close the connection (sending `stopping` first if the module is started
 * and has not already sent it), free everything. NULL is a no-op. Must
 * not be called from inside one of the module's callbacks.
 */
void cc_module_free(struct cc_module *m);

/* Replace the default shutdown action, event_base_loopexit(base). */
void cc_module_set_shutdown_cb(struct cc_module *m, cc_shutdown_cb cb,
    void *arg);

/*
 * Start the module's life cycle: load and check the spec; connect to msgq
 * at socket (NULL: cc_default_socket_path()); subscribe to the module's
 * group; send module_spec and get_config to ConfigManager; call config_cb
 * with the full configuration; attach to the event base. Waits at most
 * timeout_ms for each exchange. Returns CC_OK, or:
 *   CC_ESYS / CC_EDECODE / CC_EINVAL  the spec file (message names it);
 *   CC_EINVAL   also: the stored configuration does not match the spec;
 *   CC_ECONNECT, CC_ETIMEDOUT, CC_ECONNLOST  the bus;
 *   CC_ENORECIPIENT  no config manager on the bus;
 *   CC_EANSWER  the config manager refused the spec, or config_cb refused
 *               the stored configuration (the message says which);
 *   CC_ESTATE   already started.
 * cc_module_error() says what went wrong; after an error the module may
 * be started again.
 */
int cc_module_start(struct cc_module *m, const char *socket, int timeout_ms);

/*
 * Leave the bus in order: send `stopping` to ConfigManager, detach and
 * close. Callbacks are not called afterwards. Safe to call from a
 * callback: it then takes effect when the callback returns (after the
 * answer to the command being handled is sent). A no-op when not
 * started. The module may be started again.
 */
void cc_module_stop(struct cc_module *m);

/* Words for the last error (borrowed; "" if none). */
const char *cc_module_error(const struct cc_module *m);
/*
 * CC_OK, or why a started module left the bus by itself. A lost
 * connection is no longer such a reason: the module reconnects and
 * registers again on its own, cc_module_status() stays CC_OK meanwhile,
 * and cc_module_error() tells what happened ("Hello: lost the connection
 * to msgq: ...; reconnecting", then what a failed re-registration step
 * said). Lets a module tell an ordered shutdown (exit 0) from a failure.
 */
int cc_module_status(const struct cc_module *m);
/* The module's name from its spec (borrowed), NULL before a start. */
const char *cc_module_name(const struct cc_module *m);
/* The loaded spec (borrowed), NULL before a start. */
const struct cc_spec *cc_module_spec(const struct cc_module *m);
/* The session, for raw bus use (borrowed; do not attach, detach or free
 * it). NULL before a start. */
struct cc_session *cc_module_session(struct cc_module *m);

/* The full current configuration, defaults filled in (borrowed; valid
 * until the next config change). NULL before a start. */
const json_t *cc_module_config(const struct cc_module *m);

/*
 * One value of the current configuration by path: item names separated
 * by '/' through maps and named_sets ("components/hello/kind"). Borrowed
 * like cc_module_config(); NULL if there is no such value.
 */
const json_t *cc_module_get_value(const struct cc_module *m,
    const char *path);

/*
 * Follow another module's configuration: subscribe to its group (first,
 * so that no update is missed), fetch its spec and stored configuration
 * from the config manager (waiting at most timeout_ms for each), call cb
 * with the full configuration, then call cb with what changed on every
 * valid config_update sent to that group (which this module never
 * answers, nor any other command of that group). Only on a started
 * module, not for its own name. Returns CC_OK, CC_EINVAL (unknown module:
 * the config manager has no spec for it; its own name; a stored
 * configuration that does not match the spec), CC_ESTATE (not started,
 * or already followed), or the bus errors of cc_call().
 */
int cc_module_add_remote_config(struct cc_module *m, const char *module,
    cc_remote_config_cb cb, void *arg, int timeout_ms);
/* A followed module's current configuration by path, as
 * cc_module_get_value() (path NULL or "": the whole map). */
const json_t *cc_module_get_remote_value(const struct cc_module *m,
    const char *module, const char *path);
/* Stop following module. CC_OK, or CC_EINVAL if it was not followed. */
int cc_module_remove_remote_config(struct cc_module *m, const char *module);

/*
 * Send {"notification": [event, params]} (params may be NULL: omitted) to
 * group notifications/<topic>. Never waits. Errors: those of cc_send().
 */
int cc_module_notify(struct cc_module *m, const char *topic,
    const char *event, const json_t *params);

/*
 * Call cb for every notification sent to notifications/<topic> from now
 * on (the subscription is active when this returns CC_OK). One callback
 * per topic; CC_ESTATE if not started or topic already subscribed, or the
 * bus errors of cc_ping(). Unsubscribing returns CC_OK, or CC_EINVAL if
 * topic was not subscribed.
 */
int cc_module_subscribe_notification(struct cc_module *m, const char *topic,
    cc_notification_cb cb, void *arg);
int cc_module_unsubscribe_notification(struct cc_module *m,
    const char *topic);

#ifdef __cplusplus
}
#endif
#endif
