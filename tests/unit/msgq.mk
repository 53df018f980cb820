# Check unit tests (msgq): filled in with the msgq code.
