# Integration tests: real daemons on temporary sockets.
