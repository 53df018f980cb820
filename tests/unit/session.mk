# Check unit tests (session): filled in with the session code.
