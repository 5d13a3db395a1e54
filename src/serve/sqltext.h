/* sqltext: what the server needs to know about SQL text without parsing it --
 * where one statement ends (quotes, dollar quotes and comments respected) and
 * the leading keywords that decide a statement's CommandComplete tag. */
#ifndef MALLARD_SERVE_SQLTEXT_H
#define MALLARD_SERVE_SQLTEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the statement starting at sql, up to and including its ';' (or
 * to the end of the string). */
size_t sqltext_statement_len(const char *sql, size_t len);
/* Whether the text holds nothing but blanks, comments and ';'. */
bool sqltext_is_blank(const char *sql, size_t len);
/* The first n keywords, upper-cased and space-separated, into out (at most
 * cap bytes); comments skipped.  Words are letters, digits and '_'. */
void sqltext_keywords(const char *sql, size_t len, int n, char *out, size_t cap);

/* How a statement affects the transaction block, by its leading keywords. */
typedef enum {
    SQL_TXN_NONE,
    SQL_TXN_BEGIN,    /* BEGIN, START TRANSACTION */
    SQL_TXN_COMMIT,   /* COMMIT, END */
    SQL_TXN_ROLLBACK, /* ROLLBACK, ABORT */
} sql_txn_kind;
sql_txn_kind sqltext_txn_kind(const char *keywords);

/* The CommandComplete tag for a statement that returned no rows, from its
 * keywords ("CREATE TABLE", "DROP VIEW", "SET", ...), into out. */
void sqltext_command_tag(const char *keywords, char *out, size_t cap);

/* One word or identifier of a statement: quoted "Names" keep their case
 * (and lose the quotes), others are folded to lower case.  Returns false at
 * the end of the text; *pos moves past the word. */
bool sqltext_next_word(const char *sql, size_t len, size_t *pos, char *out, size_t cap);

/* DECLARE name [BINARY] [NO] SCROLL ... CURSOR [WITH|WITHOUT HOLD] FOR query:
 * the cursor's name, whether it is WITH HOLD, and where the query starts. */
bool sqltext_parse_declare(const char *sql, size_t len, char *name, size_t cap, bool *hold,
                           size_t *query_at);

/* PostgreSQL-only spellings that psql and drivers put in catalog queries,
 * rewritten into what DuckDB reads: OPERATOR(pg_catalog.~) becomes ~,
 * COLLATE pg_catalog.default goes, pg_catalog.f(...) becomes f(...) (so the
 * session's shims resolve), pg_catalog.R becomes R for the relations in
 * shadowed_relations (NULL-terminated; the session's own views of them),
 * '...'::regclass becomes the relation's oid and other reg* casts BIGINT.
 * Quoted text and comments are left alone.  Returns a heap string, or NULL
 * when nothing needed rewriting. */
char *sqltext_pg_rewrite(const char *sql, size_t len, const char *const *shadowed_relations);

#endif
