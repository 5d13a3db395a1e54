/* copy: the COPY sub-protocol for STDIN/STDOUT (see copy.h). */
#include "serve/copy.h"

#include "serve/pgtypes.h"
#include "serve/sqlstate.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    MAX_COPY_COLUMNS = 1600, /* PostgreSQL's own column limit */
    MAX_COPY_LINE = 64 << 20,
};

/* --- parsing the statement ------------------------------------------------------ */

typedef enum {
    TOK_END,
    TOK_WORD,
    TOK_IDENT,
    TOK_STRING,
    TOK_PUNCT
} tok_kind;

typedef struct lexer {
    const char *s;
    size_t len, pos;
    tok_kind kind;
    strbuf text; /* words folded to lower case; quotes removed */
    size_t start;
} lexer;

static void skip_blank(lexer *lx)
{
    for (;;) {
        while (lx->pos < lx->len && isspace((unsigned char)lx->s[lx->pos]))
            lx->pos++;
        if (lx->pos + 1 < lx->len && lx->s[lx->pos] == '-' && lx->s[lx->pos + 1] == '-') {
            while (lx->pos < lx->len && lx->s[lx->pos] != '\n')
                lx->pos++;
            continue;
        }
        if (lx->pos + 1 < lx->len && lx->s[lx->pos] == '/' && lx->s[lx->pos + 1] == '*') {
            const char *end = strstr(lx->s + lx->pos + 2, "*/");
            lx->pos = end && (size_t)(end - lx->s) < lx->len ? (size_t)(end - lx->s) + 2 : lx->len;
            continue;
        }
        return;
    }
}

static tok_kind next(lexer *lx)
{
    strbuf_reset(&lx->text);
    skip_blank(lx);
    lx->start = lx->pos;
    if (lx->pos >= lx->len || lx->s[lx->pos] == ';')
        return lx->kind = TOK_END;
    char c = lx->s[lx->pos];
    if (c == '"' || c == '\'') {
        bool e_string = c == '\'' && lx->pos > 0 && (lx->s[lx->pos - 1] == 'E');
        lx->pos++;
        while (lx->pos < lx->len) {
            char d = lx->s[lx->pos];
            if (e_string && d == '\\' && lx->pos + 1 < lx->len) {
                char n = lx->s[lx->pos + 1];
                strbuf_addc(&lx->text, n == 't' ? '\t' : n == 'n' ? '\n' : n == 'r' ? '\r' : n);
                lx->pos += 2;
                continue;
            }
            if (d == c) {
                if (lx->pos + 1 < lx->len && lx->s[lx->pos + 1] == c) {
                    strbuf_addc(&lx->text, c);
                    lx->pos += 2;
                    continue;
                }
                lx->pos++;
                break;
            }
            strbuf_addc(&lx->text, d);
            lx->pos++;
        }
        return lx->kind = c == '"' ? TOK_IDENT : TOK_STRING;
    }
    if (isalnum((unsigned char)c) || c == '_') {
        /* E'...' strings: the E is a prefix, not a word. */
        if ((c == 'E' || c == 'e') && lx->pos + 1 < lx->len && lx->s[lx->pos + 1] == '\'') {
            lx->pos++;
            return next(lx);
        }
        while (lx->pos < lx->len &&
               (isalnum((unsigned char)lx->s[lx->pos]) || lx->s[lx->pos] == '_'))
            strbuf_addc(&lx->text, (char)tolower((unsigned char)lx->s[lx->pos++]));
        return lx->kind = TOK_WORD;
    }
    strbuf_addc(&lx->text, c);
    lx->pos++;
    return lx->kind = TOK_PUNCT;
}

static bool is(lexer *lx, const char *word)
{
    return lx->kind == TOK_WORD && strcmp(strbuf_str(&lx->text), word) == 0;
}

static bool is_punct(lexer *lx, char c)
{
    return lx->kind == TOK_PUNCT && lx->text.buf[0] == c;
}

static bool is_name(lexer *lx)
{
    return lx->kind == TOK_WORD || lx->kind == TOK_IDENT;
}

/* The option's single-character value (DELIMITER ',', QUOTE '"', ...). */
static bool char_option(lexer *lx, const char *name, char *out, strbuf *why)
{
    next(lx);
    if (is(lx, "as"))
        next(lx);
    if (lx->kind != TOK_STRING || lx->text.len != 1) {
        strbuf_addf(why, "COPY %s must be a single one-byte character", name);
        return false;
    }
    *out = lx->text.buf[0];
    return true;
}

/* One option, legacy (CSV HEADER DELIMITER AS ',') or new style (FORMAT csv). */
static bool parse_option(lexer *lx, copy_spec *spec, strbuf *why)
{
    if (is(lx, "csv")) {
        spec->csv = true;
    } else if (is(lx, "binary")) {
        strbuf_adds(why, "not supported yet: COPY in binary format (use text or CSV)");
        return false;
    } else if (is(lx, "format")) {
        next(lx);
        if (is(lx, "csv"))
            spec->csv = true;
        else if (is(lx, "text"))
            spec->csv = false;
        else {
            strbuf_addf(why, "not supported yet: COPY format \"%s\" (use text or CSV)",
                        strbuf_str(&lx->text));
            return false;
        }
    } else if (is(lx, "header")) {
        size_t save = lx->pos;
        next(lx);
        if (is(lx, "true") || is(lx, "on") ||
            (lx->kind == TOK_STRING && lx->text.len == 1 && lx->text.buf[0] == '1')) {
            spec->header = true;
        } else if (is(lx, "false") || is(lx, "off")) {
            spec->header = false;
        } else {
            spec->header = true;
            lx->pos = save;
        }
    } else if (is(lx, "delimiter")) {
        return char_option(lx, "delimiter", &spec->delimiter, why);
    } else if (is(lx, "quote")) {
        return char_option(lx, "quote", &spec->quote, why);
    } else if (is(lx, "escape")) {
        return char_option(lx, "escape", &spec->escape, why);
    } else if (is(lx, "null")) {
        next(lx);
        if (is(lx, "as"))
            next(lx);
        if (lx->kind != TOK_STRING) {
            strbuf_adds(why, "COPY null needs a string");
            return false;
        }
        free(spec->null_string);
        spec->null_string = xstrdup(strbuf_str(&lx->text));
    } else if (is(lx, "encoding")) {
        next(lx);
        const char *e = strbuf_str(&lx->text);
        if (strcasecmp(e, "utf8") != 0 && strcasecmp(e, "utf-8") != 0) {
            strbuf_addf(why, "not supported yet: COPY encoding %s (only UTF8)", e);
            return false;
        }
    } else if (is(lx, "freeze") || is(lx, "oids")) {
        next(lx); /* value ignored: nothing to do */
    } else {
        strbuf_addf(why, "COPY option \"%s\" is not recognized", strbuf_str(&lx->text));
        return false;
    }
    return true;
}

void copy_spec_release(copy_spec *spec)
{
    free(spec->schema);
    free(spec->table);
    for (int i = 0; i < spec->n_columns; i++)
        free(spec->columns[i]);
    free(spec->columns);
    free(spec->query);
    free(spec->null_string);
    memset(spec, 0, sizeof(*spec));
}

bool copy_parse(const char *sql, size_t len, copy_spec *spec, strbuf *why)
{
    memset(spec, 0, sizeof(*spec));
    lexer lx = {.s = sql, .len = len};
    bool result = false;
    next(&lx);
    if (!is(&lx, "copy"))
        goto done;
    next(&lx);
    if (is_punct(&lx, '(')) {
        size_t start = lx.pos;
        int depth = 1;
        while (depth > 0 && next(&lx) != TOK_END) {
            if (is_punct(&lx, '('))
                depth++;
            else if (is_punct(&lx, ')'))
                depth--;
        }
        if (depth != 0)
            goto done;
        spec->query = xstrndup(sql + start, lx.start - start);
        next(&lx);
    } else if (is_name(&lx)) {
        spec->table = xstrdup(strbuf_str(&lx.text));
        next(&lx);
        if (is_punct(&lx, '.')) {
            next(&lx);
            if (!is_name(&lx))
                goto done;
            spec->schema = spec->table;
            spec->table = xstrdup(strbuf_str(&lx.text));
            next(&lx);
        }
        if (is_punct(&lx, '(')) {
            while (next(&lx) != TOK_END && !is_punct(&lx, ')')) {
                if (is_punct(&lx, ','))
                    continue;
                if (!is_name(&lx) || spec->n_columns >= MAX_COPY_COLUMNS)
                    goto done;
                spec->columns =
                    xrealloc(spec->columns, sizeof(char *) * (size_t)(spec->n_columns + 1));
                spec->columns[spec->n_columns++] = xstrdup(strbuf_str(&lx.text));
            }
            next(&lx);
        }
    } else {
        goto done;
    }
    if (is(&lx, "from")) {
        spec->from_stdin = true;
        next(&lx);
        if (!is(&lx, "stdin"))
            goto done;
    } else if (is(&lx, "to")) {
        next(&lx);
        if (!is(&lx, "stdout"))
            goto done;
    } else {
        goto done;
    }
    if (spec->query && spec->from_stdin)
        goto done;
    /* From here on this is ours: option errors are reported, not passed on. */
    result = true;
    next(&lx);
    if (is(&lx, "with"))
        next(&lx);
    bool paren = is_punct(&lx, '(');
    if (paren)
        next(&lx);
    while (lx.kind != TOK_END && !(paren && is_punct(&lx, ')'))) {
        if (is_punct(&lx, ',')) {
            next(&lx);
            continue;
        }
        if (!parse_option(&lx, spec, why))
            goto done;
        next(&lx);
    }
    if (!spec->delimiter)
        spec->delimiter = spec->csv ? ',' : '\t';
    if (!spec->quote)
        spec->quote = '"';
    if (!spec->escape)
        spec->escape = spec->quote;
    if (!spec->null_string)
        spec->null_string = xstrdup(spec->csv ? "" : "\\N");
    if (spec->header && !spec->csv) {
        strbuf_adds(why, "COPY HEADER is available only in CSV mode");
    }
done:
    strbuf_release(&lx.text);
    if (!result)
        copy_spec_release(spec);
    return result;
}

/* --- COPY TO STDOUT -------------------------------------------------------------- */

static void quote_ident(strbuf *sb, const char *name)
{
    strbuf_addc(sb, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            strbuf_addc(sb, '"');
        strbuf_addc(sb, *p);
    }
    strbuf_addc(sb, '"');
}

static void set_error(copy_result *r, const char *state, const char *msg)
{
    snprintf(r->sqlstate, sizeof(r->sqlstate), "%s", state);
    strbuf_reset(&r->message);
    strbuf_adds(&r->message, msg ? msg : "COPY failed");
}

static void add_text_field(strbuf *out, const char *p, size_t n, char delim)
{
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '\\')
            strbuf_adds(out, "\\\\");
        else if (c == '\n')
            strbuf_adds(out, "\\n");
        else if (c == '\r')
            strbuf_adds(out, "\\r");
        else if (c == '\t' && delim == '\t')
            strbuf_adds(out, "\\t");
        else if (c == delim) {
            strbuf_addc(out, '\\');
            strbuf_addc(out, c);
        } else
            strbuf_addc(out, c);
    }
}

static void add_csv_field(strbuf *out, const char *p, size_t n, const copy_spec *spec,
                          bool force_quote)
{
    bool quote = force_quote || n == 0;
    for (size_t i = 0; i < n && !quote; i++)
        quote = p[i] == spec->delimiter || p[i] == spec->quote || p[i] == '\n' || p[i] == '\r';
    if (!quote && strlen(spec->null_string) == n && memcmp(p, spec->null_string, n) == 0)
        quote = true;
    if (!quote) {
        strbuf_add(out, p, n);
        return;
    }
    strbuf_addc(out, spec->quote);
    for (size_t i = 0; i < n; i++) {
        if (p[i] == spec->quote || p[i] == spec->escape)
            strbuf_addc(out, spec->escape);
        strbuf_addc(out, p[i]);
    }
    strbuf_addc(out, spec->quote);
}

static void send_copy_response(pg_writer *w, char type, idx_t ncols)
{
    pg_begin(w, type);
    pg_put_u8(w, 0);
    pg_put_i16(w, (int16_t)ncols);
    for (idx_t i = 0; i < ncols; i++)
        pg_put_i16(w, 0);
    pg_end(w);
}

static void build_select(const copy_spec *spec, strbuf *sql)
{
    if (spec->query) {
        strbuf_adds(sql, spec->query);
        return;
    }
    strbuf_adds(sql, "SELECT ");
    for (int i = 0; i < spec->n_columns; i++) {
        if (i)
            strbuf_adds(sql, ", ");
        quote_ident(sql, spec->columns[i]);
    }
    if (spec->n_columns == 0)
        strbuf_addc(sql, '*');
    strbuf_adds(sql, " FROM ");
    if (spec->schema) {
        quote_ident(sql, spec->schema);
        strbuf_addc(sql, '.');
    }
    quote_ident(sql, spec->table);
}

void copy_out(pg_writer *w, duckdb_connection c, const copy_spec *spec, copy_result *r)
{
    strbuf sql = STRBUF_INIT;
    build_select(spec, &sql);
    duckdb_result res;
    if (duckdb_query(c, strbuf_str(&sql), &res) == DuckDBError) {
        const char *msg = duckdb_result_error(&res);
        set_error(r, pg_sqlstate(duckdb_result_error_type(&res), msg), msg);
        duckdb_destroy_result(&res);
        strbuf_release(&sql);
        return;
    }
    strbuf_release(&sql);
    idx_t ncols = duckdb_column_count(&res);
    send_copy_response(w, 'H', ncols);
    strbuf line = STRBUF_INIT, value = STRBUF_INIT, why = STRBUF_INIT;
    if (spec->header) {
        for (idx_t i = 0; i < ncols; i++) {
            if (i)
                strbuf_addc(&line, spec->delimiter);
            const char *name = duckdb_column_name(&res, i);
            add_csv_field(&line, name, strlen(name), spec, false);
        }
        strbuf_addc(&line, '\n');
        pg_begin(w, 'd');
        pg_put_bytes(w, line.buf, line.len);
        pg_end(w);
    }
    duckdb_logical_type *types = xcalloc(ncols ? ncols : 1, sizeof(*types));
    for (idx_t i = 0; i < ncols; i++)
        types[i] = duckdb_column_logical_type(&res, i);
    bool ok = true;
    duckdb_data_chunk chunk;
    while (ok && (chunk = duckdb_fetch_chunk(res)) != NULL) {
        idx_t n = duckdb_data_chunk_get_size(chunk);
        for (idx_t row = 0; ok && row < n; row++) {
            strbuf_reset(&line);
            for (idx_t col = 0; col < ncols; col++) {
                if (col)
                    strbuf_addc(&line, spec->delimiter);
                duckdb_vector v = duckdb_data_chunk_get_vector(chunk, col);
                if (pgtype_is_null(v, row)) {
                    strbuf_adds(&line, spec->null_string);
                    continue;
                }
                strbuf_reset(&value);
                if (!pgtype_format_text(v, types[col], row, &value, &why)) {
                    set_error(r, "0A000", strbuf_str(&why));
                    ok = false;
                    break;
                }
                if (spec->csv)
                    add_csv_field(&line, value.buf ? value.buf : "", value.len, spec, false);
                else
                    add_text_field(&line, value.buf ? value.buf : "", value.len, spec->delimiter);
            }
            strbuf_addc(&line, '\n');
            if (!ok)
                break;
            pg_begin(w, 'd');
            pg_put_bytes(w, line.buf, line.len);
            pg_end(w);
            r->rows++;
            if (!pg_maybe_flush(w)) {
                r->connection_lost = true;
                ok = false;
            }
        }
        duckdb_destroy_data_chunk(&chunk);
    }
    for (idx_t i = 0; i < ncols; i++)
        duckdb_destroy_logical_type(&types[i]);
    free(types);
    if (ok && duckdb_result_error(&res)) {
        const char *msg = duckdb_result_error(&res);
        set_error(r, pg_sqlstate(duckdb_result_error_type(&res), msg), msg);
        ok = false;
    }
    if (ok) {
        pg_begin(w, 'c');
        pg_end(w);
    }
    duckdb_destroy_result(&res);
    strbuf_release(&line);
    strbuf_release(&value);
    strbuf_release(&why);
}

/* --- COPY FROM STDIN ------------------------------------------------------------------ */

/* Text format: one field with its backslash escapes undone. */
static void unescape_text(const char *p, size_t n, strbuf *out)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '\\' || i + 1 >= n) {
            strbuf_addc(out, p[i]);
            continue;
        }
        char c = p[++i];
        switch (c) {
        case 'b':
            strbuf_addc(out, '\b');
            break;
        case 'f':
            strbuf_addc(out, '\f');
            break;
        case 'n':
            strbuf_addc(out, '\n');
            break;
        case 'r':
            strbuf_addc(out, '\r');
            break;
        case 't':
            strbuf_addc(out, '\t');
            break;
        case 'v':
            strbuf_addc(out, '\v');
            break;
        case 'x': {
            int v = 0, k = 0;
            while (k < 2 && i + 1 < n && isxdigit((unsigned char)p[i + 1])) {
                char h = p[++i];
                v = v * 16 + (isdigit((unsigned char)h) ? h - '0' : tolower(h) - 'a' + 10);
                k++;
            }
            if (k)
                strbuf_addc(out, (char)v);
            else
                strbuf_addc(out, 'x');
            break;
        }
        default:
            if (c >= '0' && c <= '7') {
                int v = c - '0', k = 1;
                while (k < 3 && i + 1 < n && p[i + 1] >= '0' && p[i + 1] <= '7') {
                    v = v * 8 + (p[++i] - '0');
                    k++;
                }
                strbuf_addc(out, (char)v);
            } else {
                strbuf_addc(out, c);
            }
        }
    }
}

typedef struct loader {
    const copy_spec *spec;
    duckdb_appender app;
    idx_t ncols;
    uint64_t rows;
    bool header_pending;
    strbuf field;
    copy_result *r;
} loader;

static bool append_field(loader *ld, const char *p, size_t n, bool is_null)
{
    duckdb_state st =
        is_null ? duckdb_append_null(ld->app) : duckdb_append_varchar_length(ld->app, p, n);
    if (st == DuckDBError) {
        const char *msg = duckdb_appender_error(ld->app);
        char *m = xasprintf("COPY row %llu: %s", (unsigned long long)ld->rows + 1,
                            msg ? msg : "value rejected");
        duckdb_error_type type = pg_error_type_from_message(msg);
        /* The appender's cast errors carry no "Conversion Error:" prefix. */
        set_error(ld->r, type == DUCKDB_ERROR_INVALID ? "22P02" : pg_sqlstate(type, msg), m);
        free(m);
        return false;
    }
    return true;
}

static bool end_row(loader *ld, idx_t fields)
{
    if (fields != ld->ncols) {
        char m[128];
        snprintf(m, sizeof(m), "COPY row %llu has %llu fields, the table takes %llu",
                 (unsigned long long)ld->rows + 1, (unsigned long long)fields,
                 (unsigned long long)ld->ncols);
        set_error(ld->r, "22P04", m);
        return false;
    }
    if (duckdb_appender_end_row(ld->app) == DuckDBError) {
        const char *msg = duckdb_appender_error(ld->app);
        set_error(ld->r, pg_sqlstate(pg_error_type_from_message(msg), msg), msg);
        return false;
    }
    ld->rows++;
    return true;
}

/* Fields in a record, counted before any is appended so a wrong count is
 * reported as such (not as the first value that does not fit). */
static idx_t count_fields(const copy_spec *sp, const char *p, size_t n)
{
    idx_t fields = 1;
    bool in_quotes = false;
    for (size_t i = 0; i < n; i++) {
        if (!sp->csv && p[i] == '\\')
            i++;
        else if (sp->csv && p[i] == sp->quote)
            in_quotes = !in_quotes;
        else if (p[i] == sp->delimiter && !in_quotes)
            fields++;
    }
    return fields;
}

/* One text-format line (without its newline). */
static bool load_text_line(loader *ld, const char *p, size_t n)
{
    idx_t fields = 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && p[i] == '\\') {
            i++;
            continue;
        }
        if (i < n && p[i] != ld->spec->delimiter)
            continue;
        const char *f = p + start;
        size_t fl = i - start;
        bool is_null =
            fl == strlen(ld->spec->null_string) && memcmp(f, ld->spec->null_string, fl) == 0;
        if (fields >= ld->ncols) {
            fields++;
            break;
        }
        strbuf_reset(&ld->field);
        if (!is_null)
            unescape_text(f, fl, &ld->field);
        if (!append_field(ld, ld->field.buf ? ld->field.buf : "", ld->field.len, is_null))
            return false;
        fields++;
        start = i + 1;
    }
    return end_row(ld, fields);
}

/* One CSV record (quoted newlines included, final newline excluded). */
static bool load_csv_record(loader *ld, const char *p, size_t n)
{
    const copy_spec *sp = ld->spec;
    idx_t fields = 0;
    size_t i = 0;
    for (;;) {
        strbuf_reset(&ld->field);
        bool quoted = false;
        size_t raw_start = i;
        while (i < n && p[i] != sp->delimiter) {
            if (p[i] == sp->quote) {
                quoted = true;
                i++;
                while (i < n) {
                    if (p[i] == sp->escape && i + 1 < n && p[i + 1] == sp->quote) {
                        strbuf_addc(&ld->field, sp->quote);
                        i += 2;
                        continue;
                    }
                    if (p[i] == sp->escape && sp->escape != sp->quote && i + 1 < n &&
                        p[i + 1] == sp->escape) {
                        strbuf_addc(&ld->field, sp->escape);
                        i += 2;
                        continue;
                    }
                    if (p[i] == sp->quote) {
                        i++;
                        break;
                    }
                    strbuf_addc(&ld->field, p[i++]);
                }
                continue;
            }
            strbuf_addc(&ld->field, p[i++]);
        }
        size_t raw_len = i - raw_start;
        bool is_null = !quoted && raw_len == strlen(sp->null_string) &&
                       memcmp(p + raw_start, sp->null_string, raw_len) == 0;
        if (fields >= ld->ncols)
            return end_row(ld, fields + 1);
        if (!append_field(ld, ld->field.buf ? ld->field.buf : "", ld->field.len, is_null))
            return false;
        fields++;
        if (i >= n)
            break;
        i++; /* the delimiter */
    }
    return end_row(ld, fields);
}

/* Takes every complete record out of buf and loads it. */
static bool load_buffered(loader *ld, strbuf *buf, bool at_end, bool *end_marker)
{
    size_t pos = 0;
    bool ok = true;
    while (ok && pos < buf->len) {
        size_t end = pos;
        bool in_quotes = false;
        while (end < buf->len) {
            char c = buf->buf[end];
            if (ld->spec->csv && c == ld->spec->quote)
                in_quotes = !in_quotes;
            else if (c == '\n' && !in_quotes)
                break;
            end++;
        }
        if (end >= buf->len && !at_end)
            break; /* the rest of this record is in the next CopyData */
        size_t n = end - pos;
        if (n > 0 && buf->buf[pos + n - 1] == '\r')
            n--;
        const char *line = buf->buf + pos;
        pos = end < buf->len ? end + 1 : end;
        if (n == 2 && line[0] == '\\' && line[1] == '.') {
            *end_marker = true;
            break;
        }
        if (ld->header_pending) {
            ld->header_pending = false;
            continue;
        }
        if (n == 0 && at_end && pos >= buf->len)
            break;
        idx_t fields = count_fields(ld->spec, line, n);
        if (fields != ld->ncols)
            ok = end_row(ld, fields);
        else
            ok = ld->spec->csv ? load_csv_record(ld, line, n) : load_text_line(ld, line, n);
    }
    memmove(buf->buf, buf->buf + pos, buf->len - pos);
    buf->len -= pos;
    if (buf->buf)
        buf->buf[buf->len] = 0;
    return ok;
}

static bool run_sql(duckdb_connection c, const char *sql, copy_result *r)
{
    duckdb_result res;
    bool ok = duckdb_query(c, sql, &res) == DuckDBSuccess;
    if (!ok && !r->message.len) {
        const char *msg = duckdb_result_error(&res);
        set_error(r, pg_sqlstate(duckdb_result_error_type(&res), msg), msg);
    }
    duckdb_destroy_result(&res);
    return ok;
}

void copy_in(pg_reader *in, pg_writer *w, duckdb_connection c, const copy_spec *spec,
             bool in_transaction, copy_result *r)
{
    loader ld = {.spec = spec, .r = r, .header_pending = spec->header};
    bool own_txn = !in_transaction;
    if (own_txn && !run_sql(c, "BEGIN TRANSACTION", r))
        return;
    bool ok =
        duckdb_appender_create_ext(c, NULL, spec->schema, spec->table, &ld.app) == DuckDBSuccess;
    if (!ok) {
        const char *msg = duckdb_appender_error(ld.app);
        set_error(r, pg_sqlstate(pg_error_type_from_message(msg), msg),
                  msg ? msg : "cannot load into that table");
    }
    for (int i = 0; ok && i < spec->n_columns; i++) {
        if (duckdb_appender_add_column(ld.app, spec->columns[i]) == DuckDBError) {
            char *m = xasprintf("column \"%s\" of relation \"%s\" does not exist", spec->columns[i],
                                spec->table);
            set_error(r, "42703", m);
            free(m);
            ok = false;
        }
    }
    if (ok) {
        ld.ncols = duckdb_appender_column_count(ld.app);
        send_copy_response(w, 'G', ld.ncols);
        if (!pg_flush(w)) {
            r->connection_lost = true;
            ok = false;
        }
    }
    /* Read to CopyDone or CopyFail even after an error, as PostgreSQL does,
     * so the protocol stays in step. */
    bool expecting = ok, end_marker = false, done = false;
    strbuf buf = STRBUF_INIT;
    while (expecting && !done) {
        pg_msg m;
        pg_read_status st = pg_read_message(in, false, &m);
        if (st != PG_READ_OK) {
            r->connection_lost = true;
            if (!r->message.len)
                set_error(r, st == PG_READ_PROTOCOL ? "08P01" : "08006",
                          in->error[0] ? in->error : "connection lost during COPY");
            ok = false;
            break;
        }
        switch (m.type) {
        case 'd':
            if (ok && !end_marker) {
                if (buf.len + m.len > MAX_COPY_LINE) {
                    set_error(r, "54000", "COPY line is longer than the limit");
                    ok = false;
                    break;
                }
                strbuf_add(&buf, m.data, m.len);
                ok = load_buffered(&ld, &buf, false, &end_marker);
            }
            break;
        case 'c':
            if (ok && !end_marker)
                ok = load_buffered(&ld, &buf, true, &end_marker);
            done = true;
            break;
        case 'f': {
            const char *why = pg_get_cstr(&m);
            char *msg = xasprintf("COPY from stdin failed: %s", why ? why : "");
            if (ok || !r->message.len)
                set_error(r, "57014", msg);
            free(msg);
            ok = false;
            done = true;
            break;
        }
        case 'H':
        case 'S':
            break;
        default:
            set_error(r, "08P01", "unexpected message type during COPY from stdin");
            r->connection_lost = true; /* out of step: end the session */
            ok = false;
            done = true;
            break;
        }
    }
    strbuf_release(&buf);
    strbuf_release(&ld.field);
    if (ld.app) {
        if (ok && duckdb_appender_close(ld.app) == DuckDBError) {
            const char *msg = duckdb_appender_error(ld.app);
            set_error(r, pg_sqlstate(pg_error_type_from_message(msg), msg), msg);
            ok = false;
        }
        duckdb_appender_destroy(&ld.app);
    }
    if (own_txn) {
        if (ok)
            ok = run_sql(c, "COMMIT", r);
        else
            run_sql(c, "ROLLBACK", r);
    }
    if (ok)
        r->rows = ld.rows;
}
