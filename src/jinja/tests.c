/* tests: Jinja2 3.1's built-in tests (`x is odd`, `x is divisibleby(3)`,
 * ...), with Python semantics; jinja2/tests.py is the reference.  A test
 * is a native function whose result is a bool. */
#include "jinja/ast.h" /* the env's filter and test tables, for `is filter` */
#include "jinja/builtin_util.h"
#include "jinja/pystr.h"

#include <math.h>
#include <string.h>

#define TESTFN(name)                                                                               \
    static jinja_status name(jinja_call *call, void *ud, const jv *args, size_t nargs,             \
                             const jv_kwarg *kwargs, size_t nkwargs, jv *result)

#define BIND(fname, req, ...)                                                                      \
    static const char *const params_[] = {__VA_ARGS__};                                            \
    jv p[sizeof params_ / sizeof params_[0]];                                                      \
    if (!bi_bind(call, fname, params_, sizeof params_ / sizeof params_[0], req, args, nargs,       \
                 kwargs, nkwargs, p))                                                              \
        return JINJA_ERROR;

static jinja_status yes(jv *result, bool b)
{
    *result = jv_bool(b);
    return JINJA_OK;
}

static bool is_num(jv v)
{
    return v.kind == JV_INT || v.kind == JV_BOOL || v.kind == JV_FLOAT;
}

static double as_double(jv v)
{
    return v.kind == JV_FLOAT ? v.u.f : (double)(v.kind == JV_INT ? v.u.i : v.u.b);
}

/* Python's value % num == 0 for ints and floats; an error otherwise. */
static jinja_status modulo_is(jinja_call *call, jv value, jv num, int64_t want, bool *out)
{
    if (value.kind == JV_UNDEFINED || num.kind == JV_UNDEFINED)
        return bi_undefined_error(call, value.kind == JV_UNDEFINED ? value : num);
    if (!is_num(value) || !is_num(num))
        return jinja_call_error(call, "unsupported operand type(s) for %%: '%s' and '%s'",
                                jv_kind_name(value), jv_kind_name(num));
    if (value.kind != JV_FLOAT && num.kind != JV_FLOAT) {
        int64_t a = value.kind == JV_INT ? value.u.i : value.u.b;
        int64_t b = num.kind == JV_INT ? num.u.i : num.u.b;
        if (b == 0)
            return jinja_call_error(call, "integer division or modulo by zero");
        int64_t r = (b == -1) ? 0 : a % b;
        if (r != 0 && ((r < 0) != (b < 0)))
            r += b;
        *out = r == want;
        return JINJA_OK;
    }
    double a = as_double(value), b = as_double(num);
    if (b == 0)
        return jinja_call_error(call, "float modulo");
    double r = fmod(a, b);
    if (r != 0 && ((r < 0) != (b < 0)))
        r += b;
    *out = r == (double)want;
    return JINJA_OK;
}

TESTFN(t_odd)
{
    BIND("test_odd", 1, "value");
    bool b = false;
    jinja_status st = modulo_is(call, p[0], jv_int(2), 1, &b);
    return st == JINJA_OK ? yes(result, b) : st;
}

TESTFN(t_even)
{
    BIND("test_even", 1, "value");
    bool b = false;
    jinja_status st = modulo_is(call, p[0], jv_int(2), 0, &b);
    return st == JINJA_OK ? yes(result, b) : st;
}

TESTFN(t_divisibleby)
{
    BIND("test_divisibleby", 2, "value", "num");
    bool b = false;
    jinja_status st = modulo_is(call, p[0], p[1], 0, &b);
    return st == JINJA_OK ? yes(result, b) : st;
}

TESTFN(t_defined)
{
    BIND("test_defined", 1, "value");
    return yes(result, p[0].kind != JV_UNDEFINED);
}

TESTFN(t_undefined)
{
    BIND("test_undefined", 1, "value");
    return yes(result, p[0].kind == JV_UNDEFINED);
}

TESTFN(t_none)
{
    BIND("test_none", 1, "value");
    return yes(result, p[0].kind == JV_NONE);
}

TESTFN(t_boolean)
{
    BIND("test_boolean", 1, "value");
    return yes(result, p[0].kind == JV_BOOL);
}

TESTFN(t_false)
{
    BIND("test_false", 1, "value");
    return yes(result, p[0].kind == JV_BOOL && !p[0].u.b);
}

TESTFN(t_true)
{
    BIND("test_true", 1, "value");
    return yes(result, p[0].kind == JV_BOOL && p[0].u.b);
}

TESTFN(t_integer)
{
    BIND("test_integer", 1, "value");
    return yes(result, p[0].kind == JV_INT);
}

TESTFN(t_float)
{
    BIND("test_float", 1, "value");
    return yes(result, p[0].kind == JV_FLOAT);
}

TESTFN(t_number)
{
    BIND("test_number", 1, "value");
    return yes(result, is_num(p[0]));
}

TESTFN(t_string)
{
    BIND("test_string", 1, "value");
    return yes(result, p[0].kind == JV_STRING);
}

TESTFN(t_mapping)
{
    BIND("test_mapping", 1, "value");
    return yes(result, p[0].kind == JV_DICT);
}

TESTFN(t_lower)
{
    BIND("test_lower", 1, "value");
    jv s;
    if (!bi_str(call, p[0], &s))
        return JINJA_ERROR;
    return yes(result, pystr_islower(jv_str_ptr(s), jv_str_len(s)));
}

TESTFN(t_upper)
{
    BIND("test_upper", 1, "value");
    jv s;
    if (!bi_str(call, p[0], &s))
        return JINJA_ERROR;
    return yes(result, pystr_isupper(jv_str_ptr(s), jv_str_len(s)));
}

static bool strict(jinja_call *call)
{
    return jinja_call_undefined_mode(call) == JINJA_UNDEFINED_STRICT;
}

TESTFN(t_sequence)
{
    BIND("test_sequence", 1, "value");
    jv v = p[0];
    /* len() and __getitem__: strings, lists, dicts -- and Undefined, which
     * has both (in strict mode len() fails, so it is no sequence). */
    bool seq = v.kind == JV_STRING || v.kind == JV_DICT ||
               (v.kind == JV_LIST && !(v.flags & JV_FLAG_GENERATOR)) ||
               (v.kind == JV_UNDEFINED && !strict(call));
    return yes(result, seq);
}

TESTFN(t_iterable)
{
    BIND("test_iterable", 1, "value");
    jv v = p[0];
    if (v.kind == JV_UNDEFINED && strict(call))
        return bi_undefined_error(call, v);
    return yes(result, v.kind == JV_STRING || v.kind == JV_LIST || v.kind == JV_DICT ||
                           v.kind == JV_UNDEFINED);
}

TESTFN(t_callable)
{
    BIND("callable", 1, "obj");
    jv v = p[0];
    /* Undefined defines __call__ (to fail), so callable() says yes. */
    bool c = v.kind == JV_CALLABLE || v.kind == JV_UNDEFINED ||
             (v.kind == JV_OBJECT && jv_object_class(v) && jv_object_class(v)->call);
    return yes(result, c);
}

/* Python's `is`: identity for containers, and for the singletons None,
 * True, False; small ints and equal strings are not reliably identical in
 * Python, so only the same value of the same kind counts. */
TESTFN(t_sameas)
{
    BIND("test_sameas", 2, "value", "other");
    jv a = p[0], b = p[1];
    if (a.kind != b.kind)
        return yes(result, false);
    switch (a.kind) {
    case JV_NONE:
        return yes(result, true);
    case JV_UNDEFINED:
        return yes(result, false);
    case JV_BOOL:
        return yes(result, a.u.b == b.u.b);
    case JV_INT:
        /* CPython caches -5..256. */
        return yes(result, a.u.i == b.u.i && a.u.i >= -5 && a.u.i <= 256);
    case JV_FLOAT:
        return yes(result, false);
    case JV_STRING:
        return yes(result, a.u.s == b.u.s);
    case JV_LIST:
        return yes(result,
                   a.u.l == b.u.l && (a.flags & JV_FLAG_TUPLE) == (b.flags & JV_FLAG_TUPLE));
    case JV_DICT:
        return yes(result, a.u.d == b.u.d);
    case JV_CALLABLE:
        return yes(result, a.u.c == b.u.c);
    case JV_OBJECT:
        return yes(result, jv_object_self(a) == jv_object_self(b));
    }
    return yes(result, false);
}

TESTFN(t_escaped)
{
    BIND("test_escaped", 1, "value");
    return yes(result, false);
}

/* Python's `value in seq`. */
static jinja_status contains(jinja_call *call, jv value, jv seq, bool *out)
{
    /* Strict undefined fails on == and hash(), which `in` needs. */
    if (value.kind == JV_UNDEFINED && strict(call) && seq.kind != JV_STRING)
        return bi_undefined_error(call, value);
    switch (seq.kind) {
    case JV_STRING: {
        if (value.kind != JV_STRING)
            return jinja_call_error(call, "'in <string>' requires string as left operand, not %s",
                                    jv_kind_name(value));
        *out = jv_str_len(value) == 0 ||
               memmem(jv_str_ptr(seq), jv_str_len(seq), jv_str_ptr(value), jv_str_len(value));
        return JINJA_OK;
    }
    case JV_LIST:
        for (size_t i = 0; i < jv_list_len(seq); i++) {
            if (jv_equal(jv_list_get(seq, i), value)) {
                *out = true;
                return JINJA_OK;
            }
        }
        *out = false;
        return JINJA_OK;
    case JV_DICT:
        if (jv_unhashable(value))
            return jinja_call_error(call, "unhashable type: '%s'", jv_kind_name(value));
        *out = jv_dict_has(seq, value);
        return JINJA_OK;
    case JV_UNDEFINED:
        if (strict(call))
            return bi_undefined_error(call, seq);
        *out = false;
        return JINJA_OK;
    default:
        return jinja_call_error(call, "argument of type '%s' is not iterable", jv_kind_name(seq));
    }
}

TESTFN(t_in)
{
    BIND("test_in", 2, "value", "seq");
    bool b = false;
    jinja_status st = contains(call, p[0], p[1], &b);
    return st == JINJA_OK ? yes(result, b) : st;
}

static jinja_status compare(jinja_call *call, const jv *args, size_t nargs, const jv_kwarg *kwargs,
                            size_t nkwargs, const char *op, jv *result)
{
    BIND(op, 2, "a", "b");
    jv a = p[0], b = p[1];
    if (!strcmp(op, "==") || !strcmp(op, "!=")) {
        if ((a.kind == JV_UNDEFINED || b.kind == JV_UNDEFINED) && strict(call))
            return bi_undefined_error(call, a.kind == JV_UNDEFINED ? a : b);
        bool eq = jv_equal(a, b);
        return yes(result, op[0] == '=' ? eq : !eq);
    }
    int c;
    if (!jv_compare(a, b, &c)) {
        if (a.kind == JV_UNDEFINED || b.kind == JV_UNDEFINED)
            return bi_undefined_error(call, a.kind == JV_UNDEFINED ? a : b);
        return jinja_call_error(call, "'%s' not supported between instances of '%s' and '%s'", op,
                                jv_kind_name(a), jv_kind_name(b));
    }
    /* NaN compares false every way. */
    bool nan = (a.kind == JV_FLOAT && isnan(a.u.f)) || (b.kind == JV_FLOAT && isnan(b.u.f));
    if (nan)
        return yes(result, false);
    if (!strcmp(op, "<"))
        return yes(result, c < 0);
    if (!strcmp(op, "<="))
        return yes(result, c <= 0);
    if (!strcmp(op, ">"))
        return yes(result, c > 0);
    return yes(result, c >= 0);
}

TESTFN(t_eq)
{
    return compare(call, args, nargs, kwargs, nkwargs, "==", result);
}
TESTFN(t_ne)
{
    return compare(call, args, nargs, kwargs, nkwargs, "!=", result);
}
TESTFN(t_lt)
{
    return compare(call, args, nargs, kwargs, nkwargs, "<", result);
}
TESTFN(t_le)
{
    return compare(call, args, nargs, kwargs, nkwargs, "<=", result);
}
TESTFN(t_gt)
{
    return compare(call, args, nargs, kwargs, nkwargs, ">", result);
}
TESTFN(t_ge)
{
    return compare(call, args, nargs, kwargs, nkwargs, ">=", result);
}

/* `x is filter` / `x is test`: registered with the env as userdata, to
 * look the name up in its tables (read-only once renders run). */
static jinja_status registered(jinja_call *call, const char *fn, const env_table *table,
                               const jv *args, size_t nargs, const jv_kwarg *kwargs, size_t nkwargs,
                               jv *result)
{
    BIND(fn, 1, "value");
    if (jv_unhashable(p[0]))
        return jinja_call_error(call, "unhashable type: '%s'", jv_kind_name(p[0]));
    if (p[0].kind != JV_STRING)
        return yes(result, false);
    const char *name = jv_str_ptr(p[0]);
    return yes(result, strlen(name) == jv_str_len(p[0]) &&
                           jinja_table_find(table, name, jinja_hash(name)) != NULL);
}

TESTFN(t_filter)
{
    const jinja_env *env = ud;
    return registered(call, "test_filter", &env->filters, args, nargs, kwargs, nkwargs, result);
}

TESTFN(t_test)
{
    const jinja_env *env = ud;
    return registered(call, "test_test", &env->tests, args, nargs, kwargs, nkwargs, result);
}

void jinja_register_builtin_tests(jinja_env *env)
{
    static const struct {
        const char *name;
        jinja_native_fn fn;
    } table[] = {
        {"odd", t_odd},
        {"even", t_even},
        {"divisibleby", t_divisibleby},
        {"defined", t_defined},
        {"undefined", t_undefined},
        {"filter", t_filter},
        {"test", t_test},
        {"none", t_none},
        {"boolean", t_boolean},
        {"false", t_false},
        {"true", t_true},
        {"integer", t_integer},
        {"float", t_float},
        {"lower", t_lower},
        {"upper", t_upper},
        {"string", t_string},
        {"mapping", t_mapping},
        {"number", t_number},
        {"sequence", t_sequence},
        {"iterable", t_iterable},
        {"callable", t_callable},
        {"sameas", t_sameas},
        {"escaped", t_escaped},
        {"in", t_in},
        {"==", t_eq},
        {"eq", t_eq},
        {"equalto", t_eq},
        {"!=", t_ne},
        {"ne", t_ne},
        {">", t_gt},
        {"gt", t_gt},
        {"greaterthan", t_gt},
        {">=", t_ge},
        {"ge", t_ge},
        {"<", t_lt},
        {"lt", t_lt},
        {"lessthan", t_lt},
        {"<=", t_le},
        {"le", t_le},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        jinja_env_add_test(env, table[i].name, table[i].fn, env);
}
