/* test_engine_lock: DuckDB lock-message parsing, /proc/locks parsing, reading
 * /proc for our own PID (and degrading without /proc), and the backoff. */
#include "check.h"
#include "engine/lock.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static const char real_message[] =
    "IO Error: Could not set lock on file \"/x/jaffle_shop.duckdb\": Conflicting lock is held in "
    "/usr/local/bin/python3.12 (PID 53)";

TEST(recognises_lock_conflict)
{
    CHECK(lock_is_conflict(real_message));
    CHECK(!lock_is_conflict("IO Error: Cannot open file \"/x/a.duckdb\": No such file or "
                            "directory"));
    CHECK(!lock_is_conflict(NULL));
}

TEST(parses_pid_and_exe)
{
    long pid;
    char *exe;
    lock_parse_message(real_message, &pid, &exe);
    CHECK(pid == 53);
    CHECK_STR(exe, "/usr/local/bin/python3.12");
    free(exe);

    /* DuckDB 1.4 appends advice after the PID; paths may hold spaces. */
    lock_parse_message("IO Error: Could not set lock on file \"/a b/x.duckdb\": Conflicting lock "
                       "is held in /opt/my tools/run (PID 4242). However, you would be able to "
                       "open this database in read-only mode",
                       &pid, &exe);
    CHECK(pid == 4242);
    CHECK_STR(exe, "/opt/my tools/run");
    free(exe);

    lock_parse_message("IO Error: Could not set lock on file \"/x\": Conflicting lock is held in "
                       "/bin/thing",
                       &pid, &exe);
    CHECK(pid == 0);
    CHECK_STR(exe, "/bin/thing");
    free(exe);

    lock_parse_message("IO Error: Could not set lock on file \"/x\": Resource unavailable", &pid,
                       &exe);
    CHECK(pid == 0);
    CHECK(exe == NULL);
}

TEST(holder_from_message_reads_proc)
{
    /* A message naming this very process: /proc/self is readable, so the
     * description must carry our real executable and command line. */
    char msg[256];
    snprintf(msg, sizeof(msg),
             "IO Error: Could not set lock on file \"/x\": Conflicting lock is held in "
             "/somewhere/else (PID %ld). However, you would be able to open this database in "
             "read-only mode, e.g. by using the -readonly parameter in the CLI.",
             (long)getpid());
    lock_holder h = {0};
    lock_holder_from_message(&h, msg);
    CHECK(h.pid == getpid());
    CHECK(h.read_only_would_work);
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    CHECK(n > 0);
    self[n > 0 ? n : 0] = '\0';
    CHECK_STR(h.exe, self);
    CHECK_CONTAINS(h.cmdline, "test_engine_lock");
    CHECK(h.user != NULL);
    strbuf sb = STRBUF_INIT;
    lock_holder_describe(&h, &sb);
    char want[64];
    snprintf(want, sizeof(want), "PID %ld (", (long)getpid());
    CHECK_CONTAINS(strbuf_str(&sb), want);
    CHECK_CONTAINS(strbuf_str(&sb), "command line: ");
    CHECK_CONTAINS(strbuf_str(&sb), "test_engine_lock");
    strbuf_release(&sb);
    lock_holder_release(&h);
}

TEST(cmdline_nuls_become_spaces)
{
    /* A fake /proc tree: cmdline arguments are NUL-separated. */
    char root[] = "/tmp/mallard-fakeproc-XXXXXX";
    CHECK(mkdtemp(root) != NULL);
    char path[512];
    snprintf(path, sizeof(path), "%s/77", root);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/77/cmdline", root);
    FILE *f = fopen(path, "w");
    fwrite("airflow\0tasks\0run\0dbt_job\0", 1, 26, f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/77/status", root);
    f = fopen(path, "w");
    fprintf(f, "Name:\tairflow\nUid:\t0\t0\t0\t0\nGid:\t0\n");
    fclose(f);
    lock_holder h = {0};
    lock_describe_pid(&h, 77, root);
    CHECK(h.pid == 77);
    CHECK_STR(h.cmdline, "airflow tasks run dbt_job");
    CHECK_STR(h.user, "root");
    CHECK(h.exe == NULL); /* no exe link in the fake tree */
    lock_holder_release(&h);

    snprintf(path, sizeof(path), "rm -rf '%s'", root);
    CHECK(system(path) == 0);
}

TEST(degrades_without_proc)
{
    lock_holder h = {0};
    lock_describe_pid(&h, 12345, "/nonexistent-proc-root");
    CHECK(h.pid == 12345);
    CHECK(h.exe == NULL && h.cmdline == NULL && h.user == NULL);
    strbuf sb = STRBUF_INIT;
    lock_holder_describe(&h, &sb);
    CHECK_CONTAINS(strbuf_str(&sb), "PID 12345");
    CHECK_CONTAINS(strbuf_str(&sb), "command line unknown");
    strbuf_release(&sb);
    lock_holder_release(&h);

    lock_holder none = {0};
    lock_holder_describe(&none, &sb);
    CHECK_STR(strbuf_str(&sb), "an unknown process");
    strbuf_release(&sb);
}

TEST(parses_proc_locks)
{
    dev_t dev = makedev(0xfe, 0x00);
    const char *text = "1: POSIX  ADVISORY  WRITE 6549 fe:00:10953069 0 EOF\n"
                       "1: -> POSIX  ADVISORY  WRITE 7000 fe:00:10953068 0 EOF\n"
                       "2: OFDLCK ADVISORY  WRITE -1 fe:00:10953068 0 EOF\n"
                       "3: POSIX  ADVISORY  READ 6550 fe:00:10953068 0 EOF\n";
    CHECK(lock_parse_proc_locks(text, dev, 10953068) == 6550);
    CHECK(lock_parse_proc_locks(text, dev, 10953069) == 6549);
    CHECK(lock_parse_proc_locks(text, makedev(8, 1), 10953068) == 0);
    CHECK(lock_parse_proc_locks("", dev, 1) == 0);
    CHECK(lock_parse_proc_locks("garbage\n\n", dev, 1) == 0);
}

TEST(find_holder_of_unlocked_file)
{
    CHECK(lock_find_holder("/nonexistent/file") == 0);
    char path[] = "/tmp/mallard-lockfile-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK(lock_find_holder(path) == 0);
    /* Our own lock never shows: POSIX locks do not conflict within a process. */
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    CHECK(fcntl(fd, F_SETLK, &fl) == 0);
    CHECK(lock_find_holder(path) == 0);
    close(fd);
    unlink(path);
}

TEST(find_holder_in_another_process)
{
    char path[] = "/tmp/mallard-lockfile-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    int ready[2], done[2];
    CHECK(pipe(ready) == 0 && pipe(done) == 0);
    pid_t child = fork();
    if (child == 0) {
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        char c = fcntl(fd, F_SETLK, &fl) == 0 ? 'y' : 'n';
        if (write(ready[1], &c, 1) != 1 || read(done[0], &c, 1) < 0)
            _exit(1);
        _exit(0);
    }
    char c = 0;
    CHECK(read(ready[0], &c, 1) == 1 && c == 'y');
    CHECK(lock_find_holder(path) == child);
    /* The real /proc/locks names the child by the file's device and inode. */
    FILE *locks = fopen("/proc/locks", "r");
    if (locks) {
        char text[65536];
        size_t n = fread(text, 1, sizeof(text) - 1, locks);
        text[n] = '\0';
        fclose(locks);
        struct stat st;
        CHECK(fstat(fd, &st) == 0);
        CHECK(lock_parse_proc_locks(text, st.st_dev, st.st_ino) == child);
    }
    CHECK(write(done[1], "x", 1) == 1);
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(lock_find_holder(path) == 0);
    close(fd);
    unlink(path);
}

TEST(backoff_doubles_caps_and_stops)
{
    lock_backoff b;
    lock_backoff_init(&b, 5.0);
    b.start = 100.0;
    CHECK(lock_backoff_next(&b, 100.0) == 0.05);
    CHECK(lock_backoff_next(&b, 100.1) == 0.1);
    CHECK(lock_backoff_next(&b, 100.2) == 0.2);
    CHECK(lock_backoff_next(&b, 100.4) == 0.4);
    CHECK(lock_backoff_next(&b, 100.8) == 0.8);
    CHECK(lock_backoff_next(&b, 101.6) == 1.0);
    CHECK(lock_backoff_next(&b, 102.6) == 1.0);
    /* Never sleeps past the deadline. */
    CHECK(lock_backoff_next(&b, 104.7) > 0.29 && lock_backoff_next(&b, 104.7) < 0.31);
    CHECK(lock_backoff_next(&b, 105.0) < 0);

    lock_backoff_init(&b, 0);
    CHECK(lock_backoff_next(&b, lock_now()) < 0);
}

int main(void)
{
    RUN(recognises_lock_conflict);
    RUN(parses_pid_and_exe);
    RUN(holder_from_message_reads_proc);
    RUN(cmdline_nuls_become_spaces);
    RUN(degrades_without_proc);
    RUN(parses_proc_locks);
    RUN(find_holder_of_unlocked_file);
    RUN(find_holder_in_another_process);
    RUN(backoff_doubles_caps_and_stops);
    return CHECK_DONE();
}
