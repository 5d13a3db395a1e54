/* test_select: dbt node selection over a small hand-built project graph.
 *
 * The expected node sets follow dbt's documented semantics (node selection
 * syntax, graph operators, set operators, test selection examples), worked
 * out by hand for this graph:
 *
 *   seed raw_orders ---> stg_orders ---+---> customers ---> exposure dash
 *   source raw.customers -> stg_customers -+      |
 *                                     stg_orders -+--> orders
 *   tests: not_null_customers_id          (customers)
 *          relationships_customers_...    (customers, stg_orders)
 *          assert_positive (singular)     (orders)
 *          source_not_null_raw_customers  (raw.customers)
 */
#include "check.h"
#include "project/select.h"

#include <stdlib.h>

typedef struct spec_node {
    const char *uid;
    const char *name;
    const char *path;
    const char *fqn;  /* dotted */
    const char *tags; /* space separated */
    const char *materialized;
    const char *parents; /* space separated unique ids */
    test_kind test;
    const char *test_name;
    const char *source_name;
} spec_node;

static const spec_node graph_spec[] = {
    {"exposure.shop.dash", "dash", "models/marts/exposures.yml", "shop.marts.dash", "", NULL,
     "model.shop.customers", TEST_NONE, NULL, NULL},
    {"model.shop.customers", "customers", "models/marts/customers.sql", "shop.marts.customers",
     "nightly", "table", "model.shop.stg_customers model.shop.stg_orders", TEST_NONE, NULL, NULL},
    {"model.shop.orders", "orders", "models/marts/orders.sql", "shop.marts.orders", "",
     "incremental", "model.shop.stg_orders", TEST_NONE, NULL, NULL},
    {"model.shop.stg_customers", "stg_customers", "models/staging/stg_customers.sql",
     "shop.staging.stg_customers", "staging", "view", "source.shop.raw.customers", TEST_NONE, NULL,
     NULL},
    {"model.shop.stg_orders", "stg_orders", "models/staging/stg_orders.sql",
     "shop.staging.stg_orders", "staging nightly", "view", "seed.shop.raw_orders", TEST_NONE, NULL,
     NULL},
    {"seed.shop.raw_orders", "raw_orders", "seeds/raw_orders.csv", "shop.raw_orders", "", "seed",
     "", TEST_NONE, NULL, NULL},
    {"source.shop.raw.customers", "customers", "models/staging/sources.yml",
     "shop.staging.raw.customers", "pii", NULL, "", TEST_NONE, NULL, "raw"},
    {"test.shop.assert_positive", "assert_positive", "tests/assert_positive.sql",
     "shop.assert_positive", "", "test", "model.shop.orders", TEST_SINGULAR, NULL, NULL},
    {"test.shop.not_null_customers_id.5c2a", "not_null_customers_id", "models/marts/schema.yml",
     "shop.marts.not_null_customers_id", "", "test", "model.shop.customers", TEST_GENERIC,
     "not_null", NULL},
    {"test.shop.relationships_customers_id__id__ref_stg_orders_.77e1",
     "relationships_customers_id__id__ref_stg_orders_", "models/marts/schema.yml",
     "shop.marts.relationships_customers_id__id__ref_stg_orders_", "", "test",
     "model.shop.customers model.shop.stg_orders", TEST_GENERIC, "relationships", NULL},
    {"test.shop.source_not_null_raw_customers_id.9f0b", "source_not_null_raw_customers_id",
     "models/staging/sources.yml", "shop.staging.source_not_null_raw_customers_id", "", "test",
     "source.shop.raw.customers", TEST_GENERIC, "not_null", NULL},
};
#define N_NODES (sizeof(graph_spec) / sizeof(*graph_spec))

static project P;

static str_list words(arena *a, const char *s, char sep)
{
    str_list l = {0};
    const char **items = ARENA_NEW_ARRAY(a, const char *, strlen(s) + 1);
    uint32_t n = 0;
    const char *start = s;
    for (const char *c = s;; c++) {
        if (*c == sep || !*c) {
            if (c > start)
                items[n++] = arena_strndup(a, start, (size_t)(c - start));
            if (!*c)
                break;
            start = c + 1;
        }
    }
    l.items = items;
    l.n = n;
    return l;
}

static node_type type_of(const char *uid)
{
    if (!strncmp(uid, "model.", 6))
        return NODE_MODEL;
    if (!strncmp(uid, "seed.", 5))
        return NODE_SEED;
    if (!strncmp(uid, "test.", 5))
        return NODE_TEST;
    if (!strncmp(uid, "source.", 7))
        return NODE_SOURCE;
    return NODE_EXPOSURE;
}

static void build_graph(void)
{
    arena *a = &P.arena;
    P.name = "shop";
    P.dir = "/work/shop";
    P.n_nodes = N_NODES;
    P.nodes = ARENA_NEW_ARRAY(a, pnode, N_NODES);
    uint32_t *n_children = calloc(N_NODES, sizeof(uint32_t));
    uint32_t **children = calloc(N_NODES, sizeof(uint32_t *));
    for (uint32_t i = 0; i < N_NODES; i++) {
        const spec_node *s = &graph_spec[i];
        pnode *n = &P.nodes[i];
        n->type = type_of(s->uid);
        n->index = i;
        n->unique_id = s->uid;
        n->name = s->name;
        n->package_name = "shop";
        n->original_file_path = s->path;
        n->fqn = words(a, s->fqn, '.');
        n->tags = words(a, s->tags, ' ');
        n->enabled = true;
        n->source_name = s->source_name;
        n->test.kind = s->test;
        n->test.test_name = s->test_name;
        n->config = jv_dict(a);
        if (n->type != NODE_EXPOSURE) {
            jv_dict_set_str(n->config, "enabled", jv_bool(true));
            jv tags = jv_list(a);
            for (uint32_t t = 0; t < n->tags.n; t++)
                jv_list_append(tags, jv_string(a, n->tags.items[t]));
            jv_dict_set_str(n->config, "tags", tags);
        }
        if (s->materialized)
            jv_dict_set_str(n->config, "materialized", jv_string(a, s->materialized));
        if (n->type == NODE_TEST)
            jv_dict_set_str(n->config, "severity", jv_string(a, "ERROR"));
        if (!strcmp(s->uid, "model.shop.customers")) {
            n->patch_path = "shop://models/marts/schema.yml";
            jv meta = jv_dict(a);
            jv_dict_set_str(meta, "owner", jv_string(a, "ann"));
            jv_dict_set_str(meta, "priority", jv_int(1));
            jv_dict_set_str(n->config, "meta", meta);
            jv_dict_set_str(n->config, "contract_enforced", jv_bool(false));
        }
        str_list parents = words(a, s->parents, ' ');
        uint32_t *pi = ARENA_NEW_ARRAY(a, uint32_t, parents.n + 1);
        for (uint32_t k = 0; k < parents.n; k++) {
            uint32_t j = 0;
            while (j < N_NODES && strcmp(graph_spec[j].uid, parents.items[k]) != 0)
                j++;
            if (j == N_NODES) {
                fprintf(stderr, "bad parent %s\n", parents.items[k]);
                abort();
            }
            pi[k] = j;
            children[j] = realloc(children[j], sizeof(uint32_t) * (n_children[j] + 1));
            children[j][n_children[j]++] = i;
        }
        n->parents.items = pi;
        n->parents.n = parents.n;
        n->depends_on_nodes = parents;
    }
    for (uint32_t i = 0; i < N_NODES; i++) {
        uint32_t *c = ARENA_NEW_ARRAY(a, uint32_t, n_children[i] + 1);
        if (n_children[i])
            memcpy(c, children[i], sizeof(uint32_t) * n_children[i]);
        P.nodes[i].children.items = c;
        P.nodes[i].children.n = n_children[i];
        free(children[i]);
    }
    free(children);
    free(n_children);
}

static strbuf warnings;

static void collect_warning(void *userdata, const char *msg)
{
    strbuf_addf(&warnings, "%s\n", msg);
}

static char result[4096];
static char error[1024];

/* Runs a selection and returns the selected names (sources as src.table),
 * space separated in unique_id order, or "ERROR" with the message in error. */
static const char *run(const char *select, const char *exclude, const char *selector,
                       sel_indirect mode, const sel_file *file)
{
    arena a = ARENA_INIT;
    str_list s = words(&a, select ? select : "", '|');
    str_list x = words(&a, exclude ? exclude : "", '|');
    sel_context ctx = {.project = &P, .selectors = file, .arena = &a, .warn = collect_warning};
    sel_request req = {s.items, s.n, x.items, x.n, selector, mode};
    nodeset out;
    mlerr err = MLERR_INIT;
    result[0] = '\0';
    error[0] = '\0';
    if (!sel_resolve(&ctx, &req, &out, &err)) {
        snprintf(error, sizeof(error), "%s", mlerr_message(&err));
        snprintf(result, sizeof(result), "ERROR");
    } else {
        strbuf sb = STRBUF_INIT;
        for (uint32_t i = 0; i < P.n_nodes; i++) {
            if (!nodeset_has(&out, i))
                continue;
            const pnode *n = &P.nodes[i];
            if (sb.len)
                strbuf_addc(&sb, ' ');
            if (n->type == NODE_SOURCE)
                strbuf_addf(&sb, "%s.%s", n->source_name, n->name);
            else
                strbuf_adds(&sb, n->name);
        }
        snprintf(result, sizeof(result), "%s", strbuf_str(&sb));
        strbuf_release(&sb);
    }
    mlerr_clear(&err);
    arena_free(&a);
    return result;
}

static const char *sel(const char *select)
{
    return run(select, NULL, NULL, SEL_INDIRECT_EAGER, NULL);
}

#define NN  "not_null_customers_id"
#define REL "relationships_customers_id__id__ref_stg_orders_"
#define SRC "raw.customers"
#define SNN "source_not_null_raw_customers_id"

TEST(default_selects_everything)
{
    CHECK_STR(sel(NULL), "dash customers orders stg_customers stg_orders raw_orders " SRC
                         " assert_positive " NN " " REL " " SNN);
}

TEST(plain_names_and_tests_come_along)
{
    /* dbt's eager indirect selection: tests on a selected node come with it. */
    CHECK_STR(sel("customers"), "customers " NN " " REL);
    CHECK_STR(sel("orders"), "orders assert_positive");
    CHECK_STR(sel("raw_orders"), "raw_orders");
    CHECK_STR(sel("dash"), "dash");
    /* A name is never a source: sources are selected with source:. */
    CHECK_STR(sel("nosuch"), "");
    CHECK_CONTAINS(strbuf_str(&warnings),
                   "The selection criterion 'nosuch' does not match any enabled nodes");
}

TEST(fqn_prefixes_and_wildcards)
{
    CHECK_STR(sel("staging"), "stg_customers stg_orders " REL " " SNN);
    CHECK_STR(sel("marts"), "dash customers orders assert_positive " NN " " REL);
    CHECK_STR(sel("shop.staging"), "stg_customers stg_orders " REL " " SNN);
    CHECK_STR(sel("fqn:shop.staging.stg_*"), "stg_customers stg_orders " REL);
    CHECK_STR(sel("fqn:*.stg_?rders"), "stg_orders " REL);
    /* A leading wildcard must match the whole (unscoped) fqn, as in dbt. */
    CHECK_STR(sel("fqn:stg_?rders"), "");
    CHECK_STR(sel("shop.marts.orders"), "orders assert_positive");
    CHECK_STR(sel("fqn:*"), "dash customers orders stg_customers stg_orders raw_orders "
                            "assert_positive " NN " " REL " " SNN);
}

TEST(graph_operators)
{
    CHECK_STR(sel("+customers"),
              "customers stg_customers stg_orders raw_orders " SRC " " NN " " REL " " SNN);
    CHECK_STR(sel("customers+"), "dash customers " NN " " REL);
    CHECK_STR(sel("1+customers"), "customers stg_customers stg_orders " NN " " REL);
    CHECK_STR(sel("stg_orders+1"), "customers orders stg_orders assert_positive " NN " " REL);
    CHECK_STR(sel("2+customers+1"),
              "dash customers stg_customers stg_orders raw_orders " SRC " " NN " " REL " " SNN);
    CHECK_STR(sel("@stg_customers"),
              "dash customers stg_customers stg_orders raw_orders " SRC " " NN " " REL " " SNN);
    CHECK_STR(sel("0+customers"), "customers " NN " " REL);
    CHECK_STR(sel("+source:raw"), SRC " " SNN);
    CHECK_STR(sel("source:raw+"), "dash customers stg_customers " SRC " " NN " " REL " " SNN);
}

TEST(set_operators)
{
    /* Union (space) and intersection (comma). */
    CHECK_STR(sel("customers orders"), "customers orders assert_positive " NN " " REL);
    CHECK_STR(sel("customers|orders"), "customers orders assert_positive " NN " " REL);
    CHECK_STR(sel("tag:nightly,config.materialized:table"), "customers " NN " " REL);
    CHECK_STR(sel("+customers,tag:staging"), "stg_customers stg_orders " REL);
    /* Exclusion removes the excluded node's tests too. */
    CHECK_STR(run("tag:nightly", "customers", NULL, SEL_INDIRECT_EAGER, NULL), "stg_orders");
    CHECK_STR(run(NULL, "marts staging", NULL, SEL_INDIRECT_EAGER, NULL), "raw_orders " SRC);
    CHECK_STR(run("+orders", "tag:staging", NULL, SEL_INDIRECT_EAGER, NULL),
              "orders raw_orders assert_positive");
}

TEST(methods)
{
    CHECK_STR(sel("tag:nightly"), "customers stg_orders " NN " " REL);
    CHECK_STR(sel("tag:night*"), "customers stg_orders " NN " " REL);
    CHECK_STR(sel("tag:pii"), SRC " " SNN);
    CHECK_STR(sel("path:models/staging"), "stg_customers stg_orders " SRC " " REL " " SNN);
    CHECK_STR(sel("models/staging"), "stg_customers stg_orders " SRC " " REL " " SNN);
    CHECK_STR(sel("path:models/staging/"), "stg_customers stg_orders " SRC " " REL " " SNN);
    CHECK_STR(sel("path:./models/staging/stg_orders.sql"), "stg_orders " REL);
    CHECK_STR(sel("path:models/*/stg_*.sql"), "stg_customers stg_orders " REL);
    CHECK_STR(sel("path:models/**/orders.sql"), "orders assert_positive");
    /* A trailing ** names directories only, as pathlib's glob does. */
    CHECK_STR(sel("path:models/staging/**"), "stg_customers stg_orders " SRC " " REL " " SNN);
    CHECK_STR(sel("path:models/*/stg_orders.sql/**"), "");
    CHECK_STR(sel("path:models/stag"), "");
    CHECK_STR(sel("path:/work/shop/seeds"), "raw_orders");
    CHECK_STR(sel("path:tests"), "assert_positive");
    /* A model's properties file selects it too (dbt's patch_path). */
    CHECK_STR(sel("path:models/marts/schema.yml"), "customers " NN " " REL);
    CHECK_STR(sel("path:models/marts/*.yml"), "dash customers " NN " " REL);
    CHECK_STR(sel("file:stg_orders.sql"), "stg_orders " REL);
    CHECK_STR(sel("file:stg_orders"), "stg_orders " REL);
    CHECK_STR(sel("stg_orders.sql"), "stg_orders " REL);
    CHECK_STR(sel("file:schema.yml"), NN " " REL);
    CHECK_STR(sel("package:shop"), "dash customers orders stg_customers stg_orders raw_orders " SRC
                                   " assert_positive " NN " " REL " " SNN);
    CHECK_STR(sel("package:this"), "dash customers orders stg_customers stg_orders raw_orders " SRC
                                   " assert_positive " NN " " REL " " SNN);
    CHECK_STR(sel("package:other"), "");
    CHECK_STR(sel("resource_type:seed"), "raw_orders");
    CHECK_STR(sel("resource_type:source"), SRC " " SNN);
    CHECK_STR(sel("resource_type:test"), "assert_positive " NN " " REL " " SNN);
    CHECK_STR(sel("resource_type:exposure"), "dash");
    CHECK_STR(sel("source:raw"), SRC " " SNN);
    CHECK_STR(sel("source:raw.customers"), SRC " " SNN);
    CHECK_STR(sel("source:shop.raw.cust*"), SRC " " SNN);
    CHECK_STR(sel("source:raw.orders"), "");
    CHECK_STR(sel("exposure:dash"), "dash");
    CHECK_STR(sel("exposure:shop.d*"), "dash");
    CHECK_STR(sel("test_type:generic"), NN " " REL " " SNN);
    CHECK_STR(sel("test_type:singular"), "assert_positive");
    CHECK_STR(sel("test_type:data"), "assert_positive " NN " " REL " " SNN);
    CHECK_STR(sel("test_type:unit"), "");
    CHECK_STR(sel("test_name:not_null"), NN " " SNN);
    CHECK_STR(sel("test_name:rel*"), REL);
    CHECK_STR(sel("test_name:assert_positive"), "");
}

TEST(config_method)
{
    CHECK_STR(sel("config.materialized:view"), "stg_customers stg_orders " REL);
    CHECK_STR(sel("config.materialized:incremental"), "orders assert_positive");
    CHECK_STR(sel("config.meta.owner:ann"), "customers " NN " " REL);
    /* Numbers never equal the selector string, as in dbt. */
    CHECK_STR(sel("config.meta.priority:1"), "");
    /* List values match by membership. */
    CHECK_STR(sel("config.tags:staging"), "stg_customers stg_orders " REL);
    /* Booleans match true/false in any case; exposures have no config here. */
    CHECK_STR(sel("config.contract_enforced:False"), "customers " NN " " REL);
    CHECK_STR(sel("config.enabled:true"),
              "customers orders stg_customers stg_orders raw_orders " SRC " assert_positive " NN
              " " REL " " SNN);
    /* severity alone compares without case. */
    CHECK_STR(sel("config.severity:error"), "assert_positive " NN " " REL " " SNN);
    CHECK_STR(sel("config.materialized:TABLE"), "");
    CHECK_STR(sel("config.nosuch:x"), "");
}

TEST(indirect_selection_modes)
{
    /* relationships needs both customers and stg_orders. */
    CHECK_STR(run("customers", NULL, NULL, SEL_INDIRECT_CAUTIOUS, NULL), "customers " NN);
    CHECK_STR(run("customers", NULL, NULL, SEL_INDIRECT_BUILDABLE, NULL), "customers " NN " " REL);
    CHECK_STR(run("customers", NULL, NULL, SEL_INDIRECT_EMPTY, NULL), "customers");
    CHECK_STR(run("customers stg_orders", NULL, NULL, SEL_INDIRECT_CAUTIOUS, NULL),
              "customers stg_orders " NN " " REL);
    CHECK_STR(run("tag:nightly,config.materialized:table", NULL, NULL, SEL_INDIRECT_CAUTIOUS, NULL),
              "customers " NN);
    /* Tests selected by name stay selected in every mode. */
    CHECK_STR(run("test_type:singular", NULL, NULL, SEL_INDIRECT_EMPTY, NULL), "assert_positive");
}

TEST(bad_selectors)
{
    CHECK_STR(sel("bogus:x"), "ERROR");
    CHECK_CONTAINS(error, "'bogus' is not a valid method name");
    CHECK_CONTAINS(error, "valid methods: fqn, tag");
    CHECK_STR(sel("@customers+"), "ERROR");
    CHECK_CONTAINS(error, "cannot be combined");
    CHECK_STR(sel("customers++"), "ERROR");
    CHECK_CONTAINS(error, "bad graph operator");
    CHECK_STR(sel("+@customers"), "ERROR");
    CHECK_STR(sel("resource_type:table"), "ERROR");
    CHECK_CONTAINS(error, "invalid resource_type selector \"table\"");
    CHECK_STR(sel("source:a.b.c.d"), "ERROR");
    CHECK_CONTAINS(error, "invalid source selector value \"a.b.c.d\"");
    CHECK_STR(sel("test_type:integration"), "ERROR");
    CHECK_STR(sel("config:table"), "ERROR");
    CHECK_CONTAINS(error, "config needs a key");
    CHECK_STR(sel("tag.x:y"), "ERROR");
    CHECK_STR(sel("state:modified"), "ERROR");
    CHECK_CONTAINS(error, "not supported yet");
    CHECK_STR(sel("selector:nightly"), "ERROR");
    CHECK_CONTAINS(error, "selectors.yml");
    CHECK_STR(run(NULL, NULL, "nightly", SEL_INDIRECT_EAGER, NULL), "ERROR");
    CHECK_CONTAINS(error, "could not find selector named 'nightly'");
}

TEST(spec_parsing)
{
    arena a = ARENA_INIT;
    mlerr err = MLERR_INIT;
    sel_spec *s;
    CHECK(sel_parse_one(&a, "2+config.meta.owner:ann+3", SEL_INDIRECT_EAGER, &s, &err));
    CHECK(s->method == SEL_CONFIG && s->n_method_args == 2);
    CHECK_STR(s->method_args[1], "owner");
    CHECK_STR(s->value, "ann");
    CHECK(s->parents && s->parents_depth == 2 && s->children && s->children_depth == 3);
    /* A '+' not followed by digits alone is part of the value... */
    CHECK(sel_parse_one(&a, "path:a+b", SEL_INDIRECT_EAGER, &s, &err));
    CHECK_STR(s->value, "a+b");
    CHECK(!s->children);
    /* ...which no node name can hold. */
    CHECK(!sel_parse_one(&a, "a+b", SEL_INDIRECT_EAGER, &s, &err));
    CHECK_CONTAINS(mlerr_message(&err), "bad graph operator");
    mlerr_clear(&err);
    CHECK(sel_parse_one(&a, "@tag:x", SEL_INDIRECT_EAGER, &s, &err));
    CHECK(s->childrens_parents && !s->parents && s->method == SEL_TAG);
    CHECK(sel_parse_one(&a, "models/a.sql", SEL_INDIRECT_EAGER, &s, &err));
    CHECK(s->method == SEL_PATH);
    CHECK(sel_parse_one(&a, "a.CSV", SEL_INDIRECT_EAGER, &s, &err));
    CHECK(s->method == SEL_FILE);
    CHECK(sel_parse_one(&a, "12", SEL_INDIRECT_EAGER, &s, &err));
    CHECK(s->method == SEL_FQN && !s->parents);
    CHECK_STR(s->value, "12");
    CHECK(!err.set);
    mlerr_clear(&err);
    arena_free(&a);
}

static const char selectors_text[] = "selectors:\n"
                                     "  - name: nightly_marts\n"
                                     "    description: marts built every night\n"
                                     "    definition:\n"
                                     "      union:\n"
                                     "        - tag:nightly\n"
                                     "        - method: fqn\n"
                                     "          value: orders\n"
                                     "        - exclude:\n"
                                     "            - stg_orders\n"
                                     "  - name: upstream\n"
                                     "    default: true\n"
                                     "    definition:\n"
                                     "      method: fqn\n"
                                     "      value: customers\n"
                                     "      parents: true\n"
                                     "      parents_depth: 1\n"
                                     "      indirect_selection: cautious\n"
                                     "  - name: inter\n"
                                     "    definition:\n"
                                     "      intersection:\n"
                                     "        - {tag: nightly}\n"
                                     "        - config.materialized: view\n"
                                     "  - name: nested\n"
                                     "    definition:\n"
                                     "      union:\n"
                                     "        - selector: inter\n"
                                     "        - 'exposure:dash'\n"
                                     "  - name: loop_a\n"
                                     "    definition: 'selector:loop_b'\n"
                                     "  - name: loop_b\n"
                                     "    definition: {selector: loop_a}\n"
                                     "  - name: kids\n"
                                     "    definition:\n"
                                     "      method: source\n"
                                     "      value: raw\n"
                                     "      children: true\n"
                                     "      children_depth: 1\n"
                                     "      exclude: [test_type:generic]\n";

TEST(selectors_yml)
{
    arena a = ARENA_INIT;
    mlerr err = MLERR_INIT;
    sel_file *f = NULL;
    CHECK(sel_file_parse(&a, "/p/selectors.yml", selectors_text, sizeof(selectors_text) - 1,
                         SEL_INDIRECT_EAGER, &f, &err));
    if (err.set)
        fprintf(stderr, "%s\n", mlerr_message(&err));
    if (!f) {
        arena_free(&a);
        return;
    }
    CHECK(f->n == 7);
    CHECK_STR(sel_file_default(f)->name, "upstream");
    CHECK_STR(run(NULL, NULL, "nightly_marts", SEL_INDIRECT_EAGER, f),
              "customers orders assert_positive " NN);
    /* The default selector applies when neither --select nor --exclude is given. */
    CHECK_STR(run(NULL, NULL, NULL, SEL_INDIRECT_EAGER, f),
              "customers stg_customers stg_orders " NN " " REL);
    CHECK_STR(run("orders", NULL, NULL, SEL_INDIRECT_EAGER, f), "orders assert_positive");
    CHECK_STR(run(NULL, NULL, "inter", SEL_INDIRECT_EAGER, f), "stg_orders " REL);
    CHECK_STR(run(NULL, NULL, "nested", SEL_INDIRECT_EAGER, f), "dash stg_orders " REL);
    CHECK_STR(run("selector:inter", NULL, NULL, SEL_INDIRECT_EAGER, f), "stg_orders " REL);
    CHECK_STR(run(NULL, NULL, "kids", SEL_INDIRECT_EAGER, f), "stg_customers " SRC);
    CHECK_STR(run(NULL, NULL, "loop_a", SEL_INDIRECT_EAGER, f), "ERROR");
    CHECK_CONTAINS(error, "circular");
    CHECK_STR(run(NULL, NULL, "nope", SEL_INDIRECT_EAGER, f), "ERROR");
    CHECK_CONTAINS(error, "expected one of: 'nightly_marts', 'upstream'");
    mlerr_clear(&err);
    arena_free(&a);
}

static const char *parse_error(const char *text)
{
    static char msg[1024];
    arena a = ARENA_INIT;
    mlerr err = MLERR_INIT;
    sel_file *f;
    if (sel_file_parse(&a, "/p/selectors.yml", text, strlen(text), SEL_INDIRECT_EAGER, &f, &err))
        snprintf(msg, sizeof(msg), "OK");
    else
        snprintf(msg, sizeof(msg), "%s", mlerr_message(&err));
    mlerr_clear(&err);
    arena_free(&a);
    return msg;
}

TEST(selectors_yml_errors)
{
    CHECK_CONTAINS(parse_error("selectors:\n  - name: a\n    definition: 'bogus:x'\n"),
                   "/p/selectors.yml:3:17: invalid selector 'bogus:x': 'bogus' is not a valid");
    CHECK_CONTAINS(parse_error("selectors:\n  - name: a\n    definition:\n      - tag:a\n"),
                   "/p/selectors.yml:4:7: a selector definition cannot be a list");
    CHECK_CONTAINS(parse_error("selectors:\n  - name: a\n    definition:\n      method: tag\n"
                               "      valu: x\n"),
                   "/p/selectors.yml:4:7: a selector definition needs either one key");
    CHECK_CONTAINS(parse_error("selectors:\n  - name: a\n    definition:\n      method: tag\n"
                               "      value: x\n      parent: true\n"),
                   "/p/selectors.yml:6:7: unknown key \"parent\"");
    CHECK_CONTAINS(parse_error("selectors:\n  - name: a\n    definition:\n      method: tagg\n"
                               "      value: x\n"),
                   "/p/selectors.yml:4:15: invalid selector method 'tagg'");
    CHECK_CONTAINS(parse_error("selectors:\n  - name: a\n    definition: x\n    default: true\n"
                               "  - name: b\n    definition: y\n    default: true\n"),
                   "/p/selectors.yml:7:14: found multiple selectors with `default: true`");
    CHECK_CONTAINS(parse_error("selectors:\n  - name: a\n    definition: x\n"
                               "  - name: a\n    definition: y\n"),
                   "/p/selectors.yml:4:11: selector 'a' is defined twice");
    CHECK_CONTAINS(parse_error("selectors:\n  - name: a\n"),
                   "/p/selectors.yml:2:5: selector 'a' has no `definition:`");
    CHECK_CONTAINS(parse_error("selectors:\n  - name: a\n    definition:\n      union: x\n"),
                   "/p/selectors.yml:4:14: invalid value for key \"union\": expected a list");
    CHECK_CONTAINS(parse_error("selectors:\n  - name: a\n    definition:\n      union: [a]\n"
                               "      intersection: [b]\n"),
                   "only a single 'union' or 'intersection' key");
    CHECK_CONTAINS(parse_error("selectors:\n  - name: a\n    definition:\n      union:\n"
                               "        - exclude: [a]\n        - exclude: [b]\n"),
                   "/p/selectors.yml:6:11: only one exclude");
    CHECK_CONTAINS(parse_error("selectors: [\n"), "/p/selectors.yml:2:");
    CHECK_CONTAINS(parse_error("selectors:\n  - name: a\n    definition:\n      method: fqn\n"
                               "      value: a\n      children: true\n"
                               "      childrens_parents: true\n"),
                   "cannot be combined");
    CHECK_STR(parse_error(""), "OK");
    CHECK_CONTAINS(parse_error("selectors:\n  - name: a\n    definition: x\n    default: maybe\n"),
                   "/p/selectors.yml:4:14: `default:` must be true or false");
    CHECK_CONTAINS(parse_error("selectors:\n  - name: a\n    definition: \"{{ nonsense() }}\"\n"),
                   "/p/selectors.yml:3:");
}

TEST(selectors_yml_renders_env_var)
{
    setenv("P2_TEST_TAG", "nightly", 1);
    static const char text[] = "selectors:\n"
                               "  - name: from_env\n"
                               "    definition: \"tag:{{ env_var('P2_TEST_TAG') }}\"\n"
                               "  - name: from_env_value\n"
                               "    definition:\n"
                               "      method: tag\n"
                               "      value: \"{{ env_var('P2_NO_SUCH_VAR', 'staging') }}\"\n"
                               "    default: \"{{ env_var('P2_TEST_DEFAULT', 'True') }}\"\n";
    arena a = ARENA_INIT;
    mlerr err = MLERR_INIT;
    sel_file *f = NULL;
    /* --indirect-selection reaches the file's specs, as dbt's flag does. */
    CHECK(sel_file_parse(&a, "/p/selectors.yml", text, sizeof(text) - 1, SEL_INDIRECT_EMPTY, &f,
                         &err));
    if (f) {
        CHECK_STR(run(NULL, NULL, "from_env", SEL_INDIRECT_EMPTY, f), "customers stg_orders");
        CHECK_STR(run(NULL, NULL, "from_env_value", SEL_INDIRECT_EMPTY, f),
                  "stg_customers stg_orders");
        CHECK(sel_file_default(f) && !strcmp(sel_file_default(f)->name, "from_env_value"));
    }
    mlerr_clear(&err);
    arena_free(&a);
}

int main(void)
{
    build_graph();
    RUN(default_selects_everything);
    RUN(plain_names_and_tests_come_along);
    RUN(fqn_prefixes_and_wildcards);
    RUN(graph_operators);
    RUN(set_operators);
    RUN(methods);
    RUN(config_method);
    RUN(indirect_selection_modes);
    RUN(bad_selectors);
    RUN(spec_parsing);
    RUN(selectors_yml);
    RUN(selectors_yml_errors);
    RUN(selectors_yml_renders_env_var);
    strbuf_release(&warnings);
    arena_free(&P.arena);
    return CHECK_DONE();
}
