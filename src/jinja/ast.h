/* ast: the engine's internal types -- tokens, the syntax tree, compiled
 * templates, callables and the environment -- shared by lexer.c, parser.c,
 * eval.c and env.c.  Nothing here is part of the host contract.
 *
 * The tree lives in the template's arena and is never written after
 * jinja_compile returns, which is what makes concurrent renders of one
 * template safe. */
#ifndef MALLARD_JINJA_AST_H
#define MALLARD_JINJA_AST_H

#include "jinja/jinja.h"

#include <pthread.h>
#include <stdint.h>

/* --- tokens --------------------------------------------------------------- */
typedef enum {
    TK_EOF,
    TK_DATA,
    TK_VAR_BEGIN,
    TK_VAR_END,
    TK_BLOCK_BEGIN,
    TK_BLOCK_END,
    TK_NAME,
    TK_STRING,
    TK_INT,
    TK_FLOAT,
    TK_OP,
} tk_type;

typedef enum {
    OP_NONE,
    OP_ADD,
    OP_SUB,
    OP_DIV,
    OP_FLOORDIV,
    OP_MUL,
    OP_MOD,
    OP_POW,
    OP_TILDE,
    OP_LBRACKET,
    OP_RBRACKET,
    OP_LPAREN,
    OP_RPAREN,
    OP_LBRACE,
    OP_RBRACE,
    OP_EQ,
    OP_NE,
    OP_GT,
    OP_GTEQ,
    OP_LT,
    OP_LTEQ,
    OP_ASSIGN,
    OP_DOT,
    OP_COLON,
    OP_PIPE,
    OP_COMMA,
    OP_SEMICOLON,
    /* comparison operators that are words */
    OP_IN,
    OP_NOTIN,
} tk_op;

typedef struct token {
    tk_type type;
    tk_op op;
    int line, col;
    const char *text; /* TK_NAME: interned; TK_STRING/TK_DATA: decoded */
    size_t len;
    int64_t ival;
    double fval;
} token;

typedef struct token_list {
    token *items;
    size_t n, cap;
} token_list;

/* --- the source of one template, for error messages ------------------------ */
typedef struct source_info {
    const char *name;
    const char *text; /* newline-normalised source */
    size_t len;
} source_info;

/* Sets err to "name:line:col: message" plus the offending source line. */
void jinja_error_at(mlerr *err, const source_info *src, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void jinja_error_atv(mlerr *err, const source_info *src, int line, int col, const char *fmt,
                     va_list ap);

/* Splits source into tokens (names and strings in a); false on a lexical
 * error, with err set. */
bool jinja_lex(arena *a, const source_info *src, token_list *out, mlerr *err);
const char *jinja_token_describe(const token *t, char *buf, size_t size);

/* --- syntax tree ---------------------------------------------------------- */
typedef enum {
    /* expressions */
    N_CONST,
    N_NAME,
    N_LIST,
    N_TUPLE,
    N_DICT,
    N_BINOP,
    N_AND,
    N_OR,
    N_NOT,
    N_NEG,
    N_POS,
    N_COMPARE,
    N_CONDEXPR,
    N_GETATTR,
    N_GETITEM,
    N_SLICE,
    N_CALL,
    N_FILTER,
    N_TEST,
    N_CONCAT,
    /* statements */
    S_DATA,
    S_OUTPUT,
    S_IF,
    S_FOR,
    S_SET,
    S_SET_BLOCK,
    S_MACRO,
    S_CALL_BLOCK,
    S_FILTER_BLOCK,
    S_DO,
    S_BREAK,
    S_CONTINUE,
    S_INCLUDE,
    S_IMPORT,
    S_FROM_IMPORT,
    S_WITH,
    S_BLOCK,
    S_EXTENDS,
} node_kind;

typedef struct node node;

typedef struct name_ref {
    const char *s;
    uint32_t hash;
} name_ref;

typedef struct node_list {
    node **items;
    size_t n;
} node_list;

typedef struct call_args {
    node_list pos;
    name_ref *kwnames;
    node **kwvals;
    size_t nkw;
    node *star;     /* *args */
    node *starstar; /* **kwargs */
} call_args;

typedef struct macro_def {
    name_ref name;
    name_ref *params;
    node **defaults; /* NULL entries have no default */
    size_t nparams;
    node_list body;
    bool catch_varargs, catch_kwargs, uses_caller;
} macro_def;

struct node {
    uint8_t kind;
    uint8_t op; /* N_BINOP: tk_op */
    uint8_t flags;
    int line, col;
    node *a, *b, *c, *d;
    node_list list;  /* items, operands, bodies */
    node_list list2; /* dict values, else-bodies */
    uint8_t *ops;    /* N_COMPARE: one tk_op per operand in list */
    name_ref name;   /* names, attributes, filters, tests */
    name_ref *names; /* from-import names, with-targets */
    name_ref *aliases;
    size_t nnames;
    call_args args;
    macro_def *macro;
    jv value; /* N_CONST, S_DATA */
};

enum {
    NF_IGNORE_MISSING = 1 << 0,
    NF_WITH_CONTEXT = 1 << 1,
    /* S_FOR: the body defines macros (or imports with context), which may
     * keep its scope alive, so each iteration needs a scope of its own */
    NF_FRESH_SCOPE = 1 << 2,
    /* N_SLICE: every operand is a constant (see slice_type_error) */
    NF_CONST_SLICE = 1 << 3,
    /* S_BLOCK: sees the variables where it stands / must be overridden */
    NF_SCOPED = 1 << 4,
    NF_REQUIRED = 1 << 5,
};

uint32_t jinja_hash(const char *s);

/* --- compiled templates ---------------------------------------------------- */
struct jinja_template {
    arena arena;
    jinja_env *env;
    source_info src;
    node_list body;
    node_list blocks; /* every S_BLOCK, at any depth, by name once each */
    bool uses_self;   /* mentions `self`, which then names the template */
};

/* Parses tokens into t->body; false with err set on a syntax error. */
bool jinja_parse(jinja_template *t, const token_list *tokens, mlerr *err);

/* --- callables -------------------------------------------------------------- */
struct scope;

/* A macro (with the scope it was defined in) or a native function. */
struct jv_callable {
    const char *name;
    jinja_native_fn fn; /* NULL for a macro */
    void *userdata;
    const macro_def *macro;
    const jinja_template *tmpl; /* the macro's template */
    struct scope *closure;
};

/* --- environment ------------------------------------------------------------ */
typedef struct env_entry {
    const char *name;
    uint32_t hash;
    jv value;           /* globals */
    jinja_native_fn fn; /* filters and tests */
    void *userdata;
} env_entry;

typedef struct env_table {
    env_entry *slots;
    size_t cap, n;
} env_table;

const env_entry *jinja_table_find(const env_table *t, const char *name, uint32_t hash);

struct jinja_env {
    arena arena;
    jinja_undefined_mode undefined;
    long max_steps;
    size_t max_bytes;
    jinja_loader_fn loader;
    void *loader_data;
    env_table globals, filters, tests;
    /* Templates compiled through the loader, shared by every render. */
    pthread_mutex_t loaded_lock;
    struct loaded_template *loaded;
};

/* The compiled template called name from the loader, compiled on first use
 * and kept until the env is freed; NULL with *missing set when the loader
 * has none, or NULL with err set when it does not compile. */
const jinja_template *jinja_env_load(jinja_env *env, const char *name, bool *missing, mlerr *err);

#endif
