/* dotenv: a line-oriented .env parser (see dotenv.h for the syntax). */
#include "util/dotenv.h"

#include "util/fs.h"
#include "util/jobctx.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct cursor {
    const char *path;
    const char *p, *end;
    const char *line_start;
    int line;
    const dotenv *so_far; /* earlier entries of this file, for ${NAME} */
} cursor;

static int col_of(const cursor *c, const char *at)
{
    return (int)(at - c->line_start) + 1;
}

static void skip_blanks(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

static const char *lookup(const cursor *c, const char *name)
{
    const char *v = job_getenv(name);
    if (v)
        return v;
    for (size_t i = c->so_far->n; i > 0; i--) {
        if (strcmp(c->so_far->entries[i - 1].key, name) == 0)
            return c->so_far->entries[i - 1].value;
    }
    return NULL;
}

/* Expands ${NAME} or ${NAME:-default} at c->p (just past '$'). */
static bool expand(cursor *c, strbuf *out, mlerr *err)
{
    const char *start = c->p - 1;
    if (c->p >= c->end || *c->p != '{') {
        strbuf_addc(out, '$');
        return true;
    }
    c->p++;
    const char *name = c->p;
    while (c->p < c->end && (isalnum((unsigned char)*c->p) || *c->p == '_'))
        c->p++;
    size_t name_len = (size_t)(c->p - name);
    const char *def = NULL;
    size_t def_len = 0;
    if (c->p + 1 < c->end && c->p[0] == ':' && c->p[1] == '-') {
        c->p += 2;
        def = c->p;
        while (c->p < c->end && *c->p != '}' && *c->p != '\n')
            c->p++;
        def_len = (size_t)(c->p - def);
    }
    if (name_len == 0 || c->p >= c->end || *c->p != '}') {
        mlerr_at(err, EXIT_SETUP, c->path, c->line, col_of(c, start),
                 "malformed variable reference (write ${NAME} or ${NAME:-default})");
        return false;
    }
    c->p++;
    char *key = xstrndup(name, name_len);
    const char *v = lookup(c, key);
    free(key);
    if (v && *v)
        strbuf_adds(out, v);
    else if (def)
        strbuf_add(out, def, def_len);
    return true;
}

/* The rest of the line must be blank or a comment. */
static bool expect_line_end(cursor *c, mlerr *err)
{
    skip_blanks(c);
    if (c->p < c->end && *c->p != '\n' && *c->p != '#' && *c->p != '\r') {
        mlerr_at(err, EXIT_SETUP, c->path, c->line, col_of(c, c->p),
                 "unexpected text after the closing quote");
        return false;
    }
    return true;
}

static bool parse_value(cursor *c, strbuf *out, mlerr *err)
{
    if (c->p < c->end && *c->p == '\'') {
        int open_line = c->line;
        int open_col = col_of(c, c->p);
        c->p++;
        while (c->p < c->end && *c->p != '\'') {
            if (*c->p == '\n') {
                c->line++;
                c->line_start = c->p + 1;
            }
            strbuf_addc(out, *c->p++);
        }
        if (c->p >= c->end) {
            mlerr_at(err, EXIT_SETUP, c->path, open_line, open_col,
                     "unterminated single-quoted value");
            mlerr_hint(err, "close the value with '");
            return false;
        }
        c->p++;
        return expect_line_end(c, err);
    }
    if (c->p < c->end && *c->p == '"') {
        int open_line = c->line;
        int open_col = col_of(c, c->p);
        c->p++;
        while (c->p < c->end && *c->p != '"') {
            char ch = *c->p++;
            if (ch == '\\' && c->p < c->end) {
                char e = *c->p++;
                switch (e) {
                case 'n':
                    strbuf_addc(out, '\n');
                    break;
                case 't':
                    strbuf_addc(out, '\t');
                    break;
                case 'r':
                    strbuf_addc(out, '\r');
                    break;
                case '"':
                case '\\':
                case '$':
                case '\'':
                    strbuf_addc(out, e);
                    break;
                default:
                    strbuf_addc(out, '\\');
                    strbuf_addc(out, e);
                }
            } else if (ch == '$') {
                if (!expand(c, out, err))
                    return false;
            } else {
                if (ch == '\n') {
                    c->line++;
                    c->line_start = c->p;
                }
                strbuf_addc(out, ch);
            }
        }
        if (c->p >= c->end) {
            mlerr_at(err, EXIT_SETUP, c->path, open_line, open_col,
                     "unterminated double-quoted value");
            mlerr_hint(err, "close the value with \"");
            return false;
        }
        c->p++;
        return expect_line_end(c, err);
    }
    /* Unquoted: up to end of line or " #", trimmed. */
    while (c->p < c->end && *c->p != '\n') {
        if (*c->p == '#' &&
            (out->len == 0 || out->buf[out->len - 1] == ' ' || out->buf[out->len - 1] == '\t'))
            break;
        if (*c->p == '$') {
            c->p++;
            if (!expand(c, out, err))
                return false;
            continue;
        }
        strbuf_addc(out, *c->p++);
    }
    while (out->len > 0 && isspace((unsigned char)out->buf[out->len - 1]))
        out->buf[--out->len] = '\0';
    return true;
}

static void add_entry(dotenv *env, char *key, char *value, int line)
{
    env->entries = xrealloc(env->entries, sizeof(dotenv_entry) * (env->n + 1));
    env->entries[env->n++] = (dotenv_entry){key, value, line};
}

bool dotenv_parse(const char *path, const char *text, size_t len, dotenv *out, mlerr *err)
{
    *out = (dotenv){0};
    cursor c = {
        .path = path, .p = text, .end = text + len, .line_start = text, .line = 1, .so_far = out};
    /* A UTF-8 byte order mark is not part of the first key. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        c.p += 3;
    while (c.p < c.end) {
        skip_blanks(&c);
        if (c.p < c.end && *c.p != '\n' && *c.p != '\r' && *c.p != '#') {
            if ((size_t)(c.end - c.p) > 7 && memcmp(c.p, "export", 6) == 0 &&
                (c.p[6] == ' ' || c.p[6] == '\t')) {
                c.p += 6;
                skip_blanks(&c);
            }
            const char *key = c.p;
            if (!(isalpha((unsigned char)*c.p) || *c.p == '_')) {
                mlerr_at(err, EXIT_SETUP, path, c.line, col_of(&c, c.p),
                         "expected a variable name (letters, digits and _)");
                mlerr_hint(err, "write KEY=VALUE, or start the line with # for a comment");
                goto fail;
            }
            while (c.p < c.end && (isalnum((unsigned char)*c.p) || *c.p == '_' || *c.p == '.'))
                c.p++;
            size_t key_len = (size_t)(c.p - key);
            skip_blanks(&c);
            if (c.p >= c.end || *c.p != '=') {
                mlerr_at(err, EXIT_SETUP, path, c.line, col_of(&c, c.p),
                         "expected '=' after '%.*s'", (int)key_len, key);
                mlerr_hint(err, "write KEY=VALUE");
                goto fail;
            }
            c.p++;
            skip_blanks(&c);
            strbuf value = STRBUF_INIT;
            int line = c.line;
            if (!parse_value(&c, &value, err)) {
                strbuf_release(&value);
                goto fail;
            }
            add_entry(out, xstrndup(key, key_len), strbuf_detach(&value), line);
        }
        /* Skip the rest of the line (a comment, or the line end). */
        while (c.p < c.end && *c.p != '\n')
            c.p++;
        if (c.p < c.end) {
            c.p++;
            c.line++;
            c.line_start = c.p;
        }
    }
    return true;
fail:
    dotenv_free(out);
    return false;
}

void dotenv_free(dotenv *env)
{
    for (size_t i = 0; i < env->n; i++) {
        free(env->entries[i].key);
        free(env->entries[i].value);
    }
    free(env->entries);
    *env = (dotenv){0};
}

bool dotenv_load(const char *path, bool *found, mlerr *err)
{
    *found = false;
    if (!fs_is_file(path))
        return true;
    *found = true;
    strbuf text = STRBUF_INIT;
    if (!fs_read_file(path, &text, err)) {
        strbuf_release(&text);
        return false;
    }
    dotenv env;
    bool ok = dotenv_parse(path, strbuf_str(&text), text.len, &env, err);
    strbuf_release(&text);
    if (!ok)
        return false;
    for (size_t i = 0; i < env.n; i++)
        job_setenv_default(env.entries[i].key, env.entries[i].value);
    dotenv_free(&env);
    return true;
}
