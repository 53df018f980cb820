# libcc session layer: messages, the session, connecting, its socket I/O,
# sending, its blocking calls, its libevent attachment and automatic
# reconnection.
libcc_libcc_la_SOURCES += \
	libcc/session-internal.h \
	libcc/message.c \
	libcc/session.c \
	libcc/session_connect.c \
	libcc/session_io.c \
	libcc/session_send.c \
	libcc/session_call.c \
	libcc/session_event.c \
	libcc/session_reconnect.c
