/* jv: the values that templates compute with (after jq's jv).
 *
 * A jv is a small tagged struct passed by value.  Scalars live inside it;
 * strings, lists, dicts and callables point to arena memory.  There is no
 * reference counting: every value belongs to the arena it was made in, and
 * dies when that arena is freed.  So:
 *   - values made during a render live in the render's arena, and a host
 *     that keeps one past the render copies it with jv_copy();
 *   - host globals live in the environment's arena and must be treated as
 *     read-only by renders, which may run on several threads at once
 *     (mutating methods such as list.append refuse a frozen value).
 *
 * Python's semantics are kept where templates can see them: lists and dicts
 * are shared by reference (a macro's append is visible to its caller), dicts
 * keep insertion order, and jv_to_str() prints what Python's str() prints.
 *
 * The project layer uses jv too (YAML configs, vars, graph.nodes), so this is
 * the one value type from the template engine up. */
#ifndef MALLARD_JINJA_VALUE_H
#define MALLARD_JINJA_VALUE_H

#include "util/arena.h"
#include "util/strbuf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum jv_kind {
    JV_UNDEFINED, /* a missing name or attribute; carries the name */
    JV_NONE,
    JV_BOOL,
    JV_INT,
    JV_FLOAT,
    JV_STRING,
    JV_LIST, /* also tuples: see JV_FLAG_TUPLE */
    JV_DICT,
    JV_CALLABLE, /* a macro, or a native function registered by the host */
    JV_OBJECT,   /* a host object: attributes, str() and calls through a class */
} jv_kind;

enum {
    JV_FLAG_TUPLE = 1 << 0,  /* a list that prints and compares as a tuple */
    JV_FLAG_FROZEN = 1 << 1, /* shared across renders: mutation is an error */
    /* (J2) 1 << 2 is JV_FLAG_GROUP in builtins.h.  A list made by
     * dict.keys()/values()/items() prints as dict_keys([...]) etc. */
    JV_FLAG_KEYS_VIEW = 1 << 3,
    JV_FLAG_VALUES_VIEW = 1 << 4,
    JV_FLAG_ITEMS_VIEW = 1 << 5,
    /* A list standing for a Python generator or iterator (what map, select,
     * unique, ... return in Jinja): always true, no len(), prints as
     * <generator object>. */
    JV_FLAG_GENERATOR = 1 << 6,
};

/* struct jv_list, jv_dict and jv_object have no typedef: the names are
 * taken by the constructor functions jv_list(), jv_dict() and jv_object()
 * (C has one namespace for both). */
typedef struct jv_str jv_str;
typedef struct jv_callable jv_callable;

typedef struct jv {
    uint8_t kind;
    uint8_t flags;
    union {
        bool b;
        int64_t i;
        double f;
        jv_str *s;
        struct jv_list *l;
        struct jv_dict *d;
        jv_callable *c;
        struct jv_object *o;
        const char *undef_name; /* JV_UNDEFINED: the name that was missing, or NULL */
    } u;
} jv;

struct jv_str {
    size_t len;
    char data[]; /* NUL-terminated; may contain NULs */
};

/* --- scalars -------------------------------------------------------------- */
jv jv_undefined(const char *name);
jv jv_none(void);
jv jv_bool(bool b);
jv jv_int(int64_t i);
jv jv_float(double f);

/* --- strings -------------------------------------------------------------- */
jv jv_string(arena *a, const char *s);
jv jv_string_n(arena *a, const char *s, size_t len);
jv jv_string_fmt(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *jv_str_ptr(jv v); /* JV_STRING only */
size_t jv_str_len(jv v);
bool jv_is_str(jv v, const char *s); /* a string equal to s */

/* --- lists and tuples ----------------------------------------------------- */
jv jv_list(arena *a);
jv jv_tuple(arena *a, const jv *items, size_t n);
size_t jv_list_len(jv list);
jv jv_list_get(jv list, size_t i);
/* Appends in the arena the list was made in; false if the list is frozen. */
bool jv_list_append(jv list, jv item);

/* --- dicts (insertion-ordered) ------------------------------------------- */
jv jv_dict(arena *a);
size_t jv_dict_len(jv dict);
/* Sets key to value (replacing in place, keeping the key's position). */
bool jv_dict_set(jv dict, jv key, jv value);
bool jv_dict_set_str(jv dict, const char *key, jv value);
/* The value, or JV_UNDEFINED when absent. */
jv jv_dict_get(jv dict, jv key);
jv jv_dict_get_str(jv dict, const char *key);
bool jv_dict_has(jv dict, jv key);
bool jv_dict_remove(jv dict, jv key);
/* A new, unfrozen dict in a holding dict's entries in order (a shallow
 * copy, as Python's dict(d)); an empty dict for a non-dict. */
jv jv_dict_clone(arena *a, jv dict);
/* The i-th entry in insertion order (0 <= i < jv_dict_len). */
jv jv_dict_key_at(jv dict, size_t i);
jv jv_dict_value_at(jv dict, size_t i);

/* --- host objects --------------------------------------------------------- */
struct jinja_call;
/* A host object's behaviour.  Every hook may be NULL.  getattr returns
 * JV_UNDEFINED for an unknown attribute; str appends what {{ obj }} prints. */
typedef struct jv_class {
    const char *name;
    jv (*getattr)(struct jinja_call *call, void *self, const char *attr);
    void (*str)(void *self, strbuf *out);
    /* Calling the object itself, like a function (rarely needed). */
    bool (*call)(struct jinja_call *call, void *self, jv *result);
} jv_class;

jv jv_object(arena *a, const jv_class *cls, void *self);
void *jv_object_self(jv v);
const jv_class *jv_object_class(jv v);

/* --- whole values --------------------------------------------------------- */
/* Python's truthiness. */
bool jv_truthy(jv v);
/* Python's TypeError "unhashable type": dicts and lists (not tuples,
 * ranges or generators). */
bool jv_unhashable(jv v);
/* Python's ==, across int/float/bool as Python compares them. */
bool jv_equal(jv a, jv b);
/* Python's ordering for sort, min, max and <: *out is <0, 0 or >0.  False
 * when Python would raise TypeError ('<' between 'str' and 'int'). */
bool jv_compare(jv a, jv b, int *out);
/* Appends Python's str(v): 'None', 'True', "['a', 1]", "{'k': 'v'}", ... */
void jv_to_str(jv v, strbuf *out);
/* Appends Python's repr(v) (strings quoted as Python quotes them). */
void jv_to_repr(jv v, strbuf *out);
/* Appends JSON, as Jinja2's tojson / dbt's tojson print it. */
void jv_to_json(jv v, strbuf *out);
/* A deep copy into another arena, so it outlives the arena it came from.
 * Callables and objects are copied by reference. */
jv jv_copy(arena *a, jv v);
/* Marks v and everything it holds read-only. */
void jv_freeze(jv v);
const char *jv_kind_name(jv v); /* Python's type name: 'str', 'list', 'dict', ... */

/* --- generators ------------------------------------------------------------
 * What Jinja's map, select, unique, ... return: lists flagged
 * JV_FLAG_GENERATOR whose items can be consumed once, as a Python generator's
 * can.  Their items are computed up front; a cursor shared by every holder
 * of the value records how many were consumed. */
bool jv_is_generator(jv v);
/* Flags a fresh list as a generator (returns it). */
jv jv_generator(jv list);
/* The items not yet consumed (a view into the list; not consumed by this). */
size_t jv_gen_remaining(jv g, jv **items);
/* Consumes n more items (clamped to what remains); a frozen generator,
 * shared across renders, is never consumed. */
void jv_gen_consume(jv g, size_t n);
/* Consumes what remains and returns it as a fresh, plain list. */
jv jv_gen_drain(arena *a, jv g);

/* --- additions (J2): what list methods, filters and hosts also need ------- */
/* True when v (or the container it points to) was frozen. */
bool jv_is_frozen(jv v);
/* Mutations in place; false if frozen or out of range.  insert clamps i to
 * the length, as Python's list.insert does. */
bool jv_list_insert(jv list, size_t i, jv item);
bool jv_list_set(jv list, size_t i, jv item);
bool jv_list_remove(jv list, size_t i);
/* The items array (jv_list_len of them), for sorting and fast iteration;
 * NULL for a non-list.  Writing through it bypasses the frozen check. */
jv *jv_list_items(jv list);
/* range(): a read-only list of the ints that prints as Python's range
 * object does ("range(0, 3)"); step must not be 0, and the caller limits
 * the length. */
jv jv_range(arena *a, int64_t start, int64_t stop, int64_t step);
bool jv_is_range(jv v);
/* A range's start, stop and step; NULL for anything else. */
const int64_t *jv_range_params(jv v);
/* json.dumps options: Jinja's tojson is {indent -1, sort_keys, html_safe,
 * ensure_ascii} (what jv_to_json does); dbt's tojson is json.dumps with no
 * sorting and no HTML escaping. */
typedef struct jv_json_opts {
    int indent; /* -1: one line with ", " and ": "; >= 0: newline + spaces */
    bool sort_keys;
    bool html_safe; /* < > & ' as \u003c ... */
    bool ensure_ascii;
} jv_json_opts;
void jv_to_json_opts(jv v, const jv_json_opts *opts, strbuf *out);
/* One string as jv_to_json_opts prints a string value (for writers that
 * stream JSON without building a value tree). */
void jv_json_string(const char *s, size_t len, const jv_json_opts *opts, strbuf *out);
/* Where JSON text failed to parse (1-based), and why. */
typedef struct jv_json_error {
    int line, col;
    char text[160];
} jv_json_error;
/* Parses JSON text (any value at the top level, object keys in order) into
 * values in a: the one way JSON comes in, for contexts and dbt's fromjson. */
bool jv_from_json(arena *a, const char *text, size_t len, jv *out, jv_json_error *e);
/* Python's repr() of a float ('1.0', '1e+20', 'inf') and of a string. */
void jv_format_float(double f, strbuf *out);
void jv_repr_string(const char *s, size_t len, strbuf *out);
/* One UTF-8 code point at s: returns it and sets *adv to its length, or
 * returns -1 with *adv = 1 for an invalid byte. */
long jv_utf8_decode(const char *s, size_t n, size_t *adv);

#endif
