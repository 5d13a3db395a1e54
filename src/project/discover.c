/* discover: walks the project's resource paths and turns files into nodes,
 * macros, docs and properties files.
 *
 * Nothing is rendered here.  Macro, test and docs blocks are cut out of
 * their files by scanning for the block tags, as dbt's own block lexer does,
 * so the macro list exists before any template runs. */
#include "project/digest.h"
#include "project/loader.h"
#include "project/parse_pool.h"
#include "util/fs.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

void lnode_vec_push(lnode_vec *v, lnode *n)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 256;
        v->items = xrealloc(v->items, v->cap * sizeof(lnode *));
    }
    v->items[v->n++] = n;
}

lnode *loader_new_node(loader *L, node_type type)
{
    lnode *ln = ARENA_NEW(L->a, lnode);
    ln->n.type = type;
    ln->n.package_name = L->p->name;
    ln->n.enabled = true;
    ln->n.language = "sql";
    ln->n.raw_code = "";
    ln->n.description = "";
    ln->n.line = 1;
    ln->n.test.attached_node = -1;
    ln->n.test.kwargs = jv_undefined(NULL);
    ln->n.columns = jv_dict(L->a);
    ln->n.meta = jv_dict(L->a);
    ln->n.docs = jv_undefined(NULL);
    ln->n.freshness = jv_none();
    ln->n.quoting = jv_undefined(NULL);
    ln->n.config = jv_undefined(NULL);
    ln->yml_config = jv_undefined(NULL);
    ln->sql_config = jv_undefined(NULL);
    ln->initial_tags = jv_undefined(NULL);
    lnode_vec_push(&L->nodes, ln);
    return ln;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a + 1, *(char *const *)b + 1);
}

typedef void (*file_fn)(loader *L, const char *resource_dir, const char *rel_in_resource, bool *ok);

/* Calls fn for every regular file under dir (relative paths, sorted). */
static void walk(loader *L, const char *resource_dir, const char *sub, file_fn fn, bool *ok)
{
    const char *abs_dir =
        fs_join(L->a, L->p->dir, *sub ? fs_join(L->a, resource_dir, sub) : resource_dir);
    DIR *d = opendir(abs_dir);
    if (!d)
        return;
    /* names carry a leading type byte: 'd' directory, 'f' anything else
     * (d_type saves a stat per file; DT_UNKNOWN falls back to one) */
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            names = xrealloc(names, cap * sizeof(char *));
        }
        char kind = e->d_type == DT_DIR                              ? 'd'
                    : e->d_type == DT_UNKNOWN || e->d_type == DT_LNK ? '?'
                                                                     : 'f';
        names[n++] = xasprintf("%c%s", kind, e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(char *), cmp_name);
    for (size_t i = 0; i < n && *ok; i++) {
        const char *name = names[i] + 1;
        const char *rel = *sub ? arena_printf(L->a, "%s/%s", sub, name) : arena_strdup(L->a, name);
        bool is_dir =
            names[i][0] == 'd' || (names[i][0] == '?' && fs_is_dir(fs_join(L->a, abs_dir, name)));
        if (is_dir)
            walk(L, resource_dir, rel, fn, ok);
        else
            fn(L, resource_dir, rel, ok);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static bool has_ext(const char *path, const char *ext)
{
    size_t lp = strlen(path), le = strlen(ext);
    return lp > le && strcmp(path + lp - le, ext) == 0;
}

static char *read_text(loader *L, const char *abs, size_t *len, bool *ok)
{
    strbuf sb = STRBUF_INIT;
    if (!fs_read_file(abs, &sb, L->err)) {
        strbuf_release(&sb);
        *ok = false;
        return NULL;
    }
    char *text = arena_strndup(L->a, strbuf_str(&sb), sb.len);
    if (len)
        *len = sb.len;
    strbuf_release(&sb);
    return text;
}

static void add_yml(loader *L, const char *resource_dir, const char *rel)
{
    const char *full = arena_printf(L->a, "%s/%s", resource_dir, rel);
    for (size_t i = 0; i < L->n_ymls; i++)
        if (strcmp(L->ymls[i].rel, full) == 0)
            return;
    if (L->n_ymls == L->cap_ymls) {
        L->cap_ymls = L->cap_ymls ? L->cap_ymls * 2 : 16;
        L->ymls = xrealloc(L->ymls, L->cap_ymls * sizeof(yml_file));
    }
    L->ymls[L->n_ymls++] = (yml_file){full, fs_join(L->a, L->p->dir, full), resource_dir, NULL};
}

/* fqn: project, the folders under the resource path, then the name. */
static str_list file_fqn(loader *L, const char *rel, const char *name)
{
    size_t parts = 2;
    for (const char *c = rel; *c; c++)
        parts += *c == '/';
    const char **items = ARENA_NEW_ARRAY(L->a, const char *, parts);
    uint32_t k = 0;
    items[k++] = L->p->name;
    const char *start = rel;
    for (const char *c = rel; *c; c++) {
        if (*c == '/') {
            items[k++] = arena_strndup(L->a, start, (size_t)(c - start));
            start = c + 1;
        }
    }
    items[k++] = name;
    return (str_list){items, k};
}

static void file_node(loader *L, node_type type, const char *resource_dir, const char *rel,
                      const char *ext)
{
    const char *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    const char *name = arena_strndup(L->a, base, strlen(base) - strlen(ext));
    lnode *ln = loader_new_node(L, type);
    pnode *n = &ln->n;
    n->name = name;
    n->path = rel;
    n->original_file_path = arena_printf(L->a, "%s/%s", resource_dir, rel);
    n->abs_path = fs_join(L->a, L->p->dir, n->original_file_path);
    n->fqn = file_fqn(L, rel, name);
    n->unique_id = arena_printf(L->a, "%s.%s.%s", node_type_name(type), L->p->name, name);
    ln->resource_dir = resource_dir;
    /* the text and checksum are read later, on all cores (read_node) */
    n->raw_code = NULL;
    if (type == NODE_TEST)
        n->test.kind = TEST_SINGULAR;
}

/* A file node's text and checksum (a seed keeps only its checksum). */
static bool read_node(void *ctx, size_t i, arena *keep, mlerr *err)
{
    pnode *n = &((loader *)ctx)->nodes.items[i]->n;
    strbuf sb = STRBUF_INIT;
    if (!fs_read_file(n->abs_path, &sb, err)) {
        strbuf_release(&sb);
        return false;
    }
    char sum[65];
    digest_sha256_hex(strbuf_str(&sb), sb.len, sum);
    n->checksum = arena_strndup(keep, sum, 64);
    n->raw_code = n->type == NODE_SEED ? "" : arena_strndup(keep, strbuf_str(&sb), sb.len);
    strbuf_release(&sb);
    return true;
}

/* --- block scanning -------------------------------------------------------- */

typedef struct tag {
    const char *start; /* at "{%" */
    const char *end;   /* just past "%}" */
    const char *word;  /* first word inside */
    size_t word_len;
    const char *rest; /* after the word */
} tag;

/* The next {% ... %} tag at or after p, skipping {# #} comments and
 * {% raw %} sections; false at the end of the text. */
static bool next_tag(const char *p, tag *t)
{
    for (;;) {
        const char *s = strstr(p, "{");
        while (s && s[1] != '%' && s[1] != '#')
            s = strchr(s + 1, '{');
        if (!s)
            return false;
        if (s[1] == '#') {
            const char *e = strstr(s + 2, "#}");
            if (!e)
                return false;
            p = e + 2;
            continue;
        }
        const char *e = strstr(s + 2, "%}");
        if (!e)
            return false;
        const char *w = s + 2;
        if (*w == '-' || *w == '+')
            w++;
        while (isspace((unsigned char)*w))
            w++;
        const char *we = w;
        while (isalnum((unsigned char)*we) || *we == '_')
            we++;
        t->start = s;
        t->end = e + 2;
        t->word = w;
        t->word_len = (size_t)(we - w);
        t->rest = we;
        if (t->word_len == 3 && strncmp(w, "raw", 3) == 0) {
            const char *r = t->end;
            tag inner;
            while (next_tag(r, &inner)) {
                if (inner.word_len == 6 && strncmp(inner.word, "endraw", 6) == 0)
                    break;
                r = inner.end;
            }
            p = r == t->end ? t->end : inner.end;
            continue;
        }
        return true;
    }
}

static bool word_is(const tag *t, const char *w)
{
    return t->word_len == strlen(w) && strncmp(t->word, w, t->word_len) == 0;
}

static int line_of(const char *text, const char *at)
{
    int line = 1;
    for (const char *c = text; c < at; c++)
        line += *c == '\n';
    return line;
}

/* The block's name: the identifier after the keyword. */
static const char *block_name(arena *a, const tag *t)
{
    const char *s = t->rest;
    while (isspace((unsigned char)*s))
        s++;
    const char *e = s;
    while (isalnum((unsigned char)*e) || *e == '_')
        e++;
    return e > s ? arena_strndup(a, s, (size_t)(e - s)) : NULL;
}

static void add_macro(loader *L, const pmacro *m)
{
    if (L->n_macros == L->cap_macros) {
        L->cap_macros = L->cap_macros ? L->cap_macros * 2 : 64;
        L->macros = xrealloc(L->macros, L->cap_macros * sizeof(pmacro));
    }
    L->macros[L->n_macros++] = *m;
}

static void add_doc(loader *L, const pdoc *d)
{
    if (L->n_docs == L->cap_docs) {
        L->cap_docs = L->cap_docs ? L->cap_docs * 2 : 16;
        L->docs = xrealloc(L->docs, L->cap_docs * sizeof(pdoc));
    }
    L->docs[L->n_docs++] = *d;
}

/* Finds the end tag of a block opened at open, allowing nesting of the same
 * kind (macros may define macros). */
static bool find_block_end(const tag *open, const char *kind, const char *endkind, tag *close)
{
    int depth = 1;
    const char *p = open->end;
    tag t;
    while (next_tag(p, &t)) {
        if (word_is(&t, kind))
            depth++;
        else if (word_is(&t, endkind) && --depth == 0) {
            *close = t;
            return true;
        }
        p = t.end;
    }
    return false;
}

bool discover_macro_file(loader *L, const char *package, const char *rel, const char *text,
                         const char *resource_dir)
{
    const char *p = text;
    tag t;
    while (next_tag(p, &t)) {
        const char *kind = NULL, *endkind = NULL;
        if (word_is(&t, "macro"))
            kind = "macro", endkind = "endmacro";
        else if (word_is(&t, "test"))
            kind = "test", endkind = "endtest";
        else if (word_is(&t, "materialization"))
            kind = "materialization", endkind = "endmaterialization";
        else if (word_is(&t, "snapshot")) {
            mlerr_at(L->err, EXIT_SETUP, arena_printf(L->a, "%s/%s", resource_dir, rel),
                     line_of(text, t.start), 1, "not supported yet: snapshots");
            return false;
        }
        if (!kind) {
            p = t.end;
            continue;
        }
        tag close;
        int line = line_of(text, t.start);
        const char *name = block_name(L->a, &t);
        if (!name) {
            mlerr_at(L->err, EXIT_SETUP, rel, line, 1, "`{%% %s %%}` needs a name", kind);
            return false;
        }
        if (!find_block_end(&t, kind, endkind, &close)) {
            mlerr_at(L->err, EXIT_SETUP, rel, line, 1,
                     "`{%% %s %s %%}` is never closed: add {%% %s %%}", kind, name, endkind);
            return false;
        }
        if (strcmp(kind, "materialization") == 0) {
            mlerr_at(L->err, EXIT_SETUP, rel, line, 1,
                     "not supported yet: custom materializations ('%s')", name);
            return false;
        }
        pmacro m = {0};
        m.name = strcmp(kind, "test") == 0 ? arena_printf(L->a, "test_%s", name) : name;
        m.package_name = package;
        m.unique_id = arena_printf(L->a, "macro.%s.%s", package, m.name);
        m.original_file_path = arena_printf(L->a, "%s/%s", resource_dir, rel);
        m.path = m.original_file_path;
        m.macro_sql = arena_strndup(L->a, t.start, (size_t)(close.end - t.start));
        m.line = line;
        m.description = "";
        m.arguments = jv_list(L->a);
        m.meta = jv_dict(L->a);
        for (size_t i = 0; i < L->n_macros; i++) {
            if (strcmp(L->macros[i].unique_id, m.unique_id) == 0) {
                mlerr_at(L->err, EXIT_SETUP, m.original_file_path, line, 1,
                         "dbt found two macros named \"%s\" in the project: %s and %s", m.name,
                         L->macros[i].original_file_path, m.original_file_path);
                mlerr_hint(L->err, "rename one of them");
                return false;
            }
        }
        add_macro(L, &m);
        p = close.end;
    }
    return true;
}

static void docs_file(loader *L, const char *resource_dir, const char *rel, const char *text)
{
    const char *p = text;
    tag t;
    while (next_tag(p, &t)) {
        if (!word_is(&t, "docs")) {
            p = t.end;
            continue;
        }
        tag close;
        int line = line_of(text, t.start);
        const char *name = block_name(L->a, &t);
        const char *full = arena_printf(L->a, "%s/%s", resource_dir, rel);
        if (!name || !find_block_end(&t, "docs", "enddocs", &close)) {
            mlerr_at(L->err, EXIT_SETUP, full, line, 1,
                     "a {%% docs %%} block needs a name and an {%% enddocs %%}");
            return;
        }
        const char *s = t.end, *e = close.start;
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        pdoc d = {0};
        d.name = name;
        d.package_name = L->p->name;
        d.unique_id = arena_printf(L->a, "doc.%s.%s", L->p->name, name);
        d.path = rel;
        d.original_file_path = full;
        d.block_contents = arena_strndup(L->a, s, (size_t)(e - s));
        for (size_t i = 0; i < L->n_docs; i++) {
            if (strcmp(L->docs[i].unique_id, d.unique_id) == 0) {
                mlerr_at(L->err, EXIT_SETUP, full, line, 1,
                         "dbt found two docs blocks named \"%s\": %s and %s", name,
                         L->docs[i].original_file_path, full);
                return;
            }
        }
        add_doc(L, &d);
        p = close.end;
    }
}

/* --- per resource path ------------------------------------------------------ */

static bool is_yml(const char *rel)
{
    return has_ext(rel, ".yml") || has_ext(rel, ".yaml");
}

static void model_file(loader *L, const char *dir, const char *rel, bool *ok)
{
    if (has_ext(rel, ".sql"))
        file_node(L, NODE_MODEL, dir, rel, ".sql");
    else if (has_ext(rel, ".py")) {
        mlerr_at(L->err, EXIT_SETUP, arena_printf(L->a, "%s/%s", dir, rel), 1, 1,
                 "not supported yet: Python models");
        *ok = false;
    } else if (is_yml(rel))
        add_yml(L, dir, rel);
}

static void seed_file(loader *L, const char *dir, const char *rel, bool *ok)
{
    if (has_ext(rel, ".csv"))
        file_node(L, NODE_SEED, dir, rel, ".csv");
    else if (is_yml(rel))
        add_yml(L, dir, rel);
}

static void macro_file(loader *L, const char *dir, const char *rel, bool *ok)
{
    if (has_ext(rel, ".sql")) {
        const char *full = arena_printf(L->a, "%s/%s", dir, rel);
        const char *abs = fs_join(L->a, L->p->dir, full);
        char *text = read_text(L, abs, NULL, ok);
        if (text && !discover_macro_file(L, L->p->name, rel, text, dir))
            *ok = false;
    } else if (is_yml(rel))
        add_yml(L, dir, rel);
}

static void test_file(loader *L, const char *dir, const char *rel, bool *ok)
{
    /* tests/generic/ holds {% test %} blocks, parsed as macros */
    if (strncmp(rel, "generic/", 8) == 0 && has_ext(rel, ".sql"))
        macro_file(L, dir, rel, ok);
    else if (has_ext(rel, ".sql"))
        file_node(L, NODE_TEST, dir, rel, ".sql");
    else if (is_yml(rel))
        add_yml(L, dir, rel);
}

static void analysis_file(loader *L, const char *dir, const char *rel, bool *ok)
{
    if (has_ext(rel, ".sql"))
        file_node(L, NODE_ANALYSIS, dir, rel, ".sql");
    else if (is_yml(rel))
        add_yml(L, dir, rel);
}

static void snapshot_file(loader *L, const char *dir, const char *rel, bool *ok)
{
    if (has_ext(rel, ".sql")) {
        const char *full = arena_printf(L->a, "%s/%s", dir, rel);
        char *text = read_text(L, fs_join(L->a, L->p->dir, full), NULL, ok);
        if (text && !discover_macro_file(L, L->p->name, rel, text, dir))
            *ok = false;
    } else if (is_yml(rel))
        add_yml(L, dir, rel);
}

static void md_file(loader *L, const char *dir, const char *rel, bool *ok)
{
    if (!has_ext(rel, ".md"))
        return;
    const char *full = arena_printf(L->a, "%s/%s", dir, rel);
    char *text = read_text(L, fs_join(L->a, L->p->dir, full), NULL, ok);
    if (text) {
        docs_file(L, dir, rel, text);
        *ok = !L->err->set;
    }
}

bool discover_files(loader *L)
{
    project *p = L->p;
    bool ok = true;
    const char *pk = fs_join(L->a, p->dir, "packages.yml");
    const char *dk = fs_join(L->a, p->dir, "dependencies.yml");
    const char *pkfile = fs_is_file(pk) ? pk : fs_is_file(dk) ? dk : NULL;
    if (pkfile) {
        ynode *root = NULL;
        if (!yaml_load_file(L->a, pkfile, &root, L->err))
            return false;
        const ynode *pkgs = root && root->kind == YNODE_MAP ? ymap_get(root, "packages") : NULL;
        if (pkgs && pkgs->kind == YNODE_SEQ && pkgs->n > 0) {
            mlerr_at(L->err, EXIT_SETUP, pkfile, pkgs->line, pkgs->col,
                     "not supported yet: packages");
            return false;
        }
    }
    for (uint32_t i = 0; ok && i < p->macro_paths.n; i++)
        walk(L, p->macro_paths.items[i], "", macro_file, &ok);
    for (uint32_t i = 0; ok && i < p->model_paths.n; i++)
        walk(L, p->model_paths.items[i], "", model_file, &ok);
    for (uint32_t i = 0; ok && i < p->seed_paths.n; i++)
        walk(L, p->seed_paths.items[i], "", seed_file, &ok);
    for (uint32_t i = 0; ok && i < p->test_paths.n; i++)
        walk(L, p->test_paths.items[i], "", test_file, &ok);
    for (uint32_t i = 0; ok && i < p->analysis_paths.n; i++)
        walk(L, p->analysis_paths.items[i], "", analysis_file, &ok);
    for (uint32_t i = 0; ok && i < p->snapshot_paths.n; i++)
        walk(L, p->snapshot_paths.items[i], "", snapshot_file, &ok);
    for (uint32_t i = 0; ok && i < p->docs_paths.n; i++)
        walk(L, p->docs_paths.items[i], "", md_file, &ok);
    ok = ok && !L->err->set;
    /* Every node so far is a file node found before any failure above, so
     * a file that cannot be read is the first error. */
    return parse_pool_run(p, L->a, L->nodes.n, 16, read_node, L, L->err, NULL) && ok;
}
