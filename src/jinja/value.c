/* value: the jv value type -- construction, insertion-ordered dicts with a
 * hash index, Python equality/ordering/truthiness, and str()/repr()/JSON
 * printing exactly as Python and Jinja2 print them. */
#include "jinja/value.h"

#include "jinja/ast.h" /* struct jv_callable, to print a macro's name */
#include "util/xalloc.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jv_list {
    arena *a;
    jv *items;
    size_t len, cap;
    const int64_t *range; /* start, stop, step of a range(); NULL otherwise */
    /* A generator's cursor: items before it were consumed.  It lives here,
     * not in the jv, so that every holder of the generator shares it. */
    size_t consumed;
    bool frozen;
};

typedef struct dict_entry {
    jv key;
    jv value;
    uint64_t hash;
} dict_entry;

/* Small dicts are scanned linearly; from DICT_INDEX_MIN entries on, an
 * open-addressed index of entry positions (+1, 0 = empty) finds keys. */
enum {
    DICT_INDEX_MIN = 8
};

struct jv_dict {
    arena *a;
    dict_entry *entries;
    size_t len, cap;
    uint32_t *index;
    size_t index_cap; /* a power of two, or 0 */
    bool frozen;
};

struct jv_object {
    const jv_class *cls;
    void *self;
};

/* How a printed value guards against containers that hold themselves
 * (Python prints [[...]]) and against unbounded depth. */
typedef struct visit {
    const void *container;
    const struct visit *up;
    int depth;
} visit;

enum {
    MAX_VALUE_DEPTH = 400
};

static bool visiting(const visit *v, const void *container)
{
    for (; v; v = v->up)
        if (v->container == container)
            return true;
    return false;
}

/* --- scalars -------------------------------------------------------------- */
jv jv_undefined(const char *name)
{
    jv v = {.kind = JV_UNDEFINED};
    v.u.undef_name = name;
    return v;
}

jv jv_none(void)
{
    jv v = {.kind = JV_NONE};
    return v;
}

jv jv_bool(bool b)
{
    jv v = {.kind = JV_BOOL};
    v.u.b = b;
    return v;
}

jv jv_int(int64_t i)
{
    jv v = {.kind = JV_INT};
    v.u.i = i;
    return v;
}

jv jv_float(double f)
{
    jv v = {.kind = JV_FLOAT};
    v.u.f = f;
    return v;
}

/* --- strings -------------------------------------------------------------- */
jv jv_string_n(arena *a, const char *s, size_t len)
{
    jv_str *str = arena_alloc(a, sizeof(jv_str) + len + 1);
    str->len = len;
    if (len)
        memcpy(str->data, s, len);
    str->data[len] = '\0';
    jv v = {.kind = JV_STRING};
    v.u.s = str;
    return v;
}

jv jv_string(arena *a, const char *s)
{
    return jv_string_n(a, s, strlen(s));
}

jv jv_string_fmt(arena *a, const char *fmt, ...)
{
    va_list ap, copy;
    va_start(ap, fmt);
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        n = 0;
    jv_str *str = arena_alloc(a, sizeof(jv_str) + (size_t)n + 1);
    vsnprintf(str->data, (size_t)n + 1, fmt, ap);
    va_end(ap);
    str->len = (size_t)n;
    jv v = {.kind = JV_STRING};
    v.u.s = str;
    return v;
}

const char *jv_str_ptr(jv v)
{
    return v.kind == JV_STRING ? v.u.s->data : "";
}

size_t jv_str_len(jv v)
{
    return v.kind == JV_STRING ? v.u.s->len : 0;
}

bool jv_is_str(jv v, const char *s)
{
    if (v.kind != JV_STRING)
        return false;
    size_t n = strlen(s);
    return v.u.s->len == n && memcmp(v.u.s->data, s, n) == 0;
}

/* --- lists and tuples ----------------------------------------------------- */
jv jv_list(arena *a)
{
    struct jv_list *l = ARENA_NEW(a, struct jv_list);
    l->a = a;
    jv v = {.kind = JV_LIST};
    v.u.l = l;
    return v;
}

jv jv_tuple(arena *a, const jv *items, size_t n)
{
    jv v = jv_list(a);
    v.flags = JV_FLAG_TUPLE;
    if (n) {
        v.u.l->items = arena_alloc(a, n * sizeof(jv));
        memcpy(v.u.l->items, items, n * sizeof(jv));
        v.u.l->len = v.u.l->cap = n;
    }
    return v;
}

static void list_reserve(struct jv_list *l, size_t need);

jv jv_range(arena *a, int64_t start, int64_t stop, int64_t step)
{
    jv v = jv_list(a);
    struct jv_list *l = v.u.l;
    int64_t *r = arena_alloc(a, 3 * sizeof *r);
    r[0] = start;
    r[1] = stop;
    r[2] = step;
    uint64_t count = 0;
    if (step > 0 && start < stop)
        count = ((uint64_t)stop - (uint64_t)start - 1) / (uint64_t)step + 1;
    else if (step < 0 && start > stop)
        count = ((uint64_t)start - (uint64_t)stop - 1) / ((uint64_t)0 - (uint64_t)step) + 1;
    list_reserve(l, (size_t)count);
    int64_t x = start;
    for (uint64_t i = 0; i < count; i++) {
        l->items[i] = jv_int(x);
        x = (int64_t)((uint64_t)x + (uint64_t)step);
    }
    l->len = (size_t)count;
    l->range = r;
    l->frozen = true;
    return v;
}

bool jv_is_range(jv v)
{
    return v.kind == JV_LIST && v.u.l->range != NULL;
}

const int64_t *jv_range_params(jv v)
{
    return jv_is_range(v) ? v.u.l->range : NULL;
}

size_t jv_list_len(jv list)
{
    return list.kind == JV_LIST ? list.u.l->len : 0;
}

jv jv_list_get(jv list, size_t i)
{
    if (list.kind != JV_LIST || i >= list.u.l->len)
        return jv_undefined(NULL);
    return list.u.l->items[i];
}

bool jv_is_generator(jv v)
{
    return v.kind == JV_LIST && (v.flags & JV_FLAG_GENERATOR);
}

jv jv_generator(jv list)
{
    if (list.kind == JV_LIST)
        list.flags |= JV_FLAG_GENERATOR;
    return list;
}

size_t jv_gen_remaining(jv g, jv **items)
{
    struct jv_list *l = g.u.l;
    size_t at = l->consumed < l->len ? l->consumed : l->len;
    *items = at < l->len ? l->items + at : NULL;
    return l->len - at;
}

void jv_gen_consume(jv g, size_t n)
{
    struct jv_list *l = g.u.l;
    /* a frozen generator is shared by renders on other threads: it must
     * not move, so it iterates like a list */
    if (l->frozen || (g.flags & JV_FLAG_FROZEN))
        return;
    l->consumed = l->consumed + n < l->len ? l->consumed + n : l->len;
}

jv jv_gen_drain(arena *a, jv g)
{
    jv *items;
    size_t n = jv_gen_remaining(g, &items);
    jv out = jv_tuple(a, items, n);
    out.flags = 0;
    jv_gen_consume(g, n);
    return out;
}

bool jv_unhashable(jv v)
{
    return v.kind == JV_DICT || (v.kind == JV_LIST && !(v.flags & JV_FLAG_TUPLE) && !v.u.l->range &&
                                 !jv_is_generator(v));
}

bool jv_is_frozen(jv v)
{
    if (v.flags & JV_FLAG_FROZEN)
        return true;
    if (v.kind == JV_LIST)
        return v.u.l->frozen;
    if (v.kind == JV_DICT)
        return v.u.d->frozen;
    return false;
}

static void list_reserve(struct jv_list *l, size_t need)
{
    if (need <= l->cap)
        return;
    size_t cap = l->cap ? l->cap * 2 : 4;
    while (cap < need)
        cap *= 2;
    /* The old array stays in the arena until it dies: doubling keeps the
     * waste to a constant factor. */
    jv *items = arena_alloc(l->a, cap * sizeof(jv));
    if (l->len)
        memcpy(items, l->items, l->len * sizeof(jv));
    l->items = items;
    l->cap = cap;
}

bool jv_list_append(jv list, jv item)
{
    if (list.kind != JV_LIST || jv_is_frozen(list))
        return false;
    struct jv_list *l = list.u.l;
    list_reserve(l, l->len + 1);
    l->items[l->len++] = item;
    return true;
}

bool jv_list_insert(jv list, size_t i, jv item)
{
    if (list.kind != JV_LIST || jv_is_frozen(list))
        return false;
    struct jv_list *l = list.u.l;
    if (i > l->len)
        i = l->len;
    list_reserve(l, l->len + 1);
    memmove(l->items + i + 1, l->items + i, (l->len - i) * sizeof(jv));
    l->items[i] = item;
    l->len++;
    return true;
}

bool jv_list_set(jv list, size_t i, jv item)
{
    if (list.kind != JV_LIST || jv_is_frozen(list) || i >= list.u.l->len)
        return false;
    list.u.l->items[i] = item;
    return true;
}

bool jv_list_remove(jv list, size_t i)
{
    if (list.kind != JV_LIST || jv_is_frozen(list) || i >= list.u.l->len)
        return false;
    struct jv_list *l = list.u.l;
    memmove(l->items + i, l->items + i + 1, (l->len - i - 1) * sizeof(jv));
    l->len--;
    return true;
}

jv *jv_list_items(jv list)
{
    return list.kind == JV_LIST ? list.u.l->items : NULL;
}

/* --- hashing: equal keys (1, 1.0, True) must hash alike ------------------- */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
    }
    for (; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return mix64(h ^ n);
}

static uint64_t jv_hash(jv v, int depth)
{
    switch (v.kind) {
    case JV_UNDEFINED:
        return 0x5bd1e995;
    case JV_NONE:
        return 0x9e3779b9;
    case JV_BOOL:
        return mix64((uint64_t)v.u.b);
    case JV_INT:
        return mix64((uint64_t)v.u.i);
    case JV_FLOAT: {
        double f = v.u.f;
        if (f >= -9.2e18 && f <= 9.2e18 && f == (double)(int64_t)f)
            return mix64((uint64_t)(int64_t)f);
        uint64_t bits;
        if (f == 0)
            f = 0; /* -0.0 == 0.0 */
        memcpy(&bits, &f, sizeof bits);
        return mix64(bits ^ 0x7ff);
    }
    case JV_STRING:
        return hash_bytes(v.u.s->data, v.u.s->len);
    case JV_LIST: {
        /* Lists are unhashable in Python; tuples hash by content.  A list
         * key still works here, found by equality within one bucket. */
        if (!(v.flags & JV_FLAG_TUPLE) || depth > 32)
            return 0x27d4eb2f;
        uint64_t h = 0x345678;
        for (size_t i = 0; i < v.u.l->len; i++)
            h = mix64(h ^ jv_hash(v.u.l->items[i], depth + 1)) + i;
        return h;
    }
    case JV_DICT:
        return 0x165667b1;
    case JV_CALLABLE:
        return mix64((uint64_t)(uintptr_t)v.u.c);
    case JV_OBJECT:
        return mix64((uint64_t)(uintptr_t)v.u.o->self);
    }
    return 0;
}

/* --- dicts ---------------------------------------------------------------- */
jv jv_dict(arena *a)
{
    struct jv_dict *d = ARENA_NEW(a, struct jv_dict);
    d->a = a;
    jv v = {.kind = JV_DICT};
    v.u.d = d;
    return v;
}

size_t jv_dict_len(jv dict)
{
    return dict.kind == JV_DICT ? dict.u.d->len : 0;
}

static void dict_index_insert(struct jv_dict *d, size_t pos)
{
    size_t mask = d->index_cap - 1;
    size_t slot = (size_t)d->entries[pos].hash & mask;
    while (d->index[slot])
        slot = (slot + 1) & mask;
    d->index[slot] = (uint32_t)(pos + 1);
}

static void dict_reindex(struct jv_dict *d)
{
    if (d->len < DICT_INDEX_MIN) {
        d->index = NULL;
        d->index_cap = 0;
        return;
    }
    size_t cap = 16;
    while (cap < d->len * 2)
        cap *= 2;
    if (cap != d->index_cap || !d->index) {
        d->index = arena_alloc(d->a, cap * sizeof(uint32_t));
        d->index_cap = cap;
    }
    memset(d->index, 0, cap * sizeof(uint32_t));
    for (size_t i = 0; i < d->len; i++)
        dict_index_insert(d, i);
}

static bool key_equal(jv a, jv b);

/* The position of key, or -1. */
static ptrdiff_t dict_find(const struct jv_dict *d, jv key, uint64_t hash)
{
    if (d->index) {
        size_t mask = d->index_cap - 1;
        for (size_t slot = (size_t)hash & mask; d->index[slot]; slot = (slot + 1) & mask) {
            size_t pos = d->index[slot] - 1;
            if (d->entries[pos].hash == hash && key_equal(d->entries[pos].key, key))
                return (ptrdiff_t)pos;
        }
        return -1;
    }
    for (size_t i = 0; i < d->len; i++)
        if (d->entries[i].hash == hash && key_equal(d->entries[i].key, key))
            return (ptrdiff_t)i;
    return -1;
}

/* Keys take the fast path for the common case: two strings. */
static bool key_equal(jv a, jv b)
{
    if (a.kind == JV_STRING && b.kind == JV_STRING)
        return a.u.s->len == b.u.s->len && memcmp(a.u.s->data, b.u.s->data, a.u.s->len) == 0;
    return jv_equal(a, b);
}

/* Appends a key known to be absent. */
static void dict_append(struct jv_dict *d, jv key, jv value, uint64_t hash)
{
    if (d->len == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 4;
        dict_entry *entries = arena_alloc(d->a, cap * sizeof(dict_entry));
        if (d->len)
            memcpy(entries, d->entries, d->len * sizeof(dict_entry));
        d->entries = entries;
        d->cap = cap;
    }
    d->entries[d->len].key = key;
    d->entries[d->len].value = value;
    d->entries[d->len].hash = hash;
    d->len++;
    if (d->len == DICT_INDEX_MIN || (d->index && d->len * 2 > d->index_cap))
        dict_reindex(d);
    else if (d->index)
        dict_index_insert(d, d->len - 1);
}

bool jv_dict_set(jv dict, jv key, jv value)
{
    if (dict.kind != JV_DICT || jv_is_frozen(dict))
        return false;
    struct jv_dict *d = dict.u.d;
    uint64_t hash = jv_hash(key, 0);
    ptrdiff_t pos = dict_find(d, key, hash);
    if (pos >= 0) {
        d->entries[pos].value = value;
        return true;
    }
    dict_append(d, key, value, hash);
    return true;
}

/* The position of a string key given as C text, or -1: lookups by name
 * need no copy of the key. */
static ptrdiff_t dict_find_str(const struct jv_dict *d, const char *key, size_t n, uint64_t hash)
{
    if (d->index) {
        size_t mask = d->index_cap - 1;
        for (size_t slot = (size_t)hash & mask; d->index[slot]; slot = (slot + 1) & mask) {
            size_t pos = d->index[slot] - 1;
            const dict_entry *e = &d->entries[pos];
            if (e->hash == hash && e->key.kind == JV_STRING && e->key.u.s->len == n &&
                memcmp(e->key.u.s->data, key, n) == 0)
                return (ptrdiff_t)pos;
        }
        return -1;
    }
    for (size_t i = 0; i < d->len; i++) {
        const dict_entry *e = &d->entries[i];
        if (e->hash == hash && e->key.kind == JV_STRING && e->key.u.s->len == n &&
            memcmp(e->key.u.s->data, key, n) == 0)
            return (ptrdiff_t)i;
    }
    return -1;
}

bool jv_dict_set_str(jv dict, const char *key, jv value)
{
    if (dict.kind != JV_DICT || jv_is_frozen(dict))
        return false;
    struct jv_dict *d = dict.u.d;
    size_t n = strlen(key);
    uint64_t hash = hash_bytes(key, n);
    ptrdiff_t pos = dict_find_str(d, key, n, hash);
    if (pos >= 0) {
        d->entries[pos].value = value;
        return true;
    }
    dict_append(d, jv_string_n(d->a, key, n), value, hash);
    return true;
}

jv jv_dict_get(jv dict, jv key)
{
    if (dict.kind != JV_DICT)
        return jv_undefined(NULL);
    ptrdiff_t pos = dict_find(dict.u.d, key, jv_hash(key, 0));
    return pos >= 0 ? dict.u.d->entries[pos].value : jv_undefined(NULL);
}

jv jv_dict_get_str(jv dict, const char *key)
{
    if (dict.kind != JV_DICT)
        return jv_undefined(key);
    size_t n = strlen(key);
    ptrdiff_t pos = dict_find_str(dict.u.d, key, n, hash_bytes(key, n));
    return pos >= 0 ? dict.u.d->entries[pos].value : jv_undefined(key);
}

jv jv_dict_clone(arena *a, jv dict)
{
    jv out = jv_dict(a);
    if (dict.kind != JV_DICT || dict.u.d->len == 0)
        return out;
    const struct jv_dict *src = dict.u.d;
    struct jv_dict *d = out.u.d;
    d->cap = src->len < 4 ? 4 : src->len;
    d->entries = arena_alloc(a, d->cap * sizeof(dict_entry));
    memcpy(d->entries, src->entries, src->len * sizeof(dict_entry));
    d->len = src->len;
    if (d->len >= DICT_INDEX_MIN)
        dict_reindex(d);
    return out;
}

bool jv_dict_has(jv dict, jv key)
{
    if (dict.kind != JV_DICT)
        return false;
    return dict_find(dict.u.d, key, jv_hash(key, 0)) >= 0;
}

bool jv_dict_remove(jv dict, jv key)
{
    if (dict.kind != JV_DICT || jv_is_frozen(dict))
        return false;
    struct jv_dict *d = dict.u.d;
    ptrdiff_t pos = dict_find(d, key, jv_hash(key, 0));
    if (pos < 0)
        return false;
    memmove(d->entries + pos, d->entries + pos + 1,
            (d->len - (size_t)pos - 1) * sizeof(dict_entry));
    d->len--;
    if (d->index)
        dict_reindex(d);
    return true;
}

jv jv_dict_key_at(jv dict, size_t i)
{
    if (dict.kind != JV_DICT || i >= dict.u.d->len)
        return jv_undefined(NULL);
    return dict.u.d->entries[i].key;
}

jv jv_dict_value_at(jv dict, size_t i)
{
    if (dict.kind != JV_DICT || i >= dict.u.d->len)
        return jv_undefined(NULL);
    return dict.u.d->entries[i].value;
}

/* --- host objects --------------------------------------------------------- */
jv jv_object(arena *a, const jv_class *cls, void *self)
{
    struct jv_object *o = ARENA_NEW(a, struct jv_object);
    o->cls = cls;
    o->self = self;
    jv v = {.kind = JV_OBJECT};
    v.u.o = o;
    return v;
}

void *jv_object_self(jv v)
{
    return v.kind == JV_OBJECT ? v.u.o->self : NULL;
}

const jv_class *jv_object_class(jv v)
{
    return v.kind == JV_OBJECT ? v.u.o->cls : NULL;
}

/* --- truthiness, equality, ordering -------------------------------------- */
bool jv_truthy(jv v)
{
    switch (v.kind) {
    case JV_UNDEFINED:
    case JV_NONE:
        return false;
    case JV_BOOL:
        return v.u.b;
    case JV_INT:
        return v.u.i != 0;
    case JV_FLOAT:
        return v.u.f != 0;
    case JV_STRING:
        return v.u.s->len != 0;
    case JV_LIST:
        return v.u.l->len != 0 || (v.flags & JV_FLAG_GENERATOR);
    case JV_DICT:
        return v.u.d->len != 0;
    case JV_CALLABLE:
    case JV_OBJECT:
        return true;
    }
    return false;
}

static bool is_number(jv v)
{
    return v.kind == JV_BOOL || v.kind == JV_INT || v.kind == JV_FLOAT;
}

static int64_t int_of(jv v)
{
    return v.kind == JV_BOOL ? (int64_t)v.u.b : v.u.i;
}

/* Compares an int with a float exactly, as Python does (no rounding of
 * large ints to double). */
static int cmp_int_float(int64_t i, double f)
{
    if (isnan(f))
        return 2; /* unordered */
    if (f >= 9223372036854775808.0)
        return -1;
    if (f < -9223372036854775808.0)
        return 1;
    double fl = floor(f);
    int64_t fi = (int64_t)fl;
    if (i < fi)
        return -1;
    if (i > fi)
        return 1;
    return fl < f ? -1 : 0;
}

/* <0, 0, >0, or 2 when unordered (NaN). */
static int cmp_numbers(jv a, jv b)
{
    if (a.kind != JV_FLOAT && b.kind != JV_FLOAT) {
        int64_t x = int_of(a), y = int_of(b);
        return x < y ? -1 : x > y;
    }
    if (a.kind == JV_FLOAT && b.kind == JV_FLOAT) {
        if (isnan(a.u.f) || isnan(b.u.f))
            return 2;
        return a.u.f < b.u.f ? -1 : a.u.f > b.u.f;
    }
    if (a.kind == JV_FLOAT) {
        int c = cmp_int_float(int_of(b), a.u.f);
        return c == 2 ? 2 : -c;
    }
    return cmp_int_float(int_of(a), b.u.f);
}

static bool equal_at(jv a, jv b, int depth)
{
    if (depth > MAX_VALUE_DEPTH)
        return false;
    if (is_number(a) && is_number(b))
        return cmp_numbers(a, b) == 0;
    if (a.kind != b.kind)
        return false;
    switch (a.kind) {
    case JV_UNDEFINED:
    case JV_NONE:
        return true;
    case JV_STRING:
        return a.u.s->len == b.u.s->len && memcmp(a.u.s->data, b.u.s->data, a.u.s->len) == 0;
    case JV_LIST:
        if ((a.flags & JV_FLAG_TUPLE) != (b.flags & JV_FLAG_TUPLE))
            return false;
        if (a.u.l == b.u.l)
            return true;
        /* generators are equal only to themselves; a range equals a range
         * with the same items, never a list or tuple */
        if (jv_is_generator(a) || jv_is_generator(b) ||
            (a.u.l->range != NULL) != (b.u.l->range != NULL))
            return false;
        if (a.u.l->len != b.u.l->len)
            return false;
        for (size_t i = 0; i < a.u.l->len; i++)
            if (!equal_at(a.u.l->items[i], b.u.l->items[i], depth + 1))
                return false;
        return true;
    case JV_DICT:
        if (a.u.d == b.u.d)
            return true;
        if (a.u.d->len != b.u.d->len)
            return false;
        for (size_t i = 0; i < a.u.d->len; i++) {
            const dict_entry *e = &a.u.d->entries[i];
            ptrdiff_t pos = dict_find(b.u.d, e->key, e->hash);
            if (pos < 0 || !equal_at(e->value, b.u.d->entries[pos].value, depth + 1))
                return false;
        }
        return true;
    case JV_CALLABLE:
        return a.u.c == b.u.c;
    case JV_OBJECT:
        return a.u.o->self == b.u.o->self && a.u.o->cls == b.u.o->cls;
    }
    return false;
}

bool jv_equal(jv a, jv b)
{
    return equal_at(a, b, 0);
}

static bool compare_at(jv a, jv b, int *out, int depth)
{
    if (depth > MAX_VALUE_DEPTH)
        return false;
    if (is_number(a) && is_number(b)) {
        int c = cmp_numbers(a, b);
        /* NaN compares false every way; sorting treats it as equal. */
        *out = c == 2 ? 0 : c;
        return true;
    }
    if (a.kind != b.kind)
        return false;
    if (a.kind == JV_STRING) {
        size_t n = a.u.s->len < b.u.s->len ? a.u.s->len : b.u.s->len;
        int c = memcmp(a.u.s->data, b.u.s->data, n);
        if (c == 0)
            c = a.u.s->len < b.u.s->len ? -1 : a.u.s->len > b.u.s->len;
        *out = c < 0 ? -1 : c > 0;
        return true;
    }
    if (a.kind == JV_LIST) {
        /* ranges and generators do not order at all */
        if ((a.flags & JV_FLAG_TUPLE) != (b.flags & JV_FLAG_TUPLE) || a.u.l->range ||
            b.u.l->range || jv_is_generator(a) || jv_is_generator(b))
            return false;
        size_t n = a.u.l->len < b.u.l->len ? a.u.l->len : b.u.l->len;
        /* Python finds the first unequal pair, then orders by it. */
        for (size_t i = 0; i < n; i++) {
            jv x = a.u.l->items[i], y = b.u.l->items[i];
            if (equal_at(x, y, depth + 1))
                continue;
            return compare_at(x, y, out, depth + 1);
        }
        *out = a.u.l->len < b.u.l->len ? -1 : a.u.l->len > b.u.l->len;
        return true;
    }
    return false;
}

bool jv_compare(jv a, jv b, int *out)
{
    *out = 0;
    return compare_at(a, b, out, 0);
}

/* --- printing ------------------------------------------------------------- */
/* Python's repr(float): the shortest digits that read back as the same
 * double, in fixed notation for exponents -4..15, else scientific. */
void jv_format_float(double f, strbuf *out)
{
    if (isnan(f)) {
        strbuf_adds(out, "nan");
        return;
    }
    if (isinf(f)) {
        strbuf_adds(out, f < 0 ? "-inf" : "inf");
        return;
    }
    if (f == 0) {
        strbuf_adds(out, signbit(f) ? "-0.0" : "0.0");
        return;
    }
    char buf[40];
    int prec;
    for (prec = 0; prec < 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec, f);
        if (strtod(buf, NULL) == f)
            break;
    }
    if (prec == 17)
        snprintf(buf, sizeof buf, "%.16e", f);
    /* buf is [-]D[.DDD]e[+-]XX: pull out the digits and the exponent. */
    const char *p = buf;
    bool neg = false;
    if (*p == '-') {
        neg = true;
        p++;
    }
    char digits[24];
    size_t nd = 0;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[nd++] = *p;
    int exp = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    if (neg)
        strbuf_addc(out, '-');
    if (exp >= -5 + 1 && exp < 16) {
        if (exp < 0) {
            strbuf_adds(out, "0.");
            for (int i = -1; i > exp; i--)
                strbuf_addc(out, '0');
            strbuf_add(out, digits, nd);
        } else {
            size_t int_digits = (size_t)exp + 1;
            if (nd <= int_digits) {
                strbuf_add(out, digits, nd);
                for (size_t i = nd; i < int_digits; i++)
                    strbuf_addc(out, '0');
                strbuf_adds(out, ".0");
            } else {
                strbuf_add(out, digits, int_digits);
                strbuf_addc(out, '.');
                strbuf_add(out, digits + int_digits, nd - int_digits);
            }
        }
    } else {
        strbuf_addc(out, digits[0]);
        if (nd > 1) {
            strbuf_addc(out, '.');
            strbuf_add(out, digits + 1, nd - 1);
        }
        strbuf_addf(out, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    }
}

/* Decodes one UTF-8 sequence at s (n > 0 bytes available).  Returns the
 * code point and its length in *adv, or -1 with *adv = 1 for a bad byte. */
long jv_utf8_decode(const char *s, size_t n, size_t *adv)
{
    const unsigned char *u = (const unsigned char *)s;
    *adv = 1;
    if (u[0] < 0x80)
        return u[0];
    size_t len;
    long cp;
    if ((u[0] & 0xe0) == 0xc0) {
        len = 2;
        cp = u[0] & 0x1f;
    } else if ((u[0] & 0xf0) == 0xe0) {
        len = 3;
        cp = u[0] & 0x0f;
    } else if ((u[0] & 0xf8) == 0xf0) {
        len = 4;
        cp = u[0] & 0x07;
    } else {
        return -1;
    }
    if (n < len)
        return -1;
    for (size_t i = 1; i < len; i++) {
        if ((u[i] & 0xc0) != 0x80)
            return -1;
        cp = (cp << 6) | (u[i] & 0x3f);
    }
    static const long min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[len] || cp > 0x10ffff)
        return -1;
    *adv = len;
    return cp;
}

/* Python's str.isprintable() for one code point, for the ranges templates
 * meet (controls, separators, format characters, private use). */
static bool printable(long cp)
{
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp == 0xad)
        return false;
    if (cp < 0x600)
        return true;
    if ((cp >= 0x600 && cp <= 0x605) || cp == 0x61c || cp == 0x6dd || cp == 0x70f || cp == 0x180e ||
        cp == 0x1680)
        return false;
    if ((cp >= 0x2000 && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202f) ||
        (cp >= 0x205f && cp <= 0x206f) || cp == 0x3000)
        return false;
    if ((cp >= 0xd800 && cp <= 0xf8ff) || cp == 0xfeff || (cp >= 0xfff0 && cp <= 0xfffb) ||
        cp == 0xfffe || cp == 0xffff)
        return false;
    if (cp >= 0xe0000)
        return cp >= 0xe0100 && cp <= 0xe01ef; /* variation selectors print */
    return true;
}

void jv_repr_string(const char *s, size_t len, strbuf *out)
{
    bool has_single = memchr(s, '\'', len) != NULL;
    bool has_double = memchr(s, '"', len) != NULL;
    char quote = has_single && !has_double ? '"' : '\'';
    strbuf_grow(out, len + 2);
    strbuf_addc(out, quote);
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        size_t start = i;
        /* Copy the run of plain printable ASCII in one go. */
        while (i < len && (c = (unsigned char)s[i]) >= 0x20 && c < 0x7f && c != '\\' &&
               c != (unsigned char)quote)
            i++;
        if (i > start)
            strbuf_add(out, s + start, i - start);
        if (i >= len)
            break;
        if (c == '\\' || c == (unsigned char)quote) {
            strbuf_addc(out, '\\');
            strbuf_addc(out, (char)c);
            i++;
        } else if (c == '\n') {
            strbuf_adds(out, "\\n");
            i++;
        } else if (c == '\r') {
            strbuf_adds(out, "\\r");
            i++;
        } else if (c == '\t') {
            strbuf_adds(out, "\\t");
            i++;
        } else {
            size_t adv;
            long cp = jv_utf8_decode(s + i, len - i, &adv);
            if (cp < 0) {
                strbuf_addf(out, "\\x%02x", c);
            } else if (printable(cp)) {
                strbuf_add(out, s + i, adv);
            } else if (cp < 0x100) {
                strbuf_addf(out, "\\x%02lx", cp);
            } else if (cp < 0x10000) {
                strbuf_addf(out, "\\u%04lx", cp);
            } else {
                strbuf_addf(out, "\\U%08lx", cp);
            }
            i += adv;
        }
    }
    strbuf_addc(out, quote);
}

static void print_at(jv v, strbuf *out, bool repr, const visit *up);

static void print_container(jv v, strbuf *out, const visit *up)
{
    const void *self = v.kind == JV_LIST ? (const void *)v.u.l : (const void *)v.u.d;
    bool tuple = v.kind == JV_LIST && (v.flags & JV_FLAG_TUPLE);
    if (visiting(up, self) || (up && up->depth >= MAX_VALUE_DEPTH)) {
        strbuf_adds(out, v.kind == JV_DICT ? "{...}" : tuple ? "(...)" : "[...]");
        return;
    }
    visit here = {self, up, up ? up->depth + 1 : 1};
    if (v.kind == JV_LIST && v.u.l->range) {
        const int64_t *r = v.u.l->range;
        strbuf_addf(out, "range(%" PRId64 ", %" PRId64, r[0], r[1]);
        if (r[2] != 1)
            strbuf_addf(out, ", %" PRId64, r[2]);
        strbuf_addc(out, ')');
        return;
    }
    if (v.flags & JV_FLAG_GENERATOR) {
        strbuf_addf(out, "<generator object at %p>", (const void *)v.u.l);
        return;
    }
    const char *view = v.flags & JV_FLAG_KEYS_VIEW     ? "dict_keys("
                       : v.flags & JV_FLAG_VALUES_VIEW ? "dict_values("
                       : v.flags & JV_FLAG_ITEMS_VIEW  ? "dict_items("
                                                       : NULL;
    if (view)
        strbuf_adds(out, view);
    if (v.kind == JV_LIST) {
        strbuf_addc(out, tuple ? '(' : '[');
        for (size_t i = 0; i < v.u.l->len; i++) {
            if (i)
                strbuf_adds(out, ", ");
            print_at(v.u.l->items[i], out, true, &here);
        }
        if (tuple && v.u.l->len == 1)
            strbuf_addc(out, ',');
        strbuf_addc(out, tuple ? ')' : ']');
        if (view)
            strbuf_addc(out, ')');
        return;
    }
    strbuf_addc(out, '{');
    for (size_t i = 0; i < v.u.d->len; i++) {
        if (i)
            strbuf_adds(out, ", ");
        print_at(v.u.d->entries[i].key, out, true, &here);
        strbuf_adds(out, ": ");
        print_at(v.u.d->entries[i].value, out, true, &here);
    }
    strbuf_addc(out, '}');
}

static void print_at(jv v, strbuf *out, bool repr, const visit *up)
{
    switch (v.kind) {
    case JV_UNDEFINED:
        /* Jinja's Undefined: str() is empty; its repr is Undefined. */
        if (repr)
            strbuf_adds(out, "Undefined");
        return;
    case JV_NONE:
        strbuf_adds(out, "None");
        return;
    case JV_BOOL:
        strbuf_adds(out, v.u.b ? "True" : "False");
        return;
    case JV_INT:
        strbuf_addf(out, "%" PRId64, v.u.i);
        return;
    case JV_FLOAT:
        jv_format_float(v.u.f, out);
        return;
    case JV_STRING:
        if (repr)
            jv_repr_string(v.u.s->data, v.u.s->len, out);
        else
            strbuf_add(out, v.u.s->data, v.u.s->len);
        return;
    case JV_LIST:
    case JV_DICT:
        print_container(v, out, up);
        return;
    case JV_CALLABLE:
        /* Jinja prints <Macro 'name'>; Python's natives show an address,
         * which no template can depend on. */
        if (v.u.c->macro) {
            strbuf_adds(out, "<Macro ");
            if (v.u.c->name)
                jv_repr_string(v.u.c->name, strlen(v.u.c->name), out);
            else
                strbuf_adds(out, "anonymous");
            strbuf_addc(out, '>');
        } else {
            strbuf_addf(out, "<built-in function %s>", v.u.c->name ? v.u.c->name : "?");
        }
        return;
    case JV_OBJECT:
        if (v.u.o->cls && v.u.o->cls->str)
            v.u.o->cls->str(v.u.o->self, out);
        else
            strbuf_addf(out, "<%s object>",
                        v.u.o->cls && v.u.o->cls->name ? v.u.o->cls->name : "object");
        return;
    }
}

void jv_to_str(jv v, strbuf *out)
{
    print_at(v, out, false, NULL);
}

void jv_to_repr(jv v, strbuf *out)
{
    print_at(v, out, true, NULL);
}

/* --- JSON ----------------------------------------------------------------- */
/* Bytes json.dumps prints as themselves: 1, or 2 for those html_safe
 * escapes (< > & '). */
#define JP(c)                                                                                      \
    ((c) < 0x20 || (c) >= 0x7f || (c) == '"' || (c) == '\\'  ? 0                                   \
     : (c) == '<' || (c) == '>' || (c) == '&' || (c) == '\'' ? 2                                   \
                                                             : 1)
#define JP4(c)  JP(c), JP(c + 1), JP(c + 2), JP(c + 3)
#define JP16(c) JP4(c), JP4(c + 4), JP4(c + 8), JP4(c + 12)
#define JP64(c) JP16(c), JP16(c + 16), JP16(c + 32), JP16(c + 48)
static const unsigned char JSON_PLAIN[256] = {JP64(0), JP64(64), JP64(128), JP64(192)};
#undef JP64
#undef JP16
#undef JP4
#undef JP

/* Eight bytes at a time: non-zero when any of them is not printed as
 * itself (a control byte, '"', '\\', DEL or non-ASCII; with html_safe also
 * < > & '), so plain runs are skipped a word at a time. */
#define BYTES(b) (0x0101010101010101ull * (uint64_t)(b))
#define HIGH     0x8080808080808080ull
static uint64_t byte_is(uint64_t v, unsigned char b)
{
    uint64_t x = v ^ BYTES(b);
    return (x - BYTES(1)) & ~x & HIGH;
}

static uint64_t json_special8(uint64_t v, bool html_safe)
{
    uint64_t any = (v & HIGH) | ((v - BYTES(0x20)) & ~v & HIGH) | byte_is(v, '"') |
                   byte_is(v, '\\') | byte_is(v, 0x7f);
    if (html_safe)
        any |= byte_is(v, '<') | byte_is(v, '>') | byte_is(v, '&') | byte_is(v, '\'');
    return any;
}
#undef BYTES
#undef HIGH

/* The end of the run of plain bytes starting at i. */
static size_t json_plain_run(const char *s, size_t i, size_t len, bool html_safe)
{
    const unsigned char mask = html_safe ? 1 : 3;
    while (i + 8 <= len) {
        uint64_t v;
        memcpy(&v, s + i, 8);
        if (json_special8(v, html_safe))
            break;
        i += 8;
    }
    while (i < len && (JSON_PLAIN[(unsigned char)s[i]] & mask))
        i++;
    return i;
}

/* Appends a literal without strlen. */
#define ADD_LIT(out, lit) strbuf_add((out), (lit), sizeof(lit) - 1)

static void json_string(const char *s, size_t len, const jv_json_opts *o, strbuf *out)
{
    static const char hex[] = "0123456789abcdef";
    /* room for the common case (nothing escaped), so plain runs are copied
     * straight into the buffer; escapes grow it as they go */
    strbuf_grow(out, len + 2);
    out->buf[out->len++] = '"';
    size_t i = 0;
    while (i < len) {
        size_t start = i;
        i = json_plain_run(s, i, len, o->html_safe);
        unsigned char c = i < len ? (unsigned char)s[i] : 0;
        if (i > start) {
            strbuf_grow(out, i - start + 1);
            memcpy(out->buf + out->len, s + start, i - start);
            out->len += i - start;
        }
        if (i >= len)
            break;
        i++;
        switch (c) {
        case '"':
            ADD_LIT(out, "\\\"");
            continue;
        case '\\':
            ADD_LIT(out, "\\\\");
            continue;
        case '\n':
            ADD_LIT(out, "\\n");
            continue;
        case '\r':
            ADD_LIT(out, "\\r");
            continue;
        case '\t':
            ADD_LIT(out, "\\t");
            continue;
        case '\b':
            ADD_LIT(out, "\\b");
            continue;
        case '\f':
            ADD_LIT(out, "\\f");
            continue;
        }
        long cp = c;
        if (c >= 0x80) {
            size_t adv;
            cp = jv_utf8_decode(s + i - 1, len - i + 1, &adv);
            if (cp < 0)
                cp = 0xfffd;
            i += adv - 1;
            if (!o->ensure_ascii) {
                strbuf_add(out, s + i - adv, adv);
                continue;
            }
        }
        if (cp >= 0x10000) {
            long v = cp - 0x10000;
            long hi = 0xd800 + (v >> 10), lo = 0xdc00 + (v & 0x3ff);
            strbuf_addf(out, "\\u%04lx\\u%04lx", hi, lo);
        } else {
            char esc[6] = {
                '\\',        'u', hex[(cp >> 12) & 15], hex[(cp >> 8) & 15], hex[(cp >> 4) & 15],
                hex[cp & 15]};
            strbuf_add(out, esc, sizeof esc);
        }
    }
    strbuf_addc(out, '"');
}

static void json_newline(const jv_json_opts *o, int level, strbuf *out)
{
    strbuf_addc(out, '\n');
    for (int i = 0; i < o->indent * level; i++)
        strbuf_addc(out, ' ');
}

/* A dict key as json.dumps turns it into a string. */
static void json_key(jv k, const jv_json_opts *o, strbuf *out)
{
    switch (k.kind) {
    case JV_STRING:
        json_string(k.u.s->data, k.u.s->len, o, out);
        return;
    case JV_NONE:
        strbuf_adds(out, "\"null\"");
        return;
    case JV_BOOL:
        strbuf_adds(out, k.u.b ? "\"true\"" : "\"false\"");
        return;
    case JV_FLOAT:
        if (isnan(k.u.f) || isinf(k.u.f)) {
            strbuf_adds(out, isnan(k.u.f) ? "\"NaN\""
                             : k.u.f < 0  ? "\"-Infinity\""
                                          : "\"Infinity\"");
            return;
        }
        strbuf_addc(out, '"');
        jv_format_float(k.u.f, out);
        strbuf_addc(out, '"');
        return;
    default: {
        strbuf tmp = STRBUF_INIT;
        jv_to_str(k, &tmp);
        json_string(strbuf_str(&tmp), tmp.len, o, out);
        strbuf_release(&tmp);
        return;
    }
    }
}

typedef struct {
    jv key;
    jv value;
} json_pair;

static int json_pair_cmp(const void *x, const void *y)
{
    const json_pair *a = x, *b = y;
    int c = 0;
    if (!jv_compare(a->key, b->key, &c))
        c = (int)a->key.kind - (int)b->key.kind;
    return c;
}

static void json_at(jv v, const jv_json_opts *o, int level, const visit *up, strbuf *out)
{
    switch (v.kind) {
    case JV_UNDEFINED:
    case JV_NONE:
        ADD_LIT(out, "null");
        return;
    case JV_BOOL:
        if (v.u.b)
            ADD_LIT(out, "true");
        else
            ADD_LIT(out, "false");
        return;
    case JV_INT:
        strbuf_addf(out, "%" PRId64, v.u.i);
        return;
    case JV_FLOAT:
        if (isnan(v.u.f))
            strbuf_adds(out, "NaN");
        else if (isinf(v.u.f))
            strbuf_adds(out, v.u.f < 0 ? "-Infinity" : "Infinity");
        else
            jv_format_float(v.u.f, out);
        return;
    case JV_STRING:
        json_string(v.u.s->data, v.u.s->len, o, out);
        return;
    case JV_CALLABLE:
    case JV_OBJECT: {
        strbuf tmp = STRBUF_INIT;
        jv_to_str(v, &tmp);
        json_string(strbuf_str(&tmp), tmp.len, o, out);
        strbuf_release(&tmp);
        return;
    }
    case JV_LIST:
    case JV_DICT:
        break;
    }
    const void *self = v.kind == JV_LIST ? (const void *)v.u.l : (const void *)v.u.d;
    if (visiting(up, self) || (up && up->depth >= MAX_VALUE_DEPTH)) {
        ADD_LIT(out, "null");
        return;
    }
    visit here = {self, up, up ? up->depth + 1 : 1};
    const char *item_sep = o->indent >= 0 ? "," : ", ";
    size_t item_sep_len = o->indent >= 0 ? 1 : 2;
    if (v.kind == JV_LIST) {
        if (v.u.l->len == 0) {
            ADD_LIT(out, "[]");
            return;
        }
        strbuf_addc(out, '[');
        for (size_t i = 0; i < v.u.l->len; i++) {
            if (i)
                strbuf_add(out, item_sep, item_sep_len);
            if (o->indent >= 0)
                json_newline(o, level + 1, out);
            json_at(v.u.l->items[i], o, level + 1, &here, out);
        }
        if (o->indent >= 0)
            json_newline(o, level, out);
        strbuf_addc(out, ']');
        return;
    }
    size_t n = v.u.d->len;
    if (n == 0) {
        ADD_LIT(out, "{}");
        return;
    }
    /* insertion order needs no copy; sort_keys sorts a copy of the pairs */
    json_pair *pairs = NULL;
    if (o->sort_keys) {
        pairs = xmalloc(n * sizeof *pairs);
        for (size_t i = 0; i < n; i++) {
            pairs[i].key = v.u.d->entries[i].key;
            pairs[i].value = v.u.d->entries[i].value;
        }
        qsort(pairs, n, sizeof *pairs, json_pair_cmp);
    }
    strbuf_addc(out, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            strbuf_add(out, item_sep, item_sep_len);
        if (o->indent >= 0)
            json_newline(o, level + 1, out);
        json_key(pairs ? pairs[i].key : v.u.d->entries[i].key, o, out);
        ADD_LIT(out, ": ");
        json_at(pairs ? pairs[i].value : v.u.d->entries[i].value, o, level + 1, &here, out);
    }
    free(pairs);
    if (o->indent >= 0)
        json_newline(o, level, out);
    strbuf_addc(out, '}');
}

void jv_json_string(const char *s, size_t len, const jv_json_opts *opts, strbuf *out)
{
    json_string(s, len, opts, out);
}

void jv_to_json_opts(jv v, const jv_json_opts *opts, strbuf *out)
{
    json_at(v, opts, 0, NULL, out);
}

void jv_to_json(jv v, strbuf *out)
{
    jv_json_opts o = {.indent = -1, .sort_keys = true, .html_safe = true, .ensure_ascii = true};
    json_at(v, &o, 0, NULL, out);
}

/* --- copying and freezing ------------------------------------------------- */
static jv copy_at(arena *a, jv v, int depth)
{
    jv out = v;
    out.flags &= (uint8_t)~JV_FLAG_FROZEN;
    switch (v.kind) {
    case JV_UNDEFINED:
        if (v.u.undef_name)
            out.u.undef_name = arena_strdup(a, v.u.undef_name);
        return out;
    case JV_STRING:
        return jv_string_n(a, v.u.s->data, v.u.s->len);
    case JV_LIST: {
        if (depth > MAX_VALUE_DEPTH)
            return jv_none();
        if (v.u.l->range)
            return jv_range(a, v.u.l->range[0], v.u.l->range[1], v.u.l->range[2]);
        jv l = jv_list(a);
        l.flags = out.flags;
        list_reserve(l.u.l, v.u.l->len);
        for (size_t i = 0; i < v.u.l->len; i++)
            l.u.l->items[i] = copy_at(a, v.u.l->items[i], depth + 1);
        l.u.l->len = v.u.l->len;
        l.u.l->consumed = v.u.l->consumed;
        return l;
    }
    case JV_DICT: {
        if (depth > MAX_VALUE_DEPTH)
            return jv_none();
        jv d = jv_dict(a);
        d.flags = out.flags;
        for (size_t i = 0; i < v.u.d->len; i++)
            jv_dict_set(d, copy_at(a, v.u.d->entries[i].key, depth + 1),
                        copy_at(a, v.u.d->entries[i].value, depth + 1));
        return d;
    }
    default:
        return out;
    }
}

jv jv_copy(arena *a, jv v)
{
    return copy_at(a, v, 0);
}

void jv_freeze(jv v)
{
    if (v.kind == JV_LIST) {
        if (v.u.l->frozen)
            return; /* also stops at cycles */
        v.u.l->frozen = true;
        for (size_t i = 0; i < v.u.l->len; i++)
            jv_freeze(v.u.l->items[i]);
    } else if (v.kind == JV_DICT) {
        if (v.u.d->frozen)
            return;
        v.u.d->frozen = true;
        for (size_t i = 0; i < v.u.d->len; i++)
            jv_freeze(v.u.d->entries[i].value);
    }
}

const char *jv_kind_name(jv v)
{
    switch (v.kind) {
    case JV_UNDEFINED:
        return "Undefined";
    case JV_NONE:
        return "NoneType";
    case JV_BOOL:
        return "bool";
    case JV_INT:
        return "int";
    case JV_FLOAT:
        return "float";
    case JV_STRING:
        return "str";
    case JV_LIST:
        if (v.u.l->range)
            return "range";
        if (v.flags & JV_FLAG_GENERATOR)
            return "generator";
        if (v.flags & (JV_FLAG_KEYS_VIEW | JV_FLAG_VALUES_VIEW | JV_FLAG_ITEMS_VIEW))
            return v.flags & JV_FLAG_KEYS_VIEW     ? "dict_keys"
                   : v.flags & JV_FLAG_VALUES_VIEW ? "dict_values"
                                                   : "dict_items";
        return v.flags & JV_FLAG_TUPLE ? "tuple" : "list";
    case JV_DICT:
        return "dict";
    case JV_CALLABLE:
        return v.u.c->macro ? "Macro" : "builtin_function_or_method";
    case JV_OBJECT:
        return v.u.o->cls && v.u.o->cls->name ? v.u.o->cls->name : "object";
    }
    return "object";
}
