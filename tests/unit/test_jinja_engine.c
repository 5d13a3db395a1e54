/* test_jinja_engine: the evaluator core through the host API -- syntax and
 * runtime errors with name:line:col, scoping, macros and return(), the
 * loader, modules, invoke, strict undefined, recursion limits, and
 * concurrent renders of one compiled template. */
#include "check.h"
#include "jinja/jinja.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static jinja_env *new_env(void)
{
    return jinja_env_new();
}

/* Renders src in env with an optional context; returns a malloc'd string,
 * or "ERR: message" on failure. */
static char *render_in(jinja_env *env, const char *src, jv context)
{
    mlerr err = MLERR_INIT;
    jinja_template *t = jinja_compile(env, "t.j2", src, strlen(src), &err);
    if (!t) {
        char *res = NULL;
        if (asprintf(&res, "ERR: %s", mlerr_message(&err)) < 0)
            abort();
        mlerr_clear(&err);
        return res;
    }
    strbuf out = STRBUF_INIT;
    jinja_render_opts opts = {.context = context};
    char *res = NULL;
    if (jinja_render(t, &opts, &out, &err)) {
        res = strbuf_detach(&out);
    } else {
        if (asprintf(&res, "ERR: %s", mlerr_message(&err)) < 0)
            abort();
        strbuf_release(&out);
    }
    mlerr_clear(&err);
    jinja_template_free(t);
    return res;
}

static char *render(const char *src)
{
    jinja_env *env = new_env();
    char *res = render_in(env, src, jv_undefined(NULL));
    jinja_env_free(env);
    return res;
}

#define CHECK_RENDER(src, want)                                                                    \
    do {                                                                                           \
        char *got__ = render(src);                                                                 \
        CHECK_STR(got__, want);                                                                    \
        free(got__);                                                                               \
    } while (0)

#define CHECK_RENDER_ERR(src, want_substring)                                                      \
    do {                                                                                           \
        char *got__ = render(src);                                                                 \
        CHECK(strncmp(got__, "ERR: ", 5) == 0);                                                    \
        CHECK_CONTAINS(got__, want_substring);                                                     \
        free(got__);                                                                               \
    } while (0)

TEST(data_and_whitespace)
{
    CHECK_RENDER("hello\n", "hello");
    CHECK_RENDER("hello\n\n", "hello\n");
    CHECK_RENDER("a\r\nb", "a\nb");
    CHECK_RENDER("a  {{- 1 -}}  b", "a1b");
    CHECK_RENDER("a\n  {%- if true %}x{% endif -%}\n  b", "axb");
    CHECK_RENDER("{# comment #}x{#- c -#}  y", "xy");
    CHECK_RENDER("{% raw %}{{ x }}{% endraw %}", "{{ x }}");
    CHECK_RENDER("a {%- raw -%}  {{ x }}  {%- endraw %}", "a{{ x }}");
    CHECK_RENDER("{{ {'a': {'b': 1}} }}", "{'a': {'b': 1}}");
}

TEST(expressions)
{
    CHECK_RENDER("{{ 7 // -2 }} {{ -7 % 3 }} {{ 7.5 // 2 }} {{ 2 ** -1 }} {{ 10 / 4 }}",
                 "-4 2 3.0 0.5 2.5");
    CHECK_RENDER("{{ 'a' * 3 }}{{ [1] * 2 }}{{ 1 ~ 2 }}{{ [1] + [2] }}", "aaa[1, 1]12[1, 2]");
    CHECK_RENDER("{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'b' in 'abc' }} {{ 4 not in [1] }}",
                 "True False True True");
    CHECK_RENDER("{{ 1 if false }}|{{ 'y' if 0 else 'n' }}", "|n");
    CHECK_RENDER("{{ (1,) }}{{ () }}{{ 1, 2 }}", "(1,)()(1, 2)");
    CHECK_RENDER("{{ 'héllo'[1] }}{{ 'héllo'[1:3] }}{{ 'abc'[::-1] }}{{ [1,2,3][-2:] }}",
                 "éélcba[2, 3]");
    CHECK_RENDER("{{ 0 or 'x' }}{{ 1 and 2 }}{{ not none }}", "x2True");
    CHECK_RENDER("{{ 'ab' 'cd' }}{{ 1_000 }}{{ 0x1f }}{{ 1e3 }}", "abcd1000311000.0");
    CHECK_RENDER("{{ '%s-%d' % ('a', 3) }}", "a-3");
    CHECK_RENDER_ERR("{{ 1 + 'a' }}", "t.j2:1:6: unsupported operand type(s) for +");
    CHECK_RENDER_ERR("{{ 1 // 0 }}", "by zero");
    CHECK_RENDER_ERR("{{ 9223372036854775807 + 1 }}", "64 bits");
}

TEST(statements)
{
    CHECK_RENDER("{% for x in [1,2,3] %}{{ loop.index }}{{ x }}{% if not loop.last %},{% endif "
                 "%}{% endfor %}",
                 "11,22,33");
    CHECK_RENDER("{% for x in [] %}a{% else %}b{% endfor %}", "b");
    CHECK_RENDER("{% for x in [1,2,3,4] if x is odd %}{{ loop.length }}{% endfor %}", "22");
    CHECK_RENDER("{% for k, v in {'a': 1}.items() %}{{ k }}={{ v }}{% endfor %}", "a=1");
    CHECK_RENDER("{% for x in [1,2,3] %}{{ loop.previtem }}{{ loop.nextitem }}|{% endfor %}",
                 "2|13|2|");
    CHECK_RENDER("{% for x in 'ab' %}{{ loop.cycle('o', 'e') }}{% endfor %}", "oe");
    CHECK_RENDER("{% for x in range(10) %}{% if x == 3 %}{% break %}{% endif %}{% if x is odd "
                 "%}{% continue %}{% endif %}{{ x }}{% endfor %}",
                 "02");
    /* a set in a loop body neither leaks nor carries over */
    CHECK_RENDER("{% set c = 0 %}{% for i in range(3) %}{% set c = c + 1 %}{{ c }}{% endfor "
                 "%}{{ c }}",
                 "1110");
    CHECK_RENDER("{% set ns = namespace(c=0) %}{% for i in range(3) %}{% set ns.c = ns.c + 1 "
                 "%}{% endfor %}{{ ns.c }}",
                 "3");
    CHECK_RENDER("{% set a, b = 1, 2 %}{{ a }}{{ b }}", "12");
    CHECK_RENDER("{% set x | upper %}abc{% endset %}{{ x }}", "ABC");
    CHECK_RENDER("{% filter upper %}abc{% endfilter %}", "ABC");
    CHECK_RENDER("{% if 0 %}a{% elif 1 %}b{% else %}c{% endif %}", "b");
    CHECK_RENDER("{% set l = [] %}{% do l.append(1) %}{{ l }}", "[1]");
    CHECK_RENDER("{% with a = 1 %}{{ a }}{% endwith %}{{ a }}", "1");
}

TEST(macros)
{
    CHECK_RENDER("{% macro m(a, b=2) %}[{{ a }}{{ b }}{{ varargs }}]{% endmacro %}{{ m(1) }}{{ "
                 "m(1, 3, 4) }}",
                 "[12()][13(4,)]");
    CHECK_RENDER("{% macro m() %}{{ kwargs }}{% endmacro %}{{ m(a=1) }}", "{'a': 1}");
    CHECK_RENDER("{% macro m(x) %}<{{ caller(x) }}>{% endmacro %}{% call(y) m(5) %}{{ y * 2 "
                 "}}{% endcall %}",
                 "<10>");
    CHECK_RENDER("{% macro f(n) %}{% if n %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ "
                 "f(3) }}",
                 "321");
    CHECK_RENDER_ERR("{% macro f(a) %}{% endmacro %}{{ f(1, 2) }}",
                     "macro 'f' takes not more than 1 argument(s)");
    CHECK_RENDER_ERR("{% macro f(a) %}{% endmacro %}{{ f(b=2) }}",
                     "macro 'f' takes no keyword argument 'b'");
    CHECK_RENDER_ERR("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
                     "maximum recursion depth exceeded");
}

TEST(syntax_errors)
{
    CHECK_RENDER_ERR("{% if x %}", "t.j2:1:11: Unexpected end of template");
    CHECK_RENDER_ERR("{% if x %}", "looking for the following tags: 'elif' or 'else' or 'endif'");
    CHECK_RENDER_ERR("a\n{% frobnicate %}", "t.j2:2:4: Encountered unknown tag 'frobnicate'.");
    CHECK_RENDER_ERR("{% set x = 1 y %}", "expected token 'end of statement block', got 'y'");
    CHECK_RENDER_ERR("{{ 1 + }}", "t.j2:1:8: unexpected 'end of print statement'");
    CHECK_RENDER_ERR("{{ x", "unexpected end of template");
    CHECK_RENDER_ERR("{{ 'abc }}", "unexpected char");
    CHECK_RENDER_ERR("{{ x|nosuchfilter }}", "No filter named 'nosuchfilter'.");
    CHECK_RENDER_ERR("{% break %}", "'break' outside loop");
    CHECK_RENDER_ERR("{% for i in x %}{% extends 'x' %}{% endfor %}",
                     "t.j2:1:20: cannot use extend from a non top-level scope");
    /* the offending line is shown under the message */
    CHECK_RENDER_ERR("line one\n{{ 1 +* 2 }}", "\n  {{ 1 +* 2 }}\n        ^");
}

TEST(nesting_is_bounded)
{
    strbuf sb = STRBUF_INIT;
    strbuf_adds(&sb, "{{ ");
    for (int i = 0; i < 5000; i++)
        strbuf_adds(&sb, "(");
    strbuf_adds(&sb, "1");
    for (int i = 0; i < 5000; i++)
        strbuf_adds(&sb, ")");
    strbuf_adds(&sb, " }}");
    char *got = render(strbuf_str(&sb));
    CHECK_CONTAINS(got, "nested too deeply");
    free(got);
    strbuf_reset(&sb);
    for (int i = 0; i < 5000; i++)
        strbuf_adds(&sb, "{% if 1 %}");
    got = render(strbuf_str(&sb));
    CHECK_CONTAINS(got, "nested too deeply");
    free(got);
    strbuf_reset(&sb);
    strbuf_adds(&sb, "{{ ");
    for (int i = 0; i < 5000; i++)
        strbuf_adds(&sb, i < 2500 ? "not " : "- ");
    strbuf_adds(&sb, "1 }}");
    got = render(strbuf_str(&sb));
    CHECK_CONTAINS(got, "nested too deeply");
    free(got);
    /* operator chains nest without recursing in the parser */
    strbuf_reset(&sb);
    strbuf_adds(&sb, "{{ 0");
    for (int i = 0; i < 5000; i++)
        strbuf_adds(&sb, " + 1");
    strbuf_adds(&sb, " }}");
    got = render(strbuf_str(&sb));
    CHECK_CONTAINS(got, "nested too deeply");
    free(got);
    strbuf_reset(&sb);
    strbuf_adds(&sb, "{{ 0");
    for (int i = 0; i < 500; i++)
        strbuf_adds(&sb, " + 1");
    strbuf_adds(&sb, " }}");
    got = render(strbuf_str(&sb));
    CHECK_STR(got, "500");
    free(got);
    strbuf_release(&sb);
}

TEST(undefined_modes)
{
    jinja_env *env = new_env();
    char *got = render_in(env, "[{{ x }}]{{ x is defined }}", jv_undefined(NULL));
    CHECK_STR(got, "[]False");
    free(got);
    got = render_in(env, "{{ x.y }}", jv_undefined(NULL));
    CHECK_STR(got, "ERR: t.j2:1:6: 'x' is undefined\n  {{ x.y }}\n       ^");
    free(got);
    jinja_env_set_undefined(env, JINJA_UNDEFINED_STRICT);
    got = render_in(env, "{{ x is defined }}{{ x|default('d') }}", jv_undefined(NULL));
    CHECK_STR(got, "Falsed");
    free(got);
    got = render_in(env, "a{{ x }}", jv_undefined(NULL));
    CHECK_CONTAINS(got, "t.j2:1:5: 'x' is undefined");
    free(got);
    got = render_in(env, "{% if x %}{% endif %}", jv_undefined(NULL));
    CHECK_CONTAINS(got, "'x' is undefined");
    free(got);
    jinja_env_free(env);
}

/* --- host functions ------------------------------------------------------- */
static jinja_status native_return(jinja_call *call, void *ud, const jv *args, size_t nargs,
                                  const jv_kwarg *kwargs, size_t nkwargs, jv *result)
{
    return jinja_call_return(call, nargs ? args[0] : jv_none());
}

static jinja_status native_add(jinja_call *call, void *ud, const jv *args, size_t nargs,
                               const jv_kwarg *kwargs, size_t nkwargs, jv *result)
{
    int64_t sum = *(int *)ud;
    for (size_t i = 0; i < nargs; i++) {
        if (args[i].kind != JV_INT)
            return jinja_call_error(call, "add() takes integers, not %s", jv_kind_name(args[i]));
        sum += args[i].u.i;
    }
    for (size_t i = 0; i < nkwargs; i++)
        if (kwargs[i].value.kind == JV_INT)
            sum += kwargs[i].value.u.i;
    *result = jv_int(sum);
    return JINJA_OK;
}

static jinja_status native_lookup(jinja_call *call, void *ud, const jv *args, size_t nargs,
                                  const jv_kwarg *kwargs, size_t nkwargs, jv *result)
{
    if (nargs != 1 || args[0].kind != JV_STRING)
        return jinja_call_error(call, "lookup(name)");
    *result = jinja_call_lookup(call, jv_str_ptr(args[0]));
    return JINJA_OK;
}

/* Calls its first argument with the rest, as adapter.dispatch's result is. */
static jinja_status native_apply(jinja_call *call, void *ud, const jv *args, size_t nargs,
                                 const jv_kwarg *kwargs, size_t nkwargs, jv *result)
{
    if (nargs < 1)
        return jinja_call_error(call, "apply(f, ...)");
    return jinja_call_invoke(call, args[0], args + 1, nargs - 1, kwargs, nkwargs, result);
}

static int zero = 0, hundred = 100;

static jinja_env *host_env(void)
{
    jinja_env *env = new_env();
    jinja_env_add_function(env, "return", native_return, NULL);
    jinja_env_add_function(env, "add", native_add, &zero);
    jinja_env_add_function(env, "lookup", native_lookup, NULL);
    jinja_env_add_function(env, "apply", native_apply, NULL);
    jinja_env_add_filter(env, "plus100", native_add, &hundred);
    jv obj = jv_dict(jinja_env_arena(env));
    jv_dict_set_str(obj, "name", jv_string(jinja_env_arena(env), "glob"));
    jinja_env_add_global(env, "g", obj);
    return env;
}

TEST(host_functions)
{
    jinja_env *env = host_env();
    char *got =
        render_in(env, "{{ add(1, 2, x=3) }} {{ 5|plus100 }} {{ g.name }} {{ lookup('g').name }}",
                  jv_undefined(NULL));
    CHECK_STR(got, "6 105 glob glob");
    free(got);
    got = render_in(env,
                    "{% macro m(x) %}ignored{{ return([x, 'r']) }}never{% endmacro %}{% set v = "
                    "m(1) %}{{ v }} {{ v[1] }}",
                    jv_undefined(NULL));
    CHECK_STR(got, "[1, 'r'] r");
    free(got);
    got = render_in(env, "{% macro m(a, b) %}{{ a }}-{{ b }}{% endmacro %}{{ apply(m, 1, b=2) }}",
                    jv_undefined(NULL));
    CHECK_STR(got, "1-2");
    free(got);
    got = render_in(env, "\n\n  {{ add('x') }}", jv_undefined(NULL));
    CHECK_STR(got, "ERR: t.j2:3:6: add() takes integers, not str\n    {{ add('x') }}\n       ^");
    free(got);
    /* lookup order: locals, template top level, context, globals */
    arena a = ARENA_INIT;
    jv ctx = jv_dict(&a);
    jv_dict_set_str(ctx, "g", jv_string(&a, "context"));
    jv_dict_set_str(ctx, "c", jv_int(7));
    got = render_in(env, "{{ g }} {{ c }} {% set c = 8 %}{{ c }}", ctx);
    CHECK_STR(got, "context 7 8");
    free(got);
    arena_free(&a);
    jinja_env_free(env);
}

/* --- loader, modules, invoke ---------------------------------------------- */
static bool test_loader(void *ud, const char *name, const char **source, size_t *len)
{
    static const char *const files[][2] = {
        {"macros.j2", "{% macro hi(n) %}hi {{ n }}{{ suffix }}{% endmacro %}{% set answer = 42 "
                      "%}{% set _hidden = 1 %}top-level output"},
        {"part.j2", "[{{ x }}{% set x = 'inner' %}{{ x }}]"},
        {"loop.j2", "{% include 'loop.j2' %}"},
        {"bad.j2", "{% if %}"},
        {"base.j2", "<{% block head %}head{% endblock %}|{% block body %}{% endblock %}>"},
        {"mid.j2", "{% extends 'base.j2' %}{% block head %}mid {{ super() }}{% endblock %}"},
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        if (!strcmp(files[i][0], name)) {
            *source = files[i][1];
            *len = strlen(files[i][1]);
            return true;
        }
    }
    return false;
}

TEST(loader_include_import)
{
    jinja_env *env = host_env();
    jinja_env_set_loader(env, test_loader, NULL);
    char *got =
        render_in(env, "{% set x = 'outer' %}{% include 'part.j2' %}{{ x }}", jv_undefined(NULL));
    CHECK_STR(got, "[outerinner]outer");
    free(got);
    got = render_in(env,
                    "{% set suffix = '!' %}{% import 'macros.j2' as m %}{{ m.hi(1) }} {{ m.answer "
                    "}} {{ m._hidden is defined }}",
                    jv_undefined(NULL));
    CHECK_STR(got, "hi 1 42 False");
    free(got);
    got = render_in(env,
                    "{% set suffix = '!' %}{% from 'macros.j2' import hi as h with context %}{{ "
                    "h(2) }}",
                    jv_undefined(NULL));
    CHECK_STR(got, "hi 2!");
    free(got);
    got = render_in(env, "{% include 'missing.j2' ignore missing %}ok", jv_undefined(NULL));
    CHECK_STR(got, "ok");
    free(got);
    got = render_in(env, "{% include 'missing.j2' %}", jv_undefined(NULL));
    CHECK_CONTAINS(got, "t.j2:1:4: template 'missing.j2' not found");
    free(got);
    got = render_in(env, "{% include 'loop.j2' %}", jv_undefined(NULL));
    CHECK_CONTAINS(got, "maximum recursion depth exceeded");
    free(got);
    got = render_in(env, "{% include 'bad.j2' %}", jv_undefined(NULL));
    CHECK_CONTAINS(got, "bad.j2:1:7:");
    free(got);
    jinja_env_free(env);
}

TEST(inheritance_through_the_loader)
{
    jinja_env *env = host_env();
    jinja_env_set_loader(env, test_loader, NULL);
    char *got = render_in(env,
                          "{% extends 'mid.j2' %}ignored{% block body %}{{ self.head() }}/{{ x "
                          "}}{% endblock %}{% set x = 'late' %}",
                          jv_undefined(NULL));
    CHECK_STR(got, "<mid head|mid head/late>");
    free(got);
    got = render_in(env, "{% extends 'nope.j2' %}", jv_undefined(NULL));
    CHECK_CONTAINS(got, "t.j2:1:4: template 'nope.j2' not found");
    free(got);
    got = render_in(env, "{% block a %}{% endblock %}{% block a %}{% endblock %}",
                    jv_undefined(NULL));
    CHECK_CONTAINS(got, "t.j2:1:37: block 'a' defined twice");
    free(got);
    /* a module made from a template that extends exports both levels' names */
    got = render_in(env, "{% import 'mid.j2' as m %}{{ m is defined }}", jv_undefined(NULL));
    CHECK_STR(got, "True");
    free(got);
    jinja_env_free(env);
}

TEST(generators_are_single_use)
{
    arena a = ARENA_INIT;
    jv g = jv_list(&a);
    for (int i = 0; i < 3; i++)
        jv_list_append(g, jv_int(i));
    g = jv_generator(g);
    jv *rest;
    CHECK(jv_is_generator(g));
    CHECK(jv_gen_remaining(g, &rest) == 3 && rest[0].u.i == 0);
    jv_gen_consume(g, 1);
    jv holder = g; /* another holder shares the cursor */
    jv left = jv_gen_drain(&a, holder);
    CHECK(jv_list_len(left) == 2 && !jv_is_generator(left));
    CHECK(jv_gen_remaining(g, &rest) == 0 && rest == NULL);
    jv_gen_consume(g, 5); /* clamped */
    CHECK(jv_gen_remaining(g, &rest) == 0);
    /* frozen (shared across renders): iterates like a list, never moves */
    jv f = jv_list(&a);
    jv_list_append(f, jv_int(1));
    f = jv_generator(f);
    jv_freeze(f);
    jv_gen_consume(f, 1);
    CHECK(jv_gen_remaining(f, &rest) == 1);
    arena_free(&a);
}

TEST(module_and_invoke)
{
    jinja_env *env = host_env();
    mlerr err = MLERR_INIT;
    const char *src = "{% macro q(x, suffix='') %}{{ prefix }}{{ x }}{{ suffix }}{% endmacro %}"
                      "{% macro r(x) %}{{ return(x * 2) }}{% endmacro %}{% set v = 3 %}";
    jinja_template *t = jinja_compile(env, "macros.sql", src, strlen(src), &err);
    CHECK(t != NULL);
    arena a = ARENA_INIT;
    jinja_render_opts opts = {.arena = &a};
    jv module;
    CHECK(jinja_module(t, &opts, &module, &err));
    CHECK(jv_dict_len(module) == 3);
    jv ctx = jv_dict(&a);
    jv_dict_set_str(ctx, "prefix", jv_string(&a, "p:"));
    jinja_render_opts call_opts = {.arena = &a, .context = ctx};
    jv args[1] = {jv_int(5)};
    jv_kwarg kw[1] = {{"suffix", jv_string(&a, "!")}};
    jv result;
    CHECK(
        jinja_invoke(env, jv_dict_get_str(module, "q"), &call_opts, args, 1, kw, 1, &result, &err));
    CHECK(result.kind == JV_STRING && jv_is_str(result, "p:5!"));
    CHECK(jinja_invoke(env, jv_dict_get_str(module, "r"), &call_opts, args, 1, NULL, 0, &result,
                       &err));
    CHECK(result.kind == JV_INT && result.u.i == 10);
    CHECK(!jinja_invoke(env, jv_dict_get_str(module, "r"), &call_opts, NULL, 0, NULL, 0, &result,
                        &err));
    CHECK_CONTAINS(mlerr_message(&err), "macros.sql:1:");
    mlerr_clear(&err);
    /* a host global holding the module's macros */
    jinja_env_add_global(env, "lib", module);
    char *got = render_in(env, "{{ lib.q(1) }}", ctx);
    CHECK_STR(got, "p:1");
    free(got);
    jinja_template_free(t);
    arena_free(&a);
    jinja_env_free(env);
}

/* --- threads -------------------------------------------------------------- */
typedef struct thread_arg {
    const jinja_template *t;
    int id;
    bool ok;
} thread_arg;

static void *render_many(void *p)
{
    thread_arg *ta = p;
    ta->ok = true;
    for (int i = 0; i < 200 && ta->ok; i++) {
        arena a = ARENA_INIT;
        jv ctx = jv_dict(&a);
        jv_dict_set_str(ctx, "n", jv_int(ta->id * 1000 + i));
        strbuf out = STRBUF_INIT;
        mlerr err = MLERR_INIT;
        jinja_render_opts opts = {.context = ctx, .arena = &a};
        char want[64];
        snprintf(want, sizeof(want), ta->id % 2 ? "<|%d:%d>" : "%d:%d", ta->id * 1000 + i, 3);
        if (!jinja_render(ta->t, &opts, &out, &err) || strcmp(strbuf_str(&out), want) != 0)
            ta->ok = false;
        strbuf_release(&out);
        mlerr_clear(&err);
        arena_free(&a);
    }
    return NULL;
}

TEST(concurrent_renders)
{
    jinja_env *env = host_env();
    jinja_env_set_loader(env, test_loader, NULL);
    mlerr err = MLERR_INIT;
    const char *src = "{% from 'macros.j2' import hi %}{% set l = [] %}{% for i in range(3) %}{% "
                      "do l.append(i) %}{% endfor %}{{ n }}:{{ l|length }}";
    /* the same through template inheritance and a generator */
    const char *child = "{% extends 'base.j2' %}{% set l = range(3) | select('ge', 0) | list %}{% "
                        "block head %}{% endblock %}{% block body %}{{ n }}:{{ l|length }}{% "
                        "endblock %}";
    jinja_template *t = jinja_compile(env, "t.j2", src, strlen(src), &err);
    jinja_template *t2 = jinja_compile(env, "child.j2", child, strlen(child), &err);
    CHECK(t != NULL && t2 != NULL);
    pthread_t th[4];
    thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (thread_arg){.t = i % 2 ? t2 : t, .id = i};
        pthread_create(&th[i], NULL, render_many, &args[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK(args[i].ok);
    }
    jinja_template_free(t);
    jinja_template_free(t2);
    jinja_env_free(env);
}

int main(void)
{
    RUN(data_and_whitespace);
    RUN(expressions);
    RUN(statements);
    RUN(macros);
    RUN(syntax_errors);
    RUN(nesting_is_bounded);
    RUN(undefined_modes);
    RUN(host_functions);
    RUN(loader_include_import);
    RUN(inheritance_through_the_loader);
    RUN(generators_are_single_use);
    RUN(module_and_invoke);
    RUN(concurrent_renders);
    return CHECK_DONE();
}
