/* pgarray: PostgreSQL array literals as DuckDB list values (see pgarray.h). */
#include "serve/pgarray.h"

#include "util/xalloc.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

enum {
    MAX_DEPTH = 6
}; /* PostgreSQL's MAXDIM */

typedef struct reader {
    const char *p, *end;
    strbuf *why;
} reader;

static void skip_space(reader *r)
{
    while (r->p < r->end && isspace((unsigned char)*r->p))
        r->p++;
}

static duckdb_logical_type list_type(int depth)
{
    duckdb_logical_type t = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    for (int i = 0; i < depth; i++) {
        duckdb_logical_type l = duckdb_create_list_type(t);
        duckdb_destroy_logical_type(&t);
        t = l;
    }
    return t;
}

/* One element: quoted (backslash escapes), or bare up to ',' or '}' with
 * surrounding spaces dropped; a bare NULL is SQL NULL. */
static duckdb_value read_scalar(reader *r)
{
    strbuf text = STRBUF_INIT;
    bool quoted = false;
    if (*r->p == '"') {
        quoted = true;
        r->p++;
        for (;;) {
            if (r->p >= r->end) {
                strbuf_adds(r->why, "unterminated quoted element");
                strbuf_release(&text);
                return NULL;
            }
            char c = *r->p++;
            if (c == '"')
                break;
            if (c == '\\' && r->p < r->end)
                c = *r->p++;
            strbuf_addc(&text, c);
        }
    } else {
        size_t kept = 0; /* text.len without trailing spaces */
        while (r->p < r->end && *r->p != ',' && *r->p != '}') {
            bool escaped = *r->p == '\\';
            char c = *r->p++;
            if (c == '{' || c == '"') {
                strbuf_addf(r->why, "unexpected '%c' inside an element", c);
                strbuf_release(&text);
                return NULL;
            }
            if (escaped && r->p < r->end)
                c = *r->p++;
            strbuf_addc(&text, c);
            if (escaped || !isspace((unsigned char)c))
                kept = text.len;
        }
        text.len = kept;
        if (text.buf)
            text.buf[kept] = 0;
        if (text.len == 0) {
            strbuf_adds(r->why, "an element is empty (quote it as \"\")");
            strbuf_release(&text);
            return NULL;
        }
    }
    duckdb_value v = !quoted && strcasecmp(strbuf_str(&text), "NULL") == 0
                         ? duckdb_create_null_value()
                         : duckdb_create_varchar_length(text.buf, text.len);
    strbuf_release(&text);
    return v;
}

/* A '{...}' at r->p; *depth is the nesting below it, which every element of
 * one array must share (-1 until the first element says). */
static duckdb_value read_array(reader *r, int level, int *depth)
{
    if (level > MAX_DEPTH) {
        strbuf_addf(r->why, "more than %d dimensions", MAX_DEPTH);
        return NULL;
    }
    r->p++; /* '{' */
    duckdb_value *items = NULL;
    size_t n = 0, alloc = 0;
    int inner = -1;
    bool ok = true;
    skip_space(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        inner = 0;
    } else {
        for (;;) {
            skip_space(r);
            if (r->p >= r->end) {
                strbuf_adds(r->why, "missing '}'");
                ok = false;
                break;
            }
            int d = 0;
            duckdb_value v;
            if (*r->p == '{') {
                v = read_array(r, level + 1, &d);
                d++;
            } else {
                v = read_scalar(r);
            }
            if (!v) {
                ok = false;
                break;
            }
            if (n == alloc) {
                alloc = alloc ? 2 * alloc : 8;
                items = xrealloc(items, alloc * sizeof(*items));
            }
            items[n++] = v;
            if (inner >= 0 && d != inner) {
                strbuf_adds(r->why, "multidimensional arrays must have sub-arrays of the same "
                                    "dimensions");
                ok = false;
                break;
            }
            inner = d;
            skip_space(r);
            if (r->p < r->end && *r->p == ',') {
                r->p++;
                continue;
            }
            if (r->p < r->end && *r->p == '}') {
                r->p++;
                break;
            }
            strbuf_adds(r->why,
                        r->p >= r->end ? "missing '}'" : "expected ',' or '}' after an element");
            ok = false;
            break;
        }
    }
    duckdb_value list = NULL;
    if (ok) {
        duckdb_logical_type t = list_type(inner);
        duckdb_value none = NULL; /* DuckDB refuses a NULL array even for no values */
        list = duckdb_create_list_value(t, n ? items : &none, n);
        duckdb_destroy_logical_type(&t);
        if (!list)
            strbuf_adds(r->why, "the elements do not form one list");
        *depth = inner;
    }
    for (size_t i = 0; i < n; i++)
        duckdb_destroy_value(&items[i]);
    free(items);
    return list;
}

bool pgarray_is_literal(const char *p, size_t n)
{
    while (n && isspace((unsigned char)*p)) {
        p++;
        n--;
    }
    return n && *p == '{';
}

duckdb_value pgarray_parse(const char *p, size_t n, strbuf *why)
{
    reader r = {p, p + n, why};
    skip_space(&r);
    if (r.p >= r.end || *r.p != '{') {
        strbuf_adds(why, "malformed array literal: it must start with '{'");
        return NULL;
    }
    strbuf detail = STRBUF_INIT;
    r.why = &detail;
    int depth = 0;
    duckdb_value v = read_array(&r, 1, &depth);
    if (v) {
        skip_space(&r);
        if (r.p != r.end) {
            duckdb_destroy_value(&v);
            strbuf_adds(&detail, "junk after the closing '}'");
        }
    }
    if (!v)
        strbuf_addf(why, "malformed array literal: %s", strbuf_str(&detail));
    strbuf_release(&detail);
    return v;
}
