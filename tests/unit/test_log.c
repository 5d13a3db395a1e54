/* Unit tests for util/log: the log file's format (dbt's debug text format,
 * no colour), its level, rotation, thread names and invocation blocks. */
#include "check.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strbuf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/mallard-log-XXXXXX";

static char *path_in(const char *name)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    return buf;
}

static void read_text(const char *path, strbuf *out)
{
    mlerr err = MLERR_INIT;
    strbuf_reset(out);
    CHECK(fs_read_file(path, out, &err));
    mlerr_clear(&err);
}

static const log_file_options debug_file = {.level = LOG_DEBUG, .version = "9.9.9"};

TEST(log_file_has_no_color_codes)
{
    mlerr err = MLERR_INIT;
    CHECK(log_open_file(path_in("sub/dir/dbt.log"), &debug_file, &err));
    log_set_level(LOG_NONE);
    log_info("1 of 2 OK created %s%s%s [%sOK%s]", "\033[1m", "model", "\033[0m", "\033[32m",
             "\033[0m");
    log_debug("a debug line");
    log_close_file();
    strbuf text = STRBUF_INIT;
    read_text(path_in("sub/dir/dbt.log"), &text);
    CHECK_CONTAINS(strbuf_str(&text), "[info ] [MainThread]: 1 of 2 OK created model [OK]\n");
    CHECK_CONTAINS(strbuf_str(&text), "[debug] [MainThread]: a debug line\n");
    CHECK(strchr(strbuf_str(&text), '\033') == NULL);
    strbuf_release(&text);
}

TEST(each_open_starts_a_block_with_its_invocation_id)
{
    mlerr err = MLERR_INIT;
    char id1[37], id2[37];
    CHECK(!log_invocation_id(id1));
    CHECK(log_open_file(path_in("blocks.log"), &debug_file, &err));
    CHECK(log_invocation_id(id1));
    log_close_file();
    CHECK(log_open_file(path_in("blocks.log"), &debug_file, &err));
    CHECK(log_invocation_id(id2));
    log_close_file();
    CHECK(strcmp(id1, id2) != 0);
    strbuf text = STRBUF_INIT;
    read_text(path_in("blocks.log"), &text);
    const char *t = strbuf_str(&text);
    CHECK(strncmp(t, "\n\n============================== ", 33) == 0);
    char want[128];
    snprintf(want, sizeof want, " | %s ==============================\n", id1);
    CHECK_CONTAINS(t, want);
    snprintf(want, sizeof want, " | %s ==============================\n", id2);
    CHECK_CONTAINS(t, want);
    CHECK_CONTAINS(t, "[info ] [MainThread]: Running with mallard=9.9.9\n");
    CHECK(strstr(strstr(t, id1), id2) != NULL); /* appended in order */
    strbuf_release(&text);
}

TEST(file_level_filters_lines)
{
    mlerr err = MLERR_INIT;
    log_file_options o = {.level = LOG_WARN};
    CHECK(log_open_file(path_in("warn.log"), &o, &err));
    log_info("an info line");
    log_file_msg(LOG_DEBUG, "a file-only debug line");
    log_warn("a warning");
    log_close_file();
    strbuf text = STRBUF_INIT;
    read_text(path_in("warn.log"), &text);
    CHECK(strstr(strbuf_str(&text), "an info line") == NULL);
    CHECK(strstr(strbuf_str(&text), "file-only") == NULL);
    CHECK_CONTAINS(strbuf_str(&text), "[warn ] [MainThread]: a warning\n");
    /* the block's header is written whatever the level */
    CHECK_CONTAINS(strbuf_str(&text), "Running with mallard=");
    strbuf_release(&text);
}

static void *named_worker(void *arg)
{
    (void)arg;
    log_set_thread_name("Thread-3 (worker)");
    log_info("from a worker");
    return NULL;
}

TEST(thread_names_are_cut_as_dbt_cuts_them)
{
    mlerr err = MLERR_INIT;
    CHECK(log_open_file(path_in("threads.log"), &debug_file, &err));
    pthread_t t;
    CHECK(pthread_create(&t, NULL, named_worker, NULL) == 0);
    pthread_join(t, NULL);
    log_close_file();
    strbuf text = STRBUF_INIT;
    read_text(path_in("threads.log"), &text);
    CHECK_CONTAINS(strbuf_str(&text), "[info ] [Thread-3 (]: from a worker\n");
    strbuf_release(&text);
}

TEST(rotation_keeps_backups)
{
    mlerr err = MLERR_INIT;
    log_file_options o = {.level = LOG_DEBUG, .max_bytes = 400, .backups = 2};
    CHECK(log_open_file(path_in("rot.log"), &o, &err));
    for (int i = 0; i < 40; i++)
        log_info("line %02d of the rotation test, long enough to fill a file soon", i);
    log_close_file();
    struct stat st;
    CHECK(stat(path_in("rot.log"), &st) == 0 && st.st_size < 400);
    CHECK(stat(path_in("rot.log.1"), &st) == 0 && st.st_size < 400 && st.st_size > 0);
    CHECK(stat(path_in("rot.log.2"), &st) == 0 && st.st_size < 400 && st.st_size > 0);
    CHECK(stat(path_in("rot.log.3"), &st) != 0);
    strbuf text = STRBUF_INIT;
    read_text(path_in("rot.log"), &text);
    CHECK_CONTAINS(strbuf_str(&text), "line 39 of the rotation test");
    read_text(path_in("rot.log.1"), &text);
    CHECK(strstr(strbuf_str(&text), "line 39") == NULL);
    strbuf_release(&text);
}

TEST(an_unopenable_path_is_an_error_naming_it)
{
    mlerr err = MLERR_INIT;
    CHECK(!log_open_file("/proc/self/no/such/dbt.log", &debug_file, &err));
    CHECK_CONTAINS(mlerr_message(&err), "/proc/self/no");
    mlerr_clear(&err);
    char id[37];
    CHECK(!log_invocation_id(id));
}

int main(void)
{
    CHECK(mkdtemp(dir) != NULL);
    RUN(log_file_has_no_color_codes);
    RUN(each_open_starts_a_block_with_its_invocation_id);
    RUN(file_level_filters_lines);
    RUN(thread_names_are_cut_as_dbt_cuts_them);
    RUN(rotation_keeps_backups);
    RUN(an_unopenable_path_is_an_error_naming_it);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    return CHECK_DONE();
}
