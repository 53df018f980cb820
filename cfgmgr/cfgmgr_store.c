/*
 * The configuration file (CONFIG.md section 2, Storage): reading it with
 * every check that makes cfgmgr refuse to start, writing it atomically
 * and durably, and --clear-config's backup.
 *
 * Nothing here exits or logs: every function returns -1 with a message
 * that names the file, and the caller decides. A file that could not be
 * read is never written to or renamed here except by --clear-config.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfgmgr.h"
#include "xmalloc.h"

static int __attribute__((__format__(__printf__, 3, 4)))
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* The whole file in a NUL-terminated buffer: 1, 0 if it does not exist,
 * -1 with err. */
static int
read_all(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	ssize_t n = 0;
	size_t cap, off = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : errf(err, errlen, "%s: %s", path,
		    strerror(errno));
	/* The size is a hint; a directory fails in read() with EISDIR. */
	cap = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (size_t)st.st_size < CFGMGR_STORE_MAX ?
	    (size_t)st.st_size + 1 : 4096;
	*buf = xmalloc(cap);
	while (off < CFGMGR_STORE_MAX &&
	    (n = read(fd, *buf + off, cap - off)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		if ((off += (size_t)n) == cap) {
			/* The file grew since fstat. */
			cap *= 2;
			*buf = xreallocarray(*buf, 1, cap);
		}
	}
	close(fd);
	if (n != 0) {
		errf(err, errlen, "%s: %s", path, n == -1 ? strerror(errno) :
		    "file too large");
		free(*buf);
		*buf = NULL;
		return -1;
	}
	(*buf)[off] = '\0';
	*len = off;
	return 1;
}

/* The checks after parsing: version, and every module a map. */
static int
check_content(const char *path, const json_t *root, char *err,
    size_t errlen)
{
	const json_t *version, *v;
	const char *key;
	json_int_t n;

	if (!json_is_object(root))
		return errf(err, errlen, "%s: the top level is not a JSON "
		    "object", path);
	if ((version = json_object_get(root, "version")) == NULL)
		return errf(err, errlen, "%s: no \"version\"", path);
	if (!json_is_integer(version))
		return errf(err, errlen, "%s: \"version\" is not an integer",
		    path);
	if ((n = json_integer_value(version)) > CFGMGR_STORE_VERSION)
		return errf(err, errlen, "%s: written by a newer ccbus-cfgmgr "
		    "(version %lld, this one reads %d)", path, (long long)n,
		    CFGMGR_STORE_VERSION);
	if (n < 1)
		return errf(err, errlen, "%s: unknown version %lld", path,
		    (long long)n);
	json_object_foreach((json_t *)root, key, v)
		if (strcmp(key, "version") != 0 && !json_is_object(v))
			return errf(err, errlen, "%s: the configuration of "
			    "%s is not a map", path, key);
	return 0;
}

int
cfgmgr_store_load(const char *path, json_t **modules, char *err,
    size_t errlen)
{
	json_error_t jerr;
	json_t *root;
	char *buf = NULL;
	size_t len = 0;
	int r;

	*modules = NULL;
	if ((r = read_all(path, &buf, &len, err, errlen)) <= 0) {
		if (r == 0)
			*modules = json_object();
		return r;
	}
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	if (root == NULL)
		return errf(err, errlen, "%s: not JSON: line %d, column %d: "
		    "%s", path, jerr.line, jerr.column, jerr.text);
	if (check_content(path, root, err, errlen) == -1) {
		json_decref(root);
		return -1;
	}
	json_object_del(root, "version");
	*modules = root;
	return 0;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync the directory holding path, so that the rename is durable. */
static int
sync_dir(const char *path, char *err, size_t errlen)
{
	char *copy = xstrdup(path), *dir = dirname(copy);
	int fd, r = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(fd) == -1)
		r = errf(err, errlen, "%s: %s", dir, strerror(errno));
	if (fd != -1)
		close(fd);
	free(copy);
	return r;
}

#define STORE_FLAGS	(JSON_SORT_KEYS | JSON_INDENT(2))

/* Does text read back as exactly root? */
static bool
reads_back(const char *text, const json_t *root)
{
	json_t *back = json_loads(text, 0, NULL);
	bool same = back != NULL && json_equal(back, (json_t *)root);

	json_decref(back);
	return same;
}

/* The text written: sorted keys and indentation, for diffs by humans. */
static char *
store_text(const json_t *modules)
{
	json_t *root = json_deep_copy(modules);
	char *text;

	if (root == NULL)
		return NULL;
	json_object_set_new(root, "version",
	    json_integer(CFGMGR_STORE_VERSION));
	/* 15 digits write 0.3 as "0.3", not "0.29999999999999999", but do
	 * not give every real back exactly; 17 (jansson's default) do. */
	text = json_dumps(root, STORE_FLAGS | JSON_REAL_PRECISION(15));
	if (text != NULL && !reads_back(text, root)) {
		free(text);
		text = json_dumps(root, STORE_FLAGS);
	}
	json_decref(root);
	return text;
}

/* Write text to tmp, fsync'd. -1 with err; the caller removes tmp. */
static int
write_tmp(const char *tmp, const char *text, char *err, size_t errlen)
{
	const char *step = "write";
	int fd, r = -1;

	if ((fd = open(tmp, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC,
	    0600)) == -1)
		return errf(err, errlen, "%s: %s", tmp, strerror(errno));
	/* The umask may have taken bits the mode asked for; and a leftover
	 * file keeps its old mode through O_TRUNC. */
	if (fchmod(fd, 0600) == -1)
		step = "fchmod";
	else if (write_all(fd, text, strlen(text)) == -1 ||
	    write_all(fd, "\n", 1) == -1)
		step = "write";
	else if (fsync(fd) == -1)
		step = "fsync";
	else
		r = 0;
	if (r == -1)
		errf(err, errlen, "%s: %s: %s", tmp, step, strerror(errno));
	if (close(fd) == -1 && r == 0)
		r = errf(err, errlen, "%s: close: %s", tmp, strerror(errno));
	return r;
}

int
cfgmgr_store_save(const char *path, const json_t *modules, char *err,
    size_t errlen)
{
	char *tmp, *text;
	int r = -1;

	if ((text = store_text(modules)) == NULL)
		return errf(err, errlen, "%s: cannot encode the "
		    "configuration", path);
	tmp = xasprintf("%s.tmp", path);
	if (write_tmp(tmp, text, err, errlen) == 0) {
		if (rename(tmp, path) == -1)
			errf(err, errlen, "%s: rename from %s: %s", path, tmp,
			    strerror(errno));
		else
			r = sync_dir(path, err, errlen);
	}
	if (r == -1)
		(void)unlink(tmp);
	free(tmp);
	free(text);
	return r;
}

/* rename without ever replacing newpath: 0, or -1 with errno (EEXIST). */
static int
rename_noreplace(const char *oldpath, const char *newpath)
{
	struct stat st;

	if (renameat2(AT_FDCWD, oldpath, AT_FDCWD, newpath,
	    RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* A file system without RENAME_NOREPLACE: check, then rename. */
	if (lstat(newpath, &st) == 0) {
		errno = EEXIST;
		return -1;
	}
	return rename(oldpath, newpath);
}

int
cfgmgr_store_clear(const char *path, char *bak, size_t baklen, char *err,
    size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : errf(err, errlen, "%s: %s", path,
		    strerror(errno));
	for (int i = 0; i < CFGMGR_BAK_MAX; i++) {
		if (i == 0)
			snprintf(bak, baklen, "%s.bak", path);
		else
			snprintf(bak, baklen, "%s.bak.%d", path, i);
		if (rename_noreplace(path, bak) == 0)
			return 1;
		if (errno != EEXIST)
			return errf(err, errlen, "%s: rename to %s: %s", path,
			    bak, strerror(errno));
	}
	return errf(err, errlen, "%s: every backup name up to %s is taken",
	    path, bak);
}

int
cfgmgr_store_mkdir(const char *dir, char *err, size_t errlen)
{
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return errf(err, errlen, "cannot create the data directory "
		    "%s: %s", dir, strerror(errno));
	return 0;
}
