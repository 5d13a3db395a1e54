/* jinja: a Jinja2 3.1 template engine, and the interface its host uses.
 *
 * The engine knows nothing about dbt.  A host (the project layer) builds one
 * jinja_env, registers its functions, filters and objects, then compiles
 * templates and renders them, possibly on many threads at once:
 *
 *   env       -- configuration plus globals; filled in once, then read-only
 *   template  -- compiled once from source; immutable, rendered many times
 *   render    -- one evaluation, with its own context dict, arena and output
 *
 * Internally the engine is split as Lua splits itself: lexer (jinja/lexer.c),
 * parser to AST (jinja/parser.c), evaluator (jinja/eval.c), with builtins
 * (filters, tests, methods) each in its own file.
 *
 * Name lookup, innermost first: the macro's locals and arguments, the
 * defining template's top-level names, the render's context dict, the env's
 * globals.  So a macro defined in one file and called while rendering a model
 * sees that model's context, which is what dbt's macros expect. */
#ifndef MALLARD_JINJA_JINJA_H
#define MALLARD_JINJA_JINJA_H

#include "jinja/value.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/strbuf.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct jinja_env jinja_env;
typedef struct jinja_template jinja_template;
typedef struct jinja_call jinja_call;

typedef struct jv_kwarg {
    const char *name;
    jv value;
} jv_kwarg;

/* What a native function returns.  JINJA_RETURN ends the enclosing macro
 * with the value set by jinja_call_return (dbt's `return()`). */
typedef enum {
    JINJA_OK,
    JINJA_ERROR,
    JINJA_RETURN,
} jinja_status;

/* A native function or filter.  For a filter, args[0] is the filtered value.
 * The result is allocated in jinja_call_arena(call). */
typedef jinja_status (*jinja_native_fn)(jinja_call *call, void *userdata, const jv *args,
                                        size_t nargs, const jv_kwarg *kwargs, size_t nkwargs,
                                        jv *result);

/* Finds the source of a named template (include, import, extends).  Fills
 * *source (owned by the loader, alive until the env is freed) and returns
 * true, or returns false when there is no such template. */
typedef bool (*jinja_loader_fn)(void *userdata, const char *name, const char **source, size_t *len);

typedef enum {
    JINJA_UNDEFINED_DEFAULT, /* prints as "", fails on attribute access */
    JINJA_UNDEFINED_STRICT,  /* any use but `is defined` fails */
} jinja_undefined_mode;

/* --- environment ---------------------------------------------------------- */
jinja_env *jinja_env_new(void);
void jinja_env_free(jinja_env *env);
/* The arena for values that live as long as the env (globals). */
arena *jinja_env_arena(jinja_env *env);
void jinja_env_set_undefined(jinja_env *env, jinja_undefined_mode mode);
void jinja_env_set_loader(jinja_env *env, jinja_loader_fn fn, void *userdata);
void jinja_env_add_global(jinja_env *env, const char *name, jv value);
void jinja_env_add_function(jinja_env *env, const char *name, jinja_native_fn fn, void *userdata);
void jinja_env_add_filter(jinja_env *env, const char *name, jinja_native_fn fn, void *userdata);
void jinja_env_add_test(jinja_env *env, const char *name, jinja_native_fn fn, void *userdata);
/* Addition (J1): bounds on the work of one render -- loop iterations plus
 * calls, and bytes allocated or output -- so a runaway template fails with
 * an error instead of hanging or exhausting memory; 0 means no bound (the
 * default).  The fuzzer sets them; hosts running untrusted templates may. */
void jinja_env_set_limits(jinja_env *env, long max_steps, size_t max_bytes);
/* A native function as a value, e.g. to put inside a dict or object. */
jv jinja_native(arena *a, const char *name, jinja_native_fn fn, void *userdata);

/* --- templates ------------------------------------------------------------ */
/* Compiles source; name appears in error messages as name:line:col. */
jinja_template *jinja_compile(jinja_env *env, const char *name, const char *source, size_t len,
                              mlerr *err);
void jinja_template_free(jinja_template *t);
const char *jinja_template_name(const jinja_template *t);

/* --- rendering ------------------------------------------------------------ */
typedef struct jinja_render_opts {
    jv context;    /* a dict of per-render variables, or JV_UNDEFINED for none */
    void *host;    /* handed to native functions via jinja_call_host() */
    arena *arena;  /* where the render's values live; NULL for a private one */
    int max_depth; /* macro/include nesting limit; 0 picks the default */
} jinja_render_opts;

/* Appends the template's output to out.  On failure, err reads
 * "name:line:col: message" followed by the offending source line. */
bool jinja_render(const jinja_template *t, const jinja_render_opts *opts, strbuf *out, mlerr *err);

/* Runs the template's top level like `{% import %}` does and returns its
 * exported names (macros and top-level sets) as a dict of values in
 * opts->arena, which must then be given.  Hosts use this to gather the
 * macros of a project's macro files. */
bool jinja_module(const jinja_template *t, const jinja_render_opts *opts, jv *module, mlerr *err);

/* Calls a callable (macro or native) from the host.  A macro's result is its
 * rendered output as a string, or the value it return()ed. */
bool jinja_invoke(const jinja_env *env, jv callable, const jinja_render_opts *opts, const jv *args,
                  size_t nargs, const jv_kwarg *kwargs, size_t nkwargs, jv *result, mlerr *err);

/* --- inside a native function --------------------------------------------- */
arena *jinja_call_arena(jinja_call *call);
void *jinja_call_host(jinja_call *call);
/* The render's context dict (for hosts that need, say, `model` or `this`). */
jv jinja_call_context(jinja_call *call);
/* Looks a name up as the template would at the call site. */
jv jinja_call_lookup(jinja_call *call, const char *name);
/* Calls another callable (a macro from adapter.dispatch, say) from inside
 * a native function, in the same render. */
jinja_status jinja_call_invoke(jinja_call *call, jv callable, const jv *args, size_t nargs,
                               const jv_kwarg *kwargs, size_t nkwargs, jv *result);
/* Fails the render with a message; the engine adds name:line:col of the
 * call site.  Returns JINJA_ERROR for `return jinja_call_error(...)`. */
jinja_status jinja_call_error(jinja_call *call, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Ends the enclosing macro with value; returns JINJA_RETURN. */
jinja_status jinja_call_return(jinja_call *call, jv value);

#endif
