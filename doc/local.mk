# Manual pages and the module writer's guide.
#
# The pages are made from doc/*.in with the paths this build was
# configured with (socket, data path, spec and daemon directories), so
# that what they say is what the programs do. ccbusctl(1) is ctl/'s.
man8_MANS = doc/ccbus.8 doc/ccbus-msgq.8 doc/ccbus-cfgmgr.8
man3_MANS = doc/libcc.3
EXTRA_DIST += doc/ccbus.8.in doc/ccbus-msgq.8.in doc/ccbus-cfgmgr.8.in \
	doc/libcc.3.in
CLEANFILES += $(man8_MANS) $(man3_MANS)

doc_edit = sed \
	-e 's|@VERSION[@]|$(VERSION)|g' \
	-e 's|@SOCKET[@]|$(runstatedir)/ccbus/msgq.sock|g' \
	-e 's|@DATADIR[@]|$(localstatedir)/lib/ccbus|g' \
	-e 's|@SPECDIR[@]|$(pkgdatadir)/specs|g' \
	-e 's|@LIBEXECDIR[@]|$(pkglibexecdir)|g' \
	-e 's|@BINDIR[@]|$(bindir)|g' \
	-e 's|@INCLUDEDIR[@]|$(includedir)|g' \
	-e 's|@DOCDIR[@]|$(docdir)|g'
doc_make = $(AM_V_GEN)$(MKDIR_P) doc && \
	$(doc_edit) $(srcdir)/$@.in >$@.tmp && mv $@.tmp $@

doc/ccbus.8: doc/ccbus.8.in Makefile
	$(doc_make)
doc/ccbus-msgq.8: doc/ccbus-msgq.8.in Makefile
	$(doc_make)
doc/ccbus-cfgmgr.8: doc/ccbus-cfgmgr.8.in Makefile
	$(doc_make)
doc/libcc.3: doc/libcc.3.in Makefile
	$(doc_make)

# The guide, the implementation notes, and the guide's module (source
# and spec) as an example to copy.
dist_doc_DATA = doc/writing-modules.md doc/protocol-notes.md \
	doc/stats-notes.md \
	doc/config-notes.md doc/boss-notes.md
counterdir = $(docdir)/examples/counter
dist_counter_DATA = doc/examples/counter/counter.c \
	doc/examples/counter/counter.spec
