/* fuzz_jinja: libFuzzer entry point over the Jinja lexer, parser and
 * renderer (see README). */
#include "jinja/jinja.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *input_src;
static size_t input_len;

static bool fuzz_loader(void *ud, const char *name, const char **source, size_t *len)
{
    static const char macros[] =
        "{% macro m(a, b=2) %}[{{ a }}{{ b }}{{ varargs }}{{ kwargs }}{{ caller() if caller "
        "}}]{% endmacro %}{% set v = [1, 'x', {'k': none}] %}";
    if (!strcmp(name, "_macros.j2")) {
        *source = macros;
        *len = sizeof(macros) - 1;
        return true;
    }
    static const char base[] =
        "<{% block a %}A{{ v }}{% endblock %}|{% for i in [1, 2] %}{% block b "
        "scoped %}{{ i }}{% block c %}C{% endblock %}{% endblock %}{% endfor "
        "%}{% set w = 1 %}{% block d required %} {% endblock %}>";
    if (!strcmp(name, "_base.j2")) {
        *source = base;
        *len = sizeof(base) - 1;
        return true;
    }
    if (!strcmp(name, "_self.j2")) {
        *source = input_src;
        *len = input_len;
        return true;
    }
    return false;
}

static jinja_status fuzz_return(jinja_call *call, void *ud, const jv *args, size_t nargs,
                                const jv_kwarg *kwargs, size_t nkwargs, jv *result)
{
    return jinja_call_return(call, nargs ? args[0] : jv_none());
}

/* range() with a small bound, so loops stay cheap */
static jinja_status fuzz_range(jinja_call *call, void *ud, const jv *args, size_t nargs,
                               const jv_kwarg *kwargs, size_t nkwargs, jv *result)
{
    int64_t v[3] = {0, 0, 1};
    if (nargs < 1 || nargs > 3)
        return jinja_call_error(call, "range expects 1 to 3 integers");
    for (size_t i = 0; i < nargs; i++) {
        if (args[i].kind != JV_INT || args[i].u.i < -1000 || args[i].u.i > 1000)
            return jinja_call_error(call, "range arguments must be small integers");
    }
    if (nargs == 1) {
        v[1] = args[0].u.i;
    } else {
        v[0] = args[0].u.i;
        v[1] = args[1].u.i;
        if (nargs == 3)
            v[2] = args[2].u.i;
    }
    if (v[2] == 0)
        return jinja_call_error(call, "range() arg 3 must not be zero");
    jv list = jv_list(jinja_call_arena(call));
    for (int64_t i = v[0]; v[2] > 0 ? i < v[1] : i > v[1]; i += v[2])
        jv_list_append(list, jv_int(i));
    *result = list;
    return JINJA_OK;
}

static jv make_context(arena *a)
{
    jv ctx = jv_dict(a);
    jv list = jv_list(a);
    jv_list_append(list, jv_int(3));
    jv_list_append(list, jv_string(a, "b"));
    jv_list_append(list, jv_float(2.5));
    jv_list_append(list, jv_none());
    jv d = jv_dict(a);
    jv_dict_set_str(d, "name", jv_string(a, "n"));
    jv_dict_set_str(d, "items", list);
    jv_dict_set_str(d, "flag", jv_bool(true));
    jv_dict_set_str(ctx, "xs", list);
    jv_dict_set_str(ctx, "d", d);
    jv_dict_set_str(ctx, "s", jv_string(a, "héllo, World"));
    jv_dict_set_str(ctx, "n", jv_int(-7));
    return ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    input_src = (const char *)data;
    input_len = size;
    jinja_env *env = jinja_env_new();
    jinja_env_set_loader(env, fuzz_loader, NULL);
    jinja_env_set_limits(env, 20000, 16 << 20);
    jinja_env_add_function(env, "return", fuzz_return, NULL);
    jinja_env_add_function(env, "range", fuzz_range, NULL);
    mlerr err = MLERR_INIT;
    jinja_template *t = jinja_compile(env, "fuzz.j2", (const char *)data, size, &err);
    mlerr_clear(&err);
    if (t) {
        for (int strict = 0; strict < 2; strict++) {
            jinja_env_set_undefined(env, strict ? JINJA_UNDEFINED_STRICT : JINJA_UNDEFINED_DEFAULT);
            arena a = ARENA_INIT;
            strbuf out = STRBUF_INIT;
            jinja_render_opts opts = {.context = make_context(&a), .arena = &a, .max_depth = 40};
            jinja_render(t, &opts, &out, &err);
            mlerr_clear(&err);
            strbuf_release(&out);
            arena_free(&a);
        }
        jinja_template_free(t);
    }
    jinja_env_free(env);
    return 0;
}
