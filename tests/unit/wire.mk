# Check unit tests (wire): filled in with the wire code.
