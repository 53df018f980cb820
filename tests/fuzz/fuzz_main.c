/*
 * The standalone driver of the fuzz targets, linked in when they are not
 * built for libFuzzer (gcc, make check):
 *
 *   fuzz_X [-n N] [-s SEED] FILE|DIR ...
 *
 * runs every input file (the regular files of each DIR, in name order)
 * through the target, then N mutations of them: bit flips, byte changes,
 * truncations, insertions, deletions, copies and splices between inputs,
 * from a PRNG seeded with SEED, so that a run is repeatable. It is a
 * regression smoke test, not a fuzzing engine: no coverage feedback, no
 * corpus that grows. Without operands it reads its seed corpus,
 * $CCBUS_SRCDIR/tests/fuzz/corpus/fuzz_X, which is how make check runs
 * it.
 *
 * On a crash (a broken invariant aborts; a sanitizer reports and dies)
 * the input is written to fuzz_X.crash in the current directory first, so
 * that it can be replayed with fuzz_X -n 0 fuzz_X.crash.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#define DEFAULT_RUNS	10000		/* mutations without -n */
#define FILE_MAX	(1u << 20)	/* bytes read from one file */
#define GROW		1024		/* bytes a mutant may add */

struct input {
	unsigned char	*data;
	size_t		 len;
};

struct inputs {
	struct input	*v;
	size_t		 n, cap;
	size_t		 longest;
};

/* The program's name and the input under test, for the crash handler. */
static const char *progname;
static const unsigned char *cur_data;
static size_t cur_len;
static char crash_path[256];

/* Present when a sanitizer runtime is linked in (gcc and clang). */
void __sanitizer_set_death_callback(void (*)(void)) __attribute__((weak));

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-n N] [-s SEED] FILE|DIR ...\n", progname);
	exit(64);
}

/* A write whose failure cannot be helped: the process is dying. */
static void
put(int fd, const void *p, size_t n)
{
	ssize_t r = write(fd, p, n);

	(void)r;
}

/* Async-signal-safe: only open(2), write(2), close(2). */
static void
save_input(void)
{
	static const char msg[] = ": crashed; input saved in ";
	int fd;

	if ((fd = open(crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) >= 0) {
		put(fd, cur_data, cur_len);
		close(fd);
	}
	put(2, progname, strlen(progname));
	put(2, msg, sizeof(msg) - 1);
	put(2, crash_path, strlen(crash_path));
	put(2, "\n", 1);
}

static void
on_signal(int sig)
{
	save_input();
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * A sanitizer handles the faults itself and calls its death callback; an
 * abort() (a broken invariant) is a signal either way. Installing our own
 * SIGSEGV handler under a sanitizer would hide its report.
 */
static void
catch_crashes(void)
{
	static const int faults[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL };
	size_t i;

	snprintf(crash_path, sizeof(crash_path), "%s.crash", progname);
	signal(SIGABRT, on_signal);
	if (__sanitizer_set_death_callback != NULL) {
		__sanitizer_set_death_callback(save_input);
		return;
	}
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		signal(faults[i], on_signal);
}

static void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n != 0 ? n : 1)) == NULL) {
		fprintf(stderr, "%s: out of memory\n", progname);
		exit(1);
	}
	return p;
}

static void
add_file(struct inputs *in, const char *path)
{
	struct input *it;
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1) {
		fprintf(stderr, "%s: %s: %s\n", progname, path,
		    strerror(errno));
		exit(1);
	}
	if (in->n == in->cap) {
		in->cap = in->cap != 0 ? 2 * in->cap : 64;
		in->v = xrealloc(in->v, in->cap * sizeof(*in->v));
	}
	it = &in->v[in->n++];
	it->data = xrealloc(NULL, FILE_MAX);
	while (len < FILE_MAX &&
	    (n = read(fd, it->data + len, FILE_MAX - len)) > 0)
		len += (size_t)n;
	close(fd);
	it->data = xrealloc(it->data, len);
	it->len = len;
	if (len > in->longest)
		in->longest = len;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of dir, in name order (a run must be repeatable). */
static void
add_dir(struct inputs *in, const char *dir)
{
	char **names = NULL, path[4096];
	size_t n = 0, i;
	struct dirent *e;
	struct stat st;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", progname, dir, strerror(errno));
		exit(1);
	}
	while ((e = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n] = xrealloc(NULL, strlen(path) + 1);
		strcpy(names[n++], path);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		add_file(in, names[i]);
		free(names[i]);
	}
	free(names);
}

static void
add_path(struct inputs *in, const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		add_dir(in, path);
	else
		add_file(in, path);
}

static void
run_one(const unsigned char *data, size_t len)
{
	cur_data = data;
	cur_len = len;
	LLVMFuzzerTestOneInput(data, len);
}

/* splitmix64: small, fast, and the same everywhere. */
static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static size_t
below(uint64_t *s, size_t n)
{
	return n != 0 ? (size_t)(rnd(s) % n) : 0;
}

/* Bytes that mean something to msgpack, the framing or JSON. */
static const unsigned char interesting[] = {
	0x00, 0x01, 0x02, 0x06, 0x0f, 0x10, 0x1f, 0x20, 0x22, 0x2c, 0x3a,
	0x5b, 0x5d, 0x7b, 0x7d, 0x7f, 0x80, 0x81, 0x8f, 0x90, 0x9f, 0xa0,
	0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc7, 0xca, 0xcb, 0xcc, 0xcf,
	0xd0, 0xd3, 0xd4, 0xd8, 0xd9, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0,
	0xfe, 0xff,
};

/* A mutant under construction: len bytes in b, room for cap. */
struct mutant {
	unsigned char	*b;
	unsigned char	*tmp;		/* cap bytes of scratch */
	size_t		 len, cap;
};

/* Insert n bytes from src at pos, if they fit. src may point into m->b. */
static void
mut_insert(struct mutant *m, size_t pos, const unsigned char *src, size_t n)
{
	if (n > m->cap - m->len)
		return;
	memcpy(m->tmp, src, n);
	memmove(m->b + pos + n, m->b + pos, m->len - pos);
	memcpy(m->b + pos, m->tmp, n);
	m->len += n;
}

/* A range of another input: inserted at pos, or replacing the tail. */
static void
mut_splice(uint64_t *s, struct mutant *m, size_t pos, const struct inputs *in)
{
	const struct input *o;
	size_t from, n;

	if (in->n == 0 || (o = &in->v[below(s, in->n)])->len == 0)
		return;
	from = below(s, o->len);
	n = 1 + below(s, o->len - from);
	if (rnd(s) & 1) {
		mut_insert(m, pos, o->data + from, n);
		return;
	}
	if (n > m->cap - pos)
		n = m->cap - pos;
	memcpy(m->b + pos, o->data + from, n);
	m->len = pos + n;
}

/* One mutation. */
static void
mutate_once(uint64_t *s, struct mutant *m, const struct inputs *in)
{
	unsigned char rb[8] = { 0 };
	size_t pos = below(s, m->len + 1), n, i;
	unsigned char *at = m->len > 0 ? &m->b[below(s, m->len)] : rb;

	switch (below(s, 9)) {
	case 0:			/* flip a bit */
		*at ^= (unsigned char)(1u << below(s, 8));
		break;
	case 1:			/* any byte */
		*at = (unsigned char)rnd(s);
		break;
	case 2:			/* a meaningful byte */
		*at = interesting[below(s, sizeof(interesting))];
		break;
	case 3:			/* a small step up or down */
		*at += (unsigned char)(below(s, 33) - 16);
		break;
	case 4:			/* truncate */
		m->len = pos;
		break;
	case 5:			/* insert random bytes */
		n = 1 + below(s, sizeof(rb));
		for (i = 0; i < n; i++)
			rb[i] = (unsigned char)rnd(s);
		mut_insert(m, pos, rb, n);
		break;
	case 6:			/* delete a range */
		n = below(s, m->len - pos + 1);
		memmove(m->b + pos, m->b + pos + n, m->len - pos - n);
		m->len -= n;
		break;
	case 7:			/* copy a range of itself elsewhere */
		if (m->len == 0)
			break;
		i = below(s, m->len);
		mut_insert(m, pos, m->b + i, 1 + below(s, m->len - i));
		break;
	default:		/* splice with another input */
		mut_splice(s, m, pos, in);
		break;
	}
}

static void
run_mutations(const struct inputs *in, unsigned long runs, uint64_t seed)
{
	struct mutant m = { NULL, NULL, 0, in->longest + GROW };
	const struct input *o;
	unsigned long i;
	uint64_t s = seed;
	size_t k;

	m.b = xrealloc(NULL, m.cap);
	m.tmp = xrealloc(NULL, m.cap);
	for (i = 0; i < runs; i++) {
		/* Start from a seed, or keep mutating the last mutant. */
		if (i == 0 || (rnd(&s) & 3) != 0) {
			m.len = 0;
			if (in->n > 0) {
				o = &in->v[below(&s, in->n)];
				memcpy(m.b, o->data, o->len);
				m.len = o->len;
			}
		}
		for (k = 1 + below(&s, 4); k > 0; k--)
			mutate_once(&s, &m, in);
		run_one(m.b, m.len);
	}
	free(m.b);
	free(m.tmp);
}

static unsigned long
number(const char *s)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 0);
	if (errno != 0 || *s == '\0' || *end != '\0' || *s == '-')
		usage();
	return n;
}

/* Without operands: the seed corpus of this target, as make check runs
 * it. */
static void
add_default_corpus(struct inputs *in)
{
	const char *src = getenv("CCBUS_SRCDIR");
	char path[4096];

	if (src == NULL || *src == '\0')
		usage();
	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/%s", src, progname);
	add_dir(in, path);
}

int
main(int argc, char **argv)
{
	struct inputs in = { NULL, 0, 0, 0 };
	unsigned long runs = DEFAULT_RUNS;
	uint64_t seed = 1;
	size_t i;
	int c;

	progname = strrchr(argv[0], '/') != NULL ? strrchr(argv[0], '/') + 1 :
	    argv[0];
	/* libtool's uninstalled programs may be called lt-NAME. */
	if (strncmp(progname, "lt-", 3) == 0)
		progname += 3;
	while ((c = getopt(argc, argv, "n:s:")) != -1) {
		switch (c) {
		case 'n':
			runs = number(optarg);
			break;
		case 's':
			seed = number(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind == argc)
		add_default_corpus(&in);
	for (; optind < argc; optind++)
		add_path(&in, argv[optind]);
	catch_crashes();
	for (i = 0; i < in.n; i++)
		run_one(in.v[i].data, in.v[i].len);
	run_mutations(&in, runs, seed);
	printf("%s: %lu inputs, no crash\n", progname,
	    (unsigned long)in.n + runs);
	for (i = 0; i < in.n; i++)
		free(in.v[i].data);
	free(in.v);
	return 0;
}
