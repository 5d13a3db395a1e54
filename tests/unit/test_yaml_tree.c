/* Unit tests for the YAML tree: positions, aliases, merge keys, PyYAML typing. */
#include "check.h"
#include "util/yaml_tree.h"

static ynode *parse(arena *a, const char *text, mlerr *err)
{
    ynode *root = NULL;
    if (!yaml_parse(a, "t.yml", text, strlen(text), &root, err))
        return NULL;
    return root;
}

TEST(positions_and_lookup)
{
    arena a = ARENA_INIT;
    mlerr err = MLERR_INIT;
    ynode *root = parse(&a, "a: 1\nb:\n  - x\n  - 'y'\n", &err);
    CHECK(root && root->kind == YNODE_MAP && root->n == 2);
    ynode *b = ymap_get(root, "b");
    CHECK(b && b->kind == YNODE_SEQ && b->n == 2);
    CHECK(b->items[1]->line == 4 && b->items[1]->col == 5);
    CHECK(b->items[0]->plain && !b->items[1]->plain);
    CHECK(ymap_get(root, "missing") == NULL);
    arena_free(&a);
}

TEST(anchors_aliases_merge)
{
    arena a = ARENA_INIT;
    mlerr err = MLERR_INIT;
    ynode *root = parse(&a,
                        "base: &base\n  x: 1\n  y: 2\n"
                        "derived:\n  <<: *base\n  y: 3\n  z: 4\n"
                        "copy: *base\n",
                        &err);
    CHECK(root != NULL);
    ynode *d = ymap_get(root, "derived");
    CHECK(d && d->n == 3);
    CHECK_STR(ymap_get(d, "x")->str, "1");
    CHECK_STR(ymap_get(d, "y")->str, "3");
    CHECK_STR(ymap_get(d, "z")->str, "4");
    CHECK(ymap_get(root, "copy") == ymap_get(root, "base"));

    CHECK(parse(&a, "a: *nowhere\n", &err) == NULL);
    CHECK_CONTAINS(mlerr_message(&err), "t.yml:1:4:");
    mlerr_clear(&err);
    arena_free(&a);
}

TEST(scalar_resolution_like_pyyaml)
{
    arena a = ARENA_INIT;
    mlerr err = MLERR_INIT;
    ynode *root = parse(&a,
                        "n1: ~\nn2: null\nn3:\nb1: yes\nb2: Off\nb3: 'true'\n"
                        "i1: 42\ni2: -0x1F\ni3: 1_000\ni4: 017\nf1: 1.5\nf2: 1e3\nf3: .inf\n"
                        "f4: 6.02e+23\ns1: 1.2.3\n",
                        &err);
    CHECK(root != NULL);
    CHECK(yscalar_resolve(ymap_get(root, "n1")) == YSCALAR_NULL);
    CHECK(yscalar_resolve(ymap_get(root, "n2")) == YSCALAR_NULL);
    CHECK(yscalar_is_null(ymap_get(root, "n3")));
    bool b = false;
    CHECK(yscalar_bool(ymap_get(root, "b1"), &b) && b);
    CHECK(yscalar_bool(ymap_get(root, "b2"), &b) && !b);
    CHECK(yscalar_resolve(ymap_get(root, "b3")) == YSCALAR_STR);
    int64_t i = 0;
    CHECK(yscalar_int(ymap_get(root, "i1"), &i) && i == 42);
    CHECK(yscalar_int(ymap_get(root, "i2"), &i) && i == -31);
    CHECK(yscalar_int(ymap_get(root, "i3"), &i) && i == 1000);
    CHECK(yscalar_int(ymap_get(root, "i4"), &i) && i == 15);
    double f = 0;
    CHECK(yscalar_float(ymap_get(root, "f1"), &f) && f == 1.5);
    /* PyYAML needs a dot in a float: 1e3 is a string. */
    CHECK(yscalar_resolve(ymap_get(root, "f2")) == YSCALAR_STR);
    CHECK(yscalar_resolve(ymap_get(root, "f3")) == YSCALAR_FLOAT);
    CHECK(yscalar_float(ymap_get(root, "f4"), &f) && f == 6.02e23);
    CHECK(yscalar_resolve(ymap_get(root, "s1")) == YSCALAR_STR);
    arena_free(&a);
}

TEST(syntax_errors_have_positions)
{
    arena a = ARENA_INIT;
    mlerr err = MLERR_INIT;
    CHECK(parse(&a, "a: 1\n b: 2\n", &err) == NULL);
    CHECK_CONTAINS(mlerr_message(&err), "t.yml:2:3: ");
    CHECK_CONTAINS(mlerr_message(&err), "mapping values are not allowed");
    CHECK(err.exit_code == EXIT_SETUP);
    mlerr_clear(&err);
    CHECK(parse(&a, "a: \"open\n", &err) == NULL);
    CHECK_CONTAINS(mlerr_message(&err), "t.yml:2:1: ");
    mlerr_clear(&err);
    arena_free(&a);
}

int main(void)
{
    RUN(positions_and_lookup);
    RUN(anchors_aliases_merge);
    RUN(scalar_resolution_like_pyyaml);
    RUN(syntax_errors_have_positions);
    return CHECK_DONE();
}
