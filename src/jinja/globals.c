/* globals: the functions every Jinja2 environment has -- range, dict,
 * namespace, cycler, joiner and lipsum.  The objects they make (namespace,
 * cycler, joiner state) live in the render's arena, so they are private to
 * one render and need no locking. */
#include "jinja/builtin_util.h"
#include "jinja/pystr.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

#define GLOBAL(name)                                                                               \
    static jinja_status name(jinja_call *call, void *ud, const jv *args, size_t nargs,             \
                             const jv_kwarg *kwargs, size_t nkwargs, jv *result)

#define BIND(fname, req, ...)                                                                      \
    static const char *const params_[] = {__VA_ARGS__};                                            \
    jv p[sizeof params_ / sizeof params_[0]];                                                      \
    if (!bi_bind(call, fname, params_, sizeof params_ / sizeof params_[0], req, args, nargs,       \
                 kwargs, nkwargs, p))                                                              \
        return JINJA_ERROR;

#define ARENA jinja_call_arena(call)

enum {
    MAX_RANGE = 10 * 1000 * 1000 /* items; beyond this a template is surely wrong */
};

/* --- range ---------------------------------------------------------------- */
GLOBAL(g_range)
{
    if (nkwargs)
        return jinja_call_error(call, "range() takes no keyword arguments");
    if (nargs < 1 || nargs > 3)
        return jinja_call_error(call, "range expected at %s 3 arguments, got %zu",
                                nargs < 1 ? "least 1" : "most", nargs);
    int64_t v[3];
    for (size_t i = 0; i < nargs; i++)
        if (!bi_int(call, "range", args[i], &v[i]))
            return JINJA_ERROR;
    int64_t start = 0, stop, step = 1;
    if (nargs == 1) {
        stop = v[0];
    } else {
        start = v[0];
        stop = v[1];
        if (nargs == 3)
            step = v[2];
    }
    if (step == 0)
        return jinja_call_error(call, "range() arg 3 must not be zero");
    /* Count in unsigned arithmetic so extreme bounds cannot overflow. */
    uint64_t count = 0;
    if (step > 0 && start < stop)
        count = ((uint64_t)stop - (uint64_t)start - 1) / (uint64_t)step + 1;
    else if (step < 0 && start > stop)
        count = ((uint64_t)start - (uint64_t)stop - 1) / ((uint64_t)0 - (uint64_t)step) + 1;
    if (count > MAX_RANGE)
        return jinja_call_error(call, "range too big: %llu items (the limit is %d)",
                                (unsigned long long)count, MAX_RANGE);
    jv out = jv_range(ARENA, start, stop, step);
    *result = out;
    return JINJA_OK;
}

/* --- dict ----------------------------------------------------------------- */
static bool dict_update_from(jinja_call *call, jv target, jv source)
{
    if (source.kind == JV_DICT) {
        for (size_t i = 0; i < jv_dict_len(source); i++)
            jv_dict_set(target, jv_dict_key_at(source, i), jv_dict_value_at(source, i));
        return true;
    }
    jv items;
    if (!bi_iter(call, source, &items))
        return false;
    for (size_t i = 0; i < jv_list_len(items); i++) {
        jv pair = jv_list_get(items, i);
        jv kv;
        if (!bi_iter(call, pair, &kv))
            return false;
        if (jv_list_len(kv) != 2) {
            jinja_call_error(call,
                             "dictionary update sequence element #%zu has length %zu; 2 is "
                             "required",
                             i, jv_list_len(kv));
            return false;
        }
        jv_dict_set(target, jv_list_get(kv, 0), jv_list_get(kv, 1));
    }
    return true;
}

/* dict(), dict(mapping or pairs), dict(**kwargs), or both. */
static jinja_status make_dict(jinja_call *call, const char *fn, const jv *args, size_t nargs,
                              const jv_kwarg *kwargs, size_t nkwargs, jv *out)
{
    if (nargs > 1)
        return jinja_call_error(call, "%s expected at most 1 argument, got %zu", fn, nargs);
    jv d = jv_dict(ARENA);
    if (nargs == 1 && !dict_update_from(call, d, args[0]))
        return JINJA_ERROR;
    for (size_t i = 0; i < nkwargs; i++)
        jv_dict_set_str(d, kwargs[i].name, kwargs[i].value);
    *out = d;
    return JINJA_OK;
}

GLOBAL(g_dict)
{
    return make_dict(call, "dict", args, nargs, kwargs, nkwargs, result);
}

/* --- namespace ------------------------------------------------------------ */
static jv namespace_getattr(jinja_call *call, void *self, const char *attr)
{
    jv v = jv_dict_get_str(*(jv *)self, attr);
    return v.kind == JV_UNDEFINED ? jv_undefined(attr) : v;
}

static void namespace_str(void *self, strbuf *out)
{
    strbuf_adds(out, "<Namespace ");
    jv_to_repr(*(jv *)self, out);
    strbuf_addc(out, '>');
}

const jv_class jinja_namespace_class = {
    .name = "Namespace",
    .getattr = namespace_getattr,
    .str = namespace_str,
};

GLOBAL(g_namespace)
{
    jv *self = ARENA_NEW(ARENA, jv);
    jinja_status st = make_dict(call, "Namespace", args, nargs, kwargs, nkwargs, self);
    if (st != JINJA_OK)
        return st;
    *result = jv_object(ARENA, &jinja_namespace_class, self);
    return JINJA_OK;
}

/* --- cycler --------------------------------------------------------------- */
typedef struct cycler {
    jv items;
    size_t pos;
} cycler;

static jinja_status cycler_next(jinja_call *call, void *ud, const jv *args, size_t nargs,
                                const jv_kwarg *kwargs, size_t nkwargs, jv *result)
{
    if (nargs || nkwargs)
        return jinja_call_error(call, "next() takes no arguments");
    cycler *c = ud;
    *result = jv_list_get(c->items, c->pos);
    c->pos = (c->pos + 1) % jv_list_len(c->items);
    return JINJA_OK;
}

static jinja_status cycler_reset(jinja_call *call, void *ud, const jv *args, size_t nargs,
                                 const jv_kwarg *kwargs, size_t nkwargs, jv *result)
{
    if (nargs || nkwargs)
        return jinja_call_error(call, "reset() takes no arguments");
    ((cycler *)ud)->pos = 0;
    *result = jv_none();
    return JINJA_OK;
}

static jv cycler_getattr(jinja_call *call, void *self, const char *attr)
{
    cycler *c = self;
    if (!strcmp(attr, "current"))
        return jv_list_get(c->items, c->pos);
    if (!strcmp(attr, "items"))
        return c->items;
    if (!strcmp(attr, "pos"))
        return jv_int((int64_t)c->pos);
    if (!strcmp(attr, "next"))
        return jinja_native(ARENA, "next", cycler_next, c);
    if (!strcmp(attr, "reset"))
        return jinja_native(ARENA, "reset", cycler_reset, c);
    return jv_undefined(attr);
}

static void cycler_str(void *self, strbuf *out)
{
    strbuf_addf(out, "<jinja2.utils.Cycler object at %p>", self);
}

static const jv_class cycler_class = {
    .name = "Cycler",
    .getattr = cycler_getattr,
    .str = cycler_str,
};

GLOBAL(g_cycler)
{
    if (nkwargs)
        return jinja_call_error(call, "Cycler() got an unexpected keyword argument '%s'",
                                kwargs[0].name);
    if (nargs == 0)
        return jinja_call_error(call, "at least one item has to be provided");
    cycler *c = ARENA_NEW(ARENA, cycler);
    c->items = jv_tuple(ARENA, args, nargs);
    *result = jv_object(ARENA, &cycler_class, c);
    return JINJA_OK;
}

/* --- joiner --------------------------------------------------------------- */
typedef struct joiner {
    jv sep;
    bool used;
} joiner;

static jinja_status joiner_call(jinja_call *call, void *ud, const jv *args, size_t nargs,
                                const jv_kwarg *kwargs, size_t nkwargs, jv *result)
{
    if (nargs || nkwargs)
        return jinja_call_error(call, "Joiner.__call__() takes no arguments");
    joiner *j = ud;
    if (!j->used) {
        j->used = true;
        *result = jv_string(ARENA, "");
    } else {
        *result = j->sep;
    }
    return JINJA_OK;
}

GLOBAL(g_joiner)
{
    BIND("Joiner", 0, "sep");
    joiner *j = ARENA_NEW(ARENA, joiner);
    j->sep = bi_missing(p[0]) ? jv_string(ARENA, ", ") : p[0];
    *result = jinja_native(ARENA, "joiner", joiner_call, j);
    return JINJA_OK;
}

/* --- lipsum --------------------------------------------------------------- */
static const char *const lorem_words[] = {
    "lorem",    "ipsum",  "dolor",    "sit",       "amet",      "consectetur", "adipiscing",
    "elit",     "sed",    "do",       "eiusmod",   "tempor",    "incididunt",  "ut",
    "labore",   "et",     "dolore",   "magna",     "aliqua",    "enim",        "ad",
    "minim",    "veniam", "quis",     "nostrud",   "ullamco",   "laboris",     "nisi",
    "aliquip",  "ex",     "ea",       "commodo",   "consequat", "duis",        "aute",
    "irure",    "in",     "voluptas", "velit",     "esse",      "cillum",      "fugiat",
    "nulla",    "varius", "pariatur", "excepteur", "sint",      "occaecat",    "cupidatat",
    "proident", "sunt",   "culpa",    "qui",       "officia",   "deserunt",    "mollit",
    "anim",     "id",     "est",      "laborum",
};

static _Thread_local uint64_t lipsum_rng;

static uint64_t lipsum_rand(uint64_t below)
{
    if (!lipsum_rng)
        lipsum_rng =
            (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&lipsum_rng ^ 0x2545f4914f6cdd1dULL;
    lipsum_rng ^= lipsum_rng << 13;
    lipsum_rng ^= lipsum_rng >> 7;
    lipsum_rng ^= lipsum_rng << 17;
    return below ? lipsum_rng % below : 0;
}

/* Random text shaped like Jinja's generate_lorem_ipsum: n paragraphs of
 * min..max words, with commas and capitalised sentences. */
GLOBAL(g_lipsum)
{
    BIND("generate_lorem_ipsum", 0, "n", "html", "min", "max");
    int64_t n = 5, lo = 20, hi = 100;
    if ((!bi_missing(p[0]) && !bi_int(call, "lipsum", p[0], &n)) ||
        (!bi_missing(p[2]) && !bi_int(call, "lipsum", p[2], &lo)) ||
        (!bi_missing(p[3]) && !bi_int(call, "lipsum", p[3], &hi)))
        return JINJA_ERROR;
    bool html = bi_missing(p[1]) ? true : jv_truthy(p[1]);
    if (hi <= lo)
        return jinja_call_error(call, "empty range for randrange() (%lld, %lld)", (long long)lo,
                                (long long)hi);
    if (n > 10000 || hi > 100000)
        return jinja_call_error(call, "lipsum: too much text requested");
    size_t nwords = sizeof lorem_words / sizeof lorem_words[0];
    strbuf out = STRBUF_INIT;
    for (int64_t para = 0; para < n; para++) {
        if (para)
            strbuf_adds(&out, html ? "\n" : "\n\n");
        if (html)
            strbuf_adds(&out, "<p>");
        int64_t count = lo + (int64_t)lipsum_rand((uint64_t)(hi - lo));
        bool capital = true;
        int64_t last_comma = 0, last_stop = 0;
        size_t last = nwords;
        strbuf ptext = STRBUF_INIT;
        for (int64_t idx = 0; idx < count; idx++) {
            size_t w;
            do
                w = (size_t)lipsum_rand(nwords);
            while (w == last);
            last = w;
            if (idx)
                strbuf_addc(&ptext, ' ');
            const char *word = lorem_words[w];
            if (capital) {
                strbuf_addc(&ptext, (char)(word[0] - 32));
                strbuf_adds(&ptext, word + 1);
                capital = false;
            } else {
                strbuf_adds(&ptext, word);
            }
            if (idx - (int64_t)(3 + lipsum_rand(5)) > last_comma) {
                last_comma = idx;
                last_stop += 2;
                strbuf_addc(&ptext, ',');
            }
            if (idx - (int64_t)(10 + lipsum_rand(10)) > last_stop) {
                last_comma = last_stop = idx;
                strbuf_addc(&ptext, '.');
                capital = true;
            }
        }
        if (ptext.len && ptext.buf[ptext.len - 1] == ',')
            ptext.buf[ptext.len - 1] = '.';
        else if (!ptext.len || ptext.buf[ptext.len - 1] != '.')
            strbuf_addc(&ptext, '.');
        strbuf_add(&out, strbuf_str(&ptext), ptext.len);
        strbuf_release(&ptext);
        if (html)
            strbuf_adds(&out, "</p>");
    }
    *result = bi_string_sb(ARENA, &out);
    strbuf_release(&out);
    return JINJA_OK;
}

void jinja_register_builtin_globals(jinja_env *env)
{
    jinja_env_add_function(env, "range", g_range, NULL);
    jinja_env_add_function(env, "dict", g_dict, NULL);
    jinja_env_add_function(env, "namespace", g_namespace, NULL);
    jinja_env_add_function(env, "cycler", g_cycler, NULL);
    jinja_env_add_function(env, "joiner", g_joiner, NULL);
    jinja_env_add_function(env, "lipsum", g_lipsum, NULL);
}
