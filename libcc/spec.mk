# libcc spec layer: module spec files, validation, defaults.
libcc_libcc_la_SOURCES += libcc/spec.c libcc/spec_check.c \
	libcc/spec_validate.c libcc/spec-internal.h
