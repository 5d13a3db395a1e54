/* builtin_util: argument binding, str()/iter()/truthiness with Jinja's
 * undefined rules, attribute paths and Python's stable sort, shared by the
 * built-in filters, tests, globals and methods. */
#include "jinja/builtin_util.h"

#include "jinja/pystr.h"
#include "util/xalloc.h"

#include <string.h>

/* A private address marks "not passed", distinct from any undefined name. */
static const char missing_marker[] = "<missing>";

bool bi_missing(jv v)
{
    return v.kind == JV_UNDEFINED && v.u.undef_name == missing_marker;
}

bool bi_bind(jinja_call *call, const char *fn, const char *const *params, size_t nparams,
             size_t nrequired, const jv *args, size_t nargs, const jv_kwarg *kwargs, size_t nkwargs,
             jv *out)
{
    if (nargs > nparams) {
        if (nparams == nrequired)
            jinja_call_error(call, "%s() takes %zu positional argument%s but %zu were given", fn,
                             nparams, nparams == 1 ? "" : "s", nargs);
        else
            jinja_call_error(call,
                             "%s() takes from %zu to %zu positional arguments but %zu were given",
                             fn, nrequired, nparams, nargs);
        return false;
    }
    for (size_t i = 0; i < nparams; i++)
        out[i] = i < nargs ? args[i] : jv_undefined(missing_marker);
    for (size_t k = 0; k < nkwargs; k++) {
        size_t i = 0;
        while (i < nparams && strcmp(params[i], kwargs[k].name) != 0)
            i++;
        if (i == nparams) {
            jinja_call_error(call, "%s() got an unexpected keyword argument '%s'", fn,
                             kwargs[k].name);
            return false;
        }
        if (i < nargs) {
            jinja_call_error(call, "%s() got multiple values for argument '%s'", fn,
                             kwargs[k].name);
            return false;
        }
        out[i] = kwargs[k].value;
    }
    for (size_t i = 0; i < nrequired; i++) {
        if (bi_missing(out[i])) {
            jinja_call_error(call, "%s() missing required argument: '%s'", fn, params[i]);
            return false;
        }
    }
    return true;
}

jinja_status bi_undefined_error(jinja_call *call, jv v)
{
    if (v.u.undef_name && v.u.undef_name != missing_marker)
        return jinja_call_error(call, "'%s' is undefined", v.u.undef_name);
    return jinja_call_error(call, "undefined value");
}

static bool strict(jinja_call *call)
{
    return jinja_call_undefined_mode(call) == JINJA_UNDEFINED_STRICT;
}

jv bi_string_sb(arena *a, const strbuf *sb)
{
    return jv_string_n(a, strbuf_str(sb), sb->len);
}

bool bi_str(jinja_call *call, jv v, jv *out)
{
    if (v.kind == JV_STRING) {
        *out = v;
        return true;
    }
    if (v.kind == JV_UNDEFINED && strict(call)) {
        bi_undefined_error(call, v);
        return false;
    }
    strbuf sb = STRBUF_INIT;
    jv_to_str(v, &sb);
    *out = bi_string_sb(jinja_call_arena(call), &sb);
    strbuf_release(&sb);
    return true;
}

bool bi_iter(jinja_call *call, jv v, jv *list)
{
    arena *a = jinja_call_arena(call);
    switch (v.kind) {
    case JV_LIST:
        /* iterating a generator consumes it */
        *list = jv_is_generator(v) ? jv_gen_drain(a, v) : v;
        return true;
    case JV_DICT: {
        size_t n = jv_dict_len(v);
        jv keys = jv_list(a);
        for (size_t i = 0; i < n; i++)
            jv_list_append(keys, jv_dict_key_at(v, i));
        *list = keys;
        return true;
    }
    case JV_STRING: {
        jv chars = jv_list(a);
        const char *s = jv_str_ptr(v);
        size_t n = jv_str_len(v);
        for (size_t i = 0; i < n;) {
            size_t at = i;
            pystr_next(s, n, &i);
            jv_list_append(chars, jv_string_n(a, s + at, i - at));
        }
        *list = chars;
        return true;
    }
    case JV_UNDEFINED:
        if (strict(call)) {
            bi_undefined_error(call, v);
            return false;
        }
        *list = jv_list(a);
        return true;
    default:
        jinja_call_error(call, "'%s' object is not iterable", jv_kind_name(v));
        return false;
    }
}

bool bi_int(jinja_call *call, const char *what, jv v, int64_t *out)
{
    if (v.kind == JV_INT) {
        *out = v.u.i;
        return true;
    }
    if (v.kind == JV_BOOL) {
        *out = v.u.b;
        return true;
    }
    if (v.kind == JV_UNDEFINED && strict(call)) {
        bi_undefined_error(call, v);
        return false;
    }
    jinja_call_error(call, "%s: '%s' object cannot be interpreted as an integer", what,
                     jv_kind_name(v));
    return false;
}

bool bi_truthy(jinja_call *call, jv v, bool *out)
{
    if (v.kind == JV_UNDEFINED && strict(call)) {
        bi_undefined_error(call, v);
        return false;
    }
    *out = jv_truthy(v);
    return true;
}

static bool all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

bool bi_attr_path(jinja_call *call, jv item, jv attribute, jv dflt, jv *out)
{
    arena *a = jinja_call_arena(call);
    bool use_default = !bi_missing(dflt) && dflt.kind != JV_NONE;
    if (attribute.kind == JV_NONE || bi_missing(attribute)) {
        *out = item;
        return true;
    }
    const char *s = attribute.kind == JV_STRING ? jv_str_ptr(attribute) : NULL;
    size_t n = jv_str_len(attribute);
    size_t start = 0;
    for (;;) {
        jv key = attribute;
        const char *dot = NULL;
        size_t end = n;
        if (s) {
            dot = memchr(s + start, '.', n - start);
            end = dot ? (size_t)(dot - s) : n;
            if (all_digits(s + start, end - start) && end - start < 19) {
                int64_t num = 0;
                for (size_t i = start; i < end; i++)
                    num = num * 10 + (s[i] - '0');
                key = jv_int(num);
            } else {
                key = jv_string_n(a, s + start, end - start);
            }
        }
        if (item.kind == JV_UNDEFINED) {
            bi_undefined_error(call, item);
            return false;
        }
        item = jinja_call_getitem(call, item, key);
        if (use_default && item.kind == JV_UNDEFINED)
            item = dflt;
        if (!dot)
            break;
        start = end + 1;
    }
    *out = item;
    return true;
}

jv bi_lower_key(arena *a, jv v)
{
    if (v.kind != JV_STRING)
        return v;
    const char *s = jv_str_ptr(v);
    size_t n = jv_str_len(v);
    bool plain = true;
    for (size_t i = 0; i < n && plain; i++)
        if ((unsigned char)s[i] >= 0x80 || (s[i] >= 'A' && s[i] <= 'Z'))
            plain = false;
    if (plain)
        return v;
    strbuf sb = STRBUF_INIT;
    pystr_lower(s, n, &sb);
    jv out = bi_string_sb(a, &sb);
    strbuf_release(&sb);
    return out;
}

bool bi_less(jinja_call *call, jv a, jv b, bool *less)
{
    int c;
    if (!jv_compare(a, b, &c)) {
        if (a.kind == JV_UNDEFINED || b.kind == JV_UNDEFINED) {
            bi_undefined_error(call, a.kind == JV_UNDEFINED ? a : b);
            return false;
        }
        jinja_call_error(call, "'<' not supported between instances of '%s' and '%s'",
                         jv_kind_name(a), jv_kind_name(b));
        return false;
    }
    *less = c < 0;
    return true;
}

/* Merge sort over positions, so equal keys keep their order (Python's sort
 * is stable, also with reverse=True). */
typedef struct sort_ctx {
    jinja_call *call;
    const jv *keys;
    bool reverse;
    bool failed;
} sort_ctx;

/* Is the element at position y to go before the one at x? */
static bool before(sort_ctx *ctx, size_t y, size_t x)
{
    if (ctx->failed)
        return false;
    bool less;
    bool ok = ctx->reverse ? bi_less(ctx->call, ctx->keys[x], ctx->keys[y], &less)
                           : bi_less(ctx->call, ctx->keys[y], ctx->keys[x], &less);
    if (!ok) {
        ctx->failed = true;
        return false;
    }
    return less;
}

static void merge_sort(sort_ctx *ctx, size_t *idx, size_t *tmp, size_t n)
{
    if (n < 2)
        return;
    if (n <= 8) {
        for (size_t i = 1; i < n; i++) {
            size_t v = idx[i], j = i;
            while (j > 0 && before(ctx, v, idx[j - 1])) {
                idx[j] = idx[j - 1];
                j--;
            }
            idx[j] = v;
        }
        return;
    }
    size_t mid = n / 2;
    merge_sort(ctx, idx, tmp, mid);
    merge_sort(ctx, idx + mid, tmp, n - mid);
    if (ctx->failed || !before(ctx, idx[mid], idx[mid - 1]))
        return;
    memcpy(tmp, idx, mid * sizeof *idx);
    size_t i = 0, j = mid, k = 0;
    while (i < mid && j < n) {
        if (before(ctx, idx[j], tmp[i]))
            idx[k++] = idx[j++];
        else
            idx[k++] = tmp[i++];
    }
    while (i < mid)
        idx[k++] = tmp[i++];
}

bool bi_sort(jinja_call *call, jv *items, jv *keys, size_t n, bool reverse)
{
    if (n < 2)
        return true;
    size_t *idx = xmalloc(n * sizeof *idx);
    size_t *tmp = xmalloc(n * sizeof *tmp);
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    sort_ctx ctx = {call, keys ? keys : items, reverse, false};
    merge_sort(&ctx, idx, tmp, n);
    if (!ctx.failed) {
        jv *sorted = xmalloc(n * sizeof *sorted);
        for (size_t i = 0; i < n; i++)
            sorted[i] = items[idx[i]];
        memcpy(items, sorted, n * sizeof *items);
        if (keys) {
            for (size_t i = 0; i < n; i++)
                sorted[i] = keys[idx[i]];
            memcpy(keys, sorted, n * sizeof *keys);
        }
        free(sorted);
    }
    free(idx);
    free(tmp);
    return !ctx.failed;
}
