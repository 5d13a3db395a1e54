/* sqltext: a lexer just deep enough to split statements and read keywords. */
#include "serve/sqltext.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

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
