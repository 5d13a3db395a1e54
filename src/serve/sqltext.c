/* sqltext: a lexer just deep enough to split statements and read keywords. */
#include "serve/sqltext.h"

#include "util/strbuf.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Skips a comment or quoted section at sql[i]; returns the index after it,
 * or i if there is none there. */
static size_t skip_special(const char *s, size_t len, size_t i)
{
    char c = s[i];
    if (c == '-' && i + 1 < len && s[i + 1] == '-') {
        while (i < len && s[i] != '\n')
            i++;
        return i;
    }
    if (c == '/' && i + 1 < len && s[i + 1] == '*') {
        int depth = 0;
        while (i < len) {
            if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
                depth++;
                i += 2;
            } else if (s[i] == '*' && i + 1 < len && s[i + 1] == '/') {
                i += 2;
                if (--depth == 0)
                    return i;
            } else {
                i++;
            }
        }
        return len;
    }
    if (c == '\'' || c == '"') {
        /* E'...' strings allow backslash escapes. */
        bool backslash = c == '\'' && i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') &&
                         (i < 2 || !(isalnum((unsigned char)s[i - 2]) || s[i - 2] == '_'));
        i++;
        while (i < len) {
            if (backslash && s[i] == '\\') {
                i += 2;
                continue;
            }
            if (s[i] == c) {
                if (i + 1 < len && s[i + 1] == c) {
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i++;
        }
        return len;
    }
    if (c == '$' && (i == 0 || !(isalnum((unsigned char)s[i - 1]) || s[i - 1] == '_'))) {
        size_t j = i + 1;
        while (j < len && (isalnum((unsigned char)s[j]) || s[j] == '_'))
            j++;
        if (j < len && s[j] == '$' && !(j > i + 1 && isdigit((unsigned char)s[i + 1]))) {
            size_t tag_len = j - i + 1;
            const char *tag = s + i;
            for (size_t k = j + 1; k + tag_len <= len; k++) {
                if (memcmp(s + k, tag, tag_len) == 0)
                    return k + tag_len;
            }
            return len;
        }
    }
    return i;
}

size_t sqltext_statement_len(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t next = skip_special(s, len, i);
        if (next != i) {
            i = next;
            continue;
        }
        if (s[i] == ';')
            return i + 1;
        i++;
    }
    return len;
}

bool sqltext_is_blank(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (isspace((unsigned char)s[i]) || s[i] == ';') {
            i++;
            continue;
        }
        if ((s[i] == '-' && i + 1 < len && s[i + 1] == '-') ||
            (s[i] == '/' && i + 1 < len && s[i + 1] == '*')) {
            i = skip_special(s, len, i);
            continue;
        }
        return false;
    }
    return true;
}

void sqltext_keywords(const char *s, size_t len, int n, char *out, size_t cap)
{
    size_t o = 0, i = 0;
    out[0] = 0;
    while (i < len && n > 0) {
        if (isspace((unsigned char)s[i]) || s[i] == '(') {
            i++;
            continue;
        }
        if ((s[i] == '-' && i + 1 < len && s[i + 1] == '-') ||
            (s[i] == '/' && i + 1 < len && s[i + 1] == '*')) {
            i = skip_special(s, len, i);
            continue;
        }
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
            break;
        if (o && o + 1 < cap)
            out[o++] = ' ';
        while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '_')) {
            if (o + 1 < cap)
                out[o++] = (char)toupper((unsigned char)s[i]);
            i++;
        }
        n--;
    }
    out[o < cap ? o : cap - 1] = 0;
}

static bool starts_word(const char *kw, const char *word)
{
    size_t n = strlen(word);
    return strncmp(kw, word, n) == 0 && (kw[n] == 0 || kw[n] == ' ');
}

sql_txn_kind sqltext_txn_kind(const char *kw)
{
    if (starts_word(kw, "BEGIN") || starts_word(kw, "START"))
        return SQL_TXN_BEGIN;
    if (starts_word(kw, "COMMIT") || starts_word(kw, "END"))
        return SQL_TXN_COMMIT;
    if (starts_word(kw, "ROLLBACK") || starts_word(kw, "ABORT"))
        return SQL_TXN_ROLLBACK;
    return SQL_TXN_NONE;
}

/* Words between CREATE/DROP and the object kind that the tag leaves out. */
static const char *const modifiers[] = {
    "OR",     "REPLACE",    "TEMP",     "TEMPORARY", "UNIQUE", "IF",           "NOT",
    "EXISTS", "PERSISTENT", "UNLOGGED", "GLOBAL",    "LOCAL",  "MATERIALIZED", NULL};

static bool is_modifier(const char *w, size_t n)
{
    for (const char *const *m = modifiers; *m; m++) {
        if (strlen(*m) == n && strncmp(*m, w, n) == 0)
            return true;
    }
    return false;
}

void sqltext_command_tag(const char *kw, char *out, size_t cap)
{
    switch (sqltext_txn_kind(kw)) {
    case SQL_TXN_BEGIN:
        snprintf(out, cap, "%s", starts_word(kw, "START") ? "START TRANSACTION" : "BEGIN");
        return;
    case SQL_TXN_COMMIT:
        snprintf(out, cap, "COMMIT");
        return;
    case SQL_TXN_ROLLBACK:
        snprintf(out, cap, "ROLLBACK");
        return;
    default:
        break;
    }
    size_t first = strcspn(kw, " ");
    if (starts_word(kw, "CREATE") || starts_word(kw, "DROP") || starts_word(kw, "ALTER")) {
        /* CREATE [OR REPLACE] [TEMP] TABLE ... -> "CREATE TABLE" */
        const char *p = kw + first;
        while (*p == ' ') {
            p++;
            size_t n = strcspn(p, " ");
            if (n == 0)
                break;
            if (!is_modifier(p, n)) {
                snprintf(out, cap, "%.*s %.*s", (int)first, kw, (int)n, p);
                return;
            }
            p += n;
        }
    }
    if (first == 0) {
        snprintf(out, cap, "OK");
        return;
    }
    snprintf(out, cap, "%.*s", (int)first, kw);
}

static bool word_at(const char *s, size_t len, size_t i, const char *word)
{
    size_t n = strlen(word);
    if (i + n > len || strncasecmp(s + i, word, n) != 0)
        return false;
    if (i > 0 && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '_' || s[i - 1] == '.'))
        return false;
    return true;
}

static size_t skip_spaces(const char *s, size_t len, size_t i)
{
    while (i < len && isspace((unsigned char)s[i]))
        i++;
    return i;
}

static bool is_reg_type(const char *w, size_t n)
{
    static const char *const reg[] = {"regclass",     "regtype",   "regproc",
                                      "regprocedure", "regoper",   "regnamespace",
                                      "regrole",      "regconfig", NULL};
    for (const char *const *r = reg; *r; r++) {
        if (strlen(*r) == n && strncasecmp(*r, w, n) == 0)
            return true;
    }
    return false;
}

/* Whether the output so far ends with FROM or JOIN (then a function call is
 * a table function). */
static bool from_context(const strbuf *out)
{
    size_t n = out->len;
    while (n && isspace((unsigned char)out->buf[n - 1]))
        n--;
    for (int k = 0; k < 2; k++) {
        const char *w = k ? "JOIN" : "FROM";
        if (n >= 4 && strncasecmp(out->buf + n - 4, w, 4) == 0 &&
            (n == 4 || !(isalnum((unsigned char)out->buf[n - 5]) || out->buf[n - 5] == '_')))
            return true;
    }
    return false;
}

static const char *const not_aliases[] = {"WHERE", "ON",     "JOIN",   "LEFT",   "RIGHT", "INNER",
                                          "CROSS", "FULL",   "ORDER",  "GROUP",  "LIMIT", "UNION",
                                          "USING", "HAVING", "WINDOW", "OFFSET", NULL};

/* In PostgreSQL `FROM generate_series(...) s` names the column s too; DuckDB
 * needs s(s).  Returns where the bare alias ends (its start in *alias_at),
 * or 0 when there is none to fix. */
static size_t alias_generate_series(const char *s, size_t len, size_t i, size_t *alias_at)
{
    size_t j = i + 15;
    j = skip_spaces(s, len, j);
    if (j >= len || s[j] != '(')
        return 0;
    int depth = 0;
    size_t k = j;
    for (; k < len; k++) {
        size_t next = skip_special(s, len, k);
        if (next != k) {
            k = next - 1;
            continue;
        }
        if (s[k] == '(')
            depth++;
        else if (s[k] == ')' && --depth == 0)
            break;
    }
    if (k >= len)
        return 0;
    size_t a = skip_spaces(s, len, k + 1);
    if (word_at(s, len, a, "AS"))
        a = skip_spaces(s, len, a + 2);
    size_t w = a;
    while (w < len && (isalnum((unsigned char)s[w]) || s[w] == '_'))
        w++;
    if (w == a || (w < len && skip_spaces(s, len, w) < len && s[skip_spaces(s, len, w)] == '('))
        return 0;
    for (const char *const *n = not_aliases; *n; n++) {
        if (strlen(*n) == w - a && strncasecmp(*n, s + a, w - a) == 0)
            return 0;
    }
    *alias_at = a;
    return w;
}

char *sqltext_pg_rewrite(const char *s, size_t len, const char *const *shadowed_relations)
{
    if (!memmem(s, len, "pg_catalog", 10) && !memmem(s, len, "regclass", 8) &&
        !memmem(s, len, "OPERATOR(", 9) && !memmem(s, len, "generate_series", 15) &&
        !memmem(s, len, "bytea", 5) && !memmem(s, len, "information_schema._pg_", 23))
        return NULL;
    strbuf out = STRBUF_INIT;
    bool changed = false;
    size_t i = 0;
    size_t alias_start = 0, alias_end = 0;
    while (i <= len) {
        if (alias_end && i == alias_end) {
            strbuf_addc(&out, '(');
            strbuf_add(&out, s + alias_start, alias_end - alias_start);
            strbuf_addc(&out, ')');
            alias_end = 0;
            changed = true;
        }
        if (i == len)
            break;
        size_t next = skip_special(s, len, i);
        if (next != i) {
            /* '...'::regclass -> (SELECT oid FROM pg_class WHERE relname = '...') */
            size_t j = next;
            bool quoted = s[i] == '\'';
            if (quoted && j + 2 <= len && s[j] == ':' && s[j + 1] == ':') {
                size_t k = j + 2;
                if (word_at(s, len, k, "pg_catalog."))
                    k += 11;
                if (word_at(s, len, k, "bytea") && next - i >= 4 && s[i + 1] == '\\' &&
                    (s[i + 2] == 'x' || s[i + 2] == 'X') &&
                    (k + 5 >= len || !(isalnum((unsigned char)s[k + 5]) || s[k + 5] == '_'))) {
                    /* PostgreSQL's hex bytea '\x00ff' is two bytes; DuckDB reads
                     * "\x00" then the letters "ff". */
                    strbuf_adds(&out, "from_hex('");
                    strbuf_add(&out, s + i + 3, next - i - 4);
                    strbuf_adds(&out, "')");
                    i = k + 5;
                    changed = true;
                    continue;
                }
                if (word_at(s, len, k, "regclass") &&
                    (k + 8 >= len || !(isalnum((unsigned char)s[k + 8]) || s[k + 8] == '_'))) {
                    /* A qualified 'schema.name' keeps only the name. */
                    const char *lit = s + i + 1;
                    size_t lit_len = next - i - 2;
                    const char *dot = memchr(lit, '.', lit_len);
                    if (dot) {
                        lit_len -= (size_t)(dot + 1 - lit);
                        lit = dot + 1;
                    }
                    strbuf_adds(&out,
                                "(SELECT min(oid) FROM pg_catalog.pg_class WHERE relname = '");
                    strbuf_add(&out, lit, lit_len);
                    strbuf_adds(&out, "')");
                    i = k + 8;
                    changed = true;
                    continue;
                }
            }
            strbuf_add(&out, s + i, next - i);
            i = next;
            continue;
        }
        if (word_at(s, len, i, "OPERATOR")) {
            size_t j = skip_spaces(s, len, i + 8);
            if (j < len && s[j] == '(') {
                size_t close = j + 1;
                while (close < len && s[close] != ')')
                    close++;
                if (close < len) {
                    const char *op = s + j + 1;
                    size_t n = close - j - 1;
                    const char *dot = memchr(op, '.', n);
                    if (dot) {
                        n -= (size_t)(dot + 1 - op);
                        op = dot + 1;
                    }
                    strbuf_addc(&out, ' ');
                    strbuf_add(&out, op, n);
                    strbuf_addc(&out, ' ');
                    i = close + 1;
                    changed = true;
                    continue;
                }
            }
        }
        if (word_at(s, len, i, "COLLATE")) {
            size_t j = skip_spaces(s, len, i + 7);
            if (word_at(s, len, j, "pg_catalog.default")) {
                i = j + 18;
                changed = true;
                continue;
            }
            if (j + 9 <= len && strncmp(s + j, "\"default\"", 9) == 0) {
                i = j + 9;
                changed = true;
                continue;
            }
        }
        if (i + 2 <= len && s[i] == ':' && s[i + 1] == ':') {
            /* ::regclass and friends: oids are plain integers here. */
            size_t j = skip_spaces(s, len, i + 2);
            if (word_at(s, len, j, "pg_catalog."))
                j += 11;
            size_t w = j;
            while (w < len && (isalnum((unsigned char)s[w]) || s[w] == '_'))
                w++;
            if (w - j >= 6 && strncasecmp(s + j, "reg", 3) == 0 && is_reg_type(s + j, w - j)) {
                strbuf_adds(&out, "::BIGINT");
                i = w;
                changed = true;
                continue;
            }
            if (j != skip_spaces(s, len, i + 2)) {
                strbuf_adds(&out, "::"); /* ::pg_catalog.text -> ::text */
                i = j;
                changed = true;
                continue;
            }
        }
        if (i + 15 <= len && strncasecmp(s + i, "generate_series", 15) == 0 &&
            (i == 0 || !(isalnum((unsigned char)s[i - 1]) || s[i - 1] == '_')) &&
            from_context(&out)) {
            alias_end = alias_generate_series(s, len, i, &alias_start);
        }
        if (word_at(s, len, i, "information_schema._pg_expandarray")) {
            /* PostgreSQL's helper lives in information_schema; ours is a
             * session macro. */
            i += 19;
            changed = true;
            continue;
        }
        if (word_at(s, len, i, "pg_catalog.")) {
            size_t j = i + 11;
            size_t w = j;
            while (w < len && (isalnum((unsigned char)s[w]) || s[w] == '_'))
                w++;
            size_t k = skip_spaces(s, len, w);
            bool call = k < len && s[k] == '(';
            bool shadowed = false;
            for (const char *const *v = shadowed_relations; v && *v; v++) {
                if (strlen(*v) == w - j && strncasecmp(*v, s + j, w - j) == 0)
                    shadowed = true;
            }
            if (call || shadowed) {
                /* Drop the schema so the session's shims (temp macros and
                 * views) resolve first. */
                i = j;
                changed = true;
                continue;
            }
        }
        strbuf_addc(&out, s[i]);
        i++;
    }
    if (!changed) {
        strbuf_release(&out);
        return NULL;
    }
    return strbuf_detach(&out);
}

bool sqltext_next_word(const char *s, size_t len, size_t *pos, char *out, size_t cap)
{
    size_t i = *pos;
    for (;;) {
        while (i < len && isspace((unsigned char)s[i]))
            i++;
        size_t next = i < len && s[i] != '"' ? skip_special(s, len, i) : i;
        if (next == i || s[i] == '\'')
            break;
        i = next; /* a comment */
    }
    size_t o = 0;
    if (i >= len || s[i] == ';') {
        *pos = i;
        return false;
    }
    if (s[i] == '"') {
        i++;
        while (i < len) {
            if (s[i] == '"') {
                if (i + 1 < len && s[i + 1] == '"') {
                    i++;
                } else {
                    i++;
                    break;
                }
            }
            if (o + 1 < cap)
                out[o++] = s[i];
            i++;
        }
    } else if (isalnum((unsigned char)s[i]) || s[i] == '_') {
        while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '_')) {
            if (o + 1 < cap)
                out[o++] = (char)tolower((unsigned char)s[i]);
            i++;
        }
    } else {
        if (o + 1 < cap)
            out[o++] = s[i];
        i++;
    }
    out[o] = 0;
    *pos = i;
    return true;
}

bool sqltext_parse_declare(const char *s, size_t len, char *name, size_t cap, bool *hold,
                           size_t *query_at)
{
    size_t pos = 0;
    char w[128];
    if (!sqltext_next_word(s, len, &pos, w, sizeof(w)) || strcmp(w, "declare") != 0)
        return false;
    if (!sqltext_next_word(s, len, &pos, name, cap))
        return false;
    *hold = false;
    bool seen_cursor = false;
    while (sqltext_next_word(s, len, &pos, w, sizeof(w))) {
        if (strcmp(w, "cursor") == 0)
            seen_cursor = true;
        else if (strcmp(w, "with") == 0 && seen_cursor)
            *hold = true;
        else if (strcmp(w, "without") == 0 && seen_cursor)
            *hold = false;
        else if (strcmp(w, "for") == 0 && seen_cursor) {
            *query_at = pos;
            return true;
        }
    }
    return false;
}
