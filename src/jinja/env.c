/* env: the environment (globals, filters, tests, loader, undefined mode),
 * compiling templates, and the cache of templates compiled through the
 * loader, which renders on several threads share under loaded_lock. */
#include "jinja/ast.h"
#include "jinja/builtins.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

typedef struct loaded_template {
    struct loaded_template *next;
    char *name;
    jinja_template *tmpl;
} loaded_template;

/* --- name tables ---------------------------------------------------------- */
const env_entry *jinja_table_find(const env_table *t, const char *name, uint32_t hash)
{
    if (!t->cap)
        return NULL;
    size_t mask = t->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        const env_entry *e = &t->slots[i];
        if (!e->name)
            return NULL;
        if (e->hash == hash && strcmp(e->name, name) == 0)
            return e;
    }
}

static env_entry *table_put(arena *a, env_table *t, const char *name)
{
    uint32_t hash = jinja_hash(name);
    if ((t->n + 1) * 2 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        env_entry *slots = xcalloc(cap, sizeof(env_entry));
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->slots[i].name)
                continue;
            size_t j = t->slots[i].hash & (cap - 1);
            while (slots[j].name)
                j = (j + 1) & (cap - 1);
            slots[j] = t->slots[i];
        }
        free(t->slots);
        t->slots = slots;
        t->cap = cap;
    }
    size_t mask = t->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        env_entry *e = &t->slots[i];
        if (!e->name) {
            e->name = arena_strdup(a, name);
            e->hash = hash;
            t->n++;
            return e;
        }
        if (e->hash == hash && strcmp(e->name, name) == 0)
            return e;
    }
}

/* --- environment ---------------------------------------------------------- */
jinja_env *jinja_env_new(void)
{
    jinja_env *env = xcalloc(1, sizeof(*env));
    pthread_mutex_init(&env->loaded_lock, NULL);
    jinja_register_builtin_filters(env);
    jinja_register_builtin_tests(env);
    jinja_register_builtin_globals(env);
    return env;
}

void jinja_env_free(jinja_env *env)
{
    if (!env)
        return;
    for (loaded_template *l = env->loaded, *nx; l; l = nx) {
        nx = l->next;
        jinja_template_free(l->tmpl);
        free(l->name);
        free(l);
    }
    free(env->globals.slots);
    free(env->filters.slots);
    free(env->tests.slots);
    pthread_mutex_destroy(&env->loaded_lock);
    arena_free(&env->arena);
    free(env);
}

arena *jinja_env_arena(jinja_env *env)
{
    return &env->arena;
}

void jinja_env_set_undefined(jinja_env *env, jinja_undefined_mode mode)
{
    env->undefined = mode;
}

void jinja_env_set_limits(jinja_env *env, long max_steps, size_t max_bytes)
{
    env->max_steps = max_steps;
    env->max_bytes = max_bytes;
}

void jinja_env_set_loader(jinja_env *env, jinja_loader_fn fn, void *userdata)
{
    env->loader = fn;
    env->loader_data = userdata;
}

void jinja_env_add_global(jinja_env *env, const char *name, jv value)
{
    /* globals are read by concurrent renders: make mutation an error */
    jv_freeze(value);
    table_put(&env->arena, &env->globals, name)->value = value;
}

void jinja_env_add_function(jinja_env *env, const char *name, jinja_native_fn fn, void *userdata)
{
    jinja_env_add_global(env, name, jinja_native(&env->arena, name, fn, userdata));
}

void jinja_env_add_filter(jinja_env *env, const char *name, jinja_native_fn fn, void *userdata)
{
    env_entry *e = table_put(&env->arena, &env->filters, name);
    e->fn = fn;
    e->userdata = userdata;
}

void jinja_env_add_test(jinja_env *env, const char *name, jinja_native_fn fn, void *userdata)
{
    env_entry *e = table_put(&env->arena, &env->tests, name);
    e->fn = fn;
    e->userdata = userdata;
}

jv jinja_native(arena *a, const char *name, jinja_native_fn fn, void *userdata)
{
    jv_callable *c = ARENA_NEW(a, jv_callable);
    c->name = arena_strdup(a, name ? name : "<native>");
    c->fn = fn;
    c->userdata = userdata;
    jv v = {.kind = JV_CALLABLE};
    v.u.c = c;
    return v;
}

/* --- compiling ------------------------------------------------------------ */
/* Jinja2 checks filter and test names when it compiles a template.  The
 * same walk bounds the tree's depth: long operator chains (1+1+...+1) nest
 * without recursing in the parser, and the evaluator recurses per level. */
enum {
    MAX_TREE_DEPTH = 1000
};

static bool check_names(const jinja_template *t, const node *n, int depth, mlerr *err);

static bool check_list(const jinja_template *t, const node_list *l, int depth, mlerr *err)
{
    for (size_t i = 0; i < l->n; i++)
        if (!check_names(t, l->items[i], depth, err))
            return false;
    return true;
}

static bool check_names(const jinja_template *t, const node *n, int depth, mlerr *err)
{
    if (!n)
        return true;
    if (++depth > MAX_TREE_DEPTH) {
        jinja_error_at(err, &t->src, n->line, n->col, "%s",
                       "expression or block nested too deeply");
        return false;
    }
    if (n->kind == N_FILTER && !jinja_table_find(&t->env->filters, n->name.s, n->name.hash)) {
        jinja_error_at(err, &t->src, n->line, n->col, "No filter named '%s'.", n->name.s);
        return false;
    }
    if (n->kind == N_TEST && !jinja_table_find(&t->env->tests, n->name.s, n->name.hash)) {
        jinja_error_at(err, &t->src, n->line, n->col, "No test named '%s'.", n->name.s);
        return false;
    }
    if (!check_names(t, n->a, depth, err) || !check_names(t, n->b, depth, err) ||
        !check_names(t, n->c, depth, err) || !check_names(t, n->d, depth, err) ||
        !check_list(t, &n->list, depth, err) || !check_list(t, &n->list2, depth, err) ||
        !check_list(t, &n->args.pos, depth, err) || !check_names(t, n->args.star, depth, err) ||
        !check_names(t, n->args.starstar, depth, err))
        return false;
    for (size_t i = 0; i < n->args.nkw; i++)
        if (!check_names(t, n->args.kwvals[i], depth, err))
            return false;
    if (n->macro) {
        if (!check_list(t, &n->macro->body, depth, err))
            return false;
        for (size_t i = 0; i < n->macro->nparams; i++)
            if (!check_names(t, n->macro->defaults[i], depth, err))
                return false;
    }
    return true;
}

jinja_template *jinja_compile(jinja_env *env, const char *name, const char *source, size_t len,
                              mlerr *err)
{
    jinja_template *t = xcalloc(1, sizeof(*t));
    t->env = env;
    t->src.name = arena_strdup(&t->arena, name ? name : "<template>");
    /* Jinja2 normalises every newline to \n, then drops one trailing
     * newline (keep_trailing_newline=False). */
    char *text = arena_alloc(&t->arena, len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (source[i] == '\r') {
            text[n++] = '\n';
            if (i + 1 < len && source[i + 1] == '\n')
                i++;
        } else {
            text[n++] = source[i];
        }
    }
    if (n > 0 && text[n - 1] == '\n')
        n--;
    text[n] = 0;
    t->src.text = text;
    t->src.len = n;

    token_list tokens = {0};
    bool ok = jinja_lex(&t->arena, &t->src, &tokens, err) && jinja_parse(t, &tokens, err) &&
              check_list(t, &t->body, 0, err);
    free(tokens.items);
    if (!ok) {
        jinja_template_free(t);
        return NULL;
    }
    return t;
}

void jinja_template_free(jinja_template *t)
{
    if (!t)
        return;
    arena_free(&t->arena);
    free(t);
}

const char *jinja_template_name(const jinja_template *t)
{
    return t->src.name;
}

const jinja_template *jinja_env_load(jinja_env *env, const char *name, bool *missing, mlerr *err)
{
    *missing = false;
    pthread_mutex_lock(&env->loaded_lock);
    for (loaded_template *l = env->loaded; l; l = l->next) {
        if (strcmp(l->name, name) == 0) {
            pthread_mutex_unlock(&env->loaded_lock);
            return l->tmpl;
        }
    }
    const char *src = NULL;
    size_t len = 0;
    if (!env->loader || !env->loader(env->loader_data, name, &src, &len)) {
        pthread_mutex_unlock(&env->loaded_lock);
        *missing = true;
        return NULL;
    }
    jinja_template *t = jinja_compile(env, name, src, len, err);
    if (t) {
        loaded_template *l = xcalloc(1, sizeof(*l));
        l->name = xstrdup(name);
        l->tmpl = t;
        l->next = env->loaded;
        env->loaded = l;
    }
    pthread_mutex_unlock(&env->loaded_lock);
    return t;
}
