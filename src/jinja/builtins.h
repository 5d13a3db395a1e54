/* builtins: the internal contract between the evaluator and Jinja2's
 * built-in filters, tests, globals and Python value methods.
 *
 * The evaluator (eval.c, env.c) provides the jinja_call_* lookups below;
 * filters.c, tests.c, globals.c and methods.c provide the registrations.
 * Filters and tests are ordinary jinja_native_fn functions, registered on the
 * env like a host's, so a host filter and a built-in one behave alike. */
#ifndef MALLARD_JINJA_BUILTINS_H
#define MALLARD_JINJA_BUILTINS_H

#include "jinja/jinja.h"

/* --- provided by filters.c, tests.c, globals.c, methods.c ----------------- */
void jinja_register_builtin_filters(jinja_env *env);
void jinja_register_builtin_tests(jinja_env *env);
/* range, dict, namespace, cycler, joiner, lipsum. */
void jinja_register_builtin_globals(jinja_env *env);
/* A Python method of a str, list or dict bound to self (x.append, s.split,
 * d.items, ...), or JV_UNDEFINED when the type has no such method. */
jv jinja_method_get(arena *a, jv self, const char *name);
/* namespace(): a JV_OBJECT of this class whose self is a `jv *` dict;
 * `{% set ns.attr = v %}` stores into that dict. */
extern const jv_class jinja_namespace_class;

/* Additions (J2), provided by format.c: Python's printf-style `fmt % values`
 * (values a tuple, a dict for %(name)s, or a single value) for the format
 * filter and the evaluator's % operator on a string, and str.format(). */
jinja_status jinja_format_percent(jinja_call *call, jv fmt, jv values, jv *result);
jinja_status jinja_format_str(jinja_call *call, jv fmt, const jv *args, size_t nargs,
                              const jv_kwarg *kwargs, size_t nkwargs, jv *result);
/* Flag (J2) on a (grouper, list) tuple made by the groupby filter: it also
 * answers .grouper and .list through jinja_method_get. */
enum {
    JV_FLAG_GROUP = 1 << 2,
};

/* --- provided by the evaluator -------------------------------------------- */
/* Applies the filter or test called name, as `x|name(args)` or `x is name`
 * would, with args[0] the value (map('upper'), select('odd'), ...). */
jinja_status jinja_call_filter(jinja_call *call, const char *name, const jv *args, size_t nargs,
                               const jv_kwarg *kwargs, size_t nkwargs, jv *result);
jinja_status jinja_call_test(jinja_call *call, const char *name, const jv *args, size_t nargs,
                             const jv_kwarg *kwargs, size_t nkwargs, bool *result);
/* Jinja2's environment.getattr / getitem: an attribute, then an item (or
 * the other way round for getitem); dotted paths "a.b.0" as `attribute=`
 * arguments use them. */
jv jinja_call_getattr(jinja_call *call, jv obj, const char *attr);
jv jinja_call_getitem(jinja_call *call, jv obj, jv key);
/* The undefined mode of the render, for filters like default(). */
jinja_undefined_mode jinja_call_undefined_mode(jinja_call *call);
/* Addition (J1): appends what Jinja2 prints for a callable -- "<Macro 'name'>"
 * for a macro, "<function name>" for a native -- for jv_to_str/jv_to_repr. */
void jinja_callable_to_str(jv callable, strbuf *out);

#endif
