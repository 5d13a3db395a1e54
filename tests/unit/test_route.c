/* test_route: the routing pieces without processes -- the job request's
 * encoding and its strict decoding (malformed input is refused, never
 * crashes), the framing over a socketpair, the job context (environment,
 * sink, cancel, inheritance by threads), and advertisements (written at
 * open, read back, stale when the process is gone, removed at close). */
#include "check.h"

#include "cli/route_wire.h"
#include "engine/advert.h"
#include "engine/database.h"
#include "util/jobctx.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static route_request sample(void)
{
    static const char *argv[] = {"-s", "orders+", "--vars", "{a: 1}"};
    static const char *env[] = {"HOME=/home/x", "EMPTY=", "A=b=c"};
    return (route_request){.cwd = "/work/p",
                           .tty = true,
                           .command = "build",
                           .argc = 4,
                           .argv = argv,
                           .nenv = 3,
                           .env = env};
}

TEST(request_round_trip)
{
    route_request r = sample();
    size_t len;
    char *payload = route_request_encode(&r, &len);
    arena a = ARENA_INIT;
    route_request back;
    CHECK(route_request_decode(&a, payload, len, &back));
    CHECK_STR(back.cwd, "/work/p");
    CHECK(back.tty);
    CHECK_STR(back.command, "build");
    CHECK(back.argc == 4);
    CHECK_STR(back.argv[3], "{a: 1}");
    CHECK(back.argv[4] == NULL);
    CHECK(back.nenv == 3);
    CHECK_STR(back.env[2], "A=b=c");
    arena_free(&a);
    free(payload);
}

TEST(malformed_requests_are_refused)
{
    route_request r = sample();
    size_t len;
    char *payload = route_request_encode(&r, &len);
    arena a = ARENA_INIT;
    route_request back;
    /* every truncation is refused */
    for (size_t cut = 0; cut < len; cut++)
        CHECK(!route_request_decode(&a, payload, cut, &back));
    /* trailing bytes */
    char *longer = xmalloc(len + 2);
    memcpy(longer, payload, len);
    memcpy(longer + len, "x", 2);
    CHECK(!route_request_decode(&a, longer, len + 2, &back));
    free(longer);
    /* wrong magic, relative cwd, bad tty flag, absurd counts, env without '=' */
    const char bad[][80] = {
        "mallard-job-0\0/p\0\060\0build\0\060\0\060",
        "mallard-job-1\0p\0\060\0build\0\060\0\060",
        "mallard-job-1\0/p\0\062\0build\0\060\0\060",
        "mallard-job-1\0/p\0\060\0build\0\071\071\071\071\071\071\071\071\0\060",
        "mallard-job-1\0/p\0\060\0build\0-1\0\060",
        "mallard-job-1\0/p\0\060\0build\0\060\0\061\0NOEQUALS",
    };
    const size_t lens[] = {29, 28, 29, 37, 30, 40};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
        CHECK(!route_request_decode(&a, bad[i], lens[i], &back));
    /* random bytes */
    srand(7);
    char junk[256];
    for (int round = 0; round < 2000; round++) {
        size_t n = (size_t)(rand() % (int)sizeof(junk));
        for (size_t k = 0; k < n; k++)
            junk[k] = (char)(rand() % 4 == 0 ? 0 : rand());
        route_request_decode(&a, junk, n, &back); /* must not crash */
    }
    arena_free(&a);
    free(payload);
}

TEST(framing)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(route_send(sv[0], 'O', "hello", 5));
    CHECK(route_send(sv[0], 'C', NULL, 0));
    char type;
    char *payload;
    size_t len;
    CHECK(route_recv(sv[1], &type, &payload, &len, 100));
    CHECK(type == 'O' && len == 5 && memcmp(payload, "hello", 5) == 0);
    free(payload);
    CHECK(route_recv(sv[1], &type, &payload, &len, 100));
    CHECK(type == 'C' && len == 0);
    free(payload);
    /* over the bound: refused without reading it */
    CHECK(route_send(sv[0], 'O', "0123456789", 10));
    CHECK(!route_recv(sv[1], &type, &payload, &len, 9));
    CHECK(payload == NULL);
    /* a header cut short by the peer closing */
    close(sv[1]);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(write(sv[0], "O\0\0", 3) == 3);
    close(sv[0]);
    CHECK(!route_recv(sv[1], &type, &payload, &len, 100));
    close(sv[1]);
}

typedef struct sink_buf {
    strbuf out, err;
} sink_buf;

static void to_buf(void *ud, int stream, const char *data, size_t len)
{
    sink_buf *b = ud;
    strbuf_add(stream == JOB_STDERR ? &b->err : &b->out, data, len);
}

static void *in_thread(void *arg)
{
    (void)arg;
    log_info("from a worker %s", job_getenv("ONLY_IN_JOB"));
    return NULL;
}

static int cancels;
static void count_cancel(void *ud)
{
    (void)ud;
    cancels++;
}

TEST(job_context)
{
    const char *env[] = {"ONLY_IN_JOB=yes", "HOME=/client/home"};
    sink_buf b = {STRBUF_INIT, STRBUF_INIT};
    job_ctx *j = job_ctx_new(env, 2, false, to_buf, &b);
    setenv("ONLY_IN_PROCESS", "1", 1);
    CHECK(job_getenv("ONLY_IN_JOB") == NULL);
    job_bind(j);
    CHECK_STR(job_getenv("ONLY_IN_JOB"), "yes");
    CHECK(job_getenv("ONLY_IN_PROCESS") == NULL); /* the job sees the client's env only */
    job_setenv_default("HOME", "/dotenv/home");   /* set: never overridden */
    job_setenv_default("FROM_DOTENV", "d");
    CHECK_STR(job_getenv("HOME"), "/client/home");
    CHECK_STR(job_getenv("FROM_DOTENV"), "d");
    CHECK(getenv("FROM_DOTENV") == NULL);
    log_set_level(LOG_WARN); /* the job's level, not the process's */
    log_info("hidden");
    log_warn("shown");
    log_set_level(LOG_INFO);
    pthread_t t;
    CHECK(job_thread_create(&t, NULL, in_thread, NULL) == 0);
    pthread_join(t, NULL);
    job_eprintf("an error %d\n", 7);
    job_on_cancel(j, count_cancel, NULL);
    job_cancel(j);
    job_on_cancel(j, NULL, NULL);
    job_cancel(j);
    CHECK(cancels == 1 && job_cancelled(j));
    job_bind(NULL);
    CHECK(job_getenv("ONLY_IN_JOB") == NULL);
    CHECK(log_get_level() == LOG_INFO);
    CHECK(!strstr(b.out.buf, "hidden"));
    CHECK(strstr(b.out.buf, "shown") != NULL);
    CHECK(strstr(b.out.buf, "from a worker yes") != NULL);
    CHECK_STR(b.err.buf, "an error 7\n");
    job_ctx_free(j);
    strbuf_release(&b.out);
    strbuf_release(&b.err);
}

TEST(advertisement)
{
    char dir[] = "/tmp/test_route.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *path = xasprintf("%s/a.duckdb", dir);
    char *file = advert_file_of(path);
    db *d = NULL;
    mlerr err = MLERR_INIT;
    /* a process that has not said who it is advertises nothing */
    CHECK(db_open(&(db_options){.path = path}, &d, &err));
    CHECK(access(file, F_OK) != 0);
    advert_set_self(&(advert_self){.command = "test", .job_socket = "/tmp/x.sock"});
    CHECK(access(file, F_OK) == 0);
    advert a;
    /* our own advertisement is not an owner to route to */
    CHECK(advert_read(path, &a) == ADVERT_NONE);
    /* another live process (the parent of a child) reads it as live */
    pid_t child = fork();
    if (child == 0) {
        advert c;
        int ok = advert_read(path, &c) == ADVERT_LIVE && c.pid == (long)getppid() && c.job_socket &&
                 strcmp(c.job_socket, "/tmp/x.sock") == 0 && c.command &&
                 strcmp(c.command, "test") == 0 && c.start_time == advert_start_time(c.pid);
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    db_close(d);
    CHECK(access(file, F_OK) != 0); /* removed at the last close */

    /* stale: a dead PID, and a live PID with another start time */
    child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, &status, 0);
    FILE *f = fopen(file, "w");
    fprintf(f, "{\"pid\": %ld, \"start_time\": 5, \"job_socket\": \"/x\"}\n", (long)child);
    fclose(f);
    CHECK(advert_read(path, &a) == ADVERT_STALE);
    advert_release(&a);
    f = fopen(file, "w");
    fprintf(f, "{\"pid\": 1, \"start_time\": %llu}\n", advert_start_time(1) + 1);
    fclose(f);
    CHECK(advert_read(path, &a) == (advert_start_time(1) ? ADVERT_STALE : ADVERT_LIVE));
    advert_release(&a);
    f = fopen(file, "w");
    fprintf(f, "not json at all");
    fclose(f);
    CHECK(advert_read(path, &a) == ADVERT_NONE);
    /* the next owner replaces it */
    CHECK(db_open(&(db_options){.path = path}, &d, &err));
    strbuf text = STRBUF_INIT;
    f = fopen(file, "r");
    char buf[512] = {0};
    CHECK(f && fread(buf, 1, sizeof(buf) - 1, f) > 0);
    if (f)
        fclose(f);
    char mine[48];
    snprintf(mine, sizeof(mine), "\"pid\": %ld,", (long)getpid());
    CHECK(strstr(buf, mine) != NULL);
    advert_clear_self();
    CHECK(access(file, F_OK) != 0);
    db_close(d);
    strbuf_release(&text);
    mlerr_clear(&err);
    char *cmd = xasprintf("rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    free(cmd);
    free(file);
    free(path);
}

int main(void)
{
    RUN(request_round_trip);
    RUN(malformed_requests_are_refused);
    RUN(framing);
    RUN(job_context);
    RUN(advertisement);
    return CHECK_DONE();
}
