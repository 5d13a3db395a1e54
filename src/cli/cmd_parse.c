/* cmd_parse: `mallard parse` -- load the project, check it, write
 * target/manifest.json. */
#include "cli/cli.h"
#include "cli/project_summary.h"
#include "project/manifest.h"
#include "util/log.h"

#include <stdio.h>

static struct {
    const char *vars;
} opt;

static const cli_option parse_options[] = {
    {"vars", 0, OPT_STRING, &opt.vars, NULL, "YAML", "project variables, as a YAML dict"},
    {0},
};

static int run_parse(cli_globals *g, int argc, const char **argv)
{
    if (argc > 0) {
        fprintf(stderr, "mallard parse: unexpected argument '%s'\n", argv[0]);
        return EXIT_SETUP;
    }
    mlerr err = MLERR_INIT;
    arena a = ARENA_INIT;
    cli_project cp;
    project *p = NULL;
    int rc = EXIT_OK;
    if (!cli_load_project(g, &a, opt.vars, &cp, &p, &err) || !manifest_write(p, &err)) {
        rc = cli_fail(&err);
    } else {
        cli_log_found(p);
        log_info("Wrote %s/manifest.json", p->target_path);
    }
    project_free(p);
    mlerr_clear(&err);
    arena_free(&a);
    return rc;
}

const cli_command cmd_parse = {
    .name = "parse",
    .summary = "Load and check the project, and write target/manifest.json",
    .usage = "parse [--vars YAML]",
    .options = parse_options,
    .run = run_parse,
    .description = "Reads dbt_project.yml, every model, seed, test, macro and properties file, "
                   "renders each node with execute=false to find its refs and configs, checks "
                   "the graph (missing refs, duplicate names, cycles) and writes the manifest "
                   "that dbt docs and other dbt tools read.",
};
