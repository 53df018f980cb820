# ccbus-cfgmgr: the configuration manager (filled in by the cfgmgr work).
