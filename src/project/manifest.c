/* manifest: dbt's manifest v12 (see manifest.h).
 *
 * The manifest is built as one jv tree in a scratch arena and printed with
 * json.dumps' separators; key order follows dbt's own output so that diffs
 * against a dbt manifest stay readable. */
#include "project/manifest.h"

#include "project/digest.h"
#include "util/fs.h"
#include "util/jobctx.h"
#include "util/xalloc.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct mctx {
    arena *a;
    const project *p;
} mctx;

static jv S(mctx *m, const char *s)
{
    return s ? jv_string(m->a, s) : jv_none();
}

static jv strs(mctx *m, str_list l)
{
    jv out = jv_list(m->a);
    for (uint32_t i = 0; i < l.n; i++)
        jv_list_append(out, jv_string(m->a, l.items[i]));
    return out;
}

static jv or_dict(mctx *m, jv v)
{
    return v.kind == JV_DICT ? v : jv_dict(m->a);
}

static jv docs_of(mctx *m, const pnode *n)
{
    if (n->docs.kind == JV_DICT)
        return n->docs;
    jv d = jv_dict(m->a);
    jv_dict_set_str(d, "show", jv_bool(true));
    jv_dict_set_str(d, "node_color", jv_none());
    return d;
}

static void common_head(mctx *m, jv d, const pnode *n)
{
    jv_dict_set_str(d, "database", S(m, n->database));
    jv_dict_set_str(d, "schema", S(m, n->schema));
    jv_dict_set_str(d, "name", S(m, n->name));
    jv_dict_set_str(d, "resource_type", S(m, node_type_name(n->type)));
    jv_dict_set_str(d, "package_name", S(m, n->package_name));
    jv_dict_set_str(d, "path", S(m, n->path));
    jv_dict_set_str(d, "original_file_path", S(m, n->original_file_path));
    jv_dict_set_str(d, "unique_id", S(m, n->unique_id));
    jv_dict_set_str(d, "fqn", strs(m, n->fqn));
}

/* The ref() and source() calls a node makes, as dbt lists them ("refs",
 * "sources", then the always-empty "metrics"). */
static void put_calls(mctx *m, jv d, const pnode *n)
{
    arena *a = m->a;
    jv refs = jv_list(a);
    for (uint32_t i = 0; i < n->n_refs; i++) {
        jv r = jv_dict(a);
        jv_dict_set_str(r, "name", S(m, n->refs[i].name));
        jv_dict_set_str(r, "package", S(m, n->refs[i].package));
        jv_dict_set_str(r, "version", S(m, n->refs[i].version));
        jv_list_append(refs, r);
    }
    jv_dict_set_str(d, "refs", refs);
    jv srcs = jv_list(a);
    for (uint32_t i = 0; i < n->n_source_refs; i++) {
        jv pair = jv_list(a);
        jv_list_append(pair, S(m, n->source_refs[i].source_name));
        jv_list_append(pair, S(m, n->source_refs[i].table_name));
        jv_list_append(srcs, pair);
    }
    jv_dict_set_str(d, "sources", srcs);
    jv_dict_set_str(d, "metrics", jv_list(a));
}

static jv node_json(mctx *m, const pnode *n)
{
    arena *a = m->a;
    jv d = jv_dict(a);
    common_head(m, d, n);
    jv_dict_set_str(d, "alias", S(m, n->alias));
    jv cs = jv_dict(a);
    jv_dict_set_str(cs, "name", S(m, n->test.kind == TEST_GENERIC ? "none" : "sha256"));
    jv_dict_set_str(cs, "checksum", S(m, n->test.kind == TEST_GENERIC ? "" : n->checksum));
    jv_dict_set_str(d, "checksum", cs);
    jv_dict_set_str(d, "config", or_dict(m, n->config));
    jv_dict_set_str(d, "tags", strs(m, n->tags));
    jv_dict_set_str(d, "description", S(m, n->description ? n->description : ""));
    jv_dict_set_str(d, "columns", or_dict(m, n->columns));
    jv_dict_set_str(d, "meta", or_dict(m, n->meta));
    jv_dict_set_str(d, "group", jv_none());
    jv_dict_set_str(d, "docs", docs_of(m, n));
    jv_dict_set_str(d, "patch_path", S(m, n->patch_path));
    jv_dict_set_str(d, "build_path", jv_none());
    jv_dict_set_str(d, "unrendered_config", or_dict(m, n->unrendered_config));
    jv_dict_set_str(d, "created_at", jv_float(0));
    jv_dict_set_str(d, "relation_name", S(m, n->relation_name));
    jv_dict_set_str(d, "raw_code", S(m, n->raw_code ? n->raw_code : ""));
    jv dep = jv_dict(a);
    jv_dict_set_str(dep, "macros", strs(m, n->depends_on_macros));
    if (n->type == NODE_SEED) {
        jv_dict_set_str(d, "root_path", S(m, m->p->dir));
        jv_dict_set_str(d, "depends_on", dep);
        return d;
    }
    jv_dict_set_str(dep, "nodes", strs(m, n->depends_on_nodes));
    jv_dict_set_str(d, "language", S(m, n->language ? n->language : "sql"));
    put_calls(m, d, n);
    jv_dict_set_str(d, "depends_on", dep);
    jv_dict_set_str(d, "compiled_path", S(m, n->compiled_path));
    if (n->compiled_code) {
        jv_dict_set_str(d, "compiled", jv_bool(true));
        jv_dict_set_str(d, "compiled_code", S(m, n->compiled_code));
        jv_dict_set_str(d, "extra_ctes_injected", jv_bool(true));
        jv_dict_set_str(d, "extra_ctes", jv_list(a));
    }
    jv contract = jv_dict(a);
    jv_dict_set_str(contract, "enforced", jv_bool(false));
    jv_dict_set_str(contract, "alias_types", jv_bool(true));
    jv_dict_set_str(contract, "checksum", jv_none());
    jv_dict_set_str(d, "contract", contract);
    if (n->type == NODE_MODEL) {
        jv_dict_set_str(d, "access", S(m, "protected"));
        jv_dict_set_str(d, "constraints", jv_list(a));
        jv_dict_set_str(d, "version", S(m, n->version));
        jv_dict_set_str(d, "latest_version", jv_none());
        jv_dict_set_str(d, "deprecation_date", jv_none());
        jv_dict_set_str(d, "primary_key", jv_list(a));
    }
    if (n->type == NODE_TEST && n->test.kind == TEST_GENERIC) {
        jv_dict_set_str(d, "column_name", S(m, n->test.column_name));
        const pnode *t = n->test.attached_node >= 0 ? &m->p->nodes[n->test.attached_node] : NULL;
        jv_dict_set_str(d, "file_key_name",
                        t ? jv_string_fmt(a, "%ss.%s", node_type_name(t->type), t->name)
                        : n->n_source_refs
                            ? jv_string_fmt(a, "sources.%s", n->source_refs[0].source_name)
                            : jv_none());
        jv_dict_set_str(d, "attached_node", t ? S(m, t->unique_id) : jv_none());
        jv_dict_set_str(d, "test_metadata", n->test_metadata);
    }
    return d;
}

static jv source_json(mctx *m, const pnode *n)
{
    arena *a = m->a;
    jv d = jv_dict(a);
    common_head(m, d, n);
    jv_dict_set_str(d, "source_name", S(m, n->source_name));
    jv_dict_set_str(d, "source_description", S(m, n->source_description));
    jv_dict_set_str(d, "loader", S(m, n->loader ? n->loader : ""));
    jv_dict_set_str(d, "identifier", S(m, n->identifier));
    jv_dict_set_str(d, "quoting", or_dict(m, n->quoting));
    jv_dict_set_str(d, "loaded_at_field", S(m, n->loaded_at_field));
    jv_dict_set_str(d, "freshness", n->freshness.kind == JV_DICT ? n->freshness : jv_none());
    jv_dict_set_str(d, "external", jv_none());
    jv_dict_set_str(d, "description", S(m, n->description ? n->description : ""));
    jv_dict_set_str(d, "columns", or_dict(m, n->columns));
    jv_dict_set_str(d, "meta", or_dict(m, n->meta));
    jv_dict_set_str(d, "source_meta", or_dict(m, n->source_meta));
    jv_dict_set_str(d, "tags", strs(m, n->tags));
    jv_dict_set_str(d, "config", or_dict(m, n->config));
    jv_dict_set_str(d, "patch_path", jv_none());
    jv_dict_set_str(d, "unrendered_config", or_dict(m, n->unrendered_config));
    jv_dict_set_str(d, "relation_name", S(m, n->relation_name));
    jv_dict_set_str(d, "created_at", jv_float(0));
    return d;
}

static jv exposure_json(mctx *m, const pnode *n)
{
    arena *a = m->a;
    jv d = jv_dict(a);
    jv e = n->exposure;
    jv_dict_set_str(d, "name", S(m, n->name));
    jv_dict_set_str(d, "resource_type", S(m, "exposure"));
    jv_dict_set_str(d, "package_name", S(m, n->package_name));
    jv_dict_set_str(d, "path", S(m, n->path));
    jv_dict_set_str(d, "original_file_path", S(m, n->original_file_path));
    jv_dict_set_str(d, "unique_id", S(m, n->unique_id));
    jv_dict_set_str(d, "fqn", strs(m, n->fqn));
    static const char *const keys[] = {"type", "owner", "label", "maturity", "url", NULL};
    for (size_t i = 0; keys[i]; i++) {
        jv v = e.kind == JV_DICT ? jv_dict_get_str(e, keys[i]) : jv_undefined(NULL);
        jv_dict_set_str(d, keys[i], v.kind == JV_UNDEFINED ? jv_none() : v);
    }
    jv_dict_set_str(d, "description", S(m, n->description ? n->description : ""));
    jv_dict_set_str(d, "meta", or_dict(m, n->meta));
    jv_dict_set_str(d, "tags", strs(m, n->tags));
    jv_dict_set_str(d, "config", or_dict(m, n->config));
    jv_dict_set_str(d, "unrendered_config", or_dict(m, n->unrendered_config));
    jv dep = jv_dict(a);
    jv_dict_set_str(dep, "macros", strs(m, n->depends_on_macros));
    jv_dict_set_str(dep, "nodes", strs(m, n->depends_on_nodes));
    jv_dict_set_str(d, "depends_on", dep);
    put_calls(m, d, n);
    jv_dict_set_str(d, "created_at", jv_float(0));
    return d;
}

static jv macro_json(mctx *m, const pmacro *mac)
{
    arena *a = m->a;
    jv d = jv_dict(a);
    jv_dict_set_str(d, "name", S(m, mac->name));
    jv_dict_set_str(d, "resource_type", S(m, "macro"));
    jv_dict_set_str(d, "package_name", S(m, mac->package_name));
    jv_dict_set_str(d, "path", S(m, mac->path));
    jv_dict_set_str(d, "original_file_path", S(m, mac->original_file_path));
    jv_dict_set_str(d, "unique_id", S(m, mac->unique_id));
    jv_dict_set_str(d, "macro_sql", S(m, mac->macro_sql));
    jv dep = jv_dict(a);
    jv_dict_set_str(dep, "macros", strs(m, mac->depends_on_macros));
    jv_dict_set_str(d, "depends_on", dep);
    jv_dict_set_str(d, "description", S(m, mac->description ? mac->description : ""));
    jv_dict_set_str(d, "meta", or_dict(m, mac->meta));
    jv docs = jv_dict(a);
    jv_dict_set_str(docs, "show", jv_bool(true));
    jv_dict_set_str(docs, "node_color", jv_none());
    jv_dict_set_str(d, "docs", docs);
    jv_dict_set_str(d, "patch_path",
                    mac->patch_path
                        ? jv_string_fmt(a, "%s://%s", mac->package_name, mac->patch_path)
                        : jv_none());
    jv_dict_set_str(d, "arguments", mac->arguments.kind == JV_LIST ? mac->arguments : jv_list(a));
    jv_dict_set_str(d, "created_at", jv_float(0));
    jv_dict_set_str(d, "supported_languages", jv_none());
    return d;
}

static jv id_list(mctx *m, const project *p, node_ids ids)
{
    /* sorted, as dbt sorts parent_map and child_map entries */
    const char **names = ARENA_NEW_ARRAY(m->a, const char *, ids.n ? ids.n : 1);
    for (uint32_t i = 0; i < ids.n; i++)
        names[i] = p->nodes[ids.items[i]].unique_id;
    for (uint32_t i = 1; i < ids.n; i++)
        for (uint32_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            const char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    jv out = jv_list(m->a);
    for (uint32_t i = 0; i < ids.n; i++)
        jv_list_append(out, jv_string(m->a, names[i]));
    return out;
}

/* The manifest is streamed: each entry is built in a scratch arena,
 * printed and freed, so memory stays flat however big the project. */
typedef struct writer {
    strbuf *out;
    arena scratch;
    const jv_json_opts *opts;
    bool first;
    FILE *file; /* when set, out is flushed to it as it fills */
    bool failed;
} writer;

static void maybe_flush(writer *w, bool force)
{
    if (!w->file || (!force && w->out->len < (1u << 20)))
        return;
    if (w->out->len && fwrite(w->out->buf, 1, w->out->len, w->file) != w->out->len)
        w->failed = true;
    strbuf_reset(w->out);
}

static void put_key(writer *w, const char *key)
{
    if (!w->first)
        strbuf_adds(w->out, ", ");
    w->first = false;
    jv_to_json_opts(jv_string(&w->scratch, key), w->opts, w->out);
    strbuf_adds(w->out, ": ");
}

static void put_entry(writer *w, const char *key, jv value)
{
    put_key(w, key);
    jv_to_json_opts(value, w->opts, w->out);
    arena_free(&w->scratch);
    maybe_flush(w, false);
}

/* The nodes section is most of the manifest: two threads print it in
 * chunks (the project is read-only here), and the chunks are written in
 * order. */
enum {
    CHUNK_NODES = 512
};

typedef struct chunk_job {
    const project *p;
    strbuf *chunks; /* one per chunk: ", key: value" entries */
    bool *done;
    size_t n_chunks;
    pthread_mutex_t lock;
    pthread_cond_t ready;
} chunk_job;

static jv node_json(mctx *m, const pnode *n);

static void print_chunk(chunk_job *job, size_t c)
{
    const project *p = job->p;
    jv_json_opts o = {.indent = -1};
    arena scratch = ARENA_INIT;
    mctx m = {&scratch, p};
    strbuf *sb = &job->chunks[c];
    uint32_t end = (uint32_t)((c + 1) * CHUNK_NODES);
    if (end > p->n_nodes)
        end = p->n_nodes;
    for (uint32_t i = (uint32_t)(c * CHUNK_NODES); i < end; i++) {
        const pnode *n = &p->nodes[i];
        if (n->type == NODE_SOURCE || n->type == NODE_EXPOSURE)
            continue;
        strbuf_adds(sb, ", ");
        jv_to_json_opts(jv_string(&scratch, n->unique_id), &o, sb);
        strbuf_adds(sb, ": ");
        jv_to_json_opts(node_json(&m, n), &o, sb);
        arena_free(&scratch);
    }
    arena_free(&scratch);
    pthread_mutex_lock(&job->lock);
    job->done[c] = true;
    pthread_cond_broadcast(&job->ready);
    pthread_mutex_unlock(&job->lock);
}

static void *chunk_worker(void *arg)
{
    chunk_job *job = arg;
    for (size_t c = 1; c < job->n_chunks; c += 2)
        print_chunk(job, c);
    return NULL;
}

static void put_nodes(writer *w, const project *p)
{
    chunk_job job = {.p = p};
    job.n_chunks = (p->n_nodes + CHUNK_NODES - 1) / CHUNK_NODES;
    job.chunks = xcalloc(job.n_chunks + 1, sizeof(strbuf));
    job.done = xcalloc(job.n_chunks + 1, sizeof(bool));
    pthread_mutex_init(&job.lock, NULL);
    pthread_cond_init(&job.ready, NULL);
    pthread_t worker;
    bool threaded = job.n_chunks > 1 && job_thread_create(&worker, NULL, chunk_worker, &job) == 0;
    for (size_t c = 0; c < job.n_chunks; c++) {
        if (!threaded || c % 2 == 0) {
            print_chunk(&job, c);
        } else {
            pthread_mutex_lock(&job.lock);
            while (!job.done[c])
                pthread_cond_wait(&job.ready, &job.lock);
            pthread_mutex_unlock(&job.lock);
        }
        strbuf *sb = &job.chunks[c];
        const char *text = strbuf_str(sb);
        size_t len = sb->len;
        if (len && w->first) { /* the section's first entry has no comma */
            text += 2;
            len -= 2;
        }
        if (len)
            w->first = false;
        strbuf_add(w->out, text, len);
        strbuf_release(sb);
        maybe_flush(w, false);
    }
    if (threaded)
        pthread_join(worker, NULL);
    pthread_mutex_destroy(&job.lock);
    pthread_cond_destroy(&job.ready);
    free(job.chunks);
    free(job.done);
}

static void open_section(writer *w, const char *key)
{
    put_key(w, key);
    strbuf_addc(w->out, '{');
    w->first = true;
}

static void close_section(writer *w)
{
    strbuf_addc(w->out, '}');
    w->first = false;
}

static void write_manifest(const project *p, strbuf *out, FILE *file, bool *failed)
{
    jv_json_opts o = {.indent = -1};
    writer w = {out, ARENA_INIT, &o, true, file, false};
    mctx mc = {&w.scratch, p};
    mctx *m = &mc;
    arena *a = &w.scratch;
    strbuf_addc(out, '{');
    jv meta = jv_dict(a);
    jv_dict_set_str(meta, "dbt_schema_version",
                    S(m, "https://schemas.getdbt.com/dbt/manifest/v12.json"));
    jv_dict_set_str(meta, "dbt_version", S(m, "1.9.0"));
    jv_dict_set_str(meta, "generated_at", S(m, p->generated_at));
    jv_dict_set_str(meta, "invocation_id", S(m, p->invocation_id));
    jv_dict_set_str(meta, "env", jv_dict(a));
    jv_dict_set_str(meta, "project_name", S(m, p->name));
    char md5[33];
    digest_md5_hex(p->name, strlen(p->name), md5);
    jv_dict_set_str(meta, "project_id", S(m, md5));
    jv_dict_set_str(meta, "user_id", jv_none());
    jv_dict_set_str(meta, "send_anonymous_usage_stats", jv_bool(false));
    jv_dict_set_str(meta, "adapter_type", S(m, "duckdb"));
    put_entry(&w, "metadata", meta);

    static const struct {
        const char *section;
        int kind; /* 0 nodes, 1 sources, 2 exposures */
    } sections[] = {{"nodes", 0}, {"sources", 1}, {"macros", 3}, {"docs", 4}, {"exposures", 2}};
    for (size_t s = 0; s < sizeof sections / sizeof *sections; s++) {
        open_section(&w, sections[s].section);
        int kind = sections[s].kind;
        if (kind == 3) {
            for (uint32_t i = 0; i < p->n_macros; i++)
                put_entry(&w, p->macros[i].unique_id, macro_json(m, &p->macros[i]));
        } else if (kind == 4) {
            for (uint32_t i = 0; i < p->n_docs; i++) {
                const pdoc *dc = &p->docs[i];
                jv d = jv_dict(a);
                jv_dict_set_str(d, "name", S(m, dc->name));
                jv_dict_set_str(d, "resource_type", S(m, "doc"));
                jv_dict_set_str(d, "package_name", S(m, dc->package_name));
                jv_dict_set_str(d, "path", S(m, dc->path));
                jv_dict_set_str(d, "original_file_path", S(m, dc->original_file_path));
                jv_dict_set_str(d, "unique_id", S(m, dc->unique_id));
                jv_dict_set_str(d, "block_contents", S(m, dc->block_contents));
                put_entry(&w, dc->unique_id, d);
            }
        } else if (kind == 0) {
            put_nodes(&w, p);
        } else {
            for (uint32_t i = 0; i < p->n_nodes; i++) {
                const pnode *n = &p->nodes[i];
                bool src = n->type == NODE_SOURCE, exp = n->type == NODE_EXPOSURE;
                if (kind == 1 && src)
                    put_entry(&w, n->unique_id, source_json(m, n));
                else if (kind == 2 && exp)
                    put_entry(&w, n->unique_id, exposure_json(m, n));
                else if (kind == 0 && !src && !exp)
                    put_entry(&w, n->unique_id, node_json(m, n));
            }
        }
        close_section(&w);
    }
    static const char *const empty_before[] = {"metrics", "groups", "selectors", NULL};
    for (size_t i = 0; empty_before[i]; i++) {
        open_section(&w, empty_before[i]);
        close_section(&w);
    }
    open_section(&w, "disabled");
    for (uint32_t i = 0; i < p->n_disabled;) {
        /* one list per unique_id (dbt keeps every disabled version) */
        const pnode *n = &p->disabled[i];
        jv l = jv_list(a);
        uint32_t j = i;
        for (; j < p->n_disabled && strcmp(p->disabled[j].unique_id, n->unique_id) == 0; j++)
            jv_list_append(l, p->disabled[j].type == NODE_SOURCE ? source_json(m, &p->disabled[j])
                                                                 : node_json(m, &p->disabled[j]));
        put_entry(&w, n->unique_id, l);
        i = j;
    }
    close_section(&w);
    open_section(&w, "parent_map");
    for (uint32_t i = 0; i < p->n_nodes; i++)
        put_entry(&w, p->nodes[i].unique_id, id_list(m, p, p->nodes[i].parents));
    close_section(&w);
    open_section(&w, "child_map");
    for (uint32_t i = 0; i < p->n_nodes; i++)
        put_entry(&w, p->nodes[i].unique_id, id_list(m, p, p->nodes[i].children));
    close_section(&w);
    static const char *const empty_after[] = {"group_map", "saved_queries", "semantic_models",
                                              "unit_tests", NULL};
    for (size_t i = 0; empty_after[i]; i++) {
        open_section(&w, empty_after[i]);
        close_section(&w);
    }
    strbuf_addc(out, '}');
    arena_free(&w.scratch);
    maybe_flush(&w, true);
    if (failed)
        *failed = w.failed;
}

void manifest_json(const project *p, strbuf *out)
{
    write_manifest(p, out, NULL, NULL);
}

bool manifest_write(const project *p, mlerr *err)
{
    arena a = ARENA_INIT;
    const char *dir = fs_join(&a, p->dir, p->target_path);
    bool ok = fs_mkdir_p(dir, err);
    if (ok) {
        /* streamed to a temporary file, then renamed over the old one */
        const char *path = fs_join(&a, dir, "manifest.json");
        const char *tmp = arena_printf(&a, "%s.tmp.%ld", path, (long)getpid());
        FILE *f = fopen(tmp, "w");
        if (!f) {
            mlerr_set(err, EXIT_SETUP, "%s: cannot write: %s", tmp, strerror(errno));
            ok = false;
        } else {
            strbuf sb = STRBUF_INIT;
            bool failed = false;
            write_manifest(p, &sb, f, &failed);
            strbuf_release(&sb);
            if (fclose(f) != 0 || failed || rename(tmp, path) != 0) {
                mlerr_set(err, EXIT_SETUP, "%s: cannot write: %s", path, strerror(errno));
                unlink(tmp);
                ok = false;
            }
        }
    }
    arena_free(&a);
    return ok;
}
