/* yaml_tree: libyaml events to an arena tree (see yaml_tree.h). */
#include "util/yaml_tree.h"

#include "util/fs.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct anchor {
    const char *name;
    ynode *node;
} anchor;

/* Children collect in a growable heap array while their parent is open, and
 * move to the arena when it closes. */
typedef struct frame {
    ynode *node;
    ynode **kids;
    size_t n, cap;
    const char *anchor;
} frame;

typedef struct builder {
    arena *a;
    const char *path;
    frame *stack;
    size_t depth, cap;
    anchor *anchors;
    size_t nanchors, anchors_cap;
    ynode **docs;
    size_t ndocs, docs_cap;
    bool first_only;
} builder;

static void set_anchor(builder *b, const char *name, ynode *node)
{
    if (!name)
        return;
    for (size_t i = 0; i < b->nanchors; i++) {
        if (strcmp(b->anchors[i].name, name) == 0) {
            b->anchors[i].node = node;
            return;
        }
    }
    if (b->nanchors == b->anchors_cap) {
        b->anchors_cap = b->anchors_cap ? b->anchors_cap * 2 : 8;
        b->anchors = xrealloc(b->anchors, sizeof(anchor) * b->anchors_cap);
    }
    b->anchors[b->nanchors++] = (anchor){name, node};
}

static ynode *find_anchor(builder *b, const char *name)
{
    for (size_t i = b->nanchors; i > 0; i--) {
        if (strcmp(b->anchors[i - 1].name, name) == 0)
            return b->anchors[i - 1].node;
    }
    return NULL;
}

static void add_child(builder *b, ynode *node)
{
    if (b->depth == 0) {
        if (b->ndocs == b->docs_cap) {
            b->docs_cap = b->docs_cap ? b->docs_cap * 2 : 2;
            b->docs = xrealloc(b->docs, sizeof(ynode *) * b->docs_cap);
        }
        b->docs[b->ndocs++] = node;
        return;
    }
    frame *f = &b->stack[b->depth - 1];
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 8;
        f->kids = xrealloc(f->kids, sizeof(ynode *) * f->cap);
    }
    f->kids[f->n++] = node;
}

static ynode *new_node(builder *b, ynode_kind kind, const yaml_event_t *ev, const char *tag)
{
    ynode *n = ARENA_NEW(b->a, ynode);
    n->kind = kind;
    n->line = (int)ev->start_mark.line + 1;
    n->col = (int)ev->start_mark.column + 1;
    n->tag = tag ? arena_strdup(b->a, tag) : NULL;
    return n;
}

static void push(builder *b, ynode *node, const char *anchor_name)
{
    if (b->depth == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        b->stack = xrealloc(b->stack, sizeof(frame) * b->cap);
    }
    b->stack[b->depth++] = (frame){.node = node, .anchor = anchor_name};
}

static bool is_merge_key(const ynode *k)
{
    return k->kind == YNODE_SCALAR && k->plain && strcmp(k->str, "<<") == 0;
}

static bool map_has_key(ynode **kids, size_t npairs, const ynode *key)
{
    if (key->kind != YNODE_SCALAR)
        return false;
    for (size_t i = 0; i < npairs; i++) {
        const ynode *k = kids[2 * i];
        if (k->kind == YNODE_SCALAR && !is_merge_key(k) && k->len == key->len &&
            memcmp(k->str, key->str, key->len) == 0)
            return true;
    }
    return false;
}

/* Expands "<<: *base" (or a list of them): the merged pairs come first and
 * keys written in the mapping itself win, as in PyYAML. */
static bool resolve_merges(builder *b, frame *f, mlerr *err)
{
    size_t npairs = f->n / 2;
    bool any = false;
    for (size_t i = 0; i < npairs; i++)
        any |= is_merge_key(f->kids[2 * i]);
    if (!any)
        return true;

    ynode **out = NULL;
    size_t nout = 0, cap = 0;
    for (size_t i = 0; i < npairs; i++) {
        ynode *k = f->kids[2 * i], *v = f->kids[2 * i + 1];
        if (!is_merge_key(k))
            continue;
        ynode **sources = &v;
        size_t nsources = 1;
        if (v->kind == YNODE_SEQ) {
            sources = v->items;
            nsources = v->n;
        }
        for (size_t s = 0; s < nsources; s++) {
            ynode *src = sources[s];
            if (src->kind != YNODE_MAP) {
                mlerr_at(err, EXIT_SETUP, b->path, src->line, src->col,
                         "a merge key (<<) needs a mapping or a list of mappings, not a %s",
                         ynode_kind_name(src));
                free(out);
                return false;
            }
            for (size_t j = 0; j < src->n; j++) {
                ynode *sk = src->items[2 * j];
                if (map_has_key(f->kids, npairs, sk) || map_has_key(out, nout / 2, sk))
                    continue;
                if (nout + 2 > cap) {
                    cap = cap ? cap * 2 : 16;
                    out = xrealloc(out, sizeof(ynode *) * cap);
                }
                out[nout++] = sk;
                out[nout++] = src->items[2 * j + 1];
            }
        }
    }
    for (size_t i = 0; i < npairs; i++) {
        if (is_merge_key(f->kids[2 * i]))
            continue;
        if (nout + 2 > cap) {
            cap = cap ? cap * 2 : 16;
            out = xrealloc(out, sizeof(ynode *) * cap);
        }
        out[nout++] = f->kids[2 * i];
        out[nout++] = f->kids[2 * i + 1];
    }
    free(f->kids);
    f->kids = out;
    f->n = nout;
    f->cap = cap;
    return true;
}

static bool pop(builder *b, mlerr *err)
{
    frame *f = &b->stack[b->depth - 1];
    if (f->node->kind == YNODE_MAP && !resolve_merges(b, f, err))
        return false;
    f->node->n = f->node->kind == YNODE_MAP ? f->n / 2 : f->n;
    f->node->items = ARENA_NEW_ARRAY(b->a, ynode *, f->n ? f->n : 1);
    if (f->n)
        memcpy(f->node->items, f->kids, sizeof(ynode *) * f->n);
    free(f->kids);
    ynode *node = f->node;
    set_anchor(b, f->anchor, node);
    b->depth--;
    add_child(b, node);
    return true;
}

static void parser_error(builder *b, yaml_parser_t *p, mlerr *err)
{
    const char *problem = p->problem ? p->problem : "invalid YAML";
    int line = (int)p->problem_mark.line + 1;
    int col = (int)p->problem_mark.column + 1;
    if (p->context) {
        mlerr_at(err, EXIT_SETUP, b->path, line, col, "%s %s (line %d, column %d)", p->context,
                 problem, (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    } else {
        mlerr_at(err, EXIT_SETUP, b->path, line, col, "%s", problem);
    }
    mlerr_hint(err, "fix the YAML syntax at that position (check indentation and quoting)");
}

static bool parse_stream(builder *b, const char *text, size_t len, mlerr *err)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        mlerr_set(err, EXIT_SETUP, "%s: cannot initialise the YAML parser", b->path);
        return false;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    bool ok = true, done = false;
    while (ok && !done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            parser_error(b, &parser, err);
            ok = false;
            break;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            b->nanchors = 0;
            break;
        case YAML_DOCUMENT_END_EVENT:
            if (b->first_only)
                done = true;
            break;
        case YAML_SCALAR_EVENT: {
            ynode *n = new_node(b, YNODE_SCALAR, &ev, (const char *)ev.data.scalar.tag);
            n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev.data.scalar.tag;
            n->str = arena_strndup(b->a, (const char *)ev.data.scalar.value, ev.data.scalar.length);
            n->len = ev.data.scalar.length;
            set_anchor(
                b, ev.data.scalar.anchor ? arena_strdup(b->a, (char *)ev.data.scalar.anchor) : NULL,
                n);
            add_child(b, n);
            break;
        }
        case YAML_SEQUENCE_START_EVENT:
            push(b, new_node(b, YNODE_SEQ, &ev, (const char *)ev.data.sequence_start.tag),
                 ev.data.sequence_start.anchor
                     ? arena_strdup(b->a, (char *)ev.data.sequence_start.anchor)
                     : NULL);
            break;
        case YAML_MAPPING_START_EVENT:
            push(b, new_node(b, YNODE_MAP, &ev, (const char *)ev.data.mapping_start.tag),
                 ev.data.mapping_start.anchor
                     ? arena_strdup(b->a, (char *)ev.data.mapping_start.anchor)
                     : NULL);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            ok = pop(b, err);
            break;
        case YAML_ALIAS_EVENT: {
            ynode *target = find_anchor(b, (const char *)ev.data.alias.anchor);
            if (!target) {
                mlerr_at(err, EXIT_SETUP, b->path, (int)ev.start_mark.line + 1,
                         (int)ev.start_mark.column + 1, "unknown alias *%s",
                         (const char *)ev.data.alias.anchor);
                ok = false;
            } else {
                add_child(b, target);
            }
            break;
        }
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    /* Tear down whatever an error left open. */
    while (b->depth > 0)
        free(b->stack[--b->depth].kids);
    yaml_parser_delete(&parser);
    return ok;
}

static void builder_free(builder *b)
{
    free(b->stack);
    free(b->anchors);
    free(b->docs);
}

bool yaml_parse(arena *a, const char *path, const char *text, size_t len, ynode **root, mlerr *err)
{
    builder b = {.a = a, .path = path, .first_only = true};
    bool ok = parse_stream(&b, text, len, err);
    *root = ok && b.ndocs > 0 ? b.docs[0] : NULL;
    builder_free(&b);
    return ok;
}

bool yaml_parse_all(arena *a, const char *path, const char *text, size_t len, ynode ***docs,
                    size_t *ndocs, mlerr *err)
{
    builder b = {.a = a, .path = path};
    bool ok = parse_stream(&b, text, len, err);
    *ndocs = 0;
    *docs = NULL;
    if (ok) {
        *docs = ARENA_NEW_ARRAY(a, ynode *, b.ndocs ? b.ndocs : 1);
        for (size_t i = 0; i < b.ndocs; i++) {
            if (b.docs[i])
                (*docs)[(*ndocs)++] = b.docs[i];
        }
    }
    builder_free(&b);
    return ok;
}

bool yaml_load_file(arena *a, const char *path, ynode **root, mlerr *err)
{
    strbuf text = STRBUF_INIT;
    if (!fs_read_file(path, &text, err)) {
        strbuf_release(&text);
        return false;
    }
    bool ok = yaml_parse(a, path, strbuf_str(&text), text.len, root, err);
    strbuf_release(&text);
    return ok;
}

ynode *ymap_get(const ynode *map, const char *key)
{
    if (!map || map->kind != YNODE_MAP)
        return NULL;
    size_t kl = strlen(key);
    for (size_t i = map->n; i > 0; i--) {
        const ynode *k = YMAP_KEY(map, i - 1);
        if (k->kind == YNODE_SCALAR && k->len == kl && memcmp(k->str, key, kl) == 0)
            return YMAP_VAL(map, i - 1);
    }
    return NULL;
}

static bool str_in(const char *s, const char *const *set)
{
    for (; *set; set++) {
        if (strcmp(s, *set) == 0)
            return true;
    }
    return false;
}

static const char *const null_words[] = {"", "~", "null", "Null", "NULL", NULL};
static const char *const true_words[] = {"yes",  "Yes", "YES", "true", "True",
                                         "TRUE", "on",  "On",  "ON",   NULL};
static const char *const false_words[] = {"no",    "No",  "NO",  "false", "False",
                                          "FALSE", "off", "Off", "OFF",   NULL};

/* Copies s without '_' (YAML 1.1 digit separators) into buf. */
static bool strip_underscores(const char *s, char *buf, size_t cap)
{
    size_t j = 0;
    for (; *s; s++) {
        if (*s == '_')
            continue;
        if (j + 1 >= cap)
            return false;
        buf[j++] = *s;
    }
    buf[j] = '\0';
    return true;
}

static bool parse_int(const char *s, int64_t *out)
{
    char buf[128];
    if (!*s || !strip_underscores(s, buf, sizeof(buf)))
        return false;
    const char *p = buf;
    bool neg = false;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (!*p)
        return false;
    int base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    } else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B')) {
        base = 2;
        p += 2;
    } else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O')) {
        base = 8;
        p += 2;
    } else if (p[0] == '0' && p[1]) {
        base = 8;
        p++;
    }
    if (!*p)
        return false;
    for (const char *q = p; *q; q++) {
        int d = isdigit((unsigned char)*q)    ? *q - '0'
                : isxdigit((unsigned char)*q) ? tolower((unsigned char)*q) - 'a' + 10
                                              : 99;
        if (d >= base)
            return false;
    }
    errno = 0;
    unsigned long long v = strtoull(p, NULL, base);
    if (errno == ERANGE || v > (unsigned long long)INT64_MAX + (neg ? 1 : 0))
        return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

static bool parse_float(const char *s, double *out)
{
    if (str_in(s, (const char *const[]){".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL})) {
        *out = INFINITY;
        return true;
    }
    if (str_in(s, (const char *const[]){"-.inf", "-.Inf", "-.INF", NULL})) {
        *out = -INFINITY;
        return true;
    }
    if (str_in(s, (const char *const[]){".nan", ".NaN", ".NAN", NULL})) {
        *out = NAN;
        return true;
    }
    /* PyYAML: [-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+][0-9]+)?  -- a dot is
     * required, so "1e3" stays a string, as it does for dbt. */
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    while (isdigit((unsigned char)*p) || (*p == '_' && p != s))
        p++;
    if (*p != '.')
        return false;
    p++;
    while (isdigit((unsigned char)*p) || *p == '_')
        p++;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p != '+' && *p != '-')
            return false;
        p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p || strcmp(s, ".") == 0 || strcmp(s, "+.") == 0 || strcmp(s, "-.") == 0)
        return false;
    char buf[128];
    if (!strip_underscores(s, buf, sizeof(buf)))
        return false;
    *out = strtod(buf, NULL);
    return true;
}

yscalar_type yscalar_resolve(const ynode *n)
{
    if (!n)
        return YSCALAR_NULL;
    if (n->kind != YNODE_SCALAR || !n->plain) {
        if (n->tag && n->kind == YNODE_SCALAR) {
            if (strcmp(n->tag, "tag:yaml.org,2002:int") == 0)
                return YSCALAR_INT;
            if (strcmp(n->tag, "tag:yaml.org,2002:float") == 0)
                return YSCALAR_FLOAT;
            if (strcmp(n->tag, "tag:yaml.org,2002:bool") == 0)
                return YSCALAR_BOOL;
            if (strcmp(n->tag, "tag:yaml.org,2002:null") == 0)
                return YSCALAR_NULL;
        }
        return YSCALAR_STR;
    }
    int64_t i;
    double f;
    if (str_in(n->str, null_words))
        return YSCALAR_NULL;
    if (str_in(n->str, true_words) || str_in(n->str, false_words))
        return YSCALAR_BOOL;
    if (parse_int(n->str, &i))
        return YSCALAR_INT;
    if (parse_float(n->str, &f))
        return YSCALAR_FLOAT;
    return YSCALAR_STR;
}

bool yscalar_is_null(const ynode *n)
{
    return !n || (n->kind == YNODE_SCALAR && yscalar_resolve(n) == YSCALAR_NULL);
}

bool yscalar_bool(const ynode *n, bool *out)
{
    if (!n || n->kind != YNODE_SCALAR || yscalar_resolve(n) != YSCALAR_BOOL)
        return false;
    *out = str_in(n->str, true_words);
    return true;
}

bool yscalar_int(const ynode *n, int64_t *out)
{
    if (!n || n->kind != YNODE_SCALAR || yscalar_resolve(n) != YSCALAR_INT)
        return false;
    return parse_int(n->str, out);
}

bool yscalar_float(const ynode *n, double *out)
{
    if (!n || n->kind != YNODE_SCALAR)
        return false;
    yscalar_type t = yscalar_resolve(n);
    int64_t i;
    if (t == YSCALAR_INT && parse_int(n->str, &i)) {
        *out = (double)i;
        return true;
    }
    return t == YSCALAR_FLOAT && parse_float(n->str, out);
}

const char *ynode_kind_name(const ynode *n)
{
    if (!n)
        return "null";
    switch (n->kind) {
    case YNODE_MAP:
        return "mapping";
    case YNODE_SEQ:
        return "sequence";
    default:
        switch (yscalar_resolve(n)) {
        case YSCALAR_NULL:
            return "null";
        case YSCALAR_BOOL:
            return "boolean";
        case YSCALAR_INT:
            return "integer";
        case YSCALAR_FLOAT:
            return "number";
        default:
            return "string";
        }
    }
}
