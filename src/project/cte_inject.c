/* cte_inject: splicing ephemeral models' CTEs into a consumer's SQL, the
 * way dbt's inject_ctes_into_sql does it with sqlparse: into the statement's
 * leading WITH when it has one, else behind a new "with" before the first
 * token. */
#include "project/compile.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static bool is_space_or_comment(const char **s)
{
    const char *p = *s;
    if (isspace((unsigned char)*p)) {
        *s = p + 1;
        return true;
    }
    return false;
}

void compile_inject_ctes(const char *sql, const char *const *ctes, size_t n, strbuf *out)
{
    if (n == 0) {
        strbuf_adds(out, sql);
        return;
    }
    /* the first token after whitespace: a WITH keyword or something else */
    const char *p = sql;
    while (*p && is_space_or_comment(&p)) {
    }
    bool has_with = strncasecmp(p, "with", 4) == 0 && !isalnum((unsigned char)p[4]) && p[4] != '_';
    if (has_with) {
        /* [with][ctes][, ][rest]; "with recursive" keeps recursive first */
        const char *after = p + 4;
        const char *q = after;
        while (isspace((unsigned char)*q))
            q++;
        if (strncasecmp(q, "recursive", 9) == 0 && !isalnum((unsigned char)q[9]) && q[9] != '_')
            after = q + 9;
        strbuf_add(out, sql, (size_t)(after - sql));
        for (size_t i = 0; i < n; i++) {
            if (i)
                strbuf_adds(out, ", ");
            strbuf_adds(out, ctes[i]);
        }
        strbuf_adds(out, ", ");
        strbuf_adds(out, after);
        return;
    }
    /* [leading whitespace][with][ctes ][original] */
    strbuf_add(out, sql, (size_t)(p - sql));
    strbuf_adds(out, "with");
    for (size_t i = 0; i < n; i++) {
        if (i)
            strbuf_adds(out, ", ");
        strbuf_adds(out, ctes[i]);
    }
    strbuf_adds(out, " ");
    strbuf_adds(out, p);
}
