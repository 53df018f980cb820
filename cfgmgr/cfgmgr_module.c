/*
 * The registry of known modules: for each, its spec (from its installed
 * spec file, replaced by its module_spec command), its committed values
 * (as stored in the file, defaults not filled in) and whether it runs
 * (the lname that registered it).
 *
 * A module is known from any of three sources: a spec file at start-up,
 * a module_spec command, or values in the configuration file. The last
 * may lack a spec (its spec file was removed): its values are kept and
 * stored again, but set_config refuses it until a spec is known.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgmgr.h"
#include "log.h"
#include "xmalloc.h"

struct cfgmgr_module *
cfgmgr_module_find(struct cfgmgr_modules *mods, const char *name)
{
	struct cfgmgr_module *m;

	TAILQ_FOREACH(m, mods, entry)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

struct cfgmgr_module *
cfgmgr_module_get(struct cfgmgr_modules *mods, const char *name)
{
	struct cfgmgr_module *m;

	if ((m = cfgmgr_module_find(mods, name)) != NULL)
		return m;
	m = xcalloc(1, sizeof(*m));
	m->name = xstrdup(name);
	if ((m->values = json_object()) == NULL)
		fatalx("out of memory");
	TAILQ_INSERT_TAIL(mods, m, entry);
	return m;
}

void
cfgmgr_module_set_spec(struct cfgmgr_module *m, struct cc_spec *spec)
{
	cc_spec_free(m->spec);
	m->spec = spec;
}

void
cfgmgr_module_set_running(struct cfgmgr_module *m, const char *lname)
{
	free(m->lname);
	m->lname = lname != NULL ? xstrdup(lname) : NULL;
}

void
cfgmgr_module_set_values(struct cfgmgr_module *m, json_t *values)
{
	json_incref(values);
	json_decref(m->values);
	m->values = values;
}

void
cfgmgr_modules_free(struct cfgmgr_modules *mods)
{
	struct cfgmgr_module *m;

	while ((m = TAILQ_FIRST(mods)) != NULL) {
		TAILQ_REMOVE(mods, m, entry);
		cc_spec_free(m->spec);
		json_decref(m->values);
		free(m->lname);
		free(m->name);
		free(m);
	}
}

void
cfgmgr_modules_load_values(struct cfgmgr_modules *mods,
    const json_t *stored)
{
	const char *name;
	json_t *v;

	json_object_foreach((json_t *)stored, name, v)
		cfgmgr_module_set_values(cfgmgr_module_get(mods, name), v);
}

static int
is_spec_file(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 5 &&
	    strcmp(d->d_name + len - 5, ".spec") == 0;
}

/* One spec file: registered, or a warning naming it and the reason. */
static void
load_spec(struct cfgmgr_modules *mods, const char *path)
{
	struct cfgmgr_module *m = NULL;
	struct cc_spec *spec;
	char err[CFGMGR_ERRLEN];
	const char *name;

	if (cc_spec_load(path, &spec, err, sizeof(err)) != CC_OK) {
		log_warnx("spec file skipped: %s", err);
		return;
	}
	name = cc_spec_module_name(spec);
	/* "version" is the file's own key, not a module. */
	if (strcmp(name, "version") == 0 || ((m = cfgmgr_module_find(mods,
	    name)) != NULL && m->spec != NULL)) {
		log_warnx("spec file skipped: %s: module name %s is %s", path,
		    name, m == NULL ? "reserved" : "taken by another spec");
		cc_spec_free(spec);
		return;
	}
	log_debug("spec of %s loaded from %s", name, path);
	cfgmgr_module_set_spec(cfgmgr_module_get(mods, name), spec);
}

void
cfgmgr_modules_load_specs(struct cfgmgr_modules *mods, const char *dir)
{
	struct dirent **list;
	char *path;
	int n;

	/* Sorted, so that which of two specs for one module wins is
	 * reproducible. */
	if ((n = scandir(dir, &list, is_spec_file, alphasort)) == -1) {
		log_warn("cannot read the spec directory %s", dir);
		return;
	}
	for (int i = 0; i < n; i++) {
		path = xasprintf("%s/%s", dir, list[i]->d_name);
		load_spec(mods, path);
		free(path);
		free(list[i]);
	}
	free(list);
}

json_t *
cfgmgr_modules_stored(struct cfgmgr_modules *mods)
{
	struct cfgmgr_module *m;
	json_t *all;

	if ((all = json_object()) == NULL)
		fatalx("out of memory");
	TAILQ_FOREACH(m, mods, entry)
		if (json_object_size(m->values) > 0)
			json_object_set(all, m->name, m->values);
	return all;
}

json_t *
cfgmgr_modules_spec_map(struct cfgmgr_modules *mods,
    const json_t *(*what)(const struct cc_spec *))
{
	struct cfgmgr_module *m;
	json_t *all;

	if ((all = json_object()) == NULL)
		fatalx("out of memory");
	TAILQ_FOREACH(m, mods, entry)
		if (m->spec != NULL)
			json_object_set_new(all, m->name,
			    json_deep_copy(what(m->spec)));
	return all;
}
