/* builtin_util: what the built-in filters, tests, globals and methods share
 * -- binding Python-style arguments, str() and iteration with Jinja's
 * undefined rules, attribute paths, and a stable sort with Python's rules. */
#ifndef MALLARD_JINJA_BUILTIN_UTIL_H
#define MALLARD_JINJA_BUILTIN_UTIL_H

#include "jinja/builtins.h"

/* Binds args/kwargs to params as Python binds a call to
 * def fn(params[0], ..., params[n-1]): the first nrequired are required,
 * the rest get JV_UNDEFINED with bi_missing() true when not passed.
 * Raises TypeError-like errors and returns false on a bad call. */
bool bi_bind(jinja_call *call, const char *fn, const char *const *params, size_t nparams,
             size_t nrequired, const jv *args, size_t nargs, const jv_kwarg *kwargs, size_t nkwargs,
             jv *out);
/* True for a parameter bi_bind left unpassed. */
bool bi_missing(jv v);
/* Raises the error Jinja raises on using an undefined value. */
jinja_status bi_undefined_error(jinja_call *call, jv v);
/* Python's str(v) as a string value; fails on undefined in strict mode. */
bool bi_str(jinja_call *call, jv v, jv *out);
/* Python's iter(v) as a list: lists and tuples themselves, a dict's keys, a
 * string's characters, nothing for undefined (an error in strict mode).  A
 * generator gives what it had left, and is consumed. */
bool bi_iter(jinja_call *call, jv v, jv *list);
/* An int argument (int or bool, as Python's __index__), else TypeError. */
bool bi_int(jinja_call *call, const char *what, jv v, int64_t *out);
/* Python truthiness, failing on undefined in strict mode. */
bool bi_truthy(jinja_call *call, jv v, bool *out);
/* Follows a Jinja attribute path ("a.b.0", or an int) through getitem,
 * replacing an undefined step by dflt unless dflt is none or missing.
 * Looking into an undefined value fails, as in Jinja. */
bool bi_attr_path(jinja_call *call, jv item, jv attribute, jv dflt, jv *out);
/* Python's ignore_case postprocessor: lowercases strings. */
jv bi_lower_key(arena *a, jv v);
/* Sorts items[0..n) stably by keys (items themselves when keys is NULL),
 * as Python's sorted(reverse=...) does; raises TypeError on keys that do
 * not compare and returns false. */
bool bi_sort(jinja_call *call, jv *items, jv *keys, size_t n, bool reverse);
/* Python's a < b for sort keys; TypeError as a jinja error. */
bool bi_less(jinja_call *call, jv a, jv b, bool *less);
/* A string value from a strbuf's contents. */
jv bi_string_sb(arena *a, const strbuf *sb);

#endif
