/*
 * msgq's counters (struct msgq_stats, updated where things happen) and
 * the bodies of the `stats` command that reports them (PROTOCOL.md
 * section 9) and of `getstats`, which reports the statistics items of
 * specs/msgq.spec for the stats module.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "log.h"
#include "msgq.h"

static const char *const msgq_disc_names[MSGQ_DISC_COUNT] = {
	[MSGQ_DISC_CLOSED] = "closed",
	[MSGQ_DISC_READ_ERROR] = "read_error",
	[MSGQ_DISC_WRITE_ERROR] = "write_error",
	[MSGQ_DISC_FRAMING] = "framing",
	[MSGQ_DISC_QUEUE_FULL] = "queue_full",
	[MSGQ_DISC_MAX_CLIENTS] = "max_clients",
};

const char *
msgq_disc_name(enum msgq_disc why)
{
	if ((unsigned)why >= MSGQ_DISC_COUNT)
		fatalx("%s: bad reason %d", __func__, (int)why);
	return msgq_disc_names[why];
}

static void
msgq_stats_pack_u64(msgpack_packer *pk, const char *key, uint64_t v)
{
	msgq_pack_cstr(pk, key);
	msgpack_pack_uint64(pk, v);
}

static void
msgq_stats_pack_disconnects(const struct msgq_stats *st, msgpack_packer *pk)
{
	int i;

	msgq_pack_cstr(pk, "disconnects");
	msgpack_pack_map(pk, MSGQ_DISC_COUNT);
	for (i = 0; i < MSGQ_DISC_COUNT; i++)
		msgq_stats_pack_u64(pk, msgq_disc_names[i], st->disconnects[i]);
}

/* The value of a `stats` answer: one map of counters and settings. */
void
msgq_stats_pack(struct msgq *m, msgpack_packer *pk)
{
	const struct msgq_stats *st = &m->stats;

	msgpack_pack_map(pk, 18);
	msgq_stats_pack_u64(pk, "clients", m->nclients);
	msgq_stats_pack_u64(pk, "connections", st->connections);
	msgq_stats_pack_u64(pk, "frames_in", st->frames_in);
	msgq_stats_pack_u64(pk, "bytes_in", st->bytes_in);
	msgq_stats_pack_u64(pk, "deliveries", st->deliveries);
	msgq_stats_pack_u64(pk, "no_recipient", st->no_recipient);
	msgq_stats_pack_u64(pk, "dropped", st->dropped);
	msgq_stats_pack_u64(pk, "undelivered", st->undelivered);
	msgq_stats_pack_u64(pk, "answers", st->answers);
	msgq_stats_pack_u64(pk, "notifications", st->notifications);
	msgq_stats_pack_u64(pk, "commands", st->commands);
	msgq_stats_pack_disconnects(st, pk);
	msgq_stats_pack_u64(pk, "max_frame", m->cfg.max_frame);
	msgq_stats_pack_u64(pk, "max_queue", m->cfg.max_queue);
	msgq_stats_pack_u64(pk, "max_clients", m->cfg.max_clients);
	msgq_stats_pack_u64(pk, "busy_poll", m->cfg.busy_poll_us);
	msgq_stats_pack_u64(pk, "groups", msgq_subs_ngroups(m->subs));
	msgq_stats_pack_u64(pk, "uptime", (uint64_t)(time(NULL) - st->started));
}

/* The value of a `getstats` answer: exactly msgq.spec's statistics. */
void
msgq_stats_pack_items(struct msgq *m, msgpack_packer *pk)
{
	const struct msgq_stats *st = &m->stats;

	msgpack_pack_map(pk, 5);
	msgq_stats_pack_u64(pk, "clients", m->nclients);
	msgq_stats_pack_u64(pk, "frames_in", st->frames_in);
	msgq_stats_pack_u64(pk, "deliveries", st->deliveries);
	msgq_stats_pack_u64(pk, "no_recipient", st->no_recipient);
	msgq_stats_pack_u64(pk, "dropped", st->dropped);
}
