/* show_table: dbt show's preview formats (see show_table.h).  dbt turns the
 * rows into an agate table (numbers become Decimals, so integers print as
 * 1.0 in JSON) and prints that; each cell here starts from DuckDB's own
 * text of the value and is reshaped into what Python's str() of the same
 * value would say. */
#include "cli/show_table.h"

#include "util/xalloc.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    MAX_COLUMNS = 6,       /* agate's print_table defaults */
    MAX_COLUMN_WIDTH = 20, /* longer cells end in "..." */
    MAX_PRECISION = 3,     /* more decimals are rounded, and marked with an ellipsis */
};

typedef enum {
    KIND_TEXT,
    KIND_NUMBER,
    KIND_BOOL,
    KIND_DATE,
    KIND_DATETIME,
    KIND_OTHER
} kind;

static kind kind_of(duckdb_type t)
{
    switch (t) {
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
    case DUCKDB_TYPE_DECIMAL:
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE:
        return KIND_NUMBER;
    case DUCKDB_TYPE_BOOLEAN:
        return KIND_BOOL;
    case DUCKDB_TYPE_DATE:
        return KIND_DATE;
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
        return KIND_DATETIME;
    case DUCKDB_TYPE_VARCHAR:
        return KIND_TEXT;
    default:
        return KIND_OTHER;
    }
}

/* The cell as Python's str() would print the value dbt-duckdb hands agate;
 * NULL for SQL NULL.  The caller frees it. */
static char *cell(duckdb_result *r, idx_t col, idx_t row, kind k, bool iso_t)
{
    if (duckdb_value_is_null(r, col, row))
        return NULL;
    char *v = duckdb_value_varchar(r, col, row);
    strbuf sb = STRBUF_INIT;
    if (k == KIND_BOOL) {
        strbuf_adds(&sb, strcmp(v, "true") == 0 ? "True" : "False");
    } else if (k == KIND_DATETIME) {
        /* "2024-01-02 03:04:05.5+00" -> "2024-01-02 03:04:05.500000+00:00" */
        const char *p = v;
        size_t date_len = strcspn(p, " ");
        strbuf_add(&sb, p, date_len);
        p += date_len;
        if (*p == ' ') {
            strbuf_addc(&sb, iso_t ? 'T' : ' ');
            p++;
            size_t clock = strcspn(p, ".+-");
            strbuf_add(&sb, p, clock);
            p += clock;
            if (*p == '.') {
                size_t frac = strspn(p + 1, "0123456789");
                strbuf_add(&sb, p, 1 + (frac > 6 ? 6 : frac));
                for (size_t i = frac; i < 6; i++)
                    strbuf_addc(&sb, '0');
                p += 1 + frac;
            }
            if (*p == '+' || *p == '-') {
                strbuf_adds(&sb, p);
                if (strlen(p) == 3)
                    strbuf_adds(&sb, ":00");
            }
        }
    } else {
        strbuf_adds(&sb, v);
    }
    duckdb_free(v);
    return strbuf_detach(&sb);
}

/* Decimal places of a number's text, trailing zeros aside (agate reads
 * Decimal('1234.50') as two places but prints one: it normalizes). */
static int places_of(const char *v)
{
    const char *dot = strchr(v, '.');
    if (!dot || strpbrk(v, "eE"))
        return 0;
    int n = (int)strspn(dot + 1, "0123456789");
    while (n > 0 && dot[n] == '0')
        n--;
    return n;
}

/* babel's format_decimal with '#,##0.###'-style patterns: grouping, and
 * exactly `places` decimals, rounded half-even. */
static void format_number(const char *v, int places, bool ellipsis, strbuf *out)
{
    if (strpbrk(v, "eEnN")) { /* 1e+20, nan, inf: as DuckDB says */
        strbuf_adds(out, v);
        return;
    }
    bool neg = *v == '-';
    if (neg)
        v++;
    const char *dot = strchr(v, '.');
    size_t int_len = dot ? (size_t)(dot - v) : strlen(v);
    const char *frac = dot ? dot + 1 : "";
    size_t frac_len = strlen(frac);
    /* digits = integer part + `places` decimals, then rounding */
    size_t nd = int_len + (size_t)places;
    char *digits = xcalloc(nd + 2, 1);
    digits[0] = '0'; /* room for a carry */
    memcpy(digits + 1, v, int_len);
    for (int i = 0; i < places; i++)
        digits[1 + int_len + i] = (size_t)i < frac_len ? frac[i] : '0';
    if ((size_t)places < frac_len) {
        char next = frac[places];
        bool rest = false;
        for (size_t i = (size_t)places + 1; i < frac_len; i++)
            rest = rest || frac[i] != '0';
        bool up = next > '5' || (next == '5' && (rest || (digits[nd] - '0') % 2 == 1));
        for (size_t i = nd; up; i--) {
            if (digits[i] == '9') {
                digits[i] = '0';
            } else {
                digits[i]++;
                up = false;
            }
            if (i == 0)
                break;
        }
    }
    const char *d = digits;
    size_t ilen = int_len + 1;
    while (ilen > 1 && *d == '0') {
        d++;
        ilen--;
    }
    bool zero = true;
    for (size_t i = 0; i < ilen + (size_t)places; i++)
        zero = zero && d[i] == '0';
    if (neg && !zero)
        strbuf_addc(out, '-');
    for (size_t i = 0; i < ilen; i++) {
        strbuf_addc(out, d[i]);
        if (i + 1 < ilen && (ilen - i - 1) % 3 == 0)
            strbuf_addc(out, ',');
    }
    if (places > 0) {
        strbuf_addc(out, '.');
        strbuf_add(out, d + ilen, (size_t)places);
    }
    if (ellipsis)
        strbuf_adds(out, "\xe2\x80\xa6"); /* agate's number_truncation_chars */
    free(digits);
}

/* Characters, not bytes, for widths (agate counts code points). */
static size_t text_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static char *clip(char *s)
{
    if (text_width(s) <= MAX_COLUMN_WIDTH)
        return s;
    strbuf sb = STRBUF_INIT;
    size_t chars = 0;
    for (const char *p = s; *p; p++) {
        if (((unsigned char)*p & 0xC0) != 0x80 && ++chars > MAX_COLUMN_WIDTH - 3)
            break;
        strbuf_addc(&sb, *p);
    }
    strbuf_adds(&sb, "...");
    free(s);
    return strbuf_detach(&sb);
}

static void pad(strbuf *out, const char *s, size_t width, bool left)
{
    size_t w = text_width(s);
    if (!left)
        for (size_t i = w; i < width; i++)
            strbuf_addc(out, ' ');
    strbuf_adds(out, s);
    if (left)
        for (size_t i = w; i < width; i++)
            strbuf_addc(out, ' ');
}

void show_table_text(duckdb_result *r, strbuf *out)
{
    idx_t all = duckdb_column_count(r), rows = duckdb_row_count(r);
    bool more = all > MAX_COLUMNS;
    idx_t ncols = more ? MAX_COLUMNS : all;
    size_t shown = ncols + (more ? 1 : 0);
    char **cells = xcalloc((rows + 1) * shown + 1, sizeof(char *));
    bool *left = xcalloc(shown + 1, sizeof(bool));
    size_t *width = xcalloc(shown + 1, sizeof(size_t));
    for (idx_t c = 0; c < ncols; c++) {
        kind k = kind_of(duckdb_column_type(r, c));
        left[c] = k == KIND_TEXT;
        int places = 0;
        for (idx_t i = 0; k == KIND_NUMBER && i < rows; i++) {
            char *v = cell(r, c, i, k, false);
            if (v && places_of(v) > places)
                places = places_of(v);
            free(v);
        }
        bool ellipsis = places > MAX_PRECISION;
        if (ellipsis)
            places = MAX_PRECISION;
        cells[c] = clip(xstrdup(duckdb_column_name(r, c)));
        for (idx_t i = 0; i < rows; i++) {
            char *v = cell(r, c, i, k, false);
            if (v && k == KIND_NUMBER) {
                strbuf sb = STRBUF_INIT;
                format_number(v, places, ellipsis, &sb);
                free(v);
                v = strbuf_detach(&sb);
            }
            cells[(i + 1) * shown + c] = clip(v ? v : xstrdup(""));
        }
    }
    if (more)
        for (idx_t i = 0; i <= rows; i++)
            cells[i * shown + ncols] = xstrdup("...");
    for (size_t c = 0; c < shown; c++)
        for (idx_t i = 0; i <= rows; i++)
            if (text_width(cells[i * shown + c]) > width[c])
                width[c] = text_width(cells[i * shown + c]);
    for (idx_t i = 0; i <= rows; i++) {
        strbuf_adds(out, "|");
        for (size_t c = 0; c < shown; c++) {
            strbuf_addc(out, ' ');
            pad(out, cells[i * shown + c], width[c], left[c]);
            strbuf_adds(out, " |");
        }
        strbuf_addc(out, '\n');
        if (i == 0) {
            strbuf_adds(out, "|");
            for (size_t c = 0; c < shown; c++) {
                strbuf_addc(out, ' ');
                for (size_t k = 0; k < width[c]; k++)
                    strbuf_addc(out, '-');
                strbuf_adds(out, " |");
            }
            strbuf_addc(out, '\n');
        }
    }
    for (size_t i = 0; i < (rows + 1) * shown; i++)
        free(cells[i]);
    free(cells);
    free(left);
    free(width);
}

static void json_string(strbuf *out, const char *s)
{
    strbuf_addc(out, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            strbuf_addf(out, "\\%c", *p);
        else if (*p == '\n')
            strbuf_adds(out, "\\n");
        else if (*p == '\t')
            strbuf_adds(out, "\\t");
        else if (*p == '\r')
            strbuf_adds(out, "\\r");
        else if (*p < 0x20)
            strbuf_addf(out, "\\u%04x", *p);
        else if (*p >= 0x80) {
            /* Python's json.dumps escapes non-ASCII (ensure_ascii). */
            uint32_t cp;
            int extra = *p >= 0xF0 ? 3 : *p >= 0xE0 ? 2 : 1;
            cp = *p & (0x3F >> extra);
            for (int i = 0; i < extra && p[1]; i++)
                cp = (cp << 6) | (*++p & 0x3F);
            if (cp >= 0x10000) {
                cp -= 0x10000;
                strbuf_addf(out, "\\u%04x\\u%04x", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
            } else {
                strbuf_addf(out, "\\u%04x", cp);
            }
        } else
            strbuf_addc(out, (char)*p);
    }
    strbuf_addc(out, '"');
}

/* A number as Python's repr(float(Decimal(text))): the shortest digits that
 * read back the same double, fixed-point between 1e-4 and 1e16. */
static void json_number(strbuf *out, const char *v)
{
    double d = strtod(v, NULL);
    if (d != d || d - d != 0) { /* NaN, infinities: Python's spellings */
        strbuf_adds(out, d != d ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
        return;
    }
    char buf[64];
    int prec = 1;
    for (; prec < 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    double mag = d < 0 ? -d : d;
    if (d != 0 && (mag >= 1e16 || mag < 1e-4)) {
        /* 1.5e+16: Python writes the exponent with at least two digits */
        snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
        char *e = strchr(buf, 'e');
        char *mant_end = e;
        if (memchr(buf, '.', (size_t)(e - buf))) {
            while (mant_end[-1] == '0')
                mant_end--;
            if (mant_end[-1] == '.')
                mant_end--;
        }
        strbuf_add(out, buf, (size_t)(mant_end - buf));
        strbuf_adds(out, e);
        return;
    }
    int exp10 = 0;
    snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
    exp10 = atoi(strchr(buf, 'e') + 1);
    int decimals = prec - 1 - exp10;
    if (decimals < 1)
        decimals = 1;
    snprintf(buf, sizeof(buf), "%.*f", decimals, d);
    size_t n = strlen(buf);
    while (n > 2 && buf[n - 1] == '0' && buf[n - 2] != '.')
        n--;
    strbuf_add(out, buf, n);
}

void show_table_json(duckdb_result *r, const char *node_name, strbuf *out)
{
    idx_t ncols = duckdb_column_count(r), rows = duckdb_row_count(r);
    strbuf_adds(out, "{\n");
    if (node_name) {
        strbuf_adds(out, "  \"node\": ");
        json_string(out, node_name);
        strbuf_adds(out, ",\n");
    }
    strbuf_adds(out, rows ? "  \"show\": [\n" : "  \"show\": []\n");
    for (idx_t i = 0; i < rows; i++) {
        strbuf_adds(out, ncols ? "    {\n" : "    {}");
        for (idx_t c = 0; c < ncols; c++) {
            kind k = kind_of(duckdb_column_type(r, c));
            strbuf_adds(out, "      ");
            json_string(out, duckdb_column_name(r, c));
            strbuf_adds(out, ": ");
            char *v = cell(r, c, i, k, true);
            if (!v)
                strbuf_adds(out, "null");
            else if (k == KIND_NUMBER)
                json_number(out, v);
            else if (k == KIND_BOOL)
                strbuf_adds(out, strcmp(v, "True") == 0 ? "true" : "false");
            else
                json_string(out, v);
            free(v);
            strbuf_adds(out, c + 1 < ncols ? ",\n" : "\n");
        }
        if (ncols)
            strbuf_adds(out, "    }");
        strbuf_adds(out, i + 1 < rows ? ",\n" : "\n");
    }
    if (rows)
        strbuf_adds(out, "  ]\n");
    strbuf_adds(out, "}");
}
