/* lexer: turns template source into tokens, as Jinja2's lexer does with its
 * default delimiters -- data, {{ }}, {% %}, {# #}, whitespace control with
 * '-', {% raw %} -- and the tokens inside tags. */
#include "jinja/ast.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint32_t jinja_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

void jinja_error_atv(mlerr *err, const source_info *src, int line, int col, const char *fmt,
                     va_list ap)
{
    if (!err || err->set)
        return;
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    mlerr_at(err, EXIT_HANDLED, src ? src->name : NULL, line, col, "%s", msg ? msg : fmt);
    free(msg);
    if (!src || line <= 0 || !src->text)
        return;
    /* Show the offending line with a caret under the column. */
    const char *p = src->text, *end = src->text + src->len;
    for (int l = 1; l < line && p < end; p++)
        if (*p == '\n')
            l++;
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol)
        eol = end;
    /* a long line is shown as a window around the column */
    enum {
        WINDOW = 60
    };
    const char *from = p, *to = eol;
    if (col > 0 && col - 1 > WINDOW && (size_t)(eol - p) > 2 * WINDOW)
        from = p + (col - 1 - WINDOW);
    if (from > eol)
        from = eol;
    if ((size_t)(to - from) > 2 * WINDOW)
        to = from + 2 * WINDOW;
    while (from > p && from < eol && ((unsigned char)*from & 0xc0) == 0x80)
        from--;
    while (to < eol && ((unsigned char)*to & 0xc0) == 0x80)
        to++;
    strbuf_adds(&err->msg, "\n  ");
    if (from > p)
        strbuf_adds(&err->msg, "...");
    strbuf_add(&err->msg, from, (size_t)(to - from));
    if (to < eol)
        strbuf_adds(&err->msg, "...");
    if (col > 0 && p + col - 1 <= eol) {
        strbuf_adds(&err->msg, "\n  ");
        if (from > p)
            strbuf_adds(&err->msg, "   ");
        for (const char *c = from; c < p + col - 1; c++) {
            if (((unsigned char)*c & 0xc0) != 0x80)
                strbuf_addc(&err->msg, *c == '\t' ? '\t' : ' ');
        }
        strbuf_addc(&err->msg, '^');
    }
}

void jinja_error_at(mlerr *err, const source_info *src, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    jinja_error_atv(err, src, line, col, fmt, ap);
    va_end(ap);
}

typedef struct lexer {
    arena *a;
    const source_info *src;
    const char *s;
    size_t len, pos;
    int line;
    size_t line_start;
    token_list *out;
    mlerr *err;
} lexer;

/* Python's str.isspace() for the code point at p (UTF-8); returns its byte
 * length, or 0 when it is not whitespace. */
static size_t space_len(const char *p, const char *end)
{
    unsigned char c = (unsigned char)p[0];
    if (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f))
        return 1;
    if (c < 0x80 || end - p < 2)
        return 0;
    unsigned char c1 = (unsigned char)p[1];
    if (c == 0xc2 && (c1 == 0x85 || c1 == 0xa0))
        return 2;
    if (end - p < 3)
        return 0;
    unsigned char c2 = (unsigned char)p[2];
    if (c == 0xe1 && c1 == 0x9a && c2 == 0x80)
        return 3; /* U+1680 */
    if (c == 0xe2 && c1 == 0x80 &&
        ((c2 >= 0x80 && c2 <= 0x8a) || c2 == 0xa8 || c2 == 0xa9 || c2 == 0xaf))
        return 3; /* U+2000..200A, 2028, 2029, 202F */
    if (c == 0xe2 && c1 == 0x81 && c2 == 0x9f)
        return 3; /* U+205F */
    if (c == 0xe3 && c1 == 0x80 && c2 == 0x80)
        return 3; /* U+3000 */
    return 0;
}

/* The length of s[0..len) after Python's rstrip(). */
static size_t rstrip_len(const char *s, size_t len)
{
    while (len > 0) {
        if (space_len(s + len - 1, s + len) == 1)
            len--;
        else if (len >= 2 && space_len(s + len - 2, s + len) == 2)
            len -= 2;
        else if (len >= 3 && space_len(s + len - 3, s + len) == 3)
            len -= 3;
        else
            break;
    }
    return len;
}

static size_t skip_space(const char *s, size_t pos, size_t len)
{
    size_t n;
    while (pos < len && (n = space_len(s + pos, s + len)) > 0)
        pos += n;
    return pos;
}

static void advance_lines(lexer *lx, size_t to)
{
    for (size_t i = lx->pos; i < to; i++) {
        if (lx->s[i] == '\n') {
            lx->line++;
            lx->line_start = i + 1;
        }
    }
    lx->pos = to;
}

static int col_of(const lexer *lx, size_t pos)
{
    return (int)(pos - lx->line_start) + 1;
}

static token *push(lexer *lx, tk_type type, size_t at)
{
    token_list *tl = lx->out;
    if (tl->n == tl->cap) {
        tl->cap = tl->cap ? tl->cap * 2 : 64;
        tl->items = xrealloc(tl->items, tl->cap * sizeof(token));
    }
    token *t = &tl->items[tl->n++];
    memset(t, 0, sizeof(*t));
    t->type = type;
    t->line = lx->line;
    t->col = col_of(lx, at);
    return t;
}

static bool fail(lexer *lx, size_t at, const char *fmt, const char *arg)
{
    /* compute line/col of `at` without moving */
    int line = lx->line;
    size_t ls = lx->line_start;
    for (size_t i = lx->pos; i < at && i < lx->len; i++) {
        if (lx->s[i] == '\n') {
            line++;
            ls = i + 1;
        }
    }
    jinja_error_at(lx->err, lx->src, line, (int)(at - ls) + 1, fmt, arg);
    return false;
}

static void push_data(lexer *lx, size_t start, size_t end)
{
    if (end <= start)
        return;
    token *t = push(lx, TK_DATA, start);
    t->text = lx->s + start;
    t->len = end - start;
}

/* Is there `{%[-+]? raw [-]?%}` at pos?  Returns the end of the tag (after
 * trailing whitespace for '-%}'), and whether the tag begins with '-'. */
static size_t match_tag_word(const lexer *lx, size_t pos, const char *word, bool *lstrip)
{
    const char *s = lx->s;
    size_t len = lx->len, p = pos + 2;
    *lstrip = false;
    if (p < len && (s[p] == '-' || s[p] == '+')) {
        *lstrip = s[p] == '-';
        p++;
    }
    p = skip_space(s, p, len);
    size_t wl = strlen(word);
    if (len - p < wl || memcmp(s + p, word, wl) != 0)
        return 0;
    p += wl;
    p = skip_space(s, p, len);
    if (len - p >= 3 && s[p] == '-' && s[p + 1] == '%' && s[p + 2] == '}')
        return skip_space(s, p + 3, len);
    if (len - p >= 3 && s[p] == '+' && s[p + 1] == '%' && s[p + 2] == '}')
        return p + 3;
    if (len - p >= 2 && s[p] == '%' && s[p + 1] == '}')
        return p + 2;
    return 0;
}

static bool is_name_start(unsigned char c)
{
    return isalpha(c) || c == '_' || c >= 0x80;
}

static bool is_name_char(unsigned char c)
{
    return isalnum(c) || c == '_' || c >= 0x80;
}

static void put_utf8(strbuf *sb, uint32_t cp)
{
    if (cp < 0x80) {
        strbuf_addc(sb, (char)cp);
    } else if (cp < 0x800) {
        strbuf_addc(sb, (char)(0xc0 | (cp >> 6)));
        strbuf_addc(sb, (char)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        strbuf_addc(sb, (char)(0xe0 | (cp >> 12)));
        strbuf_addc(sb, (char)(0x80 | ((cp >> 6) & 0x3f)));
        strbuf_addc(sb, (char)(0x80 | (cp & 0x3f)));
    } else {
        strbuf_addc(sb, (char)(0xf0 | (cp >> 18)));
        strbuf_addc(sb, (char)(0x80 | ((cp >> 12) & 0x3f)));
        strbuf_addc(sb, (char)(0x80 | ((cp >> 6) & 0x3f)));
        strbuf_addc(sb, (char)(0x80 | (cp & 0x3f)));
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes a string literal body as Python's unicode-escape does. */
static bool decode_string(lexer *lx, size_t start, const char *s, size_t n, token *t)
{
    strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c != '\\' || i + 1 >= n) {
            strbuf_addc(&sb, c);
            continue;
        }
        char e = s[++i];
        switch (e) {
        case '\n':
            break;
        case '\\':
        case '\'':
        case '"':
            strbuf_addc(&sb, e);
            break;
        case 'a':
            strbuf_addc(&sb, '\a');
            break;
        case 'b':
            strbuf_addc(&sb, '\b');
            break;
        case 'f':
            strbuf_addc(&sb, '\f');
            break;
        case 'n':
            strbuf_addc(&sb, '\n');
            break;
        case 'r':
            strbuf_addc(&sb, '\r');
            break;
        case 't':
            strbuf_addc(&sb, '\t');
            break;
        case 'v':
            strbuf_addc(&sb, '\v');
            break;
        case 'x':
        case 'u':
        case 'U': {
            int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            uint32_t cp = 0;
            for (int k = 0; k < digits; k++) {
                int h = i + 1 + (size_t)k < n ? hexval(s[i + 1 + k]) : -1;
                if (h < 0) {
                    strbuf_release(&sb);
                    return fail(lx, start, "invalid escape \\%s in string literal",
                                e == 'x'   ? "x"
                                : e == 'u' ? "u"
                                           : "U");
                }
                cp = cp * 16 + (uint32_t)h;
            }
            if (cp > 0x10ffff) {
                strbuf_release(&sb);
                return fail(lx, start, "%s", "illegal Unicode character in string literal");
            }
            i += (size_t)digits;
            put_utf8(&sb, cp);
            break;
        }
        case 'N':
            strbuf_release(&sb);
            return fail(lx, start, "%s", "not supported yet: \\N{name} escapes in string literals");
        default:
            if (e >= '0' && e <= '7') {
                uint32_t cp = (uint32_t)(e - '0');
                for (int k = 0; k < 2 && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7'; k++)
                    cp = cp * 8 + (uint32_t)(s[++i] - '0');
                put_utf8(&sb, cp);
            } else {
                strbuf_addc(&sb, '\\');
                strbuf_addc(&sb, e);
            }
        }
    }
    t->len = sb.len;
    t->text = arena_strndup(lx->a, strbuf_str(&sb), sb.len);
    strbuf_release(&sb);
    return true;
}

static size_t digits_end(const char *s, size_t p, size_t len, int (*isdig)(int))
{
    /* digits with single underscores between them */
    if (p >= len || !isdig((unsigned char)s[p]))
        return p;
    p++;
    while (p < len) {
        if (isdig((unsigned char)s[p])) {
            p++;
        } else if (s[p] == '_' && p + 1 < len && isdig((unsigned char)s[p + 1])) {
            p += 2;
        } else {
            break;
        }
    }
    return p;
}

static int is_bin(int c)
{
    return c == '0' || c == '1';
}

static int is_oct(int c)
{
    return c >= '0' && c <= '7';
}

static bool lex_number(lexer *lx, size_t *pp, bool no_float)
{
    const char *s = lx->s;
    size_t len = lx->len, p = *pp, start = p;
    token *t;
    char buf[128];
    size_t bl = 0;
    if (s[p] == '0' && p + 1 < len && strchr("bBoOxX", s[p + 1]) && s[p + 1] != 0) {
        char kind = (char)tolower((unsigned char)s[p + 1]);
        int (*isd)(int) = kind == 'b' ? is_bin : kind == 'o' ? is_oct : isxdigit;
        size_t q = p + 2;
        if (q < len && s[q] == '_')
            q++;
        size_t e = digits_end(s, q, len, isd);
        if (e > q) {
            for (size_t i = q; i < e && bl < sizeof(buf) - 1; i++)
                if (s[i] != '_')
                    buf[bl++] = s[i];
            buf[bl] = 0;
            errno = 0;
            unsigned long long v = strtoull(buf, NULL, kind == 'b' ? 2 : kind == 'o' ? 8 : 16);
            if (errno || v > INT64_MAX || bl >= sizeof(buf) - 1)
                return fail(lx, start, "not supported yet: integer literal %s beyond 64 bits", "");
            t = push(lx, TK_INT, start);
            t->ival = (int64_t)v;
            *pp = e;
            return true;
        }
    }
    size_t e = digits_end(s, p, len, isdigit);
    bool is_float = false;
    size_t f = e;
    if (!no_float && f + 1 < len && s[f] == '.' && isdigit((unsigned char)s[f + 1])) {
        f = digits_end(s, f + 1, len, isdigit);
        is_float = true;
    }
    if (!no_float && f < len && (s[f] == 'e' || s[f] == 'E')) {
        size_t q = f + 1;
        if (q < len && (s[q] == '+' || s[q] == '-'))
            q++;
        size_t x = digits_end(s, q, len, isdigit);
        if (x > q) {
            f = x;
            is_float = true;
        }
    }
    if (!is_float) {
        f = e;
        /* an integer may not have leading zeros: "01" is 0 then 1 */
        if (s[start] == '0') {
            f = start + 1;
            while (f < e && (s[f] == '0' || (s[f] == '_' && f + 1 < e && s[f + 1] == '0')))
                f += s[f] == '_' ? 2 : 1;
        }
    }
    for (size_t i = start; i < f && bl < sizeof(buf) - 1; i++)
        if (s[i] != '_')
            buf[bl++] = s[i];
    buf[bl] = 0;
    if (bl >= sizeof(buf) - 1)
        return fail(lx, start, "%s", "number literal too long");
    if (is_float) {
        t = push(lx, TK_FLOAT, start);
        t->fval = strtod(buf, NULL);
    } else {
        errno = 0;
        unsigned long long v = strtoull(buf, NULL, 10);
        if (errno || v > INT64_MAX)
            return fail(lx, start, "not supported yet: integer literal %s beyond 64 bits", buf);
        t = push(lx, TK_INT, start);
        t->ival = (int64_t)v;
    }
    *pp = f;
    return true;
}

static const struct {
    const char *text;
    tk_op op;
} operators[] = {
    {"**", OP_POW},     {"//", OP_FLOORDIV}, {"==", OP_EQ},    {"!=", OP_NE},
    {">=", OP_GTEQ},    {"<=", OP_LTEQ},     {"+", OP_ADD},    {"-", OP_SUB},
    {"/", OP_DIV},      {"*", OP_MUL},       {"%", OP_MOD},    {"~", OP_TILDE},
    {"[", OP_LBRACKET}, {"]", OP_RBRACKET},  {"(", OP_LPAREN}, {")", OP_RPAREN},
    {"{", OP_LBRACE},   {"}", OP_RBRACE},    {">", OP_GT},     {"<", OP_LT},
    {"=", OP_ASSIGN},   {".", OP_DOT},       {":", OP_COLON},  {"|", OP_PIPE},
    {",", OP_COMMA},    {";", OP_SEMICOLON},
};

/* Lexes the inside of a tag up to its end delimiter (end_ch is '}' for
 * "}}" or '%' for "%}"); *pp ends after the delimiter and any whitespace a
 * '-' strips. */
static bool lex_tag(lexer *lx, size_t *pp, char end_ch, tk_type end_type, size_t tag_start)
{
    const char *s = lx->s;
    size_t len = lx->len, p = *pp;
    int depth = 0;
    char stack[256];
    for (;;) {
        advance_lines(lx, p);
        if (p >= len)
            return fail(lx, tag_start, "%s",
                        end_type == TK_VAR_END ? "unexpected end of template, expected end of "
                                                 "print statement"
                                               : "unexpected end of template, expected end of "
                                                 "statement block");
        if (depth == 0) {
            size_t q = p;
            bool strip = false;
            if (s[q] == '-' || s[q] == '+') {
                strip = s[q] == '-';
                q++;
            }
            if (len - q >= 2 && s[q] == end_ch && s[q + 1] == '}') {
                push(lx, end_type, p);
                q += 2;
                if (strip)
                    q = skip_space(s, q, len);
                advance_lines(lx, q);
                *pp = q;
                return true;
            }
        }
        size_t n = space_len(s + p, s + len);
        if (n) {
            p += n;
            continue;
        }
        unsigned char c = (unsigned char)s[p];
        if (isdigit(c)) {
            /* after a dot, "x.1.2" is two item lookups, not a float */
            if (!lex_number(lx, &p, p > 0 && s[p - 1] == '.'))
                return false;
            continue;
        }
        if (is_name_start(c)) {
            size_t e = p + 1;
            while (e < len && is_name_char((unsigned char)s[e]))
                e++;
            token *t = push(lx, TK_NAME, p);
            t->text = arena_strndup(lx->a, s + p, e - p);
            t->len = e - p;
            p = e;
            continue;
        }
        if (c == '\'' || c == '"') {
            size_t e = p + 1;
            while (e < len && s[e] != (char)c) {
                if (s[e] == '\\')
                    e++;
                e++;
            }
            if (e >= len) {
                char ch[2] = {(char)c, 0};
                return fail(lx, p, "unexpected char '%s' (unterminated string)", ch);
            }
            token *t = push(lx, TK_STRING, p);
            if (!decode_string(lx, p, s + p + 1, e - p - 1, t))
                return false;
            p = e + 1;
            continue;
        }
        bool found = false;
        for (size_t i = 0; i < sizeof(operators) / sizeof(operators[0]); i++) {
            if (operators[i].text[0] != (char)c)
                continue;
            size_t ol = strlen(operators[i].text);
            if (len - p >= ol && memcmp(s + p, operators[i].text, ol) == 0) {
                tk_op op = operators[i].op;
                if (op == OP_LPAREN || op == OP_LBRACKET || op == OP_LBRACE) {
                    if (depth >= (int)sizeof(stack))
                        return fail(lx, p, "%s", "brackets nested too deeply");
                    stack[depth++] = op == OP_LPAREN ? ')' : op == OP_LBRACKET ? ']' : '}';
                } else if (op == OP_RPAREN || op == OP_RBRACKET || op == OP_RBRACE) {
                    char want = op == OP_RPAREN ? ')' : op == OP_RBRACKET ? ']' : '}';
                    char got[2] = {want, 0};
                    if (depth == 0)
                        return fail(lx, p, "unexpected '%s'", got);
                    if (stack[depth - 1] != want)
                        return fail(lx, p, "unexpected '%s'", got);
                    depth--;
                }
                token *t = push(lx, TK_OP, p);
                t->op = op;
                t->text = operators[i].text;
                t->len = ol;
                p += ol;
                found = true;
                break;
            }
        }
        if (!found) {
            char ch[8] = {0};
            size_t cl = 1;
            if (c >= 0x80)
                while (cl < 4 && p + cl < len && ((unsigned char)s[p + cl] & 0xc0) == 0x80)
                    cl++;
            memcpy(ch, s + p, cl);
            return fail(lx, p, "unexpected char '%s'", ch);
        }
    }
}

bool jinja_lex(arena *a, const source_info *src, token_list *out, mlerr *err)
{
    lexer lx = {
        .a = a, .src = src, .s = src->text, .len = src->len, .line = 1, .out = out, .err = err};
    const char *s = lx.s;
    size_t len = lx.len;
    while (lx.pos < len) {
        /* find the next tag opening */
        size_t p = lx.pos, tag = len;
        while (p + 1 < len) {
            const char *q = memchr(s + p, '{', len - p - 1);
            if (!q)
                break;
            p = (size_t)(q - s);
            if (s[p + 1] == '{' || s[p + 1] == '%' || s[p + 1] == '#') {
                tag = p;
                break;
            }
            p++;
        }
        if (tag == len) {
            push_data(&lx, lx.pos, len);
            advance_lines(&lx, len);
            break;
        }
        char kind = s[tag + 1];
        bool lstrip = tag + 2 < len && s[tag + 2] == '-';
        bool raw_lstrip = false;
        size_t raw_end = kind == '%' ? match_tag_word(&lx, tag, "raw", &raw_lstrip) : 0;
        size_t data_end = tag;
        if (lstrip || (raw_end && raw_lstrip))
            data_end = lx.pos + rstrip_len(s + lx.pos, tag - lx.pos);
        push_data(&lx, lx.pos, data_end);
        advance_lines(&lx, tag);
        if (raw_end) {
            /* {% raw %}...{% endraw %}: everything between is data */
            size_t q = raw_end;
            for (;;) {
                const char *r = q < len ? memmem(s + q, len - q, "{%", 2) : NULL;
                if (!r)
                    return fail(&lx, tag, "%s", "Missing end of raw directive");
                size_t at = (size_t)(r - s);
                bool end_lstrip;
                size_t end = match_tag_word(&lx, at, "endraw", &end_lstrip);
                if (!end) {
                    q = at + 2;
                    continue;
                }
                size_t content_end =
                    end_lstrip ? raw_end + rstrip_len(s + raw_end, at - raw_end) : at;
                advance_lines(&lx, raw_end);
                push_data(&lx, raw_end, content_end);
                advance_lines(&lx, end);
                break;
            }
            continue;
        }
        if (kind == '#') {
            size_t q = tag + 2;
            const char *r = q <= len ? memmem(s + q, len - q, "#}", 2) : NULL;
            if (!r)
                return fail(&lx, tag, "%s", "Missing end of comment tag");
            size_t at = (size_t)(r - s);
            size_t end = at + 2;
            if (at > tag + 2 && s[at - 1] == '-')
                end = skip_space(s, end, len);
            advance_lines(&lx, end);
            continue;
        }
        size_t q = tag + 2;
        if (q < len && (s[q] == '-' || s[q] == '+'))
            q++;
        push(&lx, kind == '{' ? TK_VAR_BEGIN : TK_BLOCK_BEGIN, tag);
        if (!lex_tag(&lx, &q, kind == '{' ? '}' : '%', kind == '{' ? TK_VAR_END : TK_BLOCK_END,
                     tag))
            return false;
        advance_lines(&lx, q);
    }
    push(&lx, TK_EOF, lx.pos);
    return true;
}

const char *jinja_token_describe(const token *t, char *buf, size_t size)
{
    switch (t->type) {
    case TK_EOF:
        return "end of template";
    case TK_DATA:
        return "template data";
    case TK_VAR_BEGIN:
        return "begin of print statement";
    case TK_VAR_END:
        return "end of print statement";
    case TK_BLOCK_BEGIN:
        return "begin of statement block";
    case TK_BLOCK_END:
        return "end of statement block";
    case TK_NAME:
    case TK_OP:
        snprintf(buf, size, "%.*s", (int)(t->len > 60 ? 60 : t->len), t->text);
        return buf;
    case TK_STRING:
        return "string";
    case TK_INT:
        return "integer";
    case TK_FLOAT:
        return "float";
    }
    return "token";
}
