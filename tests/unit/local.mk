# Check unit tests, one program per component area.
include tests/unit/wire.mk
include tests/unit/session.mk
include tests/unit/msgq.mk
include tests/unit/spec.mk
include tests/unit/cfgmgr.mk
