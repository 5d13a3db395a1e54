/* yaml_render: the env_var subset of Jinja that profiles need (see the
 * header for what is accepted and why the rest is refused). */
#include "project/yaml_render.h"

#include "util/jobctx.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct expr_cursor {
    const char *file;
    const ynode *node;
    const char *text; /* the whole scalar, for column arithmetic */
    const char *p;
    const char *end; /* the closing "}}" */
} expr_cursor;

/* Positions are exact for single-line plain or quoted scalars, which is what
 * profiles hold; the +1 skips an opening quote. */
static int col_at(const expr_cursor *c, const char *at)
{
    int quote = c->node->plain ? 0 : 1;
    return c->node->col + quote + (int)(at - c->text);
}

static void skip_ws(expr_cursor *c)
{
    while (c->p < c->end && isspace((unsigned char)*c->p))
        c->p++;
}

static bool fail_at(expr_cursor *c, const char *at, mlerr *err, const char *what)
{
    mlerr_at(err, EXIT_SETUP, c->file, c->node->line, col_at(c, at), "%s", what);
    return false;
}

static bool unsupported(expr_cursor *c, const char *at, mlerr *err)
{
    size_t len = (size_t)(c->end - at);
    while (len > 0 && isspace((unsigned char)at[len - 1]))
        len--;
    mlerr_at(err, EXIT_SETUP, c->file, c->node->line, col_at(c, at),
             "not supported yet in this YAML value: '%.*s' (only env_var('NAME'[, default]) with "
             "the filters int, as_number, as_text, as_bool, trim, lower and upper)",
             (int)(len > 60 ? 60 : len), at);
    return false;
}

/* A quoted string literal, or a number literal taken as its text. */
static bool parse_literal(expr_cursor *c, strbuf *out, mlerr *err)
{
    skip_ws(c);
    if (c->p < c->end && (*c->p == '\'' || *c->p == '"')) {
        char q = *c->p++;
        while (c->p < c->end && *c->p != q) {
            if (*c->p == '\\' && c->p + 1 < c->end)
                c->p++;
            strbuf_addc(out, *c->p++);
        }
        if (c->p >= c->end)
            return fail_at(c, c->p, err, "unterminated string in Jinja expression");
        c->p++;
        return true;
    }
    const char *start = c->p;
    if (c->p < c->end && (*c->p == '-' || *c->p == '+'))
        c->p++;
    while (c->p < c->end && (isdigit((unsigned char)*c->p) || *c->p == '.'))
        c->p++;
    if (c->p == start)
        return unsupported(c, start, err);
    strbuf_add(out, start, (size_t)(c->p - start));
    return true;
}

static bool eat(expr_cursor *c, char ch)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

static bool apply_filter(expr_cursor *c, const char *name, size_t len, const char *at,
                         strbuf *value, mlerr *err)
{
#define IS(s) (len == strlen(s) && memcmp(name, s, len) == 0)
    if (IS("as_text") || IS("string"))
        return true;
    if (IS("trim")) {
        size_t b = 0, e = value->len;
        while (b < e && isspace((unsigned char)value->buf[b]))
            b++;
        while (e > b && isspace((unsigned char)value->buf[e - 1]))
            e--;
        char *copy = xstrndup(value->buf + b, e - b);
        strbuf_reset(value);
        strbuf_adds(value, copy);
        free(copy);
        return true;
    }
    if (IS("lower") || IS("upper")) {
        for (size_t i = 0; i < value->len; i++)
            value->buf[i] = (char)(IS("lower") ? tolower((unsigned char)value->buf[i])
                                               : toupper((unsigned char)value->buf[i]));
        return true;
    }
    if (IS("int") || IS("as_number")) {
        char *end = NULL;
        const char *s = strbuf_str(value);
        double d = strtod(s, &end);
        if (end == s || *end) {
            if (IS("int")) {
                /* Jinja's int filter turns what it cannot read into 0. */
                strbuf_reset(value);
                strbuf_adds(value, "0");
                return true;
            }
            mlerr_at(err, EXIT_SETUP, c->file, c->node->line, col_at(c, at),
                     "as_number: '%s' is not a number", s);
            return false;
        }
        if (IS("int")) {
            strbuf_reset(value);
            strbuf_addf(value, "%lld", (long long)d);
        }
        return true;
    }
    if (IS("as_bool")) {
        const char *s = strbuf_str(value);
        bool t = strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0;
        bool f = strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0;
        if (!t && !f) {
            mlerr_at(err, EXIT_SETUP, c->file, c->node->line, col_at(c, at),
                     "as_bool: '%s' is not true or false", s);
            return false;
        }
        strbuf_reset(value);
        strbuf_adds(value, t ? "True" : "False");
        return true;
    }
#undef IS
    return unsupported(c, at, err);
}

/* env_var('NAME'[, default]) [| filter]... */
static bool render_expr(expr_cursor *c, strbuf *out, mlerr *err)
{
    skip_ws(c);
    const char *call = c->p;
    if ((size_t)(c->end - c->p) < 7 || memcmp(c->p, "env_var", 7) != 0)
        return unsupported(c, call, err);
    c->p += 7;
    if (!eat(c, '('))
        return unsupported(c, call, err);
    strbuf name = STRBUF_INIT, def = STRBUF_INIT, value = STRBUF_INIT;
    bool has_default = false, ok = false;
    if (!parse_literal(c, &name, err))
        goto done;
    if (eat(c, ',')) {
        if (!parse_literal(c, &def, err))
            goto done;
        has_default = true;
    }
    if (!eat(c, ')')) {
        unsupported(c, call, err);
        goto done;
    }
    const char *v = job_getenv(strbuf_str(&name));
    if (v) {
        strbuf_adds(&value, v);
    } else if (has_default) {
        strbuf_add(&value, strbuf_str(&def), def.len);
    } else {
        mlerr_at(err, EXIT_SETUP, c->file, c->node->line, col_at(c, call),
                 "Env var required but not provided: '%s'", strbuf_str(&name));
        mlerr_hint(err, "set %s in the environment or in a .env file, or give env_var a default",
                   strbuf_str(&name));
        goto done;
    }
    while (eat(c, '|')) {
        skip_ws(c);
        const char *fname = c->p;
        while (c->p < c->end && (isalnum((unsigned char)*c->p) || *c->p == '_'))
            c->p++;
        if (!apply_filter(c, fname, (size_t)(c->p - fname), fname, &value, err))
            goto done;
    }
    skip_ws(c);
    if (c->p != c->end) {
        unsupported(c, c->p, err);
        goto done;
    }
    strbuf_add(out, strbuf_str(&value), value.len);
    ok = true;
done:
    strbuf_release(&name);
    strbuf_release(&def);
    strbuf_release(&value);
    return ok;
}

bool yaml_render_scalar(arena *a, const char *file, const ynode *n, const char **out, mlerr *err)
{
    const char *text = n->str;
    if (!strstr(text, "{{") && !strstr(text, "{%")) {
        *out = text;
        return true;
    }
    strbuf sb = STRBUF_INIT;
    const char *p = text;
    for (;;) {
        const char *open = strstr(p, "{{");
        const char *stmt = strstr(p, "{%");
        if (stmt && (!open || stmt < open)) {
            expr_cursor c = {file, n, text, stmt, stmt + strlen(stmt)};
            strbuf_release(&sb);
            return unsupported(&c, stmt, err);
        }
        if (!open) {
            strbuf_adds(&sb, p);
            break;
        }
        strbuf_add(&sb, p, (size_t)(open - p));
        const char *close = strstr(open + 2, "}}");
        expr_cursor c = {file, n, text, open + 2, close ? close : open + strlen(open)};
        if (!close) {
            strbuf_release(&sb);
            return fail_at(&c, open, err, "unclosed '{{' (expected '}}')");
        }
        if (!render_expr(&c, &sb, err)) {
            strbuf_release(&sb);
            return false;
        }
        p = close + 2;
    }
    *out = arena_strdup(a, strbuf_str(&sb));
    strbuf_release(&sb);
    return true;
}
