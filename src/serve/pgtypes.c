/* pgtypes: DuckDB vectors to PostgreSQL text and binary values. */
#include "serve/pgtypes.h"

#include "util/xalloc.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef __int128 i128;
typedef unsigned __int128 u128;

/* PostgreSQL counts dates and timestamps from 2000-01-01, DuckDB from 1970. */
#define PG_EPOCH_DAYS   10957
#define PG_EPOCH_MICROS (INT64_C(10957) * 86400 * 1000000)

static int32_t array_oid(int32_t elem)
{
    switch (elem) {
    case PG_OID_BOOL:
        return 1000;
    case PG_OID_BYTEA:
        return 1001;
    case PG_OID_INT2:
        return 1005;
    case PG_OID_INT4:
        return 1007;
    case PG_OID_INT8:
        return 1016;
    case PG_OID_FLOAT4:
        return 1021;
    case PG_OID_FLOAT8:
        return 1022;
    case PG_OID_NUMERIC:
        return 1231;
    case PG_OID_VARCHAR:
        return 1015;
    case PG_OID_DATE:
        return 1182;
    case PG_OID_TIME:
        return 1183;
    case PG_OID_TIMESTAMP:
        return 1115;
    case PG_OID_TIMESTAMPTZ:
        return 1185;
    case PG_OID_INTERVAL:
        return 1187;
    case PG_OID_TIMETZ:
        return 1270;
    case PG_OID_UUID:
        return 2951;
    case PG_OID_JSON:
        return 199;
    default:
        return 1009; /* text[] */
    }
}

static bool has_alias(duckdb_logical_type t, const char *name)
{
    char *alias = duckdb_logical_type_get_alias(t);
    bool yes = alias && strcasecmp(alias, name) == 0;
    duckdb_free(alias);
    return yes;
}

int32_t pgtype_oid(duckdb_logical_type t)
{
    switch (duckdb_get_type_id(t)) {
    case DUCKDB_TYPE_BOOLEAN:
        return PG_OID_BOOL;
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_UTINYINT:
        return PG_OID_INT2;
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_USMALLINT:
        return PG_OID_INT4;
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UINTEGER:
        return PG_OID_INT8;
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
    case DUCKDB_TYPE_DECIMAL:
    case DUCKDB_TYPE_BIGNUM:
        return PG_OID_NUMERIC;
    case DUCKDB_TYPE_FLOAT:
        return PG_OID_FLOAT4;
    case DUCKDB_TYPE_DOUBLE:
        return PG_OID_FLOAT8;
    case DUCKDB_TYPE_VARCHAR:
        return has_alias(t, "JSON") ? PG_OID_JSON : PG_OID_TEXT;
    case DUCKDB_TYPE_ENUM:
        return PG_OID_VARCHAR;
    case DUCKDB_TYPE_BLOB:
        return PG_OID_BYTEA;
    case DUCKDB_TYPE_DATE:
        return PG_OID_DATE;
    case DUCKDB_TYPE_TIME:
    case DUCKDB_TYPE_TIME_NS:
        return PG_OID_TIME;
    case DUCKDB_TYPE_TIME_TZ:
        return PG_OID_TIMETZ;
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS:
        return PG_OID_TIMESTAMP;
    case DUCKDB_TYPE_TIMESTAMP_TZ:
        return PG_OID_TIMESTAMPTZ;
    case DUCKDB_TYPE_INTERVAL:
        return PG_OID_INTERVAL;
    case DUCKDB_TYPE_UUID:
        return PG_OID_UUID;
    case DUCKDB_TYPE_BIT:
        return PG_OID_BIT;
    case DUCKDB_TYPE_LIST: {
        duckdb_logical_type c = duckdb_list_type_child_type(t);
        int32_t oid = pgtype_oid(c);
        duckdb_destroy_logical_type(&c);
        /* PostgreSQL arrays are multi-dimensional: int[][] is still _int4. */
        return oid >= 1000 && oid != PG_OID_VARCHAR && oid != PG_OID_TIMESTAMP &&
                       oid != PG_OID_TIMESTAMPTZ && oid != PG_OID_DATE && oid != PG_OID_TIME &&
                       oid != PG_OID_INTERVAL && oid != PG_OID_TIMETZ && oid != PG_OID_BIT &&
                       oid != PG_OID_NUMERIC && oid != PG_OID_UUID
                   ? oid
                   : array_oid(oid);
    }
    case DUCKDB_TYPE_ARRAY: {
        duckdb_logical_type c = duckdb_array_type_child_type(t);
        int32_t oid = pgtype_oid(c);
        duckdb_destroy_logical_type(&c);
        return array_oid(oid);
    }
    default:
        return PG_OID_TEXT; /* structs, maps, unions: their text form */
    }
}

int16_t pgtype_len(int32_t oid)
{
    switch (oid) {
    case PG_OID_BOOL:
        return 1;
    case PG_OID_INT2:
        return 2;
    case PG_OID_INT4:
    case PG_OID_FLOAT4:
    case PG_OID_DATE:
    case PG_OID_OID:
        return 4;
    case PG_OID_INT8:
    case PG_OID_FLOAT8:
    case PG_OID_TIME:
    case PG_OID_TIMESTAMP:
    case PG_OID_TIMESTAMPTZ:
        return 8;
    case PG_OID_TIMETZ:
        return 12;
    case PG_OID_INTERVAL:
    case PG_OID_UUID:
        return 16;
    default:
        return -1;
    }
}

const char *pgtype_name(int32_t oid)
{
    switch (oid) {
    case PG_OID_BOOL:
        return "bool";
    case PG_OID_BYTEA:
        return "bytea";
    case PG_OID_INT8:
        return "int8";
    case PG_OID_INT2:
        return "int2";
    case PG_OID_INT4:
        return "int4";
    case PG_OID_TEXT:
        return "text";
    case PG_OID_JSON:
        return "json";
    case PG_OID_FLOAT4:
        return "float4";
    case PG_OID_FLOAT8:
        return "float8";
    case PG_OID_VARCHAR:
        return "varchar";
    case PG_OID_DATE:
        return "date";
    case PG_OID_TIME:
        return "time";
    case PG_OID_TIMESTAMP:
        return "timestamp";
    case PG_OID_TIMESTAMPTZ:
        return "timestamptz";
    case PG_OID_INTERVAL:
        return "interval";
    case PG_OID_NUMERIC:
        return "numeric";
    case PG_OID_UUID:
        return "uuid";
    default:
        return "unknown";
    }
}

bool pgtype_is_null(duckdb_vector v, idx_t row)
{
    uint64_t *validity = duckdb_vector_get_validity(v);
    return validity && !duckdb_validity_row_is_valid(validity, row);
}

/* --- numbers ----------------------------------------------------------------- */

static void add_u128(strbuf *out, u128 v)
{
    char buf[48];
    int i = (int)sizeof(buf);
    buf[--i] = 0;
    do {
        buf[--i] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    strbuf_adds(out, buf + i);
}

static void add_i128(strbuf *out, i128 v)
{
    if (v < 0) {
        strbuf_addc(out, '-');
        add_u128(out, (u128)0 - (u128)v);
    } else {
        add_u128(out, (u128)v);
    }
}

static void add_decimal(strbuf *out, i128 v, int scale)
{
    if (scale <= 0) {
        add_i128(out, v);
        return;
    }
    strbuf digits = STRBUF_INIT;
    u128 mag = v < 0 ? (u128)0 - (u128)v : (u128)v;
    add_u128(&digits, mag);
    if (v < 0)
        strbuf_addc(out, '-');
    size_t n = digits.len;
    if (n <= (size_t)scale) {
        strbuf_adds(out, "0.");
        for (size_t i = n; i < (size_t)scale; i++)
            strbuf_addc(out, '0');
        strbuf_add(out, digits.buf, n);
    } else {
        strbuf_add(out, digits.buf, n - (size_t)scale);
        strbuf_addc(out, '.');
        strbuf_add(out, digits.buf + n - (size_t)scale, (size_t)scale);
    }
    strbuf_release(&digits);
}

/* The shortest text that reads back as the same number, as PostgreSQL 12+
 * prints floats by default (extra_float_digits = 1). */
static void add_double(strbuf *out, double d, bool single)
{
    if (isnan(d)) {
        strbuf_adds(out, "NaN");
        return;
    }
    if (isinf(d)) {
        strbuf_adds(out, d > 0 ? "Infinity" : "-Infinity");
        return;
    }
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, d);
        if (single ? strtof(buf, NULL) == (float)d : strtod(buf, NULL) == d)
            break;
    }
    /* PostgreSQL writes exponents as e+NN like printf, so keep it. */
    strbuf_adds(out, buf);
}

static i128 hugeint_value(duckdb_hugeint h)
{
    return (i128)(((u128)(uint64_t)h.upper << 64) | h.lower);
}

static i128 decimal_at(duckdb_vector v, duckdb_logical_type t, idx_t row)
{
    void *data = duckdb_vector_get_data(v);
    switch (duckdb_decimal_internal_type(t)) {
    case DUCKDB_TYPE_SMALLINT:
        return ((int16_t *)data)[row];
    case DUCKDB_TYPE_INTEGER:
        return ((int32_t *)data)[row];
    case DUCKDB_TYPE_BIGINT:
        return ((int64_t *)data)[row];
    default:
        return hugeint_value(((duckdb_hugeint *)data)[row]);
    }
}

/* --- dates and times ------------------------------------------------------------ */

/* Howard Hinnant's days_from_civil inverse: proleptic Gregorian. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static void add_date_part(strbuf *out, int64_t days, bool *bc)
{
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    *bc = y <= 0;
    if (*bc)
        y = 1 - y;
    strbuf_addf(out, "%04" PRId64 "-%02d-%02d", y, m, d);
}

static void add_time_part(strbuf *out, int64_t micros)
{
    int64_t secs = micros / 1000000;
    int64_t frac = micros % 1000000;
    strbuf_addf(out, "%02d:%02d:%02d", (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
    if (frac) {
        char f[8];
        snprintf(f, sizeof(f), "%06d", (int)frac);
        int n = 6;
        while (n > 0 && f[n - 1] == '0')
            n--;
        strbuf_addf(out, ".%.*s", n, f);
    }
}

static void add_timestamp(strbuf *out, int64_t micros, bool tz)
{
    if (micros == INT64_MAX) {
        strbuf_adds(out, "infinity");
        return;
    }
    if (micros == -INT64_MAX) {
        strbuf_adds(out, "-infinity");
        return;
    }
    int64_t day_micros = INT64_C(86400000000);
    int64_t days = floor_div(micros, day_micros);
    bool bc;
    add_date_part(out, days, &bc);
    strbuf_addc(out, ' ');
    add_time_part(out, micros - days * day_micros);
    if (tz)
        strbuf_adds(out, "+00");
    if (bc)
        strbuf_adds(out, " BC");
}

static void add_tz_offset(strbuf *out, int32_t offset)
{
    int32_t a = offset < 0 ? -offset : offset;
    strbuf_addf(out, "%c%02d", offset < 0 ? '-' : '+', a / 3600);
    if (a % 3600)
        strbuf_addf(out, ":%02d", a / 60 % 60);
    if (a % 60)
        strbuf_addf(out, ":%02d", a % 60);
}

/* PostgreSQL's default IntervalStyle "postgres": 1 year 2 mons 3 days 04:05:06 */
static void add_interval(strbuf *out, duckdb_interval iv)
{
    size_t start = out->len;
    int32_t years = iv.months / 12, mons = iv.months % 12;
    if (years)
        strbuf_addf(out, "%d year%s", years, years == 1 || years == -1 ? "" : "s");
    if (mons)
        strbuf_addf(out, "%s%d mon%s", out->len > start ? " " : "", mons,
                    mons == 1 || mons == -1 ? "" : "s");
    if (iv.days)
        strbuf_addf(out, "%s%d day%s", out->len > start ? " " : "", iv.days,
                    iv.days == 1 || iv.days == -1 ? "" : "s");
    if (iv.micros || out->len == start) {
        if (out->len > start)
            strbuf_addc(out, ' ');
        int64_t m = iv.micros;
        if (m < 0) {
            strbuf_addc(out, '-');
            m = -m;
        }
        add_time_part(out, m);
    }
}

static void add_uuid(strbuf *out, duckdb_hugeint h)
{
    /* DuckDB stores UUIDs with the top bit flipped so they sort as signed. */
    uint64_t hi = (uint64_t)h.upper ^ (UINT64_C(1) << 63), lo = h.lower;
    char s[40];
    snprintf(s, sizeof(s), "%08x-%04x-%04x-%04x-%012" PRIx64, (unsigned)(hi >> 32),
             (unsigned)((hi >> 16) & 0xffff), (unsigned)(hi & 0xffff), (unsigned)(lo >> 48),
             lo & UINT64_C(0xffffffffffff));
    strbuf_adds(out, s);
}

static void add_hex_bytes(strbuf *out, const unsigned char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    strbuf_adds(out, "\\x");
    strbuf_grow(out, n * 2);
    for (size_t i = 0; i < n; i++) {
        strbuf_addc(out, hex[p[i] >> 4]);
        strbuf_addc(out, hex[p[i] & 15]);
    }
}

static void string_at(duckdb_vector v, idx_t row, const char **p, size_t *n)
{
    duckdb_string_t *s = (duckdb_string_t *)duckdb_vector_get_data(v) + row;
    *n = duckdb_string_t_length(*s);
    *p = duckdb_string_t_data(s);
}

/* --- nested values ----------------------------------------------------------------- */

/* An array element or record field needs quotes if it is empty, has a
 * delimiter or space, or reads as NULL. */
static void add_quoted_if_needed(strbuf *out, const char *s, size_t n, bool record)
{
    bool quote = n == 0 || (!record && n == 4 && strncasecmp(s, "null", 4) == 0);
    for (size_t i = 0; i < n && !quote; i++) {
        char c = s[i];
        quote = c == '"' || c == '\\' || c == ',' || c == ' ' || c == '\t' || c == '\n' ||
                c == '\r' || (record ? (c == '(' || c == ')') : (c == '{' || c == '}'));
    }
    if (!quote) {
        strbuf_add(out, s, n);
        return;
    }
    strbuf_addc(out, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\')
            strbuf_addc(out, '\\');
        strbuf_addc(out, s[i]);
    }
    strbuf_addc(out, '"');
}

static bool format_element(duckdb_vector v, duckdb_logical_type t, idx_t row, strbuf *out,
                           strbuf *why, bool record)
{
    if (pgtype_is_null(v, row)) {
        if (!record)
            strbuf_adds(out, "NULL");
        return true;
    }
    duckdb_type id = duckdb_get_type_id(t);
    if (!record && (id == DUCKDB_TYPE_LIST || id == DUCKDB_TYPE_ARRAY))
        return pgtype_format_text(v, t, row, out, why); /* nested dimension, unquoted */
    strbuf tmp = STRBUF_INIT;
    bool ok = pgtype_format_text(v, t, row, &tmp, why);
    if (ok)
        add_quoted_if_needed(out, tmp.buf ? tmp.buf : "", tmp.len, record);
    strbuf_release(&tmp);
    return ok;
}

static bool format_list(duckdb_vector child, duckdb_logical_type ct, idx_t offset, idx_t length,
                        strbuf *out, strbuf *why)
{
    strbuf_addc(out, '{');
    for (idx_t i = 0; i < length; i++) {
        if (i)
            strbuf_addc(out, ',');
        if (!format_element(child, ct, offset + i, out, why, false))
            return false;
    }
    strbuf_addc(out, '}');
    return true;
}

static bool format_struct(duckdb_vector v, duckdb_logical_type t, idx_t row, strbuf *out,
                          strbuf *why)
{
    idx_t n = duckdb_struct_type_child_count(t);
    strbuf_addc(out, '(');
    bool ok = true;
    for (idx_t i = 0; ok && i < n; i++) {
        if (i)
            strbuf_addc(out, ',');
        duckdb_logical_type ct = duckdb_struct_type_child_type(t, i);
        ok = format_element(duckdb_struct_vector_get_child(v, i), ct, row, out, why, true);
        duckdb_destroy_logical_type(&ct);
    }
    strbuf_addc(out, ')');
    return ok;
}

/* DuckDB's own map text, {k=v, k2=v2}: PostgreSQL has no map type. */
static bool format_map(duckdb_vector v, idx_t row, duckdb_logical_type t, strbuf *out, strbuf *why)
{
    duckdb_list_entry e = ((duckdb_list_entry *)duckdb_vector_get_data(v))[row];
    duckdb_vector entries = duckdb_list_vector_get_child(v);
    duckdb_logical_type kt = duckdb_map_type_key_type(t), vt = duckdb_map_type_value_type(t);
    duckdb_vector keys = duckdb_struct_vector_get_child(entries, 0);
    duckdb_vector vals = duckdb_struct_vector_get_child(entries, 1);
    bool ok = true;
    strbuf_addc(out, '{');
    for (idx_t i = 0; ok && i < e.length; i++) {
        if (i)
            strbuf_adds(out, ", ");
        idx_t r = e.offset + i;
        ok = pgtype_format_text(keys, kt, r, out, why);
        strbuf_addc(out, '=');
        if (ok) {
            if (pgtype_is_null(vals, r))
                strbuf_adds(out, "NULL");
            else
                ok = pgtype_format_text(vals, vt, r, out, why);
        }
    }
    strbuf_addc(out, '}');
    duckdb_destroy_logical_type(&kt);
    duckdb_destroy_logical_type(&vt);
    return ok;
}

bool pgtype_format_text(duckdb_vector v, duckdb_logical_type t, idx_t row, strbuf *out, strbuf *why)
{
    void *data = duckdb_vector_get_data(v);
    duckdb_type id = duckdb_get_type_id(t);
    switch (id) {
    case DUCKDB_TYPE_BOOLEAN:
        strbuf_addc(out, ((bool *)data)[row] ? 't' : 'f');
        return true;
    case DUCKDB_TYPE_TINYINT:
        strbuf_addf(out, "%d", ((int8_t *)data)[row]);
        return true;
    case DUCKDB_TYPE_SMALLINT:
        strbuf_addf(out, "%d", ((int16_t *)data)[row]);
        return true;
    case DUCKDB_TYPE_INTEGER:
        strbuf_addf(out, "%" PRId32, ((int32_t *)data)[row]);
        return true;
    case DUCKDB_TYPE_BIGINT:
        strbuf_addf(out, "%" PRId64, ((int64_t *)data)[row]);
        return true;
    case DUCKDB_TYPE_UTINYINT:
        strbuf_addf(out, "%u", ((uint8_t *)data)[row]);
        return true;
    case DUCKDB_TYPE_USMALLINT:
        strbuf_addf(out, "%u", ((uint16_t *)data)[row]);
        return true;
    case DUCKDB_TYPE_UINTEGER:
        strbuf_addf(out, "%" PRIu32, ((uint32_t *)data)[row]);
        return true;
    case DUCKDB_TYPE_UBIGINT:
        strbuf_addf(out, "%" PRIu64, ((uint64_t *)data)[row]);
        return true;
    case DUCKDB_TYPE_HUGEINT:
        add_i128(out, hugeint_value(((duckdb_hugeint *)data)[row]));
        return true;
    case DUCKDB_TYPE_UHUGEINT: {
        duckdb_uhugeint u = ((duckdb_uhugeint *)data)[row];
        add_u128(out, ((u128)u.upper << 64) | u.lower);
        return true;
    }
    case DUCKDB_TYPE_FLOAT:
        add_double(out, ((float *)data)[row], true);
        return true;
    case DUCKDB_TYPE_DOUBLE:
        add_double(out, ((double *)data)[row], false);
        return true;
    case DUCKDB_TYPE_DECIMAL:
        add_decimal(out, decimal_at(v, t, row), duckdb_decimal_scale(t));
        return true;
    case DUCKDB_TYPE_VARCHAR: {
        const char *p;
        size_t n;
        string_at(v, row, &p, &n);
        strbuf_add(out, p, n);
        return true;
    }
    case DUCKDB_TYPE_BLOB: {
        const char *p;
        size_t n;
        string_at(v, row, &p, &n);
        add_hex_bytes(out, (const unsigned char *)p, n);
        return true;
    }
    case DUCKDB_TYPE_BIT: {
        /* First byte: how many leading bits of the second byte are padding. */
        const char *p;
        size_t n;
        string_at(v, row, &p, &n);
        int pad = n ? (unsigned char)p[0] : 0;
        for (size_t i = 1; i < n; i++) {
            for (int b = 7; b >= 0; b--) {
                if (i == 1 && 7 - b < pad)
                    continue;
                strbuf_addc(out, ((unsigned char)p[i] >> b) & 1 ? '1' : '0');
            }
        }
        return true;
    }
    case DUCKDB_TYPE_ENUM: {
        uint64_t idx;
        switch (duckdb_enum_internal_type(t)) {
        case DUCKDB_TYPE_UTINYINT:
            idx = ((uint8_t *)data)[row];
            break;
        case DUCKDB_TYPE_USMALLINT:
            idx = ((uint16_t *)data)[row];
            break;
        default:
            idx = ((uint32_t *)data)[row];
            break;
        }
        char *s = duckdb_enum_dictionary_value(t, idx);
        strbuf_adds(out, s ? s : "");
        duckdb_free(s);
        return true;
    }
    case DUCKDB_TYPE_DATE: {
        int32_t days = ((duckdb_date *)data)[row].days;
        if (days == INT32_MAX || days == -INT32_MAX) {
            strbuf_adds(out, days > 0 ? "infinity" : "-infinity");
            return true;
        }
        bool bc;
        add_date_part(out, days, &bc);
        if (bc)
            strbuf_adds(out, " BC");
        return true;
    }
    case DUCKDB_TYPE_TIME:
        add_time_part(out, ((duckdb_time *)data)[row].micros);
        return true;
    case DUCKDB_TYPE_TIME_NS:
        add_time_part(out, ((duckdb_time_ns *)data)[row].nanos / 1000);
        return true;
    case DUCKDB_TYPE_TIME_TZ: {
        duckdb_time_tz_struct s = duckdb_from_time_tz(((duckdb_time_tz *)data)[row]);
        int64_t micros =
            ((int64_t)s.time.hour * 3600 + s.time.min * 60 + s.time.sec) * 1000000 + s.time.micros;
        add_time_part(out, micros);
        add_tz_offset(out, s.offset);
        return true;
    }
    case DUCKDB_TYPE_TIMESTAMP:
        add_timestamp(out, ((int64_t *)data)[row], false);
        return true;
    case DUCKDB_TYPE_TIMESTAMP_TZ:
        add_timestamp(out, ((int64_t *)data)[row], true);
        return true;
    case DUCKDB_TYPE_TIMESTAMP_S: {
        int64_t s = ((int64_t *)data)[row];
        add_timestamp(out, s == INT64_MAX || s == -INT64_MAX ? s : s * 1000000, false);
        return true;
    }
    case DUCKDB_TYPE_TIMESTAMP_MS: {
        int64_t s = ((int64_t *)data)[row];
        add_timestamp(out, s == INT64_MAX || s == -INT64_MAX ? s : s * 1000, false);
        return true;
    }
    case DUCKDB_TYPE_TIMESTAMP_NS: {
        int64_t s = ((int64_t *)data)[row];
        add_timestamp(out, s == INT64_MAX || s == -INT64_MAX ? s : floor_div(s, 1000), false);
        return true;
    }
    case DUCKDB_TYPE_INTERVAL:
        add_interval(out, ((duckdb_interval *)data)[row]);
        return true;
    case DUCKDB_TYPE_UUID:
        add_uuid(out, ((duckdb_hugeint *)data)[row]);
        return true;
    case DUCKDB_TYPE_LIST: {
        duckdb_list_entry e = ((duckdb_list_entry *)data)[row];
        duckdb_logical_type ct = duckdb_list_type_child_type(t);
        bool ok = format_list(duckdb_list_vector_get_child(v), ct, e.offset, e.length, out, why);
        duckdb_destroy_logical_type(&ct);
        return ok;
    }
    case DUCKDB_TYPE_ARRAY: {
        idx_t size = duckdb_array_type_array_size(t);
        duckdb_logical_type ct = duckdb_array_type_child_type(t);
        bool ok = format_list(duckdb_array_vector_get_child(v), ct, row * size, size, out, why);
        duckdb_destroy_logical_type(&ct);
        return ok;
    }
    case DUCKDB_TYPE_STRUCT:
        return format_struct(v, t, row, out, why);
    case DUCKDB_TYPE_MAP:
        return format_map(v, row, t, out, why);
    case DUCKDB_TYPE_UNION: {
        /* Child 0 is the tag; member i is child i + 1. */
        uint8_t tag =
            ((uint8_t *)duckdb_vector_get_data(duckdb_struct_vector_get_child(v, 0)))[row];
        duckdb_logical_type mt = duckdb_union_type_member_type(t, tag);
        duckdb_vector mv = duckdb_struct_vector_get_child(v, (idx_t)tag + 1);
        bool ok = pgtype_is_null(mv, row) ? true : pgtype_format_text(mv, mt, row, out, why);
        duckdb_destroy_logical_type(&mt);
        return ok;
    }
    case DUCKDB_TYPE_SQLNULL:
        return true;
    default:
        strbuf_addf(why, "not supported yet: sending DuckDB type id %d to a PostgreSQL client",
                    (int)id);
        return false;
    }
}

/* --- binary ---------------------------------------------------------------------- */

bool pgtype_binary_supported(duckdb_logical_type t)
{
    switch (duckdb_get_type_id(t)) {
    case DUCKDB_TYPE_BOOLEAN:
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE:
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_ENUM:
    case DUCKDB_TYPE_BLOB:
    case DUCKDB_TYPE_DATE:
    case DUCKDB_TYPE_TIME:
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
    case DUCKDB_TYPE_INTERVAL:
    case DUCKDB_TYPE_UUID:
    case DUCKDB_TYPE_DECIMAL:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
    case DUCKDB_TYPE_UBIGINT:
        return true;
    default:
        return false;
    }
}

static void put_be(strbuf *out, uint64_t v, int bytes);

/* numeric's binary form from its decimal text ("-12.340"): base-10000 digit
 * groups around the decimal point, without leading or trailing zero groups,
 * with the display scale the text had. */
static void numeric_binary_from_text(const char *t, size_t n, strbuf *out)
{
    bool negative = n && t[0] == '-';
    if (negative) {
        t++;
        n--;
    }
    const char *dot = memchr(t, '.', n);
    size_t int_len = dot ? (size_t)(dot - t) : n;
    const char *frac = dot ? dot + 1 : t + n;
    size_t frac_len = dot ? n - int_len - 1 : 0;
    size_t int_groups = (int_len + 3) / 4, frac_groups = (frac_len + 3) / 4;
    size_t total = int_groups + frac_groups;
    uint16_t *groups = xcalloc(total + 1, sizeof(uint16_t));
    /* integer digits, right-aligned in their groups */
    for (size_t i = 0; i < int_len; i++) {
        size_t pos = int_groups * 4 - int_len + i;
        groups[pos / 4] = (uint16_t)(groups[pos / 4] * 10 + (t[i] - '0'));
    }
    for (size_t i = 0; i < frac_groups * 4; i++) {
        size_t g = int_groups + i / 4;
        groups[g] = (uint16_t)(groups[g] * 10 + (i < frac_len ? frac[i] - '0' : 0));
    }
    size_t first = 0, last = total;
    while (first < last && groups[first] == 0)
        first++;
    while (last > first && groups[last - 1] == 0)
        last--;
    int weight = first == last ? 0 : (int)int_groups - 1 - (int)first;
    put_be(out, (uint64_t)(last - first), 2);
    put_be(out, (uint64_t)(int64_t)weight, 2);
    put_be(out, first != last && negative ? 0x4000 : 0, 2);
    put_be(out, (uint64_t)frac_len, 2);
    for (size_t g = first; g < last; g++)
        put_be(out, groups[g], 2);
    free(groups);
}

static void put_be(strbuf *out, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--)
        strbuf_addc(out, (char)(unsigned char)(v >> (8 * i)));
}

bool pgtype_format_binary(duckdb_vector v, duckdb_logical_type t, idx_t row, strbuf *out,
                          strbuf *why)
{
    void *data = duckdb_vector_get_data(v);
    switch (duckdb_get_type_id(t)) {
    case DUCKDB_TYPE_BOOLEAN:
        strbuf_addc(out, ((bool *)data)[row] ? 1 : 0);
        return true;
    case DUCKDB_TYPE_TINYINT:
        put_be(out, (uint64_t)(int64_t)((int8_t *)data)[row], 2);
        return true;
    case DUCKDB_TYPE_UTINYINT:
        put_be(out, ((uint8_t *)data)[row], 2);
        return true;
    case DUCKDB_TYPE_SMALLINT:
        put_be(out, (uint64_t)(int64_t)((int16_t *)data)[row], 2);
        return true;
    case DUCKDB_TYPE_USMALLINT:
        put_be(out, ((uint16_t *)data)[row], 4);
        return true;
    case DUCKDB_TYPE_INTEGER:
        put_be(out, (uint64_t)(int64_t)((int32_t *)data)[row], 4);
        return true;
    case DUCKDB_TYPE_UINTEGER:
        put_be(out, ((uint32_t *)data)[row], 8);
        return true;
    case DUCKDB_TYPE_BIGINT:
        put_be(out, (uint64_t)((int64_t *)data)[row], 8);
        return true;
    case DUCKDB_TYPE_FLOAT: {
        uint32_t bits;
        memcpy(&bits, (float *)data + row, 4);
        put_be(out, bits, 4);
        return true;
    }
    case DUCKDB_TYPE_DOUBLE: {
        uint64_t bits;
        memcpy(&bits, (double *)data + row, 8);
        put_be(out, bits, 8);
        return true;
    }
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_BLOB: {
        const char *p;
        size_t n;
        string_at(v, row, &p, &n);
        strbuf_add(out, p, n);
        return true;
    }
    case DUCKDB_TYPE_ENUM:
        return pgtype_format_text(v, t, row, out, why);
    case DUCKDB_TYPE_DECIMAL:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
    case DUCKDB_TYPE_UBIGINT: {
        strbuf text = STRBUF_INIT;
        bool ok = pgtype_format_text(v, t, row, &text, why);
        if (ok)
            numeric_binary_from_text(text.buf, text.len, out);
        strbuf_release(&text);
        return ok;
    }
    case DUCKDB_TYPE_DATE: {
        int32_t d = ((duckdb_date *)data)[row].days;
        if (d != INT32_MAX && d != -INT32_MAX)
            d -= PG_EPOCH_DAYS;
        put_be(out, (uint64_t)(int64_t)d, 4);
        return true;
    }
    case DUCKDB_TYPE_TIME:
        put_be(out, (uint64_t)((duckdb_time *)data)[row].micros, 8);
        return true;
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_TZ: {
        int64_t m = ((int64_t *)data)[row];
        if (m != INT64_MAX && m != -INT64_MAX)
            m -= PG_EPOCH_MICROS;
        else
            m = m > 0 ? INT64_MAX : INT64_MIN; /* PostgreSQL's infinities */
        put_be(out, (uint64_t)m, 8);
        return true;
    }
    case DUCKDB_TYPE_INTERVAL: {
        duckdb_interval iv = ((duckdb_interval *)data)[row];
        put_be(out, (uint64_t)iv.micros, 8);
        put_be(out, (uint64_t)(int64_t)iv.days, 4);
        put_be(out, (uint64_t)(int64_t)iv.months, 4);
        return true;
    }
    case DUCKDB_TYPE_UUID: {
        duckdb_hugeint h = ((duckdb_hugeint *)data)[row];
        put_be(out, (uint64_t)h.upper ^ (UINT64_C(1) << 63), 8);
        put_be(out, h.lower, 8);
        return true;
    }
    default:
        strbuf_addf(why, "not supported yet: binary format for a %s column",
                    pgtype_name(pgtype_oid(t)));
        return false;
    }
}

static uint64_t get_be(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = (v << 8) | p[i];
    return v;
}

/* numeric's binary form: ndigits, weight, sign, dscale (int16 each), then
 * ndigits base-10000 digits, the first worth 10000^weight.  Read into its
 * decimal text, which DuckDB casts to the parameter's type exactly. */
static duckdb_value numeric_param(const unsigned char *p, size_t n, strbuf *why)
{
    if (n < 8) {
        strbuf_addf(why, "binary numeric parameter has %zu bytes, expected at least 8", n);
        return NULL;
    }
    int ndigits = (int16_t)get_be(p, 2), weight = (int16_t)get_be(p + 2, 2);
    unsigned sign = (unsigned)get_be(p + 4, 2);
    int dscale = (int16_t)get_be(p + 6, 2);
    if (ndigits < 0 || dscale < 0 || dscale > 1000 || n != 8 + 2 * (size_t)ndigits ||
        weight < -1000 || weight > 1000 || (sign != 0 && sign != 0x4000 && sign != 0xC000)) {
        strbuf_adds(why, "malformed binary numeric parameter");
        return NULL;
    }
    if (sign == 0xC000)
        return duckdb_create_varchar("NaN");
    strbuf text = STRBUF_INIT;
    if (sign == 0x4000)
        strbuf_addc(&text, '-');
    /* integer part: groups weight..0 */
    if (weight < 0) {
        strbuf_addc(&text, '0');
    } else {
        for (int g = 0; g <= weight; g++) {
            unsigned d = g < ndigits ? (unsigned)get_be(p + 8 + 2 * g, 2) : 0;
            if (d > 9999) {
                strbuf_release(&text);
                strbuf_adds(why, "malformed binary numeric parameter (a digit over 9999)");
                return NULL;
            }
            strbuf_addf(&text, g == 0 ? "%u" : "%04u", d);
        }
    }
    if (dscale > 0) {
        strbuf_addc(&text, '.');
        int written = 0;
        for (int g = weight + 1; written < dscale; g++) {
            unsigned d = g >= 0 && g < ndigits ? (unsigned)get_be(p + 8 + 2 * g, 2) : 0;
            char four[8];
            snprintf(four, sizeof(four), "%04u", d % 10000);
            for (int k = 0; k < 4 && written < dscale; k++, written++)
                strbuf_addc(&text, four[k]);
        }
    }
    duckdb_value v = duckdb_create_varchar_length(text.buf, text.len);
    strbuf_release(&text);
    return v;
}

duckdb_value pgtype_binary_param(int32_t oid, const unsigned char *p, size_t n, strbuf *why)
{
    int16_t want = pgtype_len(oid);
    if (want > 0 && (size_t)want != n && oid != PG_OID_TIMETZ) {
        strbuf_addf(why, "binary %s parameter has %zu bytes, expected %d", pgtype_name(oid), n,
                    want);
        return NULL;
    }
    switch (oid) {
    case PG_OID_BOOL:
        return duckdb_create_bool(p[0] != 0);
    case PG_OID_INT2:
        return duckdb_create_int16((int16_t)get_be(p, 2));
    case PG_OID_INT4:
        return duckdb_create_int32((int32_t)get_be(p, 4));
    case PG_OID_INT8:
        return duckdb_create_int64((int64_t)get_be(p, 8));
    case PG_OID_FLOAT4: {
        uint32_t bits = (uint32_t)get_be(p, 4);
        float f;
        memcpy(&f, &bits, 4);
        return duckdb_create_float(f);
    }
    case PG_OID_FLOAT8: {
        uint64_t bits = get_be(p, 8);
        double d;
        memcpy(&d, &bits, 8);
        return duckdb_create_double(d);
    }
    case PG_OID_TEXT:
    case PG_OID_VARCHAR:
    case PG_OID_JSON:
    case PG_OID_UNKNOWN:
        return duckdb_create_varchar_length((const char *)p, n);
    case PG_OID_BYTEA:
        return duckdb_create_blob(p, n);
    case PG_OID_DATE:
        return duckdb_create_date((duckdb_date){(int32_t)get_be(p, 4) + PG_EPOCH_DAYS});
    case PG_OID_TIME:
        return duckdb_create_time((duckdb_time){(int64_t)get_be(p, 8)});
    case PG_OID_TIMESTAMP:
        return duckdb_create_timestamp((duckdb_timestamp){(int64_t)get_be(p, 8) + PG_EPOCH_MICROS});
    case PG_OID_TIMESTAMPTZ:
        return duckdb_create_timestamp_tz(
            (duckdb_timestamp){(int64_t)get_be(p, 8) + PG_EPOCH_MICROS});
    case PG_OID_INTERVAL:
        return duckdb_create_interval((duckdb_interval){.micros = (int64_t)get_be(p, 8),
                                                        .days = (int32_t)get_be(p + 8, 4),
                                                        .months = (int32_t)get_be(p + 12, 4)});
    case PG_OID_UUID: {
        duckdb_uhugeint u = {.upper = get_be(p, 8), .lower = get_be(p + 8, 8)};
        return duckdb_create_uuid(u);
    }
    case PG_OID_NUMERIC:
        return numeric_param(p, n, why);
    default:
        strbuf_addf(why, "not supported yet: binary parameters of type OID %d", oid);
        return NULL;
    }
}
