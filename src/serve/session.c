/* session: one client, start to finish (see session.h). */
#include "serve/session.h"

#include "serve/auth.h"
#include "serve/catalog.h"
#include "serve/copy.h"
#include "serve/openssl_api.h"
#include "serve/pgarray.h"
#include "serve/pgtypes.h"
#include "serve/pgwire.h"
#include "serve/sqlstate.h"
#include "serve/sqltext.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

enum {
    MAX_STATEMENTS = 10000, /* named prepared statements per session */
    MAX_PORTALS = 10000,
    MAX_STARTUP_PACKETS = 4,  /* SSLRequest, GSSENCRequest, then the real one */
    MAX_AUTH_MESSAGE = 65535, /* PostgreSQL's PG_MAX_AUTH_TOKEN_LENGTH */
};

typedef struct stmt {
    char *name;
    char keywords[96];
    sql_txn_kind txn;
    bool empty;   /* the empty query */
    bool ignored; /* a client-side SET accepted without running */
    duckdb_prepared_statement prep;
    duckdb_statement_type type;
    idx_t nparams;
    int32_t *param_oids;
    /* DuckDB could not infer a parameter's type at Parse, so it knows the
     * result's columns only once values are bound (it plans again then). */
    bool shape_unknown;
    struct stmt *next;
} stmt;

typedef struct portal {
    char *name;
    stmt *st;
    duckdb_value *params;
    int16_t *formats; /* per result column */
    idx_t ncols;
    int16_t *result_formats; /* as Bind gave them: none, one for all, or one per column */
    int16_t n_result_formats;
    bool started, finished, returns_rows;
    bool hold; /* a cursor declared WITH HOLD outlives its transaction */
    duckdb_result result;
    bool has_result;
    duckdb_data_chunk chunk;
    idx_t chunk_row;
    uint64_t rows;
    char tag[64];
    struct portal *next;
} portal;

typedef struct session {
    server *srv;
    db *database;
    const serve_options *opts;
    const session_peer *peer;
    pg_reader in;
    pg_writer out;
    db_conn *conn;
    duckdb_connection raw;
    int32_t pid, secret;
    bool registered;
    char txn; /* 'I', 'T' or 'E' */
    /* The transaction was opened by Mallard around a multi-statement Query
     * (PostgreSQL's implicit transaction block), not by the client. */
    bool implicit_txn;
    bool read_only;
    bool skip_until_sync;
    bool closing; /* a fatal error was sent: end the session */
    char *user, *database_name, *application_name;
    SSL *tls;           /* after a successful SSLRequest */
    bool catalog_ready; /* the catalog shims are installed (done on first need) */
    stmt *stmts;
    size_t n_stmts;
    portal *portals;
    size_t n_portals;
    portal *cursors; /* DECLAREd cursors, by name */
    size_t n_cursors;
} session;

static void close_txn_cursors(session *s);

/* --- messages ------------------------------------------------------------------- */

static void send_error_fields(session *s, char type, const char *severity, const char *code,
                              const char *message)
{
    pg_writer *w = &s->out;
    pg_begin(w, type);
    pg_put_u8(w, 'S');
    pg_put_cstr(w, severity);
    pg_put_u8(w, 'V');
    pg_put_cstr(w, severity);
    pg_put_u8(w, 'C');
    pg_put_cstr(w, code);
    pg_put_u8(w, 'M');
    pg_put_cstr(w, message);
    pg_put_u8(w, 0);
    pg_end(w);
}

static void send_error(session *s, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void send_error(session *s, const char *code, const char *fmt, ...)
{
    strbuf m = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&m, fmt, ap);
    va_end(ap);
    send_error_fields(s, 'E', "ERROR", code, strbuf_str(&m));
    strbuf_release(&m);
}

static void send_fatal(session *s, const char *code, const char *message)
{
    send_error_fields(s, 'E', "FATAL", code, message);
    pg_flush(&s->out);
    s->closing = true;
}

static void send_notice(session *s, const char *severity, const char *code, const char *message)
{
    send_error_fields(s, 'N', severity, code, message);
}

/* An error while running a statement: the transaction (if any) is now
 * aborted, and extended-protocol messages are skipped until Sync. */
static void statement_failed(session *s)
{
    if (s->txn == 'T')
        s->txn = 'E';
    s->skip_until_sync = true;
}

static void send_duckdb_error(session *s, duckdb_error_type type, const char *msg)
{
    send_error(s, pg_sqlstate(type, msg), "%s", msg ? msg : "unknown database error");
}

/* A statement DuckDB could not even split off: usually a syntax error, but
 * constant folding in its parser can raise others (a bad cast literal). */
static void send_extract_error(session *s, const char *msg)
{
    duckdb_error_type type = pg_error_type_from_message(msg);
    send_duckdb_error(s, type == DUCKDB_ERROR_INVALID ? DUCKDB_ERROR_PARSER : type,
                      msg ? msg : "syntax error");
}

static void send_simple(session *s, char type)
{
    pg_begin(&s->out, type);
    pg_end(&s->out);
}

static void send_command_complete(session *s, const char *tag)
{
    pg_begin(&s->out, 'C');
    pg_put_cstr(&s->out, tag);
    pg_end(&s->out);
}

static void send_ready(session *s)
{
    pg_begin(&s->out, 'Z');
    pg_put_u8(&s->out, (uint8_t)s->txn);
    pg_end(&s->out);
    pg_flush(&s->out);
}

static void send_parameter_status(session *s, const char *name, const char *value)
{
    pg_begin(&s->out, 'S');
    pg_put_cstr(&s->out, name);
    pg_put_cstr(&s->out, value);
    pg_end(&s->out);
}

/* RowDescription from a result (when known) or a prepared statement. */
static void send_row_description(session *s, duckdb_result *r, duckdb_prepared_statement p,
                                 const int16_t *formats)
{
    idx_t n = r ? duckdb_column_count(r) : duckdb_prepared_statement_column_count(p);
    pg_begin(&s->out, 'T');
    pg_put_i16(&s->out, (int16_t)n);
    for (idx_t i = 0; i < n; i++) {
        const char *name =
            r ? duckdb_column_name(r, i) : duckdb_prepared_statement_column_name(p, i);
        duckdb_logical_type t = r ? duckdb_column_logical_type(r, i)
                                  : duckdb_prepared_statement_column_logical_type(p, i);
        int32_t oid = pgtype_oid(t);
        duckdb_destroy_logical_type(&t);
        /* count(*) is "count" in PostgreSQL; clients key rows by it. */
        pg_put_cstr(&s->out, !name                               ? "?column?"
                             : strcmp(name, "count_star()") == 0 ? "count"
                                                                 : name);
        pg_put_i32(&s->out, 0); /* table OID */
        pg_put_i16(&s->out, 0); /* column number */
        pg_put_i32(&s->out, oid);
        pg_put_i16(&s->out, pgtype_len(oid));
        pg_put_i32(&s->out, -1); /* typmod */
        pg_put_i16(&s->out, formats ? formats[i] : 0);
        if (r == NULL && name)
            duckdb_free((void *)name); /* prepared_statement_column_name returns a copy */
    }
    pg_end(&s->out);
}

/* --- statement classification --------------------------------------------------------- */

static bool is_count_result(duckdb_statement_type type, duckdb_result *r)
{
    if (type != DUCKDB_STATEMENT_TYPE_INSERT && type != DUCKDB_STATEMENT_TYPE_UPDATE &&
        type != DUCKDB_STATEMENT_TYPE_DELETE && type != DUCKDB_STATEMENT_TYPE_COPY &&
        type != DUCKDB_STATEMENT_TYPE_CREATE)
        return false;
    return duckdb_column_count(r) == 1 && strcmp(duckdb_column_name(r, 0), "Count") == 0;
}

/* Whether a statement's result rows go to the client (a SELECT) rather than
 * being DuckDB's bookkeeping (the "Count" of an INSERT, "Success" of DDL). */
static bool result_has_rows(duckdb_statement_type type, duckdb_result *r)
{
    if (duckdb_column_count(r) == 0 || is_count_result(type, r))
        return false;
    switch (type) {
    case DUCKDB_STATEMENT_TYPE_CREATE:
    case DUCKDB_STATEMENT_TYPE_DROP:
    case DUCKDB_STATEMENT_TYPE_ALTER:
    case DUCKDB_STATEMENT_TYPE_TRANSACTION:
    case DUCKDB_STATEMENT_TYPE_VARIABLE_SET:
    case DUCKDB_STATEMENT_TYPE_SET:
    case DUCKDB_STATEMENT_TYPE_LOAD:
    case DUCKDB_STATEMENT_TYPE_ATTACH:
    case DUCKDB_STATEMENT_TYPE_DETACH:
    case DUCKDB_STATEMENT_TYPE_CREATE_FUNC:
    case DUCKDB_STATEMENT_TYPE_VACUUM:
    case DUCKDB_STATEMENT_TYPE_ANALYZE:
    case DUCKDB_STATEMENT_TYPE_EXPORT:
    case DUCKDB_STATEMENT_TYPE_PREPARE:
        return false;
    default:
        return true;
    }
}

static bool prepared_has_rows(duckdb_prepared_statement p, duckdb_statement_type type)
{
    idx_t n = duckdb_prepared_statement_column_count(p);
    if (n == 0)
        return false;
    if (n == 1 && (type == DUCKDB_STATEMENT_TYPE_INSERT || type == DUCKDB_STATEMENT_TYPE_UPDATE ||
                   type == DUCKDB_STATEMENT_TYPE_DELETE || type == DUCKDB_STATEMENT_TYPE_COPY ||
                   type == DUCKDB_STATEMENT_TYPE_CREATE)) {
        const char *name = duckdb_prepared_statement_column_name(p, 0);
        bool count = name && strcmp(name, "Count") == 0;
        duckdb_free((void *)name);
        if (count)
            return false;
    }
    switch (type) {
    case DUCKDB_STATEMENT_TYPE_SELECT:
    case DUCKDB_STATEMENT_TYPE_EXPLAIN:
    case DUCKDB_STATEMENT_TYPE_PRAGMA:
    case DUCKDB_STATEMENT_TYPE_CALL:
    case DUCKDB_STATEMENT_TYPE_EXECUTE:
    case DUCKDB_STATEMENT_TYPE_RELATION:
    case DUCKDB_STATEMENT_TYPE_INSERT:
    case DUCKDB_STATEMENT_TYPE_UPDATE:
    case DUCKDB_STATEMENT_TYPE_DELETE:
        return true;
    default:
        return false;
    }
}

/* Statement kinds a read-only user may run. */
static bool read_only_allows(duckdb_statement_type type)
{
    switch (type) {
    case DUCKDB_STATEMENT_TYPE_SELECT:
    case DUCKDB_STATEMENT_TYPE_EXPLAIN:
    case DUCKDB_STATEMENT_TYPE_TRANSACTION:
    case DUCKDB_STATEMENT_TYPE_VARIABLE_SET:
    case DUCKDB_STATEMENT_TYPE_SET:
    case DUCKDB_STATEMENT_TYPE_PRAGMA:
    case DUCKDB_STATEMENT_TYPE_RELATION:
        return true;
    default:
        return false;
    }
}

static void make_tag(duckdb_statement_type type, const char *keywords, bool rows, uint64_t count,
                     char *tag, size_t cap)
{
    switch (type) {
    case DUCKDB_STATEMENT_TYPE_INSERT:
        snprintf(tag, cap, "INSERT 0 %llu", (unsigned long long)count);
        return;
    case DUCKDB_STATEMENT_TYPE_UPDATE:
        snprintf(tag, cap, "UPDATE %llu", (unsigned long long)count);
        return;
    case DUCKDB_STATEMENT_TYPE_DELETE:
        snprintf(tag, cap, "DELETE %llu", (unsigned long long)count);
        return;
    case DUCKDB_STATEMENT_TYPE_COPY:
        snprintf(tag, cap, "COPY %llu", (unsigned long long)count);
        return;
    default:
        break;
    }
    if (rows) {
        if (strncmp(keywords, "SHOW", 4) == 0 || strncmp(keywords, "EXPLAIN", 7) == 0)
            sqltext_command_tag(keywords, tag, cap);
        else
            snprintf(tag, cap, "SELECT %llu", (unsigned long long)count);
        return;
    }
    sqltext_command_tag(keywords, tag, cap);
}

/* The first BIGINT of DuckDB's "Count" result. */
static uint64_t count_of(duckdb_result *r)
{
    uint64_t n = 0;
    duckdb_data_chunk c = duckdb_fetch_chunk(*r);
    if (c) {
        if (duckdb_data_chunk_get_size(c) > 0) {
            duckdb_vector v = duckdb_data_chunk_get_vector(c, 0);
            if (!pgtype_is_null(v, 0))
                n = (uint64_t)((int64_t *)duckdb_vector_get_data(v))[0];
        }
        duckdb_destroy_data_chunk(&c);
    }
    return n;
}

/* --- sending rows --------------------------------------------------------------------------- */

/* Appends DataRow messages for rows [from, to) of a chunk.  False (with an
 * ErrorResponse sent) if a value has no PostgreSQL form. */
static bool send_rows(session *s, duckdb_data_chunk chunk, duckdb_logical_type *types, idx_t ncols,
                      const int16_t *formats, idx_t from, idx_t to)
{
    pg_writer *w = &s->out;
    strbuf why = STRBUF_INIT;
    duckdb_vector vecs[ncols ? ncols : 1];
    for (idx_t c = 0; c < ncols; c++)
        vecs[c] = duckdb_data_chunk_get_vector(chunk, c);
    for (idx_t row = from; row < to; row++) {
        pg_begin(w, 'D');
        pg_put_i16(w, (int16_t)ncols);
        for (idx_t c = 0; c < ncols; c++) {
            if (pgtype_is_null(vecs[c], row)) {
                pg_put_i32(w, -1);
                continue;
            }
            size_t len_at = w->out.len;
            pg_put_i32(w, 0);
            bool ok = formats && formats[c] == 1
                          ? pgtype_format_binary(vecs[c], types[c], row, &w->out, &why)
                          : pgtype_format_text(vecs[c], types[c], row, &w->out, &why);
            if (!ok) {
                w->out.len = w->msg_start; /* drop the half-built row */
                send_error(s, "0A000", "%s", strbuf_str(&why));
                strbuf_release(&why);
                return false;
            }
            uint32_t n = (uint32_t)(w->out.len - len_at - 4);
            unsigned char *p = (unsigned char *)w->out.buf + len_at;
            p[0] = (unsigned char)(n >> 24);
            p[1] = (unsigned char)(n >> 16);
            p[2] = (unsigned char)(n >> 8);
            p[3] = (unsigned char)n;
        }
        pg_end(w);
        if (!pg_maybe_flush(w))
            break;
    }
    strbuf_release(&why);
    return !w->failed;
}

static duckdb_logical_type *result_types(duckdb_result *r, idx_t n)
{
    duckdb_logical_type *types = xcalloc(n ? n : 1, sizeof(*types));
    for (idx_t i = 0; i < n; i++)
        types[i] = duckdb_column_logical_type(r, i);
    return types;
}

static void free_types(duckdb_logical_type *types, idx_t n)
{
    for (idx_t i = 0; i < n; i++)
        duckdb_destroy_logical_type(&types[i]);
    free(types);
}

/* --- running one statement --------------------------------------------------------------- */

/* Transaction-block rules shared by both protocols; returns true if the
 * statement was fully handled here (answered or refused). */
static bool handle_txn_rules(session *s, sql_txn_kind txn, const char *keywords, bool *failed)
{
    *failed = false;
    if (s->txn == 'E') {
        if (txn == SQL_TXN_COMMIT || txn == SQL_TXN_ROLLBACK) {
            /* PostgreSQL answers COMMIT of a failed block with a rollback. */
            db_error e = {0};
            db_exec(s->conn, "ROLLBACK", NULL, &e);
            db_error_release(&e);
            s->txn = 'I';
            close_txn_cursors(s);
            send_command_complete(s, "ROLLBACK");
            return true;
        }
        send_error(s, "25P02",
                   "current transaction is aborted, commands ignored until end of transaction "
                   "block");
        *failed = true;
        s->skip_until_sync = true;
        return true;
    }
    if ((txn == SQL_TXN_COMMIT || txn == SQL_TXN_ROLLBACK) && s->implicit_txn)
        /* PostgreSQL warns, then ends the implicit block all the same. */
        send_notice(s, "WARNING", "25P01", "there is no transaction in progress");
    if (txn == SQL_TXN_BEGIN && s->txn == 'T' && s->implicit_txn) {
        /* BEGIN inside a multi-statement Query turns the implicit block
         * into the client's own, earlier statements included. */
        s->implicit_txn = false;
        send_command_complete(s, "BEGIN");
        return true;
    }
    if (txn == SQL_TXN_BEGIN && s->txn == 'T') {
        send_notice(s, "WARNING", "25001", "there is already a transaction in progress");
        char tag[32];
        sqltext_command_tag(keywords, tag, sizeof(tag));
        send_command_complete(s, tag);
        return true;
    }
    if ((txn == SQL_TXN_COMMIT || txn == SQL_TXN_ROLLBACK) && s->txn == 'I') {
        send_notice(s, "WARNING", "25P01", "there is no transaction in progress");
        send_command_complete(s, txn == SQL_TXN_COMMIT ? "COMMIT" : "ROLLBACK");
        return true;
    }
    return false;
}

static void txn_after_success(session *s, sql_txn_kind txn)
{
    if (txn == SQL_TXN_BEGIN) {
        s->txn = 'T';
    } else if (txn == SQL_TXN_COMMIT || txn == SQL_TXN_ROLLBACK) {
        s->txn = 'I';
        s->implicit_txn = false;
        close_txn_cursors(s);
    }
}

static void txn_after_failure(session *s, sql_txn_kind txn)
{
    if (txn == SQL_TXN_COMMIT || txn == SQL_TXN_ROLLBACK) {
        s->txn = 'I'; /* DuckDB rolled back */
        s->implicit_txn = false;
        close_txn_cursors(s);
    } else if (s->txn == 'T') {
        s->txn = 'E';
    }
}

/* Reports a failed execution; a cancel by the timeout gets PostgreSQL's words. */
static void report_exec_error(session *s, duckdb_result *r, bool timed_out)
{
    duckdb_error_type type = duckdb_result_error_type(r);
    const char *msg = duckdb_result_error(r);
    if (type == DUCKDB_ERROR_INTERRUPT)
        send_error(s, "57014",
                   timed_out ? "canceling statement due to statement timeout"
                             : "canceling statement due to user request");
    else
        send_duckdb_error(s, type, msg);
}

/* BEGIN, COMMIT, ROLLBACK: run on the connection directly (DuckDB keeps the
 * transaction there), with the tag and status PostgreSQL gives. */
static bool run_txn_statement(session *s, sql_txn_kind txn, const char *keywords, char *tag_out)
{
    db_error e = {0};
    const char *sql = txn == SQL_TXN_BEGIN    ? "BEGIN TRANSACTION"
                      : txn == SQL_TXN_COMMIT ? "COMMIT"
                                              : "ROLLBACK";
    if (!db_exec(s->conn, sql, NULL, &e)) {
        send_error(s, pg_sqlstate((duckdb_error_type)e.duckdb_type, e.message), "%s", e.message);
        db_error_release(&e);
        txn_after_failure(s, txn);
        return false;
    }
    txn_after_success(s, txn);
    char tag[64];
    sqltext_command_tag(keywords, tag, sizeof(tag));
    if (tag_out)
        snprintf(tag_out, 64, "%s", tag);
    send_command_complete(s, tag);
    return true;
}

/* Simple query: runs one prepared statement to the end, streaming rows. */
static bool run_simple_prepared(session *s, duckdb_prepared_statement p, const char *keywords,
                                sql_txn_kind txn)
{
    duckdb_statement_type type = duckdb_prepared_statement_type(p);
    if (s->read_only && !read_only_allows(type)) {
        send_error(s, "25006", "cannot execute %s in a read-only transaction", keywords);
        return false;
    }
    if (duckdb_nparams(p) > 0) {
        send_error(s, "42P02", "there is no parameter $1");
        return false;
    }
    duckdb_result r;
    server_statement_begin(s->srv, s->peer->slot);
    bool stream = type == DUCKDB_STATEMENT_TYPE_SELECT;
    duckdb_state st =
        stream ? duckdb_execute_prepared_streaming(p, &r) : duckdb_execute_prepared(p, &r);
    if (st == DuckDBError) {
        bool timed_out = server_statement_end(s->srv, s->peer->slot);
        report_exec_error(s, &r, timed_out);
        duckdb_destroy_result(&r);
        return false;
    }
    char tag[64];
    bool ok = true;
    if (result_has_rows(type, &r)) {
        idx_t ncols = duckdb_column_count(&r);
        duckdb_logical_type *types = result_types(&r, ncols);
        send_row_description(s, &r, NULL, NULL);
        uint64_t rows = 0;
        for (;;) {
            duckdb_data_chunk c = duckdb_fetch_chunk(r);
            if (!c)
                break;
            idx_t n = duckdb_data_chunk_get_size(c);
            ok = send_rows(s, c, types, ncols, NULL, 0, n);
            duckdb_destroy_data_chunk(&c);
            rows += n;
            if (!ok)
                break;
        }
        free_types(types, ncols);
        bool timed_out = server_statement_end(s->srv, s->peer->slot);
        if (ok && duckdb_result_error(&r)) {
            report_exec_error(s, &r, timed_out);
            ok = false;
        }
        make_tag(type, keywords, true, rows, tag, sizeof(tag));
    } else {
        uint64_t count = is_count_result(type, &r) ? count_of(&r) : 0;
        server_statement_end(s->srv, s->peer->slot);
        make_tag(type, keywords, false, count, tag, sizeof(tag));
    }
    duckdb_destroy_result(&r);
    if (ok) {
        txn_after_success(s, txn);
        send_command_complete(s, tag);
    }
    return ok;
}

static bool cursor_statement(session *s, const char *sql, size_t len, const char *keywords,
                             bool *handled);
static bool first_word_is(const char *keywords, const char *word);

/* COPY ... FROM STDIN / TO STDOUT.  *handled is false for any other COPY
 * (to or from a file), which DuckDB runs. */
static bool copy_statement(session *s, const char *sql, size_t len, bool *handled)
{
    copy_spec spec;
    strbuf why = STRBUF_INIT;
    *handled = copy_parse(sql, len, &spec, &why);
    if (!*handled)
        return true;
    bool ok = false;
    if (why.len) {
        send_error(s, strncmp(why.buf, "not supported", 13) == 0 ? "0A000" : "42601", "%s",
                   strbuf_str(&why));
    } else if (s->read_only && spec.from_stdin) {
        send_error(s, "25006", "cannot execute COPY FROM in a read-only transaction");
    } else {
        copy_result r = {0};
        server_statement_begin(s->srv, s->peer->slot);
        if (spec.from_stdin)
            copy_in(&s->in, &s->out, s->raw, &spec, s->txn != 'I', &r);
        else
            copy_out(&s->out, s->raw, &spec, &r);
        bool timed_out = server_statement_end(s->srv, s->peer->slot);
        if (r.message.len) {
            if (strcmp(r.sqlstate, "57014") == 0 && timed_out)
                send_error(s, "57014", "canceling statement due to statement timeout");
            else
                send_error(s, r.sqlstate, "%s", strbuf_str(&r.message));
        } else {
            char tag[48];
            snprintf(tag, sizeof(tag), "COPY %llu", (unsigned long long)r.rows);
            send_command_complete(s, tag);
            ok = true;
        }
        if (r.connection_lost)
            s->closing = true;
        strbuf_release(&r.message);
    }
    copy_spec_release(&spec);
    strbuf_release(&why);
    return ok;
}

/* One statement of a simple query; false stops the rest of the string. */
static bool run_simple_statement(session *s, const char *sql, size_t len)
{
    char keywords[96];
    sqltext_keywords(sql, len, 6, keywords, sizeof(keywords));
    sql_txn_kind txn = sqltext_txn_kind(keywords);
    bool failed;
    if (handle_txn_rules(s, txn, keywords, &failed))
        return !failed;
    if (catalog_ignored_setting(sql, len)) {
        send_command_complete(s, "SET");
        return true;
    }
    bool handled;
    if (first_word_is(keywords, "COPY")) {
        bool copy_ok = copy_statement(s, sql, len, &handled);
        if (handled) {
            if (!copy_ok)
                txn_after_failure(s, SQL_TXN_NONE);
            return copy_ok;
        }
    }
    bool cursor_ok = cursor_statement(s, sql, len, keywords, &handled);
    if (handled) {
        if (!cursor_ok)
            txn_after_failure(s, SQL_TXN_NONE);
        return cursor_ok;
    }
    if (txn != SQL_TXN_NONE)
        return run_txn_statement(s, txn, keywords, NULL);
    char *text = sqltext_pg_rewrite(sql, len, catalog_shadowed_relations);
    if (!text)
        text = xstrndup(sql, len);
    duckdb_extracted_statements ex = NULL;
    idx_t n = duckdb_extract_statements(s->raw, text, &ex);
    bool ok = true;
    if (n == 0) {
        const char *msg = duckdb_extract_statements_error(ex);
        send_extract_error(s, msg);
        ok = false;
    }
    for (idx_t i = 0; ok && i < n; i++) {
        duckdb_prepared_statement p = NULL;
        if (duckdb_prepare_extracted_statement(s->raw, ex, i, &p) == DuckDBError) {
            const char *msg = duckdb_prepare_error(p);
            send_duckdb_error(s, pg_error_type_from_message(msg), msg);
            ok = false;
        } else {
            ok = run_simple_prepared(s, p, keywords, n == 1 ? txn : SQL_TXN_NONE);
        }
        duckdb_destroy_prepare(&p);
    }
    duckdb_destroy_extracted(&ex);
    free(text);
    if (!ok)
        txn_after_failure(s, txn);
    return ok;
}

/* Installs the catalog shims before the first query that may use them;
 * false (with an ErrorResponse sent) if that fails. */
static bool ensure_catalog(session *s, const char *sql)
{
    if (s->catalog_ready || !catalog_may_need(sql))
        return true;
    strbuf why = STRBUF_INIT;
    s->catalog_ready = catalog_install(s->raw, s->user, &why);
    if (!s->catalog_ready) {
        log_warn("serve: %s", strbuf_str(&why));
        send_error(s, "XX000", "%s", strbuf_str(&why));
    }
    strbuf_release(&why);
    return s->catalog_ready;
}

/* The non-blank statements in a Query string. */
static size_t count_statements(const char *q, size_t len)
{
    size_t count = 0;
    for (size_t pos = 0; pos < len;) {
        size_t n = sqltext_statement_len(q + pos, len - pos);
        if (n == 0)
            break;
        if (!sqltext_is_blank(q + pos, n))
            count++;
        pos += n;
    }
    return count;
}

static bool begin_implicit(session *s)
{
    db_error e = {0};
    if (!db_exec(s->conn, "BEGIN TRANSACTION", NULL, &e)) {
        send_error(s, pg_sqlstate((duckdb_error_type)e.duckdb_type, e.message), "%s", e.message);
        db_error_release(&e);
        return false;
    }
    s->txn = 'T';
    s->implicit_txn = true;
    return true;
}

/* Ends the implicit block at the end of the Query: COMMIT if every
 * statement succeeded, else ROLLBACK (the earlier statements of the string
 * are undone, as in PostgreSQL). */
static void end_implicit(session *s, bool ok)
{
    if (!s->implicit_txn)
        return;
    s->implicit_txn = false;
    db_error e = {0};
    if (ok && !db_exec(s->conn, "COMMIT", NULL, &e)) {
        send_error(s, pg_sqlstate((duckdb_error_type)e.duckdb_type, e.message), "%s", e.message);
        db_error_release(&e);
        ok = false;
    }
    if (!ok) {
        db_exec(s->conn, "ROLLBACK", NULL, &e);
        db_error_release(&e);
    }
    s->txn = 'I';
    close_txn_cursors(s);
}

static void simple_query(session *s, pg_msg *m)
{
    const char *q = pg_get_cstr(m);
    if (!q || pg_remaining(m) != 0) {
        send_fatal(s, "08P01", "invalid Query message");
        return;
    }
    size_t len = strlen(q);
    if (sqltext_is_blank(q, len)) {
        send_simple(s, 'I');
    } else if (ensure_catalog(s, q)) {
        size_t remaining = count_statements(q, len);
        size_t pos = 0;
        bool ok = true;
        while (pos < len && !s->out.failed) {
            size_t n = sqltext_statement_len(q + pos, len - pos);
            if (sqltext_is_blank(q + pos, n)) {
                pos += n;
                continue;
            }
            /* PostgreSQL runs the statements of one Query string as one
             * transaction unless the client manages its own: open it
             * before the next statement if more than one is left. */
            if (remaining > 1 && s->txn == 'I' && !begin_implicit(s)) {
                ok = false;
                break;
            }
            remaining--;
            if (!run_simple_statement(s, q + pos, n)) {
                ok = false;
                break;
            }
            pos += n;
        }
        end_implicit(s, ok && !s->out.failed);
    }
    s->skip_until_sync = false;
    send_ready(s);
}

/* --- extended protocol -------------------------------------------------------------------- */

static stmt *find_stmt(session *s, const char *name)
{
    for (stmt *st = s->stmts; st; st = st->next) {
        if (strcmp(st->name, name) == 0)
            return st;
    }
    return NULL;
}

static portal *find_portal(session *s, const char *name)
{
    for (portal *p = s->portals; p; p = p->next) {
        if (strcmp(p->name, name) == 0)
            return p;
    }
    return NULL;
}

static void portal_free(portal *p)
{
    if (p->chunk)
        duckdb_destroy_data_chunk(&p->chunk);
    if (p->has_result)
        duckdb_destroy_result(&p->result);
    for (idx_t i = 0; p->params && i < p->st->nparams; i++)
        duckdb_destroy_value(&p->params[i]);
    free(p->params);
    free(p->formats);
    free(p->result_formats);
    free(p->name);
    free(p);
}

static void close_portal(session *s, const char *name)
{
    for (portal **pp = &s->portals; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->name, name) == 0) {
            portal *p = *pp;
            *pp = p->next;
            portal_free(p);
            s->n_portals--;
            return;
        }
    }
}

static void close_all_portals(session *s)
{
    while (s->portals) {
        portal *p = s->portals;
        s->portals = p->next;
        portal_free(p);
    }
    s->n_portals = 0;
}

static void close_stmt(session *s, const char *name)
{
    for (stmt **pp = &s->stmts; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->name, name) == 0) {
            stmt *st = *pp;
            /* Closing a statement closes the portals made from it. */
            for (portal **q = &s->portals; *q;) {
                if ((*q)->st == st) {
                    portal *p = *q;
                    *q = p->next;
                    portal_free(p);
                    s->n_portals--;
                } else {
                    q = &(*q)->next;
                }
            }
            *pp = st->next;
            if (st->prep)
                duckdb_destroy_prepare(&st->prep);
            free(st->param_oids);
            free(st->name);
            free(st);
            s->n_stmts--;
            return;
        }
    }
}

static int32_t duckdb_type_oid(duckdb_type t)
{
    switch (t) {
    case DUCKDB_TYPE_INVALID:
    case DUCKDB_TYPE_ANY:
    case DUCKDB_TYPE_VARCHAR:
        return PG_OID_TEXT;
    default: {
        duckdb_logical_type lt = duckdb_create_logical_type(t);
        int32_t oid = pgtype_oid(lt);
        duckdb_destroy_logical_type(&lt);
        return oid;
    }
    }
}

static void parse_message(session *s, pg_msg *m)
{
    const char *name = pg_get_cstr(m);
    const char *query = pg_get_cstr(m);
    int16_t ntypes = pg_get_i16(m);
    if (m->bad || ntypes < 0 || (size_t)ntypes * 4 != pg_remaining(m)) {
        send_fatal(s, "08P01", "invalid Parse message");
        return;
    }
    if (*name && find_stmt(s, name)) {
        send_error(s, "42P05", "prepared statement \"%s\" already exists", name);
        s->skip_until_sync = true;
        return;
    }
    if (s->n_stmts >= MAX_STATEMENTS) {
        send_error(s, "54000", "too many prepared statements (the limit is %d)", MAX_STATEMENTS);
        s->skip_until_sync = true;
        return;
    }
    if (!ensure_catalog(s, query)) {
        s->skip_until_sync = true;
        return;
    }
    if (!*name)
        close_stmt(s, "");
    stmt *st = xcalloc(1, sizeof(*st));
    st->name = xstrdup(name);
    size_t len = strlen(query);
    sqltext_keywords(query, len, 6, st->keywords, sizeof(st->keywords));
    st->txn = sqltext_txn_kind(st->keywords);
    st->empty = sqltext_is_blank(query, len);
    st->ignored = !st->empty && catalog_ignored_setting(query, len);
    bool ok = true;
    if (!st->empty && !st->ignored && st->txn == SQL_TXN_NONE && s->txn == 'E') {
        send_error(s, "25P02",
                   "current transaction is aborted, commands ignored until end of transaction "
                   "block");
        ok = false;
    } else if (!st->empty && !st->ignored && st->txn == SQL_TXN_NONE) {
        duckdb_extracted_statements ex = NULL;
        char *rewritten = sqltext_pg_rewrite(query, len, catalog_shadowed_relations);
        idx_t n = duckdb_extract_statements(s->raw, rewritten ? rewritten : query, &ex);
        free(rewritten);
        if (n == 0) {
            const char *msg = duckdb_extract_statements_error(ex);
            send_extract_error(s, msg);
            ok = false;
        } else if (n > 1) {
            send_error(s, "42601", "cannot insert multiple commands into a prepared statement");
            ok = false;
        } else if (duckdb_prepare_extracted_statement(s->raw, ex, 0, &st->prep) == DuckDBError) {
            const char *msg = duckdb_prepare_error(st->prep);
            send_duckdb_error(s, pg_error_type_from_message(msg), msg);
            ok = false;
        }
        duckdb_destroy_extracted(&ex);
        if (ok) {
            st->type = duckdb_prepared_statement_type(st->prep);
            st->nparams = duckdb_nparams(st->prep);
        }
    }
    if (ok && (idx_t)ntypes > st->nparams && !st->empty) {
        /* The client may declare more parameters than the text uses; PostgreSQL
         * allows that only when the text references them, so do we. */
        send_error(s, "08P01", "Parse declared %d parameter types for a statement with %llu",
                   ntypes, (unsigned long long)st->nparams);
        ok = false;
    }
    if (!ok) {
        if (st->prep)
            duckdb_destroy_prepare(&st->prep);
        free(st->name);
        free(st);
        statement_failed(s);
        return;
    }
    st->param_oids = xcalloc(st->nparams ? st->nparams : 1, sizeof(int32_t));
    for (idx_t i = 0; i < st->nparams; i++) {
        int32_t given = (idx_t)ntypes > i ? pg_get_i32(m) : 0;
        duckdb_type t = duckdb_param_type(st->prep, i + 1);
        st->param_oids[i] = given ? given : duckdb_type_oid(t);
        if (t == DUCKDB_TYPE_INVALID)
            st->shape_unknown = true;
    }
    st->next = s->stmts;
    s->stmts = st;
    s->n_stmts++;
    send_simple(s, '1');
}

/* A text parameter of an integer, floating-point or boolean type, read
 * here into a value of exactly the type DuckDB inferred: a VARCHAR value
 * makes DuckDB re-plan the statement on every execution (it rebinds when
 * a parameter's type changes), which costs point lookups most of their
 * time.  NULL for other types, or text that does not read cleanly (DuckDB
 * then casts, and reports bad input in its own words). */
static duckdb_value typed_text_param(duckdb_type t, const char *p, size_t n)
{
    char buf[64];
    if (n == 0 || n >= sizeof(buf))
        return NULL;
    memcpy(buf, p, n);
    buf[n] = 0;
    char *end;
    errno = 0;
    switch (t) {
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT: {
        long long v = strtoll(buf, &end, 10);
        if (errno || *end || end == buf)
            return NULL;
        if (t == DUCKDB_TYPE_BIGINT)
            return duckdb_create_int64(v);
        if (t == DUCKDB_TYPE_INTEGER)
            return v >= INT32_MIN && v <= INT32_MAX ? duckdb_create_int32((int32_t)v) : NULL;
        if (t == DUCKDB_TYPE_SMALLINT)
            return v >= INT16_MIN && v <= INT16_MAX ? duckdb_create_int16((int16_t)v) : NULL;
        return v >= INT8_MIN && v <= INT8_MAX ? duckdb_create_int8((int8_t)v) : NULL;
    }
    case DUCKDB_TYPE_DOUBLE: {
        double v = strtod(buf, &end);
        return errno || *end || end == buf ? NULL : duckdb_create_double(v);
    }
    case DUCKDB_TYPE_BOOLEAN:
        if (strcmp(buf, "t") == 0 || strcmp(buf, "true") == 0)
            return duckdb_create_bool(true);
        if (strcmp(buf, "f") == 0 || strcmp(buf, "false") == 0)
            return duckdb_create_bool(false);
        return NULL;
    default:
        return NULL;
    }
}

/* A text parameter: DuckDB casts VARCHAR to the parameter's type when it
 * binds, the way PostgreSQL's input functions read text -- except arrays,
 * whose PostgreSQL text form ('{...}') DuckDB's cast does not read. */
static duckdb_value text_param(duckdb_prepared_statement prep, idx_t index, const char *p, size_t n,
                               strbuf *why)
{
    duckdb_type t = prep ? duckdb_param_type(prep, index + 1) : DUCKDB_TYPE_INVALID;
    if ((t == DUCKDB_TYPE_LIST || t == DUCKDB_TYPE_ARRAY) && pgarray_is_literal(p, n))
        return pgarray_parse(p, n, why);
    duckdb_value typed = typed_text_param(t, p, n);
    return typed ? typed : duckdb_create_varchar_length(p, n);
}

/* Sets a portal's per-column result formats from its Bind's codes, for
 * the columns of r (or, without r, of the prepared statement); false, with
 * an error sent, if they do not fit the columns. */
static bool portal_formats(session *s, portal *p, duckdb_result *r)
{
    int16_t nres = p->n_result_formats;
    if (nres > 1 && (idx_t)nres != p->ncols) {
        send_error(s, "08P01", "bind message has %d result formats but query has %llu columns",
                   nres, (unsigned long long)p->ncols);
        return false;
    }
    for (idx_t c = 0; c < p->ncols; c++) {
        p->formats[c] = nres == 0 ? 0 : nres == 1 ? p->result_formats[0] : p->result_formats[c];
        if (p->formats[c] != 1)
            continue;
        duckdb_logical_type t = r ? duckdb_column_logical_type(r, c)
                                  : duckdb_prepared_statement_column_logical_type(p->st->prep, c);
        bool supported = pgtype_binary_supported(t);
        if (!supported)
            send_error(s, "0A000", "not supported yet: binary format for column %llu (%s)",
                       (unsigned long long)c + 1, pgtype_name(pgtype_oid(t)));
        duckdb_destroy_logical_type(&t);
        if (!supported)
            return false;
    }
    return true;
}

/* After the statement ran: a portal of unknown shape takes its columns
 * from the result.  Any other portal must get the columns its Bind (and a
 * Describe) announced -- DuckDB plans again when the catalog changed, and
 * PostgreSQL refuses a changed result type the same way.  False, with an
 * error sent, otherwise. */
static bool portal_take_shape(session *s, portal *p)
{
    if (!p->st->shape_unknown) {
        if (!p->returns_rows || duckdb_column_count(&p->result) == p->ncols)
            return true;
        send_error(s, "0A000", "cached plan must not change result type");
        return false;
    }
    p->returns_rows = result_has_rows(p->st->type, &p->result);
    p->ncols = p->returns_rows ? duckdb_column_count(&p->result) : 0;
    free(p->formats);
    p->formats = xcalloc(p->ncols + 1, sizeof(int16_t));
    return portal_formats(s, p, &p->result);
}

static void bind_message(session *s, pg_msg *m)
{
    const char *pname = pg_get_cstr(m);
    const char *sname = pg_get_cstr(m);
    int16_t nfmt = pg_get_i16(m);
    if (m->bad || nfmt < 0) {
        send_fatal(s, "08P01", "invalid Bind message");
        return;
    }
    stmt *st = sname ? find_stmt(s, sname) : NULL;
    if (!st) {
        send_error(s, "26000", "prepared statement \"%s\" does not exist", sname);
        statement_failed(s);
        return;
    }
    int16_t *pfmt = xcalloc((size_t)nfmt + 1, sizeof(int16_t));
    for (int i = 0; i < nfmt; i++)
        pfmt[i] = pg_get_i16(m);
    int16_t nparams = pg_get_i16(m);
    portal *p = xcalloc(1, sizeof(*p));
    p->st = st;
    p->name = xstrdup(pname);
    p->params = xcalloc(st->nparams + 1, sizeof(duckdb_value));
    bool ok = !m->bad;
    if (ok && (nparams < 0 || (idx_t)nparams != st->nparams)) {
        send_error(s, "08P01",
                   "bind message supplies %d parameters, but prepared statement \"%s\" requires "
                   "%llu",
                   nparams, sname, (unsigned long long)st->nparams);
        ok = false;
    }
    if (ok && nfmt > 1 && nfmt != nparams) {
        send_error(s, "08P01", "bind message has %d parameter formats but %d parameters", nfmt,
                   nparams);
        ok = false;
    }
    strbuf why = STRBUF_INIT;
    for (int i = 0; ok && i < nparams; i++) {
        int32_t len = pg_get_i32(m);
        int16_t fmt = nfmt == 0 ? 0 : nfmt == 1 ? pfmt[0] : pfmt[i];
        if (m->bad || len < -1) {
            ok = false;
            break;
        }
        if (len == -1) {
            p->params[i] = duckdb_create_null_value();
            continue;
        }
        const unsigned char *data = pg_get_bytes(m, (size_t)len);
        if (!data) {
            ok = false;
            break;
        }
        p->params[i] = fmt == 1
                           ? pgtype_binary_param(st->param_oids[i], data, (size_t)len, &why)
                           : text_param(st->prep, (idx_t)i, (const char *)data, (size_t)len, &why);
        if (!p->params[i]) {
            send_error(s, fmt == 1 ? "22P03" : "22P02", "parameter $%d: %s", i + 1,
                       strbuf_str(&why));
            ok = false;
        }
    }
    strbuf_release(&why);
    free(pfmt);
    int16_t nres = ok ? pg_get_i16(m) : 0;
    if (ok && (m->bad || nres < 0)) {
        portal_free(p);
        send_fatal(s, "08P01", "invalid Bind message");
        return;
    }
    p->n_result_formats = ok ? nres : 0;
    p->result_formats = xcalloc((size_t)(nres > 0 ? nres : 1), sizeof(int16_t));
    for (int i = 0; ok && i < nres; i++) {
        p->result_formats[i] = pg_get_i16(m);
        if (p->result_formats[i] != 0 && p->result_formats[i] != 1) {
            send_error(s, "08P01", "unknown result format code %d", p->result_formats[i]);
            ok = false;
        }
    }
    if (ok && m->bad) {
        portal_free(p);
        send_fatal(s, "08P01", "invalid Bind message");
        return;
    }
    /* A statement of unknown shape gets its columns, and has its result
     * formats checked against them, when it runs (portal_take_shape). */
    bool rows = ok && st->prep && !st->shape_unknown && prepared_has_rows(st->prep, st->type);
    p->returns_rows = rows;
    p->ncols = rows ? duckdb_prepared_statement_column_count(st->prep) : 0;
    p->formats = xcalloc(p->ncols + 1, sizeof(int16_t));
    if (ok && rows)
        ok = portal_formats(s, p, NULL);
    if (ok && *pname && find_portal(s, pname)) {
        send_error(s, "42P03", "portal \"%s\" already exists", pname);
        ok = false;
    }
    if (ok && s->n_portals >= MAX_PORTALS) {
        send_error(s, "54000", "too many portals (the limit is %d)", MAX_PORTALS);
        ok = false;
    }
    if (!ok) {
        portal_free(p);
        statement_failed(s);
        return;
    }
    if (!*pname)
        close_portal(s, "");
    p->next = s->portals;
    s->portals = p;
    s->n_portals++;
    send_simple(s, '2');
}

static bool start_portal(session *s, portal *p, bool send_tag);

static void describe_message(session *s, pg_msg *m)
{
    uint8_t what = pg_get_u8(m);
    const char *name = pg_get_cstr(m);
    if (m->bad || (what != 'S' && what != 'P')) {
        send_fatal(s, "08P01", "invalid Describe message");
        return;
    }
    if (what == 'S') {
        stmt *st = find_stmt(s, name);
        if (!st) {
            send_error(s, "26000", "prepared statement \"%s\" does not exist", name);
            statement_failed(s);
            return;
        }
        pg_begin(&s->out, 't');
        pg_put_i16(&s->out, (int16_t)st->nparams);
        for (idx_t i = 0; i < st->nparams; i++)
            pg_put_i32(&s->out, st->param_oids[i]);
        pg_end(&s->out);
        if (st->prep && prepared_has_rows(st->prep, st->type))
            send_row_description(s, NULL, st->prep, NULL);
        else
            send_simple(s, 'n');
        return;
    }
    portal *p = find_portal(s, name);
    if (!p) {
        send_error(s, "34000", "portal \"%s\" does not exist", name);
        statement_failed(s);
        return;
    }
    if (p->st->shape_unknown && !p->started) {
        /* Its columns are known only once it runs: run it now, as clients
         * Describe a portal right before they Execute it. */
        bool rows = start_portal(s, p, false);
        if (!rows && s->skip_until_sync)
            return; /* it failed; the error went out */
    }
    if (p->returns_rows)
        send_row_description(s, p->st->shape_unknown ? &p->result : NULL, p->st->prep, p->formats);
    else
        send_simple(s, 'n');
}

/* First Execute of a portal (or a Describe of one whose shape is known
 * only then): binds its parameters and runs the statement.  True when it
 * has rows to send; a statement without rows finishes here, and its
 * CommandComplete goes out now only if send_tag (else at Execute). */
static bool start_portal(session *s, portal *p, bool send_tag)
{
    stmt *st = p->st;
    p->started = true;
    bool failed;
    if (handle_txn_rules(s, st->txn, st->keywords, &failed)) {
        p->finished = true;
        return false; /* answered already (or refused) */
    }
    if (st->ignored) {
        snprintf(p->tag, sizeof(p->tag), "SET");
        p->finished = true;
        send_command_complete(s, p->tag);
        return false;
    }
    if (!st->prep) {
        /* BEGIN/COMMIT/ROLLBACK are not prepared (DuckDB's transaction state
         * lives on the connection): run them directly. */
        if (!run_txn_statement(s, st->txn, st->keywords, p->tag))
            statement_failed(s);
        p->finished = true;
        return false;
    }
    if (s->read_only && !read_only_allows(st->type)) {
        send_error(s, "25006", "cannot execute %s in a read-only transaction", st->keywords);
        statement_failed(s);
        p->finished = true;
        return false;
    }
    duckdb_clear_bindings(st->prep);
    for (idx_t i = 0; i < st->nparams; i++) {
        if (duckdb_bind_value(st->prep, i + 1, p->params[i]) == DuckDBError) {
            send_error(s, "22P02", "could not bind parameter $%llu", (unsigned long long)i + 1);
            statement_failed(s);
            p->finished = true;
            return false;
        }
    }
    server_statement_begin(s->srv, s->peer->slot);
    duckdb_state state = duckdb_execute_prepared(st->prep, &p->result);
    bool timed_out = server_statement_end(s->srv, s->peer->slot);
    p->has_result = true;
    if (state == DuckDBError) {
        report_exec_error(s, &p->result, timed_out);
        txn_after_failure(s, st->txn);
        statement_failed(s);
        p->finished = true;
        return false;
    }
    txn_after_success(s, st->txn);
    if (!portal_take_shape(s, p)) {
        statement_failed(s);
        p->finished = true;
        return false;
    }
    if (!p->returns_rows) {
        uint64_t count = is_count_result(st->type, &p->result) ? count_of(&p->result) : 0;
        make_tag(st->type, st->keywords, false, count, p->tag, sizeof(p->tag));
        p->finished = true;
        if (send_tag)
            send_command_complete(s, p->tag);
        return false;
    }
    return true;
}

/* Sends (or, for MOVE, skips) up to limit rows of a portal's result.  Sets
 * *sent; false (with an error sent) if a value could not be sent.  Leaves
 * p->chunk non-NULL only when more rows remain. */
static bool portal_pump(session *s, portal *p, uint64_t limit, bool send, uint64_t *sent_out)
{
    idx_t ncols = duckdb_column_count(&p->result);
    duckdb_logical_type *types = send ? result_types(&p->result, ncols) : NULL;
    uint64_t sent = 0;
    bool ok = true;
    while (sent < limit) {
        if (!p->chunk) {
            p->chunk = duckdb_fetch_chunk(p->result);
            p->chunk_row = 0;
            if (!p->chunk)
                break;
        }
        idx_t size = duckdb_data_chunk_get_size(p->chunk);
        idx_t take = size - p->chunk_row;
        if (take > limit - sent)
            take = (idx_t)(limit - sent);
        if (send)
            ok =
                send_rows(s, p->chunk, types, ncols, p->formats, p->chunk_row, p->chunk_row + take);
        p->chunk_row += take;
        sent += take;
        if (p->chunk_row >= size)
            duckdb_destroy_data_chunk(&p->chunk);
        if (!ok)
            break;
    }
    if (types)
        free_types(types, ncols);
    p->rows += sent;
    /* More rows may remain only if we stopped at the limit. */
    if (ok && sent == limit && !p->chunk) {
        p->chunk = duckdb_fetch_chunk(p->result);
        p->chunk_row = 0;
    }
    *sent_out = sent;
    return ok;
}

static void execute_message(session *s, pg_msg *m)
{
    const char *name = pg_get_cstr(m);
    int32_t max_rows = pg_get_i32(m);
    if (m->bad) {
        send_fatal(s, "08P01", "invalid Execute message");
        return;
    }
    portal *p = find_portal(s, name);
    if (!p) {
        send_error(s, "34000", "portal \"%s\" does not exist", name);
        statement_failed(s);
        return;
    }
    if (p->st->empty) {
        send_simple(s, 'I');
        return;
    }
    if (p->finished) {
        if (p->tag[0])
            send_command_complete(s, p->tag);
        return;
    }
    if (!p->started && !start_portal(s, p, true))
        return;
    uint64_t limit = max_rows > 0 ? (uint64_t)max_rows : UINT64_MAX;
    uint64_t sent = 0;
    if (!portal_pump(s, p, limit, true, &sent)) {
        statement_failed(s);
        p->finished = true;
        return;
    }
    if (sent == limit && p->chunk) {
        send_simple(s, 's');
        return;
    }
    make_tag(p->st->type, p->st->keywords, true, p->rows, p->tag, sizeof(p->tag));
    p->finished = true;
    send_command_complete(s, p->tag);
}

static void close_message(session *s, pg_msg *m)
{
    uint8_t what = pg_get_u8(m);
    const char *name = pg_get_cstr(m);
    if (m->bad || (what != 'S' && what != 'P')) {
        send_fatal(s, "08P01", "invalid Close message");
        return;
    }
    if (what == 'S')
        close_stmt(s, name);
    else
        close_portal(s, name);
    send_simple(s, '3');
}

/* --- cursors: DECLARE, FETCH, MOVE, CLOSE ------------------------------------------------ */

static portal *find_cursor(session *s, const char *name)
{
    for (portal *p = s->cursors; p; p = p->next) {
        if (strcmp(p->name, name) == 0)
            return p;
    }
    return NULL;
}

static void close_cursor(session *s, const char *name)
{
    for (portal **pp = &s->cursors; *pp; pp = &(*pp)->next) {
        if (!name || strcmp((*pp)->name, name) == 0) {
            portal *p = *pp;
            *pp = p->next;
            portal_free(p);
            s->n_cursors--;
            if (name)
                return;
            pp = &s->cursors;
            if (!*pp)
                return;
        }
    }
}

/* Cursors without HOLD end with their transaction. */
static void close_txn_cursors(session *s)
{
    for (portal **pp = &s->cursors; *pp;) {
        if (!(*pp)->hold) {
            portal *p = *pp;
            *pp = p->next;
            portal_free(p);
            s->n_cursors--;
        } else {
            pp = &(*pp)->next;
        }
    }
}

static bool declare_cursor(session *s, const char *sql, size_t len)
{
    char name[128];
    bool hold;
    size_t at;
    if (!sqltext_parse_declare(sql, len, name, sizeof(name), &hold, &at)) {
        send_error(s, "42601", "syntax error in DECLARE: expected DECLARE name CURSOR FOR query");
        return false;
    }
    if (!hold && s->txn != 'T') {
        send_error(s, "25P01", "DECLARE CURSOR can only be used in transaction blocks");
        return false;
    }
    if (find_cursor(s, name)) {
        send_error(s, "42P03", "cursor \"%s\" already exists", name);
        return false;
    }
    if (s->n_cursors >= MAX_PORTALS) {
        send_error(s, "54000", "too many cursors (the limit is %d)", MAX_PORTALS);
        return false;
    }
    char *text = sqltext_pg_rewrite(sql + at, len - at, catalog_shadowed_relations);
    if (!text)
        text = xstrndup(sql + at, len - at);
    duckdb_extracted_statements ex = NULL;
    duckdb_prepared_statement prep = NULL;
    idx_t n = duckdb_extract_statements(s->raw, text, &ex);
    free(text);
    bool ok = false;
    if (n != 1) {
        send_extract_error(s, n == 0 ? duckdb_extract_statements_error(ex)
                                     : "a cursor's query must be one statement");
    } else if (duckdb_prepare_extracted_statement(s->raw, ex, 0, &prep) == DuckDBError) {
        const char *msg = duckdb_prepare_error(prep);
        send_duckdb_error(s, pg_error_type_from_message(msg), msg);
    } else if (s->read_only && !read_only_allows(duckdb_prepared_statement_type(prep))) {
        send_error(s, "25006", "cannot execute a writing cursor in a read-only transaction");
    } else {
        portal *p = xcalloc(1, sizeof(*p));
        p->name = xstrdup(name);
        p->hold = hold;
        p->started = true;
        server_statement_begin(s->srv, s->peer->slot);
        duckdb_state st = duckdb_execute_prepared(prep, &p->result);
        bool timed_out = server_statement_end(s->srv, s->peer->slot);
        p->has_result = true;
        if (st == DuckDBError) {
            report_exec_error(s, &p->result, timed_out);
            portal_free(p);
        } else {
            p->next = s->cursors;
            s->cursors = p;
            s->n_cursors++;
            send_command_complete(s, "DECLARE CURSOR");
            ok = true;
        }
    }
    if (prep)
        duckdb_destroy_prepare(&prep);
    duckdb_destroy_extracted(&ex);
    return ok;
}

/* FETCH|MOVE [NEXT | ALL | n | FORWARD [n | ALL]] [FROM | IN] name */
static bool fetch_cursor(session *s, const char *sql, size_t len, bool move)
{
    size_t pos = 0;
    char w[128], name[128] = "";
    uint64_t count = 1;
    sqltext_next_word(sql, len, &pos, w, sizeof(w));
    bool ok = true;
    while (ok && sqltext_next_word(sql, len, &pos, w, sizeof(w))) {
        if (strcmp(w, "next") == 0 || strcmp(w, "forward") == 0) {
            count = 1;
        } else if (strcmp(w, "all") == 0) {
            count = UINT64_MAX;
        } else if (w[0] >= '0' && w[0] <= '9') {
            count = strtoull(w, NULL, 10);
        } else if (strcmp(w, "from") == 0 || strcmp(w, "in") == 0) {
            continue;
        } else if (strcmp(w, "prior") == 0 || strcmp(w, "backward") == 0 ||
                   strcmp(w, "first") == 0 || strcmp(w, "last") == 0 ||
                   strcmp(w, "absolute") == 0 || strcmp(w, "relative") == 0 ||
                   strcmp(w, "-") == 0) {
            send_error(s, "0A000", "not supported yet: scrolling a cursor backwards (%s)", w);
            return false;
        } else {
            snprintf(name, sizeof(name), "%s", w);
        }
    }
    portal *p = find_cursor(s, name);
    if (!p) {
        send_error(s, "34000", "cursor \"%s\" does not exist", name);
        return false;
    }
    if (!move)
        send_row_description(s, &p->result, NULL, NULL);
    uint64_t sent = 0;
    if (count > 0 && !portal_pump(s, p, count, !move, &sent))
        return false;
    char tag[48];
    snprintf(tag, sizeof(tag), "%s %llu", move ? "MOVE" : "FETCH", (unsigned long long)sent);
    send_command_complete(s, tag);
    return true;
}

static bool first_word_is(const char *keywords, const char *word)
{
    size_t n = strlen(word);
    return strncmp(keywords, word, n) == 0 && (keywords[n] == 0 || keywords[n] == ' ');
}

/* Handles cursor statements; *handled says whether this was one. */
static bool cursor_statement(session *s, const char *sql, size_t len, const char *keywords,
                             bool *handled)
{
    *handled = true;
    if (first_word_is(keywords, "DECLARE"))
        return declare_cursor(s, sql, len);
    if (first_word_is(keywords, "FETCH"))
        return fetch_cursor(s, sql, len, false);
    if (first_word_is(keywords, "MOVE"))
        return fetch_cursor(s, sql, len, true);
    if (first_word_is(keywords, "CLOSE")) {
        size_t pos = 0;
        char w[128];
        sqltext_next_word(sql, len, &pos, w, sizeof(w));
        if (!sqltext_next_word(sql, len, &pos, w, sizeof(w))) {
            send_error(s, "42601", "CLOSE needs a cursor name or ALL");
            return false;
        }
        if (strcmp(w, "all") == 0) {
            close_cursor(s, NULL);
        } else if (find_cursor(s, w)) {
            close_cursor(s, w);
        } else {
            send_error(s, "34000", "cursor \"%s\" does not exist", w);
            return false;
        }
        send_command_complete(s, "CLOSE CURSOR");
        return true;
    }
    *handled = false;
    return true;
}

/* --- start-up and authentication
 * ------------------------------------------------------------------- */

static bool read_auth_response(session *s, pg_msg *m)
{
    pg_read_status st = pg_read_message(&s->in, false, m);
    if (st == PG_READ_PROTOCOL) {
        log_warn("serve: %s: protocol error during authentication: %s", s->peer->addr, s->in.error);
        send_fatal(s, "08P01", s->in.error);
        return false;
    }
    if (st != PG_READ_OK) {
        s->closing = true;
        return false;
    }
    if (m->type != 'p') {
        send_fatal(s, "08P01", "expected a password message during authentication");
        return false;
    }
    return true;
}

static void send_auth(session *s, int32_t code, const void *data, size_t n)
{
    pg_begin(&s->out, 'R');
    pg_put_i32(&s->out, code);
    if (n)
        pg_put_bytes(&s->out, data, n);
    pg_end(&s->out);
    pg_flush(&s->out);
}

static bool auth_failed(session *s, const char *user)
{
    char msg[200];
    snprintf(msg, sizeof(msg), "password authentication failed for user \"%s\"", user);
    log_warn("serve: %s from %s", msg, s->peer->addr);
    send_fatal(s, "28P01", msg);
    return false;
}

static bool authenticate(session *s)
{
    const auth_config *a = s->opts->auth;
    if (s->peer->unix_socket && s->peer->same_uid && a && a->trust_local) {
        send_auth(s, 0, NULL, 0);
        return true;
    }
    if (!a || a->n_users == 0) {
        send_fatal(s, "28000",
                   s->peer->unix_socket
                       ? "no users are configured (start the server with --auth-file) and this "
                         "peer is not trusted"
                       : "no users are configured: start the server with --auth-file, or "
                         "connect through the Unix socket with --trust-local");
        return false;
    }
    const auth_user *u = auth_find(a, s->user);
    if (u)
        s->read_only = u->read_only;
    pg_msg m;
    if (a->method == AUTH_PASSWORD) {
        send_auth(s, 3, NULL, 0);
        if (!read_auth_response(s, &m))
            return false;
        const char *pw = pg_get_cstr(&m);
        if (!pw || !u || !auth_check_password(u, pw))
            return auth_failed(s, s->user);
    } else if (a->method == AUTH_MD5) {
        unsigned char salt[4];
        RAND_bytes(salt, 4);
        send_auth(s, 5, salt, 4);
        if (!read_auth_response(s, &m))
            return false;
        const char *pw = pg_get_cstr(&m);
        if (!pw || !u || !auth_check_md5(u, salt, pw))
            return auth_failed(s, s->user);
    } else {
        static const char mech[] = "SCRAM-SHA-256\0";
        send_auth(s, 10, mech, sizeof(mech));
        if (!read_auth_response(s, &m))
            return false;
        const char *mechanism = pg_get_cstr(&m);
        int32_t len = pg_get_i32(&m);
        if (m.bad || !mechanism || strcmp(mechanism, "SCRAM-SHA-256") != 0 || len < 0 ||
            (size_t)len != pg_remaining(&m)) {
            send_fatal(s, "08P01", "expected a SCRAM-SHA-256 SASLInitialResponse");
            return false;
        }
        scram_exchange x = {0};
        strbuf reply = STRBUF_INIT, why = STRBUF_INIT;
        bool ok = scram_first(&x, u, (const char *)pg_get_bytes(&m, (size_t)len), (size_t)len,
                              &reply, &why);
        if (ok) {
            send_auth(s, 11, reply.buf, reply.len);
            strbuf_reset(&reply);
            ok = read_auth_response(s, &m);
            if (ok) {
                size_t n = pg_remaining(&m);
                ok = scram_final(&x, (const char *)pg_get_bytes(&m, n), n, &reply, &why);
                if (ok)
                    send_auth(s, 12, reply.buf, reply.len);
            }
        }
        if (!ok && !s->closing) {
            if (why.len)
                log_debug("serve: SCRAM for \"%s\": %s", s->user, strbuf_str(&why));
            auth_failed(s, s->user);
        }
        scram_release(&x);
        strbuf_release(&reply);
        strbuf_release(&why);
        if (!ok)
            return false;
    }
    send_auth(s, 0, NULL, 0);
    return true;
}

static long tls_read(void *ctx, void *buf, size_t len)
{
    int n = SSL_read(ctx, buf, len > INT32_MAX ? INT32_MAX : (int)len);
    if (n > 0)
        return n;
    int e = SSL_get_error(ctx, n);
    return e == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

static bool tls_pending(void *ctx)
{
    return SSL_pending(ctx) > 0;
}

static long tls_write(void *ctx, const void *buf, size_t len)
{
    int n = SSL_write(ctx, buf, len > INT32_MAX ? INT32_MAX : (int)len);
    return n > 0 ? n : -1;
}

/* Answers an SSLRequest: 'S' and a TLS handshake when the server has a
 * certificate, else 'N' (the client then goes on in the clear or leaves). */
static bool start_tls(session *s)
{
    SSL_CTX *ctx = server_tls_context(s->srv);
    if (!ctx || s->tls) {
        pg_put_raw_byte(&s->out, 'N');
        return pg_flush(&s->out);
    }
    /* Bytes after the SSLRequest would have been sent in the clear before
     * the handshake: PostgreSQL refuses them (CVE-2021-23222), so do we. */
    if (s->in.end > s->in.start) {
        send_fatal(s, "08P01", "received unencrypted data after SSL request");
        return false;
    }
    pg_put_raw_byte(&s->out, 'S');
    if (!pg_flush(&s->out))
        return false;
    s->tls = SSL_new(ctx);
    SSL_set_fd(s->tls, s->peer->fd);
    /* A client that stalls in the handshake must not hold the thread. */
    struct timeval tv = {.tv_sec = 30};
    setsockopt(s->peer->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    int rc = SSL_accept(s->tls);
    tv.tv_sec = 0;
    setsockopt(s->peer->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (rc != 1) {
        log_debug("serve: %s: TLS handshake failed", s->peer->addr);
        s->closing = true;
        return false;
    }
    s->in.read_fn = tls_read;
    s->in.pending_fn = tls_pending;
    s->in.read_ctx = s->tls;
    s->out.write_fn = tls_write;
    s->out.write_ctx = s->tls;
    return true;
}

/* Reads the startup packets; false when the connection should just end
 * (a CancelRequest, or an error that was already reported). */
static bool startup(session *s)
{
    for (int i = 0; i < MAX_STARTUP_PACKETS; i++) {
        pg_msg m;
        pg_read_status st = pg_read_message(&s->in, true, &m);
        if (st == PG_READ_PROTOCOL) {
            send_fatal(s, "08P01", s->in.error);
            return false;
        }
        if (st != PG_READ_OK)
            return false;
        int32_t code = pg_get_i32(&m);
        if (code == PG_CANCEL_REQUEST) {
            int32_t pid = pg_get_i32(&m), secret = pg_get_i32(&m);
            if (!m.bad && pg_remaining(&m) == 0)
                server_cancel(s->srv, pid, secret);
            return false;
        }
        if (code == PG_SSL_REQUEST || code == PG_GSSENC_REQUEST) {
            if (pg_remaining(&m) != 0) {
                send_fatal(s, "08P01", "invalid SSLRequest");
                return false;
            }
            if (code == PG_SSL_REQUEST) {
                if (!start_tls(s))
                    return false;
            } else {
                pg_put_raw_byte(&s->out, 'N');
                pg_flush(&s->out);
            }
            continue;
        }
        if ((code >> 16) != 3) {
            char msg[120];
            snprintf(msg, sizeof(msg), "unsupported frontend protocol %d.%d: server supports 3.0",
                     code >> 16, code & 0xffff);
            send_fatal(s, "0A000", msg);
            return false;
        }
        int unknown_options = 0;
        strbuf unknown = STRBUF_INIT;
        while (!m.bad && pg_remaining(&m) > 1) {
            const char *k = pg_get_cstr(&m);
            const char *v = pg_get_cstr(&m);
            if (!k || !v)
                break;
            if (strcmp(k, "user") == 0) {
                free(s->user);
                s->user = xstrdup(v);
            } else if (strcmp(k, "database") == 0) {
                free(s->database_name);
                s->database_name = xstrdup(v);
            } else if (strcmp(k, "application_name") == 0) {
                free(s->application_name);
                s->application_name = xstrdup(v);
            } else if (strncmp(k, "_pq_.", 5) == 0) {
                unknown_options++;
                strbuf_add(&unknown, k, strlen(k) + 1);
            }
        }
        if (m.bad || pg_remaining(&m) != 1 || pg_get_u8(&m) != 0) {
            strbuf_release(&unknown);
            send_fatal(s, "08P01", "invalid startup packet layout");
            return false;
        }
        if (!s->user || !*s->user) {
            strbuf_release(&unknown);
            send_fatal(s, "28000", "no PostgreSQL user name specified in startup packet");
            return false;
        }
        if ((code & 0xffff) != 0 || unknown_options) {
            pg_begin(&s->out, 'v');
            pg_put_i32(&s->out, 0);
            pg_put_i32(&s->out, unknown_options);
            pg_put_bytes(&s->out, unknown.buf ? unknown.buf : "", unknown.len);
            pg_end(&s->out);
        }
        strbuf_release(&unknown);
        return true;
    }
    send_fatal(s, "08P01", "too many startup packets");
    return false;
}

static bool open_session(session *s)
{
    mlerr err = MLERR_INIT;
    if (!db_connect(s->database, &s->conn, &err)) {
        send_fatal(s, "58000", mlerr_message(&err));
        mlerr_clear(&err);
        return false;
    }
    s->raw = db_conn_raw(s->conn);
    if (!server_register_session(s->srv, s->peer->slot, s->conn, &s->pid, &s->secret)) {
        send_fatal(s, "53300", "sorry, too many clients already");
        return false;
    }
    s->registered = true;
    send_parameter_status(s, "server_version", "15.0");
    send_parameter_status(s, "server_encoding", "UTF8");
    send_parameter_status(s, "client_encoding", "UTF8");
    send_parameter_status(s, "DateStyle", "ISO, MDY");
    send_parameter_status(s, "integer_datetimes", "on");
    send_parameter_status(s, "standard_conforming_strings", "on");
    send_parameter_status(s, "TimeZone", "UTC");
    send_parameter_status(s, "IntervalStyle", "postgres");
    send_parameter_status(s, "is_superuser", s->read_only ? "off" : "on");
    send_parameter_status(s, "session_authorization", s->user);
    send_parameter_status(s, "application_name", s->application_name ? s->application_name : "");
    pg_begin(&s->out, 'K');
    pg_put_i32(&s->out, s->pid);
    pg_put_i32(&s->out, s->secret);
    pg_end(&s->out);
    s->txn = 'I';
    send_ready(s);
    return true;
}

/* The message loop after start-up. */
static void serve_messages(session *s)
{
    while (!s->closing && !s->out.failed && !server_stopping(s->srv)) {
        pg_msg m;
        pg_read_status st = pg_read_message(&s->in, false, &m);
        if (st == PG_READ_PROTOCOL) {
            log_warn("serve: %s: protocol error: %s", s->peer->addr, s->in.error);
            send_fatal(s, "08P01", s->in.error);
            return;
        }
        if (st == PG_READ_TIMEOUT) {
            send_fatal(s, "57P05", "terminating connection due to idle-session timeout");
            return;
        }
        if (st != PG_READ_OK)
            return;
        if (m.type == 'X')
            return;
        if (s->skip_until_sync && m.type != 'S')
            continue;
        switch (m.type) {
        case 'Q':
            simple_query(s, &m);
            break;
        case 'P':
            parse_message(s, &m);
            break;
        case 'B':
            bind_message(s, &m);
            break;
        case 'D':
            describe_message(s, &m);
            break;
        case 'E':
            execute_message(s, &m);
            break;
        case 'C':
            close_message(s, &m);
            break;
        case 'H':
            pg_flush(&s->out);
            break;
        case 'S':
            s->skip_until_sync = false;
            if (s->txn == 'I')
                close_all_portals(s);
            send_ready(s);
            break;
        case 'd':
        case 'c':
        case 'f':
            break; /* COPY messages outside COPY are ignored, as PostgreSQL does */
        case 'F':
            send_error(s, "0A000", "not supported yet: the fastpath function call protocol");
            statement_failed(s);
            break;
        default: {
            char msg[80];
            snprintf(msg, sizeof(msg), "invalid frontend message type %d", (unsigned char)m.type);
            log_warn("serve: %s: %s", s->peer->addr, msg);
            send_fatal(s, "08P01", msg);
            return;
        }
        }
    }
}

void session_run(server *srv, db *database, const serve_options *o, const session_peer *peer)
{
    session s = {
        .srv = srv,
        .database = database,
        .opts = o,
        .peer = peer,
        .txn = 'I',
    };
    pg_reader_init(&s.in, peer->fd, o->max_message);
    pg_writer_init(&s.out, peer->fd);
    /* Start-up must finish promptly; an idle session may wait longer. */
    s.in.idle_timeout_ms = 60000;
    /* Nor may a client that has not logged in make the server buffer a
     * big message: PostgreSQL caps authentication messages the same way. */
    size_t max_message = s.in.max_message;
    s.in.max_message = MAX_AUTH_MESSAGE;
    if (startup(&s) && authenticate(&s)) {
        s.in.max_message = max_message;
        s.in.idle_timeout_ms = o->idle_timeout_ms;
        if (open_session(&s)) {
            log_debug("serve: session %d for \"%s\" from %s", s.pid, s.user, peer->addr);
            serve_messages(&s);
        }
    }
    pg_flush(&s.out);
    if (s.registered)
        server_unregister_session(srv, peer->slot);
    close_all_portals(&s);
    close_cursor(&s, NULL);
    while (s.stmts)
        close_stmt(&s, s.stmts->name);
    if (s.conn)
        db_disconnect(s.conn);
    if (s.tls) {
        SSL_shutdown(s.tls);
        SSL_free(s.tls);
    }
    pg_reader_release(&s.in);
    pg_writer_release(&s.out);
    free(s.user);
    free(s.database_name);
    free(s.application_name);
}
