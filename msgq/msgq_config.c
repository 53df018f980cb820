/*
 * msgq's settings: their defaults, the rules that tie them together
 * (max_queue never below max_frame), and the size syntax of the command
 * line ("64M"). Shared by main.c and the config_update command, so that
 * both refuse the same values with the same words.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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
