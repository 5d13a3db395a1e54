/* manifest: dbt's manifest v12 (see manifest.h).
 *
 * The manifest is streamed with json.dumps' separators: node entries are
 * printed straight from the pnodes, the smaller sections through a jv tree
 * in a scratch arena; key order follows dbt's own output so that diffs
 * against a dbt manifest stay readable. */
#include "project/manifest.h"

#include "project/digest.h"
#include "project/parse_pool.h"
#include "util/fs.h"
#include "util/jobctx.h"
#include "util/xalloc.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
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

/* --- nodes, streamed -------------------------------------------------------
 * Nodes are most of the manifest, so their entries are printed straight from
 * the pnode instead of through a jv tree; the bytes are the ones
 * jv_to_json_opts would print for that tree (json.dumps' separators). */
typedef struct jw {
    strbuf *out;
    const jv_json_opts *o;
    bool first;
} jw;

/* KEY(w, "name") writes [, ]"name": with the quotes and colon in the literal. */
#define KEY(w, k) jw_key((w), "\"" k "\": ", sizeof("\"" k "\": ") - 1)
/* LIT takes a string literal only (sizeof gives its length) */
#define LIT(w, l) strbuf_add((w)->out, "" l, sizeof(l) - 1)

static void jw_key(jw *w, const char *quoted, size_t len)
{
    if (!w->first)
        strbuf_add(w->out, ", ", 2);
    w->first = false;
    strbuf_add(w->out, quoted, len);
}

static void jw_str(jw *w, const char *s)
{
    if (s)
        jv_json_string(s, strlen(s), w->o, w->out);
    else
        LIT(w, "null");
}

static void jw_val(jw *w, jv v)
{
    jv_to_json_opts(v, w->o, w->out);
}

static void jw_dict_or_empty(jw *w, jv v)
{
    if (v.kind == JV_DICT)
        jw_val(w, v);
    else
        LIT(w, "{}");
}

static void jw_strs(jw *w, str_list l)
{
    if (l.n == 0) {
        LIT(w, "[]");
        return;
    }
    strbuf_addc(w->out, '[');
    for (uint32_t i = 0; i < l.n; i++) {
        if (i)
            LIT(w, ", ");
        jw_str(w, l.items[i]);
    }
    strbuf_addc(w->out, ']');
}

static void jw_calls(jw *w, const pnode *n)
{
    KEY(w, "refs");
    if (n->n_refs == 0)
        LIT(w, "[]");
    for (uint32_t i = 0; i < n->n_refs; i++) {
        if (i)
            LIT(w, ", {\"name\": ");
        else
            LIT(w, "[{\"name\": ");
        jw_str(w, n->refs[i].name);
        LIT(w, ", \"package\": ");
        jw_str(w, n->refs[i].package);
        LIT(w, ", \"version\": ");
        jw_str(w, n->refs[i].version);
        strbuf_addc(w->out, '}');
    }
    if (n->n_refs)
        strbuf_addc(w->out, ']');
    KEY(w, "sources");
    if (n->n_source_refs == 0)
        LIT(w, "[]");
    for (uint32_t i = 0; i < n->n_source_refs; i++) {
        if (i)
            LIT(w, ", [");
        else
            LIT(w, "[[");
        jw_str(w, n->source_refs[i].source_name);
        LIT(w, ", ");
        jw_str(w, n->source_refs[i].table_name);
        strbuf_addc(w->out, ']');
    }
    if (n->n_source_refs)
        strbuf_addc(w->out, ']');
    KEY(w, "metrics");
    LIT(w, "[]");
}

/* One node (model, seed, test, analysis) as a JSON object. */
static void put_node(strbuf *out, const jv_json_opts *o, const project *p, const pnode *n)
{
    jw w = {out, o, true};
    strbuf_addc(out, '{');
    KEY(&w, "database");
    jw_str(&w, n->database);
    KEY(&w, "schema");
    jw_str(&w, n->schema);
    KEY(&w, "name");
    jw_str(&w, n->name);
    KEY(&w, "resource_type");
    jw_str(&w, node_type_name(n->type));
    KEY(&w, "package_name");
    jw_str(&w, n->package_name);
    KEY(&w, "path");
    jw_str(&w, n->path);
    KEY(&w, "original_file_path");
    jw_str(&w, n->original_file_path);
    KEY(&w, "unique_id");
    jw_str(&w, n->unique_id);
    KEY(&w, "fqn");
    jw_strs(&w, n->fqn);
    KEY(&w, "alias");
    jw_str(&w, n->alias);
    KEY(&w, "checksum");
    LIT(&w, "{\"name\": ");
    jw_str(&w, n->test.kind == TEST_GENERIC ? "none" : "sha256");
    LIT(&w, ", \"checksum\": ");
    jw_str(&w, n->test.kind == TEST_GENERIC ? "" : n->checksum);
    strbuf_addc(out, '}');
    KEY(&w, "config");
    jw_dict_or_empty(&w, n->config);
    KEY(&w, "tags");
    jw_strs(&w, n->tags);
    KEY(&w, "description");
    jw_str(&w, n->description ? n->description : "");
    KEY(&w, "columns");
    jw_dict_or_empty(&w, n->columns);
    KEY(&w, "meta");
    jw_dict_or_empty(&w, n->meta);
    KEY(&w, "group");
    LIT(&w, "null");
    KEY(&w, "docs");
    if (n->docs.kind == JV_DICT)
        jw_val(&w, n->docs);
    else
        LIT(&w, "{\"show\": true, \"node_color\": null}");
    KEY(&w, "patch_path");
    jw_str(&w, n->patch_path);
    KEY(&w, "build_path");
    LIT(&w, "null");
    KEY(&w, "unrendered_config");
    jw_dict_or_empty(&w, n->unrendered_config);
    KEY(&w, "created_at");
    LIT(&w, "0.0");
    KEY(&w, "relation_name");
    jw_str(&w, n->relation_name);
    KEY(&w, "raw_code");
    jw_str(&w, n->raw_code ? n->raw_code : "");
    if (n->type == NODE_SEED) {
        KEY(&w, "root_path");
        jw_str(&w, p->dir);
        KEY(&w, "depends_on");
        LIT(&w, "{\"macros\": ");
        jw_strs(&w, n->depends_on_macros);
        strbuf_addc(out, '}');
        strbuf_addc(out, '}');
        return;
    }
    KEY(&w, "language");
    jw_str(&w, n->language ? n->language : "sql");
    jw_calls(&w, n);
    KEY(&w, "depends_on");
    LIT(&w, "{\"macros\": ");
    jw_strs(&w, n->depends_on_macros);
    LIT(&w, ", \"nodes\": ");
    jw_strs(&w, n->depends_on_nodes);
    strbuf_addc(out, '}');
    KEY(&w, "compiled_path");
    jw_str(&w, n->compiled_path);
    if (n->compiled_code) {
        KEY(&w, "compiled");
        LIT(&w, "true");
        KEY(&w, "compiled_code");
        jw_str(&w, n->compiled_code);
        KEY(&w, "extra_ctes_injected");
        LIT(&w, "true");
        KEY(&w, "extra_ctes");
        LIT(&w, "[]");
    }
    KEY(&w, "contract");
    LIT(&w, "{\"enforced\": false, \"alias_types\": true, \"checksum\": null}");
    if (n->type == NODE_MODEL) {
        KEY(&w, "access");
        LIT(&w, "\"protected\"");
        KEY(&w, "constraints");
        LIT(&w, "[]");
        KEY(&w, "version");
        jw_str(&w, n->version);
        KEY(&w, "latest_version");
        LIT(&w, "null");
        KEY(&w, "deprecation_date");
        LIT(&w, "null");
        KEY(&w, "primary_key");
        LIT(&w, "[]");
    }
    if (n->type == NODE_TEST && n->test.kind == TEST_GENERIC) {
        KEY(&w, "column_name");
        jw_str(&w, n->test.column_name);
        const pnode *t = n->test.attached_node >= 0 ? &p->nodes[n->test.attached_node] : NULL;
        KEY(&w, "file_key_name");
        if (t || n->n_source_refs) {
            strbuf key = STRBUF_INIT;
            if (t)
                strbuf_addf(&key, "%ss.%s", node_type_name(t->type), t->name);
            else
                strbuf_addf(&key, "sources.%s", n->source_refs[0].source_name);
            jv_json_string(key.buf, key.len, o, out);
            strbuf_release(&key);
        } else {
            LIT(&w, "null");
        }
        KEY(&w, "attached_node");
        jw_str(&w, t ? t->unique_id : NULL);
        KEY(&w, "test_metadata");
        jw_val(&w, n->test_metadata);
    }
    strbuf_addc(out, '}');
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

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* parent_map and child_map entries: unique_ids sorted as dbt sorts them.
 * p->nodes is in unique_id order, so sorting the indexes is enough. */
static void put_id_list(strbuf *out, const jv_json_opts *o, const project *p, node_ids ids)
{
    if (ids.n == 0) {
        strbuf_add(out, "[]", 2);
        return;
    }
    uint32_t small[64];
    uint32_t *idx = ids.n <= 64 ? small : xmalloc(ids.n * sizeof(uint32_t));
    memcpy(idx, ids.items, ids.n * sizeof(uint32_t));
    qsort(idx, ids.n, sizeof(uint32_t), cmp_u32);
    strbuf_addc(out, '[');
    for (uint32_t i = 0; i < ids.n; i++) {
        if (i)
            strbuf_add(out, ", ", 2);
        const char *id = p->nodes[idx[i]].unique_id;
        jv_json_string(id, strlen(id), o, out);
    }
    strbuf_addc(out, ']');
    if (idx != small)
        free(idx);
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
        strbuf_add(w->out, ", ", 2);
    w->first = false;
    jv_json_string(key, strlen(key), w->opts, w->out);
    strbuf_add(w->out, ": ", 2);
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

static void print_chunk(chunk_job *job, size_t c)
{
    const project *p = job->p;
    jv_json_opts o = {.indent = -1};
    strbuf *sb = &job->chunks[c];
    uint32_t end = (uint32_t)((c + 1) * CHUNK_NODES);
    if (end > p->n_nodes)
        end = p->n_nodes;
    for (uint32_t i = (uint32_t)(c * CHUNK_NODES); i < end; i++) {
        const pnode *n = &p->nodes[i];
        if (n->type == NODE_SOURCE || n->type == NODE_EXPOSURE)
            continue;
        strbuf_add(sb, ", ", 2);
        jv_json_string(n->unique_id, strlen(n->unique_id), &o, sb);
        strbuf_add(sb, ": ", 2);
        put_node(sb, &o, p, n);
    }
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
    bool threaded = parse_pool_threads(job.n_chunks, 1) > 1 &&
                    job_thread_create(&worker, NULL, chunk_worker, &job) == 0;
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
        if (w->file) {
            /* written as it is, not copied into the output buffer first */
            maybe_flush(w, true);
            if (len && fwrite(text, 1, len, w->file) != len)
                w->failed = true;
        } else {
            strbuf_add(w->out, text, len);
        }
        strbuf_release(sb);
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
        put_key(&w, n->unique_id);
        strbuf_addc(out, '[');
        uint32_t j = i;
        for (; j < p->n_disabled && strcmp(p->disabled[j].unique_id, n->unique_id) == 0; j++) {
            if (j > i)
                strbuf_add(out, ", ", 2);
            if (p->disabled[j].type == NODE_SOURCE)
                jv_to_json_opts(source_json(m, &p->disabled[j]), &o, out);
            else
                put_node(out, &o, p, &p->disabled[j]);
        }
        strbuf_addc(out, ']');
        arena_free(&w.scratch);
        maybe_flush(&w, false);
        i = j;
    }
    close_section(&w);
    open_section(&w, "parent_map");
    for (uint32_t i = 0; i < p->n_nodes; i++) {
        put_key(&w, p->nodes[i].unique_id);
        put_id_list(out, &o, p, p->nodes[i].parents);
        maybe_flush(&w, false);
    }
    close_section(&w);
    open_section(&w, "child_map");
    for (uint32_t i = 0; i < p->n_nodes; i++) {
        put_key(&w, p->nodes[i].unique_id);
        put_id_list(out, &o, p, p->nodes[i].children);
        maybe_flush(&w, false);
    }
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
        /* per thread: routed jobs of one project may write it at once */
        const char *tmp = arena_printf(&a, "%s.tmp.%ld.%ld", path, (long)getpid(), (long)gettid());
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
