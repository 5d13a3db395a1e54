/* test_serve_pgarray: PostgreSQL array literals become DuckDB lists with
 * the elements, NULLs, quoting and nesting PostgreSQL's array_in reads. */
#include "check.h"
#include "serve/pgarray.h"

#include <stdlib.h>

/* The value's DuckDB text form ("[a, NULL]"), or the error message. */
static char *parse_to_text(const char *lit)
{
    strbuf why = STRBUF_INIT;
    duckdb_value v = pgarray_parse(lit, strlen(lit), &why);
    char *s;
    if (v) {
        s = duckdb_get_varchar(v);
        char *copy = strdup(s);
        duckdb_free(s);
        s = copy;
        duckdb_destroy_value(&v);
    } else {
        s = strdup(strbuf_str(&why));
    }
    strbuf_release(&why);
    return s;
}

#define CHECK_PARSE(lit, want)                                                                     \
    do {                                                                                           \
        char *got = parse_to_text(lit);                                                            \
        CHECK_STR(got, want);                                                                      \
        free(got);                                                                                 \
    } while (0)

TEST(flat_arrays)
{
    CHECK_PARSE("{1,2,3}", "[1, 2, 3]");
    CHECK_PARSE(" { 1 , 2 } ", "[1, 2]");
    CHECK_PARSE("{}", "[]");
    CHECK_PARSE("{\"a b\",\"c,d\",e}", "[a b, 'c,d', e]");
    CHECK_PARSE("{NULL,null,\"NULL\"}", "[NULL, NULL, 'NULL']");
    CHECK_PARSE("{\"quo\\\"te\",back\\\\slash}", "['quo\"te', back\\slash]");
    CHECK_PARSE("{\"\"}", "['']");
}

TEST(nested_arrays)
{
    CHECK_PARSE("{{1,2},{3,4}}", "[[1, 2], [3, 4]]");
    CHECK_PARSE("{{},{}}", "[[], []]");
}

TEST(malformed)
{
    CHECK_PARSE("{1,2", "malformed array literal: missing '}'");
    CHECK_PARSE("{1,,2}", "malformed array literal: an element is empty (quote it as \"\")");
    CHECK_PARSE("{1,{2}}", "malformed array literal: multidimensional arrays must have "
                           "sub-arrays of the same dimensions");
    CHECK_PARSE("{1} x", "malformed array literal: junk after the closing '}'");
    CHECK_PARSE("{\"open", "malformed array literal: unterminated quoted element");
    CHECK_PARSE("{{{{{{{1}}}}}}}", "malformed array literal: more than 6 dimensions");
    CHECK_PARSE("[1,2]", "malformed array literal: it must start with '{'");
    CHECK(pgarray_is_literal("  {1}", 5) && !pgarray_is_literal("[1]", 3));
}

int main(void)
{
    RUN(flat_arrays);
    RUN(nested_arrays);
    RUN(malformed);
    return CHECK_DONE();
}
