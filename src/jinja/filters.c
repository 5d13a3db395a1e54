/* filters: Jinja2 3.1's built-in filters, with its argument names, defaults
 * and Python semantics (jinja2/filters.py is the reference), registered on
 * an env as ordinary native functions. */
#include "jinja/builtin_util.h"
#include "jinja/pystr.h"
#include "util/xalloc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FILTER(name)                                                                               \
    static jinja_status name(jinja_call *call, void *ud, const jv *args, size_t nargs,             \
                             const jv_kwarg *kwargs, size_t nkwargs, jv *result)

/* Declares jv p[] and binds the call's arguments to the named parameters;
 * the first `req` are required. */
#define BIND(fname, req, ...)                                                                      \
    static const char *const params_[] = {__VA_ARGS__};                                            \
    jv p[sizeof params_ / sizeof params_[0]];                                                      \
    if (!bi_bind(call, fname, params_, sizeof params_ / sizeof params_[0], req, args, nargs,       \
                 kwargs, nkwargs, p))                                                              \
        return JINJA_ERROR;

#define ARENA jinja_call_arena(call)

/* A bound argument, or its default when not passed. */
static jv opt(jv v, jv dflt)
{
    return bi_missing(v) ? dflt : v;
}

static bool opt_bool(jv v, bool dflt)
{
    return bi_missing(v) ? dflt : jv_truthy(v);
}

/* Marks a result that Jinja returns as a generator. */
static jinja_status generator(jv *result)
{
    *result = jv_generator(*result);
    return JINJA_OK;
}

static jv sb_result(jinja_call *call, strbuf *sb)
{
    jv v = bi_string_sb(ARENA, sb);
    strbuf_release(sb);
    return v;
}

static bool length_of(jinja_call *call, jv v, int64_t *n);
static bool parse_py_float(const char *s, size_t n, double *out);

/* --- strings -------------------------------------------------------------- */
FILTER(f_lower)
{
    BIND("do_lower", 1, "s");
    jv s;
    if (!bi_str(call, p[0], &s))
        return JINJA_ERROR;
    strbuf sb = STRBUF_INIT;
    pystr_lower(jv_str_ptr(s), jv_str_len(s), &sb);
    *result = sb_result(call, &sb);
    return JINJA_OK;
}

FILTER(f_upper)
{
    BIND("do_upper", 1, "s");
    jv s;
    if (!bi_str(call, p[0], &s))
        return JINJA_ERROR;
    strbuf sb = STRBUF_INIT;
    pystr_upper(jv_str_ptr(s), jv_str_len(s), &sb);
    *result = sb_result(call, &sb);
    return JINJA_OK;
}

FILTER(f_capitalize)
{
    BIND("do_capitalize", 1, "s");
    jv s;
    if (!bi_str(call, p[0], &s))
        return JINJA_ERROR;
    strbuf sb = STRBUF_INIT;
    pystr_capitalize(jv_str_ptr(s), jv_str_len(s), &sb);
    *result = sb_result(call, &sb);
    return JINJA_OK;
}

/* Jinja's title: split on runs of [-\s({[<], then upper the first
 * character and lower the rest of every piece. */
static bool title_sep(long cp)
{
    return cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<' || pystr_isspace_cp(cp);
}

FILTER(f_title)
{
    BIND("do_title", 1, "s");
    jv s;
    if (!bi_str(call, p[0], &s))
        return JINJA_ERROR;
    const char *str = jv_str_ptr(s);
    size_t n = jv_str_len(s);
    strbuf sb = STRBUF_INIT;
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        size_t next = i;
        bool sep = title_sep(pystr_next(str, n, &next));
        while (i < n) {
            size_t q = i;
            if (title_sep(pystr_next(str, n, &q)) != sep)
                break;
            i = q;
        }
        /* Each piece, separator or word: first upper, rest lower. */
        size_t first_end = start;
        long first = pystr_next(str, n, &first_end);
        if (first == 0xdf)
            strbuf_adds(&sb, "SS");
        else
            pystr_put(&sb, pystr_upper_cp(first));
        pystr_lower(str + first_end, i - first_end, &sb);
    }
    *result = sb_result(call, &sb);
    return JINJA_OK;
}

FILTER(f_trim)
{
    BIND("do_trim", 1, "value", "chars");
    jv s;
    if (!bi_str(call, p[0], &s))
        return JINJA_ERROR;
    jv chars = opt(p[1], jv_none());
    if (chars.kind != JV_NONE && chars.kind != JV_STRING)
        return jinja_call_error(call, "strip arg must be None or str");
    size_t b, e;
    pystr_strip(jv_str_ptr(s), jv_str_len(s), chars.kind == JV_STRING ? jv_str_ptr(chars) : NULL,
                jv_str_len(chars), PYSTR_BOTH, &b, &e);
    *result = jv_string_n(ARENA, jv_str_ptr(s) + b, e - b);
    return JINJA_OK;
}

FILTER(f_replace)
{
    BIND("do_replace", 3, "s", "old", "new", "count");
    jv s, old, new_;
    if (!bi_str(call, p[0], &s) || !bi_str(call, p[1], &old) || !bi_str(call, p[2], &new_))
        return JINJA_ERROR;
    int64_t count = -1;
    jv c = opt(p[3], jv_none());
    if (c.kind != JV_NONE && !bi_int(call, "replace", c, &count))
        return JINJA_ERROR;
    strbuf sb = STRBUF_INIT;
    pystr_replace(jv_str_ptr(s), jv_str_len(s), jv_str_ptr(old), jv_str_len(old), jv_str_ptr(new_),
                  jv_str_len(new_), (long)count, &sb);
    *result = sb_result(call, &sb);
    return JINJA_OK;
}

FILTER(f_center)
{
    BIND("do_center", 1, "value", "width");
    jv s;
    int64_t width = 80;
    if (!bi_str(call, p[0], &s))
        return JINJA_ERROR;
    if (!bi_missing(p[1]) && !bi_int(call, "center", p[1], &width))
        return JINJA_ERROR;
    size_t len = pystr_len(jv_str_ptr(s), jv_str_len(s));
    if (width <= (int64_t)len) {
        *result = s;
        return JINJA_OK;
    }
    if (width > 10000000)
        return jinja_call_error(call, "center: width too big");
    /* CPython's pad(): the odd space goes left when width is odd. */
    size_t marg = (size_t)width - len;
    size_t left = marg / 2 + (marg & (size_t)width & 1);
    strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < left; i++)
        strbuf_addc(&sb, ' ');
    strbuf_add(&sb, jv_str_ptr(s), jv_str_len(s));
    for (size_t i = left; i < marg; i++)
        strbuf_addc(&sb, ' ');
    *result = sb_result(call, &sb);
    return JINJA_OK;
}

FILTER(f_indent)
{
    BIND("do_indent", 1, "s", "width", "first", "blank");
    /* No str() here: Jinja appends "\n" to the value as it is. */
    jv s = p[0];
    if (s.kind == JV_UNDEFINED)
        return bi_undefined_error(call, s);
    if (s.kind == JV_LIST && !(s.flags & JV_FLAG_TUPLE))
        return jinja_call_error(call, "'list' object has no attribute 'splitlines'");
    if (s.kind != JV_STRING)
        return jinja_call_error(call, "unsupported operand type(s) for +=: '%s' and 'str'",
                                jv_kind_name(s));
    jv width = opt(p[1], jv_int(4));
    bool first = opt_bool(p[2], false), blank = opt_bool(p[3], false);
    strbuf ind = STRBUF_INIT;
    if (width.kind == JV_STRING) {
        strbuf_add(&ind, jv_str_ptr(width), jv_str_len(width));
    } else {
        int64_t w;
        if (!bi_int(call, "indent", width, &w)) {
            strbuf_release(&ind);
            return JINJA_ERROR;
        }
        if (w > 100000) {
            strbuf_release(&ind);
            return jinja_call_error(call, "indent: width too big");
        }
        for (int64_t i = 0; i < w; i++)
            strbuf_addc(&ind, ' ');
    }
    /* s += "\n" then splitlines(): a trailing newline adds no line. */
    strbuf src = STRBUF_INIT;
    strbuf_add(&src, jv_str_ptr(s), jv_str_len(s));
    strbuf_addc(&src, '\n');
    jv lines = pystr_splitlines(ARENA, src.buf, src.len, false);
    strbuf_release(&src);
    strbuf sb = STRBUF_INIT;
    if (first)
        strbuf_add(&sb, strbuf_str(&ind), ind.len);
    size_t n = jv_list_len(lines);
    for (size_t i = 0; i < n; i++) {
        jv line = jv_list_get(lines, i);
        if (i > 0) {
            strbuf_addc(&sb, '\n');
            if (blank || jv_str_len(line) > 0)
                strbuf_add(&sb, strbuf_str(&ind), ind.len);
        }
        strbuf_add(&sb, jv_str_ptr(line), jv_str_len(line));
    }
    strbuf_release(&ind);
    *result = sb_result(call, &sb);
    return JINJA_OK;
}

FILTER(f_truncate)
{
    BIND("do_truncate", 1, "s", "length", "killwords", "end", "leeway");
    jv s = p[0], end;
    int64_t length = 255, leeway = 5;
    if (!bi_missing(p[1]) && !bi_int(call, "truncate", p[1], &length))
        return JINJA_ERROR;
    bool killwords = opt_bool(p[2], false);
    if (!bi_str(call, opt(p[3], jv_string(ARENA, "...")), &end))
        return JINJA_ERROR;
    jv lw = opt(p[4], jv_none());
    if (lw.kind != JV_NONE && !bi_int(call, "truncate", lw, &leeway))
        return JINJA_ERROR;
    size_t end_len = pystr_len(jv_str_ptr(end), jv_str_len(end));
    if (length < (int64_t)end_len)
        return jinja_call_error(call, "expected length >= %zu, got %lld", end_len,
                                (long long)length);
    if (leeway < 0)
        return jinja_call_error(call, "expected leeway >= 0, got %lld", (long long)leeway);
    /* No str() here either: len(s) decides, for any sized value. */
    if (s.kind != JV_STRING) {
        int64_t size;
        if (!length_of(call, s, &size))
            return JINJA_ERROR;
        if (size <= length + leeway) {
            *result = s;
            return JINJA_OK;
        }
        return jinja_call_error(call, "'%s' object has no attribute 'rsplit'", jv_kind_name(s));
    }
    const char *str = jv_str_ptr(s);
    size_t n = jv_str_len(s);
    size_t len = pystr_len(str, n);
    if ((int64_t)len <= length + leeway) {
        *result = s;
        return JINJA_OK;
    }
    size_t cut = pystr_offset(str, n, (size_t)(length - (int64_t)end_len));
    if (!killwords) {
        /* rsplit(" ", 1)[0] */
        for (size_t i = cut; i-- > 0;) {
            if (str[i] == ' ') {
                cut = i;
                break;
            }
        }
    }
    strbuf sb = STRBUF_INIT;
    strbuf_add(&sb, str, cut);
    strbuf_add(&sb, jv_str_ptr(end), jv_str_len(end));
    *result = sb_result(call, &sb);
    return JINJA_OK;
}

FILTER(f_wordcount)
{
    BIND("do_wordcount", 1, "s");
    jv s;
    if (!bi_str(call, p[0], &s))
        return JINJA_ERROR;
    const char *str = jv_str_ptr(s);
    size_t n = jv_str_len(s);
    int64_t words = 0;
    bool in_word = false;
    for (size_t i = 0; i < n;) {
        long cp = pystr_next(str, n, &i);
        bool w = cp == '_' || pystr_isalnum_cp(cp);
        if (w && !in_word)
            words++;
        in_word = w;
    }
    *result = jv_int(words);
    return JINJA_OK;
}

static void url_quote(const char *s, size_t n, bool for_qs, strbuf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '_' || c == '.' || c == '-' || c == '~' || (c == '/' && !for_qs)) {
            strbuf_addc(out, (char)c);
        } else if (c == ' ' && for_qs) {
            strbuf_addc(out, '+');
        } else {
            strbuf_addc(out, '%');
            strbuf_addc(out, hex[c >> 4]);
            strbuf_addc(out, hex[c & 15]);
        }
    }
}

static bool url_quote_value(jinja_call *call, jv v, bool for_qs, strbuf *out)
{
    jv s;
    if (!bi_str(call, v, &s))
        return false;
    url_quote(jv_str_ptr(s), jv_str_len(s), for_qs, out);
    return true;
}

FILTER(f_urlencode)
{
    BIND("do_urlencode", 1, "value");
    jv v = p[0];
    strbuf sb = STRBUF_INIT;
    if (v.kind != JV_DICT && v.kind != JV_LIST && v.kind != JV_UNDEFINED) {
        if (!url_quote_value(call, v, false, &sb)) {
            strbuf_release(&sb);
            return JINJA_ERROR;
        }
        *result = sb_result(call, &sb);
        return JINJA_OK;
    }
    size_t n = v.kind == JV_DICT ? jv_dict_len(v) : jv_list_len(v);
    if (v.kind == JV_UNDEFINED) {
        jv dummy;
        if (!bi_iter(call, v, &dummy)) {
            strbuf_release(&sb);
            return JINJA_ERROR;
        }
    }
    for (size_t i = 0; i < n; i++) {
        jv k, val;
        if (v.kind == JV_DICT) {
            k = jv_dict_key_at(v, i);
            val = jv_dict_value_at(v, i);
        } else {
            jv pair = jv_list_get(v, i);
            if (pair.kind != JV_LIST || jv_list_len(pair) != 2) {
                strbuf_release(&sb);
                return jinja_call_error(call, "urlencode: expected (key, value) pairs");
            }
            k = jv_list_get(pair, 0);
            val = jv_list_get(pair, 1);
        }
        if (i)
            strbuf_addc(&sb, '&');
        if (!url_quote_value(call, k, true, &sb)) {
            strbuf_release(&sb);
            return JINJA_ERROR;
        }
        strbuf_addc(&sb, '=');
        if (!url_quote_value(call, val, true, &sb)) {
            strbuf_release(&sb);
            return JINJA_ERROR;
        }
    }
    *result = sb_result(call, &sb);
    return JINJA_OK;
}

static void html_escape(const char *s, size_t n, strbuf *out)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '&':
            strbuf_adds(out, "&amp;");
            break;
        case '<':
            strbuf_adds(out, "&lt;");
            break;
        case '>':
            strbuf_adds(out, "&gt;");
            break;
        case '"':
            strbuf_adds(out, "&#34;");
            break;
        case '\'':
            strbuf_adds(out, "&#39;");
            break;
        default:
            strbuf_addc(out, s[i]);
        }
    }
}

FILTER(f_escape)
{
    BIND("escape", 1, "s");
    jv s;
    /* markupsafe.escape(None) is 'None'; undefined escapes to ''. */
    if (!bi_str(call, p[0], &s))
        return JINJA_ERROR;
    strbuf sb = STRBUF_INIT;
    html_escape(jv_str_ptr(s), jv_str_len(s), &sb);
    *result = sb_result(call, &sb);
    return JINJA_OK;
}

FILTER(f_safe)
{
    BIND("do_mark_safe", 1, "value");
    return bi_str(call, p[0], result) ? JINJA_OK : JINJA_ERROR;
}

FILTER(f_string)
{
    BIND("soft_str", 1, "value");
    return bi_str(call, p[0], result) ? JINJA_OK : JINJA_ERROR;
}

/* markupsafe's striptags: drop comments and tags, unescape the common
 * entities, collapse whitespace. */
FILTER(f_striptags)
{
    BIND("do_striptags", 1, "value");
    jv s;
    if (!bi_str(call, p[0], &s))
        return JINJA_ERROR;
    const char *str = jv_str_ptr(s);
    size_t n = jv_str_len(s);
    strbuf text = STRBUF_INIT;
    for (size_t i = 0; i < n;) {
        if (str[i] == '<' && i + 3 < n && memcmp(str + i, "<!--", 4) == 0) {
            const char *close = memmem(str + i + 4, n - i - 4, "-->", 3);
            if (close) {
                i = (size_t)(close - str) + 3;
                continue;
            }
        }
        if (str[i] == '<') {
            const char *close = memchr(str + i + 1, '>', n - i - 1);
            if (close) {
                i = (size_t)(close - str) + 1;
                continue;
            }
        }
        strbuf_addc(&text, str[i++]);
    }
    /* Collapse whitespace like " ".join(s.split()). */
    jv words = pystr_split(ARENA, strbuf_str(&text), text.len, NULL, 0, -1);
    strbuf_release(&text);
    strbuf joined = STRBUF_INIT;
    for (size_t i = 0; i < jv_list_len(words); i++) {
        if (i)
            strbuf_addc(&joined, ' ');
        jv w = jv_list_get(words, i);
        strbuf_add(&joined, jv_str_ptr(w), jv_str_len(w));
    }
    static const struct {
        const char *ent, *ch;
    } ents[] = {{"&amp;", "&"},  {"&lt;", "<"},  {"&gt;", ">"},         {"&quot;", "\""},
                {"&#34;", "\""}, {"&#39;", "'"}, {"&nbsp;", "\xc2\xa0"}};
    strbuf out = STRBUF_INIT;
    const char *j = strbuf_str(&joined);
    for (size_t i = 0; i < joined.len;) {
        bool hit = false;
        if (j[i] == '&') {
            for (size_t e = 0; e < sizeof ents / sizeof ents[0]; e++) {
                size_t el = strlen(ents[e].ent);
                if (i + el <= joined.len && memcmp(j + i, ents[e].ent, el) == 0) {
                    strbuf_adds(&out, ents[e].ch);
                    i += el;
                    hit = true;
                    break;
                }
            }
        }
        if (!hit)
            strbuf_addc(&out, j[i++]);
    }
    strbuf_release(&joined);
    *result = sb_result(call, &out);
    return JINJA_OK;
}

FILTER(f_format)
{
    if (nargs < 1)
        return jinja_call_error(call, "do_format() missing required argument: 'value'");
    jv s;
    if (!bi_str(call, args[0], &s))
        return JINJA_ERROR;
    if (nargs > 1 && nkwargs > 0)
        return jinja_call_error(call,
                                "can't handle positional and keyword arguments at the same time");
    jv values;
    if (nkwargs) {
        values = jv_dict(ARENA);
        for (size_t i = 0; i < nkwargs; i++)
            jv_dict_set_str(values, kwargs[i].name, kwargs[i].value);
    } else {
        values = jv_tuple(ARENA, args + 1, nargs - 1);
    }
    return jinja_format_percent(call, s, values, result);
}

FILTER(f_filesizeformat)
{
    BIND("do_filesizeformat", 1, "value", "binary");
    bool binary = opt_bool(p[1], false);
    jv v = p[0];
    double bytes;
    if (v.kind == JV_INT || v.kind == JV_BOOL)
        bytes = (double)(v.kind == JV_INT ? v.u.i : v.u.b);
    else if (v.kind == JV_FLOAT)
        bytes = v.u.f;
    else if (v.kind == JV_STRING) {
        if (!parse_py_float(jv_str_ptr(v), jv_str_len(v), &bytes)) {
            strbuf r = STRBUF_INIT;
            jv_to_repr(v, &r);
            jinja_call_error(call, "could not convert string to float: %s", strbuf_str(&r));
            strbuf_release(&r);
            return JINJA_ERROR;
        }
    } else {
        return jinja_call_error(call, "float() argument must be a string or a number, not '%s'",
                                jv_kind_name(v));
    }
    double base = binary ? 1024 : 1000;
    static const char *const dec[] = {"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
    static const char *const bin[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
    if (bytes == 1) {
        *result = jv_string(ARENA, "1 Byte");
        return JINJA_OK;
    }
    if (bytes < base) {
        *result = jv_string_fmt(ARENA, "%lld Bytes", (long long)bytes);
        return JINJA_OK;
    }
    double unit = base;
    int i;
    for (i = 0; i < 8; i++) {
        unit *= base;
        if (bytes < unit)
            break;
    }
    if (i == 8)
        i = 7;
    *result = jv_string_fmt(ARENA, "%.1f %s", base * bytes / unit, binary ? bin[i] : dec[i]);
    return JINJA_OK;
}

FILTER(f_xmlattr)
{
    BIND("do_xmlattr", 1, "d", "autospace");
    bool autospace = opt_bool(p[1], true);
    jv d = p[0];
    if (d.kind != JV_DICT)
        return jinja_call_error(call, "'%s' object has no attribute 'items'", jv_kind_name(d));
    strbuf sb = STRBUF_INIT;
    size_t written = 0;
    for (size_t i = 0; i < jv_dict_len(d); i++) {
        jv v = jv_dict_value_at(d, i);
        if (v.kind == JV_NONE || v.kind == JV_UNDEFINED)
            continue;
        jv k = jv_dict_key_at(d, i), vs;
        if (k.kind != JV_STRING) {
            strbuf_release(&sb);
            return jinja_call_error(call, "expected string or bytes-like object, got '%s'",
                                    jv_kind_name(k));
        }
        if (!bi_str(call, v, &vs)) {
            strbuf_release(&sb);
            return JINJA_ERROR;
        }
        for (size_t c = 0; c < jv_str_len(k); c++) {
            char ch = jv_str_ptr(k)[c];
            if (ch == ' ' || ch == '/' || ch == '>' || ch == '=' || (ch >= 9 && ch <= 13)) {
                strbuf_release(&sb);
                strbuf r = STRBUF_INIT;
                jv_to_repr(k, &r);
                jinja_call_error(call, "Invalid character in attribute name: %s", strbuf_str(&r));
                strbuf_release(&r);
                return JINJA_ERROR;
            }
        }
        if (written++ || autospace)
            strbuf_addc(&sb, ' ');
        html_escape(jv_str_ptr(k), jv_str_len(k), &sb);
        strbuf_adds(&sb, "=\"");
        html_escape(jv_str_ptr(vs), jv_str_len(vs), &sb);
        strbuf_addc(&sb, '"');
    }
    *result = sb_result(call, &sb);
    return JINJA_OK;
}

/* A greedy word wrap in the spirit of textwrap.wrap with Jinja's settings
 * (no tab expansion, whitespace kept): lines are split on spaces, long
 * words broken when break_long_words. */
FILTER(f_wordwrap)
{
    BIND("do_wordwrap", 1, "s", "width", "break_long_words", "wrapstring", "break_on_hyphens");
    jv s = p[0], wrap;
    int64_t width = 79;
    if (s.kind == JV_UNDEFINED)
        return bi_undefined_error(call, s);
    if (s.kind != JV_STRING)
        return jinja_call_error(call, "'%s' object has no attribute 'splitlines'", jv_kind_name(s));
    if (!bi_missing(p[1]) && !bi_int(call, "wordwrap", p[1], &width))
        return JINJA_ERROR;
    if (width <= 0)
        return jinja_call_error(call, "invalid width %lld (must be > 0)", (long long)width);
    bool break_long = opt_bool(p[2], true);
    jv ws = opt(p[3], jv_none());
    if (ws.kind == JV_NONE)
        wrap = jv_string(ARENA, "\n");
    else if (!bi_str(call, ws, &wrap))
        return JINJA_ERROR;
    jv paragraphs = pystr_splitlines(ARENA, jv_str_ptr(s), jv_str_len(s), false);
    strbuf sb = STRBUF_INIT;
    for (size_t pi = 0; pi < jv_list_len(paragraphs); pi++) {
        if (pi)
            strbuf_add(&sb, jv_str_ptr(wrap), jv_str_len(wrap));
        jv para = jv_list_get(paragraphs, pi);
        jv words = pystr_split(ARENA, jv_str_ptr(para), jv_str_len(para), " ", 1, -1);
        size_t line_len = 0;
        bool line_started = false;
        for (size_t wi = 0; wi < jv_list_len(words); wi++) {
            jv w = jv_list_get(words, wi);
            const char *ws_ = jv_str_ptr(w);
            size_t wn = jv_str_len(w), wl = pystr_len(ws_, wn);
            if (wn == 0)
                continue;
            if (line_started && line_len + 1 + wl <= (size_t)width) {
                strbuf_addc(&sb, ' ');
                strbuf_add(&sb, ws_, wn);
                line_len += 1 + wl;
                continue;
            }
            if (line_started)
                strbuf_add(&sb, jv_str_ptr(wrap), jv_str_len(wrap));
            while (break_long && wl > (size_t)width) {
                size_t cut = pystr_offset(ws_, wn, (size_t)width);
                strbuf_add(&sb, ws_, cut);
                strbuf_add(&sb, jv_str_ptr(wrap), jv_str_len(wrap));
                ws_ += cut;
                wn -= cut;
                wl -= (size_t)width;
            }
            strbuf_add(&sb, ws_, wn);
            line_len = wl;
            line_started = true;
        }
    }
    *result = sb_result(call, &sb);
    return JINJA_OK;
}

/* --- defaults and conversions --------------------------------------------- */
FILTER(f_default)
{
    BIND("do_default", 1, "value", "default_value", "boolean");
    jv dflt = opt(p[1], jv_string(ARENA, ""));
    bool boolean = opt_bool(p[2], false);
    jv v = p[0];
    if (v.kind == JV_UNDEFINED || (boolean && !jv_truthy(v)))
        *result = dflt;
    else
        *result = v;
    return JINJA_OK;
}

/* The value 0-9 of a Unicode decimal digit (Python's int() and float()
 * accept any of them), or -1. */
static int unicode_digit(long cp)
{
    static const long zeros[] = {0x30,   0x660,  0x6f0,  0x7c0,  0x966,  0x9e6,  0xa66,
                                 0xae6,  0xb66,  0xbe6,  0xc66,  0xce6,  0xd66,  0xde6,
                                 0xe50,  0xed0,  0xf20,  0x1040, 0x1090, 0x17e0, 0x1810,
                                 0x1946, 0x19d0, 0x1a80, 0x1a90, 0x1b50, 0xa8d0, 0xff10};
    for (size_t i = 0; i < sizeof zeros / sizeof zeros[0]; i++)
        if (cp >= zeros[i] && cp <= zeros[i] + 9)
            return (int)(cp - zeros[i]);
    return -1;
}

/* s with Unicode digits as ASCII ones, for the number parsers below. */
static jv ascii_digits(jinja_call *call, jv s)
{
    const char *p = jv_str_ptr(s);
    size_t n = jv_str_len(s);
    bool plain = true;
    for (size_t i = 0; i < n && plain; i++)
        plain = (unsigned char)p[i] < 0x80;
    if (plain)
        return s;
    strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < n;) {
        size_t at = i;
        long cp = pystr_next(p, n, &i);
        int d = unicode_digit(cp);
        if (d >= 0)
            strbuf_addc(&sb, (char)('0' + d));
        else
            strbuf_add(&sb, p + at, i - at);
    }
    return sb_result(call, &sb);
}

/* Python's float(str): optional whitespace and sign, digits with single
 * underscores between them, a fraction, an exponent; or inf/nan. */
static bool parse_py_float(const char *s, size_t n, double *out)
{
    size_t b, e;
    pystr_strip(s, n, NULL, 0, PYSTR_BOTH, &b, &e);
    if (b == e)
        return false;
    char *buf = xmalloc(e - b + 1);
    size_t k = 0, i = b;
    if (s[i] == '+' || s[i] == '-')
        buf[k++] = s[i++];
    size_t rest = e - i;
    static const char *const words[] = {"inf", "infinity", "nan"};
    for (size_t w = 0; w < 3; w++) {
        if (rest == strlen(words[w]) && strncasecmp(s + i, words[w], rest) == 0) {
            double v = w == 2 ? NAN : INFINITY;
            *out = buf[0] == '-' ? -v : v;
            free(buf);
            return true;
        }
    }
    bool digits = false, ok = true;
    /* mantissa */
    for (int part = 0; part < 2 && ok; part++) {
        bool prev_digit = false;
        while (i < e) {
            char c = s[i];
            if (c >= '0' && c <= '9') {
                buf[k++] = c;
                digits = prev_digit = true;
                i++;
            } else if (c == '_' && prev_digit && i + 1 < e && s[i + 1] >= '0' && s[i + 1] <= '9') {
                prev_digit = false;
                i++;
            } else {
                break;
            }
        }
        if (part == 0 && i < e && s[i] == '.') {
            buf[k++] = s[i++];
        } else {
            break;
        }
    }
    if (!digits)
        ok = false;
    if (ok && i < e && (s[i] == 'e' || s[i] == 'E')) {
        buf[k++] = s[i++];
        if (i < e && (s[i] == '+' || s[i] == '-'))
            buf[k++] = s[i++];
        bool exp_digits = false, prev_digit = false;
        while (i < e) {
            if (s[i] >= '0' && s[i] <= '9') {
                buf[k++] = s[i++];
                exp_digits = prev_digit = true;
            } else if (s[i] == '_' && prev_digit && i + 1 < e && s[i + 1] >= '0' &&
                       s[i + 1] <= '9') {
                prev_digit = false;
                i++;
            } else {
                break;
            }
        }
        if (!exp_digits)
            ok = false;
    }
    if (i != e)
        ok = false;
    buf[k] = 0;
    if (ok)
        *out = strtod(buf, NULL);
    free(buf);
    return ok;
}

/* Python's int(str, base).  Returns 1 on success, 0 on a ValueError, -1
 * when the value does not fit 64 bits. */
static int parse_py_int(const char *s, size_t n, int64_t base, int64_t *out)
{
    if (base != 0 && (base < 2 || base > 36))
        return 0;
    size_t b, e;
    pystr_strip(s, n, NULL, 0, PYSTR_BOTH, &b, &e);
    size_t i = b;
    bool neg = false;
    if (i < e && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i + 1 < e && s[i] == '0') {
        char x = (char)(s[i + 1] | 0x20);
        int pb = x == 'x' ? 16 : x == 'o' ? 8 : x == 'b' ? 2 : 0;
        if (pb && (base == 0 || base == pb)) {
            base = pb;
            i += 2;
            /* int("0x_1f", 16) is allowed: an underscore may follow. */
            if (i < e && s[i] == '_')
                i++;
        }
    }
    bool base0_decimal = base == 0;
    if (base == 0)
        base = 10;
    uint64_t v = 0;
    bool digits = false, prev_digit = false, overflow = false, nonzero_lead = false;
    size_t first_digit = i;
    for (; i < e; i++) {
        char c = s[i];
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'z')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'Z')
            d = c - 'A' + 10;
        else if (c == '_' && prev_digit && i + 1 < e) {
            prev_digit = false;
            continue;
        } else
            return 0;
        if (d >= base)
            return 0;
        if (i == first_digit && d != 0)
            nonzero_lead = true;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            overflow = true;
        else
            v = v * (uint64_t)base + (uint64_t)d;
        digits = prev_digit = true;
    }
    if (!digits || !prev_digit)
        return 0;
    /* int("010", 0) is a SyntaxError-like ValueError in Python 3. */
    if (base0_decimal && !nonzero_lead && v != 0)
        return 0;
    if (overflow || v > (uint64_t)INT64_MAX + (neg ? 1 : 0))
        return -1;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 1;
}

static jinja_status float_to_int(jinja_call *call, double f, jv dflt, jv *result)
{
    if (isnan(f)) {
        *result = dflt;
        return JINJA_OK;
    }
    if (isinf(f))
        return jinja_call_error(call, "cannot convert float infinity to integer");
    if (f >= 9223372036854775808.0 || f < -9223372036854775808.0)
        return jinja_call_error(call, "not supported yet: integers beyond 64 bits");
    *result = jv_int((int64_t)f);
    return JINJA_OK;
}

FILTER(f_int)
{
    BIND("do_int", 1, "value", "default", "base");
    jv v = p[0];
    jv dflt = opt(p[1], jv_int(0));
    jv base_v = opt(p[2], jv_int(10));
    switch (v.kind) {
    case JV_UNDEFINED:
        return bi_undefined_error(call, v);
    case JV_BOOL:
        *result = jv_int(v.u.b);
        return JINJA_OK;
    case JV_INT:
        *result = v;
        return JINJA_OK;
    case JV_FLOAT:
        return float_to_int(call, v.u.f, dflt, result);
    case JV_STRING: {
        v = ascii_digits(call, v);
        int64_t base = 10, out;
        bool base_ok = base_v.kind == JV_INT || base_v.kind == JV_BOOL;
        if (base_ok)
            base = base_v.kind == JV_INT ? base_v.u.i : base_v.u.b;
        if (base_ok) {
            int r = parse_py_int(jv_str_ptr(v), jv_str_len(v), base, &out);
            if (r == 1) {
                *result = jv_int(out);
                return JINJA_OK;
            }
            if (r < 0)
                return jinja_call_error(call, "not supported yet: integers beyond 64 bits");
        }
        /* The quirk that makes "42.23"|int give 42. */
        double f;
        if (parse_py_float(jv_str_ptr(v), jv_str_len(v), &f))
            return float_to_int(call, f, dflt, result);
        *result = dflt;
        return JINJA_OK;
    }
    default:
        *result = dflt;
        return JINJA_OK;
    }
}

FILTER(f_float)
{
    BIND("do_float", 1, "value", "default");
    jv v = p[0];
    jv dflt = opt(p[1], jv_float(0.0));
    switch (v.kind) {
    case JV_UNDEFINED:
        return bi_undefined_error(call, v);
    case JV_BOOL:
        *result = jv_float(v.u.b);
        return JINJA_OK;
    case JV_INT:
        *result = jv_float((double)v.u.i);
        return JINJA_OK;
    case JV_FLOAT:
        *result = v;
        return JINJA_OK;
    case JV_STRING: {
        double f;
        v = ascii_digits(call, v);
        *result = parse_py_float(jv_str_ptr(v), jv_str_len(v), &f) ? jv_float(f) : dflt;
        return JINJA_OK;
    }
    default:
        *result = dflt;
        return JINJA_OK;
    }
}

FILTER(f_abs)
{
    BIND("abs", 1, "x");
    jv v = p[0];
    switch (v.kind) {
    case JV_BOOL:
        *result = jv_int(v.u.b);
        return JINJA_OK;
    case JV_INT:
        if (v.u.i == INT64_MIN)
            return jinja_call_error(call, "not supported yet: integers beyond 64 bits");
        *result = jv_int(v.u.i < 0 ? -v.u.i : v.u.i);
        return JINJA_OK;
    case JV_FLOAT:
        *result = jv_float(fabs(v.u.f));
        return JINJA_OK;
    case JV_UNDEFINED:
        if (jinja_call_undefined_mode(call) == JINJA_UNDEFINED_STRICT)
            return bi_undefined_error(call, v);
        /* fall through */
    default:
        return jinja_call_error(call, "bad operand type for abs(): '%s'", jv_kind_name(v));
    }
}

/* Python's round(x, -k): x's exact decimal value rounded half-to-even to
 * a multiple of 10^k, as CPython's dtoa-based round does. */
static double round_to_tens(double x, int k)
{
    static _Thread_local char buf[1600];
    snprintf(buf, sizeof buf, "%.1100f", fabs(x));
    char *dot = strchr(buf, '.');
    size_t int_len = dot ? (size_t)(dot - buf) : strlen(buf);
    const char *frac = dot ? dot + 1 : "";
    bool frac_zero = strspn(frac, "0") == strlen(frac);
    if (int_len == 1 && buf[0] == '0')
        int_len = 0; /* no integer digits */
    long keep = (long)int_len - k;
    char q[400];
    size_t nq = 0;
    int half; /* the discarded part against half a unit: -1, 0, 1 */
    if (keep < 0) {
        half = -1;
    } else {
        memcpy(q, buf, (size_t)keep);
        nq = (size_t)keep;
        const char *r = buf + keep;
        size_t nr = int_len - (size_t)keep;
        if (nr == 0) {
            half = -1;
        } else if (r[0] != '5') {
            half = r[0] > '5' ? 1 : -1;
        } else {
            bool rest_zero = strspn(r + 1, "0") == nr - 1 && frac_zero;
            half = rest_zero ? 0 : 1;
        }
    }
    bool odd = nq > 0 && ((q[nq - 1] - '0') & 1);
    if (half > 0 || (half == 0 && odd)) {
        size_t i = nq;
        while (i > 0 && q[i - 1] == '9')
            q[--i] = '0';
        if (i == 0) {
            memmove(q + 1, q, nq);
            q[0] = '1';
            nq++;
        } else {
            q[i - 1]++;
        }
    }
    if (nq == 0)
        return x < 0 ? -0.0 : 0.0;
    snprintf(buf, sizeof buf, "%s%.*se%d", x < 0 ? "-" : "", (int)nq, q, k);
    return strtod(buf, NULL);
}

FILTER(f_round)
{
    BIND("do_round", 1, "value", "precision", "method");
    jv v = p[0];
    int64_t prec = 0;
    if (!bi_missing(p[1]) && !bi_int(call, "round", p[1], &prec))
        return JINJA_ERROR;
    jv method = opt(p[2], jv_string(ARENA, "common"));
    bool common = jv_is_str(method, "common"), ceil_ = jv_is_str(method, "ceil"),
         floor_ = jv_is_str(method, "floor");
    if (!common && !ceil_ && !floor_)
        return jinja_call_error(call, "method must be common, ceil or floor");
    if (v.kind == JV_UNDEFINED && jinja_call_undefined_mode(call) == JINJA_UNDEFINED_STRICT)
        return bi_undefined_error(call, v);
    if (v.kind != JV_INT && v.kind != JV_BOOL && v.kind != JV_FLOAT)
        return jinja_call_error(call,
                                common ? "type %s doesn't define __round__ method"
                                       : "must be real number, not %s",
                                jv_kind_name(v));
    if (prec > 400)
        prec = 400;
    if (prec < -400)
        prec = -400;
    if (!common) {
        double x = v.kind == JV_FLOAT ? v.u.f : (double)(v.kind == JV_INT ? v.u.i : v.u.b);
        double scale = pow(10.0, (double)prec);
        double r = ceil_ ? ceil(x * scale) : floor(x * scale);
        if (v.kind == JV_FLOAT && (isinf(x) || isnan(x)))
            return jinja_call_error(call, isnan(x) ? "cannot convert float NaN to integer"
                                                   : "cannot convert float infinity to integer");
        *result = jv_float(r / scale);
        return JINJA_OK;
    }
    if (v.kind != JV_FLOAT) {
        int64_t i = v.kind == JV_INT ? v.u.i : v.u.b;
        if (prec >= 0) {
            *result = jv_int(i);
            return JINJA_OK;
        }
        /* Round to a multiple of 10^-prec, half to even. */
        if (prec < -18) {
            *result = jv_int(0);
            return JINJA_OK;
        }
        int64_t m = 1;
        for (int64_t k = 0; k < -prec; k++)
            m *= 10;
        int64_t q = i / m, r = i % m;
        if (r < 0) {
            q -= 1;
            r += m;
        }
        if (r * 2 > m || (r * 2 == m && (q & 1)))
            q += 1;
        *result = jv_int(q * m);
        return JINJA_OK;
    }
    double x = v.u.f;
    if (isnan(x) || isinf(x)) {
        *result = v;
        return JINJA_OK;
    }
    if (prec >= 0) {
        if (prec > 323) {
            *result = v;
            return JINJA_OK;
        }
        char buf[400 + 320];
        snprintf(buf, sizeof buf, "%.*f", (int)prec, x);
        *result = jv_float(strtod(buf, NULL));
        return JINJA_OK;
    }
    *result = jv_float(round_to_tens(x, (int)-prec));
    if (isinf(result->u.f))
        return jinja_call_error(call, "rounded value too large to represent");
    return JINJA_OK;
}

/* The TypeErrors json.dumps(sort_keys=True) raises, checked up front so
 * that jv_to_json can print without failing. */
static bool json_check(jinja_call *call, jv v, int depth)
{
    if (depth > 400) {
        jinja_call_error(call, "Circular reference detected");
        return false;
    }
    switch (v.kind) {
    case JV_UNDEFINED:
    case JV_CALLABLE:
    case JV_OBJECT:
        jinja_call_error(call, "Object of type %s is not JSON serializable", jv_kind_name(v));
        return false;
    case JV_LIST:
        if (v.flags & JV_FLAG_GENERATOR) {
            jinja_call_error(call, "Object of type generator is not JSON serializable");
            return false;
        }
        for (size_t i = 0; i < jv_list_len(v); i++)
            if (!json_check(call, jv_list_get(v, i), depth + 1))
                return false;
        return true;
    case JV_DICT: {
        size_t n = jv_dict_len(v);
        jv *keys = xmalloc((n ? n : 1) * sizeof *keys);
        for (size_t i = 0; i < n; i++) {
            keys[i] = jv_dict_key_at(v, i);
            if (keys[i].kind == JV_LIST || keys[i].kind == JV_DICT ||
                keys[i].kind == JV_UNDEFINED || keys[i].kind == JV_CALLABLE ||
                keys[i].kind == JV_OBJECT) {
                jinja_call_error(call, "keys must be str, int, float, bool or None, not %s",
                                 jv_kind_name(keys[i]));
                free(keys);
                return false;
            }
        }
        bool ok = bi_sort(call, keys, NULL, n, false);
        free(keys);
        for (size_t i = 0; ok && i < n; i++)
            ok = json_check(call, jv_dict_value_at(v, i), depth + 1);
        return ok;
    }
    default:
        return true;
    }
}

FILTER(f_tojson)
{
    BIND("do_tojson", 1, "value", "indent");
    jv indent = opt(p[1], jv_none());
    jv_json_opts o = {.indent = -1, .sort_keys = true, .html_safe = true, .ensure_ascii = true};
    if (indent.kind != JV_NONE) {
        int64_t w;
        if (!bi_int(call, "tojson indent", indent, &w))
            return JINJA_ERROR;
        o.indent = w < 0 ? 0 : w > 1000 ? 1000 : (int)w;
    }
    if (!json_check(call, p[0], 0))
        return JINJA_ERROR;
    strbuf sb = STRBUF_INIT;
    jv_to_json_opts(p[0], &o, &sb);
    *result = sb_result(call, &sb);
    return JINJA_OK;
}

/* pprint's order for dict keys: by value, or by type name when the keys
 * do not compare (its _safe_key). */
static int pprint_key_cmp(const void *x, const void *y)
{
    const jv *a = x, *b = y;
    int c;
    if (jv_compare(*a, *b, &c))
        return c;
    return strcmp(jv_kind_name(*a), jv_kind_name(*b));
}

/* repr() with dicts in sorted key order, as pprint.pformat prints values
 * that fit on one line. */
static void pprint_value(jv v, strbuf *out, int depth)
{
    if (depth > 100 || (v.kind != JV_LIST && v.kind != JV_DICT) || (v.flags & JV_FLAG_GENERATOR) ||
        jv_is_range(v)) {
        jv_to_repr(v, out);
        return;
    }
    if (v.kind == JV_LIST) {
        bool tuple = v.flags & JV_FLAG_TUPLE;
        size_t n = jv_list_len(v);
        strbuf_addc(out, tuple ? '(' : '[');
        for (size_t i = 0; i < n; i++) {
            if (i)
                strbuf_adds(out, ", ");
            pprint_value(jv_list_get(v, i), out, depth + 1);
        }
        if (tuple && n == 1)
            strbuf_addc(out, ',');
        strbuf_addc(out, tuple ? ')' : ']');
        return;
    }
    size_t n = jv_dict_len(v);
    jv *keys = xmalloc((n ? n : 1) * sizeof *keys);
    for (size_t i = 0; i < n; i++)
        keys[i] = jv_dict_key_at(v, i);
    qsort(keys, n, sizeof *keys, pprint_key_cmp);
    strbuf_addc(out, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            strbuf_adds(out, ", ");
        pprint_value(keys[i], out, depth + 1);
        strbuf_adds(out, ": ");
        pprint_value(jv_dict_get(v, keys[i]), out, depth + 1);
    }
    strbuf_addc(out, '}');
    free(keys);
}

FILTER(f_pprint)
{
    BIND("do_pprint", 1, "value");
    strbuf sb = STRBUF_INIT;
    pprint_value(p[0], &sb, 0);

    *result = sb_result(call, &sb);
    return JINJA_OK;
}

/* --- sequences ------------------------------------------------------------ */
static bool length_of(jinja_call *call, jv v, int64_t *n)
{
    switch (v.kind) {
    case JV_STRING:
        *n = (int64_t)pystr_len(jv_str_ptr(v), jv_str_len(v));
        return true;
    case JV_LIST:
        if (v.flags & JV_FLAG_GENERATOR) {
            jinja_call_error(call, "object of type 'generator' has no len()");
            return false;
        }
        *n = (int64_t)jv_list_len(v);
        return true;
    case JV_DICT:
        *n = (int64_t)jv_dict_len(v);
        return true;
    case JV_UNDEFINED:
        if (jinja_call_undefined_mode(call) == JINJA_UNDEFINED_STRICT) {
            bi_undefined_error(call, v);
            return false;
        }
        *n = 0;
        return true;
    default:
        jinja_call_error(call, "object of type '%s' has no len()", jv_kind_name(v));
        return false;
    }
}

FILTER(f_length)
{
    BIND("len", 1, "obj");
    int64_t n;
    if (!length_of(call, p[0], &n))
        return JINJA_ERROR;
    *result = jv_int(n);
    return JINJA_OK;
}

/* A fresh, mutable copy of the items of iter(v). */
static bool list_copy(jinja_call *call, jv v, jv *out)
{
    jv items;
    if (!bi_iter(call, v, &items))
        return false;
    if (items.kind == JV_LIST && items.u.l == v.u.l && v.kind == JV_LIST) {
        jv l = jv_list(ARENA);
        size_t n = jv_list_len(items);
        for (size_t i = 0; i < n; i++)
            jv_list_append(l, jv_list_get(items, i));
        *out = l;
        return true;
    }
    *out = items;
    return true;
}

FILTER(f_list)
{
    BIND("do_list", 1, "value");
    return list_copy(call, p[0], result) ? JINJA_OK : JINJA_ERROR;
}

FILTER(f_first)
{
    BIND("do_first", 1, "seq");
    jv items;
    if (p[0].kind == JV_STRING && jv_str_len(p[0])) {
        size_t end = 0;
        pystr_next(jv_str_ptr(p[0]), jv_str_len(p[0]), &end);
        *result = jv_string_n(ARENA, jv_str_ptr(p[0]), end);
        return JINJA_OK;
    }
    if (p[0].kind == JV_DICT) {
        *result = jv_dict_len(p[0]) ? jv_dict_key_at(p[0], 0) : jv_undefined(NULL);
        return JINJA_OK;
    }
    if (jv_is_generator(p[0])) {
        /* next(): takes one item and leaves the rest */
        jv *rest;
        *result = jv_gen_remaining(p[0], &rest) ? rest[0] : jv_undefined(NULL);
        jv_gen_consume(p[0], 1);
        return JINJA_OK;
    }
    if (!bi_iter(call, p[0], &items))
        return JINJA_ERROR;
    *result = jv_list_len(items) ? jv_list_get(items, 0) : jv_undefined(NULL);
    return JINJA_OK;
}

FILTER(f_last)
{
    BIND("do_last", 1, "seq");
    if (p[0].kind == JV_LIST && (p[0].flags & JV_FLAG_GENERATOR))
        return jinja_call_error(call, "'generator' object is not reversible");
    jv items;
    if (!bi_iter(call, p[0], &items))
        return JINJA_ERROR;
    size_t n = jv_list_len(items);
    *result = n ? jv_list_get(items, n - 1) : jv_undefined(NULL);
    return JINJA_OK;
}

/* Per-thread xorshift: random and lipsum need no shared state. */
static _Thread_local uint64_t rng_state;

static uint64_t rng_next(void)
{
    if (!rng_state)
        rng_state = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&rng_state ^ 0x9e3779b97f4a7c15ULL;
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

FILTER(f_random)
{
    BIND("do_random", 1, "seq");
    jv items;
    if (!bi_iter(call, p[0], &items))
        return JINJA_ERROR;
    size_t n = jv_list_len(items);
    *result = n ? jv_list_get(items, (size_t)(rng_next() % n)) : jv_undefined(NULL);
    return JINJA_OK;
}

FILTER(f_reverse)
{
    BIND("do_reverse", 1, "value");
    jv v = p[0];
    if (v.kind == JV_STRING) {
        const char *s = jv_str_ptr(v);
        size_t n = jv_str_len(v);
        strbuf sb = STRBUF_INIT;
        strbuf_grow(&sb, n);
        /* Walk code points backwards by collecting their starts. */
        size_t *starts = xmalloc((n + 1) * sizeof *starts);
        size_t count = 0;
        for (size_t i = 0; i < n;) {
            starts[count++] = i;
            pystr_next(s, n, &i);
        }
        starts[count] = n;
        for (size_t k = count; k-- > 0;)
            strbuf_add(&sb, s + starts[k], starts[k + 1] - starts[k]);
        free(starts);
        *result = sb_result(call, &sb);
        return JINJA_OK;
    }
    /* reversed() of a sequence is an iterator; a generator is not
     * reversible, so Jinja falls back to a reversed list */
    bool was_generator = jv_is_generator(v);
    jv items;
    if (!bi_iter(call, v, &items))
        return JINJA_ERROR;
    size_t n = jv_list_len(items);
    jv out = jv_list(ARENA);
    for (size_t i = n; i-- > 0;)
        jv_list_append(out, jv_list_get(items, i));
    *result = out;
    return was_generator ? JINJA_OK : generator(result);
}

FILTER(f_join)
{
    BIND("do_join", 1, "value", "d", "attribute");
    jv items, sep;
    if (!bi_iter(call, p[0], &items))
        return JINJA_ERROR;
    if (!bi_str(call, opt(p[1], jv_string(ARENA, "")), &sep))
        return JINJA_ERROR;
    jv attribute = opt(p[2], jv_none());
    size_t n = jv_list_len(items);
    strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        jv item = jv_list_get(items, i);
        if (attribute.kind != JV_NONE)
            if (!bi_attr_path(call, item, attribute, jv_none(), &item)) {
                strbuf_release(&sb);
                return JINJA_ERROR;
            }
        if (i)
            strbuf_add(&sb, jv_str_ptr(sep), jv_str_len(sep));
        if (item.kind == JV_STRING) {
            strbuf_add(&sb, jv_str_ptr(item), jv_str_len(item));
        } else {
            if (item.kind == JV_UNDEFINED &&
                jinja_call_undefined_mode(call) == JINJA_UNDEFINED_STRICT) {
                strbuf_release(&sb);
                return bi_undefined_error(call, item);
            }
            jv_to_str(item, &sb);
        }
    }
    *result = sb_result(call, &sb);
    return JINJA_OK;
}

FILTER(f_batch)
{
    BIND("do_batch", 2, "value", "linecount", "fill_with");
    jv items;
    int64_t linecount;
    if (!bi_iter(call, p[0], &items) || !bi_int(call, "batch", p[1], &linecount))
        return JINJA_ERROR;
    jv fill = opt(p[2], jv_none());
    jv out = jv_list(ARENA);
    jv tmp = jv_list(ARENA);
    size_t n = jv_list_len(items);
    for (size_t i = 0; i < n; i++) {
        if ((int64_t)jv_list_len(tmp) == linecount) {
            jv_list_append(out, tmp);
            tmp = jv_list(ARENA);
        }
        jv_list_append(tmp, jv_list_get(items, i));
    }
    if (jv_list_len(tmp)) {
        if (fill.kind != JV_NONE && linecount > 10000000)
            return jinja_call_error(call, "batch: linecount too big");
        if (fill.kind != JV_NONE)
            for (int64_t k = (int64_t)jv_list_len(tmp); k < linecount; k++)
                jv_list_append(tmp, fill);
        jv_list_append(out, tmp);
    }
    *result = out;
    return JINJA_OK;
}

FILTER(f_slice)
{
    BIND("do_slice", 2, "value", "slices", "fill_with");
    jv items;
    int64_t slices;
    if (!bi_iter(call, p[0], &items) || !bi_int(call, "slice", p[1], &slices))
        return JINJA_ERROR;
    if (slices == 0)
        return jinja_call_error(call, "integer division or modulo by zero");
    jv fill = opt(p[2], jv_none());
    int64_t length = (int64_t)jv_list_len(items);
    /* Python's floor division and modulo. */
    int64_t per = length / slices, extra = length % slices;
    if (extra != 0 && ((extra < 0) != (slices < 0))) {
        per -= 1;
        extra += slices;
    }
    jv out = jv_list(ARENA);
    int64_t offset = 0;
    for (int64_t k = 0; k < slices; k++) {
        int64_t start = offset + k * per;
        if (k < extra)
            offset++;
        int64_t end = offset + (k + 1) * per;
        jv tmp = jv_list(ARENA);
        for (int64_t i = start < 0 ? 0 : start; i < end && i < length; i++)
            jv_list_append(tmp, jv_list_get(items, (size_t)i));
        if (fill.kind != JV_NONE && k >= extra)
            jv_list_append(tmp, fill);
        jv_list_append(out, tmp);
    }
    *result = out;
    return JINJA_OK;
}

/* sort keys for attribute="a,b" (a list per item) or one attribute. */
static bool multi_key(jinja_call *call, jv item, jv attribute, bool case_sensitive, jv *out)
{
    arena *a = ARENA;
    jv key = jv_list(a);
    if (attribute.kind == JV_STRING && memchr(jv_str_ptr(attribute), ',', jv_str_len(attribute))) {
        jv parts = pystr_split(a, jv_str_ptr(attribute), jv_str_len(attribute), ",", 1, -1);
        for (size_t i = 0; i < jv_list_len(parts); i++) {
            jv v;
            if (!bi_attr_path(call, item, jv_list_get(parts, i), jv_none(), &v))
                return false;
            jv_list_append(key, case_sensitive ? v : bi_lower_key(a, v));
        }
        *out = key;
        return true;
    }
    /* A one-item list, as Jinja's multi-attrgetter makes: lists compare
     * equal items without '<', so equal undefined keys sort fine. */
    jv v;
    if (!bi_attr_path(call, item, attribute, jv_none(), &v))
        return false;
    jv_list_append(key, case_sensitive ? v : bi_lower_key(a, v));
    *out = key;
    return true;
}

FILTER(f_sort)
{
    BIND("do_sort", 1, "value", "reverse", "case_sensitive", "attribute");
    jv items;
    if (!list_copy(call, p[0], &items))
        return JINJA_ERROR;
    bool reverse = opt_bool(p[1], false), case_sensitive = opt_bool(p[2], false);
    jv attribute = opt(p[3], jv_none());
    size_t n = jv_list_len(items);
    jv *keys = xmalloc((n ? n : 1) * sizeof *keys);
    bool ok = true;
    bool strict = jinja_call_undefined_mode(call) == JINJA_UNDEFINED_STRICT;
    for (size_t i = 0; i < n && ok; i++) {
        ok = multi_key(call, jv_list_get(items, i), attribute, case_sensitive, &keys[i]);
        /* A strict undefined fails even on ==, once there is a comparison. */
        jv first = ok ? jv_list_get(keys[i], 0) : jv_none();
        if (ok && strict && n > 1 && first.kind == JV_UNDEFINED) {
            bi_undefined_error(call, first);
            ok = false;
        }
    }
    ok = ok && bi_sort(call, jv_list_items(items), keys, n, reverse);
    free(keys);
    if (!ok)
        return JINJA_ERROR;
    *result = items;
    return JINJA_OK;
}

FILTER(f_dictsort)
{
    BIND("do_dictsort", 1, "value", "case_sensitive", "by", "reverse");
    jv d = p[0];
    bool case_sensitive = opt_bool(p[1], false), reverse = opt_bool(p[3], false);
    jv by = opt(p[2], jv_string(ARENA, "key"));
    int pos;
    if (jv_is_str(by, "key"))
        pos = 0;
    else if (jv_is_str(by, "value"))
        pos = 1;
    else
        return jinja_call_error(call, "You can only sort by either \"key\" or \"value\"");
    if (d.kind == JV_UNDEFINED)
        return bi_undefined_error(call, d);
    if (d.kind != JV_DICT)
        return jinja_call_error(call, "'%s' object has no attribute 'items'", jv_kind_name(d));
    size_t n = jv_dict_len(d);
    jv out = jv_list(ARENA);
    jv *keys = xmalloc((n ? n : 1) * sizeof *keys);
    for (size_t i = 0; i < n; i++) {
        jv pair[2] = {jv_dict_key_at(d, i), jv_dict_value_at(d, i)};
        jv_list_append(out, jv_tuple(ARENA, pair, 2));
        keys[i] = case_sensitive ? pair[pos] : bi_lower_key(ARENA, pair[pos]);
    }
    bool ok = bi_sort(call, jv_list_items(out), keys, n, reverse);
    free(keys);
    if (!ok)
        return JINJA_ERROR;
    *result = out;
    return JINJA_OK;
}

FILTER(f_items)
{
    BIND("do_items", 1, "value");
    jv d = p[0];
    jv out = jv_list(ARENA);
    if (d.kind == JV_UNDEFINED) {
        *result = out;
        return JINJA_OK;
    }
    if (d.kind != JV_DICT)
        return jinja_call_error(call, "Can only get item pairs from a mapping.");
    for (size_t i = 0; i < jv_dict_len(d); i++) {
        jv pair[2] = {jv_dict_key_at(d, i), jv_dict_value_at(d, i)};
        jv_list_append(out, jv_tuple(ARENA, pair, 2));
    }
    *result = out;
    return JINJA_OK;
}

static bool hashable(jinja_call *call, jv v)
{
    if (jv_unhashable(v)) {
        jinja_call_error(call, "unhashable type: '%s'", jv_kind_name(v));
        return false;
    }
    if (v.kind == JV_LIST && !jv_is_generator(v)) /* a generator hashes by identity */
        for (size_t i = 0; i < jv_list_len(v); i++)
            if (!hashable(call, jv_list_get(v, i)))
                return false;
    return true;
}

FILTER(f_unique)
{
    BIND("do_unique", 1, "value", "case_sensitive", "attribute");
    jv items;
    if (!bi_iter(call, p[0], &items))
        return JINJA_ERROR;
    bool case_sensitive = opt_bool(p[1], false);
    jv attribute = opt(p[2], jv_none());
    jv seen = jv_dict(ARENA);
    jv out = jv_list(ARENA);
    for (size_t i = 0; i < jv_list_len(items); i++) {
        jv item = jv_list_get(items, i);
        jv key;
        if (!bi_attr_path(call, item, attribute, jv_none(), &key))
            return JINJA_ERROR;
        if (!case_sensitive)
            key = bi_lower_key(ARENA, key);
        if (!hashable(call, key))
            return JINJA_ERROR;
        if (jv_dict_has(seen, key))
            continue;
        jv_dict_set(seen, key, jv_none());
        jv_list_append(out, item);
    }
    *result = out;
    return JINJA_OK;
}

static jinja_status min_max(jinja_call *call, const jv *p, bool want_max, jv *result)
{
    jv items;
    if (!bi_iter(call, p[0], &items))
        return JINJA_ERROR;
    bool case_sensitive = opt_bool(p[1], false);
    jv attribute = opt(p[2], jv_none());
    size_t n = jv_list_len(items);
    if (n == 0) {
        *result = jv_undefined(NULL);
        return JINJA_OK;
    }
    jv best = jv_list_get(items, 0);
    jv best_key;
    if (!bi_attr_path(call, best, attribute, jv_none(), &best_key))
        return JINJA_ERROR;
    if (!case_sensitive)
        best_key = bi_lower_key(ARENA, best_key);
    for (size_t i = 1; i < n; i++) {
        jv item = jv_list_get(items, i);
        jv key;
        if (!bi_attr_path(call, item, attribute, jv_none(), &key))
            return JINJA_ERROR;
        if (!case_sensitive)
            key = bi_lower_key(ARENA, key);
        bool better;
        if (!(want_max ? bi_less(call, best_key, key, &better)
                       : bi_less(call, key, best_key, &better)))
            return JINJA_ERROR;
        if (better) {
            best = item;
            best_key = key;
        }
    }
    *result = best;
    return JINJA_OK;
}

FILTER(f_min)
{
    BIND("do_min", 1, "value", "case_sensitive", "attribute");
    return min_max(call, p, false, result);
}

FILTER(f_max)
{
    BIND("do_max", 1, "value", "case_sensitive", "attribute");
    return min_max(call, p, true, result);
}

/* Python's a + b for sum(): numbers, and list/tuple concatenation. */
static bool py_add(jinja_call *call, jv a, jv b, jv *out)
{
    bool an = a.kind == JV_INT || a.kind == JV_BOOL || a.kind == JV_FLOAT;
    bool bn = b.kind == JV_INT || b.kind == JV_BOOL || b.kind == JV_FLOAT;
    if (an && bn) {
        if (a.kind == JV_FLOAT || b.kind == JV_FLOAT) {
            double x = a.kind == JV_FLOAT ? a.u.f : (double)(a.kind == JV_INT ? a.u.i : a.u.b);
            double y = b.kind == JV_FLOAT ? b.u.f : (double)(b.kind == JV_INT ? b.u.i : b.u.b);
            *out = jv_float(x + y);
            return true;
        }
        int64_t x = a.kind == JV_INT ? a.u.i : a.u.b, y = b.kind == JV_INT ? b.u.i : b.u.b, r;
        if (__builtin_add_overflow(x, y, &r)) {
            jinja_call_error(call, "not supported yet: integers beyond 64 bits");
            return false;
        }
        *out = jv_int(r);
        return true;
    }
    if (a.kind == JV_LIST && b.kind == JV_LIST &&
        (a.flags & JV_FLAG_TUPLE) == (b.flags & JV_FLAG_TUPLE)) {
        jv l = jv_list(ARENA);
        for (size_t i = 0; i < jv_list_len(a); i++)
            jv_list_append(l, jv_list_get(a, i));
        for (size_t i = 0; i < jv_list_len(b); i++)
            jv_list_append(l, jv_list_get(b, i));
        l.flags = a.flags & JV_FLAG_TUPLE;
        *out = l;
        return true;
    }
    if (a.kind == JV_UNDEFINED || b.kind == JV_UNDEFINED) {
        bi_undefined_error(call, a.kind == JV_UNDEFINED ? a : b);
        return false;
    }
    jinja_call_error(call, "unsupported operand type(s) for +: '%s' and '%s'", jv_kind_name(a),
                     jv_kind_name(b));
    return false;
}

FILTER(f_sum)
{
    BIND("do_sum", 1, "iterable", "attribute", "start");
    jv items;
    if (!bi_iter(call, p[0], &items))
        return JINJA_ERROR;
    jv attribute = opt(p[1], jv_none());
    jv total = opt(p[2], jv_int(0));
    if (total.kind == JV_STRING)
        return jinja_call_error(call, "sum() can't sum strings [use ''.join(seq) instead]");
    for (size_t i = 0; i < jv_list_len(items); i++) {
        jv item;
        if (!bi_attr_path(call, jv_list_get(items, i), attribute, jv_none(), &item))
            return JINJA_ERROR;
        if (!py_add(call, total, item, &total))
            return JINJA_ERROR;
    }
    *result = total;
    return JINJA_OK;
}

FILTER(f_groupby)
{
    BIND("do_groupby", 2, "value", "attribute", "default", "case_sensitive");
    jv items;
    if (!list_copy(call, p[0], &items))
        return JINJA_ERROR;
    jv attribute = p[1];
    jv dflt = opt(p[2], jv_none());
    bool case_sensitive = opt_bool(p[3], false);
    size_t n = jv_list_len(items);
    jv *keys = xmalloc((n ? n : 1) * sizeof *keys);
    for (size_t i = 0; i < n; i++) {
        jv k;
        if (!bi_attr_path(call, jv_list_get(items, i), attribute, dflt, &k)) {
            free(keys);
            return JINJA_ERROR;
        }
        keys[i] = case_sensitive ? k : bi_lower_key(ARENA, k);
    }
    if (!bi_sort(call, jv_list_items(items), keys, n, false)) {
        free(keys);
        return JINJA_ERROR;
    }
    jv out = jv_list(ARENA);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && jv_equal(keys[j], keys[i]))
            j++;
        jv group = jv_list(ARENA);
        for (size_t k = i; k < j; k++)
            jv_list_append(group, jv_list_get(items, k));
        jv grouper = keys[i];
        if (!case_sensitive)
            bi_attr_path(call, jv_list_get(items, i), attribute, dflt, &grouper);
        jv pair[2] = {grouper, group};
        jv t = jv_tuple(ARENA, pair, 2);
        t.flags |= JV_FLAG_GROUP;
        jv_list_append(out, t);
        i = j;
    }
    free(keys);
    *result = out;
    return JINJA_OK;
}

/* --- map, select, reject --------------------------------------------------- */
FILTER(f_map)
{
    if (nargs < 1)
        return jinja_call_error(call, "sync_do_map() missing required argument: 'value'");
    jv value = args[0];
    bool truthy;
    if (!bi_truthy(call, value, &truthy))
        return JINJA_ERROR;
    jv out = jv_list(ARENA);
    *result = out;
    if (!truthy)
        return JINJA_OK;
    jv items;
    if (!bi_iter(call, value, &items))
        return JINJA_ERROR;
    size_t n = jv_list_len(items);
    bool by_attribute = false;
    jv attribute = jv_none(), dflt = jv_none();
    if (nargs == 1) {
        for (size_t k = 0; k < nkwargs; k++) {
            if (strcmp(kwargs[k].name, "attribute") == 0) {
                by_attribute = true;
                attribute = kwargs[k].value;
            }
        }
    }
    if (by_attribute) {
        for (size_t k = 0; k < nkwargs; k++) {
            if (strcmp(kwargs[k].name, "default") == 0)
                dflt = kwargs[k].value;
            else if (strcmp(kwargs[k].name, "attribute") != 0)
                return jinja_call_error(call, "Unexpected keyword argument '%s'", kwargs[k].name);
        }
        for (size_t i = 0; i < n; i++) {
            jv v;
            if (!bi_attr_path(call, jv_list_get(items, i), attribute, dflt, &v))
                return JINJA_ERROR;
            jv_list_append(out, v);
        }
        return JINJA_OK;
    }
    if (nargs < 2)
        return jinja_call_error(call, "map requires a filter argument");
    jv name;
    if (!bi_str(call, args[1], &name))
        return JINJA_ERROR;
    jv *fargs = xmalloc((nargs - 1) * sizeof *fargs);
    for (size_t k = 2; k < nargs; k++)
        fargs[k - 1] = args[k];
    for (size_t i = 0; i < n; i++) {
        fargs[0] = jv_list_get(items, i);
        jv r;
        jinja_status st =
            jinja_call_filter(call, jv_str_ptr(name), fargs, nargs - 1, kwargs, nkwargs, &r);
        if (st != JINJA_OK) {
            free(fargs);
            return st;
        }
        jv_list_append(out, r);
    }
    free(fargs);
    return JINJA_OK;
}

static jinja_status select_reject(jinja_call *call, const jv *args, size_t nargs,
                                  const jv_kwarg *kwargs, size_t nkwargs, bool keep_if,
                                  bool lookup_attr, jv *result)
{
    if (nargs < 1)
        return jinja_call_error(call, "select_or_reject() missing required argument: 'value'");
    jv value = args[0];
    bool truthy;
    if (!bi_truthy(call, value, &truthy))
        return JINJA_ERROR;
    jv out = jv_list(ARENA);
    *result = out;
    if (!truthy)
        return JINJA_OK;
    jv items;
    if (!bi_iter(call, value, &items))
        return JINJA_ERROR;
    size_t off = 1;
    jv attr = jv_none();
    if (lookup_attr) {
        if (nargs < 2)
            return jinja_call_error(call, "Missing parameter for attribute name");
        attr = args[1];
        off = 2;
    }
    const char *test = NULL;
    if (nargs > off) {
        jv name;
        if (!bi_str(call, args[off], &name))
            return JINJA_ERROR;
        test = jv_str_ptr(name);
        off++;
    }
    size_t ntargs = 1 + (nargs > off ? nargs - off : 0);
    jv *targs = xmalloc(ntargs * sizeof *targs);
    for (size_t k = off; k < nargs; k++)
        targs[1 + k - off] = args[k];
    size_t n = jv_list_len(items);
    for (size_t i = 0; i < n; i++) {
        jv item = jv_list_get(items, i);
        jv subject = item;
        if (lookup_attr && !bi_attr_path(call, item, attr, jv_none(), &subject)) {
            free(targs);
            return JINJA_ERROR;
        }
        bool pass;
        if (test) {
            targs[0] = subject;
            jinja_status st = jinja_call_test(call, test, targs, ntargs, kwargs, nkwargs, &pass);
            if (st != JINJA_OK) {
                free(targs);
                return st;
            }
        } else if (!bi_truthy(call, subject, &pass)) {
            free(targs);
            return JINJA_ERROR;
        }
        if (pass == keep_if)
            jv_list_append(out, item);
    }
    free(targs);
    return JINJA_OK;
}

FILTER(f_select)
{
    return select_reject(call, args, nargs, kwargs, nkwargs, true, false, result);
}

FILTER(f_reject)
{
    return select_reject(call, args, nargs, kwargs, nkwargs, false, false, result);
}

FILTER(f_selectattr)
{
    return select_reject(call, args, nargs, kwargs, nkwargs, true, true, result);
}

FILTER(f_rejectattr)
{
    return select_reject(call, args, nargs, kwargs, nkwargs, false, true, result);
}

FILTER(f_attr)
{
    BIND("do_attr", 2, "obj", "name");
    jv obj = p[0];
    jv name;
    if (!bi_str(call, p[1], &name))
        return JINJA_ERROR;
    if (obj.kind == JV_UNDEFINED)
        return bi_undefined_error(call, obj);
    /* An attribute only: a dict's keys are not its attributes. */
    if (obj.kind == JV_STRING || obj.kind == JV_LIST || obj.kind == JV_DICT) {
        *result = jinja_method_get(ARENA, obj, jv_str_ptr(name));
        if (result->kind == JV_UNDEFINED)
            *result = jv_undefined(jv_str_ptr(name));
        return JINJA_OK;
    }
    *result = jinja_call_getattr(call, obj, jv_str_ptr(name));
    return JINJA_OK;
}

/* Jinja's map, select, unique, items, slice and batch are generators. */
#define GENERATOR_FILTER(name, inner)                                                              \
    FILTER(name)                                                                                   \
    {                                                                                              \
        jinja_status st = inner(call, ud, args, nargs, kwargs, nkwargs, result);                   \
        return st == JINJA_OK ? generator(result) : st;                                            \
    }
GENERATOR_FILTER(g_map, f_map)
GENERATOR_FILTER(g_select, f_select)
GENERATOR_FILTER(g_reject, f_reject)
GENERATOR_FILTER(g_selectattr, f_selectattr)
GENERATOR_FILTER(g_rejectattr, f_rejectattr)
GENERATOR_FILTER(g_unique, f_unique)
GENERATOR_FILTER(g_items, f_items)
GENERATOR_FILTER(g_slice, f_slice)
GENERATOR_FILTER(g_batch, f_batch)

FILTER(f_urlize)
{
    return jinja_call_error(call, "not supported yet: the urlize filter");
}

void jinja_register_builtin_filters(jinja_env *env)
{
    static const struct {
        const char *name;
        jinja_native_fn fn;
    } table[] = {
        {"abs", f_abs},
        {"attr", f_attr},
        {"batch", g_batch},
        {"capitalize", f_capitalize},
        {"center", f_center},
        {"count", f_length},
        {"d", f_default},
        {"default", f_default},
        {"dictsort", f_dictsort},
        {"e", f_escape},
        {"escape", f_escape},
        {"filesizeformat", f_filesizeformat},
        {"first", f_first},
        {"float", f_float},
        {"forceescape", f_escape},
        {"format", f_format},
        {"groupby", f_groupby},
        {"indent", f_indent},
        {"int", f_int},
        {"items", g_items},
        {"join", f_join},
        {"last", f_last},
        {"length", f_length},
        {"list", f_list},
        {"lower", f_lower},
        {"map", g_map},
        {"max", f_max},
        {"min", f_min},
        {"pprint", f_pprint},
        {"random", f_random},
        {"reject", g_reject},
        {"rejectattr", g_rejectattr},
        {"replace", f_replace},
        {"reverse", f_reverse},
        {"round", f_round},
        {"safe", f_safe},
        {"select", g_select},
        {"selectattr", g_selectattr},
        {"slice", g_slice},
        {"sort", f_sort},
        {"string", f_string},
        {"striptags", f_striptags},
        {"sum", f_sum},
        {"title", f_title},
        {"tojson", f_tojson},
        {"trim", f_trim},
        {"truncate", f_truncate},
        {"unique", g_unique},
        {"upper", f_upper},
        {"urlencode", f_urlencode},
        {"urlize", f_urlize},
        {"wordcount", f_wordcount},
        {"wordwrap", f_wordwrap},
        {"xmlattr", f_xmlattr},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        jinja_env_add_filter(env, table[i].name, table[i].fn, NULL);
}
