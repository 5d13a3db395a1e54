/* eval: the tree-walking evaluator -- scopes, Python operator semantics,
 * calls into macros and natives, statements, include/import, and the
 * public render/module/invoke entry points.
 *
 * All per-render state lives in a `render` on the caller's stack and in the
 * render's arena; the template and the env are only read, so one template
 * renders on many threads at once. */
#include "jinja/ast.h"
#include "jinja/builtins.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    DEFAULT_MAX_DEPTH = 200, /* Python's recursion limit stops Jinja2 near 245 */
    /* string and list repetition beyond this is a mistake, not a template */
    MAX_REPEAT_BYTES = 64 << 20,
    SMALL_ARGS = 8,
};

/* --- scopes --------------------------------------------------------------- */
typedef struct var {
    const char *name;
    uint32_t hash;
    bool exported; /* a top-level set or macro, visible to importers */
    jv value;
} var;

typedef struct scope {
    struct scope *parent;
    var *vars;
    uint32_t n, cap;
    bool hide_context; /* a template imported without context */
    bool toplevel;     /* a template's top level: its sets and macros are exported */
    bool hides_loop;   /* an included template: the includer's `loop` is not passed */
} scope;

typedef struct render {
    jinja_env *env;
    arena *a;
    jv context;
    void *host;
    mlerr *err;
    jinja_undefined_mode undef;
    int depth, max_depth;
    const jinja_template *tmpl; /* whose nodes are running, for error locations */
    bool returning;             /* a return() is unwinding to its macro */
    jv return_value;
    long steps;          /* loop iterations and calls so far, for env->max_steps */
    size_t output_bytes; /* for env->max_bytes */
    /* modules imported without context, made once per render and shared
     * by every import of their template, as Jinja2 caches them */
    struct module_cache *modules;
    struct root *root; /* the template rendering at top level, see render_root */
    /* output buffers for macro calls and blocks, reused by depth */
    strbuf **bufs;
    size_t nbufs, bufs_used;
} render;

typedef struct module_cache {
    struct module_cache *next;
    const jinja_template *tmpl;
    jv module;
} module_cache;

struct jinja_call {
    render *r;
    scope *sc;
    const node *at;
};

typedef enum {
    X_OK,
    X_FAIL, /* an error, or a return() on its way out (r->returning) */
    X_BREAK,
    X_CONTINUE,
} xstatus;

static scope *scope_new(render *r, scope *parent)
{
    scope *s = ARENA_NEW(r->a, scope);
    s->parent = parent;
    return s;
}

static var *scope_find(scope *s, const char *name, uint32_t hash)
{
    for (uint32_t i = 0; i < s->n; i++)
        if (s->vars[i].hash == hash && strcmp(s->vars[i].name, name) == 0)
            return &s->vars[i];
    return NULL;
}

static var *scope_set(render *r, scope *s, name_ref nm, jv value)
{
    var *v = scope_find(s, nm.s, nm.hash);
    if (!v) {
        if (s->n == s->cap) {
            uint32_t cap = s->cap ? s->cap * 2 : 8;
            var *vars = arena_alloc(r->a, cap * sizeof(var));
            if (s->n)
                memcpy(vars, s->vars, s->n * sizeof(var));
            s->vars = vars;
            s->cap = cap;
        }
        v = &s->vars[s->n++];
        v->name = nm.s;
        v->hash = nm.hash;
    }
    v->value = value;
    v->exported = false;
    return v;
}

static jv lookup(const render *r, scope *sc, const char *name, uint32_t hash)
{
    bool hide_context = false, hide_loop = false;
    for (scope *s = sc; s; s = s->parent) {
        var *v = scope_find(s, name, hash);
        if (v && !(hide_loop && strcmp(name, "loop") == 0))
            return v->value;
        hide_loop |= s->hides_loop;
        if (!s->parent)
            hide_context = s->hide_context;
    }
    if (!hide_context && r->context.kind == JV_DICT) {
        jv v = jv_dict_get_str(r->context, name);
        if (v.kind != JV_UNDEFINED)
            return v;
    }
    const env_entry *e = jinja_table_find(&r->env->globals, name, hash);
    if (e)
        return e->value;
    return jv_undefined(name);
}

/* --- errors --------------------------------------------------------------- */
static bool fail(render *r, const node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(render *r, const node *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    jinja_error_atv(r->err, &r->tmpl->src, at ? at->line : 0, at ? at->col : 0, fmt, ap);
    va_end(ap);
    return false;
}

static bool fail_undefined(render *r, const node *at, jv v)
{
    if (v.u.undef_name)
        return fail(r, at, "'%s' is undefined", v.u.undef_name);
    return fail(r, at, "%s", "value is undefined");
}

static const char *type_name(jv v)
{
    return jv_kind_name(v);
}

/* Counts one unit of work against the env's limits. */
static bool step(render *r, const node *at)
{
    r->steps++;
    if (r->env->max_steps && r->steps > r->env->max_steps)
        return fail(r, at, "template exceeded its work limit (%ld steps)", r->env->max_steps);
    if (r->env->max_bytes &&
        (r->a->total > r->env->max_bytes || r->output_bytes > r->env->max_bytes))
        return fail(r, at, "template exceeded its memory limit (%zu bytes)", r->env->max_bytes);
    return true;
}

/* --- output buffers ------------------------------------------------------- */
static strbuf *buf_get(render *r)
{
    if (r->bufs_used == r->nbufs) {
        r->bufs = xrealloc(r->bufs, (r->nbufs + 1) * sizeof(strbuf *));
        r->bufs[r->nbufs] = xcalloc(1, sizeof(strbuf));
        r->nbufs++;
    }
    strbuf *b = r->bufs[r->bufs_used++];
    strbuf_reset(b);
    return b;
}

static void buf_put(render *r)
{
    r->bufs_used--;
}

static void render_release(render *r)
{
    for (size_t i = 0; i < r->nbufs; i++) {
        strbuf_release(r->bufs[i]);
        free(r->bufs[i]);
    }
    free(r->bufs);
    r->bufs = NULL;
    r->nbufs = r->bufs_used = 0;
}

/* --- utf-8 ---------------------------------------------------------------- */
static size_t utf8_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            n++;
    return n;
}

/* byte offset of code point index cp (cp <= count) */
static size_t utf8_offset(const char *s, size_t len, size_t cp)
{
    size_t i = 0;
    while (cp > 0 && i < len) {
        i++;
        while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80)
            i++;
        cp--;
    }
    return i;
}

/* --- values --------------------------------------------------------------- */
static bool is_num(jv v)
{
    return v.kind == JV_INT || v.kind == JV_BOOL || v.kind == JV_FLOAT;
}

static int64_t as_int(jv v)
{
    return v.kind == JV_BOOL ? (int64_t)v.u.b : v.u.i;
}

static double as_float(jv v)
{
    return v.kind == JV_FLOAT ? v.u.f : (double)as_int(v);
}

static bool is_seq(jv v)
{
    return v.kind == JV_LIST && !jv_is_generator(v) && !jv_is_range(v);
}

static bool truthy(render *r, const node *at, jv v, bool *out)
{
    if (v.kind == JV_UNDEFINED && r->undef == JINJA_UNDEFINED_STRICT)
        return fail_undefined(r, at, v);
    *out = jv_truthy(v);
    return true;
}

/* Appends str(v) as {{ v }} prints it. */
static bool emit(render *r, const node *at, jv v, strbuf *out)
{
    switch (v.kind) {
    case JV_STRING:
        strbuf_add(out, jv_str_ptr(v), jv_str_len(v));
        r->output_bytes += jv_str_len(v);
        return true;
    case JV_UNDEFINED:
        if (r->undef == JINJA_UNDEFINED_STRICT)
            return fail_undefined(r, at, v);
        return true;
    default:
        jv_to_str(v, out);
        return true;
    }
}

static jv str_from_buf(render *r, strbuf *b)
{
    return jv_string_n(r->a, b->buf ? b->buf : "", b->len);
}

/* Materialises what `for` iterates over. */
static bool iterate(render *r, const node *at, jv v, jv **items, size_t *n)
{
    switch (v.kind) {
    case JV_LIST: {
        if (jv_is_generator(v)) {
            /* iterating a generator consumes it */
            jv rest = jv_gen_drain(r->a, v);
            *items = jv_list_items(rest);
            *n = jv_list_len(rest);
            return true;
        }
        size_t len = jv_list_len(v);
        jv *xs = arena_alloc(r->a, (len ? len : 1) * sizeof(jv));
        for (size_t i = 0; i < len; i++)
            xs[i] = jv_list_get(v, i);
        *items = xs;
        *n = len;
        return true;
    }
    case JV_DICT: {
        size_t len = jv_dict_len(v);
        jv *xs = arena_alloc(r->a, (len ? len : 1) * sizeof(jv));
        for (size_t i = 0; i < len; i++)
            xs[i] = jv_dict_key_at(v, i);
        *items = xs;
        *n = len;
        return true;
    }
    case JV_STRING: {
        const char *s = jv_str_ptr(v);
        size_t len = jv_str_len(v), count = utf8_count(s, len), k = 0;
        jv *xs = arena_alloc(r->a, (count ? count : 1) * sizeof(jv));
        for (size_t i = 0; i < len;) {
            size_t j = i + 1;
            while (j < len && ((unsigned char)s[j] & 0xc0) == 0x80)
                j++;
            xs[k++] = jv_string_n(r->a, s + i, j - i);
            i = j;
        }
        *items = xs;
        *n = k;
        return true;
    }
    case JV_UNDEFINED:
        if (r->undef == JINJA_UNDEFINED_STRICT)
            return fail_undefined(r, at, v);
        *items = NULL;
        *n = 0;
        return true;
    default:
        return fail(r, at, "'%s' object is not iterable", type_name(v));
    }
}

/* --- attribute and item access --------------------------------------------- */
static jv getattr_value(render *r, scope *sc, const node *at, jv obj, const char *name);

static jv macro_attr(jv obj, const char *name, arena *a)
{
    const jv_callable *c = obj.u.c;
    if (!strcmp(name, "name"))
        return jv_string(a, c->name);
    if (c->macro) {
        if (!strcmp(name, "arguments")) {
            jv list = jv_list(a);
            for (size_t i = 0; i < c->macro->nparams; i++)
                jv_list_append(list, jv_string(a, c->macro->params[i].s));
            jv *items = arena_alloc(a, (jv_list_len(list) + 1) * sizeof(jv));
            for (size_t i = 0; i < jv_list_len(list); i++)
                items[i] = jv_list_get(list, i);
            return jv_tuple(a, items, jv_list_len(list));
        }
        if (!strcmp(name, "catch_kwargs"))
            return jv_bool(c->macro->catch_kwargs);
        if (!strcmp(name, "catch_varargs"))
            return jv_bool(c->macro->catch_varargs);
        if (!strcmp(name, "caller"))
            return jv_bool(c->macro->uses_caller);
    }
    return jv_undefined(name);
}

static jv getattr_value(render *r, scope *sc, const node *at, jv obj, const char *name)
{
    switch (obj.kind) {
    case JV_OBJECT: {
        const jv_class *cls = jv_object_class(obj);
        if (!cls || !cls->getattr)
            return jv_undefined(name);
        jinja_call call = {.r = r, .sc = sc, .at = at};
        return cls->getattr(&call, jv_object_self(obj), name);
    }
    case JV_DICT: {
        jv m = jinja_method_get(r->a, obj, name);
        if (m.kind != JV_UNDEFINED)
            return m;
        jv v = jv_dict_get_str(obj, name);
        return v.kind == JV_UNDEFINED ? jv_undefined(name) : v;
    }
    case JV_STRING:
    case JV_LIST: {
        jv m = jinja_method_get(r->a, obj, name);
        return m.kind == JV_UNDEFINED ? jv_undefined(name) : m;
    }
    case JV_CALLABLE:
        return macro_attr(obj, name, r->a);
    default:
        return jv_undefined(name);
    }
}

static bool index_of(jv key, size_t len, size_t *out)
{
    if (key.kind != JV_INT && key.kind != JV_BOOL)
        return false;
    int64_t i = as_int(key);
    if (i < 0)
        i += (int64_t)len;
    if (i < 0 || (uint64_t)i >= len)
        return false;
    *out = (size_t)i;
    return true;
}

static jv getitem_value(render *r, scope *sc, const node *at, jv obj, jv key)
{
    size_t i;
    switch (obj.kind) {
    case JV_DICT: {
        jv v = jv_dict_get(obj, key);
        if (v.kind != JV_UNDEFINED)
            return v;
        break;
    }
    case JV_LIST:
        /* a generator is not subscriptable: Jinja gives undefined */
        if (!jv_is_generator(obj) && index_of(key, jv_list_len(obj), &i))
            return jv_list_get(obj, i);
        break;
    case JV_STRING: {
        const char *s = jv_str_ptr(obj);
        size_t len = jv_str_len(obj);
        if (index_of(key, utf8_count(s, len), &i)) {
            size_t b = utf8_offset(s, len, i), e = utf8_offset(s, len, i + 1);
            return jv_string_n(r->a, s + b, e - b);
        }
        break;
    }
    default:
        break;
    }
    if (key.kind == JV_STRING && obj.kind != JV_DICT)
        return getattr_value(r, sc, at, obj, jv_str_ptr(key));
    if (key.kind == JV_STRING && obj.kind == JV_DICT) {
        jv m = jinja_method_get(r->a, obj, jv_str_ptr(key));
        if (m.kind != JV_UNDEFINED)
            return m;
        return jv_undefined(jv_str_ptr(key));
    }
    if (key.kind == JV_STRING)
        return jv_undefined(jv_str_ptr(key));
    return jv_undefined(NULL);
}

/* Python's slice.indices() for a sequence of length len. */
static bool slice_bounds(render *r, const node *at, jv start, jv stop, jv step, size_t len,
                         int64_t *ostart, int64_t *ostop, int64_t *ostep)
{
    int64_t st = 1;
    if (step.kind != JV_NONE && step.kind != JV_UNDEFINED) {
        if (step.kind != JV_INT && step.kind != JV_BOOL)
            return false; /* a TypeError: see slice_type_error */
        st = as_int(step);
        if (st == 0)
            return fail(r, at, "%s", "slice step cannot be zero");
    }
    int64_t n = (int64_t)len;
    int64_t lo, hi;
    jv bounds[2] = {start, stop};
    int64_t out[2];
    for (int k = 0; k < 2; k++) {
        jv b = bounds[k];
        if (b.kind == JV_NONE || b.kind == JV_UNDEFINED) {
            out[k] = k == 0 ? (st > 0 ? 0 : n - 1) : (st > 0 ? n : -1);
            continue;
        }
        if (b.kind != JV_INT && b.kind != JV_BOOL)
            return false; /* a TypeError: see slice_type_error */
        int64_t x = as_int(b);
        if (x < 0) {
            x += n;
            if (x < 0)
                x = st > 0 ? 0 : -1;
        } else if (x >= n) {
            x = st > 0 ? n : n - 1;
        }
        out[k] = x;
    }
    lo = out[0];
    hi = out[1];
    *ostart = lo;
    *ostop = hi;
    *ostep = st;
    return true;
}

/* Jinja2 compiles a slice to Python's obj[a:b], so a TypeError fails the
 * render -- except in an expression of constants, which Jinja2 folds at
 * compile time through getitem, where a TypeError yields undefined. */
static bool slice_type_error(render *r, const node *at, jv obj, jv *out)
{
    if (at->flags & NF_CONST_SLICE) {
        *out = jv_undefined(NULL);
        return true;
    }
    if (obj.kind == JV_LIST || obj.kind == JV_STRING)
        return fail(r, at, "%s",
                    "slice indices must be integers or None or have an __index__ method");
    return fail(r, at, "'%s' object is not subscriptable", type_name(obj));
}

static bool slice_value(render *r, const node *at, jv obj, jv start, jv stop, jv step, jv *out)
{
    int64_t lo, hi, st;
    if (jv_is_generator(obj))
        return fail(r, at, "%s", "'generator' object is not subscriptable");
    if (obj.kind == JV_LIST) {
        size_t len = jv_list_len(obj);
        if (!slice_bounds(r, at, start, stop, step, len, &lo, &hi, &st))
            return r->err->set ? false : slice_type_error(r, at, obj, out);
        const int64_t *rg = jv_range_params(obj);
        if (rg) {
            /* a slice of a range is a range; its bounds are within
             * the range's, so they cannot overflow */
            int64_t from = rg[0] + lo * rg[2], to = rg[0] + hi * rg[2];
            *out = jv_range(r->a, from, to, rg[2] * st);
            return true;
        }
        jv res = jv_list(r->a);
        for (int64_t i = lo; st > 0 ? i < hi : i > hi; i += st)
            jv_list_append(res, jv_list_get(obj, (size_t)i));
        if (obj.flags & JV_FLAG_TUPLE) {
            size_t n = jv_list_len(res);
            jv *items = arena_alloc(r->a, (n ? n : 1) * sizeof(jv));
            for (size_t i = 0; i < n; i++)
                items[i] = jv_list_get(res, i);
            res = jv_tuple(r->a, items, n);
        }
        *out = res;
        return true;
    }
    if (obj.kind == JV_STRING) {
        const char *s = jv_str_ptr(obj);
        size_t len = jv_str_len(obj), count = utf8_count(s, len);
        if (!slice_bounds(r, at, start, stop, step, count, &lo, &hi, &st))
            return r->err->set ? false : slice_type_error(r, at, obj, out);
        if (st == 1) {
            if (hi < lo)
                hi = lo;
            size_t b = utf8_offset(s, len, (size_t)lo);
            size_t e = b + utf8_offset(s + b, len - b, (size_t)(hi - lo));
            *out = jv_string_n(r->a, s + b, e - b);
            return true;
        }
        strbuf *sb = buf_get(r);
        for (int64_t i = lo; st > 0 ? i < hi : i > hi; i += st) {
            size_t b = utf8_offset(s, len, (size_t)i);
            size_t e = b + utf8_offset(s + b, len - b, 1);
            strbuf_add(sb, s + b, e - b);
        }
        *out = str_from_buf(r, sb);
        buf_put(r);
        return true;
    }
    if (obj.kind == JV_UNDEFINED) {
        if (r->undef == JINJA_UNDEFINED_STRICT)
            return fail_undefined(r, at, obj);
        *out = jv_undefined(NULL);
        return true;
    }
    return slice_type_error(r, at, obj, out);
}

/* --- operators ------------------------------------------------------------ */
static const char *op_symbol(int op)
{
    switch (op) {
    case OP_ADD:
        return "+";
    case OP_SUB:
        return "-";
    case OP_MUL:
        return "*";
    case OP_DIV:
        return "/";
    case OP_FLOORDIV:
        return "//";
    case OP_MOD:
        return "%";
    case OP_POW:
        return "** or pow()";
    case OP_LT:
        return "<";
    case OP_LTEQ:
        return "<=";
    case OP_GT:
        return ">";
    case OP_GTEQ:
        return ">=";
    default:
        return "?";
    }
}

static bool type_error(render *r, const node *at, int op, jv a, jv b)
{
    return fail(r, at, "unsupported operand type(s) for %s: '%s' and '%s'", op_symbol(op),
                type_name(a), type_name(b));
}

static bool overflow(render *r, const node *at)
{
    return fail(r, at, "%s", "not supported yet: integer result beyond 64 bits");
}

static jv list_concat(render *r, jv a, jv b, bool tuple)
{
    size_t na = jv_list_len(a), nb = jv_list_len(b);
    if (tuple) {
        jv *items = arena_alloc(r->a, (na + nb + 1) * sizeof(jv));
        for (size_t i = 0; i < na; i++)
            items[i] = jv_list_get(a, i);
        for (size_t i = 0; i < nb; i++)
            items[na + i] = jv_list_get(b, i);
        return jv_tuple(r->a, items, na + nb);
    }
    jv res = jv_list(r->a);
    for (size_t i = 0; i < na; i++)
        jv_list_append(res, jv_list_get(a, i));
    for (size_t i = 0; i < nb; i++)
        jv_list_append(res, jv_list_get(b, i));
    return res;
}

static bool repeat(render *r, const node *at, jv seq, int64_t times, jv *out)
{
    if (times < 0)
        times = 0;
    if (seq.kind == JV_STRING) {
        size_t len = jv_str_len(seq);
        if (len && (uint64_t)times > MAX_REPEAT_BYTES / len)
            return fail(r, at, "%s", "string repetition result too large");
        strbuf *sb = buf_get(r);
        for (int64_t i = 0; i < times; i++)
            strbuf_add(sb, jv_str_ptr(seq), len);
        *out = str_from_buf(r, sb);
        buf_put(r);
        return true;
    }
    size_t len = jv_list_len(seq);
    if (len && (uint64_t)times > MAX_REPEAT_BYTES / (len * sizeof(jv)))
        return fail(r, at, "%s", "list repetition result too large");
    size_t total = len * (size_t)times;
    jv *items = arena_alloc(r->a, (total ? total : 1) * sizeof(jv));
    for (size_t i = 0; i < total; i++)
        items[i] = jv_list_get(seq, i % len);
    if (seq.flags & JV_FLAG_TUPLE) {
        *out = jv_tuple(r->a, items, total);
    } else {
        jv res = jv_list(r->a);
        for (size_t i = 0; i < total; i++)
            jv_list_append(res, items[i]);
        *out = res;
    }
    return true;
}

static double py_fmod(double a, double b)
{
    double m = fmod(a, b);
    if (m != 0) {
        if ((b < 0) != (m < 0))
            m += b;
    } else {
        m = copysign(0.0, b);
    }
    return m;
}

static double py_floordiv(double a, double b)
{
    double mod = fmod(a, b);
    double div = (a - mod) / b;
    if (mod != 0 && ((b < 0) != (mod < 0)))
        div -= 1.0;
    double fl;
    if (div != 0) {
        fl = floor(div);
        if (div - fl > 0.5)
            fl += 1.0;
    } else {
        fl = copysign(0.0, a / b);
    }
    return fl;
}

static bool native_status(render *r, const node *at, jinja_status st, const char *name);

static bool string_format(render *r, scope *sc, const node *at, jv fmt, jv args, jv *out)
{
    jinja_call call = {.r = r, .sc = sc, .at = at};
    return native_status(r, at, jinja_format_percent(&call, fmt, args, out), "%");
}

static bool binop(render *r, scope *sc, const node *at, int op, jv a, jv b, jv *out)
{
    if (a.kind == JV_UNDEFINED)
        return fail_undefined(r, at, a);
    if (b.kind == JV_UNDEFINED) {
        /* str % Undefined formats it as a (mapping-like) value */
        if (op == OP_MOD && a.kind == JV_STRING && r->undef != JINJA_UNDEFINED_STRICT)
            return string_format(r, sc, at, a, b, out);
        return fail_undefined(r, at, b);
    }
    bool nums = is_num(a) && is_num(b);
    bool ints = nums && a.kind != JV_FLOAT && b.kind != JV_FLOAT;
    int64_t x, y, z;
    switch (op) {
    case OP_ADD:
        if (ints) {
            if (__builtin_add_overflow(as_int(a), as_int(b), &z))
                return overflow(r, at);
            *out = jv_int(z);
        } else if (nums) {
            *out = jv_float(as_float(a) + as_float(b));
        } else if (a.kind == JV_STRING && b.kind == JV_STRING) {
            size_t la = jv_str_len(a), lb = jv_str_len(b);
            char *s = arena_alloc(r->a, la + lb + 1);
            memcpy(s, jv_str_ptr(a), la);
            memcpy(s + la, jv_str_ptr(b), lb);
            s[la + lb] = 0;
            *out = jv_string_n(r->a, s, la + lb);
        } else if (is_seq(a) && is_seq(b) &&
                   (a.flags & JV_FLAG_TUPLE) == (b.flags & JV_FLAG_TUPLE)) {
            *out = list_concat(r, a, b, a.flags & JV_FLAG_TUPLE);
        } else if (is_seq(a) && b.kind == JV_LIST) {
            return fail(r, at, "can only concatenate %s (not \"%s\") to %s", type_name(a),
                        type_name(b), type_name(a));
        } else if (a.kind == JV_STRING) {
            return fail(r, at, "can only concatenate str (not \"%s\") to str", type_name(b));
        } else {
            return type_error(r, at, op, a, b);
        }
        return true;
    case OP_SUB:
        if (ints) {
            if (__builtin_sub_overflow(as_int(a), as_int(b), &z))
                return overflow(r, at);
            *out = jv_int(z);
        } else if (nums) {
            *out = jv_float(as_float(a) - as_float(b));
        } else {
            return type_error(r, at, op, a, b);
        }
        return true;
    case OP_MUL:
        if (ints) {
            if (__builtin_mul_overflow(as_int(a), as_int(b), &z))
                return overflow(r, at);
            *out = jv_int(z);
        } else if (nums) {
            *out = jv_float(as_float(a) * as_float(b));
        } else if ((a.kind == JV_STRING || is_seq(a)) && (b.kind == JV_INT || b.kind == JV_BOOL)) {
            return repeat(r, at, a, as_int(b), out);
        } else if ((b.kind == JV_STRING || is_seq(b)) && (a.kind == JV_INT || a.kind == JV_BOOL)) {
            return repeat(r, at, b, as_int(a), out);
        } else if (a.kind == JV_STRING || is_seq(a) || b.kind == JV_STRING || is_seq(b)) {
            return fail(r, at, "can't multiply sequence by non-int of type '%s'",
                        type_name(a.kind == JV_STRING || is_seq(a) ? b : a));
        } else {
            return type_error(r, at, op, a, b);
        }
        return true;
    case OP_DIV:
        if (!nums)
            return type_error(r, at, op, a, b);
        if (as_float(b) == 0)
            return fail(r, at, "%s", "division by zero");
        *out = jv_float(as_float(a) / as_float(b));
        return true;
    case OP_FLOORDIV:
    case OP_MOD:
        if (op == OP_MOD && a.kind == JV_STRING)
            return string_format(r, sc, at, a, b, out);
        if (!nums)
            return type_error(r, at, op, a, b);
        if (ints) {
            x = as_int(a);
            y = as_int(b);
            if (y == 0)
                return fail(r, at, "%s", "integer division or modulo by zero");
            if (x == INT64_MIN && y == -1) {
                if (op == OP_FLOORDIV)
                    return overflow(r, at);
                *out = jv_int(0);
                return true;
            }
            int64_t q = x / y, m = x % y;
            if (m != 0 && ((m < 0) != (y < 0))) {
                q -= 1;
                m += y;
            }
            *out = jv_int(op == OP_FLOORDIV ? q : m);
            return true;
        }
        if (as_float(b) == 0)
            return fail(r, at, "%s",
                        op == OP_MOD ? "float modulo" : "float floor division by zero");
        *out = jv_float(op == OP_MOD ? py_fmod(as_float(a), as_float(b))
                                     : py_floordiv(as_float(a), as_float(b)));
        return true;
    case OP_POW:
        if (!nums)
            return type_error(r, at, op, a, b);
        if (ints && as_int(b) >= 0) {
            int64_t base = as_int(a), e = as_int(b), acc = 1;
            while (e > 0) {
                if (e & 1) {
                    if (__builtin_mul_overflow(acc, base, &acc))
                        return overflow(r, at);
                }
                e >>= 1;
                if (e && __builtin_mul_overflow(base, base, &base))
                    return overflow(r, at);
            }
            *out = jv_int(acc);
            return true;
        }
        {
            double fa = as_float(a), fb = as_float(b);
            if (fa == 0 && fb < 0)
                return fail(r, at, "%s", "0.0 cannot be raised to a negative power");
            if (fa < 0 && fb != floor(fb))
                return fail(r, at, "%s", "not supported yet: complex numbers");
            double res = pow(fa, fb);
            if (isinf(res) && !isinf(fa) && !isinf(fb))
                return fail(r, at, "%s", "(34, 'Numerical result out of range')");
            *out = jv_float(res);
        }
        return true;
    default:
        return fail(r, at, "%s", "unknown operator");
    }
}

static bool contains(render *r, const node *at, jv item, jv container, bool *out)
{
    switch (container.kind) {
    case JV_STRING:
        if (item.kind != JV_STRING)
            return fail(r, at, "'in <string>' requires string as left operand, not %s",
                        type_name(item));
        *out = jv_str_len(item) == 0 || memmem(jv_str_ptr(container), jv_str_len(container),
                                               jv_str_ptr(item), jv_str_len(item)) != NULL;
        return true;
    case JV_LIST: {
        if (jv_is_generator(container)) {
            /* `in` consumes a generator up to the first match */
            jv *rest;
            size_t n = jv_gen_remaining(container, &rest), i = 0;
            while (i < n && !jv_equal(rest[i], item))
                i++;
            *out = i < n;
            jv_gen_consume(container, i + 1);
            return true;
        }
        size_t n = jv_list_len(container);
        *out = false;
        for (size_t i = 0; i < n; i++) {
            if (jv_equal(jv_list_get(container, i), item)) {
                *out = true;
                break;
            }
        }
        return true;
    }
    case JV_DICT:
        if (jv_unhashable(item))
            return fail(r, at, "unhashable type: '%s'", type_name(item));
        *out = jv_dict_has(container, item);
        return true;
    case JV_UNDEFINED:
        if (r->undef == JINJA_UNDEFINED_STRICT)
            return fail_undefined(r, at, container);
        *out = false;
        return true;
    default:
        return fail(r, at, "argument of type '%s' is not iterable", type_name(container));
    }
}

static bool compare_op(render *r, const node *at, int op, jv a, jv b, bool *out)
{
    if (r->undef == JINJA_UNDEFINED_STRICT) {
        if (a.kind == JV_UNDEFINED)
            return fail_undefined(r, at, a);
        if (b.kind == JV_UNDEFINED)
            return fail_undefined(r, at, b);
    }
    int c;
    switch (op) {
    case OP_EQ:
        *out = jv_equal(a, b);
        return true;
    case OP_NE:
        *out = !jv_equal(a, b);
        return true;
    case OP_IN:
        return contains(r, at, a, b, out);
    case OP_NOTIN:
        if (!contains(r, at, a, b, out))
            return false;
        *out = !*out;
        return true;
    default:
        if (a.kind == JV_UNDEFINED)
            return fail_undefined(r, at, a);
        if (b.kind == JV_UNDEFINED)
            return fail_undefined(r, at, b);
        if (!jv_compare(a, b, &c))
            return fail(r, at, "'%s' not supported between instances of '%s' and '%s'",
                        op_symbol(op), type_name(a), type_name(b));
        if (isnan(as_float(a.kind == JV_FLOAT ? a : jv_float(0))) ||
            isnan(as_float(b.kind == JV_FLOAT ? b : jv_float(0)))) {
            *out = false; /* every ordering with NaN is false in Python */
            return true;
        }
        *out = op == OP_LT ? c < 0 : op == OP_LTEQ ? c <= 0 : op == OP_GT ? c > 0 : c >= 0;
        return true;
    }
}

/* --- calls ---------------------------------------------------------------- */
typedef struct argv_t {
    jv *pos;
    size_t npos;
    jv_kwarg *kw;
    size_t nkw;
} argv_t;

static bool eval(render *r, scope *sc, const node *n, jv *out);
static xstatus exec_body(render *r, scope *sc, const node_list *body, strbuf *out);

/* Evaluates call arguments; prefix (may be NULL) goes first, as a filter's
 * value does. */
static bool eval_args(render *r, scope *sc, const node *at, const call_args *ca, const jv *prefix,
                      size_t nprefix, jv extra_kw_value, const char *extra_kw_name, argv_t *out)
{
    jv star = {0}, starstar = {0};
    size_t nstar = 0, nstarstar = 0;
    if (ca->star) {
        if (!eval(r, sc, ca->star, &star))
            return false;
        if (star.kind == JV_LIST) {
            if (jv_is_generator(star))
                star = jv_gen_drain(r->a, star);
            nstar = jv_list_len(star);
        } else if (star.kind == JV_UNDEFINED && r->undef != JINJA_UNDEFINED_STRICT) {
            nstar = 0;
        } else {
            jv *items;
            if (!iterate(r, ca->star, star, &items, &nstar))
                return false;
            star = jv_tuple(r->a, items, nstar);
        }
    }
    if (ca->starstar) {
        if (!eval(r, sc, ca->starstar, &starstar))
            return false;
        if (starstar.kind == JV_DICT)
            nstarstar = jv_dict_len(starstar);
        else if (!(starstar.kind == JV_UNDEFINED && r->undef != JINJA_UNDEFINED_STRICT))
            return fail(r, ca->starstar, "argument after ** must be a mapping, not %s",
                        type_name(starstar));
    }
    size_t npos = nprefix + ca->pos.n + nstar;
    size_t nkw = ca->nkw + nstarstar + (extra_kw_name ? 1 : 0);
    out->pos = arena_alloc(r->a, (npos ? npos : 1) * sizeof(jv));
    out->kw = arena_alloc(r->a, (nkw ? nkw : 1) * sizeof(jv_kwarg));
    size_t k = 0;
    for (size_t i = 0; i < nprefix; i++)
        out->pos[k++] = prefix[i];
    for (size_t i = 0; i < ca->pos.n; i++)
        if (!eval(r, sc, ca->pos.items[i], &out->pos[k++]))
            return false;
    for (size_t i = 0; i < nstar; i++)
        out->pos[k++] = jv_list_get(star, i);
    out->npos = k;
    k = 0;
    for (size_t i = 0; i < ca->nkw; i++) {
        out->kw[k].name = ca->kwnames[i].s;
        if (!eval(r, sc, ca->kwvals[i], &out->kw[k].value))
            return false;
        k++;
    }
    for (size_t i = 0; i < nstarstar; i++) {
        jv key = jv_dict_key_at(starstar, i);
        if (key.kind != JV_STRING)
            return fail(r, ca->starstar, "%s", "keywords must be strings");
        out->kw[k].name = jv_str_ptr(key);
        out->kw[k].value = jv_dict_value_at(starstar, i);
        k++;
    }
    if (extra_kw_name) {
        out->kw[k].name = extra_kw_name;
        out->kw[k].value = extra_kw_value;
        k++;
    }
    out->nkw = k;
    (void)at;
    return true;
}

static bool call_macro(render *r, const node *at, const jv_callable *c, const jv *args,
                       size_t nargs, const jv_kwarg *kwargs, size_t nkwargs, jv *out)
{
    const macro_def *m = c->macro;
    const char *mname = c->name;
    if (r->depth >= r->max_depth)
        return fail(r, at, "maximum recursion depth exceeded (%d nested calls) in macro '%s'",
                    r->max_depth, mname);
    if (!step(r, at))
        return false;
    if (nargs > m->nparams && !m->catch_varargs)
        return fail(r, at, "macro '%s' takes not more than %zu argument(s)", mname, m->nparams);
    scope *ms = scope_new(r, c->closure);
    const jinja_template *saved_tmpl = r->tmpl;
    r->tmpl = c->tmpl;
    /* which kwargs bind to parameters */
    bool *used = nkwargs ? arena_zalloc(r->a, nkwargs) : NULL;
    bool found_caller = false;
    bool ok = true;
    for (size_t i = 0; i < m->nparams && ok; i++) {
        jv v;
        bool have = false;
        if (i < nargs) {
            v = args[i];
            have = true;
        } else {
            for (size_t k = 0; k < nkwargs; k++) {
                if (!used[k] && strcmp(kwargs[k].name, m->params[i].s) == 0) {
                    used[k] = true;
                    v = kwargs[k].value;
                    have = true;
                    break;
                }
            }
            if (!strcmp(m->params[i].s, "caller"))
                found_caller = true;
        }
        if (!have) {
            if (m->defaults[i]) {
                r->depth++;
                ok = eval(r, ms, m->defaults[i], &v);
                r->depth--;
            } else {
                v = jv_undefined(m->params[i].s);
            }
        }
        if (ok)
            scope_set(r, ms, m->params[i], v);
    }
    if (!ok) {
        r->tmpl = saved_tmpl;
        return false;
    }
    if (m->uses_caller && !found_caller) {
        jv cv = jv_undefined("caller");
        for (size_t k = 0; k < nkwargs; k++) {
            if (!used[k] && !strcmp(kwargs[k].name, "caller")) {
                used[k] = true;
                cv = kwargs[k].value;
                break;
            }
        }
        scope_set(r, ms, (name_ref){"caller", jinja_hash("caller")}, cv);
    }
    if (m->catch_kwargs) {
        jv d = jv_dict(r->a);
        for (size_t k = 0; k < nkwargs; k++)
            if (!used[k])
                jv_dict_set_str(d, kwargs[k].name, kwargs[k].value);
        scope_set(r, ms, (name_ref){"kwargs", jinja_hash("kwargs")}, d);
    } else {
        for (size_t k = 0; k < nkwargs; k++) {
            if (!used[k]) {
                r->tmpl = saved_tmpl;
                return fail(r, at, "macro '%s' takes no keyword argument '%s'", mname,
                            kwargs[k].name);
            }
        }
    }
    if (m->catch_varargs) {
        size_t extra = nargs > m->nparams ? nargs - m->nparams : 0;
        scope_set(r, ms, (name_ref){"varargs", jinja_hash("varargs")},
                  jv_tuple(r->a, args + (nargs - extra), extra));
    }
    r->depth++;
    strbuf *buf = buf_get(r);
    xstatus st = exec_body(r, ms, &m->body, buf);
    r->depth--;
    r->tmpl = saved_tmpl;
    if (st == X_FAIL) {
        buf_put(r);
        if (!r->returning)
            return false;
        r->returning = false;
        *out = r->return_value;
        return true;
    }
    *out = str_from_buf(r, buf);
    buf_put(r);
    return true;
}

static bool native_status(render *r, const node *at, jinja_status st, const char *name)
{
    if (st == JINJA_OK)
        return true;
    if (st == JINJA_RETURN) {
        r->returning = true;
        return false;
    }
    if (!r->err->set)
        fail(r, at, "%s failed", name ? name : "call");
    return false;
}

static bool call_value(render *r, scope *sc, const node *at, jv callee, const jv *args,
                       size_t nargs, const jv_kwarg *kwargs, size_t nkwargs, jv *out)
{
    if (callee.kind == JV_CALLABLE) {
        const jv_callable *c = callee.u.c;
        if (c->fn) {
            if (!step(r, at))
                return false;
            jinja_call call = {.r = r, .sc = sc, .at = at};
            *out = jv_none();
            jinja_status st = c->fn(&call, c->userdata, args, nargs, kwargs, nkwargs, out);
            return native_status(r, at, st, c->name);
        }
        return call_macro(r, at, c, args, nargs, kwargs, nkwargs, out);
    }
    if (callee.kind == JV_OBJECT) {
        const jv_class *cls = jv_object_class(callee);
        if (cls && cls->call) {
            jinja_call call = {.r = r, .sc = sc, .at = at};
            if (!cls->call(&call, jv_object_self(callee), out)) {
                if (!r->err->set)
                    fail(r, at, "calling %s failed", cls->name ? cls->name : "object");
                return false;
            }
            return true;
        }
    }
    if (callee.kind == JV_UNDEFINED)
        return fail_undefined(r, at, callee);
    return fail(r, at, "'%s' object is not callable", type_name(callee));
}

static jinja_status call_filter_entry(jinja_call *call, const env_entry *e, const jv *args,
                                      size_t nargs, const jv_kwarg *kwargs, size_t nkwargs,
                                      jv *result)
{
    *result = jv_none();
    if (!step(call->r, call->at))
        return JINJA_ERROR;
    jinja_status st = e->fn(call, e->userdata, args, nargs, kwargs, nkwargs, result);
    if (st == JINJA_ERROR && !call->r->err->set)
        fail(call->r, call->at, "filter '%s' failed", e->name);
    if (st == JINJA_RETURN)
        call->r->returning = true;
    return st;
}

/* x|f(args) where the chain's innermost value (a NULL operand) is base. */
static bool eval_filter(render *r, scope *sc, const node *n, const jv *base, jv *out)
{
    jv value;
    if (n->a) {
        if (n->a->kind == N_FILTER) {
            if (!eval_filter(r, sc, n->a, base, &value))
                return false;
        } else if (!eval(r, sc, n->a, &value)) {
            return false;
        }
    } else {
        value = *base;
    }
    const env_entry *e = jinja_table_find(&r->env->filters, n->name.s, n->name.hash);
    if (!e)
        return fail(r, n, "No filter named '%s'.", n->name.s);
    argv_t av = {0};
    if (!eval_args(r, sc, n, &n->args, &value, 1, jv_none(), NULL, &av))
        return false;
    jinja_call call = {.r = r, .sc = sc, .at = n};
    return call_filter_entry(&call, e, av.pos, av.npos, av.kw, av.nkw, out) == JINJA_OK;
}

static bool eval_test(render *r, scope *sc, const node *n, bool *out)
{
    jv value;
    if (!eval(r, sc, n->a, &value))
        return false;
    const env_entry *e = jinja_table_find(&r->env->tests, n->name.s, n->name.hash);
    if (!e)
        return fail(r, n, "No test named '%s'.", n->name.s);
    argv_t av = {0};
    if (!eval_args(r, sc, n, &n->args, &value, 1, jv_none(), NULL, &av))
        return false;
    jinja_call call = {.r = r, .sc = sc, .at = n};
    jv res = jv_bool(false);
    jinja_status st = e->fn(&call, e->userdata, av.pos, av.npos, av.kw, av.nkw, &res);
    if (!native_status(r, n, st, e->name))
        return false;
    *out = jv_truthy(res);
    return true;
}

/* --- expressions ---------------------------------------------------------- */
static bool eval_items(render *r, scope *sc, const node_list *l, jv *items)
{
    for (size_t i = 0; i < l->n; i++)
        if (!eval(r, sc, l->items[i], &items[i]))
            return false;
    return true;
}

static bool concat_part(render *r, const node *at, jv v, strbuf *sb)
{
    return emit(r, at, v, sb);
}

static bool eval(render *r, scope *sc, const node *n, jv *out)
{
    jv a, b;
    bool t = false;
    switch ((node_kind)n->kind) {
    case N_CONST:
        *out = n->value;
        return true;
    case N_NAME:
        *out = lookup(r, sc, n->name.s, n->name.hash);
        return true;
    case N_LIST: {
        jv list = jv_list(r->a);
        for (size_t i = 0; i < n->list.n; i++) {
            if (!eval(r, sc, n->list.items[i], &a))
                return false;
            jv_list_append(list, a);
        }
        *out = list;
        return true;
    }
    case N_TUPLE: {
        jv *items = arena_alloc(r->a, (n->list.n ? n->list.n : 1) * sizeof(jv));
        if (!eval_items(r, sc, &n->list, items))
            return false;
        *out = jv_tuple(r->a, items, n->list.n);
        return true;
    }
    case N_DICT: {
        jv d = jv_dict(r->a);
        for (size_t i = 0; i < n->list.n; i++) {
            if (!eval(r, sc, n->list.items[i], &a) || !eval(r, sc, n->list2.items[i], &b))
                return false;
            if (jv_unhashable(a))
                return fail(r, n->list.items[i], "unhashable type: '%s'", type_name(a));
            jv_dict_set(d, a, b);
        }
        *out = d;
        return true;
    }
    case N_BINOP:
        if (!eval(r, sc, n->a, &a) || !eval(r, sc, n->b, &b))
            return false;
        return binop(r, sc, n, n->op, a, b, out);
    case N_CONCAT: {
        /* operands take and give back buffers of their own, stack-wise */
        strbuf *sb = buf_get(r);
        for (size_t i = 0; i < n->list.n; i++) {
            if (!eval(r, sc, n->list.items[i], &a) || !concat_part(r, n, a, sb)) {
                buf_put(r);
                return false;
            }
        }
        *out = str_from_buf(r, sb);
        buf_put(r);
        return true;
    }
    case N_AND:
    case N_OR:
        if (!eval(r, sc, n->a, &a) || !truthy(r, n->a, a, &t))
            return false;
        if ((n->kind == N_AND) != t) {
            *out = a;
            return true;
        }
        return eval(r, sc, n->b, out);
    case N_NOT:
        if (n->a->kind == N_TEST) {
            if (!eval_test(r, sc, n->a, &t))
                return false;
        } else if (!eval(r, sc, n->a, &a) || !truthy(r, n->a, a, &t)) {
            return false;
        }
        *out = jv_bool(!t);
        return true;
    case N_NEG:
    case N_POS:
        if (!eval(r, sc, n->a, &a))
            return false;
        if (a.kind == JV_UNDEFINED)
            return fail_undefined(r, n, a);
        if (a.kind == JV_FLOAT) {
            *out = jv_float(n->kind == N_NEG ? -a.u.f : a.u.f);
        } else if (a.kind == JV_INT || a.kind == JV_BOOL) {
            int64_t x = as_int(a);
            if (n->kind == N_NEG && x == INT64_MIN)
                return overflow(r, n);
            *out = jv_int(n->kind == N_NEG ? -x : x);
        } else {
            return fail(r, n, "bad operand type for unary %s: '%s'", n->kind == N_NEG ? "-" : "+",
                        type_name(a));
        }
        return true;
    case N_COMPARE:
        if (!eval(r, sc, n->a, &a))
            return false;
        for (size_t i = 0; i < n->list.n; i++) {
            if (!eval(r, sc, n->list.items[i], &b) || !compare_op(r, n, n->ops[i], a, b, &t))
                return false;
            if (!t) {
                *out = jv_bool(false);
                return true;
            }
            a = b;
        }
        *out = jv_bool(true);
        return true;
    case N_CONDEXPR:
        if (!eval(r, sc, n->a, &a) || !truthy(r, n->a, a, &t))
            return false;
        if (t)
            return eval(r, sc, n->b, out);
        if (n->c)
            return eval(r, sc, n->c, out);
        *out = jv_undefined(NULL);
        return true;
    case N_GETATTR:
        if (!eval(r, sc, n->a, &a))
            return false;
        if (a.kind == JV_UNDEFINED)
            return fail_undefined(r, n, a);
        *out = getattr_value(r, sc, n, a, n->name.s);
        return !r->err->set;
    case N_GETITEM:
        if (!eval(r, sc, n->a, &a) || !eval(r, sc, n->b, &b))
            return false;
        if (a.kind == JV_UNDEFINED)
            return fail_undefined(r, n, a);
        *out = getitem_value(r, sc, n, a, b);
        return !r->err->set;
    case N_SLICE: {
        jv start = jv_none(), stop = jv_none(), step = jv_none();
        if (!eval(r, sc, n->a, &a))
            return false;
        if ((n->d && !eval(r, sc, n->d, &start)) || (n->b && !eval(r, sc, n->b, &stop)) ||
            (n->c && !eval(r, sc, n->c, &step)))
            return false;
        if (a.kind == JV_UNDEFINED)
            return fail_undefined(r, n, a);
        return slice_value(r, n, a, start, stop, step, out);
    }
    case N_CALL: {
        jv callee;
        if (!eval(r, sc, n->a, &callee))
            return false;
        argv_t av = {0};
        if (!eval_args(r, sc, n, &n->args, NULL, 0, jv_none(), NULL, &av))
            return false;
        return call_value(r, sc, n, callee, av.pos, av.npos, av.kw, av.nkw, out);
    }
    case N_FILTER:
        return eval_filter(r, sc, n, NULL, out);
    case N_TEST:
        if (!eval_test(r, sc, n, &t))
            return false;
        *out = jv_bool(t);
        return true;
    default:
        return fail(r, n, "%s", "internal error: statement used as expression");
    }
}

/* --- assignment ----------------------------------------------------------- */
static bool assign(render *r, scope *sc, const node *target, jv value, bool toplevel)
{
    if (target->kind == N_NAME) {
        var *v = scope_set(r, sc, target->name, value);
        v->exported = toplevel && target->name.s[0] != '_';
        return true;
    }
    if (target->kind == N_TUPLE || target->kind == N_LIST) {
        jv *items;
        size_t n;
        if (value.kind == JV_UNDEFINED)
            return fail_undefined(r, target, value);
        if (!iterate(r, target, value, &items, &n))
            return false;
        if (n < target->list.n)
            return fail(r, target, "not enough values to unpack (expected %zu, got %zu)",
                        target->list.n, n);
        if (n > target->list.n)
            return fail(r, target, "too many values to unpack (expected %zu)", target->list.n);
        for (size_t i = 0; i < n; i++)
            if (!assign(r, sc, target->list.items[i], items[i], toplevel))
                return false;
        return true;
    }
    if (target->kind == N_GETATTR) {
        jv ns = lookup(r, sc, target->a->name.s, target->a->name.hash);
        if (ns.kind != JV_OBJECT || jv_object_class(ns) != &jinja_namespace_class)
            return fail(r, target, "%s", "cannot assign attribute on non-namespace object");
        jv *dict = jv_object_self(ns);
        if (!jv_dict_set_str(*dict, target->name.s, value))
            return fail(r, target, "%s", "cannot assign to a read-only namespace");
        return true;
    }
    return fail(r, target, "%s", "cannot assign to this expression");
}

/* --- loops ---------------------------------------------------------------- */
/* A loop pulls its items one at a time, as Jinja2's LoopContext does: from a
 * list's items, or from a generator (consuming it as it goes), through the
 * loop's `if` filter, which is evaluated only when an item is pulled.
 * loop.length, loop.last and loop.nextitem pull ahead. */
typedef struct loop_state {
    render *r;
    arena *a;
    const node *loop; /* the S_FOR node: target in a, filter in c */
    scope *filter_sc; /* where the filter sees the loop variable */
    jv gen;           /* a generator source, else JV_UNDEFINED */
    const jv *src;    /* a list source's items */
    size_t nsrc, src_pos;
    jv *items; /* items pulled so far (src itself when there is nothing to pull) */
    size_t n, cap;
    bool exhausted;
    size_t i; /* the current iteration */
    jv last_changed;
    bool has_changed;
} loop_state;

/* The next item of the source; false at its end. */
static bool loop_next_source(loop_state *ls, jv *item)
{
    if (ls->gen.kind == JV_LIST) {
        jv *rest;
        if (!jv_gen_remaining(ls->gen, &rest))
            return false;
        *item = rest[0];
        jv_gen_consume(ls->gen, 1);
        return true;
    }
    if (ls->src_pos >= ls->nsrc)
        return false;
    *item = ls->src[ls->src_pos++];
    return true;
}

/* Pulls items until item k is there or the source ends; false on an error
 * in the filter (r->err set).  *have says whether item k exists. */
static bool loop_pull(loop_state *ls, size_t k, bool *have)
{
    render *r = ls->r;
    const node *n = ls->loop;
    while (!ls->exhausted && ls->n <= k) {
        jv item;
        if (!loop_next_source(ls, &item)) {
            ls->exhausted = true;
            break;
        }
        if (n->c) {
            bool keep = false;
            jv v;
            ls->filter_sc->n = 0;
            if (!assign(r, ls->filter_sc, n->a, item, false) || !eval(r, ls->filter_sc, n->c, &v) ||
                !truthy(r, n->c, v, &keep))
                return false;
            if (!keep)
                continue;
        }
        if (ls->n == ls->cap) {
            size_t cap = ls->cap ? ls->cap * 2 : 8;
            jv *items = arena_alloc(ls->a, cap * sizeof(jv));
            if (ls->n)
                memcpy(items, ls->items, ls->n * sizeof(jv));
            ls->items = items;
            ls->cap = cap;
        }
        ls->items[ls->n++] = item;
    }
    *have = k < ls->n;
    return true;
}

/* Pulls everything (loop.length needs it); false on an error. */
static bool loop_pull_all(loop_state *ls)
{
    bool have;
    return loop_pull(ls, SIZE_MAX - 1, &have);
}

static jinja_status loop_cycle(jinja_call *call, void *ud, const jv *args, size_t nargs,
                               const jv_kwarg *kwargs, size_t nkwargs, jv *result)
{
    loop_state *ls = ud;
    if (nargs == 0)
        return jinja_call_error(call, "no items for cycling given");
    *result = args[ls->i % nargs];
    return JINJA_OK;
}

static jinja_status loop_changed(jinja_call *call, void *ud, const jv *args, size_t nargs,
                                 const jv_kwarg *kwargs, size_t nkwargs, jv *result)
{
    loop_state *ls = ud;
    jv now = jv_tuple(ls->a, args, nargs);
    bool changed = !ls->has_changed || !jv_equal(now, ls->last_changed);
    if (changed) {
        jv *copy = arena_alloc(ls->a, (nargs ? nargs : 1) * sizeof(jv));
        memcpy(copy, args, nargs * sizeof(jv));
        ls->last_changed = jv_tuple(ls->a, copy, nargs);
        ls->has_changed = true;
    }
    *result = jv_bool(changed);
    return JINJA_OK;
}

static jv loop_getattr(struct jinja_call *call, void *self, const char *attr)
{
    loop_state *ls = self;
    size_t i = ls->i;
    bool have = false;
    if (!strcmp(attr, "index"))
        return jv_int((int64_t)i + 1);
    if (!strcmp(attr, "index0"))
        return jv_int((int64_t)i);
    if (!strcmp(attr, "first"))
        return jv_bool(i == 0);
    if (!strcmp(attr, "depth"))
        return jv_int(1);
    if (!strcmp(attr, "depth0"))
        return jv_int(0);
    if (!strcmp(attr, "previtem"))
        return i > 0 ? ls->items[i - 1] : jv_undefined("previtem");
    if (!strcmp(attr, "cycle"))
        return jinja_native(ls->a, "cycle", loop_cycle, ls);
    if (!strcmp(attr, "changed"))
        return jinja_native(ls->a, "changed", loop_changed, ls);
    if (!strcmp(attr, "last") || !strcmp(attr, "nextitem")) {
        if (!loop_pull(ls, i + 1, &have))
            return jv_undefined(attr);
        if (attr[0] == 'l')
            return jv_bool(!have);
        return have ? ls->items[i + 1] : jv_undefined("nextitem");
    }
    if (!strcmp(attr, "length") || !strcmp(attr, "revindex") || !strcmp(attr, "revindex0")) {
        if (!loop_pull_all(ls))
            return jv_undefined(attr);
        size_t n = ls->n;
        return jv_int((int64_t)(attr[0] == 'l' ? n : attr[8] ? n - i - 1 : n - i));
    }
    return jv_undefined(attr);
}

static void loop_str(void *self, strbuf *out)
{
    loop_state *ls = self;
    if (!loop_pull_all(ls))
        return;
    strbuf_addf(out, "<LoopContext %zu/%zu>", ls->i + 1, ls->n);
}

static const jv_class loop_class = {
    .name = "LoopContext",
    .getattr = loop_getattr,
    .str = loop_str,
};

static const name_ref LOOP_NAME = {"loop", 0};

static xstatus exec_for(render *r, scope *sc, const node *n, strbuf *out)
{
    jv iter;
    if (!eval(r, sc, n->b, &iter))
        return X_FAIL;
    loop_state *ls = ARENA_NEW(r->a, loop_state);
    ls->r = r;
    ls->a = r->a;
    ls->loop = n;
    ls->gen = jv_undefined(NULL);
    if (jv_is_generator(iter)) {
        ls->gen = iter;
    } else {
        jv *items;
        size_t count;
        if (!iterate(r, n->b, iter, &items, &count))
            return X_FAIL;
        if (n->c) {
            ls->src = items;
            ls->nsrc = count;
        } else {
            /* nothing to pull: the items are all there */
            ls->items = items;
            ls->n = ls->cap = count;
            ls->exhausted = true;
        }
    }
    if (n->c)
        ls->filter_sc = scope_new(r, sc);
    scope *body = scope_new(r, sc);
    /* Jinja2 runs the else block unless some iteration ran to its end (so
     * a break or continue in every iteration still runs it) */
    bool iterated = false, have = false;
    jv loop = jv_object(r->a, &loop_class, ls);
    name_ref loop_name = {LOOP_NAME.s, jinja_hash(LOOP_NAME.s)};
    for (size_t i = 0;; i++) {
        if (!loop_pull(ls, i, &have))
            return X_FAIL;
        if (!have)
            break;
        if (!step(r, n))
            return X_FAIL;
        ls->i = i;
        /* an empty scope each iteration: sets inside do not carry over */
        if (n->flags & NF_FRESH_SCOPE)
            body = scope_new(r, sc);
        else
            body->n = 0;
        scope_set(r, body, loop_name, loop);
        if (!assign(r, body, n->a, ls->items[i], false))
            return X_FAIL;
        xstatus st = exec_body(r, body, &n->list, out);
        if (st == X_BREAK)
            break;
        if (st == X_FAIL || r->err->set)
            return X_FAIL;
        if (st == X_OK)
            iterated = true;
    }
    /* the else block has a scope of its own: its sets do not leak */
    if (!iterated && n->list2.n)
        return exec_body(r, scope_new(r, sc), &n->list2, out);
    return X_OK;
}

/* --- template inheritance -------------------------------------------------- */
/* Each {% block %} name maps to its overrides, most derived first: a child's
 * blocks, then (once its {% extends %} ran) its parent's, and so on. */
typedef struct block_def {
    const jinja_template *tmpl;
    const node *node;
} block_def;

typedef struct block_chain {
    name_ref name;
    block_def *defs;
    size_t n, cap;
} block_chain;

/* One template rendered at top level (by render, include or import) with
 * the templates it extends.  In the arena: `self` can outlive the call. */
typedef struct root {
    const jinja_template *first; /* the template asked for; `self` names it */
    block_chain *chains;
    size_t nchains, cap;
    scope *top; /* the top scope of the template running now */
    strbuf *out;
    const jinja_template *parent; /* set by {% extends %} */
    const node *extends_at;
} root;

static block_chain *root_chain(root *rt, const char *name, uint32_t hash)
{
    for (size_t i = 0; i < rt->nchains; i++)
        if (rt->chains[i].name.hash == hash && !strcmp(rt->chains[i].name.s, name))
            return &rt->chains[i];
    return NULL;
}

/* Appends t's blocks to their chains (t is the next template up). */
static void root_add_blocks(render *r, root *rt, const jinja_template *t)
{
    for (size_t i = 0; i < t->blocks.n; i++) {
        const node *b = t->blocks.items[i];
        block_chain *c = root_chain(rt, b->name.s, b->name.hash);
        if (!c) {
            if (rt->nchains == rt->cap) {
                size_t cap = rt->cap ? rt->cap * 2 : 8;
                block_chain *chains = arena_alloc(r->a, cap * sizeof *chains);
                if (rt->nchains)
                    memcpy(chains, rt->chains, rt->nchains * sizeof *chains);
                rt->chains = chains;
                rt->cap = cap;
            }
            c = &rt->chains[rt->nchains++];
            memset(c, 0, sizeof *c);
            c->name = b->name;
        }
        if (c->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 4;
            block_def *defs = arena_alloc(r->a, cap * sizeof *defs);
            if (c->n)
                memcpy(defs, c->defs, c->n * sizeof *defs);
            c->defs = defs;
            c->cap = cap;
        }
        c->defs[c->n++] = (block_def){t, b};
    }
}

/* A block's `super` and `self.NAME`: which override of which chain. */
typedef struct block_ref {
    root *rt;
    block_chain *chain;
    size_t k;
    scope *sc; /* what the block sees; NULL for the root's top level */
} block_ref;

static bool render_block(render *r, block_ref ref, strbuf *out);
static const jinja_template *load_template(render *r, const node *at, jv name, bool *missing);
static const jinja_template *load_or_fail(render *r, const node *at, jv name);
static void fail_not_found(render *r, const node *at, jv name);

static jinja_status block_call(jinja_call *call, void *ud, const jv *args, size_t nargs,
                               const jv_kwarg *kwargs, size_t nkwargs, jv *result)
{
    block_ref *ref = ud;
    render *r = call->r;
    if (ref->k >= ref->chain->n)
        return jinja_call_error(call, "there is no parent block called '%s'.", ref->chain->name.s);
    strbuf *buf = buf_get(r);
    bool ok = render_block(r, *ref, buf);
    *result = str_from_buf(r, buf);
    buf_put(r);
    return ok ? JINJA_OK : JINJA_ERROR;
}

/* Renders override k of a chain, seeing ref.sc's names. */
static bool render_block(render *r, block_ref ref, strbuf *out)
{
    const block_def *d = &ref.chain->defs[ref.k];
    const jinja_template *saved = r->tmpl;
    if (d->node->flags & NF_REQUIRED) {
        return fail(r, d->node, "Required block '%s' not found", d->node->name.s);
    }
    if (r->depth >= r->max_depth)
        return fail(r, d->node, "maximum recursion depth exceeded (%d nested blocks)",
                    r->max_depth);
    scope *inner = scope_new(r, ref.sc ? ref.sc : ref.rt->top);
    block_ref *up = ARENA_NEW(r->a, block_ref);
    *up = ref;
    up->k++;
    static const name_ref super_name = {"super", 0};
    scope_set(r, inner, (name_ref){super_name.s, jinja_hash(super_name.s)},
              jinja_native(r->a, "super", block_call, up));
    r->tmpl = d->tmpl;
    r->depth++;
    xstatus st = exec_body(r, inner, &d->node->list, out);
    r->depth--;
    r->tmpl = saved;
    return st != X_FAIL;
}

static xstatus exec_block(render *r, scope *sc, const node *n, strbuf *out)
{
    root *rt = r->root;
    if (rt && rt->parent)
        return X_OK; /* after {% extends %}, the parent renders the blocks */
    block_chain *c = rt ? root_chain(rt, n->name.s, n->name.hash) : NULL;
    if (!c) {
        /* a block outside any root's table (in a macro of another template) */
        return exec_body(r, scope_new(r, sc), &n->list, out);
    }
    /* a block sees the root's top-level names, and those where it stands
     * only when the block there is scoped (its overrides need not say so) */
    block_ref ref = {rt, c, 0, (n->flags & NF_SCOPED) ? sc : NULL};
    return render_block(r, ref, out) ? X_OK : X_FAIL;
}

static xstatus exec_extends(render *r, scope *sc, const node *n)
{
    root *rt = r->root;
    if (!rt) {
        fail(r, n, "%s", "{% extends %} outside a template's top level");
        return X_FAIL;
    }
    if (rt->parent) {
        fail(r, n, "%s", "extended multiple times");
        return X_FAIL;
    }
    jv name;
    if (!eval(r, sc, n->a, &name))
        return X_FAIL;
    if (name.kind == JV_UNDEFINED) {
        fail_undefined(r, n->a, name);
        return X_FAIL;
    }
    const jinja_template *t = load_or_fail(r, n, name);
    if (!t)
        return X_FAIL;
    rt->parent = t;
    rt->extends_at = n;
    return X_OK;
}

static jv template_ref_getattr(struct jinja_call *call, void *self, const char *attr)
{
    root *rt = self;
    block_chain *c = root_chain(rt, attr, jinja_hash(attr));
    if (!c)
        return jv_undefined(attr);
    block_ref *ref = ARENA_NEW(jinja_call_arena(call), block_ref);
    *ref = (block_ref){rt, c, 0, NULL};
    return jinja_native(jinja_call_arena(call), attr, block_call, ref);
}

static void template_ref_str(void *self, strbuf *out)
{
    root *rt = self;
    strbuf_addf(out, "<TemplateReference '%s'>", rt->first->src.name);
}

static const jv_class template_ref_class = {
    .name = "TemplateReference",
    .getattr = template_ref_getattr,
    .str = template_ref_str,
};

/* Runs t at top level in scope top, then the templates it extends, each in
 * a top scope of its own below the previous one (so a child's top-level
 * names reach its parent's blocks).  *last is the last top scope. */
static xstatus render_root(render *r, const jinja_template *t, scope *top, strbuf *out,
                           scope **last)
{
    root *rt = ARENA_NEW(r->a, root);
    rt->first = t;
    rt->top = top;
    rt->out = out;
    root *saved_root = r->root;
    const jinja_template *saved_tmpl = r->tmpl;
    r->root = rt;
    root_add_blocks(r, rt, t);
    if (t->uses_self) {
        static const name_ref self_name = {"self", 0};
        scope_set(r, top, (name_ref){self_name.s, jinja_hash(self_name.s)},
                  jv_object(r->a, &template_ref_class, rt));
    }
    r->tmpl = t;
    xstatus st = exec_body(r, top, &t->body, out);
    int levels = 0;
    while (st != X_FAIL && rt->parent) {
        const jinja_template *parent = rt->parent;
        if (++levels > r->max_depth) {
            fail(r, rt->extends_at, "maximum recursion depth exceeded (%d levels of extends)",
                 r->max_depth);
            st = X_FAIL;
            break;
        }
        rt->parent = NULL;
        root_add_blocks(r, rt, parent);
        scope *up = scope_new(r, rt->top);
        up->toplevel = top->toplevel;
        up->hides_loop = top->hides_loop;
        rt->top = up;
        r->tmpl = parent;
        st = exec_body(r, up, &parent->body, out);
    }
    if (last)
        *last = rt->top;
    r->root = saved_root;
    r->tmpl = saved_tmpl;
    return st;
}

/* --- include and import --------------------------------------------------- */
static const jinja_template *load_template(render *r, const node *at, jv name, bool *missing)
{
    if (name.kind != JV_STRING) {
        fail(r, at, "template name must be a string, not '%s'", type_name(name));
        return NULL;
    }
    mlerr err = MLERR_INIT;
    const jinja_template *t = jinja_env_load(r->env, jv_str_ptr(name), missing, &err);
    if (!t && !*missing) {
        mlerr_set(r->err, EXIT_HANDLED, "%s", mlerr_message(&err));
        mlerr_clear(&err);
        return NULL;
    }
    mlerr_clear(&err);
    return t;
}

static void fail_not_found(render *r, const node *at, jv name)
{
    strbuf msg = STRBUF_INIT;
    jv_to_str(name, &msg);
    fail(r, at, "template '%s' not found", strbuf_str(&msg));
    strbuf_release(&msg);
}

/* load_template for extends and import, where a missing template is an
 * error (include may ignore it). */
static const jinja_template *load_or_fail(render *r, const node *at, jv name)
{
    bool missing = false;
    const jinja_template *t = load_template(r, at, name, &missing);
    if (!t && missing)
        fail_not_found(r, at, name);
    return t;
}

static jv module_getattr(struct jinja_call *call, void *self, const char *attr)
{
    jv *dict = self;
    jv v = jv_dict_get_str(*dict, attr);
    return v.kind == JV_UNDEFINED ? jv_undefined(attr) : v;
}

static void module_str(void *self, strbuf *out)
{
    strbuf_adds(out, "<TemplateModule>");
}

static const jv_class module_class = {
    .name = "TemplateModule",
    .getattr = module_getattr,
    .str = module_str,
};

/* Runs t's top level and gathers its exports into *module (a dict). */
static bool make_module(render *r, const node *at, const jinja_template *t, scope *parent,
                        bool hide_context, jv *module)
{
    if (r->depth >= r->max_depth)
        return fail(r, at, "maximum recursion depth exceeded (%d nested imports)", r->max_depth);
    scope *top = scope_new(r, parent);
    top->hide_context = hide_context;
    top->toplevel = true;
    r->depth++;
    strbuf *discard = buf_get(r);
    scope *last = top;
    xstatus st = render_root(r, t, top, discard, &last);
    buf_put(r);
    r->depth--;
    if (st == X_FAIL) {
        if (!r->returning)
            return false;
        r->returning = false;
    }
    /* the exports of t, then of the templates it extends, which ran later */
    size_t levels = 0;
    for (scope *s = last; s != top; s = s->parent)
        levels++;
    jv d = jv_dict(r->a);
    for (size_t k = levels + 1; k-- > 0;) {
        scope *s = last;
        for (size_t up = 0; up < k; up++)
            s = s->parent;
        for (uint32_t i = 0; i < s->n; i++)
            if (s->vars[i].exported)
                jv_dict_set_str(d, s->vars[i].name, s->vars[i].value);
    }
    *module = d;
    return true;
}

static xstatus exec_include(render *r, scope *sc, const node *n, strbuf *out)
{
    jv name;
    if (!eval(r, sc, n->a, &name))
        return X_FAIL;
    const jinja_template *t = NULL;
    bool missing = true;
    if (name.kind == JV_LIST) {
        for (size_t i = 0; i < jv_list_len(name) && !t; i++) {
            t = load_template(r, n, jv_list_get(name, i), &missing);
            if (!t && !missing)
                return X_FAIL;
        }
    } else {
        t = load_template(r, n, name, &missing);
        if (!t && !missing)
            return X_FAIL;
    }
    if (!t) {
        if (n->flags & NF_IGNORE_MISSING)
            return X_OK;
        fail_not_found(r, n, name);
        return X_FAIL;
    }
    if (r->depth >= r->max_depth) {
        fail(r, n, "maximum recursion depth exceeded (%d nested includes)", r->max_depth);
        return X_FAIL;
    }
    bool with_context = n->flags & NF_WITH_CONTEXT;
    scope *top = scope_new(r, with_context ? sc : NULL);
    top->hide_context = !with_context;
    top->toplevel = true;
    top->hides_loop = true;
    r->depth++;
    xstatus st = render_root(r, t, top, out, NULL);
    r->depth--;
    return st == X_FAIL ? X_FAIL : X_OK;
}

static bool import_module(render *r, scope *sc, const node *n, jv *module)
{
    jv name;
    if (!eval(r, sc, n->a, &name))
        return false;
    const jinja_template *t = load_or_fail(r, n, name);
    if (!t)
        return false;
    if (n->flags & NF_WITH_CONTEXT)
        return make_module(r, n, t, sc, false, module);
    for (module_cache *m = r->modules; m; m = m->next) {
        if (m->tmpl == t) {
            *module = m->module;
            return true;
        }
    }
    if (!make_module(r, n, t, NULL, true, module))
        return false;
    module_cache *m = ARENA_NEW(r->a, module_cache);
    m->tmpl = t;
    m->module = *module;
    m->next = r->modules;
    r->modules = m;
    return true;
}

/* --- statements ----------------------------------------------------------- */
static bool is_toplevel(const scope *sc)
{
    return sc->toplevel;
}

/* After {% extends %} ran, the template's own text and {{ }} output is
 * dropped (Jinja2's output check); macros, set blocks and includes write
 * elsewhere or have roots of their own, so they are not. */
static bool dropped_output(const render *r, const strbuf *out)
{
    return r->root && r->root->parent && out == r->root->out;
}

static xstatus exec_node(render *r, scope *sc, const node *n, strbuf *out)
{
    jv v;
    bool t = false;
    switch ((node_kind)n->kind) {
    case S_DATA:
        if (dropped_output(r, out))
            return X_OK;
        strbuf_add(out, jv_str_ptr(n->value), jv_str_len(n->value));
        r->output_bytes += jv_str_len(n->value);
        return X_OK;
    case S_OUTPUT:
        if (dropped_output(r, out))
            return X_OK;
        if (n->a->kind == N_CONST && n->a->value.kind == JV_STRING) {
            strbuf_add(out, jv_str_ptr(n->a->value), jv_str_len(n->a->value));
            return X_OK;
        }
        return eval(r, sc, n->a, &v) && emit(r, n->a, v, out) ? X_OK : X_FAIL;
    case S_IF:
        if (!eval(r, sc, n->a, &v) || !truthy(r, n->a, v, &t))
            return X_FAIL;
        return exec_body(r, sc, t ? &n->list : &n->list2, out);
    case S_FOR:
        return exec_for(r, sc, n, out);
    case S_SET:
        return eval(r, sc, n->b, &v) && assign(r, sc, n->a, v, is_toplevel(sc)) ? X_OK : X_FAIL;
    case S_SET_BLOCK:
    case S_FILTER_BLOCK: {
        strbuf *buf = buf_get(r);
        scope *inner = scope_new(r, sc);
        xstatus st = exec_body(r, inner, &n->list, buf);
        if (st != X_OK) {
            /* a break or continue inside leaves the block unfinished */
            buf_put(r);
            return st;
        }
        v = str_from_buf(r, buf);
        buf_put(r);
        if (n->c && !eval_filter(r, sc, n->c, &v, &v))
            return X_FAIL;
        if (n->kind == S_FILTER_BLOCK)
            return emit(r, n, v, out) ? X_OK : X_FAIL;
        return assign(r, sc, n->a, v, is_toplevel(sc)) ? X_OK : X_FAIL;
    }
    case S_MACRO: {
        jv_callable *c = ARENA_NEW(r->a, jv_callable);
        c->name = n->macro->name.s;
        c->macro = n->macro;
        c->tmpl = r->tmpl;
        c->closure = sc;
        v = (jv){.kind = JV_CALLABLE};
        v.u.c = c;
        var *x = scope_set(r, sc, n->macro->name, v);
        x->exported = is_toplevel(sc) && n->macro->name.s[0] != '_';
        return X_OK;
    }
    case S_CALL_BLOCK: {
        jv_callable *c = ARENA_NEW(r->a, jv_callable);
        c->name = "caller";
        c->macro = n->macro;
        c->tmpl = r->tmpl;
        c->closure = sc;
        jv caller = {.kind = JV_CALLABLE};
        caller.u.c = c;
        const node *call = n->a;
        jv callee;
        argv_t av = {0};
        if (!eval(r, sc, call->a, &callee) ||
            !eval_args(r, sc, call, &call->args, NULL, 0, caller, "caller", &av) ||
            !call_value(r, sc, call, callee, av.pos, av.npos, av.kw, av.nkw, &v))
            return X_FAIL;
        return emit(r, n, v, out) ? X_OK : X_FAIL;
    }
    case S_DO:
        return eval(r, sc, n->a, &v) ? X_OK : X_FAIL;
    case S_BREAK:
        return X_BREAK;
    case S_CONTINUE:
        return X_CONTINUE;
    case S_INCLUDE:
        return exec_include(r, sc, n, out);
    case S_IMPORT: {
        jv module;
        if (!import_module(r, sc, n, &module))
            return X_FAIL;
        jv *self = ARENA_NEW(r->a, jv);
        *self = module;
        scope_set(r, sc, n->name, jv_object(r->a, &module_class, self));
        return X_OK;
    }
    case S_FROM_IMPORT: {
        jv module;
        if (!import_module(r, sc, n, &module))
            return X_FAIL;
        for (size_t i = 0; i < n->nnames; i++) {
            /* a name the module lacks is undefined, as in Jinja2 */
            v = jv_dict_get_str(module, n->names[i].s);
            if (v.kind == JV_UNDEFINED)
                v = jv_undefined(n->aliases[i].s);
            scope_set(r, sc, n->aliases[i], v);
        }
        return X_OK;
    }
    case S_WITH: {
        scope *inner = scope_new(r, sc);
        for (size_t i = 0; i < n->list2.n; i++) {
            if (!eval(r, sc, n->b->list.items[i], &v) ||
                !assign(r, inner, n->list2.items[i], v, false))
                return X_FAIL;
        }
        return exec_body(r, inner, &n->list, out);
    }
    case S_BLOCK:
        return exec_block(r, sc, n, out);
    case S_EXTENDS:
        return exec_extends(r, sc, n);
    default:
        fail(r, n, "%s", "internal error: expression used as statement");
        return X_FAIL;
    }
}

static xstatus exec_body(render *r, scope *sc, const node_list *body, strbuf *out)
{
    for (size_t i = 0; i < body->n; i++) {
        xstatus st = exec_node(r, sc, body->items[i], out);
        if (st != X_OK)
            return st;
    }
    return X_OK;
}

/* --- public entry points -------------------------------------------------- */
static void render_init(render *r, jinja_env *env, const jinja_render_opts *opts, arena *a,
                        mlerr *err)
{
    memset(r, 0, sizeof(*r));
    r->env = env;
    r->a = a;
    r->context = opts && opts->context.kind == JV_DICT ? opts->context : jv_undefined(NULL);
    r->host = opts ? opts->host : NULL;
    r->err = err;
    r->undef = env->undefined;
    r->max_depth = opts && opts->max_depth > 0 ? opts->max_depth : DEFAULT_MAX_DEPTH;
}

bool jinja_render(const jinja_template *t, const jinja_render_opts *opts, strbuf *out, mlerr *err)
{
    arena private_arena = ARENA_INIT;
    arena *a = opts && opts->arena ? opts->arena : &private_arena;
    mlerr local = MLERR_INIT;
    if (!err)
        err = &local;
    render r;
    render_init(&r, t->env, opts, a, err);
    r.tmpl = t;
    scope *top = scope_new(&r, NULL);
    top->toplevel = true;
    xstatus st = render_root(&r, t, top, out, NULL);
    bool ok = st != X_FAIL || r.returning;
    render_release(&r);
    arena_free(&private_arena);
    mlerr_clear(&local);
    return ok;
}

bool jinja_module(const jinja_template *t, const jinja_render_opts *opts, jv *module, mlerr *err)
{
    if (!opts || !opts->arena) {
        mlerr_set(err, EXIT_SETUP, "jinja_module needs opts->arena for the module's values");
        return false;
    }
    render r;
    render_init(&r, t->env, opts, opts->arena, err);
    r.tmpl = t;
    r.depth = -1; /* make_module counts this level */
    bool ok = make_module(&r, NULL, t, NULL, false, module);
    render_release(&r);
    return ok;
}

bool jinja_invoke(const jinja_env *env, jv callable, const jinja_render_opts *opts, const jv *args,
                  size_t nargs, const jv_kwarg *kwargs, size_t nkwargs, jv *result, mlerr *err)
{
    if (!opts || !opts->arena) {
        mlerr_set(err, EXIT_SETUP, "jinja_invoke needs opts->arena for the result");
        return false;
    }
    render r;
    render_init(&r, (jinja_env *)env, opts, opts->arena, err);
    static const jinja_template no_template = {.src = {.name = "<host>"}};
    r.tmpl = callable.kind == JV_CALLABLE && callable.u.c->tmpl ? callable.u.c->tmpl : &no_template;
    bool ok = call_value(&r, NULL, NULL, callable, args, nargs, kwargs, nkwargs, result);
    if (!ok && r.returning) {
        *result = r.return_value;
        ok = true;
    }
    render_release(&r);
    return ok;
}

/* --- inside a native function --------------------------------------------- */
arena *jinja_call_arena(jinja_call *call)
{
    return call->r->a;
}

void *jinja_call_host(jinja_call *call)
{
    return call->r->host;
}

jv jinja_call_context(jinja_call *call)
{
    return call->r->context;
}

jv jinja_call_lookup(jinja_call *call, const char *name)
{
    return lookup(call->r, call->sc, name, jinja_hash(name));
}

jinja_status jinja_call_invoke(jinja_call *call, jv callable, const jv *args, size_t nargs,
                               const jv_kwarg *kwargs, size_t nkwargs, jv *result)
{
    render *r = call->r;
    if (call_value(r, call->sc, call->at, callable, args, nargs, kwargs, nkwargs, result))
        return JINJA_OK;
    if (r->returning) {
        /* a native's own return() escapes through the caller */
        return JINJA_RETURN;
    }
    return JINJA_ERROR;
}

jinja_status jinja_call_error(jinja_call *call, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    render *r = call->r;
    const node *at = call->at;
    jinja_error_atv(r->err, &r->tmpl->src, at ? at->line : 0, at ? at->col : 0, fmt, ap);
    va_end(ap);
    return JINJA_ERROR;
}

jinja_status jinja_call_return(jinja_call *call, jv value)
{
    call->r->return_value = value;
    call->r->returning = true;
    return JINJA_RETURN;
}

jinja_status jinja_call_filter(jinja_call *call, const char *name, const jv *args, size_t nargs,
                               const jv_kwarg *kwargs, size_t nkwargs, jv *result)
{
    const env_entry *e = jinja_table_find(&call->r->env->filters, name, jinja_hash(name));
    if (!e)
        return jinja_call_error(call, "No filter named '%s'.", name);
    return call_filter_entry(call, e, args, nargs, kwargs, nkwargs, result);
}

jinja_status jinja_call_test(jinja_call *call, const char *name, const jv *args, size_t nargs,
                             const jv_kwarg *kwargs, size_t nkwargs, bool *result)
{
    const env_entry *e = jinja_table_find(&call->r->env->tests, name, jinja_hash(name));
    if (!e)
        return jinja_call_error(call, "No test named '%s'.", name);
    jv res = jv_bool(false);
    jinja_status st = e->fn(call, e->userdata, args, nargs, kwargs, nkwargs, &res);
    if (st == JINJA_ERROR && !call->r->err->set)
        jinja_call_error(call, "test '%s' failed", name);
    *result = jv_truthy(res);
    return st;
}

jv jinja_call_getattr(jinja_call *call, jv obj, const char *attr)
{
    if (obj.kind == JV_UNDEFINED)
        return obj;
    return getattr_value(call->r, call->sc, call->at, obj, attr);
}

jv jinja_call_getitem(jinja_call *call, jv obj, jv key)
{
    if (obj.kind == JV_UNDEFINED)
        return obj;
    return getitem_value(call->r, call->sc, call->at, obj, key);
}

jinja_undefined_mode jinja_call_undefined_mode(jinja_call *call)
{
    return call->r->undef;
}

void jinja_callable_to_str(jv callable, strbuf *out)
{
    const jv_callable *c = callable.kind == JV_CALLABLE ? callable.u.c : NULL;
    if (!c)
        return;
    if (c->macro)
        strbuf_addf(out, "<Macro '%s'>", c->name);
    else
        strbuf_addf(out, "<function %s>", c->name);
}
