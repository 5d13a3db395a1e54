/* Unit tests for jinja/value.c: construction, dict order and key identity,
 * Python equality/ordering, and str()/repr()/JSON printing (expected strings
 * taken from CPython 3 and Jinja2 3.1). */
#include "check.h"
#include "jinja/value.h"

#include <math.h>

static arena A;

static const char *str_of(jv v)
{
    strbuf sb = STRBUF_INIT;
    jv_to_str(v, &sb);
    char *s = arena_strdup(&A, strbuf_str(&sb));
    strbuf_release(&sb);
    return s;
}

static const char *repr_of(jv v)
{
    strbuf sb = STRBUF_INIT;
    jv_to_repr(v, &sb);
    char *s = arena_strdup(&A, strbuf_str(&sb));
    strbuf_release(&sb);
    return s;
}

static const char *json_of(jv v)
{
    strbuf sb = STRBUF_INIT;
    jv_to_json(v, &sb);
    char *s = arena_strdup(&A, strbuf_str(&sb));
    strbuf_release(&sb);
    return s;
}

static jv S(const char *s)
{
    return jv_string(&A, s);
}

TEST(scalars_print_as_python)
{
    CHECK_STR(str_of(jv_none()), "None");
    CHECK_STR(str_of(jv_bool(true)), "True");
    CHECK_STR(str_of(jv_bool(false)), "False");
    CHECK_STR(str_of(jv_int(-42)), "-42");
    CHECK_STR(str_of(jv_int(INT64_MIN)), "-9223372036854775808");
    CHECK_STR(str_of(jv_undefined("x")), "");
    CHECK_STR(str_of(S("plain 'text'")), "plain 'text'");
}

TEST(floats_print_as_python_repr)
{
    static const struct {
        double f;
        const char *want;
    } cases[] = {
        {1.0, "1.0"},
        {0.1, "0.1"},
        {1e20, "1e+20"},
        {1e-5, "1e-05"},
        {1e16, "1e+16"},
        {1e15, "1000000000000000.0"},
        {123456789012345678.0, "1.2345678901234568e+17"},
        {0.0001, "0.0001"},
        {-2.5e-7, "-2.5e-07"},
        {3.141592653589793, "3.141592653589793"},
        {1.0 / 3, "0.3333333333333333"},
        {5e-324, "5e-324"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {100.0, "100.0"},
        {12345.678, "12345.678"},
        {1e22, "1e+22"},
        {0.3, "0.3"},
        {-0.0, "-0.0"},
        {0.0, "0.0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_STR(str_of(jv_float(cases[i].f)), cases[i].want);
    CHECK_STR(str_of(jv_float(INFINITY)), "inf");
    CHECK_STR(str_of(jv_float(-INFINITY)), "-inf");
    CHECK_STR(str_of(jv_float(NAN)), "nan");
}

TEST(strings_repr_as_python)
{
    CHECK_STR(repr_of(S("it's")), "\"it's\"");
    CHECK_STR(repr_of(S("a\"b")), "'a\"b'");
    CHECK_STR(repr_of(S("a'b\"c")), "'a\\'b\"c'");
    CHECK_STR(repr_of(S("\x01\x7f\xc2\x80\xc3\xa9\xc2\xa0\xe2\x80\xa8\xf0\x9f\x98\x80\t\\\n\r")),
              "'\\x01\\x7f\\x80\xc3\xa9\\xa0\\u2028\xf0\x9f\x98\x80\\t\\\\\\n\\r'");
    CHECK_STR(repr_of(jv_string_n(&A, "a\0b", 3)), "'a\\x00b'");
}

TEST(containers_print_as_python)
{
    jv l = jv_list(&A);
    jv_list_append(l, S("a"));
    jv_list_append(l, jv_int(1));
    jv_list_append(l, jv_none());
    CHECK_STR(str_of(l), "['a', 1, None]");
    jv one = jv_int(1);
    CHECK_STR(str_of(jv_tuple(&A, &one, 1)), "(1,)");
    jv two[] = {jv_int(1), jv_float(2)};
    CHECK_STR(str_of(jv_tuple(&A, two, 2)), "(1, 2.0)");
    CHECK_STR(str_of(jv_tuple(&A, NULL, 0)), "()");
    CHECK_STR(str_of(jv_list(&A)), "[]");
    jv d = jv_dict(&A);
    CHECK_STR(str_of(d), "{}");
    jv_dict_set_str(d, "k", S("v"));
    jv_dict_set(d, jv_int(2), l);
    jv_dict_set(d, jv_bool(false), jv_float(0.5));
    CHECK_STR(str_of(d), "{'k': 'v', 2: ['a', 1, None], False: 0.5}");
    /* A list that holds itself prints like Python's. */
    jv self = jv_list(&A);
    jv_list_append(self, jv_int(1));
    jv_list_append(self, self);
    CHECK_STR(str_of(self), "[1, [...]]");
}

TEST(dict_keeps_insertion_order_and_python_key_identity)
{
    jv d = jv_dict(&A);
    jv_dict_set_str(d, "b", jv_int(1));
    jv_dict_set_str(d, "a", jv_int(2));
    jv_dict_set(d, jv_int(1), S("int"));
    jv_dict_set(d, jv_float(1.0), S("float"));
    jv_dict_set(d, jv_bool(true), S("bool"));
    CHECK(jv_dict_len(d) == 3);
    CHECK_STR(str_of(d), "{'b': 1, 'a': 2, 1: 'bool'}");
    jv_dict_set_str(d, "b", jv_int(9));
    CHECK_STR(str_of(d), "{'b': 9, 'a': 2, 1: 'bool'}");
    CHECK(jv_dict_has(d, jv_float(1.0)));
    CHECK(jv_dict_get(d, S("zz")).kind == JV_UNDEFINED);
    CHECK(jv_dict_remove(d, S("b")));
    CHECK(!jv_dict_remove(d, S("b")));
    CHECK_STR(str_of(d), "{'a': 2, 1: 'bool'}");
    jv tkey[] = {jv_int(1), S("x")};
    jv_dict_set(d, jv_tuple(&A, tkey, 2), jv_none());
    jv tkey2[] = {jv_float(1.0), S("x")};
    CHECK(jv_dict_has(d, jv_tuple(&A, tkey2, 2)));
}

TEST(big_dict_uses_index_correctly)
{
    jv d = jv_dict(&A);
    for (int i = 0; i < 5000; i++)
        jv_dict_set(d, jv_string_fmt(&A, "key%d", i), jv_int(i));
    CHECK(jv_dict_len(d) == 5000);
    bool all = true;
    for (int i = 0; i < 5000; i++) {
        char key[32];
        snprintf(key, sizeof key, "key%d", i);
        jv v = jv_dict_get_str(d, key);
        if (v.kind != JV_INT || v.u.i != i)
            all = false;
    }
    CHECK(all);
    for (int i = 0; i < 5000; i += 2)
        jv_dict_remove(d, jv_string_fmt(&A, "key%d", i));
    CHECK(jv_dict_len(d) == 2500);
    CHECK(jv_dict_get_str(d, "key10").kind == JV_UNDEFINED);
    CHECK(jv_dict_get_str(d, "key11").u.i == 11);
    CHECK(jv_is_str(jv_dict_key_at(d, 0), "key1"));
    CHECK(jv_dict_value_at(d, 2499).u.i == 4999);
}

TEST(equality_and_ordering_follow_python)
{
    CHECK(jv_equal(jv_int(1), jv_float(1.0)));
    CHECK(jv_equal(jv_bool(true), jv_int(1)));
    CHECK(!jv_equal(jv_int(1), S("1")));
    CHECK(!jv_equal(jv_none(), jv_bool(false)));
    CHECK(!jv_equal(jv_float(NAN), jv_float(NAN)));
    CHECK(!jv_equal(jv_int(9007199254740993), jv_float(9007199254740992.0)));
    jv one = jv_int(1);
    jv l = jv_list(&A);
    jv_list_append(l, one);
    CHECK(!jv_equal(l, jv_tuple(&A, &one, 1))); /* [1] != (1,) */
    jv l2 = jv_list(&A);
    jv_list_append(l2, jv_float(1));
    CHECK(jv_equal(l, l2));
    jv d1 = jv_dict(&A), d2 = jv_dict(&A);
    jv_dict_set_str(d1, "a", jv_int(1));
    jv_dict_set_str(d1, "b", jv_int(2));
    jv_dict_set_str(d2, "b", jv_int(2));
    jv_dict_set_str(d2, "a", jv_int(1));
    CHECK(jv_equal(d1, d2));

    int c;
    CHECK(jv_compare(jv_int(1), jv_float(1.5), &c) && c < 0);
    CHECK(jv_compare(S("b"), S("a"), &c) && c > 0);
    CHECK(jv_compare(S("ab"), S("abc"), &c) && c < 0);
    CHECK(jv_compare(S("B"), S("a"), &c) && c < 0);
    CHECK(!jv_compare(S("a"), jv_int(1), &c));
    CHECK(!jv_compare(jv_none(), jv_none(), &c));
    CHECK(!jv_compare(d1, d2, &c));
    CHECK(jv_compare(jv_bool(false), jv_int(1), &c) && c < 0);
    jv t1[] = {jv_int(1), S("b")}, t2[] = {jv_int(1), S("c")};
    CHECK(jv_compare(jv_tuple(&A, t1, 2), jv_tuple(&A, t2, 2), &c) && c < 0);
    jv m1[] = {jv_int(1), S("b")}, m2[] = {jv_int(2), jv_int(0)};
    CHECK(jv_compare(jv_tuple(&A, m1, 2), jv_tuple(&A, m2, 2), &c) && c < 0);
}

TEST(truthiness_follows_python)
{
    CHECK(!jv_truthy(jv_undefined("x")));
    CHECK(!jv_truthy(jv_none()));
    CHECK(!jv_truthy(jv_int(0)));
    CHECK(!jv_truthy(jv_float(0.0)));
    CHECK(jv_truthy(jv_float(NAN)));
    CHECK(!jv_truthy(S("")));
    CHECK(jv_truthy(S("0")));
    CHECK(!jv_truthy(jv_list(&A)));
    CHECK(!jv_truthy(jv_dict(&A)));
    CHECK(jv_truthy(jv_tuple(&A, (jv[]){jv_none()}, 1)));
}

TEST(json_matches_jinja_tojson)
{
    jv d = jv_dict(&A);
    jv_dict_set_str(d, "b", S("<a href='x'>&</a>"));
    jv_dict_set_str(d, "a", jv_float(1.0));
    jv l = jv_list(&A);
    jv_list_append(l, jv_none());
    jv_list_append(l, jv_bool(true));
    jv_list_append(l, S("\xc3\xa9\n\"\\\x01\xf0\x9f\x98\x80"));
    jv_dict_set_str(d, "c", l);
    CHECK_STR(json_of(d),
              "{\"a\": 1.0, \"b\": \"\\u003ca href=\\u0027x\\u0027\\u003e\\u0026\\u003c/"
              "a\\u003e\", \"c\": [null, true, \"\\u00e9\\n\\\"\\\\\\u0001\\ud83d\\ude00\"]}");
    strbuf sb = STRBUF_INIT;
    jv_json_opts o = {.indent = 2, .sort_keys = false, .html_safe = false, .ensure_ascii = false};
    jv small = jv_dict(&A);
    jv_dict_set_str(small, "z", jv_list(&A));
    jv_dict_set(small, jv_int(1), l);
    jv_to_json_opts(small, &o, &sb);
    CHECK_STR(strbuf_str(&sb), "{\n  \"z\": [],\n  \"1\": [\n    null,\n    true,\n    "
                               "\"\xc3\xa9\\n\\\"\\\\\\u0001\xf0\x9f\x98\x80\"\n  ]\n}");
    strbuf_release(&sb);
}

/* Strings are scanned eight bytes at a time: the result must equal the
 * character-by-character escaping at every position and length. */
TEST(json_strings_escape_at_every_offset)
{
    static const char alphabet[] = "abcXYZ019 _-/\"\\\n\t\r\b\f\x01\x1f<>&'\x7f";
    arena a = ARENA_INIT;
    unsigned seed = 12345;
    for (int html = 0; html < 2; html++) {
        jv_json_opts o = {.indent = -1, .html_safe = html, .ensure_ascii = html};
        for (int round = 0; round < 2000; round++) {
            char text[48];
            size_t len = (size_t)(round % 41);
            for (size_t i = 0; i < len; i++) {
                seed = seed * 1103515245u + 12345u;
                /* mostly plain letters, so long plain runs occur */
                unsigned r = (seed >> 16) % 64;
                text[i] = r < 40 ? (char)('a' + r % 26) : alphabet[r % (sizeof alphabet - 1)];
            }
            strbuf whole = STRBUF_INIT, parts = STRBUF_INIT;
            jv_json_string(text, len, &o, &whole);
            strbuf_addc(&parts, '"');
            for (size_t i = 0; i < len; i++) {
                strbuf one = STRBUF_INIT;
                jv_json_string(text + i, 1, &o, &one);
                strbuf_add(&parts, one.buf + 1, one.len - 2);
                strbuf_release(&one);
            }
            strbuf_addc(&parts, '"');
            CHECK_STR(strbuf_str(&whole), strbuf_str(&parts));
            strbuf_release(&whole);
            strbuf_release(&parts);
        }
    }
    /* UTF-8 inside long plain runs: copied as is, or escaped with ensure_ascii */
    jv s = jv_string(&a, "abcdefghij\xc3\xa9klmnopqrstuvwxyz<");
    jv_json_opts raw = {.indent = -1};
    strbuf sb = STRBUF_INIT;
    jv_to_json_opts(s, &raw, &sb);
    CHECK_STR(strbuf_str(&sb), "\"abcdefghij\xc3\xa9klmnopqrstuvwxyz<\"");
    strbuf_reset(&sb);
    jv_json_opts safe = {.indent = -1, .html_safe = true, .ensure_ascii = true};
    jv_to_json_opts(s, &safe, &sb);
    CHECK_STR(strbuf_str(&sb), "\"abcdefghij\\u00e9klmnopqrstuvwxyz\\u003c\"");
    strbuf_release(&sb);
    arena_free(&a);
}

TEST(frozen_values_refuse_mutation)
{
    jv inner = jv_list(&A);
    jv d = jv_dict(&A);
    jv_dict_set_str(d, "xs", inner);
    jv_freeze(d);
    CHECK(!jv_dict_set_str(d, "y", jv_int(1)));
    CHECK(!jv_list_append(inner, jv_int(1)));
    CHECK(!jv_dict_remove(d, S("xs")));
    CHECK(jv_is_frozen(inner));
    CHECK(jv_dict_len(d) == 1 && jv_list_len(inner) == 0);
    /* A copy lives in its own arena and is mutable again. */
    arena other = ARENA_INIT;
    jv c = jv_copy(&other, d);
    CHECK(jv_dict_set_str(c, "y", jv_int(1)));
    CHECK(jv_list_append(jv_dict_get_str(c, "xs"), jv_int(2)));
    CHECK_STR(str_of(c), "{'xs': [2], 'y': 1}");
    CHECK_STR(str_of(d), "{'xs': []}");
    arena_free(&other);
}

TEST(list_mutators)
{
    jv l = jv_list(&A);
    for (int i = 0; i < 100; i++)
        jv_list_append(l, jv_int(i));
    CHECK(jv_list_len(l) == 100);
    jv_list_insert(l, 0, S("first"));
    jv_list_insert(l, 1000, S("last"));
    CHECK(jv_is_str(jv_list_get(l, 0), "first"));
    CHECK(jv_is_str(jv_list_get(l, 101), "last"));
    CHECK(jv_list_remove(l, 0));
    CHECK(jv_list_get(l, 0).u.i == 0);
    CHECK(jv_list_set(l, 0, jv_none()));
    CHECK(jv_list_get(l, 0).kind == JV_NONE);
    CHECK(jv_list_get(l, 500).kind == JV_UNDEFINED);
}

TEST(kind_names)
{
    CHECK_STR(jv_kind_name(jv_none()), "NoneType");
    CHECK_STR(jv_kind_name(jv_tuple(&A, NULL, 0)), "tuple");
    CHECK_STR(jv_kind_name(jv_list(&A)), "list");
    CHECK_STR(jv_kind_name(S("")), "str");
    CHECK_STR(str_of(jv_string_fmt(&A, "%s-%d", "a", 7)), "a-7");
}

int main(void)
{
    RUN(scalars_print_as_python);
    RUN(floats_print_as_python_repr);
    RUN(strings_repr_as_python);
    RUN(containers_print_as_python);
    RUN(dict_keeps_insertion_order_and_python_key_identity);
    RUN(big_dict_uses_index_correctly);
    RUN(equality_and_ordering_follow_python);
    RUN(truthiness_follows_python);
    RUN(json_matches_jinja_tojson);
    RUN(json_strings_escape_at_every_offset);
    RUN(frozen_values_refuse_mutation);
    RUN(list_mutators);
    RUN(kind_names);
    arena_free(&A);
    return CHECK_DONE();
}
