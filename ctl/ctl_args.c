/*
 * A module command's arguments from the command line, and its usage.
 *
 * Arguments are either NAME=VALUE pairs, each VALUE read as the type the
 * spec's command_args give NAME (integer and real as numbers, boolean as
 * true/false, string verbatim, list, map, named_set and any as JSON; an
 * `any` that is not JSON is a string), or one JSON value (an argument
 * that starts with '{' or '['). Either way the result is checked against
 * the spec (cc_spec_validate_command) before anything is sent; a problem
 * is a usage error (64) that names the argument and shows the usage.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

const json_t *
ctl_command_find(const json_t *spec, const char *name)
{
	return ctl_named(json_object_get(spec, "commands"), "command_name",
	    name);
}

static const char *
str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "";
}

static bool
optional(const json_t *item)
{
	return json_is_true(json_object_get(item, "item_optional"));
}

/* "name=INTEGER" or "[name=INTEGER]", space-separated (malloc'd). */
char *
ctl_arg_synopsis(const json_t *cmd)
{
	const json_t *args = json_object_get(cmd, "command_args"), *a;
	char *buf = calloc(1, 1), *p;
	size_t i, len = 1;

	json_array_foreach(args, i, a) {
		const char *name = str(a, "item_name"), *t = str(a,
		    "item_type");

		len += strlen(name) + strlen(t) + 5;
		if (buf == NULL || (p = realloc(buf, len)) == NULL)
			break;
		buf = p;
		p += strlen(p);
		p += sprintf(p, "%s%s%s=", i > 0 ? " " : "",
		    optional(a) ? "[" : "", name);
		for (; *t != '\0'; t++)
			*p++ = (char)toupper((unsigned char)*t);
		strcpy(p, optional(a) ? "]" : "");
	}
	return buf;
}

/* The usage of module's command cmd, from its spec. */
void
ctl_command_usage(FILE *fp, const char *module, const json_t *cmd)
{
	const json_t *args = json_object_get(cmd, "command_args"), *a, *def;
	char *syn = ctl_arg_synopsis(cmd), *d;
	size_t i;

	fprintf(fp, "usage: %s %s %s%s%s\n", CTL_PROGNAME, module,
	    str(cmd, "command_name"), syn != NULL && *syn ? " " : "",
	    syn != NULL ? syn : "");
	free(syn);
	if (*str(cmd, "command_description") != '\0')
		fprintf(fp, "  %s\n", str(cmd, "command_description"));
	json_array_foreach(args, i, a) {
		fprintf(fp, "    ");
		ctl_pad(fp, str(a, "item_name"), 12);
		ctl_pad(fp, str(a, "item_type"), 9);
		def = json_object_get(a, "item_default");
		d = def != NULL && optional(a) ? ctl_json_text(def, false) :
		    NULL;
		fprintf(fp, "%s%s%s", optional(a) ? "optional" : "required",
		    d != NULL ? ", default " : "", d != NULL ? d : "");
		free(d);
		if (*str(a, "item_description") != '\0')
			fprintf(fp, "; %s", str(a, "item_description"));
		fputc('\n', fp);
	}
	if (json_array_size(args) > 0)
		fprintf(fp, "  Arguments are NAME=VALUE pairs, or one JSON "
		    "map.\n");
}

static json_t *
parse_number(const char *type, const char *text)
{
	char *end;

	errno = 0;
	if (strcmp(type, "integer") == 0) {
		long long v = strtoll(text, &end, 10);

		if (*text != '\0' && *end == '\0' && errno == 0)
			return json_integer(v);
	} else {
		double v = strtod(text, &end);

		if (*text != '\0' && *end == '\0' && errno == 0 &&
		    isfinite(v))
			return json_real(v);
	}
	return NULL;
}

/* text as a value of type, NULL if it is not one. */
static json_t *
parse_typed(const char *type, const char *text)
{
	json_t *v;

	if (strcmp(type, "integer") == 0 || strcmp(type, "real") == 0)
		return parse_number(type, text);
	if (strcmp(type, "boolean") == 0)
		return strcmp(text, "true") == 0 ? json_true() :
		    strcmp(text, "false") == 0 ? json_false() : NULL;
	if (strcmp(type, "string") == 0)
		return json_string(text);
	v = json_loads(text, JSON_DECODE_ANY, NULL);
	if (v == NULL && strcmp(type, "any") == 0)
		v = json_string(text);
	return v;
}

static const json_t *
arg_spec(const json_t *cmd, const char *name, size_t len)
{
	const json_t *args = json_object_get(cmd, "command_args"), *a;
	size_t i;

	json_array_foreach(args, i, a)
		if (strlen(str(a, "item_name")) == len &&
		    strncmp(str(a, "item_name"), name, len) == 0)
			return a;
	return NULL;
}

/* One NAME=VALUE into args; 0, or -1 with the problem in err. */
static int
add_pair(const json_t *cmd, const char *arg, json_t *args, char *err,
    size_t errlen)
{
	const char *eq = strchr(arg, '=');
	const json_t *a;
	json_t *v;

	if (eq == NULL || eq == arg) {
		snprintf(err, errlen, "'%s' is not NAME=VALUE", arg);
		return -1;
	}
	if ((a = arg_spec(cmd, arg, (size_t)(eq - arg))) == NULL) {
		snprintf(err, errlen, "unknown argument '%.*s'",
		    (int)(eq - arg), arg);
		return -1;
	}
	if (json_object_get(args, str(a, "item_name")) != NULL) {
		snprintf(err, errlen, "argument '%s' given twice",
		    str(a, "item_name"));
		return -1;
	}
	if ((v = parse_typed(str(a, "item_type"), eq + 1)) == NULL) {
		snprintf(err, errlen, "argument '%s': '%s' is not %s %s",
		    str(a, "item_name"), eq + 1, strchr("aeiou",
		    str(a, "item_type")[0]) ? "an" : "a", str(a, "item_type"));
		return -1;
	}
	json_object_set_new(args, str(a, "item_name"), v);
	return 0;
}

/* args from argv; 0, or -1 with the problem in err. */
static int
build_args(const json_t *cmd, int argc, char **argv, json_t **args,
    char *err, size_t errlen)
{
	json_error_t jerr;

	if (argc == 1 && (argv[0][0] == '{' || argv[0][0] == '[')) {
		if ((*args = json_loads(argv[0], 0, &jerr)) == NULL) {
			snprintf(err, errlen, "the arguments are not JSON: %s "
			    "(column %d)", jerr.text, jerr.column);
			return -1;
		}
		return 0;
	}
	*args = json_object();
	for (int i = 0; i < argc; i++)
		if (add_pair(cmd, argv[i], *args, err, errlen) == -1)
			return -1;
	return 0;
}

/* A non-optional argument missing, by name, before libcc's check. */
static int
check_missing(const json_t *cmd, const json_t *args, char *err,
    size_t errlen)
{
	const json_t *a;
	size_t i;

	if (!json_is_object(args))
		return 0;
	json_array_foreach(json_object_get(cmd, "command_args"), i, a)
		if (!optional(a) && json_object_get(args,
		    str(a, "item_name")) == NULL) {
			snprintf(err, errlen, "missing argument '%s' (%s)",
			    str(a, "item_name"), str(a, "item_type"));
			return -1;
		}
	return 0;
}

static int
validate(const json_t *spec, const json_t *cmd, const json_t *args,
    char *err, size_t errlen)
{
	struct cc_spec *s;
	int r;

	if (check_missing(cmd, args, err, errlen) == -1)
		return -1;
	if (cc_spec_from_json(spec, &s, err, errlen) != CC_OK)
		return -1;
	r = cc_spec_validate_command(s, str(cmd, "command_name"), args, err,
	    errlen);
	cc_spec_free(s);
	return r == CC_OK ? 0 : -1;
}

/*
 * The arguments of module spec's command cmd from argv: CTL_OK and *args
 * (a new reference, NULL for none), or CTL_USAGE after the problem and
 * the command's usage on stderr.
 */
int
ctl_args_parse(const json_t *spec, const json_t *cmd, int argc, char **argv,
    json_t **args)
{
	const char *module = str(spec, "module_name");
	char err[512];

	*args = NULL;
	if (argc == 0 && json_array_size(json_object_get(cmd,
	    "command_args")) == 0)
		return CTL_OK;
	if (build_args(cmd, argc, argv, args, err, sizeof(err)) == 0 &&
	    validate(spec, cmd, *args, err, sizeof(err)) == 0)
		return CTL_OK;
	json_decref(*args);
	*args = NULL;
	ctl_warnx("%s %s: %s", module, str(cmd, "command_name"), err);
	ctl_command_usage(stderr, module, cmd);
	return CTL_USAGE;
}
