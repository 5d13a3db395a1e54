/* profile: profiles.yml -> the dbt_target a run connects with. */
#include "project/profile.h"

#include "project/yaml_render.h"
#include "util/fs.h"
#include "util/jobctx.h"
#include "util/strbuf.h"
#include "util/yaml_tree.h"

#include <stdlib.h>
#include <string.h>

const char *profile_default_dir(arena *a, const char *project_dir)
{
    if (project_dir && fs_is_file(fs_join(a, project_dir, "profiles.yml")))
        return project_dir;
    const char *env = job_getenv("DBT_PROFILES_DIR");
    if (env && *env)
        return fs_absolute(a, env);
    const char *home = job_getenv("HOME");
    return fs_join(a, home && *home ? home : ".", ".dbt");
}

/* "a, b, c" of a mapping's keys, skipping dbt's non-profile `config:`. */
static char *key_list(arena *a, const ynode *map, const char *skip)
{
    strbuf sb = STRBUF_INIT;
    for (size_t i = 0; map && map->kind == YNODE_MAP && i < map->n; i++) {
        const ynode *k = YMAP_KEY(map, i);
        if (k->kind != YNODE_SCALAR || (skip && strcmp(k->str, skip) == 0))
            continue;
        if (sb.len)
            strbuf_adds(&sb, ", ");
        strbuf_adds(&sb, k->str);
    }
    char *out = arena_strdup(a, sb.len ? sb.buf : "(none)");
    strbuf_release(&sb);
    return out;
}

typedef struct reader {
    arena *a;
    const char *file;
    mlerr *err;
} reader;

static bool read_string(reader *r, const ynode *n, const char *key, const char **out)
{
    if (n->kind != YNODE_SCALAR) {
        mlerr_at(r->err, EXIT_SETUP, r->file, n->line, n->col, "`%s` must be a string, not a %s",
                 key, ynode_kind_name(n));
        return false;
    }
    return yaml_render_scalar(r->a, r->file, n, out, r->err);
}

static bool read_threads(reader *r, const ynode *n, int *out)
{
    const char *text;
    if (!read_string(r, n, "threads", &text))
        return false;
    char *end = NULL;
    long v = strtol(text, &end, 10);
    if (end == text || *end || v < 1 || v > 1024) {
        mlerr_at(r->err, EXIT_SETUP, r->file, n->line, n->col,
                 "`threads` must be a whole number from 1 to 1024, not '%s'", text);
        return false;
    }
    *out = (int)v;
    return true;
}

static bool read_extensions(reader *r, const ynode *n, dbt_target *t)
{
    if (n->kind != YNODE_SEQ) {
        mlerr_at(r->err, EXIT_SETUP, r->file, n->line, n->col,
                 "`extensions` must be a list of extension names, not a %s", ynode_kind_name(n));
        return false;
    }
    t->extensions = ARENA_NEW_ARRAY(r->a, const char *, n->n + 1);
    for (size_t i = 0; i < n->n; i++) {
        const ynode *item = n->items[i];
        if (item->kind == YNODE_MAP) {
            mlerr_at(r->err, EXIT_SETUP, r->file, item->line, item->col,
                     "not supported yet: extensions from a custom repository; list the "
                     "extension by name");
            return false;
        }
        if (!read_string(r, item, "extensions", &t->extensions[t->n_extensions]))
            return false;
        t->n_extensions++;
    }
    return true;
}

static bool read_settings(reader *r, const ynode *n, dbt_target *t)
{
    if (n->kind != YNODE_MAP) {
        mlerr_at(r->err, EXIT_SETUP, r->file, n->line, n->col,
                 "`settings` must be a mapping of DuckDB setting names to values, not a %s",
                 ynode_kind_name(n));
        return false;
    }
    t->settings = ARENA_NEW_ARRAY(r->a, dbt_setting, n->n + 1);
    for (size_t i = 0; i < n->n; i++) {
        const ynode *k = YMAP_KEY(n, i), *v = YMAP_VAL(n, i);
        if (k->kind != YNODE_SCALAR || v->kind != YNODE_SCALAR) {
            const ynode *bad = k->kind != YNODE_SCALAR ? k : v;
            mlerr_at(r->err, EXIT_SETUP, r->file, bad->line, bad->col,
                     "each DuckDB setting must be `name: value` with a plain value");
            return false;
        }
        dbt_setting *s = &t->settings[t->n_settings];
        s->key = k->str;
        if (!read_string(r, v, k->str, &s->value))
            return false;
        t->n_settings++;
    }
    return true;
}

/* dbt-duckdb names the database after the file: "dir/jaffle.duckdb" -> "jaffle". */
static const char *database_name(arena *a, const char *path)
{
    if (strcmp(path, ":memory:") == 0)
        return "memory";
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strchr(base, '.');
    return arena_strndup(a, base, dot ? (size_t)(dot - base) : strlen(base));
}

static bool read_target(reader *r, const ynode *output, dbt_target *t)
{
    const ynode *type = ymap_get(output, "type");
    if (!type) {
        mlerr_at(r->err, EXIT_SETUP, r->file, output->line, output->col,
                 "target '%s' has no `type:`", t->target_name);
        mlerr_hint(r->err, "add  type: duckdb");
        return false;
    }
    if (!read_string(r, type, "type", &t->type))
        return false;
    if (strcmp(t->type, "duckdb") != 0) {
        mlerr_at(r->err, EXIT_SETUP, r->file, type->line, type->col,
                 "adapter type '%s' is not supported: Mallard runs dbt projects on DuckDB only",
                 t->type);
        mlerr_hint(r->err, "use a target with  type: duckdb");
        return false;
    }
    t->path = ":memory:";
    t->schema = "main";
    t->threads = 1;
    for (size_t i = 0; i < output->n; i++) {
        const ynode *k = YMAP_KEY(output, i), *v = YMAP_VAL(output, i);
        if (k->kind != YNODE_SCALAR)
            continue;
        const char *key = k->str;
        bool ok = true;
        if (strcmp(key, "path") == 0)
            ok = read_string(r, v, key, &t->path);
        else if (strcmp(key, "schema") == 0)
            ok = read_string(r, v, key, &t->schema);
        else if (strcmp(key, "threads") == 0)
            ok = read_threads(r, v, &t->threads);
        else if (strcmp(key, "extensions") == 0)
            ok = read_extensions(r, v, t);
        else if (strcmp(key, "settings") == 0)
            ok = read_settings(r, v, t);
        if (!ok)
            return false;
    }
    if (!*t->path) {
        const ynode *p = ymap_get(output, "path");
        mlerr_at(r->err, EXIT_SETUP, r->file, p ? p->line : output->line, p ? p->col : output->col,
                 "`path` is empty");
        mlerr_hint(r->err, "give a database file such as  path: warehouse.duckdb, or :memory:");
        return false;
    }
    if (strncmp(t->path, "md:", 3) == 0 || strncmp(t->path, "motherduck:", 11) == 0) {
        const ynode *p = ymap_get(output, "path");
        mlerr_at(r->err, EXIT_SETUP, r->file, p->line, p->col,
                 "not supported: MotherDuck paths; Mallard works on local DuckDB files");
        return false;
    }
    t->abs_path = strcmp(t->path, ":memory:") == 0 ? t->path : fs_absolute(r->a, t->path);
    t->database = database_name(r->a, t->path);
    return true;
}

bool profile_resolve(arena *a, const profile_request *req, dbt_target *out, mlerr *err)
{
    memset(out, 0, sizeof(*out));
    const char *dir = req->profiles_dir && *req->profiles_dir
                          ? fs_absolute(a, req->profiles_dir)
                          : profile_default_dir(a, req->project_dir);
    out->profiles_file = fs_join(a, dir, "profiles.yml");
    out->profile_name = req->profile_name;
    if (!fs_is_file(out->profiles_file)) {
        mlerr_set(err, EXIT_SETUP, "profiles.yml not found: looked for %s", out->profiles_file);
        mlerr_hint(err, "put profiles.yml in the project directory, or point --profiles-dir (or "
                        "DBT_PROFILES_DIR) at the folder that holds it");
        return false;
    }
    ynode *root = NULL;
    if (!yaml_load_file(a, out->profiles_file, &root, err))
        return false;
    reader r = {a, out->profiles_file, err};
    if (!root || root->kind != YNODE_MAP) {
        mlerr_at(err, EXIT_SETUP, out->profiles_file, root ? root->line : 1, root ? root->col : 1,
                 "profiles.yml must be a mapping of profile names to profiles");
        return false;
    }
    if (!req->profile_name || !*req->profile_name) {
        mlerr_set(err, EXIT_SETUP, "dbt_project.yml names no `profile:` to use from %s",
                  out->profiles_file);
        mlerr_hint(err, "add  profile: <name>  to dbt_project.yml (profiles here: %s)",
                   key_list(a, root, "config"));
        return false;
    }
    const ynode *profile = ymap_get(root, req->profile_name);
    if (!profile || strcmp(req->profile_name, "config") == 0) {
        mlerr_set(err, EXIT_SETUP, "%s: Could not find profile named '%s'", out->profiles_file,
                  req->profile_name);
        mlerr_hint(err, "dbt_project.yml asks for profile '%s'; profiles.yml has: %s",
                   req->profile_name, key_list(a, root, "config"));
        return false;
    }
    if (profile->kind != YNODE_MAP) {
        mlerr_at(err, EXIT_SETUP, out->profiles_file, profile->line, profile->col,
                 "profile '%s' must be a mapping with `target:` and `outputs:`", req->profile_name);
        return false;
    }
    const ynode *outputs = ymap_get(profile, "outputs");
    if (!outputs || outputs->kind != YNODE_MAP) {
        mlerr_at(err, EXIT_SETUP, out->profiles_file, outputs ? outputs->line : profile->line,
                 outputs ? outputs->col : profile->col,
                 "profile '%s' needs an `outputs:` mapping of target names to connections",
                 req->profile_name);
        return false;
    }
    if (req->target_name && *req->target_name) {
        out->target_name = req->target_name;
    } else {
        const ynode *t = ymap_get(profile, "target");
        if (!t)
            out->target_name = "default";
        else if (!read_string(&r, t, "target", &out->target_name))
            return false;
    }
    const ynode *output = ymap_get(outputs, out->target_name);
    if (!output) {
        mlerr_at(err, EXIT_SETUP, out->profiles_file, outputs->line, outputs->col,
                 "The profile '%s' does not have a target named '%s'", req->profile_name,
                 out->target_name);
        mlerr_hint(err, "valid targets: %s", key_list(a, outputs, NULL));
        return false;
    }
    if (output->kind != YNODE_MAP) {
        mlerr_at(err, EXIT_SETUP, out->profiles_file, output->line, output->col,
                 "target '%s' must be a mapping (type:, path:, ...)", out->target_name);
        return false;
    }
    return read_target(&r, output, out);
}
