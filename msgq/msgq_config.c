/*
 * msgq's settings: their defaults, the rules that tie them together
 * (max_queue never below max_frame), and the size syntax of the command
 * line ("64M"), and the table of the settings a configuration may change
 * (msgq_settings[], the config_data of specs/msgq.spec). Shared by main.c
 * and msgq_cfg.c, so that both refuse the same values with the same words.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "msgq.h"

void
msgq_config_defaults(struct msgq_config *cfg)
{
	cfg->sockpath = NULL;
	cfg->max_frame = CC_WIRE_MAX_FRAME;
	cfg->max_queue = MSGQ_DEFAULT_MAX_QUEUE;
	cfg->max_clients = MSGQ_DEFAULT_MAX_CLIENTS;
	cfg->busy_poll_us = 0;
}

/*
 * Check a set of limits. Returns 0, or -1 with the reason in err
 * ("max_queue 1048576 is below max_frame 16777216").
 */
int
msgq_config_check(size_t max_frame, size_t max_queue, unsigned max_clients,
    char *err, size_t errlen)
{
	if (max_frame < CC_WIRE_MIN_FRAME || max_frame > MSGQ_MAX_MAX_FRAME) {
		snprintf(err, errlen, "max_frame %zu is outside %zu..%zu",
		    max_frame, (size_t)CC_WIRE_MIN_FRAME, MSGQ_MAX_MAX_FRAME);
		return -1;
	}
	if (max_queue < max_frame) {
		snprintf(err, errlen, "max_queue %zu is below max_frame %zu",
		    max_queue, max_frame);
		return -1;
	}
	if (max_clients < 1 || max_clients > MSGQ_MAX_MAX_CLIENTS) {
		snprintf(err, errlen, "max_clients %u is outside 1..%u",
		    max_clients, MSGQ_MAX_MAX_CLIENTS);
		return -1;
	}
	return 0;
}

/*
 * A byte count: decimal digits and an optional K, M or G suffix (powers
 * of 1024, either case). Returns 0, or -1 for anything else or overflow.
 */
int
msgq_parse_size(const char *s, size_t *out)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end != '\0' || v > (SIZE_MAX >> shift))
		return -1;
	*out = (size_t)v << shift;
	return 0;
}

const struct msgq_setting msgq_settings[MSGQ_NSETTINGS] = {
	{ "max_frame", offsetof(struct msgq_config, max_frame), 1,
	    CC_WIRE_MIN_FRAME, MSGQ_MAX_MAX_FRAME },
	/* At least max_frame: msgq_config_check() says so in its words. */
	{ "max_queue", offsetof(struct msgq_config, max_queue), 1,
	    0, SIZE_MAX },
	{ "max_clients", offsetof(struct msgq_config, max_clients), 0,
	    1, MSGQ_MAX_MAX_CLIENTS },
	{ "busy_poll", offsetof(struct msgq_config, busy_poll_us), 0,
	    0, MSGQ_MAX_BUSY_POLL_US },
};

uint64_t
msgq_setting_get(const struct msgq_config *cfg, const struct msgq_setting *s)
{
	const char *p = (const char *)cfg + s->off;

	if (s->is_size)
		return *(const size_t *)(const void *)p;
	return *(const unsigned *)(const void *)p;
}

/* v must be within s's range (which fits the field). */
void
msgq_setting_set(struct msgq_config *cfg, const struct msgq_setting *s,
    uint64_t v)
{
	char *p = (char *)cfg + s->off;

	if (v < s->min || v > s->max)
		fatalx("%s: %s %llu out of range", __func__, s->name,
		    (unsigned long long)v);
	if (s->is_size)
		*(size_t *)(void *)p = (size_t)v;
	else
		*(unsigned *)(void *)p = (unsigned)v;
}
