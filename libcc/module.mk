# libcc module API (cc/module.h): a module's life cycle on the bus, its
# configuration, commands, remote configurations, notifications, and
# registering again after a reconnection.
libcc_libcc_la_SOURCES += \
	libcc/module-internal.h \
	libcc/module.c \
	libcc/module_start.c \
	libcc/module_group.c \
	libcc/module_dispatch.c \
	libcc/module_config.c \
	libcc/module_remote.c \
	libcc/module_notify.c \
	libcc/module_reconnect.c
