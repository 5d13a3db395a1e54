/* methods: the Python methods templates call on values -- str (lower,
 * split, format, ...), list (append, pop, ...), dict (get, items, update,
 * ...) and tuple -- as natives bound to their value.  Mutating a frozen
 * (shared, read-only) value is an error, never a silent change. */
#include "jinja/builtin_util.h"
#include "jinja/pystr.h"
#include "util/xalloc.h"

#include <string.h>

#define METHOD(name)                                                                               \
    static jinja_status name(jinja_call *call, void *ud, const jv *args, size_t nargs,             \
                             const jv_kwarg *kwargs, size_t nkwargs, jv *result)

#define SELF  (*(const jv *)ud)
#define ARENA jinja_call_arena(call)

/* Positional-only methods: between lo and hi arguments, no keywords. */
static bool arity(jinja_call *call, const char *name, size_t nargs, size_t nkwargs, size_t lo,
                  size_t hi)
{
    if (nkwargs) {
        jinja_call_error(call, "%s() takes no keyword arguments", name);
        return false;
    }
    if (nargs < lo || nargs > hi) {
        if (lo == hi)
            jinja_call_error(call, "%s() takes exactly %s (%zu given)", name,
                             lo == 0   ? "no arguments"
                             : lo == 1 ? "one argument"
                                       : "2 arguments",
                             nargs);
        else if (nargs < lo)
            jinja_call_error(call, "%s expected at least %zu argument%s, got %zu", name, lo,
                             lo == 1 ? "" : "s", nargs);
        else
            jinja_call_error(call, "%s expected at most %zu argument%s, got %zu", name, hi,
                             hi == 1 ? "" : "s", nargs);
        return false;
    }
    return true;
}

#define ARITY(name, lo, hi)                                                                        \
    if (!arity(call, name, nargs, nkwargs, lo, hi))                                                \
        return JINJA_ERROR;

static jinja_status frozen_error(jinja_call *call, const char *what)
{
    return jinja_call_error(call,
                            "cannot modify a read-only value with %s() (it is shared between "
                            "renders; copy it first)",
                            what);
}

static jinja_status need_str(jinja_call *call, const char *what, jv v)
{
    return jinja_call_error(call, "%s arg must be str, not %s", what, jv_kind_name(v));
}

static jv sb_value(jinja_call *call, strbuf *sb)
{
    jv v = bi_string_sb(ARENA, sb);
    strbuf_release(sb);
    return v;
}

#define S_PTR jv_str_ptr(SELF)
#define S_LEN jv_str_len(SELF)

/* --- str ------------------------------------------------------------------ */
typedef void (*str_map_fn)(const char *, size_t, strbuf *);

static jinja_status str_map(jinja_call *call, const char *name, size_t nargs, size_t nkwargs,
                            jv self, str_map_fn fn, jv *result)
{
    ARITY(name, 0, 0);
    strbuf sb = STRBUF_INIT;
    fn(jv_str_ptr(self), jv_str_len(self), &sb);
    *result = sb_value(call, &sb);
    return JINJA_OK;
}

METHOD(s_lower)
{
    return str_map(call, "lower", nargs, nkwargs, SELF, pystr_lower, result);
}
METHOD(s_upper)
{
    return str_map(call, "upper", nargs, nkwargs, SELF, pystr_upper, result);
}
METHOD(s_title)
{
    return str_map(call, "title", nargs, nkwargs, SELF, pystr_title, result);
}
METHOD(s_capitalize)
{
    return str_map(call, "capitalize", nargs, nkwargs, SELF, pystr_capitalize, result);
}
METHOD(s_swapcase)
{
    return str_map(call, "swapcase", nargs, nkwargs, SELF, pystr_swapcase, result);
}

static jinja_status strip_sides(jinja_call *call, const char *name, const jv *args, size_t nargs,
                                size_t nkwargs, jv self, int sides, jv *result)
{
    ARITY(name, 0, 1);
    const char *chars = NULL;
    size_t nchars = 0;
    if (nargs == 1 && args[0].kind != JV_NONE) {
        if (args[0].kind != JV_STRING)
            return jinja_call_error(call, "%s arg must be None or str", name);
        chars = jv_str_ptr(args[0]);
        nchars = jv_str_len(args[0]);
    }
    size_t b, e;
    pystr_strip(jv_str_ptr(self), jv_str_len(self), chars, nchars, sides, &b, &e);
    *result = jv_string_n(ARENA, jv_str_ptr(self) + b, e - b);
    return JINJA_OK;
}

METHOD(s_strip)
{
    return strip_sides(call, "strip", args, nargs, nkwargs, SELF, PYSTR_BOTH, result);
}
METHOD(s_lstrip)
{
    return strip_sides(call, "lstrip", args, nargs, nkwargs, SELF, PYSTR_LEFT, result);
}
METHOD(s_rstrip)
{
    return strip_sides(call, "rstrip", args, nargs, nkwargs, SELF, PYSTR_RIGHT, result);
}

static jinja_status split_common(jinja_call *call, const char *name, const jv *args, size_t nargs,
                                 const jv_kwarg *kwargs, size_t nkwargs, jv self, bool right,
                                 jv *result)
{
    static const char *const params[] = {"sep", "maxsplit"};
    jv p[2];
    if (!bi_bind(call, name, params, 2, 0, args, nargs, kwargs, nkwargs, p))
        return JINJA_ERROR;
    jv sep = bi_missing(p[0]) ? jv_none() : p[0];
    int64_t maxsplit = -1;
    if (!bi_missing(p[1]) && !bi_int(call, name, p[1], &maxsplit))
        return JINJA_ERROR;
    if (sep.kind != JV_NONE && sep.kind != JV_STRING)
        return jinja_call_error(call, "must be str or None, not %s", jv_kind_name(sep));
    if (sep.kind == JV_STRING && jv_str_len(sep) == 0)
        return jinja_call_error(call, "empty separator");
    const char *sp = sep.kind == JV_STRING ? jv_str_ptr(sep) : NULL;
    *result = (right ? pystr_rsplit : pystr_split)(ARENA, jv_str_ptr(self), jv_str_len(self), sp,
                                                   jv_str_len(sep), (long)maxsplit);
    return JINJA_OK;
}

METHOD(s_split)
{
    return split_common(call, "split", args, nargs, kwargs, nkwargs, SELF, false, result);
}
METHOD(s_rsplit)
{
    return split_common(call, "rsplit", args, nargs, kwargs, nkwargs, SELF, true, result);
}

METHOD(s_splitlines)
{
    static const char *const params[] = {"keepends"};
    jv p[1];
    if (!bi_bind(call, "splitlines", params, 1, 0, args, nargs, kwargs, nkwargs, p))
        return JINJA_ERROR;
    *result = pystr_splitlines(ARENA, S_PTR, S_LEN, !bi_missing(p[0]) && jv_truthy(p[0]));
    return JINJA_OK;
}

METHOD(s_replace)
{
    ARITY("replace", 2, 3);
    if (args[0].kind != JV_STRING)
        return need_str(call, "replace() argument 1", args[0]);
    if (args[1].kind != JV_STRING)
        return need_str(call, "replace() argument 2", args[1]);
    int64_t count = -1;
    if (nargs == 3 && !bi_int(call, "replace", args[2], &count))
        return JINJA_ERROR;
    strbuf sb = STRBUF_INIT;
    pystr_replace(S_PTR, S_LEN, jv_str_ptr(args[0]), jv_str_len(args[0]), jv_str_ptr(args[1]),
                  jv_str_len(args[1]), (long)count, &sb);
    *result = sb_value(call, &sb);
    return JINJA_OK;
}

/* Python's slice clamping of optional start/end (code point indices) to a
 * byte range of s. */
static bool sub_range(jinja_call *call, const char *name, const jv *args, size_t nargs,
                      size_t first, const char *s, size_t n, size_t *b, size_t *e)
{
    size_t len = nargs > first ? pystr_len(s, n) : 0;
    int64_t idx[2] = {0, (int64_t)len};
    for (size_t k = 0; k < 2; k++) {
        if (nargs > first + k && args[first + k].kind != JV_NONE) {
            if (!bi_int(call, name, args[first + k], &idx[k]))
                return false;
            if (idx[k] < 0)
                idx[k] += (int64_t)len;
            if (idx[k] < 0)
                idx[k] = 0;
            if (idx[k] > (int64_t)len)
                idx[k] = (int64_t)len;
        }
    }
    if (nargs <= first) {
        *b = 0;
        *e = n;
        return true;
    }
    *b = pystr_offset(s, n, (size_t)idx[0]);
    *e = idx[1] < idx[0] ? *b : pystr_offset(s, n, (size_t)idx[1]);
    return true;
}

static jinja_status starts_ends(jinja_call *call, const char *name, const jv *args, size_t nargs,
                                size_t nkwargs, jv self, bool ends, jv *result)
{
    ARITY(name, 1, 3);
    size_t b, e;
    if (!sub_range(call, name, args, nargs, 1, jv_str_ptr(self), jv_str_len(self), &b, &e))
        return JINJA_ERROR;
    const char *s = jv_str_ptr(self) + b;
    size_t n = e - b;
    jv what = args[0];
    size_t count = 1;
    const jv *options = &what;
    if (what.kind == JV_LIST && (what.flags & JV_FLAG_TUPLE)) {
        options = jv_list_items(what);
        count = jv_list_len(what);
    }
    for (size_t i = 0; i < count; i++) {
        jv o = options[i];
        if (o.kind != JV_STRING)
            return jinja_call_error(call,
                                    count > 1 || what.kind == JV_LIST
                                        ? "tuple for %s must only contain str, not %s"
                                        : "%s first arg must be str or a tuple of str, not %s",
                                    name, jv_kind_name(o));
        size_t on = jv_str_len(o);
        if (on <= n && memcmp(ends ? s + n - on : s, jv_str_ptr(o), on) == 0) {
            *result = jv_bool(true);
            return JINJA_OK;
        }
    }
    *result = jv_bool(false);
    return JINJA_OK;
}

METHOD(s_startswith)
{
    return starts_ends(call, "startswith", args, nargs, nkwargs, SELF, false, result);
}
METHOD(s_endswith)
{
    return starts_ends(call, "endswith", args, nargs, nkwargs, SELF, true, result);
}

METHOD(s_format)
{
    return jinja_format_str(call, SELF, args, nargs, kwargs, nkwargs, result);
}

METHOD(s_join)
{
    ARITY("join", 1, 1);
    jv items;
    if (!bi_iter(call, args[0], &items))
        return JINJA_ERROR;
    strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < jv_list_len(items); i++) {
        jv item = jv_list_get(items, i);
        if (item.kind != JV_STRING) {
            strbuf_release(&sb);
            return jinja_call_error(call, "sequence item %zu: expected str instance, %s found", i,
                                    jv_kind_name(item));
        }
        if (i)
            strbuf_add(&sb, S_PTR, S_LEN);
        strbuf_add(&sb, jv_str_ptr(item), jv_str_len(item));
    }
    *result = sb_value(call, &sb);
    return JINJA_OK;
}

/* The code point index of byte offset off in s. */
static int64_t cp_index(const char *s, size_t off)
{
    return (int64_t)pystr_len(s, off);
}

static jinja_status find_common(jinja_call *call, const char *name, const jv *args, size_t nargs,
                                size_t nkwargs, jv self, bool reverse, bool raise, jv *result)
{
    ARITY(name, 1, 3);
    if (args[0].kind != JV_STRING)
        return jinja_call_error(call, "must be str, not %s", jv_kind_name(args[0]));
    size_t b, e;
    const char *s = jv_str_ptr(self);
    if (!sub_range(call, name, args, nargs, 1, s, jv_str_len(self), &b, &e))
        return JINJA_ERROR;
    const char *needle = jv_str_ptr(args[0]);
    size_t nn = jv_str_len(args[0]);
    long at = -1;
    if (e >= b) {
        if (!reverse) {
            long f = pystr_find(s + b, e - b, needle, nn, 0);
            at = f < 0 ? -1 : f + (long)b;
        } else if (nn <= e - b) {
            for (size_t i = e - nn + 1; i-- > b;) {
                if (memcmp(s + i, needle, nn) == 0) {
                    at = (long)i;
                    break;
                }
            }
        }
    }
    if (at < 0 && raise)
        return jinja_call_error(call, "substring not found");
    *result = jv_int(at < 0 ? -1 : cp_index(s, (size_t)at));
    return JINJA_OK;
}

METHOD(s_find)
{
    return find_common(call, "find", args, nargs, nkwargs, SELF, false, false, result);
}
METHOD(s_rfind)
{
    return find_common(call, "rfind", args, nargs, nkwargs, SELF, true, false, result);
}
METHOD(s_index)
{
    return find_common(call, "index", args, nargs, nkwargs, SELF, false, true, result);
}
METHOD(s_rindex)
{
    return find_common(call, "rindex", args, nargs, nkwargs, SELF, true, true, result);
}

METHOD(s_count)
{
    ARITY("count", 1, 3);
    if (args[0].kind != JV_STRING)
        return jinja_call_error(call, "must be str, not %s", jv_kind_name(args[0]));
    size_t b, e;
    if (!sub_range(call, "count", args, nargs, 1, S_PTR, S_LEN, &b, &e))
        return JINJA_ERROR;
    const char *s = S_PTR + b;
    size_t n = e - b, nn = jv_str_len(args[0]);
    int64_t count = 0;
    if (nn == 0) {
        count = (int64_t)pystr_len(s, n) + 1;
    } else {
        size_t at = 0;
        long f;
        while ((f = pystr_find(s, n, jv_str_ptr(args[0]), nn, at)) >= 0) {
            count++;
            at = (size_t)f + nn;
        }
    }
    *result = jv_int(count);
    return JINJA_OK;
}

typedef bool (*cp_pred)(long);

static jinja_status str_is(jinja_call *call, const char *name, size_t nargs, size_t nkwargs,
                           jv self, cp_pred pred, jv *result)
{
    ARITY(name, 0, 0);
    const char *s = jv_str_ptr(self);
    size_t n = jv_str_len(self);
    bool all = n > 0;
    for (size_t i = 0; i < n && all;)
        if (!pred(pystr_next(s, n, &i)))
            all = false;
    *result = jv_bool(all);
    return JINJA_OK;
}

METHOD(s_isdigit)
{
    return str_is(call, "isdigit", nargs, nkwargs, SELF, pystr_isdigit_cp, result);
}
METHOD(s_isalpha)
{
    return str_is(call, "isalpha", nargs, nkwargs, SELF, pystr_isalpha_cp, result);
}
METHOD(s_isalnum)
{
    return str_is(call, "isalnum", nargs, nkwargs, SELF, pystr_isalnum_cp, result);
}
METHOD(s_isspace)
{
    return str_is(call, "isspace", nargs, nkwargs, SELF, pystr_isspace_cp, result);
}

METHOD(s_islower)
{
    ARITY("islower", 0, 0);
    *result = jv_bool(pystr_islower(S_PTR, S_LEN));
    return JINJA_OK;
}
METHOD(s_isupper)
{
    ARITY("isupper", 0, 0);
    *result = jv_bool(pystr_isupper(S_PTR, S_LEN));
    return JINJA_OK;
}

/* ljust/rjust/center/zfill. */
static jinja_status justify(jinja_call *call, const char *name, const jv *args, size_t nargs,
                            size_t nkwargs, jv self, char how, jv *result)
{
    ARITY(name, 1, how == 'z' ? 1 : 2);
    int64_t width;
    if (!bi_int(call, name, args[0], &width))
        return JINJA_ERROR;
    const char *fill = " ";
    size_t nfill = 1;
    if (nargs == 2) {
        if (args[1].kind != JV_STRING || pystr_len(jv_str_ptr(args[1]), jv_str_len(args[1])) != 1)
            return jinja_call_error(call, "The fill character must be exactly one character long");
        fill = jv_str_ptr(args[1]);
        nfill = jv_str_len(args[1]);
    }
    const char *s = jv_str_ptr(self);
    size_t n = jv_str_len(self), len = pystr_len(s, n);
    if (width <= (int64_t)len) {
        *result = self;
        return JINJA_OK;
    }
    if (width > 10000000)
        return jinja_call_error(call, "%s: width too big", name);
    size_t marg = (size_t)width - len, left;
    switch (how) {
    case 'l':
        left = 0;
        break;
    case 'r':
    case 'z':
        left = marg;
        break;
    default:
        left = marg / 2 + (marg & (size_t)width & 1);
        break;
    }
    strbuf sb = STRBUF_INIT;
    if (how == 'z') {
        size_t sign = n > 0 && (s[0] == '+' || s[0] == '-');
        strbuf_add(&sb, s, sign);
        for (size_t i = 0; i < marg; i++)
            strbuf_addc(&sb, '0');
        strbuf_add(&sb, s + sign, n - sign);
    } else {
        for (size_t i = 0; i < left; i++)
            strbuf_add(&sb, fill, nfill);
        strbuf_add(&sb, s, n);
        for (size_t i = left; i < marg; i++)
            strbuf_add(&sb, fill, nfill);
    }
    *result = sb_value(call, &sb);
    return JINJA_OK;
}

METHOD(s_ljust)
{
    return justify(call, "ljust", args, nargs, nkwargs, SELF, 'l', result);
}
METHOD(s_rjust)
{
    return justify(call, "rjust", args, nargs, nkwargs, SELF, 'r', result);
}
METHOD(s_center)
{
    return justify(call, "center", args, nargs, nkwargs, SELF, 'c', result);
}
METHOD(s_zfill)
{
    return justify(call, "zfill", args, nargs, nkwargs, SELF, 'z', result);
}

static jinja_status partition(jinja_call *call, const char *name, const jv *args, size_t nargs,
                              size_t nkwargs, jv self, bool right, jv *result)
{
    ARITY(name, 1, 1);
    if (args[0].kind != JV_STRING)
        return jinja_call_error(call, "must be str, not %s", jv_kind_name(args[0]));
    if (jv_str_len(args[0]) == 0)
        return jinja_call_error(call, "empty separator");
    const char *s = jv_str_ptr(self);
    size_t n = jv_str_len(self), nsep = jv_str_len(args[0]);
    long at = -1;
    if (!right) {
        at = pystr_find(s, n, jv_str_ptr(args[0]), nsep, 0);
    } else if (nsep <= n) {
        for (size_t i = n - nsep + 1; i-- > 0;)
            if (memcmp(s + i, jv_str_ptr(args[0]), nsep) == 0) {
                at = (long)i;
                break;
            }
    }
    jv parts[3];
    jv empty = jv_string(ARENA, "");
    if (at < 0) {
        parts[0] = right ? empty : self;
        parts[1] = empty;
        parts[2] = right ? self : empty;
    } else {
        parts[0] = jv_string_n(ARENA, s, (size_t)at);
        parts[1] = args[0];
        parts[2] = jv_string_n(ARENA, s + at + nsep, n - (size_t)at - nsep);
    }
    *result = jv_tuple(ARENA, parts, 3);
    return JINJA_OK;
}

METHOD(s_partition)
{
    return partition(call, "partition", args, nargs, nkwargs, SELF, false, result);
}
METHOD(s_rpartition)
{
    return partition(call, "rpartition", args, nargs, nkwargs, SELF, true, result);
}

static jinja_status remove_affix(jinja_call *call, const char *name, const jv *args, size_t nargs,
                                 size_t nkwargs, jv self, bool suffix, jv *result)
{
    ARITY(name, 1, 1);
    if (args[0].kind != JV_STRING)
        return need_str(call, name, args[0]);
    size_t n = jv_str_len(self), na = jv_str_len(args[0]);
    const char *s = jv_str_ptr(self);
    if (na <= n && memcmp(suffix ? s + n - na : s, jv_str_ptr(args[0]), na) == 0)
        *result = jv_string_n(ARENA, suffix ? s : s + na, n - na);
    else
        *result = self;
    return JINJA_OK;
}

METHOD(s_removeprefix)
{
    return remove_affix(call, "removeprefix", args, nargs, nkwargs, SELF, false, result);
}
METHOD(s_removesuffix)
{
    return remove_affix(call, "removesuffix", args, nargs, nkwargs, SELF, true, result);
}

/* --- list and tuple ------------------------------------------------------- */
static bool list_index(jinja_call *call, const char *name, jv v, size_t len, bool clamp,
                       size_t *out)
{
    int64_t i;
    if (!bi_int(call, name, v, &i))
        return false;
    if (i < 0)
        i += (int64_t)len;
    if (clamp) {
        if (i < 0)
            i = 0;
        if (i > (int64_t)len)
            i = (int64_t)len;
    } else if (i < 0 || i >= (int64_t)len) {
        jinja_call_error(call, "%s index out of range", name);
        return false;
    }
    *out = (size_t)i;
    return true;
}

/* Python's == as list.index/count/remove use it: a strict undefined on
 * either side fails. */
static bool py_eq(jinja_call *call, jv a, jv b, bool *eq)
{
    if ((a.kind == JV_UNDEFINED || b.kind == JV_UNDEFINED) &&
        jinja_call_undefined_mode(call) == JINJA_UNDEFINED_STRICT) {
        bi_undefined_error(call, a.kind == JV_UNDEFINED ? a : b);
        return false;
    }
    *eq = jv_equal(a, b);
    return true;
}

METHOD(l_append)
{
    ARITY("append", 1, 1);
    if (!jv_list_append(SELF, args[0]))
        return frozen_error(call, "list.append");
    *result = jv_none();
    return JINJA_OK;
}

METHOD(l_extend)
{
    ARITY("extend", 1, 1);
    if (jv_is_frozen(SELF))
        return frozen_error(call, "list.extend");
    jv items;
    if (!bi_iter(call, args[0], &items))
        return JINJA_ERROR;
    /* l.extend(l) appends a copy of l's items. */
    size_t n = jv_list_len(items);
    jv *copy = xmalloc((n ? n : 1) * sizeof *copy);
    if (n)
        memcpy(copy, jv_list_items(items), n * sizeof *copy);
    for (size_t i = 0; i < n; i++)
        jv_list_append(SELF, copy[i]);
    free(copy);
    *result = jv_none();
    return JINJA_OK;
}

METHOD(l_pop)
{
    ARITY("pop", 0, 1);
    if (jv_is_frozen(SELF))
        return frozen_error(call, "list.pop");
    size_t len = jv_list_len(SELF), i = len - 1;
    if (len == 0)
        return jinja_call_error(call, "pop from empty list");
    if (nargs == 1 && !list_index(call, "pop", args[0], len, false, &i))
        return JINJA_ERROR;
    *result = jv_list_get(SELF, i);
    jv_list_remove(SELF, i);
    return JINJA_OK;
}

METHOD(l_insert)
{
    ARITY("insert", 2, 2);
    size_t i;
    if (!list_index(call, "insert", args[0], jv_list_len(SELF), true, &i))
        return JINJA_ERROR;
    if (!jv_list_insert(SELF, i, args[1]))
        return frozen_error(call, "list.insert");
    *result = jv_none();
    return JINJA_OK;
}

static jinja_status not_in_list(jinja_call *call, jv v)
{
    strbuf r = STRBUF_INIT;
    jv_to_repr(v, &r);
    jinja_call_error(call, "%s is not in list", strbuf_str(&r));
    strbuf_release(&r);
    return JINJA_ERROR;
}

METHOD(l_index)
{
    ARITY("index", 1, 3);
    size_t len = jv_list_len(SELF), start = 0, end = len;
    if (nargs > 1 && !list_index(call, "index", args[1], len, true, &start))
        return JINJA_ERROR;
    if (nargs > 2 && !list_index(call, "index", args[2], len, true, &end))
        return JINJA_ERROR;
    for (size_t i = start; i < end; i++) {
        bool eq;
        if (!py_eq(call, jv_list_get(SELF, i), args[0], &eq))
            return JINJA_ERROR;
        if (eq) {
            *result = jv_int((int64_t)i);
            return JINJA_OK;
        }
    }
    if ((SELF.flags & JV_FLAG_TUPLE))
        return jinja_call_error(call, "tuple.index(x): x not in tuple");
    return not_in_list(call, args[0]);
}

METHOD(l_count)
{
    ARITY("count", 1, 1);
    int64_t count = 0;
    for (size_t i = 0; i < jv_list_len(SELF); i++) {
        bool eq;
        if (!py_eq(call, jv_list_get(SELF, i), args[0], &eq))
            return JINJA_ERROR;
        count += eq;
    }
    *result = jv_int(count);
    return JINJA_OK;
}

METHOD(l_remove)
{
    ARITY("remove", 1, 1);
    if (jv_is_frozen(SELF))
        return frozen_error(call, "list.remove");
    for (size_t i = 0; i < jv_list_len(SELF); i++) {
        bool eq;
        if (!py_eq(call, jv_list_get(SELF, i), args[0], &eq))
            return JINJA_ERROR;
        if (eq) {
            jv_list_remove(SELF, i);
            *result = jv_none();
            return JINJA_OK;
        }
    }
    return jinja_call_error(call, "list.remove(x): x not in list");
}

METHOD(l_reverse)
{
    ARITY("reverse", 0, 0);
    if (jv_is_frozen(SELF))
        return frozen_error(call, "list.reverse");
    jv *items = jv_list_items(SELF);
    size_t n = jv_list_len(SELF);
    for (size_t i = 0; i < n / 2; i++) {
        jv t = items[i];
        items[i] = items[n - 1 - i];
        items[n - 1 - i] = t;
    }
    *result = jv_none();
    return JINJA_OK;
}

METHOD(l_sort)
{
    static const char *const params[] = {"key", "reverse"};
    jv p[2];
    if (nargs)
        return jinja_call_error(call, "sort() takes no positional arguments");
    if (!bi_bind(call, "sort", params, 2, 0, args, 0, kwargs, nkwargs, p))
        return JINJA_ERROR;
    if (jv_is_frozen(SELF))
        return frozen_error(call, "list.sort");
    size_t n = jv_list_len(SELF);
    jv *keys = NULL;
    if (!bi_missing(p[0]) && p[0].kind != JV_NONE) {
        keys = xmalloc((n ? n : 1) * sizeof *keys);
        for (size_t i = 0; i < n; i++) {
            jv item = jv_list_get(SELF, i);
            jinja_status st = jinja_call_invoke(call, p[0], &item, 1, NULL, 0, &keys[i]);
            if (st != JINJA_OK) {
                free(keys);
                return st;
            }
        }
    }
    bool ok = bi_sort(call, jv_list_items(SELF), keys, n, !bi_missing(p[1]) && jv_truthy(p[1]));
    free(keys);
    if (!ok)
        return JINJA_ERROR;
    *result = jv_none();
    return JINJA_OK;
}

METHOD(l_copy)
{
    ARITY("copy", 0, 0);
    jv out = jv_list(ARENA);
    for (size_t i = 0; i < jv_list_len(SELF); i++)
        jv_list_append(out, jv_list_get(SELF, i));
    *result = out;
    return JINJA_OK;
}

METHOD(l_clear)
{
    ARITY("clear", 0, 0);
    if (jv_is_frozen(SELF))
        return frozen_error(call, "list.clear");
    while (jv_list_len(SELF))
        jv_list_remove(SELF, jv_list_len(SELF) - 1);
    *result = jv_none();
    return JINJA_OK;
}

/* --- dict ----------------------------------------------------------------- */
static bool key_ok(jinja_call *call, jv key)
{
    if (jv_unhashable(key)) {
        jinja_call_error(call, "unhashable type: '%s'", jv_kind_name(key));
        return false;
    }
    return true;
}

static jinja_status key_error(jinja_call *call, jv key)
{
    strbuf r = STRBUF_INIT;
    jv_to_repr(key, &r);
    jinja_call_error(call, "KeyError: %s", strbuf_str(&r));
    strbuf_release(&r);
    return JINJA_ERROR;
}

METHOD(d_get)
{
    ARITY("get", 1, 2);
    if (!key_ok(call, args[0]))
        return JINJA_ERROR;
    jv v = jv_dict_get(SELF, args[0]);
    if (v.kind == JV_UNDEFINED && !jv_dict_has(SELF, args[0]))
        v = nargs == 2 ? args[1] : jv_none();
    *result = v;
    return JINJA_OK;
}

METHOD(d_items)
{
    ARITY("items", 0, 0);
    jv out = jv_list(ARENA);
    for (size_t i = 0; i < jv_dict_len(SELF); i++) {
        jv pair[2] = {jv_dict_key_at(SELF, i), jv_dict_value_at(SELF, i)};
        jv_list_append(out, jv_tuple(ARENA, pair, 2));
    }
    out.flags |= JV_FLAG_ITEMS_VIEW;
    *result = out;
    return JINJA_OK;
}

METHOD(d_keys)
{
    ARITY("keys", 0, 0);
    jv out = jv_list(ARENA);
    for (size_t i = 0; i < jv_dict_len(SELF); i++)
        jv_list_append(out, jv_dict_key_at(SELF, i));
    out.flags |= JV_FLAG_KEYS_VIEW;
    *result = out;
    return JINJA_OK;
}

METHOD(d_values)
{
    ARITY("values", 0, 0);
    jv out = jv_list(ARENA);
    for (size_t i = 0; i < jv_dict_len(SELF); i++)
        jv_list_append(out, jv_dict_value_at(SELF, i));
    out.flags |= JV_FLAG_VALUES_VIEW;
    *result = out;
    return JINJA_OK;
}

METHOD(d_update)
{
    if (nargs > 1)
        return jinja_call_error(call, "update expected at most 1 argument, got %zu", nargs);
    if (jv_is_frozen(SELF))
        return frozen_error(call, "dict.update");
    if (nargs == 1) {
        jv src = args[0];
        if (src.kind == JV_DICT) {
            /* Snapshot first: d.update(d) must not see its own writes. */
            size_t n = jv_dict_len(src);
            for (size_t i = 0; i < n; i++)
                jv_dict_set(SELF, jv_dict_key_at(src, i), jv_dict_value_at(src, i));
        } else {
            jv items;
            if (!bi_iter(call, src, &items))
                return JINJA_ERROR;
            for (size_t i = 0; i < jv_list_len(items); i++) {
                jv kv;
                if (!bi_iter(call, jv_list_get(items, i), &kv))
                    return JINJA_ERROR;
                if (jv_list_len(kv) != 2)
                    return jinja_call_error(call,
                                            "dictionary update sequence element #%zu has length "
                                            "%zu; 2 is required",
                                            i, jv_list_len(kv));
                if (!key_ok(call, jv_list_get(kv, 0)))
                    return JINJA_ERROR;
                jv_dict_set(SELF, jv_list_get(kv, 0), jv_list_get(kv, 1));
            }
        }
    }
    for (size_t i = 0; i < nkwargs; i++)
        jv_dict_set_str(SELF, kwargs[i].name, kwargs[i].value);
    *result = jv_none();
    return JINJA_OK;
}

METHOD(d_pop)
{
    ARITY("pop", 1, 2);
    if (jv_is_frozen(SELF))
        return frozen_error(call, "dict.pop");
    if (!key_ok(call, args[0]))
        return JINJA_ERROR;
    if (!jv_dict_has(SELF, args[0])) {
        if (nargs == 2) {
            *result = args[1];
            return JINJA_OK;
        }
        return key_error(call, args[0]);
    }
    *result = jv_dict_get(SELF, args[0]);
    jv_dict_remove(SELF, args[0]);
    return JINJA_OK;
}

METHOD(d_popitem)
{
    ARITY("popitem", 0, 0);
    if (jv_is_frozen(SELF))
        return frozen_error(call, "dict.popitem");
    size_t n = jv_dict_len(SELF);
    if (n == 0)
        return jinja_call_error(call, "KeyError: 'popitem(): dictionary is empty'");
    jv pair[2] = {jv_dict_key_at(SELF, n - 1), jv_dict_value_at(SELF, n - 1)};
    jv_dict_remove(SELF, pair[0]);
    *result = jv_tuple(ARENA, pair, 2);
    return JINJA_OK;
}

METHOD(d_setdefault)
{
    ARITY("setdefault", 1, 2);
    if (!key_ok(call, args[0]))
        return JINJA_ERROR;
    if (jv_dict_has(SELF, args[0])) {
        *result = jv_dict_get(SELF, args[0]);
        return JINJA_OK;
    }
    jv v = nargs == 2 ? args[1] : jv_none();
    if (!jv_dict_set(SELF, args[0], v))
        return frozen_error(call, "dict.setdefault");
    *result = v;
    return JINJA_OK;
}

METHOD(d_copy)
{
    ARITY("copy", 0, 0);
    jv out = jv_dict(ARENA);
    for (size_t i = 0; i < jv_dict_len(SELF); i++)
        jv_dict_set(out, jv_dict_key_at(SELF, i), jv_dict_value_at(SELF, i));
    *result = out;
    return JINJA_OK;
}

METHOD(d_clear)
{
    ARITY("clear", 0, 0);
    if (jv_is_frozen(SELF))
        return frozen_error(call, "dict.clear");
    while (jv_dict_len(SELF))
        jv_dict_remove(SELF, jv_dict_key_at(SELF, jv_dict_len(SELF) - 1));
    *result = jv_none();
    return JINJA_OK;
}

/* --- lookup --------------------------------------------------------------- */
typedef struct method_entry {
    const char *name;
    jinja_native_fn fn;
} method_entry;

static const method_entry str_methods[] = {
    {"lower", s_lower},
    {"upper", s_upper},
    {"strip", s_strip},
    {"lstrip", s_lstrip},
    {"rstrip", s_rstrip},
    {"split", s_split},
    {"rsplit", s_rsplit},
    {"splitlines", s_splitlines},
    {"replace", s_replace},
    {"startswith", s_startswith},
    {"endswith", s_endswith},
    {"format", s_format},
    {"join", s_join},
    {"title", s_title},
    {"capitalize", s_capitalize},
    {"swapcase", s_swapcase},
    {"casefold", s_lower},
    {"find", s_find},
    {"rfind", s_rfind},
    {"index", s_index},
    {"rindex", s_rindex},
    {"count", s_count},
    {"isdigit", s_isdigit},
    {"isdecimal", s_isdigit},
    {"isnumeric", s_isdigit},
    {"isalpha", s_isalpha},
    {"isalnum", s_isalnum},
    {"isspace", s_isspace},
    {"islower", s_islower},
    {"isupper", s_isupper},
    {"ljust", s_ljust},
    {"rjust", s_rjust},
    {"center", s_center},
    {"zfill", s_zfill},
    {"partition", s_partition},
    {"rpartition", s_rpartition},
    {"removeprefix", s_removeprefix},
    {"removesuffix", s_removesuffix},
    {NULL, NULL},
};

static const method_entry list_methods[] = {
    {"append", l_append}, {"extend", l_extend}, {"pop", l_pop},       {"index", l_index},
    {"insert", l_insert}, {"count", l_count},   {"remove", l_remove}, {"reverse", l_reverse},
    {"sort", l_sort},     {"copy", l_copy},     {"clear", l_clear},   {NULL, NULL},
};

static const method_entry tuple_methods[] = {
    {"index", l_index},
    {"count", l_count},
    {NULL, NULL},
};

static const method_entry dict_methods[] = {
    {"get", d_get},       {"items", d_items}, {"keys", d_keys},       {"values", d_values},
    {"update", d_update}, {"pop", d_pop},     {"popitem", d_popitem}, {"setdefault", d_setdefault},
    {"copy", d_copy},     {"clear", d_clear}, {NULL, NULL},
};

jv jinja_method_get(arena *a, jv self, const char *name)
{
    const method_entry *table;
    switch (self.kind) {
    case JV_STRING:
        table = str_methods;
        break;
    case JV_LIST:
        if (jv_is_generator(self))
            return jv_undefined(name); /* a generator has no list methods */
        if (self.flags & JV_FLAG_GROUP) {
            if (!strcmp(name, "grouper"))
                return jv_list_get(self, 0);
            if (!strcmp(name, "list"))
                return jv_list_get(self, 1);
        }
        table = (self.flags & JV_FLAG_TUPLE) || jv_is_range(self) ? tuple_methods : list_methods;
        break;
    case JV_DICT:
        table = dict_methods;
        break;
    default:
        return jv_undefined(name);
    }
    /* Method names are lowercase letters: anything else misses at once,
     * which keeps `dict.key` lookups cheap. */
    if (name[0] < 'a' || name[0] > 'z')
        return jv_undefined(name);
    for (const method_entry *m = table; m->name; m++) {
        if (m->name[0] == name[0] && strcmp(m->name, name) == 0) {
            jv *bound = arena_alloc(a, sizeof *bound);
            *bound = self;
            return jinja_native(a, m->name, m->fn, bound);
        }
    }
    return jv_undefined(name);
}
