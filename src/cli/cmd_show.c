/* cmd_show: `mallard show` -- dbt show: compile one node (or --inline SQL)
 * with its ephemeral models inlined, run it wrapped in a LIMIT, and print
 * the rows as dbt does. */
#include "cli/cli.h"
#include "cli/project_summary.h"
#include "cli/select_args.h"
#include "cli/setup.h"
#include "cli/show_table.h"
#include "engine/database.h"
#include "project/compile.h"
#include "project/compile_node.h"
#include "util/jobctx.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct show_args {
    cli_selection sel;
    const char *inline_sql;
    const char *limit_text; /* parsed here: dbt takes negative limits */
    int limit;
    const char *output;
    const char *vars;
} show_args;

/* The options' static storage; a run reads cli_options(&show_storage). */
static show_args show_storage = {.limit = 5};

static const cli_option show_options[] = {
    CLI_SELECTION_OPTIONS(show_storage.sel),
    {"inline", 0, OPT_STRING, &show_storage.inline_sql, NULL, "SQL",
     "preview this dbt-SQL (Jinja, ref() and source() allowed) instead of a node"},
    {"limit", 0, OPT_STRING, &show_storage.limit_text, NULL, "N",
     "rows to fetch and show (default 5; a negative number shows every row)"},
    {"output", 'o', OPT_STRING, &show_storage.output, NULL, "text|json", "the preview's format"},
    {"vars", 0, OPT_STRING, &show_storage.vars, NULL, "YAML", "project variables, as a YAML dict"},
    {0},
};

/* dbt's get_limit_subquery_sql. */
static char *limited_sql(const char *sql, int limit)
{
    strbuf sb = STRBUF_INIT;
    if (limit < 0)
        strbuf_adds(&sb, sql);
    else
        strbuf_addf(&sb, "select *\nfrom (\n    %s\n) as model_limit_subq\nlimit %d", sql, limit);
    return strbuf_detach(&sb);
}

/* Runs one preview and prints it; false with err set if the query fails. */
static bool preview(db_conn *c, const char *name, const char *sql, bool json, mlerr *err)
{
    const show_args *o = cli_options(&show_storage);
    char *q = limited_sql(sql, o->limit);
    duckdb_result r;
    db_error e = {0};
    bool ok = db_exec(c, q, &r, &e);
    free(q);
    if (!ok) {
        mlerr_set(err, EXIT_HANDLED, "Runtime Error in %s\n  %s", name ? name : "inline_query",
                  e.message);
        db_error_release(&e);
        return false;
    }
    strbuf out = STRBUF_INIT;
    if (json) {
        show_table_json(&r, name, &out);
        log_info("%s", strbuf_str(&out));
    } else {
        show_table_text(&r, &out);
        if (name)
            log_info("Previewing node '%s':", name);
        else
            log_info("Previewing inline node:");
        if (!job_write(JOB_STDOUT, strbuf_str(&out), out.len)) {
            fputs(strbuf_str(&out), stdout);
            fflush(stdout);
        }
    }
    strbuf_release(&out);
    duckdb_destroy_result(&r);
    return true;
}

static bool shows_rows(const pnode *n)
{
    return n->type == NODE_MODEL || n->type == NODE_ANALYSIS || n->type == NODE_TEST;
}

static int run_show(cli_globals *g, int argc, const char **argv)
{
    if (argc > 0) {
        job_eprintf("mallard show: unexpected argument '%s'\n", argv[0]);
        job_eprintf("  hint: pick the node with -s/--select, as in 'mallard show -s %s'\n",
                    argv[0]);
        return EXIT_SETUP;
    }
    show_args *o = cli_options(&show_storage);
    mlerr err = MLERR_INIT;
    bool json = false;
    if (o->output && strcmp(o->output, "json") == 0)
        json = true;
    else if (o->output && strcmp(o->output, "text") != 0) {
        mlerr_set(&err, EXIT_SETUP, "--output must be text or json, not '%s'", o->output);
        int rc = cli_fail(&err);
        mlerr_clear(&err);
        return rc;
    }
    if (o->limit_text) {
        char *end;
        long v = strtol(o->limit_text, &end, 10);
        if (end == o->limit_text || *end || v < -1000000000L || v > 1000000000L) {
            mlerr_set(&err, EXIT_SETUP, "--limit must be a whole number, not '%s'", o->limit_text);
            int rc = cli_fail(&err);
            mlerr_clear(&err);
            return rc;
        }
        o->limit = (int)v;
    }
    bool selecting = o->sel.select.n || o->sel.models.n || o->sel.selector;
    if (!o->inline_sql && !selecting) {
        mlerr_set(&err, EXIT_SETUP, "Either --select or --inline must be passed to show");
        int rc = cli_fail(&err);
        mlerr_clear(&err);
        return rc;
    }
    arena a = ARENA_INIT;
    cli_project cp;
    project *p = NULL;
    db *d = NULL;
    db_conn *c = NULL;
    int rc = EXIT_OK;
    nodeset selected;
    if (!cli_load_project(g, &a, o->vars, &cp, &p, &err))
        goto fail;
    cli_log_found(p);
    if (o->inline_sql) {
        selected = nodeset_new(&a, p->n_nodes);
    } else if (!cli_select_nodes(&o->sel, p, &a, &selected, &err)) {
        goto fail;
    }
    log_info("Concurrency: %d threads (target='%s')", cp.target.threads,
             cp.target.target_name ? cp.target.target_name : "dev");
    /* compiles the selection (and the graph that inline SQL resolves against) */
    if (!project_compile(p, &selected, !o->inline_sql, &err))
        goto fail;
    db_options dopt = cli_target_db_options(&cp.target, g->lock_timeout);
    if (!db_open(&dopt, &d, &err) || !db_connect(d, &c, &err))
        goto fail;
    log_info("%s", "");
    if (o->inline_sql) {
        const char *sql;
        if (!project_compile_inline(p, o->inline_sql, NULL, &a, &sql, &err) ||
            !preview(c, NULL, sql, json, &err))
            goto fail;
        goto done;
    }
    /* dbt previews the selected nodes whose name appears in the first
     * --select argument (ShowTask.task_end_messages) */
    const char *first = o->sel.select.n   ? o->sel.select.items[0]
                        : o->sel.models.n ? o->sel.models.items[0]
                                          : "";
    int shown = 0;
    for (uint32_t i = 0; i < p->n_nodes; i++) {
        const pnode *n = &p->nodes[i];
        if (!nodeset_has(&selected, i) || !strstr(first, n->name))
            continue;
        if (!shows_rows(n)) {
            mlerr_set(&err, EXIT_SETUP,
                      "not supported yet: previewing %s (%s); show models, "
                      "analyses and tests",
                      n->unique_id, n->type == NODE_SEED ? "a seed" : "not a SQL node");
            goto fail;
        }
        if (!n->compiled_code) {
            mlerr_set(&err, EXIT_SETUP, "%s has no compiled SQL to preview", n->unique_id);
            goto fail;
        }
        if (!preview(c, n->name, n->compiled_code, json, &err))
            goto fail;
        shown++;
    }
    if (shown == 0) {
        mlerr_set(&err, EXIT_SETUP,
                  "no node to preview: --select matched none whose name is in "
                  "'%s'",
                  first);
        mlerr_hint(&err, "run 'mallard ls -s %s' to see what the selection matches", first);
        goto fail;
    }
    goto done;
fail:
    rc = cli_fail(&err);
done:
    if (c)
        db_disconnect(c);
    if (d)
        db_close(d);
    project_free(p);
    mlerr_clear(&err);
    arena_free(&a);
    return rc;
}

const cli_command cmd_show = {
    .name = "show",
    .summary = "Preview the rows of a node or of inline SQL, as dbt show does",
    .usage = "show (-s NODE | --inline SQL) [--limit N] [--output text|json] [--vars YAML]",
    .options = show_options,
    .run = run_show,
    .opts = &show_storage,
    .opts_size = sizeof show_storage,
    .description = "Compiles the selected model, test or analysis (ephemeral models inlined as "
                   "CTEs) or the --inline dbt-SQL, runs it wrapped as 'select * from (...) "
                   "limit N' and prints \"Previewing node 'NAME':\" and the rows as dbt prints "
                   "them (an agate table, or JSON with --output json).  Nothing is "
                   "materialized.",
};
