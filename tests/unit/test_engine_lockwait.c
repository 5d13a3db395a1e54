/* test_engine_lockwait: db_open against a real second process (the
 * lock_holder helper built beside this test): fail at once, wait for the
 * holder to go, and fall back to read-only beside a read-only holder. */
#include "check.h"
#include "engine/database.h"
#include "engine/lock.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static char scratch[256];
static char holder_bin[4096];
static char db_file[512];

typedef struct holder {
    pid_t pid;
    FILE *out;
} holder;

/* Starts lock_holder on db_file and waits for its "ready PID" line. */
static bool start_holder(holder *h, bool read_only)
{
    int fds[2];
    if (pipe(fds) != 0)
        return false;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    char *argv[] = {holder_bin, db_file, "60", read_only ? "--read-only" : NULL, NULL};
    int rc = posix_spawn(&h->pid, holder_bin, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return false;
    }
    h->out = fdopen(fds[0], "r");
    long pid = 0;
    return fscanf(h->out, "ready %ld", &pid) == 1 && pid == h->pid;
}

static void stop_holder(holder *h)
{
    kill(h->pid, SIGTERM);
    int status;
    waitpid(h->pid, &status, 0);
    fclose(h->out);
}

TEST(fails_at_once_naming_the_holder)
{
    holder h;
    CHECK(start_holder(&h, false));
    db_options o = {.path = db_file, .lock_timeout = 0};
    db *d = NULL;
    mlerr err = MLERR_INIT;
    double start = lock_now();
    CHECK(!db_open(&o, &d, &err));
    CHECK(lock_now() - start < 1.0);
    CHECK(err.exit_code == EXIT_SETUP);
    char want[9000];
    snprintf(want, sizeof(want), "locked by another process: PID %ld (%s, user ", (long)h.pid,
             holder_bin);
    CHECK_CONTAINS(mlerr_message(&err), want);
    snprintf(want, sizeof(want), "command line: %s %s 60", holder_bin, db_file);
    CHECK_CONTAINS(mlerr_message(&err), want);
    CHECK_CONTAINS(mlerr_message(&err), "not waiting (--lock-timeout 0)");
    snprintf(want, sizeof(want), "kill %ld", (long)h.pid);
    CHECK_CONTAINS(mlerr_message(&err), want);
    mlerr_clear(&err);
    CHECK(lock_find_holder(db_file) == h.pid);

    /* A one-second timeout is honoured, not much more. */
    o.lock_timeout = 1.0;
    start = lock_now();
    CHECK(!db_open(&o, &d, &err));
    double took = lock_now() - start;
    CHECK(took >= 0.95 && took < 2.5);
    CHECK_CONTAINS(mlerr_message(&err), "s (--lock-timeout 1) and it still holds the lock");
    mlerr_clear(&err);
    stop_holder(&h);
    CHECK(lock_find_holder(db_file) == 0);
}

static void *stop_after_half_a_second(void *arg)
{
    lock_sleep(0.5);
    stop_holder(arg);
    return NULL;
}

TEST(waits_for_the_holder_to_go)
{
    holder h;
    CHECK(start_holder(&h, false));
    pthread_t t;
    pthread_create(&t, NULL, stop_after_half_a_second, &h);
    db_options o = {.path = db_file, .lock_timeout = 10};
    db *d = NULL;
    mlerr err = MLERR_INIT;
    double start = lock_now();
    CHECK(db_open(&o, &d, &err));
    double took = lock_now() - start;
    pthread_join(t, NULL);
    CHECK(took >= 0.4 && took < 3.0);
    if (d) {
        CHECK(!db_is_read_only(d));
        db_conn *c;
        db_error e = {0};
        char *v = NULL;
        CHECK(db_connect(d, &c, &err));
        CHECK(db_query_text(c, "SELECT count(*) FROM lock_holder_was_here", &v, &e));
        CHECK_STR(v, "1");
        free(v);
        db_disconnect(c);
        db_close(d);
    }
    mlerr_clear(&err);
}

TEST(read_only_beside_a_reader)
{
    holder h;
    CHECK(start_holder(&h, true));
    mlerr err = MLERR_INIT;
    db *d = NULL;
    /* A writer cannot share the file with a reader... */
    db_options writer = {.path = db_file, .lock_timeout = 0};
    CHECK(!db_open(&writer, &d, &err));
    CHECK_CONTAINS(mlerr_message(&err), "the holder has it open read-only");
    mlerr_clear(&err);
    /* ...but a command that only reads can, without waiting. */
    db_options reader = {.path = db_file, .read_only_on_conflict = true, .lock_timeout = 10};
    double start = lock_now();
    CHECK(db_open(&reader, &d, &err));
    CHECK(lock_now() - start < 2.0);
    if (d) {
        CHECK(db_is_read_only(d));
        db_close(d);
    }
    /* An explicit read-only open works too. */
    db_options ro = {.path = db_file, .read_only = true, .lock_timeout = 0};
    CHECK(db_open(&ro, &d, &err));
    if (d)
        db_close(d);
    mlerr_clear(&err);
    stop_holder(&h);
}

int main(void)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return 1;
    self[n] = '\0';
    snprintf(holder_bin, sizeof(holder_bin), "%s/lock_holder", dirname(self));
    if (access(holder_bin, X_OK) != 0) {
        fprintf(stderr, "%s is missing: build the lock_holder helper\n", holder_bin);
        return 1;
    }
    const char *tmp = getenv("MALLARD_TEST_TMP");
    mkdir(tmp ? tmp : "/tmp", 0777);
    snprintf(scratch, sizeof(scratch), "%s/test_engine_lockwait-XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(scratch))
        return 1;
    snprintf(db_file, sizeof(db_file), "%s/held.duckdb", scratch);
    log_set_level(LOG_ERROR);
    RUN(fails_at_once_naming_the_holder);
    RUN(waits_for_the_holder_to_go);
    RUN(read_only_beside_a_reader);
    int rc = CHECK_DONE();
    if (rc == 0) {
        char cmd[400];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
        if (system(cmd) != 0)
            rc = 1;
    }
    return rc;
}
