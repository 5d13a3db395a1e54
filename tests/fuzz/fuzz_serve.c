/* fuzz_serve: libFuzzer target for the PostgreSQL-wire endpoint.
 *
 * The first input byte picks what is fuzzed:
 *   0: the bounded reader and message getters, then the SQL text helpers
 *      (splitting, keywords, catalog rewrites, DECLARE and COPY parsing) on
 *      whatever strings the messages hold;
 *   1: a whole session -- start-up, SCRAM authentication (user "fuzz",
 *      password "fuzz"), simple and extended query, COPY -- over a
 *      socketpair against an in-memory database;
 *   2: the same session as a trusted Unix-socket peer (skipping auth).
 * Build with -DMALLARD_FUZZ=ON (clang); test_serve_fuzz_corpus replays the
 * corpus in every build. */
#include "engine/database.h"
#include "serve/auth.h"
#include "serve/copy.h"
#include "serve/pgwire.h"
#include "serve/server.h"
#include "serve/sqltext.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const no_shadow[] = {"pg_class", NULL};

static void poke_sql(const char *s, size_t n)
{
    size_t pos = 0;
    while (pos < n) {
        size_t len = sqltext_statement_len(s + pos, n - pos);
        char kw[96];
        sqltext_keywords(s + pos, len, 6, kw, sizeof(kw));
        sqltext_is_blank(s + pos, len);
        free(sqltext_pg_rewrite(s + pos, len, no_shadow));
        char name[64];
        bool hold;
        size_t at;
        sqltext_parse_declare(s + pos, len, name, sizeof(name), &hold, &at);
        copy_spec spec;
        strbuf why = STRBUF_INIT;
        if (copy_parse(s + pos, len, &spec, &why))
            copy_spec_release(&spec);
        strbuf_release(&why);
        pos += len ? len : 1;
    }
}

typedef struct feed {
    int fd;
    const uint8_t *data;
    size_t size;
} feed;

/* Writes the input, then drains the replies until the session closes. */
static void *feeder(void *arg)
{
    feed *f = arg;
    size_t done = 0;
    while (done < f->size) {
        ssize_t n = send(f->fd, f->data + done, f->size - done, MSG_NOSIGNAL);
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    shutdown(f->fd, SHUT_WR);
    char buf[4096];
    while (read(f->fd, buf, sizeof(buf)) > 0)
        ;
    return NULL;
}

static void fuzz_reader(const uint8_t *data, size_t size)
{
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
        return;
    feed f = {.fd = fds[1], .data = data, .size = size};
    pthread_t t;
    pthread_create(&t, NULL, feeder, &f);
    pg_reader r;
    pg_reader_init(&r, fds[0], 1 << 16);
    bool startup = true;
    for (int i = 0; i < 64; i++) {
        pg_msg m;
        if (pg_read_message(&r, startup, &m) != PG_READ_OK)
            break;
        startup = false;
        pg_get_u8(&m);
        pg_get_i16(&m);
        pg_get_i32(&m);
        while (!m.bad && pg_remaining(&m) > 0) {
            const char *s = pg_get_cstr(&m);
            if (s)
                poke_sql(s, strlen(s));
        }
    }
    pg_reader_release(&r);
    shutdown(fds[0], SHUT_RDWR);
    pthread_join(t, NULL);
    close(fds[0]);
    close(fds[1]);
}

static server *srv;
static db *database;
static auth_config auth;

static void setup_server(void)
{
    mlerr err = MLERR_INIT;
    /* No files: a mutated COPY ... TO 'x' must not write into the cwd. */
    static const dbt_setting no_files[] = {{"enable_external_access", "false"}};
    db_options o = {.path = ":memory:", .settings = no_files, .n_settings = 1};
    if (!db_open(&o, &database, &err))
        abort();
    auth.trust_local = true;
    auth.users = calloc(1, sizeof(auth_user));
    auth.users[0].name = strdup("fuzz");
    auth.users[0].scram = auth_scram_verifier("fuzz");
    auth.n_users = 1;
    serve_options so = {
        .detached = true,
        .max_connections = 4,
        .statement_timeout_ms = 2000,
        .idle_timeout_ms = 2000,
        .max_message = 1 << 16,
        .auth = &auth,
    };
    if (!server_start(database, &so, &srv, &err))
        abort();
}

static void fuzz_session(const uint8_t *data, size_t size, bool trusted)
{
    if (!srv)
        setup_server();
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
        return;
    feed f = {.fd = fds[1], .data = data, .size = size};
    pthread_t t;
    pthread_create(&t, NULL, feeder, &f);
    server_serve_fd(srv, fds[0], true, trusted); /* closes fds[0] */
    pthread_join(t, NULL);
    close(fds[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    switch (data[0] % 3) {
    case 0:
        fuzz_reader(data + 1, size - 1);
        break;
    case 1:
        fuzz_session(data + 1, size - 1, false);
        break;
    default:
        fuzz_session(data + 1, size - 1, true);
        break;
    }
    return 0;
}
