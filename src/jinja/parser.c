/* parser: tokens to syntax tree, following Jinja2's parser.py rule for rule
 * (so precedence, tuple rules and error messages match), with the `do` and
 * `loopcontrols` extensions built in. */
#include "jinja/ast.h"

#include <stdio.h>
#include <string.h>

/* Deep nesting recurses in C; Jinja2 would hit Python's recursion limit. */
enum {
    MAX_NESTING = 150
};

typedef struct parser {
    jinja_template *t;
    arena *a;
    const token *toks;
    size_t ntoks, pos;
    mlerr *err;
    int depth;
    int loop_depth;
    struct vec *blocks; /* every {% block %}, for the template's table */
    /* the open blocks, for "Jinja was looking for" messages */
    const char *const *end_stack[MAX_NESTING];
    const char *tag_stack[MAX_NESTING];
    int nstack;
} parser;

static const token *cur(const parser *p)
{
    return &p->toks[p->pos];
}

static const token *peek(const parser *p, size_t k)
{
    size_t i = p->pos + k;
    return &p->toks[i < p->ntoks ? i : p->ntoks - 1];
}

static const token *next(parser *p)
{
    const token *t = cur(p);
    if (t->type != TK_EOF)
        p->pos++;
    return t;
}

static bool fail_at(parser *p, const token *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail_at(parser *p, const token *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    jinja_error_atv(p->err, &p->t->src, t->line, t->col, fmt, ap);
    va_end(ap);
    return false;
}

static bool is_name(const token *t, const char *name)
{
    return t->type == TK_NAME && strcmp(t->text, name) == 0;
}

static bool is_op(const token *t, tk_op op)
{
    return t->type == TK_OP && t->op == op;
}

static bool skip_op(parser *p, tk_op op)
{
    if (is_op(cur(p), op)) {
        next(p);
        return true;
    }
    return false;
}

static bool skip_name(parser *p, const char *name)
{
    if (is_name(cur(p), name)) {
        next(p);
        return true;
    }
    return false;
}

static const char *op_text(tk_op op)
{
    switch (op) {
    case OP_RPAREN:
        return ")";
    case OP_RBRACKET:
        return "]";
    case OP_RBRACE:
        return "}";
    case OP_COLON:
        return ":";
    case OP_COMMA:
        return ",";
    case OP_ASSIGN:
        return "=";
    case OP_LPAREN:
        return "(";
    default:
        return "operator";
    }
}

static bool fail_expected(parser *p, const char *what)
{
    const token *t = cur(p);
    char buf[80];
    if (t->type == TK_EOF)
        return fail_at(p, t, "unexpected end of template, expected '%s'.", what);
    return fail_at(p, t, "expected token '%s', got '%s'", what,
                   jinja_token_describe(t, buf, sizeof(buf)));
}

static bool expect_op(parser *p, tk_op op)
{
    if (skip_op(p, op))
        return true;
    return fail_expected(p, op_text(op));
}

static bool expect_type(parser *p, tk_type type)
{
    if (cur(p)->type == type) {
        next(p);
        return true;
    }
    token fake = {.type = type};
    char buf[8];
    return fail_expected(p, jinja_token_describe(&fake, buf, sizeof(buf)));
}

static bool expect_name(parser *p, const char *name)
{
    if (skip_name(p, name))
        return true;
    return fail_expected(p, name);
}

/* --- building nodes ------------------------------------------------------- */
static node *new_node(parser *p, node_kind kind, const token *at)
{
    node *n = ARENA_NEW(p->a, node);
    n->kind = (uint8_t)kind;
    n->line = at->line;
    n->col = at->col;
    return n;
}

static name_ref make_name(parser *p, const char *s)
{
    (void)p;
    return (name_ref){.s = s, .hash = jinja_hash(s)};
}

typedef struct vec {
    void **items;
    size_t n, cap;
} vec;

static void vec_push(parser *p, vec *v, void *item)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 4;
        void **items = arena_alloc(p->a, cap * sizeof(void *));
        if (v->n)
            memcpy(items, v->items, v->n * sizeof(void *));
        v->items = items;
        v->cap = cap;
    }
    v->items[v->n++] = item;
}

static node_list to_list(vec *v)
{
    return (node_list){.items = (node **)v->items, .n = v->n};
}

static bool enter(parser *p)
{
    if (++p->depth > MAX_NESTING) {
        fail_at(p, cur(p), "%s", "expression or block nested too deeply");
        return false;
    }
    return true;
}

static void leave(parser *p)
{
    p->depth--;
}

/* --- expressions ---------------------------------------------------------- */
static node *parse_expression(parser *p, bool with_condexpr);
static node *parse_tuple(parser *p, bool simplified, bool with_condexpr,
                         const char *const *extra_end, bool explicit_parens);
static node *parse_or(parser *p);
static node *parse_unary(parser *p, bool with_filter);
static node *parse_primary(parser *p);
static node *parse_postfix(parser *p, node *n);
static node *parse_filter_expr(parser *p, node *n);
static node *parse_filter(parser *p, node *n, bool start_inline);

static node *parse_expression(parser *p, bool with_condexpr)
{
    if (!enter(p))
        return NULL;
    node *n = parse_or(p);
    if (n && with_condexpr) {
        while (is_name(cur(p), "if")) {
            const token *t = next(p);
            node *cond = parse_or(p);
            if (!cond)
                return NULL;
            node *c = new_node(p, N_CONDEXPR, t);
            c->a = cond;
            c->b = n;
            if (skip_name(p, "else")) {
                c->c = parse_expression(p, true);
                if (!c->c)
                    return NULL;
            }
            n = c;
        }
    }
    leave(p);
    return n;
}

static node *parse_not(parser *p);

static node *parse_and(parser *p)
{
    node *left = parse_not(p);
    while (left && is_name(cur(p), "and")) {
        const token *t = next(p);
        node *right = parse_not(p);
        if (!right)
            return NULL;
        node *n = new_node(p, N_AND, t);
        n->a = left;
        n->b = right;
        left = n;
    }
    return left;
}

static node *parse_or(parser *p)
{
    node *left = parse_and(p);
    while (left && is_name(cur(p), "or")) {
        const token *t = next(p);
        node *right = parse_and(p);
        if (!right)
            return NULL;
        node *n = new_node(p, N_OR, t);
        n->a = left;
        n->b = right;
        left = n;
    }
    return left;
}

static node *parse_compare(parser *p);

static node *parse_not(parser *p)
{
    if (is_name(cur(p), "not")) {
        const token *t = next(p);
        if (!enter(p))
            return NULL;
        node *operand = parse_not(p);
        leave(p);
        if (!operand)
            return NULL;
        node *n = new_node(p, N_NOT, t);
        n->a = operand;
        return n;
    }
    return parse_compare(p);
}

static node *parse_math1(parser *p);

static node *parse_compare(parser *p)
{
    const token *start = cur(p);
    node *expr = parse_math1(p);
    if (!expr)
        return NULL;
    vec operands = {0};
    uint8_t ops[64];
    size_t nops = 0;
    for (;;) {
        const token *t = cur(p);
        tk_op op = OP_NONE;
        if (t->type == TK_OP && (t->op == OP_EQ || t->op == OP_NE || t->op == OP_GT ||
                                 t->op == OP_GTEQ || t->op == OP_LT || t->op == OP_LTEQ)) {
            op = t->op;
            next(p);
        } else if (is_name(t, "in")) {
            op = OP_IN;
            next(p);
        } else if (is_name(t, "not") && is_name(peek(p, 1), "in")) {
            op = OP_NOTIN;
            next(p);
            next(p);
        } else {
            break;
        }
        if (nops == sizeof(ops)) {
            fail_at(p, t, "%s", "too many chained comparisons");
            return NULL;
        }
        node *right = parse_math1(p);
        if (!right)
            return NULL;
        ops[nops++] = (uint8_t)op;
        vec_push(p, &operands, right);
    }
    if (nops == 0)
        return expr;
    node *n = new_node(p, N_COMPARE, start);
    n->a = expr;
    n->list = to_list(&operands);
    n->ops = arena_alloc(p->a, nops);
    memcpy(n->ops, ops, nops);
    return n;
}

static node *binop(parser *p, const token *t, node *l, node *r)
{
    node *n = new_node(p, N_BINOP, t);
    n->op = (uint8_t)t->op;
    n->a = l;
    n->b = r;
    return n;
}

static node *parse_concat(parser *p);

static node *parse_math1(parser *p)
{
    node *left = parse_concat(p);
    while (left && (is_op(cur(p), OP_ADD) || is_op(cur(p), OP_SUB))) {
        const token *t = next(p);
        node *right = parse_concat(p);
        if (!right)
            return NULL;
        left = binop(p, t, left, right);
    }
    return left;
}

static node *parse_math2(parser *p);

static node *parse_concat(parser *p)
{
    const token *start = cur(p);
    node *first = parse_math2(p);
    if (!first || !is_op(cur(p), OP_TILDE))
        return first;
    vec args = {0};
    vec_push(p, &args, first);
    while (is_op(cur(p), OP_TILDE)) {
        next(p);
        node *n = parse_math2(p);
        if (!n)
            return NULL;
        vec_push(p, &args, n);
    }
    node *n = new_node(p, N_CONCAT, start);
    n->list = to_list(&args);
    return n;
}

static node *parse_pow(parser *p);

static node *parse_math2(parser *p)
{
    node *left = parse_pow(p);
    while (left && cur(p)->type == TK_OP &&
           (cur(p)->op == OP_MUL || cur(p)->op == OP_DIV || cur(p)->op == OP_FLOORDIV ||
            cur(p)->op == OP_MOD)) {
        const token *t = next(p);
        node *right = parse_pow(p);
        if (!right)
            return NULL;
        left = binop(p, t, left, right);
    }
    return left;
}

static node *parse_pow(parser *p)
{
    node *left = parse_unary(p, true);
    while (left && is_op(cur(p), OP_POW)) {
        const token *t = next(p);
        node *right = parse_unary(p, true);
        if (!right)
            return NULL;
        left = binop(p, t, left, right);
    }
    return left;
}

static node *parse_unary(parser *p, bool with_filter)
{
    const token *t = cur(p);
    node *n;
    if (!enter(p))
        return NULL;
    if (is_op(t, OP_SUB) || is_op(t, OP_ADD)) {
        next(p);
        node *operand = parse_unary(p, false);
        if (!operand)
            return NULL;
        n = new_node(p, t->op == OP_SUB ? N_NEG : N_POS, t);
        n->a = operand;
    } else {
        n = parse_primary(p);
        if (n)
            n = parse_postfix(p, n);
    }
    if (n && with_filter)
        n = parse_filter_expr(p, n);
    leave(p);
    return n;
}

static node *make_const(parser *p, const token *t, jv v)
{
    node *n = new_node(p, N_CONST, t);
    n->value = v;
    return n;
}

static node *parse_list_like(parser *p, const token *t, node_kind kind, tk_op close)
{
    vec items = {0}, values = {0};
    while (!is_op(cur(p), close)) {
        if (items.n && !expect_op(p, OP_COMMA))
            return NULL;
        if (is_op(cur(p), close))
            break;
        node *item = parse_expression(p, true);
        if (!item)
            return NULL;
        vec_push(p, &items, item);
        if (kind == N_DICT) {
            if (!expect_op(p, OP_COLON))
                return NULL;
            node *value = parse_expression(p, true);
            if (!value)
                return NULL;
            vec_push(p, &values, value);
        }
    }
    if (!expect_op(p, close))
        return NULL;
    node *n = new_node(p, kind, t);
    n->list = to_list(&items);
    n->list2 = to_list(&values);
    return n;
}

static node *parse_primary(parser *p)
{
    const token *t = cur(p);
    char buf[80];
    switch (t->type) {
    case TK_NAME:
        next(p);
        if (!strcmp(t->text, "true") || !strcmp(t->text, "True"))
            return make_const(p, t, jv_bool(true));
        if (!strcmp(t->text, "false") || !strcmp(t->text, "False"))
            return make_const(p, t, jv_bool(false));
        if (!strcmp(t->text, "none") || !strcmp(t->text, "None"))
            return make_const(p, t, jv_none());
        {
            node *n = new_node(p, N_NAME, t);
            n->name = make_name(p, t->text);
            if (!strcmp(t->text, "self"))
                p->t->uses_self = true;
            return n;
        }
    case TK_STRING: {
        next(p);
        if (cur(p)->type != TK_STRING)
            return make_const(p, t, jv_string_n(p->a, t->text, t->len));
        /* adjacent literals concatenate, as in Python */
        strbuf sb = STRBUF_INIT;
        strbuf_add(&sb, t->text, t->len);
        while (cur(p)->type == TK_STRING) {
            const token *s = next(p);
            strbuf_add(&sb, s->text, s->len);
        }
        node *n = make_const(p, t, jv_string_n(p->a, strbuf_str(&sb), sb.len));
        strbuf_release(&sb);
        return n;
    }
    case TK_INT:
        next(p);
        return make_const(p, t, jv_int(t->ival));
    case TK_FLOAT:
        next(p);
        return make_const(p, t, jv_float(t->fval));
    case TK_OP:
        if (t->op == OP_LPAREN) {
            next(p);
            node *n = parse_tuple(p, false, true, NULL, true);
            if (!n || !expect_op(p, OP_RPAREN))
                return NULL;
            return n;
        }
        if (t->op == OP_LBRACKET) {
            next(p);
            return parse_list_like(p, t, N_LIST, OP_RBRACKET);
        }
        if (t->op == OP_LBRACE) {
            next(p);
            return parse_list_like(p, t, N_DICT, OP_RBRACE);
        }
        break;
    default:
        break;
    }
    if (t->type == TK_EOF)
        fail_at(p, t, "%s", "unexpected end of template, expected an expression.");
    else
        fail_at(p, t, "unexpected '%s'", jinja_token_describe(t, buf, sizeof(buf)));
    return NULL;
}

static bool is_tuple_end(parser *p, const char *const *extra_end)
{
    const token *t = cur(p);
    if (t->type == TK_VAR_END || t->type == TK_BLOCK_END || is_op(t, OP_RPAREN) ||
        t->type == TK_EOF)
        return true;
    if (extra_end)
        for (; *extra_end; extra_end++)
            if (is_name(t, *extra_end))
                return true;
    return false;
}

static node *parse_tuple(parser *p, bool simplified, bool with_condexpr,
                         const char *const *extra_end, bool explicit_parens)
{
    const token *start = cur(p);
    vec args = {0};
    bool is_tuple = false;
    if (!enter(p))
        return NULL;
    for (;;) {
        if (args.n && !expect_op(p, OP_COMMA))
            return NULL;
        if (is_tuple_end(p, extra_end))
            break;
        node *n;
        if (simplified) {
            n = parse_primary(p);
        } else {
            n = parse_expression(p, with_condexpr);
        }
        if (!n)
            return NULL;
        vec_push(p, &args, n);
        if (is_op(cur(p), OP_COMMA))
            is_tuple = true;
        else
            break;
    }
    leave(p);
    if (!is_tuple) {
        if (args.n)
            return args.items[0];
        if (!explicit_parens) {
            char buf[80];
            fail_at(p, cur(p), "Expected an expression, got '%s'",
                    jinja_token_describe(cur(p), buf, sizeof(buf)));
            return NULL;
        }
    }
    node *n = new_node(p, N_TUPLE, start);
    n->list = to_list(&args);
    return n;
}

static bool parse_call_args(parser *p, call_args *out)
{
    vec pos = {0}, kwnames = {0}, kwvals = {0};
    memset(out, 0, sizeof(*out));
    if (!expect_op(p, OP_LPAREN))
        return false;
    bool first = true;
    while (!is_op(cur(p), OP_RPAREN)) {
        if (!first && !expect_op(p, OP_COMMA))
            return false;
        first = false;
        if (is_op(cur(p), OP_RPAREN))
            break;
        const token *t = cur(p);
        if (is_op(t, OP_MUL)) {
            next(p);
            if (out->star || out->starstar)
                return fail_at(p, t, "%s", "invalid syntax for function call expression");
            out->star = parse_expression(p, true);
            if (!out->star)
                return false;
        } else if (is_op(t, OP_POW)) {
            next(p);
            if (out->starstar)
                return fail_at(p, t, "%s", "invalid syntax for function call expression");
            out->starstar = parse_expression(p, true);
            if (!out->starstar)
                return false;
        } else if (t->type == TK_NAME && is_op(peek(p, 1), OP_ASSIGN)) {
            if (out->starstar)
                return fail_at(p, t, "%s", "invalid syntax for function call expression");
            next(p);
            next(p);
            name_ref *nm = ARENA_NEW(p->a, name_ref);
            *nm = make_name(p, t->text);
            node *v = parse_expression(p, true);
            if (!v)
                return false;
            vec_push(p, &kwnames, nm);
            vec_push(p, &kwvals, v);
        } else {
            if (out->star || out->starstar || kwvals.n)
                return fail_at(p, t, "%s", "invalid syntax for function call expression");
            node *v = parse_expression(p, true);
            if (!v)
                return false;
            vec_push(p, &pos, v);
        }
    }
    next(p);
    out->pos = to_list(&pos);
    out->nkw = kwvals.n;
    out->kwvals = (node **)kwvals.items;
    out->kwnames = ARENA_NEW_ARRAY(p->a, name_ref, kwnames.n ? kwnames.n : 1);
    for (size_t i = 0; i < kwnames.n; i++)
        out->kwnames[i] = *(name_ref *)kwnames.items[i];
    return true;
}

static node *parse_subscript_arg(parser *p)
{
    const token *start = cur(p);
    node *args[3] = {NULL, NULL, NULL};
    if (!is_op(cur(p), OP_COLON)) {
        node *n = parse_expression(p, true);
        if (!n || !is_op(cur(p), OP_COLON))
            return n;
    }
    /* a slice: [start]:[stop][:[step]] */
    node *s = new_node(p, N_SLICE, start);
    next(p);
    if (!is_op(cur(p), OP_RBRACKET) && !is_op(cur(p), OP_COMMA) && !is_op(cur(p), OP_COLON)) {
        args[1] = parse_expression(p, true);
        if (!args[1])
            return NULL;
    }
    if (skip_op(p, OP_COLON)) {
        if (!is_op(cur(p), OP_RBRACKET) && !is_op(cur(p), OP_COMMA)) {
            args[2] = parse_expression(p, true);
            if (!args[2])
                return NULL;
        }
    }
    s->b = args[1];
    s->c = args[2];
    return s;
}

/* Would Jinja2 fold n to a constant at compile time? */
static bool is_const_expr(const node *n, int depth)
{
    if (!n)
        return true;
    if (depth > 50)
        return false;
    switch (n->kind) {
    case N_CONST:
        return true;
    case N_LIST:
    case N_TUPLE:
    case N_DICT:
    case N_CONCAT:
        for (size_t i = 0; i < n->list.n; i++)
            if (!is_const_expr(n->list.items[i], depth + 1))
                return false;
        for (size_t i = 0; i < n->list2.n; i++)
            if (!is_const_expr(n->list2.items[i], depth + 1))
                return false;
        return true;
    case N_COMPARE:
        for (size_t i = 0; i < n->list.n; i++)
            if (!is_const_expr(n->list.items[i], depth + 1))
                return false;
        return is_const_expr(n->a, depth + 1);
    case N_CONDEXPR:
        /* folding looks only at the branch a constant test picks */
        if (n->a->kind == N_CONST)
            return is_const_expr(jv_truthy(n->a->value) ? n->b : n->c, depth + 1);
        return is_const_expr(n->a, depth + 1) && is_const_expr(n->b, depth + 1) &&
               is_const_expr(n->c, depth + 1);
    case N_BINOP:
    case N_AND:
    case N_OR:
    case N_NOT:
    case N_NEG:
    case N_POS:
    case N_GETATTR:
    case N_GETITEM:
    case N_SLICE:
        return is_const_expr(n->a, depth + 1) && is_const_expr(n->b, depth + 1) &&
               is_const_expr(n->c, depth + 1) && is_const_expr(n->d, depth + 1);
    default:
        return false;
    }
}

/* Jinja2 folds a {{ }} expression made of constants when it compiles; a
 * slice's TypeError inside one yields undefined instead of failing. */
static void mark_const_slices(node *n, int depth)
{
    if (!n || depth > 50)
        return;
    if (n->kind == N_SLICE)
        n->flags |= NF_CONST_SLICE;
    mark_const_slices(n->a, depth + 1);
    mark_const_slices(n->b, depth + 1);
    mark_const_slices(n->c, depth + 1);
    mark_const_slices(n->d, depth + 1);
    for (size_t i = 0; i < n->list.n; i++)
        mark_const_slices(n->list.items[i], depth + 1);
    for (size_t i = 0; i < n->list2.n; i++)
        mark_const_slices(n->list2.items[i], depth + 1);
}

/* Fixes up the start expression of a slice, which parse_subscript_arg saw
 * first. */
static node *parse_subscript(parser *p, node *obj)
{
    const token *t = next(p);
    if (t->op == OP_DOT) {
        const token *a = cur(p);
        if (a->type == TK_NAME) {
            next(p);
            node *n = new_node(p, N_GETATTR, a);
            n->a = obj;
            n->name = make_name(p, a->text);
            return n;
        }
        if (a->type == TK_INT) {
            next(p);
            node *n = new_node(p, N_GETITEM, a);
            n->a = obj;
            n->b = make_const(p, a, jv_int(a->ival));
            return n;
        }
        fail_expected(p, "name or number");
        return NULL;
    }
    /* '[' */
    vec args = {0};
    while (!is_op(cur(p), OP_RBRACKET)) {
        if (args.n && !expect_op(p, OP_COMMA))
            return NULL;
        if (is_op(cur(p), OP_RBRACKET))
            break;
        const token *start = cur(p);
        node *first = NULL;
        if (!is_op(cur(p), OP_COLON)) {
            first = parse_expression(p, true);
            if (!first)
                return NULL;
        }
        node *arg = first;
        if (is_op(cur(p), OP_COLON)) {
            (void)start;
            node *s = parse_subscript_arg(p);
            if (!s)
                return NULL;
            s->d = first; /* the slice's start */
            arg = s;
        }
        vec_push(p, &args, arg);
    }
    if (!expect_op(p, OP_RBRACKET))
        return NULL;
    if (args.n == 0) {
        fail_at(p, t, "%s", "expected subscript expression");
        return NULL;
    }
    node *key;
    if (args.n == 1) {
        key = args.items[0];
    } else {
        key = new_node(p, N_TUPLE, t);
        key->list = to_list(&args);
        for (size_t i = 0; i < args.n; i++)
            if (((node *)args.items[i])->kind == N_SLICE) {
                fail_at(p, t, "%s", "not supported yet: multi-dimensional slices");
                return NULL;
            }
    }
    if (key->kind == N_SLICE) {
        key->a = obj;
        return key;
    }
    node *n = new_node(p, N_GETITEM, t);
    n->a = obj;
    n->b = key;
    return n;
}

static node *parse_postfix(parser *p, node *n)
{
    for (;;) {
        const token *t = cur(p);
        if (is_op(t, OP_DOT) || is_op(t, OP_LBRACKET)) {
            n = parse_subscript(p, n);
        } else if (is_op(t, OP_LPAREN)) {
            node *c = new_node(p, N_CALL, t);
            c->line = n->line; /* errors point at the callee */
            c->col = n->col;
            c->a = n;
            if (!parse_call_args(p, &c->args))
                return NULL;
            n = c;
        } else {
            return n;
        }
        if (!n)
            return NULL;
    }
}

static bool parse_dotted_name(parser *p, name_ref *out)
{
    const token *t = cur(p);
    if (t->type != TK_NAME)
        return fail_expected(p, "name");
    next(p);
    if (!is_op(cur(p), OP_DOT)) {
        *out = make_name(p, t->text);
        return true;
    }
    strbuf sb = STRBUF_INIT;
    strbuf_adds(&sb, t->text);
    while (is_op(cur(p), OP_DOT)) {
        next(p);
        if (cur(p)->type != TK_NAME) {
            strbuf_release(&sb);
            return fail_expected(p, "name");
        }
        strbuf_addc(&sb, '.');
        strbuf_adds(&sb, next(p)->text);
    }
    *out = make_name(p, arena_strdup(p->a, strbuf_str(&sb)));
    strbuf_release(&sb);
    return true;
}

static node *parse_filter(parser *p, node *n, bool start_inline)
{
    while (is_op(cur(p), OP_PIPE) || start_inline) {
        if (!start_inline)
            next(p);
        start_inline = false;
        const token *t = cur(p);
        node *f = new_node(p, N_FILTER, t);
        f->a = n;
        if (!parse_dotted_name(p, &f->name))
            return NULL;
        if (is_op(cur(p), OP_LPAREN) && !parse_call_args(p, &f->args))
            return NULL;
        n = f;
    }
    return n;
}

static node *parse_test(parser *p, node *n)
{
    const token *is_tok = next(p);
    bool negated = skip_name(p, "not");
    const token *t = cur(p);
    node *test = new_node(p, N_TEST, t);
    test->a = n;
    if (!parse_dotted_name(p, &test->name))
        return NULL;
    const token *c = cur(p);
    if (is_op(c, OP_LPAREN)) {
        if (!parse_call_args(p, &test->args))
            return NULL;
    } else if ((c->type == TK_NAME || c->type == TK_STRING || c->type == TK_INT ||
                c->type == TK_FLOAT || is_op(c, OP_LPAREN) || is_op(c, OP_LBRACKET) ||
                is_op(c, OP_LBRACE)) &&
               !is_name(c, "else") && !is_name(c, "or") && !is_name(c, "and")) {
        if (is_name(c, "is")) {
            fail_at(p, c, "%s", "You cannot chain multiple tests with is");
            return NULL;
        }
        node *arg = parse_primary(p);
        if (!arg)
            return NULL;
        arg = parse_postfix(p, arg);
        if (!arg)
            return NULL;
        vec args = {0};
        vec_push(p, &args, arg);
        test->args.pos = to_list(&args);
        test->args.kwnames = NULL;
    }
    if (negated) {
        node *nn = new_node(p, N_NOT, is_tok);
        nn->a = test;
        return nn;
    }
    return test;
}

static node *parse_filter_expr(parser *p, node *n)
{
    for (;;) {
        const token *t = cur(p);
        if (is_op(t, OP_PIPE)) {
            n = parse_filter(p, n, false);
        } else if (is_name(t, "is")) {
            n = parse_test(p, n);
        } else if (is_op(t, OP_LPAREN)) {
            node *c = new_node(p, N_CALL, t);
            c->line = n->line; /* errors point at the callee */
            c->col = n->col;
            c->a = n;
            if (!parse_call_args(p, &c->args))
                return NULL;
            n = c;
        } else {
            return n;
        }
        if (!n)
            return NULL;
    }
}

/* --- statements ----------------------------------------------------------- */
static bool subparse(parser *p, const char *const *end_tokens, vec *body);

static bool can_assign(const node *n)
{
    if (n->kind == N_NAME)
        return strcmp(n->name.s, "true") && strcmp(n->name.s, "false") &&
               strcmp(n->name.s, "none") && strcmp(n->name.s, "True") &&
               strcmp(n->name.s, "False") && strcmp(n->name.s, "None");
    if (n->kind == N_TUPLE || n->kind == N_LIST) {
        for (size_t i = 0; i < n->list.n; i++)
            if (!can_assign(n->list.items[i]))
                return false;
        return true;
    }
    return false;
}

static node *parse_assign_target(parser *p, bool with_tuple, bool name_only,
                                 const char *const *extra_end, bool with_namespace)
{
    const token *t = cur(p);
    node *target;
    if (with_namespace && t->type == TK_NAME && is_op(peek(p, 1), OP_DOT) &&
        peek(p, 2)->type == TK_NAME) {
        next(p);
        next(p);
        const token *attr = next(p);
        node *obj = new_node(p, N_NAME, t);
        obj->name = make_name(p, t->text);
        target = new_node(p, N_GETATTR, attr);
        target->a = obj;
        target->name = make_name(p, attr->text);
        return target;
    }
    if (name_only) {
        if (t->type != TK_NAME) {
            fail_expected(p, "name");
            return NULL;
        }
        next(p);
        target = new_node(p, N_NAME, t);
        target->name = make_name(p, t->text);
    } else if (with_tuple) {
        target = parse_tuple(p, true, true, extra_end, false);
    } else {
        target = parse_primary(p);
    }
    if (!target)
        return NULL;
    if (!can_assign(target)) {
        fail_at(p, t, "can't assign to '%s'",
                target->kind == N_CONST  ? "const"
                : target->kind == N_CALL ? "call"
                                         : "expression");
        return NULL;
    }
    return target;
}

/* Parses "%} body {% <end>" with the block named tag open, leaving cur at
 * the end name (or past it with drop_needle). */
static bool parse_statements(parser *p, const char *tag, const char *const *end_tokens,
                             bool drop_needle, node_list *out)
{
    skip_op(p, OP_COLON);
    if (!expect_type(p, TK_BLOCK_END))
        return false;
    if (p->nstack >= MAX_NESTING)
        return fail_at(p, cur(p), "%s", "blocks nested too deeply");
    p->tag_stack[p->nstack] = tag;
    p->end_stack[p->nstack] = end_tokens;
    p->nstack++;
    vec body = {0};
    bool ok = subparse(p, end_tokens, &body);
    p->nstack--;
    if (!ok)
        return false;
    if (drop_needle)
        next(p);
    *out = to_list(&body);
    return true;
}

static void describe_expected(parser *p, strbuf *sb)
{
    if (p->nstack == 0)
        return;
    strbuf_adds(sb, " Jinja was looking for the following tags: ");
    const char *const *ends = p->end_stack[p->nstack - 1];
    for (size_t i = 0; ends[i]; i++)
        strbuf_addf(sb, "%s'%s'", i ? " or " : "", ends[i]);
    strbuf_addf(sb, ". The innermost block that needs to be closed is '%s'.",
                p->tag_stack[p->nstack - 1]);
}

static bool fail_unknown_tag(parser *p, const token *t, const char *name)
{
    strbuf sb = STRBUF_INIT;
    if (name)
        strbuf_addf(&sb, "Encountered unknown tag '%s'.", name);
    else
        strbuf_adds(&sb, "Unexpected end of template.");
    describe_expected(p, &sb);
    fail_at(p, t, "%s", strbuf_str(&sb));
    strbuf_release(&sb);
    return false;
}

static const char *const END_IF[] = {"elif", "else", "endif", NULL};
static const char *const END_ENDIF[] = {"endif", NULL};
static const char *const END_FOR[] = {"endfor", "else", NULL};
static const char *const END_ENDFOR[] = {"endfor", NULL};
static const char *const END_SET[] = {"endset", NULL};
static const char *const END_MACRO[] = {"endmacro", NULL};
static const char *const END_CALL[] = {"endcall", NULL};
static const char *const END_FILTER[] = {"endfilter", NULL};
static const char *const END_WITH[] = {"endwith", NULL};
static const char *const END_BLOCK[] = {"endblock", NULL};
static const char *const FOR_TARGET_END[] = {"in", NULL};
static const char *const FOR_ITER_END[] = {"recursive", NULL};

static node *parse_if(parser *p, const token *t)
{
    node *top = new_node(p, S_IF, t);
    node *n = top;
    for (;;) {
        n->a = parse_tuple(p, false, false, NULL, false);
        if (!n->a)
            return NULL;
        if (!parse_statements(p, "if", END_IF, false, &n->list))
            return NULL;
        const token *end = next(p);
        if (is_name(end, "elif")) {
            node *elif = new_node(p, S_IF, end);
            node **items = arena_alloc(p->a, sizeof(node *));
            items[0] = elif;
            n->list2 = (node_list){.items = items, .n = 1};
            n = elif;
            continue;
        }
        if (is_name(end, "else")) {
            if (!parse_statements(p, "if", END_ENDIF, true, &n->list2))
                return NULL;
        }
        break;
    }
    return top;
}

/* Does the subtree define something that can outlive one loop iteration's
 * scope (see NF_FRESH_SCOPE)? */
static bool defines_closure(const node_list *body, int depth)
{
    if (depth > 200)
        return true;
    for (size_t i = 0; i < body->n; i++) {
        const node *n = body->items[i];
        if (n->kind == S_MACRO || n->kind == S_CALL_BLOCK ||
            ((n->kind == S_IMPORT || n->kind == S_FROM_IMPORT || n->kind == S_INCLUDE) &&
             (n->flags & NF_WITH_CONTEXT)))
            return true;
        if (n->kind >= S_DATA &&
            (defines_closure(&n->list, depth + 1) || defines_closure(&n->list2, depth + 1)))
            return true;
    }
    return false;
}

static node *parse_for(parser *p, const token *t)
{
    node *n = new_node(p, S_FOR, t);
    n->a = parse_assign_target(p, true, false, FOR_TARGET_END, false);
    if (!n->a || !expect_name(p, "in"))
        return NULL;
    n->b = parse_tuple(p, false, false, FOR_ITER_END, false);
    if (!n->b)
        return NULL;
    if (skip_name(p, "if")) {
        n->c = parse_expression(p, true);
        if (!n->c)
            return NULL;
    }
    if (is_name(cur(p), "recursive")) {
        fail_at(p, cur(p), "%s", "not supported yet: recursive loops");
        return NULL;
    }
    p->loop_depth++;
    bool ok = parse_statements(p, "for", END_FOR, false, &n->list);
    p->loop_depth--;
    if (!ok)
        return NULL;
    if (is_name(next(p), "else")) {
        if (!parse_statements(p, "for", END_ENDFOR, true, &n->list2))
            return NULL;
    }
    if (defines_closure(&n->list, 0))
        n->flags |= NF_FRESH_SCOPE;
    return n;
}

static node *parse_set(parser *p, const token *t)
{
    node *target = parse_assign_target(p, true, false, NULL, true);
    if (!target)
        return NULL;
    if (skip_op(p, OP_ASSIGN)) {
        node *n = new_node(p, S_SET, t);
        n->a = target;
        n->b = parse_tuple(p, false, true, NULL, false);
        return n->b ? n : NULL;
    }
    node *n = new_node(p, S_SET_BLOCK, t);
    n->a = target;
    if (is_op(cur(p), OP_PIPE)) {
        n->c = parse_filter(p, NULL, false);
        if (!n->c)
            return NULL;
    }
    if (!parse_statements(p, "set", END_SET, true, &n->list))
        return NULL;
    return n;
}

static void walk_uses(const node *n, macro_def *m, int depth);

static void walk_list(const node_list *l, macro_def *m, int depth)
{
    for (size_t i = 0; i < l->n; i++)
        walk_uses(l->items[i], m, depth);
}

/* Which of varargs, kwargs and caller the macro body mentions: Jinja2 lets a
 * macro take extra arguments only then. */
static void walk_uses(const node *n, macro_def *m, int depth)
{
    /* deeper trees are rejected after parsing (see check_names in env.c) */
    if (!n || ++depth > 1100)
        return;
    if (n->kind == N_NAME) {
        if (!strcmp(n->name.s, "varargs"))
            m->catch_varargs = true;
        else if (!strcmp(n->name.s, "kwargs"))
            m->catch_kwargs = true;
        else if (!strcmp(n->name.s, "caller"))
            m->uses_caller = true;
        return;
    }
    walk_uses(n->a, m, depth);
    walk_uses(n->b, m, depth);
    walk_uses(n->c, m, depth);
    walk_uses(n->d, m, depth);
    walk_list(&n->list, m, depth);
    walk_list(&n->list2, m, depth);
    walk_list(&n->args.pos, m, depth);
    for (size_t i = 0; i < n->args.nkw; i++)
        walk_uses(n->args.kwvals[i], m, depth);
    walk_uses(n->args.star, m, depth);
    walk_uses(n->args.starstar, m, depth);
    if (n->macro) {
        walk_list(&n->macro->body, m, depth);
        for (size_t i = 0; i < n->macro->nparams; i++)
            walk_uses(n->macro->defaults[i], m, depth);
    }
}

static bool parse_signature(parser *p, macro_def *m)
{
    vec names = {0}, defaults = {0};
    if (!expect_op(p, OP_LPAREN))
        return false;
    bool seen_default = false;
    while (!is_op(cur(p), OP_RPAREN)) {
        if (names.n && !expect_op(p, OP_COMMA))
            return false;
        if (is_op(cur(p), OP_RPAREN))
            break;
        node *arg = parse_assign_target(p, false, true, NULL, false);
        if (!arg)
            return false;
        node *def = NULL;
        if (skip_op(p, OP_ASSIGN)) {
            def = parse_expression(p, true);
            if (!def)
                return false;
            seen_default = true;
        } else if (seen_default) {
            return fail_at(p, cur(p), "%s", "non-default argument follows default argument");
        }
        name_ref *nm = ARENA_NEW(p->a, name_ref);
        *nm = arg->name;
        vec_push(p, &names, nm);
        vec_push(p, &defaults, def);
    }
    next(p);
    m->nparams = names.n;
    m->params = ARENA_NEW_ARRAY(p->a, name_ref, names.n ? names.n : 1);
    m->defaults = ARENA_NEW_ARRAY(p->a, node *, names.n ? names.n : 1);
    for (size_t i = 0; i < names.n; i++) {
        m->params[i] = *(name_ref *)names.items[i];
        m->defaults[i] = defaults.items[i];
    }
    return true;
}

static bool parse_macro_body(parser *p, macro_def *m, const char *tag,
                             const char *const *end_tokens)
{
    int saved_loops = p->loop_depth;
    p->loop_depth = 0;
    bool ok = parse_statements(p, tag, end_tokens, true, &m->body);
    p->loop_depth = saved_loops;
    if (!ok)
        return false;
    walk_list(&m->body, m, 0);
    for (size_t i = 0; i < m->nparams; i++) {
        walk_uses(m->defaults[i], m, 0);
        /* a parameter of that name is an ordinary argument */
        if (!strcmp(m->params[i].s, "varargs"))
            m->catch_varargs = false;
        if (!strcmp(m->params[i].s, "kwargs"))
            m->catch_kwargs = false;
    }
    return true;
}

static node *parse_macro(parser *p, const token *t)
{
    node *n = new_node(p, S_MACRO, t);
    macro_def *m = ARENA_NEW(p->a, macro_def);
    node *name = parse_assign_target(p, false, true, NULL, false);
    if (!name)
        return NULL;
    m->name = name->name;
    if (!parse_signature(p, m) || !parse_macro_body(p, m, "macro", END_MACRO))
        return NULL;
    n->macro = m;
    n->name = m->name;
    return n;
}

static node *parse_call_block(parser *p, const token *t)
{
    node *n = new_node(p, S_CALL_BLOCK, t);
    macro_def *m = ARENA_NEW(p->a, macro_def);
    m->name = make_name(p, "caller");
    if (is_op(cur(p), OP_LPAREN)) {
        if (!parse_signature(p, m))
            return NULL;
    } else {
        m->params = ARENA_NEW(p->a, name_ref);
        m->defaults = ARENA_NEW(p->a, node *);
    }
    const token *ct = cur(p);
    n->a = parse_expression(p, true);
    if (!n->a)
        return NULL;
    if (n->a->kind != N_CALL) {
        fail_at(p, ct, "%s", "expected call");
        return NULL;
    }
    if (!parse_macro_body(p, m, "call", END_CALL))
        return NULL;
    n->macro = m;
    return n;
}

static node *parse_filter_block(parser *p, const token *t)
{
    node *n = new_node(p, S_FILTER_BLOCK, t);
    n->c = parse_filter(p, NULL, true);
    if (!n->c || !parse_statements(p, "filter", END_FILTER, true, &n->list))
        return NULL;
    return n;
}

/* [with context | without context] after include/import */
static void parse_import_context(parser *p, node *n, bool dflt)
{
    if ((is_name(cur(p), "with") || is_name(cur(p), "without")) && is_name(peek(p, 1), "context")) {
        dflt = is_name(cur(p), "with");
        next(p);
        next(p);
    }
    if (dflt)
        n->flags |= NF_WITH_CONTEXT;
}

static node *parse_include(parser *p, const token *t)
{
    node *n = new_node(p, S_INCLUDE, t);
    n->a = parse_expression(p, true);
    if (!n->a)
        return NULL;
    if (is_name(cur(p), "ignore") && is_name(peek(p, 1), "missing")) {
        next(p);
        next(p);
        n->flags |= NF_IGNORE_MISSING;
    }
    parse_import_context(p, n, true);
    return n;
}

static node *parse_import(parser *p, const token *t)
{
    node *n = new_node(p, S_IMPORT, t);
    n->a = parse_expression(p, true);
    if (!n->a || !expect_name(p, "as"))
        return NULL;
    node *target = parse_assign_target(p, false, true, NULL, false);
    if (!target)
        return NULL;
    n->name = target->name;
    parse_import_context(p, n, false);
    return n;
}

static node *parse_from(parser *p, const token *t)
{
    node *n = new_node(p, S_FROM_IMPORT, t);
    n->a = parse_expression(p, true);
    if (!n->a || !expect_name(p, "import"))
        return NULL;
    vec names = {0}, aliases = {0};
    for (;;) {
        if (names.n && !expect_op(p, OP_COMMA))
            return NULL;
        if ((is_name(cur(p), "with") || is_name(cur(p), "without")) &&
            is_name(peek(p, 1), "context"))
            break;
        if (cur(p)->type != TK_NAME) {
            if (names.n)
                break;
            fail_expected(p, "name");
            return NULL;
        }
        const token *nt = next(p);
        if (nt->text[0] == '_') {
            fail_at(p, nt, "%s", "names starting with an underline can not be imported");
            return NULL;
        }
        name_ref *nm = ARENA_NEW(p->a, name_ref);
        *nm = make_name(p, nt->text);
        name_ref *al = ARENA_NEW(p->a, name_ref);
        *al = *nm;
        if (skip_name(p, "as")) {
            if (cur(p)->type != TK_NAME) {
                fail_expected(p, "name");
                return NULL;
            }
            *al = make_name(p, next(p)->text);
        }
        vec_push(p, &names, nm);
        vec_push(p, &aliases, al);
        if (!is_op(cur(p), OP_COMMA))
            break;
    }
    if (!names.n) {
        fail_expected(p, "name");
        return NULL;
    }
    n->nnames = names.n;
    n->names = ARENA_NEW_ARRAY(p->a, name_ref, names.n);
    n->aliases = ARENA_NEW_ARRAY(p->a, name_ref, names.n);
    for (size_t i = 0; i < names.n; i++) {
        n->names[i] = *(name_ref *)names.items[i];
        n->aliases[i] = *(name_ref *)aliases.items[i];
    }
    parse_import_context(p, n, false);
    return n;
}

static node *parse_with(parser *p, const token *t)
{
    node *n = new_node(p, S_WITH, t);
    vec targets = {0}, values = {0};
    while (cur(p)->type != TK_BLOCK_END) {
        if (targets.n && !expect_op(p, OP_COMMA))
            return NULL;
        node *target = parse_assign_target(p, true, false, NULL, false);
        if (!target || !expect_op(p, OP_ASSIGN))
            return NULL;
        node *value = parse_expression(p, true);
        if (!value)
            return NULL;
        vec_push(p, &targets, target);
        vec_push(p, &values, value);
    }
    n->list2 = to_list(&targets);
    n->d = NULL;
    /* values go in a tuple node so the evaluator finds them in order */
    node *vals = new_node(p, N_TUPLE, t);
    vals->list = to_list(&values);
    n->b = vals;
    if (!parse_statements(p, "with", END_WITH, true, &n->list))
        return NULL;
    return n;
}

static node *parse_block(parser *p, const token *t)
{
    node *n = new_node(p, S_BLOCK, t);
    if (cur(p)->type != TK_NAME) {
        fail_expected(p, "name");
        return NULL;
    }
    const token *name_tok = cur(p);
    n->name = make_name(p, next(p)->text);
    for (size_t i = 0; i < p->blocks->n; i++) {
        if (!strcmp(((node *)p->blocks->items[i])->name.s, n->name.s)) {
            fail_at(p, name_tok, "block '%s' defined twice", n->name.s);
            return NULL;
        }
    }
    vec_push(p, p->blocks, n);
    if (skip_name(p, "scoped"))
        n->flags |= NF_SCOPED;
    if (skip_name(p, "required"))
        n->flags |= NF_REQUIRED;
    if (!parse_statements(p, "block", END_BLOCK, true, &n->list))
        return NULL;
    if (n->flags & NF_REQUIRED) {
        for (size_t i = 0; i < n->list.n; i++) {
            const node *b = n->list.items[i];
            const jv text = b->value;
            bool blank = b->kind == S_DATA;
            for (size_t k = 0; blank && k < jv_str_len(text); k++)
                blank = strchr(" \t\r\n\f\v", jv_str_ptr(text)[k]) != NULL;
            if (!blank) {
                fail_at(p, t, "%s", "Required blocks can only contain comments or whitespace");
                return NULL;
            }
        }
    }
    if (cur(p)->type == TK_NAME) {
        const token *nt = next(p);
        if (strcmp(nt->text, n->name.s) != 0) {
            fail_at(p, nt, "mismatching name '%s' for block '%s'", nt->text, n->name.s);
            return NULL;
        }
    }
    return n;
}

static node *parse_statement(parser *p)
{
    const token *t = cur(p);
    if (t->type != TK_NAME) {
        fail_at(p, t, "%s", "tag name expected");
        return NULL;
    }
    const char *name = t->text;
    if (!enter(p))
        return NULL;
    node *n = NULL;
    next(p);
    if (!strcmp(name, "if")) {
        n = parse_if(p, t);
    } else if (!strcmp(name, "for")) {
        n = parse_for(p, t);
    } else if (!strcmp(name, "set")) {
        n = parse_set(p, t);
    } else if (!strcmp(name, "macro")) {
        n = parse_macro(p, t);
    } else if (!strcmp(name, "call")) {
        n = parse_call_block(p, t);
    } else if (!strcmp(name, "filter")) {
        n = parse_filter_block(p, t);
    } else if (!strcmp(name, "do")) {
        n = new_node(p, S_DO, t);
        n->a = parse_tuple(p, false, true, NULL, false);
        if (!n->a)
            n = NULL;
    } else if (!strcmp(name, "break") || !strcmp(name, "continue")) {
        if (p->loop_depth == 0) {
            fail_at(p, t, "'%s' outside loop", name);
        } else {
            n = new_node(p, name[0] == 'b' ? S_BREAK : S_CONTINUE, t);
        }
    } else if (!strcmp(name, "include")) {
        n = parse_include(p, t);
    } else if (!strcmp(name, "import")) {
        n = parse_import(p, t);
    } else if (!strcmp(name, "from")) {
        n = parse_from(p, t);
    } else if (!strcmp(name, "with")) {
        n = parse_with(p, t);
    } else if (!strcmp(name, "block")) {
        n = parse_block(p, t);
    } else if (!strcmp(name, "extends")) {
        /* only the top level (and ifs there) runs before the parent does */
        for (int i = 0; i < p->nstack; i++) {
            if (strcmp(p->tag_stack[i], "if") != 0) {
                fail_at(p, t, "%s", "cannot use extend from a non top-level scope");
                leave(p);
                return NULL;
            }
        }
        n = new_node(p, S_EXTENDS, t);
        n->a = parse_expression(p, true);
        if (!n->a)
            n = NULL;
    } else if (!strcmp(name, "autoescape")) {
        fail_at(p, t, "%s", "not supported yet: {% autoescape %} (there is no autoescaping)");
    } else {
        fail_unknown_tag(p, t, name);
    }
    leave(p);
    return n;
}

static bool is_end_token(const token *t, const char *const *end_tokens)
{
    if (!end_tokens || t->type != TK_NAME)
        return false;
    for (; *end_tokens; end_tokens++)
        if (!strcmp(t->text, *end_tokens))
            return true;
    return false;
}

static bool subparse(parser *p, const char *const *end_tokens, vec *body)
{
    for (;;) {
        const token *t = cur(p);
        switch (t->type) {
        case TK_EOF:
            if (end_tokens)
                return fail_unknown_tag(p, t, NULL);
            return true;
        case TK_DATA: {
            next(p);
            node *n = new_node(p, S_DATA, t);
            n->value = jv_string_n(p->a, t->text, t->len);
            vec_push(p, body, n);
            break;
        }
        case TK_VAR_BEGIN: {
            next(p);
            node *n = new_node(p, S_OUTPUT, t);
            n->a = parse_tuple(p, false, true, NULL, false);
            if (!n->a || !expect_type(p, TK_VAR_END))
                return false;
            if (is_const_expr(n->a, 0))
                mark_const_slices(n->a, 0);
            vec_push(p, body, n);
            break;
        }
        case TK_BLOCK_BEGIN: {
            next(p);
            if (is_end_token(cur(p), end_tokens))
                return true;
            node *n = parse_statement(p);
            if (!n || !expect_type(p, TK_BLOCK_END))
                return false;
            vec_push(p, body, n);
            break;
        }
        default: {
            char buf[80];
            return fail_at(p, t, "unexpected '%s'", jinja_token_describe(t, buf, sizeof(buf)));
        }
        }
    }
}

bool jinja_parse(jinja_template *t, const token_list *tokens, mlerr *err)
{
    vec blocks = {0};
    parser p = {.t = t,
                .a = &t->arena,
                .toks = tokens->items,
                .ntoks = tokens->n,
                .err = err,
                .blocks = &blocks};
    vec body = {0};
    if (!subparse(&p, NULL, &body))
        return false;
    t->body = to_list(&body);
    t->blocks = to_list(&blocks);
    return true;
}
