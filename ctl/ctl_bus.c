/*
 * The connection to msgq and the calls over it: one blocking session,
 * opened on first use; libcc's status codes turned into exit statuses
 * with a message that says what to do; the module specs, fetched once
 * from the config manager (or, for help without a running suite, read
 * from the spec files).
 */
#include "config.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl.h"

int
ctl_connect(struct ctl *c)
{
	if (c->s != NULL && cc_session_connected(c->s))
		return CTL_OK;
	if (c->s == NULL && (c->s = cc_session_new()) == NULL)
		return ctl_fail(CTL_ERROR, "out of memory");
	if (cc_session_connect(c->s, c->sockpath, c->timeout_ms) == CC_OK)
		return CTL_OK;
	ctl_warnx("%s (socket %s)", cc_session_error(c->s), c->sockfrom);
	ctl_warnx("is the suite running? Start it with `ccbus` (or "
	    "`./dev.sh run` in a source tree), or choose its socket with "
	    "-s PATH or the environment variable CCBUS_SOCKET");
	return CTL_UNREACHABLE;
}

/* Nobody subscribed to group: what that means and what to do. */
static int
no_recipient(struct ctl *c, const char *group)
{
	if (strcmp(group, "Boss") == 0 || strcmp(group, "ConfigManager") == 0)
		return ctl_fail(CTL_UNREACHABLE, "no %s on the bus at %s: "
		    "msgq runs without the suite around it (start the suite "
		    "with `ccbus`)", strcmp(group, "Boss") == 0 ?
		    "boss (ccbus)" : "configuration manager (ccbus-cfgmgr)",
		    c->sockpath);
	return ctl_fail(CTL_UNREACHABLE, "no module is serving group %s: is "
	    "it running? (see `%s status`)", group, CTL_PROGNAME);
}

/* The exit status for a libcc status of a call of name to group, with
 * the message. */
int
ctl_status_of(struct ctl *c, int r, const char *group, const char *name)
{
	const char *why = c->s != NULL ? cc_session_error(c->s) : "";

	switch (r) {
	case CC_OK:
		return CTL_OK;
	case CC_EANSWER:
		return ctl_fail(CTL_ERROR, "%s", why);
	case CC_ENORECIPIENT:
		return no_recipient(c, group);
	case CC_ETIMEDOUT:
		return ctl_fail(CTL_UNREACHABLE, "%s did not answer %s within "
		    "%g s (-t sets the wait)", group, name,
		    c->timeout_ms / 1000.0);
	case CC_ECONNLOST:
	case CC_ECONNECT:
		return ctl_fail(CTL_UNREACHABLE, "lost the connection to msgq "
		    "at %s: %s", c->sockpath, why);
	default:
		return ctl_fail(CTL_ERROR, "%s %s: %s", group, name, why);
	}
}

int
ctl_call(struct ctl *c, const char *group, const char *name,
    const json_t *args, json_t **value)
{
	int r;

	*value = NULL;
	if ((r = ctl_connect(c)) != CTL_OK)
		return r;
	r = cc_command(c->s, group, name, args, c->timeout_ms, value);
	return ctl_status_of(c, r, group, name);
}

/* Every spec file of the spec directory, as the config manager would
 * read them; files that do not load are skipped with a warning. */
static int
specs_from_files(struct ctl *c)
{
	const char *dir = cc_spec_dir();
	char path[4096], err[256];
	struct cc_spec *spec;
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return ctl_fail(CTL_ERROR, "no suite answers on %s, and the "
		    "spec files in %s cannot be read", c->sockpath, dir);
	c->specs = json_object();
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len < 6 ||
		    strcmp(de->d_name + len - 5, ".spec") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (cc_spec_load(path, &spec, err, sizeof(err)) != CC_OK) {
			ctl_warnx("%s", err);
			continue;
		}
		json_object_set_new(c->specs, cc_spec_module_name(spec),
		    json_deep_copy(cc_spec_json(spec)));
		cc_spec_free(spec);
	}
	closedir(d);
	c->specs_offline = true;
	return CTL_OK;
}

/* Fetch every module's spec once. offline_ok: without a suite, read the
 * spec files instead (for help). */
int
ctl_specs(struct ctl *c, bool offline_ok)
{
	int r;

	if (c->specs != NULL)
		return CTL_OK;
	if (offline_ok && (c->s == NULL || !cc_session_connected(c->s))) {
		if (c->s == NULL && (c->s = cc_session_new()) == NULL)
			return ctl_fail(CTL_ERROR, "out of memory");
		if (cc_session_connect(c->s, c->sockpath, c->timeout_ms) !=
		    CC_OK)
			return specs_from_files(c);
	}
	if ((r = ctl_connect(c)) != CTL_OK)
		return r;
	r = cc_command(c->s, "ConfigManager", "get_module_spec", NULL,
	    c->timeout_ms, &c->specs);
	/* help with msgq but no cfgmgr: the spec files still tell. */
	if (r == CC_ENORECIPIENT && offline_ok)
		return specs_from_files(c);
	r = ctl_status_of(c, r, "ConfigManager", "get_module_spec");
	if (r == CTL_OK && !json_is_object(c->specs)) {
		json_decref(c->specs);
		c->specs = NULL;
		return ctl_fail(CTL_ERROR, "get_module_spec: the answer is "
		    "not a map of modules");
	}
	return r;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The module names, sorted: a NULL-terminated array (malloc'd) of
 * names borrowed from c->specs; NULL if out of memory. */
const char **
ctl_module_list(struct ctl *c)
{
	size_t n = json_object_size(c->specs), i = 0;
	const char **v = calloc(n + 1, sizeof(*v));
	const char *k;
	json_t *spec;

	if (v == NULL)
		return NULL;
	json_object_foreach(c->specs, k, spec)
		v[i++] = k;
	qsort(v, n, sizeof(*v), cmp_str);
	return v;
}

/* The spec of module name: exact, else the one module whose name
 * matches ignoring case ("hello" is Hello). Borrowed; NULL if none. */
const json_t *
ctl_spec_find(struct ctl *c, const char *name)
{
	const json_t *found = NULL;
	const char *k;
	json_t *spec;
	int n = 0;

	if ((found = json_object_get(c->specs, name)) != NULL)
		return found;
	json_object_foreach(c->specs, k, spec)
		if (strcasecmp(k, name) == 0) {
			found = spec;
			n++;
		}
	return n == 1 ? found : NULL;
}

int
ctl_module_resolve(struct ctl *c, const char *name, const json_t **spec)
{
	const char **list;
	char *names;
	int r;

	if ((r = ctl_specs(c, false)) != CTL_OK)
		return r;
	if ((*spec = ctl_spec_find(c, name)) != NULL)
		return CTL_OK;
	list = ctl_module_list(c);
	names = list != NULL ? ctl_join(list) : NULL;
	r = ctl_fail(CTL_ERROR, "unknown module %s; modules: %s", name,
	    names != NULL && *names != '\0' ? names : "(none)");
	free(names);
	free(list);
	return r;
}
