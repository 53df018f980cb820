/*
 * libcc error codes.
 *
 * Every libcc function that can fail returns CC_OK (0) or one of the
 * negative codes below. cc_strerror() names a code; the session keeps a
 * longer message saying what exactly went wrong (cc_session_error()).
 */
#ifndef CC_ERROR_H
#define CC_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

enum cc_status {
	CC_OK = 0,
	CC_ENOMEM = -1,		/* out of memory */
	CC_EINVAL = -2,		/* the caller passed a bad argument */
	CC_EFRAME = -3,		/* framing error: the stream cannot continue */
	CC_EHEADER = -4,	/* a header that breaks PROTOCOL.md section 3 */
	CC_EDECODE = -5,	/* a value that cannot be converted */
	CC_ECONNECT = -6,	/* cannot connect to msgq */
	CC_ECONNLOST = -7,	/* the connection to msgq was lost */
	CC_ETIMEDOUT = -8,	/* no answer within the timeout */
	CC_ENORECIPIENT = -9,	/* msgq: nobody received the message */
	CC_EANSWER = -10,	/* the peer answered with a non-zero rcode */
	CC_EPROTO = -11,	/* the peer broke the protocol */
	CC_EQUEUE = -12,	/* an output queue reached its cap */
	CC_ESYS = -13,		/* a system call failed (see the message) */
	CC_ESTATE = -14,	/* not possible in the session's state */
};

/* The short, static name of a status code ("connection lost"). */
const char *cc_strerror(int status);

#ifdef __cplusplus
}
#endif
#endif
