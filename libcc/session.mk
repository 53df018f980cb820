# libcc session layer: messages, the blocking and attached session.
libcc_libcc_la_SOURCES += \
	libcc/session-internal.h \
	libcc/message.c \
	libcc/session.c
