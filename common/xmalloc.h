/*
 * Allocation for the ccbus daemons: like malloc and friends, but they never
 * return NULL. Out of memory is fatal in a daemon (fatal() logs and exits);
 * libcc, which must never exit, does not use these.
 */
#ifndef CCBUS_XMALLOC_H
#define CCBUS_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t size);
void	*xcalloc(size_t nmemb, size_t size);
/* reallocarray(3) that dies on overflow or out of memory. */
void	*xreallocarray(void *ptr, size_t nmemb, size_t size);
char	*xstrdup(const char *s);
/* A NUL-terminated copy of the first len bytes of s. */
char	*xstrndup(const char *s, size_t len);
/* asprintf(3) returning the new string. */
char	*xasprintf(const char *fmt, ...)
	    __attribute__((__format__(__printf__, 1, 2)));

#endif
