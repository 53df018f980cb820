# ccbusctl, the operator's tool: one blocking libcc session, one
# subcommand per run (ctl/ctl.h). Installed in bin with its man page,
# made from ctl/ccbusctl.1.in with this build's paths.
bin_PROGRAMS += ctl/ccbusctl
ctl_ccbusctl_SOURCES = \
	ctl/ctl.h \
	ctl/main.c \
	ctl/ctl_out.c \
	ctl/ctl_bus.c \
	ctl/ctl_args.c \
	ctl/ctl_path.c \
	ctl/ctl_module.c \
	ctl/ctl_status.c \
	ctl/ctl_config.c \
	ctl/ctl_config_set.c \
	ctl/ctl_send.c \
	ctl/ctl_monitor.c \
	ctl/ctl_help.c
ctl_ccbusctl_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
ctl_ccbusctl_LDADD = libcc/libcc.la $(JANSSON_LIBS)

man1_MANS = ctl/ccbusctl.1
EXTRA_DIST += ctl/ccbusctl.1.in
CLEANFILES += ctl/ccbusctl.1
ctl/ccbusctl.1: ctl/ccbusctl.1.in Makefile
	$(AM_V_GEN)$(MKDIR_P) ctl && sed \
	    -e 's|@VERSION[@]|$(VERSION)|g' \
	    -e 's|@SOCKET[@]|$(runstatedir)/ccbus/msgq.sock|g' \
	    -e 's|@SPECDIR[@]|$(pkgdatadir)/specs|g' \
	    $(srcdir)/ctl/ccbusctl.1.in >$@.tmp && mv $@.tmp $@
