/* test_serve_pgtypes: DuckDB values in PostgreSQL's text format and OIDs,
 * straight from real DuckDB vectors (an in-memory database), plus binary
 * output and binary parameters for the common scalars. */
#include "check.h"
#include "serve/pgtypes.h"

#include <stdlib.h>

static duckdb_database db;
static duckdb_connection con;

/* Text of the first row's column 0 of sql, and its OID. */
static const char *text_of(const char *sql, int32_t *oid)
{
    static char out[512];
    duckdb_result r;
    if (duckdb_query(con, sql, &r) == DuckDBError) {
        snprintf(out, sizeof(out), "ERROR %s", duckdb_result_error(&r));
        duckdb_destroy_result(&r);
        return out;
    }
    duckdb_data_chunk c = duckdb_fetch_chunk(r);
    duckdb_logical_type t = duckdb_column_logical_type(&r, 0);
    if (oid)
        *oid = pgtype_oid(t);
    duckdb_vector v = duckdb_data_chunk_get_vector(c, 0);
    strbuf sb = STRBUF_INIT, why = STRBUF_INIT;
    if (pgtype_is_null(v, 0))
        strbuf_adds(&sb, "<NULL>");
    else if (!pgtype_format_text(v, t, 0, &sb, &why))
        strbuf_addf(&sb, "UNSUPPORTED %s", strbuf_str(&why));
    snprintf(out, sizeof(out), "%s", strbuf_str(&sb));
    strbuf_release(&sb);
    strbuf_release(&why);
    duckdb_destroy_logical_type(&t);
    duckdb_destroy_data_chunk(&c);
    duckdb_destroy_result(&r);
    return out;
}

#define CHECK_TEXT(sql, want_text, want_oid)                                                       \
    do {                                                                                           \
        int32_t oid_ = 0;                                                                          \
        CHECK_STR(text_of(sql, &oid_), want_text);                                                 \
        CHECK(oid_ == (want_oid));                                                                 \
    } while (0)

TEST(scalars_print_as_postgresql_does)
{
    CHECK_TEXT("SELECT true", "t", 16);
    CHECK_TEXT("SELECT 7::TINYINT", "7", 21);
    CHECK_TEXT("SELECT (-32768)::SMALLINT", "-32768", 21);
    CHECK_TEXT("SELECT 2147483647::INTEGER", "2147483647", 23);
    CHECK_TEXT("SELECT (-9223372036854775808)::BIGINT", "-9223372036854775808", 20);
    CHECK_TEXT("SELECT 4000000000::UINTEGER", "4000000000", 20);
    CHECK_TEXT("SELECT 170141183460469231731687303715884105727::HUGEINT",
               "170141183460469231731687303715884105727", 1700);
    CHECK_TEXT("SELECT -12.5::DECIMAL(5,1)", "-12.5", 1700);
    CHECK_TEXT("SELECT 0.001::DECIMAL(18,3)", "0.001", 1700);
    CHECK_TEXT("SELECT -0.05::DECIMAL(38,10)", "-0.0500000000", 1700);
    CHECK_TEXT("SELECT 0.1::FLOAT", "0.1", 700);
    CHECK_TEXT("SELECT 0.1::DOUBLE", "0.1", 701);
    CHECK_TEXT("SELECT 1e100::DOUBLE", "1e+100", 701);
    CHECK_TEXT("SELECT 'nan'::DOUBLE", "NaN", 701);
    CHECK_TEXT("SELECT '-inf'::FLOAT", "-Infinity", 700);
    CHECK_TEXT("SELECT 'ünï'", "ünï", 25);
    CHECK_TEXT("SELECT '{\"a\":1}'::JSON", "{\"a\":1}", 114);
    CHECK_TEXT("SELECT '\\x00\\xFFA'::BLOB", "\\x00ff41", 17);
    CHECK_TEXT("SELECT 'b'::ENUM('a', 'b')", "b", 1043);
    CHECK_TEXT("SELECT UUID '00000000-0000-0000-0000-000000000001'",
               "00000000-0000-0000-0000-000000000001", 2950);
    CHECK_TEXT("SELECT UUID 'ffffffff-ffff-4fff-bfff-ffffffffffff'",
               "ffffffff-ffff-4fff-bfff-ffffffffffff", 2950);
    CHECK_TEXT("SELECT '101'::BIT", "101", 1560);
}

TEST(dates_times_and_intervals)
{
    CHECK_TEXT("SELECT DATE '2024-02-29'", "2024-02-29", 1082);
    CHECK_TEXT("SELECT DATE '1969-12-31'", "1969-12-31", 1082);
    CHECK_TEXT("SELECT 'infinity'::DATE", "infinity", 1082);
    CHECK_TEXT("SELECT DATE '0001-01-01' - INTERVAL 1 DAY", "0001-12-31 00:00:00 BC", 1114);
    CHECK_TEXT("SELECT TIME '23:59:59.000001'", "23:59:59.000001", 1083);
    CHECK_TEXT("SELECT TIMESTAMP '1900-01-01 00:00:00.5'", "1900-01-01 00:00:00.5", 1114);
    CHECK_TEXT("SELECT TIMESTAMP_S '2024-01-02 03:04:05'", "2024-01-02 03:04:05", 1114);
    CHECK_TEXT("SELECT TIMESTAMP_MS '2024-01-02 03:04:05.123'", "2024-01-02 03:04:05.123", 1114);
    CHECK_TEXT("SELECT TIMESTAMP_NS '2024-01-02 03:04:05.123456789'", "2024-01-02 03:04:05.123456",
               1114);
    CHECK_TEXT("SELECT TIMESTAMPTZ '2024-06-01 12:00:00+00'", "2024-06-01 12:00:00+00", 1184);
    CHECK_TEXT("SELECT 'infinity'::TIMESTAMP", "infinity", 1114);
    CHECK_TEXT("SELECT INTERVAL '0 seconds'", "00:00:00", 1186);
    CHECK_TEXT("SELECT INTERVAL '1 year 1 month 1 day'", "1 year 1 mon 1 day", 1186);
    CHECK_TEXT("SELECT INTERVAL '-2 years -3 days'", "-2 years -3 days", 1186);
    CHECK_TEXT("SELECT INTERVAL '-1 hour -30 minutes'", "-01:30:00", 1186);
    CHECK_TEXT("SELECT INTERVAL '26 hours 0.25 seconds'", "26:00:00.25", 1186);
}

TEST(nested_values)
{
    CHECK_TEXT("SELECT [1, NULL, 3]", "{1,NULL,3}", 1007);
    CHECK_TEXT("SELECT ['a', 'b c', '', 'null', 'q\"x', 'x,y']",
               "{a,\"b c\",\"\",\"null\",\"q\\\"x\",\"x,y\"}", 1009);
    CHECK_TEXT("SELECT [[1, 2], [3]]", "{{1,2},{3}}", 1007);
    CHECK_TEXT("SELECT []::INTEGER[]", "{}", 1007);
    CHECK_TEXT("SELECT [DATE '2024-01-01']", "{2024-01-01}", 1182);
    CHECK_TEXT("SELECT [TIMESTAMP '2024-01-01 00:00:00']", "{\"2024-01-01 00:00:00\"}", 1115);
    CHECK_TEXT("SELECT [1.5, 2]::DOUBLE[2]", "{1.5,2}", 1022);
    CHECK_TEXT("SELECT array_value(1, 2)", "{1,2}", 1007);
    CHECK_TEXT("SELECT {'a': 1, 'b': 'x y'}", "(1,\"x y\")", 25);
    CHECK_TEXT("SELECT {'a': NULL, 'b': 2}", "(,2)", 25);
    CHECK_TEXT("SELECT MAP {'k': 1, 'j': NULL}", "{k=1, j=NULL}", 25);
    CHECK_TEXT("SELECT union_value(num := 2)::UNION(num INTEGER, str VARCHAR)", "2", 25);
}

static strbuf binary_of(const char *sql)
{
    strbuf sb = STRBUF_INIT, why = STRBUF_INIT;
    duckdb_result r;
    CHECK(duckdb_query(con, sql, &r) == DuckDBSuccess);
    duckdb_data_chunk c = duckdb_fetch_chunk(r);
    duckdb_logical_type t = duckdb_column_logical_type(&r, 0);
    CHECK(pgtype_binary_supported(t));
    CHECK(pgtype_format_binary(duckdb_data_chunk_get_vector(c, 0), t, 0, &sb, &why));
    duckdb_destroy_logical_type(&t);
    duckdb_destroy_data_chunk(&c);
    duckdb_destroy_result(&r);
    strbuf_release(&why);
    return sb;
}

TEST(binary_output_and_parameters)
{
    strbuf b = binary_of("SELECT 258::INTEGER");
    CHECK(b.len == 4 && memcmp(b.buf, "\0\0\1\2", 4) == 0);
    strbuf_release(&b);
    b = binary_of("SELECT 3::TINYINT"); /* announced as int2: two bytes */
    CHECK(b.len == 2 && memcmp(b.buf, "\0\3", 2) == 0);
    strbuf_release(&b);
    b = binary_of("SELECT DATE '2000-01-02'");
    CHECK(b.len == 4 && memcmp(b.buf, "\0\0\0\1", 4) == 0);
    strbuf_release(&b);
    b = binary_of("SELECT UUID '01020304-0506-0708-090a-0b0c0d0e0f10'");
    CHECK(b.len == 16 && memcmp(b.buf, "\1\2\3\4\5\6\7\10\11\12\13\14\15\16\17\20", 16) == 0);
    strbuf_release(&b);

    strbuf why = STRBUF_INIT;
    const unsigned char four[4] = {0, 0, 1, 2};
    duckdb_value v = pgtype_binary_param(PG_OID_INT4, four, 4, &why);
    CHECK(v && duckdb_get_int32(v) == 258);
    duckdb_destroy_value(&v);
    CHECK(pgtype_binary_param(PG_OID_INT8, four, 4, &why) == NULL); /* wrong width */
    CHECK_CONTAINS(strbuf_str(&why), "expected 8");
    strbuf_reset(&why);
    CHECK(pgtype_binary_param(PG_OID_NUMERIC, four, 4, &why) == NULL);
    CHECK_CONTAINS(strbuf_str(&why), "expected at least 8");
    strbuf_reset(&why);
    CHECK(pgtype_binary_param(790 /* money */, four, 4, &why) == NULL);
    CHECK_CONTAINS(strbuf_str(&why), "not supported yet");
    strbuf_release(&why);
}

/* numeric's binary parameters: base-10000 digit groups with weight, sign and
 * display scale, as the JDBC driver sends BigDecimal. */
static void check_numeric(const unsigned char *bytes, size_t n, const char *want)
{
    strbuf why = STRBUF_INIT;
    duckdb_value v = pgtype_binary_param(PG_OID_NUMERIC, bytes, n, &why);
    char *got = v ? duckdb_get_varchar(v) : NULL;
    CHECK_STR(got ? got : strbuf_str(&why), want);
    duckdb_free(got);
    duckdb_destroy_value(&v);
    strbuf_release(&why);
}

/* Binary numeric results read back through the parameter decoder: the two
 * directions agree on every shape of value. */
static void check_numeric_round_trip(const char *sql, const char *want)
{
    strbuf b = binary_of(sql);
    check_numeric((const unsigned char *)b.buf, b.len, want);
    strbuf_release(&b);
}

TEST(binary_numeric_parameters)
{
    check_numeric_round_trip("SELECT 150.25::DECIMAL(10,2)", "150.25");
    check_numeric_round_trip("SELECT -0.0001::DECIMAL(10,4)", "-0.0001");
    check_numeric_round_trip("SELECT 12345678901234567890::HUGEINT", "12345678901234567890");
    check_numeric_round_trip("SELECT 10000::DECIMAL(18,3)", "10000.000");
    check_numeric_round_trip("SELECT 0::DECIMAL(5,2)", "0.00");
    check_numeric_round_trip("SELECT 18446744073709551615::UBIGINT", "18446744073709551615");
    const unsigned char want_bytes[] = {0, 2, 0, 0, 0, 0, 0, 2, 0, 150, 0x09, 0xc4};
    strbuf b = binary_of("SELECT 150.25::DECIMAL(10,2)");
    CHECK(b.len == sizeof(want_bytes) && memcmp(b.buf, want_bytes, b.len) == 0);
    strbuf_release(&b);

    const unsigned char n150_25[] = {0, 2, 0, 0, 0, 0, 0, 2, 0, 150, 0x09, 0xc4};
    check_numeric(n150_25, sizeof(n150_25), "150.25");
    const unsigned char big[] = {0, 2, 0, 1, 0, 0, 0, 0, 0x04, 0xd2, 0x16, 0x2e};
    check_numeric(big, sizeof(big), "12345678");
    const unsigned char neg[] = {0, 2, 0, 0, 0x40, 0, 0, 1, 0, 1, 0x13, 0x88};
    check_numeric(neg, sizeof(neg), "-1.5");
    const unsigned char tiny[] = {0, 1, 0xff, 0xfe, 0, 0, 0, 8, 0, 1};
    check_numeric(tiny, sizeof(tiny), "0.00000001");
    const unsigned char zero[] = {0, 0, 0, 0, 0, 0, 0, 0};
    check_numeric(zero, sizeof(zero), "0");
    const unsigned char hundred[] = {0, 1, 0, 0, 0, 0, 0, 0, 0, 100};
    check_numeric(hundred, sizeof(hundred), "100");
    const unsigned char e4[] = {0, 1, 0, 1, 0, 0, 0, 0, 0, 1};
    check_numeric(e4, sizeof(e4), "10000");
    const unsigned char nan[] = {0, 0, 0, 0, 0xc0, 0, 0, 0};
    check_numeric(nan, sizeof(nan), "NaN");
    const unsigned char short_digits[] = {0, 2, 0, 0, 0, 0, 0, 0, 0, 1};
    check_numeric(short_digits, sizeof(short_digits), "malformed binary numeric parameter");
    const unsigned char bad_sign[] = {0, 0, 0, 0, 0x12, 0, 0, 0};
    check_numeric(bad_sign, sizeof(bad_sign), "malformed binary numeric parameter");
}

int main(void)
{
    duckdb_open(NULL, &db);
    duckdb_connect(db, &con);
    RUN(scalars_print_as_postgresql_does);
    RUN(dates_times_and_intervals);
    RUN(nested_values);
    RUN(binary_output_and_parameters);
    RUN(binary_numeric_parameters);
    duckdb_disconnect(&con);
    duckdb_close(&db);
    return CHECK_DONE();
}
