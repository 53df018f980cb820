# libcc wire layer: framing, decoder, header parsing, msgpack <-> json_t.
libcc_libcc_la_SOURCES += \
	libcc/wire-internal.h \
	libcc/error.c \
	libcc/wire_frame.c \
	libcc/wire_decoder.c \
	libcc/wire_header.c \
	libcc/wire_msgpack.c \
	libcc/codec.c
