/* select_eval: turning a sel_spec tree into a set of nodes, as dbt's
 * NodeSelector does.
 *
 * Each criteria yields two sets: the direct nodes (what the method matched,
 * plus its graph operators, plus the tests that indirect selection pulls in)
 * and the "indirect" tests that cautious/buildable selection holds back
 * until all their parents turn up.  Groups combine both sets with their own
 * set operation, then let held-back tests in whose parents are now all
 * selected. */
#include "project/select.h"

#include "util/log.h"

#include <string.h>

nodeset nodeset_new(arena *a, uint32_t n)
{
    nodeset s;
    s.n = n;
    s.bits = ARENA_NEW_ARRAY(a, uint64_t, (n + 63) / 64 + 1);
    return s;
}

static size_t words(const nodeset *s)
{
    return (s->n + 63) / 64;
}

uint32_t nodeset_count(const nodeset *s)
{
    uint32_t c = 0;
    for (size_t w = 0; w < words(s); w++)
        c += (uint32_t)__builtin_popcountll(s->bits[w]);
    return c;
}

static void set_or(nodeset *dst, const nodeset *src)
{
    for (size_t w = 0; w < words(dst); w++)
        dst->bits[w] |= src->bits[w];
}

static void set_and(nodeset *dst, const nodeset *src)
{
    for (size_t w = 0; w < words(dst); w++)
        dst->bits[w] &= src->bits[w];
}

static void set_andnot(nodeset *dst, const nodeset *src)
{
    for (size_t w = 0; w < words(dst); w++)
        dst->bits[w] &= ~src->bits[w];
}

static bool set_equal(const nodeset *a, const nodeset *b)
{
    return memcmp(a->bits, b->bits, words(a) * sizeof(uint64_t)) == 0;
}

static bool set_empty(const nodeset *s)
{
    for (size_t w = 0; w < words(s); w++) {
        if (s->bits[w])
            return false;
    }
    return true;
}

static nodeset set_copy(arena *a, const nodeset *s)
{
    nodeset c = nodeset_new(a, s->n);
    memcpy(c.bits, s->bits, words(s) * sizeof(uint64_t));
    return c;
}

/* dbt's select_parents / select_children: breadth-first, one layer per
 * step, up to depth layers (-1: all).  A start node is in the result only
 * when it is reachable from another start node. */
static nodeset walk(arena *a, const project *p, const nodeset *start, int depth, bool up)
{
    nodeset found = nodeset_new(a, p->n_nodes);
    uint32_t *layer = ARENA_NEW_ARRAY(a, uint32_t, p->n_nodes + 1);
    uint32_t *next = ARENA_NEW_ARRAY(a, uint32_t, p->n_nodes + 1);
    uint32_t n_layer = 0;
    for (uint32_t i = 0; i < p->n_nodes; i++) {
        if (nodeset_has(start, i))
            layer[n_layer++] = i;
    }
    for (int step = 0; n_layer > 0 && (depth < 0 || step < depth); step++) {
        uint32_t n_next = 0;
        for (uint32_t k = 0; k < n_layer; k++) {
            const pnode *node = &p->nodes[layer[k]];
            const node_ids *edges = up ? &node->parents : &node->children;
            for (uint32_t e = 0; e < edges->n; e++) {
                uint32_t j = edges->items[e];
                if (!nodeset_has(&found, j)) {
                    nodeset_add(&found, j);
                    next[n_next++] = j;
                }
            }
        }
        uint32_t *t = layer;
        layer = next;
        next = t;
        n_layer = n_next;
    }
    return found;
}

/* Every parent of test node i is in set. */
static bool parents_within(const project *p, uint32_t i, const nodeset *set)
{
    const node_ids *parents = &p->nodes[i].parents;
    for (uint32_t e = 0; e < parents->n; e++) {
        if (!nodeset_has(set, parents->items[e]))
            return false;
    }
    return true;
}

/* dbt's expand_selection: tests whose parent is selected come along --
 * eagerly (any parent), or only once all (cautious) or all buildable
 * (buildable) parents are selected; the rest wait in *indirect. */
static void expand_selection(arena *a, const project *p, nodeset *direct, nodeset *indirect,
                             sel_indirect mode)
{
    nodeset selected = set_copy(a, direct);
    nodeset selected_and_parents = {0};
    if (mode == SEL_INDIRECT_BUILDABLE) {
        selected_and_parents = walk(a, p, &selected, -1, true);
        set_or(&selected_and_parents, &selected);
        for (uint32_t i = 0; i < p->n_nodes; i++) {
            if (p->nodes[i].type == NODE_SOURCE)
                nodeset_add(&selected_and_parents, i);
        }
    }
    for (uint32_t i = 0; i < p->n_nodes; i++) {
        if (!nodeset_has(&selected, i))
            continue;
        const node_ids *children = &p->nodes[i].children;
        for (uint32_t e = 0; e < children->n; e++) {
            uint32_t t = children->items[e];
            if (p->nodes[t].type != NODE_TEST)
                continue;
            if (mode == SEL_INDIRECT_EAGER || parents_within(p, t, &selected))
                nodeset_add(direct, t);
            else if (mode == SEL_INDIRECT_BUILDABLE && parents_within(p, t, &selected_and_parents))
                nodeset_add(direct, t);
            else if (mode != SEL_INDIRECT_EMPTY)
                nodeset_add(indirect, t);
        }
    }
}

/* dbt's incorporate_indirect_nodes: held-back tests whose parents are now
 * all selected join the group's result. */
static void incorporate_indirect(arena *a, const project *p, nodeset *direct,
                                 const nodeset *indirect, sel_indirect mode)
{
    if (set_equal(direct, indirect))
        return;
    nodeset within;
    if (mode == SEL_INDIRECT_CAUTIOUS) {
        within = set_copy(a, direct);
    } else if (mode == SEL_INDIRECT_BUILDABLE) {
        within = walk(a, p, direct, -1, true);
        set_or(&within, direct);
    } else {
        return;
    }
    for (uint32_t i = 0; i < p->n_nodes; i++) {
        if (nodeset_has(indirect, i) && p->nodes[i].type == NODE_TEST &&
            parents_within(p, i, &within))
            nodeset_add(direct, i);
    }
}

static void warn(sel_context *ctx, const char *msg)
{
    if (ctx->warn)
        ctx->warn(ctx->userdata, msg);
    else
        log_warn("%s", msg);
}

static bool criteria_nodes(sel_context *ctx, const sel_spec *c, nodeset *direct, nodeset *indirect,
                           mlerr *err)
{
    const project *p = ctx->project;
    nodeset collected = nodeset_new(ctx->arena, p->n_nodes);
    if (!sel_method_search(ctx, c, &collected, err))
        return false;
    nodeset selected = set_copy(ctx->arena, &collected);
    if (c->childrens_parents) {
        nodeset base = walk(ctx->arena, p, &collected, -1, false);
        set_or(&base, &collected);
        nodeset up = walk(ctx->arena, p, &base, -1, true);
        set_or(&selected, &base);
        set_or(&selected, &up);
    }
    if (c->parents) {
        nodeset up = walk(ctx->arena, p, &collected, c->parents_depth, true);
        set_or(&selected, &up);
    }
    if (c->children) {
        nodeset down = walk(ctx->arena, p, &collected, c->children_depth, false);
        set_or(&selected, &down);
    }
    *direct = selected;
    *indirect = nodeset_new(ctx->arena, p->n_nodes);
    /* selector: already ran its own selection, exclusions included; and
     * "empty" means exactly what was named. */
    if (c->indirect == SEL_INDIRECT_EMPTY || c->method == SEL_SELECTOR)
        return true;
    expand_selection(ctx->arena, p, direct, indirect, c->indirect);
    return true;
}

static bool select_recursive(sel_context *ctx, const sel_spec *spec, nodeset *direct,
                             nodeset *indirect, mlerr *err)
{
    if (spec->kind == SEL_CRITERIA)
        return criteria_nodes(ctx, spec, direct, indirect, err);

    const project *p = ctx->project;
    nodeset d = nodeset_new(ctx->arena, p->n_nodes);
    nodeset ind = nodeset_new(ctx->arena, p->n_nodes);
    for (size_t k = 0; k < spec->n_items; k++) {
        nodeset cd, ci;
        if (!select_recursive(ctx, spec->items[k], &cd, &ci, err))
            return false;
        set_or(&ci, &cd); /* dbt combines direct | indirect as the indirect set */
        if (k == 0) {
            set_or(&d, &cd);
            set_or(&ind, &ci);
            continue;
        }
        switch (spec->kind) {
        case SEL_UNION:
            set_or(&d, &cd);
            set_or(&ind, &ci);
            break;
        case SEL_INTERSECTION:
            set_and(&d, &cd);
            set_and(&ind, &ci);
            break;
        case SEL_DIFFERENCE:
            set_andnot(&d, &cd);
            set_andnot(&ind, &ci);
            break;
        default:
            break;
        }
    }
    incorporate_indirect(ctx->arena, p, &d, &ind, spec->indirect);
    if (spec->expect_exists && set_empty(&d)) {
        char *msg = arena_printf(
            ctx->arena, "The selection criterion '%s' does not match any enabled nodes", spec->raw);
        warn(ctx, msg);
    }
    *direct = d;
    *indirect = ind;
    return true;
}

bool sel_evaluate(sel_context *ctx, const sel_spec *spec, nodeset *out, mlerr *err)
{
    nodeset direct, indirect;
    if (!select_recursive(ctx, spec, &direct, &indirect, err))
        return false;
    *out = direct;
    return true;
}

bool sel_resolve(sel_context *ctx, const sel_request *req, nodeset *out, mlerr *err)
{
    const sel_spec *spec = NULL;
    if (req->selector) {
        const sel_named *named =
            ctx->selectors ? sel_file_find(ctx->selectors, req->selector) : NULL;
        if (!named) {
            strbuf names = STRBUF_INIT;
            for (size_t i = 0; ctx->selectors && i < ctx->selectors->n; i++)
                strbuf_addf(&names, "%s'%s'", i ? ", " : "", ctx->selectors->items[i].name);
            if (ctx->selectors)
                mlerr_set(err, EXIT_SETUP,
                          "could not find selector named '%s' in %s; expected one of: %s",
                          req->selector, ctx->selectors->path, strbuf_str(&names));
            else
                mlerr_set(err, EXIT_SETUP,
                          "could not find selector named '%s': the project has no selectors.yml",
                          req->selector);
            strbuf_release(&names);
            return false;
        }
        spec = named->spec;
    } else if (req->n_select == 0 && req->n_exclude == 0 && ctx->selectors &&
               sel_file_default(ctx->selectors)) {
        const sel_named *def = sel_file_default(ctx->selectors);
        log_info("Using default selector %s", def->name);
        spec = def->spec;
    } else {
        sel_spec *cli;
        if (!sel_parse_cli(ctx->arena, req->select, req->n_select, req->exclude, req->n_exclude,
                           req->indirect, &cli, err))
            return false;
        spec = cli;
    }
    return sel_evaluate(ctx, spec, out, err);
}
