/* test_cli_options: options of one command parsed on two threads at once
 * (routed jobs side by side) -- each thread bound to a copy of its own
 * (cli_options_bind) sees only its own values, the command's static
 * storage and the main thread are untouched, and global flags and the
 * positional words are per thread too. */
#include "check.h"

#include "cli/cli.h"
#include "cli/run_common.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

extern const cli_command cmd_build;
extern const cli_command cmd_show;

static pthread_barrier_t both_parsed;

typedef struct parse_job {
    const char *words[8];
    int nwords;
    /* what the thread saw after both had parsed */
    bool parsed;
    int threads;
    char first_select[32];
    int nselect;
    char project_dir[32];
    int npositional;
    bool copy_differs;
} parse_job;

static void *parse_on_thread(void *arg)
{
    parse_job *j = arg;
    cli_options_bind(&cmd_build);
    cli_globals g = {.lock_timeout = 30.0};
    int argc = j->nwords;
    const char **argv = j->words;
    j->parsed = cli_parse(&cmd_build, &g, &argc, &argv);
    pthread_barrier_wait(&both_parsed);
    const run_args *ra = cli_options(cmd_build.opts);
    j->copy_differs = (const void *)ra != cmd_build.opts;
    j->threads = ra->threads;
    j->nselect = ra->sel.select.n;
    if (ra->sel.select.n)
        snprintf(j->first_select, sizeof j->first_select, "%s", ra->sel.select.items[0]);
    snprintf(j->project_dir, sizeof j->project_dir, "%s", g.project_dir ? g.project_dir : "");
    j->npositional = argc;
    pthread_barrier_wait(&both_parsed);
    cli_options_release();
    return NULL;
}

TEST(two_threads_parse_one_command)
{
    parse_job a = {.words = {"-s", "orders", "customers", "--threads", "3", "--project-dir", "pa"},
                   .nwords = 7};
    parse_job b = {.words = {"--select", "payments", "--threads", "7", "extra"}, .nwords = 5};
    pthread_barrier_init(&both_parsed, NULL, 2);
    pthread_t ta, tb;
    pthread_create(&ta, NULL, parse_on_thread, &a);
    pthread_create(&tb, NULL, parse_on_thread, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    pthread_barrier_destroy(&both_parsed);
    CHECK(a.parsed && b.parsed);
    CHECK(a.copy_differs && b.copy_differs);
    CHECK(a.threads == 3);
    CHECK(b.threads == 7);
    CHECK(a.nselect == 2);
    CHECK(b.nselect == 1);
    CHECK_STR(a.first_select, "orders");
    CHECK_STR(b.first_select, "payments");
    CHECK_STR(a.project_dir, "pa");
    CHECK_STR(b.project_dir, "");
    CHECK(a.npositional == 0);
    CHECK(b.npositional == 1);
    /* the command's own storage, which a local run parses into, kept its defaults */
    const run_args *st = cmd_build.opts;
    CHECK(st->threads == 0 && st->sel.select.n == 0);
    CHECK(cli_options(cmd_build.opts) == cmd_build.opts);
}

TEST(a_copy_starts_from_the_defaults)
{
    /* show's --limit defaults to 5 in its static initialiser */
    cli_options_bind(&cmd_show);
    CHECK(cli_options(cmd_show.opts) != cmd_show.opts);
    CHECK(memcmp(cli_options(cmd_show.opts), cmd_show.opts, cmd_show.opts_size) == 0);
    cli_options_release();
    CHECK(cli_options(cmd_show.opts) == cmd_show.opts);
}

int main(void)
{
    RUN(two_threads_parse_one_command);
    RUN(a_copy_starts_from_the_defaults);
    return CHECK_DONE();
}
