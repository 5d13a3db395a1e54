/* project_summary: project loading and dbt's "Found ..." line. */
#include "cli/project_summary.h"

#include "util/log.h"

bool cli_load_project(cli_globals *g, arena *a, const char *vars, cli_project *cp, project **out,
                      mlerr *err)
{
    *out = NULL;
    /* the log file first: the project takes its invocation id */
    if (!cli_setup_project(g, a, cp, err) || !cli_log_start(g, cp, err))
        return false;
    return cli_project_load(cp, vars, out, err);
}

bool cli_project_load(const cli_project *cp, const char *vars, project **out, mlerr *err)
{
    *out = NULL;
    project_load_opts opts = {
        .project_dir = cp->project.dir,
        .target = &cp->target,
        .vars_yaml = vars,
    };
    return project_load(&opts, out, err);
}

void cli_log_found(const project *p)
{
    uint32_t count[NODE_TYPE_COUNT] = {0};
    for (uint32_t i = 0; i < p->n_nodes; i++)
        count[p->nodes[i].type]++;
    static const struct {
        node_type t;
        const char *one, *many;
    } order[] = {
        {NODE_MODEL, "model", "models"},          {NODE_SNAPSHOT, "snapshot", "snapshots"},
        {NODE_ANALYSIS, "analysis", "analyses"},  {NODE_SEED, "seed", "seeds"},
        {NODE_TEST, "data test", "data tests"},   {NODE_SOURCE, "source", "sources"},
        {NODE_EXPOSURE, "exposure", "exposures"},
    };
    strbuf sb = STRBUF_INIT;
    strbuf_adds(&sb, "Found ");
    bool first = true;
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        uint32_t c = count[order[i].t];
        if (!c)
            continue;
        strbuf_addf(&sb, "%s%u %s", first ? "" : ", ", c, c == 1 ? order[i].one : order[i].many);
        first = false;
    }
    strbuf_addf(&sb, "%s%u %s", first ? "" : ", ", p->n_macros,
                p->n_macros == 1 ? "macro" : "macros");
    log_info("%s", strbuf_str(&sb));
    strbuf_release(&sb);
}
