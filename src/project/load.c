/* load: project_load, the order in which a project is read.
 *
 *   dbt_project.yml -> resource files -> properties YAML -> rendering with
 *   execute=false (refs, sources, config()) -> configs -> relation names ->
 *   graph (order, edges, cycles)
 *
 * Each stage lives in its own file; this one only sequences them and owns
 * the loader's scratch state. */
#include "project/graph_index.h"
#include "project/loader.h"
#include "project/parse_render.h"
#include "util/log.h"
#include "util/uuid.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void make_invocation_id(project *p)
{
    /* dbt's invocation_id: the one the log file's block is headed with
     * when a command opened it, so dbt.log and run_results.json agree */
    char id[37];
    if (!log_invocation_id(id))
        uuid4_string(id);
    p->invocation_id = arena_strdup(&p->arena, id);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    p->generated_at = arena_printf(&p->arena, "%s.%06ldZ", when, (long)tv.tv_usec);
    p->run_started_at = arena_printf(&p->arena, "%s.%06ld+00:00", when, (long)tv.tv_usec);
    p->started_sec = (int64_t)tv.tv_sec;
    p->started_usec = (long)tv.tv_usec;
}

static void index_names(loader *L)
{
    for (size_t i = 0; i < L->nodes.n; i++) {
        const pnode *n = &L->nodes.items[i]->n;
        char key[512];
        snprintf(key, sizeof key, "%d:%s", (int)n->type, n->name);
        if (strmap_get(&L->node_names, key) < 0)
            strmap_put(&L->node_names, arena_strdup(L->a, key), (int32_t)i, NULL);
    }
}

/* database, schema, alias and relation name, by dbt's default
 * generate_*_name rules (a project override is rendered instead). */
static bool resolve_names(loader *L)
{
    project *p = L->p;
    for (size_t i = 0; i < L->nodes.n; i++) {
        lnode *ln = L->nodes.items[i];
        pnode *n = &ln->n;
        if (n->type == NODE_SOURCE) {
            if (!n->database)
                n->database = p->target_database;
            n->alias = n->identifier;
            n->relation_name =
                arena_printf(L->a, "\"%s\".\"%s\".\"%s\"", n->database, n->schema, n->identifier);
            continue;
        }
        if (!parse_render_names(L, ln))
            return false;
        bool has_relation =
            n->type == NODE_MODEL || n->type == NODE_SEED || n->type == NODE_SNAPSHOT;
        if (has_relation && !(n->materialized && strcmp(n->materialized, "ephemeral") == 0))
            n->relation_name =
                arena_printf(L->a, "\"%s\".\"%s\".\"%s\"", n->database, n->schema, n->alias);
    }
    return true;
}

/* Renders on many threads read these; mutation from a template (say
 * model.config.update()) must fail instead of racing. */
static void freeze_nodes(pnode *nodes, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        pnode *x = &nodes[i];
        jv all[] = {x->config,   x->unrendered_config, x->columns,      x->meta,
                    x->docs,     x->test.kwargs,       x->freshness,    x->quoting,
                    x->exposure, x->source_meta,       x->test_metadata};
        for (size_t k = 0; k < sizeof all / sizeof *all; k++)
            jv_freeze(all[k]);
    }
}

static void loader_release(loader *L)
{
    free(L->nodes.items);
    free(L->macros);
    free(L->docs);
    free(L->ymls);
    free(L->test_jobs);
    free(L->level_cache);
    strmap_free(&L->node_names);
}

bool project_load(const project_load_opts *opts, project **out, mlerr *err)
{
    project *p = xcalloc(1, sizeof(project));
    loader L = {0};
    L.p = p;
    L.a = &p->arena;
    L.err = err;
    *out = NULL;
    p->target = opts->target;
    p->target_database = opts->target && opts->target->database ? opts->target->database : "memory";
    p->target_schema = opts->target && opts->target->schema ? opts->target->schema : "main";
    p->cli_vars = jv_undefined(NULL);
    make_invocation_id(p);
    bool ok = dbt_project_file_load(&p->arena, opts->project_dir, &p->file, err);
    if (ok) {
        p->name = p->file.name;
        p->dir = p->file.dir;
        L.project_path = p->file.path;
        ok = settings_load(&L, opts->vars_yaml) && discover_files(&L);
    }
    if (ok) {
        index_names(&L);
        /* the dbt context comes first: properties YAML values may use Jinja */
        ok = parse_render_begin(&L) && properties_apply(&L) && parse_render_nodes(&L);
    }
    ok = ok && config_resolve_all(&L);
    for (size_t i = 0; ok && i < L.nodes.n; i++) {
        lnode *ln = L.nodes.items[i];
        if (ln->patch_file)
            ln->n.patch_path = arena_printf(L.a, "%s://%s", p->name, ln->patch_file);
    }
    ok = ok && resolve_names(&L) && graph_partition(&L) && graph_build(&L) &&
         parse_render_finish(&L);
    if (ok) {
        freeze_nodes(p->nodes, p->n_nodes);
        freeze_nodes(p->disabled, p->n_disabled);
    }
    loader_release(&L);
    if (!ok) {
        /* a project that does not load stops the invocation, as in dbt */
        err->exit_code = EXIT_SETUP;
        project_free(p);
        return false;
    }
    *out = p;
    return true;
}

void project_free(project *p)
{
    if (!p)
        return;
    parse_render_free(p);
    project_index_free(p->index);
    for (size_t i = 0; i < p->n_side_arenas; i++)
        arena_free(&p->side_arenas[i]);
    free(p->side_arenas);
    arena_free(&p->arena);
    free(p);
}
