# ccbus-msgq: the broker. Its logic is a convenience library that the unit
# tests link; main.c is thin.
noinst_LTLIBRARIES += msgq/libmsgq.la
msgq_libmsgq_la_SOURCES = \
	msgq/msgq.h \
	msgq/msgq.c \
	msgq/msgq_config.c \
	msgq/msgq_hash.c \
	msgq/msgq_subs.c \
	msgq/msgq_outq.c \
	msgq/msgq_stats.c \
	msgq/msgq_client.c \
	msgq/msgq_server.c \
	msgq/msgq_route.c \
	msgq/msgq_answer.c \
	msgq/msgq_notify.c \
	msgq/msgq_cmd.c \
	msgq/msgq_cfg.c
# jansson only for msgq_cfg.c, to encode msgq's module spec at start-up.
msgq_libmsgq_la_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(MSGPACK_CFLAGS) \
	$(JANSSON_CFLAGS)
msgq_libmsgq_la_LIBADD = libcc/libcc.la common/libcommon.la \
	$(LIBEVENT_LIBS) $(MSGPACK_LIBS) $(JANSSON_LIBS)

pkglibexec_PROGRAMS += msgq/ccbus-msgq
msgq_ccbus_msgq_SOURCES = msgq/main.c
msgq_ccbus_msgq_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(MSGPACK_CFLAGS)
msgq_ccbus_msgq_LDADD = msgq/libmsgq.la
