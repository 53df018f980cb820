# Module specs, installed where the daemons look for them (CCBUS_SPECDIR).
specsdir = $(pkgdatadir)/specs
dist_specs_DATA = specs/boss.spec specs/cfgmgr.spec specs/hello.spec \
	specs/msgq.spec specs/stats.spec
