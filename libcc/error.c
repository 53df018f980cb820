/*
 * Names of the libcc status codes (cc/error.h), and the one formatter the
 * wire layer uses to fill its callers' error buffers.
 */
#include <stdarg.h>
#include <stdio.h>

#include "cc/error.h"
#include "wire-internal.h"

static const char *const cc_errors[] = {
	[-CC_OK] = "success",
	[-CC_ENOMEM] = "out of memory",
	[-CC_EINVAL] = "invalid argument",
	[-CC_EFRAME] = "framing error",
	[-CC_EHEADER] = "bad header",
	[-CC_EDECODE] = "value cannot be converted",
	[-CC_ECONNECT] = "cannot connect to msgq",
	[-CC_ECONNLOST] = "connection lost",
	[-CC_ETIMEDOUT] = "timed out",
	[-CC_ENORECIPIENT] = "no such recipient",
	[-CC_EANSWER] = "error answer",
	[-CC_EPROTO] = "protocol error",
	[-CC_EQUEUE] = "queue full",
	[-CC_ESYS] = "system error",
	[-CC_ESTATE] = "not possible in this state",
};

const char *
cc_strerror(int status)
{
	const int n = (int)(sizeof(cc_errors) / sizeof(cc_errors[0]));

	if (status > 0 || status <= -n || cc_errors[-status] == NULL)
		return "unknown error";
	return cc_errors[-status];
}

void
libcc_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
