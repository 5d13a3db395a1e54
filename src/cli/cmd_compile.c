/* cmd_compile: `mallard compile` -- render the selected nodes' SQL into
 * target/compiled/<project>/<path>, as dbt compile does. */
#include "cli/cli.h"
#include "cli/project_summary.h"
#include "cli/select_args.h"
#include "project/compile.h"
#include "project/manifest.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>

static struct {
    cli_selection sel;
    const char *vars;
} opt;

static const cli_option compile_options[] = {
    CLI_SELECTION_OPTIONS(opt.sel),
    {"vars", 0, OPT_STRING, &opt.vars, NULL, "YAML", "project variables, as a YAML dict"},
    {0},
};

static int run_compile(cli_globals *g, int argc, const char **argv)
{
    if (argc > 0) {
        fprintf(stderr, "mallard compile: unexpected argument '%s'\n", argv[0]);
        fprintf(stderr, "  hint: select nodes with -s/--select, as in 'mallard compile -s %s'\n",
                argv[0]);
        return EXIT_SETUP;
    }
    mlerr err = MLERR_INIT;
    arena a = ARENA_INIT;
    cli_project cp;
    project *p = NULL;
    int rc = EXIT_OK;
    nodeset selected;
    if (!cli_load_project(g, &a, opt.vars, &cp, &p, &err))
        goto fail;
    cli_log_found(p);
    if (!cli_select_nodes(&opt.sel, p, &a, &selected, &err))
        goto fail;
    log_info("Concurrency: %d threads (target='%s')", cp.target.threads,
             cp.target.target_name ? cp.target.target_name : "dev");
    if (!project_compile(p, &selected, true, &err) || !manifest_write(p, &err))
        goto fail;
    /* dbt prints the SQL of each compiled node whose name appears in the
     * first --select argument (CompileTask.task_end_messages) */
    const char *first = opt.sel.select.n   ? opt.sel.select.items[0]
                        : opt.sel.models.n ? opt.sel.models.items[0]
                                           : NULL;
    for (uint32_t i = 0; first && i < p->n_nodes; i++) {
        const pnode *n = &p->nodes[i];
        if (!nodeset_has(&selected, i) || !n->compiled_code || !strstr(first, n->name))
            continue;
        log_info("Compiled node '%s' is:", n->name);
        fputs(n->compiled_code, stdout);
        fputc('\n', stdout);
        fflush(stdout);
    }
    goto done;
fail:
    rc = cli_fail(&err);
done:
    project_free(p);
    mlerr_clear(&err);
    arena_free(&a);
    return rc;
}

const cli_command cmd_compile = {
    .name = "compile",
    .summary = "Render the selected nodes' SQL into target/compiled",
    .usage = "compile [-s SPEC...] [--exclude SPEC...] [--selector NAME] [--vars YAML]",
    .options = compile_options,
    .run = run_compile,
    .description = "Renders each selected model, test and analysis with execute=true, inlines "
                   "ephemeral models as __dbt__cte__ CTEs, and writes the SQL to "
                   "target/compiled/<project>/<path>, where dbt writes it.  Also writes "
                   "target/manifest.json.",
};
