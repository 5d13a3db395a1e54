/* format: Python's two string formatting languages -- printf-style
 * `fmt % values` (the format filter and the % operator) and str.format()
 * with its format-spec mini-language. */
#include "jinja/builtin_util.h"
#include "jinja/pystr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Pads body (already formatted, nbody code points wide) to width. */
static void pad_to(strbuf *out, const char *body, size_t nbody_bytes, size_t ncp, long width,
                   char align, const char *fill, size_t nfill, size_t sign_len)
{
    size_t pad = width > 0 && (size_t)width > ncp ? (size_t)width - ncp : 0;
    size_t left = 0, right = 0;
    switch (align) {
    case '<':
        right = pad;
        break;
    case '^':
        left = pad / 2;
        right = pad - left;
        break;
    case '=':
        /* Padding goes after the sign (and prefix). */
        strbuf_add(out, body, sign_len);
        for (size_t i = 0; i < pad; i++)
            strbuf_add(out, fill, nfill);
        strbuf_add(out, body + sign_len, nbody_bytes - sign_len);
        return;
    default:
        left = pad;
        break;
    }
    for (size_t i = 0; i < left; i++)
        strbuf_add(out, fill, nfill);
    strbuf_add(out, body, nbody_bytes);
    for (size_t i = 0; i < right; i++)
        strbuf_add(out, fill, nfill);
}

/* --- numbers -------------------------------------------------------------- */
/* Appends |i| in base with optional grouping separators every 3 (or 4)
 * digits. */
static void put_uint(strbuf *out, uint64_t u, int base, bool upper, char group)
{
    char digits[80];
    int n = 0;
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int every = base == 10 ? 3 : 4;
    do {
        if (group && n > 0 && (n % (every + 1)) == every)
            digits[n++] = group;
        digits[n++] = set[u % (uint64_t)base];
        u /= (uint64_t)base;
    } while (u);
    while (n > 0)
        strbuf_addc(out, digits[--n]);
}

static uint64_t magnitude(int64_t i)
{
    return i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
}

/* Inserts grouping separators into the integer part of a formatted
 * decimal number in buf (digits, optional fraction/exponent). */
static void put_grouped_decimal(strbuf *out, const char *num, char group)
{
    size_t int_len = strspn(num, "0123456789");
    for (size_t i = 0; i < int_len; i++) {
        if (i > 0 && (int_len - i) % 3 == 0)
            strbuf_addc(out, group);
        strbuf_addc(out, num[i]);
    }
    strbuf_adds(out, num + int_len);
}

/* Python's float formatting for types e E f F g G %, and '' (repr-like). */
static void put_float(strbuf *out, double f, char type, long prec, bool alt, char group)
{
    char buf[1024];
    if (isnan(f) || isinf(f)) {
        const char *s = isnan(f) ? "nan" : "inf";
        if (type == 'E' || type == 'F' || type == 'G')
            s = isnan(f) ? "NAN" : "INF";
        strbuf_adds(out, s);
        if (type == '%')
            strbuf_addc(out, '%');
        return;
    }
    if (type == '%') {
        f *= 100;
        type = 'f';
        if (prec < 0)
            prec = 6;
        snprintf(buf, sizeof buf, alt ? "%#.*f" : "%.*f", (int)prec, f);
        group ? put_grouped_decimal(out, buf, group) : strbuf_adds(out, buf);
        strbuf_addc(out, '%');
        return;
    }
    if (type == 0) {
        if (prec < 0) {
            /* str(float), with optional grouping. */
            strbuf tmp = STRBUF_INIT;
            jv_format_float(f, &tmp);
            group ? put_grouped_decimal(out, strbuf_str(&tmp), group)
                  : strbuf_add(out, tmp.buf, tmp.len);
            strbuf_release(&tmp);
            return;
        }
        /* Like 'g', but a fixed-point result keeps at least one decimal. */
        if (prec == 0)
            prec = 1;
        snprintf(buf, sizeof buf, alt ? "%#.*g" : "%.*g", (int)prec, f);
        if (!strpbrk(buf, ".einn") && strlen(buf) + 3 <= sizeof buf)
            strcat(buf, ".0");
        group ? put_grouped_decimal(out, buf, group) : strbuf_adds(out, buf);
        return;
    }
    if (prec < 0)
        prec = 6;
    if (prec > 400)
        prec = 400;
    char fmt[8] = {'%', 0};
    size_t k = 1;
    if (alt)
        fmt[k++] = '#';
    fmt[k++] = '.';
    fmt[k++] = '*';
    fmt[k++] = type;
    fmt[k] = 0;
    snprintf(buf, sizeof buf, fmt, (int)prec, f);
    group ? put_grouped_decimal(out, buf, group) : strbuf_adds(out, buf);
}

/* --- printf-style --------------------------------------------------------- */
static bool need_number(jinja_call *call, char conv, jv v)
{
    if (v.kind == JV_INT || v.kind == JV_BOOL || v.kind == JV_FLOAT)
        return true;
    if (conv == 'd' || conv == 'i' || conv == 'u')
        jinja_call_error(call, "%%%c format: a real number is required, not %s", conv,
                         jv_kind_name(v));
    else if (conv == 'x' || conv == 'X' || conv == 'o' || conv == 'c')
        jinja_call_error(call, "%%%c format: an integer is required, not %s", conv,
                         jv_kind_name(v));
    else
        jinja_call_error(call, "must be real number, not %s", jv_kind_name(v));
    return false;
}

jinja_status jinja_format_percent(jinja_call *call, jv fmt_v, jv values, jv *result)
{
    arena *a = jinja_call_arena(call);
    const char *fmt = jv_str_ptr(fmt_v);
    size_t n = jv_str_len(fmt_v);
    const jv *args;
    size_t nargs;
    jv single = values;
    if (values.kind == JV_LIST && (values.flags & JV_FLAG_TUPLE)) {
        args = jv_list_items(values);
        nargs = jv_list_len(values);
    } else {
        args = &single;
        nargs = 1;
    }
    jv mapping = values.kind == JV_DICT ? values : jv_undefined(NULL);
    size_t next = 0;
    strbuf out = STRBUF_INIT, body = STRBUF_INIT;
    jinja_status st = JINJA_OK;
    size_t i = 0;
    while (i < n) {
        const char *pct = memchr(fmt + i, '%', n - i);
        if (!pct) {
            strbuf_add(&out, fmt + i, n - i);
            break;
        }
        strbuf_add(&out, fmt + i, (size_t)(pct - fmt) - i);
        i = (size_t)(pct - fmt) + 1;
        jv arg = jv_none();
        bool have_arg = false;
        if (i < n && fmt[i] == '(') {
            size_t depth = 1, start = ++i;
            while (i < n && depth) {
                if (fmt[i] == '(')
                    depth++;
                else if (fmt[i] == ')')
                    depth--;
                i++;
            }
            if (depth) {
                st = jinja_call_error(call, "incomplete format key");
                goto done;
            }
            if (mapping.kind != JV_DICT) {
                st = jinja_call_error(call, "format requires a mapping");
                goto done;
            }
            jv key = jv_string_n(a, fmt + start, i - 1 - start);
            arg = jv_dict_get(mapping, key);
            if (arg.kind == JV_UNDEFINED) {
                strbuf r = STRBUF_INIT;
                jv_to_repr(key, &r);
                st = jinja_call_error(call, "KeyError: %s", strbuf_str(&r));
                strbuf_release(&r);
                goto done;
            }
            have_arg = true;
        }
        bool left = false, plus = false, space = false, alt = false, zero = false;
        for (; i < n && strchr("-+ #0", fmt[i]); i++) {
            switch (fmt[i]) {
            case '-':
                left = true;
                break;
            case '+':
                plus = true;
                break;
            case ' ':
                space = true;
                break;
            case '#':
                alt = true;
                break;
            case '0':
                zero = true;
                break;
            }
        }
        long width = -1, prec = -1;
        if (i < n && fmt[i] == '*') {
            i++;
            int64_t w;
            if (next >= nargs) {
                st = jinja_call_error(call, "not enough arguments for format string");
                goto done;
            }
            if (!bi_int(call, "* wants int", args[next++], &w)) {
                st = JINJA_ERROR;
                goto done;
            }
            width = w < 0 ? -w : w;
            if (w < 0)
                left = true;
        } else {
            while (i < n && fmt[i] >= '0' && fmt[i] <= '9') {
                width = (width < 0 ? 0 : width) * 10 + (fmt[i++] - '0');
                if (width > 1000000) {
                    st = jinja_call_error(call, "width too big");
                    goto done;
                }
            }
        }
        if (i < n && fmt[i] == '.') {
            i++;
            prec = 0;
            if (i < n && fmt[i] == '*') {
                i++;
                int64_t p;
                if (next >= nargs) {
                    st = jinja_call_error(call, "not enough arguments for format string");
                    goto done;
                }
                if (!bi_int(call, "* wants int", args[next++], &p)) {
                    st = JINJA_ERROR;
                    goto done;
                }
                prec = p < 0 ? 0 : p;
            } else {
                while (i < n && fmt[i] >= '0' && fmt[i] <= '9') {
                    prec = prec * 10 + (fmt[i++] - '0');
                    if (prec > 1000000) {
                        st = jinja_call_error(call, "precision too big");
                        goto done;
                    }
                }
            }
        }
        while (i < n && (fmt[i] == 'h' || fmt[i] == 'l' || fmt[i] == 'L'))
            i++;
        if (i >= n) {
            st = jinja_call_error(call, "incomplete format");
            goto done;
        }
        char conv = fmt[i++];
        if (conv == '%') {
            strbuf_addc(&out, '%');
            continue;
        }
        if (!have_arg) {
            if (mapping.kind == JV_DICT) {
                arg = mapping;
            } else if (next >= nargs) {
                st = jinja_call_error(call, "not enough arguments for format string");
                goto done;
            } else {
                arg = args[next++];
            }
        }
        strbuf_reset(&body);
        size_t sign_len = 0;
        bool numeric = false;
        switch (conv) {
        case 's':
        case 'r':
        case 'a': {
            if (conv == 's') {
                jv s;
                if (!bi_str(call, arg, &s)) {
                    st = JINJA_ERROR;
                    goto done;
                }
                strbuf_add(&body, jv_str_ptr(s), jv_str_len(s));
            } else {
                jv_to_repr(arg, &body);
            }
            if (prec >= 0) {
                size_t cut = pystr_offset(body.buf ? body.buf : "", body.len, (size_t)prec);
                body.len = cut;
                if (body.buf)
                    body.buf[cut] = 0;
            }
            break;
        }
        case 'c': {
            if (arg.kind == JV_STRING && pystr_len(jv_str_ptr(arg), jv_str_len(arg)) == 1) {
                strbuf_add(&body, jv_str_ptr(arg), jv_str_len(arg));
            } else if (arg.kind == JV_INT || arg.kind == JV_BOOL) {
                int64_t c = arg.kind == JV_INT ? arg.u.i : arg.u.b;
                if (c < 0 || c > 0x10ffff) {
                    st = jinja_call_error(call, "%%c arg not in range(0x110000)");
                    goto done;
                }
                pystr_put(&body, (long)c);
            } else {
                st = jinja_call_error(call, "%%c requires int or char");
                goto done;
            }
            break;
        }
        case 'd':
        case 'i':
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            if (!need_number(call, conv, arg) ||
                (arg.kind == JV_FLOAT && conv != 'd' && conv != 'i' && conv != 'u' &&
                 !need_number(call, conv, jv_none()))) {
                st = JINJA_ERROR;
                goto done;
            }
            int64_t v;
            if (arg.kind == JV_FLOAT) {
                if (isnan(arg.u.f) || isinf(arg.u.f) || fabs(arg.u.f) >= 9.2e18) {
                    st = jinja_call_error(call, "cannot convert float %s to integer",
                                          isnan(arg.u.f) ? "NaN" : "infinity or huge value");
                    goto done;
                }
                v = (int64_t)arg.u.f;
            } else {
                v = arg.kind == JV_INT ? arg.u.i : arg.u.b;
            }
            numeric = true;
            if (v < 0)
                strbuf_addc(&body, '-');
            else if (plus)
                strbuf_addc(&body, '+');
            else if (space)
                strbuf_addc(&body, ' ');
            if (alt && conv != 'd' && conv != 'i' && conv != 'u')
                strbuf_adds(&body, conv == 'o' ? "0o" : conv == 'x' ? "0x" : "0X");
            sign_len = body.len;
            int base = conv == 'o' ? 8 : (conv == 'x' || conv == 'X') ? 16 : 10;
            strbuf digits = STRBUF_INIT;
            put_uint(&digits, magnitude(v), base, conv == 'X', 0);
            for (long z = (long)digits.len; z < prec; z++)
                strbuf_addc(&body, '0');
            strbuf_add(&body, digits.buf, digits.len);
            strbuf_release(&digits);
            break;
        }
        case 'e':
        case 'E':
        case 'f':
        case 'F':
        case 'g':
        case 'G': {
            if (!need_number(call, conv, arg)) {
                st = JINJA_ERROR;
                goto done;
            }
            double f = arg.kind == JV_FLOAT ? arg.u.f
                       : arg.kind == JV_INT ? (double)arg.u.i
                                            : (double)arg.u.b;
            numeric = true;
            if (signbit(f) && !isnan(f))
                strbuf_addc(&body, '-');
            else if (plus)
                strbuf_addc(&body, '+');
            else if (space)
                strbuf_addc(&body, ' ');
            sign_len = body.len;
            put_float(&body, fabs(f), conv, prec, alt, 0);
            if (isnan(f) || isinf(f))
                zero = false;
            break;
        }
        default:
            st = jinja_call_error(call, "unsupported format character '%c' (0x%x) at index %zu",
                                  conv, (unsigned)(unsigned char)conv, i - 1);
            goto done;
        }
        size_t ncp = pystr_len(body.buf ? body.buf : "", body.len);
        char align = left ? '<' : (numeric && zero) ? '=' : '>';
        const char *fill = (numeric && zero && !left) ? "0" : " ";
        pad_to(&out, body.buf ? body.buf : "", body.len, ncp, width, align, fill, 1, sign_len);
    }
    /* A mapping may go unused; leftover positional values may not.  Python
     * counts anything subscriptable but a tuple or str as a mapping here:
     * lists, ranges, and Jinja's Undefined. */
    bool subscriptable =
        values.kind == JV_DICT || values.kind == JV_UNDEFINED ||
        (values.kind == JV_LIST && !(values.flags & JV_FLAG_TUPLE) && !jv_is_generator(values));
    if (next < nargs && !subscriptable) {
        st = jinja_call_error(call, "not all arguments converted during string formatting");
        goto done;
    }
    *result = bi_string_sb(a, &out);
done:
    strbuf_release(&out);
    strbuf_release(&body);
    return st;
}

/* --- str.format ----------------------------------------------------------- */
typedef struct spec {
    const char *fill;
    size_t nfill;
    char align; /* 0 for the type's default */
    char sign;  /* 0, '+', '-', ' ' */
    bool alt;
    bool zero;
    long width;
    char group; /* 0, ',' or '_' */
    long prec;
    char type;
} spec;

static bool parse_spec(jinja_call *call, const char *s, size_t n, spec *sp)
{
    memset(sp, 0, sizeof *sp);
    sp->fill = " ";
    sp->nfill = 1;
    sp->width = -1;
    sp->prec = -1;
    size_t i = 0;
    /* [[fill]align]: the fill is one code point. */
    if (n > 0) {
        size_t after = 0;
        pystr_next(s, n, &after);
        if (after < n && strchr("<>=^", s[after])) {
            sp->fill = s;
            sp->nfill = after;
            sp->align = s[after];
            i = after + 1;
        } else if (strchr("<>=^", s[0])) {
            sp->align = s[0];
            i = 1;
        }
    }
    if (i < n && (s[i] == '+' || s[i] == '-' || s[i] == ' '))
        sp->sign = s[i++];
    if (i < n && s[i] == 'z')
        i++;
    if (i < n && s[i] == '#') {
        sp->alt = true;
        i++;
    }
    if (i < n && s[i] == '0') {
        sp->zero = true;
        i++;
    }
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        sp->width = (sp->width < 0 ? 0 : sp->width) * 10 + (s[i++] - '0');
        if (sp->width > 1000000)
            goto bad;
    }
    if (i < n && (s[i] == ',' || s[i] == '_'))
        sp->group = s[i++];
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || s[i] < '0' || s[i] > '9') {
            jinja_call_error(call, "Format specifier missing precision");
            return false;
        }
        sp->prec = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            sp->prec = sp->prec * 10 + (s[i++] - '0');
            if (sp->prec > 1000000)
                goto bad;
        }
    }
    if (i < n)
        sp->type = s[i++];
    if (i != n)
        goto bad;
    return true;
bad:
    jinja_call_error(call, "Invalid format specifier '%.*s'", (int)n, s);
    return false;
}

/* Python's format(value, spec). */
static bool format_value(jinja_call *call, jv v, const char *specs, size_t nspec, strbuf *out)
{
    spec sp;
    if (nspec == 0) {
        jv s;
        if (!bi_str(call, v, &s))
            return false;
        strbuf_add(out, jv_str_ptr(s), jv_str_len(s));
        return true;
    }
    if (!parse_spec(call, specs, nspec, &sp))
        return false;
    if (sp.zero && !sp.align) {
        sp.fill = "0";
        sp.nfill = 1;
        sp.align = '=';
    }
    strbuf body = STRBUF_INIT;
    size_t sign_len = 0;
    char default_align = '>';
    if (v.kind == JV_STRING || (v.kind == JV_UNDEFINED)) {
        if (sp.type && sp.type != 's') {
            jinja_call_error(call, "Unknown format code '%c' for object of type 'str'", sp.type);
            strbuf_release(&body);
            return false;
        }
        if (sp.sign || sp.align == '=') {
            jinja_call_error(call, sp.sign
                                       ? "Sign not allowed in string format specifier"
                                       : "'=' alignment not allowed in string format specifier");
            strbuf_release(&body);
            return false;
        }
        jv s;
        if (!bi_str(call, v, &s)) {
            strbuf_release(&body);
            return false;
        }
        size_t len = jv_str_len(s);
        if (sp.prec >= 0)
            len = pystr_offset(jv_str_ptr(s), len, (size_t)sp.prec);
        strbuf_add(&body, jv_str_ptr(s), len);
        default_align = '<';
    } else if (v.kind == JV_INT || v.kind == JV_BOOL || v.kind == JV_FLOAT) {
        bool is_float = v.kind == JV_FLOAT;
        char t = sp.type;
        if (t && !strchr("bcdoxXneEfFgG%", t)) {
            jinja_call_error(call, "Unknown format code '%c' for object of type '%s'", t,
                             jv_kind_name(v));
            strbuf_release(&body);
            return false;
        }
        if (is_float && t && strchr("bcdoxX", t)) {
            jinja_call_error(call, "Unknown format code '%c' for object of type 'float'", t);
            strbuf_release(&body);
            return false;
        }
        if (!is_float && !t && sp.prec >= 0) {
            jinja_call_error(call, "Precision not allowed in integer format specifier");
            strbuf_release(&body);
            return false;
        }
        if (!is_float && (!t || strchr("bcdoxXn", t))) {
            int64_t i = v.kind == JV_INT ? v.u.i : v.u.b;
            if (t == 'c') {
                pystr_put(&body, (long)i);
            } else {
                if (i < 0)
                    strbuf_addc(&body, '-');
                else if (sp.sign == '+' || sp.sign == ' ')
                    strbuf_addc(&body, sp.sign);
                if (sp.alt && t && strchr("boxX", t)) {
                    strbuf_addc(&body, '0');
                    strbuf_addc(&body, t == 'X' ? 'X' : t);
                }
                sign_len = body.len;
                int base = t == 'b' ? 2 : t == 'o' ? 8 : (t == 'x' || t == 'X') ? 16 : 10;
                put_uint(&body, magnitude(i), base, t == 'X', sp.group);
            }
        } else {
            double f = is_float ? v.u.f : v.kind == JV_INT ? (double)v.u.i : (double)v.u.b;
            if (signbit(f) && !isnan(f))
                strbuf_addc(&body, '-');
            else if (sp.sign == '+' || sp.sign == ' ')
                strbuf_addc(&body, sp.sign);
            sign_len = body.len;
            char ft = t == 'n' ? 'g' : t;
            if (!is_float && !ft)
                ft = 'd';
            put_float(&body, fabs(f), ft == 'd' ? 0 : ft, sp.prec, sp.alt, sp.group);
        }
    } else {
        jinja_call_error(call, "unsupported format string passed to %s.__format__",
                         jv_kind_name(v));
        strbuf_release(&body);
        return false;
    }
    size_t ncp = pystr_len(body.buf ? body.buf : "", body.len);
    pad_to(out, body.buf ? body.buf : "", body.len, ncp, sp.width,
           sp.align ? sp.align : default_align, sp.fill, sp.nfill, sign_len);
    strbuf_release(&body);
    return true;
}

/* Resolves one replacement field's value: name, then .attr / [key]. */
static bool field_value(jinja_call *call, const char *f, size_t n, const jv *args, size_t nargs,
                        const jv_kwarg *kwargs, size_t nkwargs, int *auto_index, jv *out)
{
    arena *a = jinja_call_arena(call);
    size_t i = 0;
    while (i < n && f[i] != '.' && f[i] != '[')
        i++;
    jv v;
    if (i == 0) {
        if (*auto_index < 0) {
            jinja_call_error(call,
                             "cannot switch from manual field specification to automatic field "
                             "numbering");
            return false;
        }
        size_t idx = (size_t)(*auto_index)++;
        if (idx >= nargs) {
            jinja_call_error(call, "Replacement index %zu out of range for positional args tuple",
                             idx);
            return false;
        }
        v = args[idx];
    } else if (f[0] >= '0' && f[0] <= '9') {
        if (*auto_index > 0) {
            jinja_call_error(call, "cannot switch from automatic field numbering to manual field "
                                   "specification");
            return false;
        }
        *auto_index = -1;
        size_t idx = 0;
        for (size_t k = 0; k < i; k++) {
            if (f[k] < '0' || f[k] > '9' || idx > 100000000) {
                jinja_call_error(call, "bad field name '%.*s'", (int)i, f);
                return false;
            }
            idx = idx * 10 + (size_t)(f[k] - '0');
        }
        if (idx >= nargs) {
            jinja_call_error(call, "Replacement index %zu out of range for positional args tuple",
                             idx);
            return false;
        }
        v = args[idx];
    } else {
        size_t k = 0;
        while (k < nkwargs && !(strlen(kwargs[k].name) == i && memcmp(kwargs[k].name, f, i) == 0))
            k++;
        if (k == nkwargs) {
            jinja_call_error(call, "KeyError: '%.*s'", (int)i, f);
            return false;
        }
        v = kwargs[k].value;
    }
    while (i < n) {
        if (f[i] == '.') {
            size_t start = ++i;
            while (i < n && f[i] != '.' && f[i] != '[')
                i++;
            if (i == start) {
                jinja_call_error(call, "Empty attribute in format string");
                return false;
            }
            char *attr = arena_strndup(a, f + start, i - start);
            /* getattr() proper: a dict's keys are not attributes. */
            jv got = v.kind == JV_STRING || v.kind == JV_LIST || v.kind == JV_DICT
                         ? jinja_method_get(a, v, attr)
                         : jinja_call_getattr(call, v, attr);
            if (got.kind == JV_UNDEFINED) {
                jinja_call_error(call, "'%s' object has no attribute '%s'", jv_kind_name(v), attr);
                return false;
            }
            v = got;
        } else if (f[i] == '[') {
            size_t start = ++i;
            while (i < n && f[i] != ']')
                i++;
            if (i >= n || i == start) {
                jinja_call_error(call, "Missing ']' in format string");
                return false;
            }
            bool digits = true;
            for (size_t k = start; k < i; k++)
                if (f[k] < '0' || f[k] > '9')
                    digits = false;
            jv key = digits && i - start < 18 ? jv_int(strtoll(f + start, NULL, 10))
                                              : jv_string_n(a, f + start, i - start);
            jv got = jinja_call_getitem(call, v, key);
            if (got.kind == JV_UNDEFINED) {
                strbuf r = STRBUF_INIT;
                jv_to_repr(key, &r);
                jinja_call_error(call, "%s: %s", v.kind == JV_DICT ? "KeyError" : "IndexError",
                                 strbuf_str(&r));
                strbuf_release(&r);
                return false;
            }
            v = got;
            i++;
        } else {
            jinja_call_error(call, "Only '.' or '[' may follow ']' in format field specifier");
            return false;
        }
    }
    *out = v;
    return true;
}

static jinja_status format_str_at(jinja_call *call, const char *fmt, size_t n, const jv *args,
                                  size_t nargs, const jv_kwarg *kwargs, size_t nkwargs,
                                  int *auto_index, int depth, strbuf *out)
{
    if (depth > 2)
        return jinja_call_error(call, "Max string recursion exceeded");
    size_t i = 0;
    while (i < n) {
        char c = fmt[i];
        if (c == '}') {
            if (i + 1 < n && fmt[i + 1] == '}') {
                strbuf_addc(out, '}');
                i += 2;
                continue;
            }
            return jinja_call_error(call, "Single '}' encountered in format string");
        }
        if (c != '{') {
            size_t start = i;
            while (i < n && fmt[i] != '{' && fmt[i] != '}')
                i++;
            strbuf_add(out, fmt + start, i - start);
            continue;
        }
        if (i + 1 < n && fmt[i + 1] == '{') {
            strbuf_addc(out, '{');
            i += 2;
            continue;
        }
        /* Find the matching '}', allowing nested {} in the spec. */
        size_t start = ++i, level = 1;
        size_t bang = 0, colon = 0;
        bool in_brackets = false;
        while (i < n) {
            if (fmt[i] == '[' && !colon)
                in_brackets = true;
            else if (fmt[i] == ']')
                in_brackets = false;
            else if (!in_brackets && fmt[i] == '{')
                level++;
            else if (!in_brackets && fmt[i] == '}' && --level == 0)
                break;
            else if (!in_brackets && level == 1 && fmt[i] == '!' && !bang && !colon)
                bang = i;
            else if (!in_brackets && level == 1 && fmt[i] == ':' && !colon)
                colon = i;
            i++;
        }
        if (i >= n)
            return jinja_call_error(call, "expected '}' before end of string");
        size_t end = i++;
        size_t name_end = bang ? bang : colon ? colon : end;
        char conv = 0;
        if (bang) {
            size_t conv_end = colon ? colon : end;
            if (conv_end != bang + 2)
                return jinja_call_error(call, "expected ':' after conversion specifier");
            conv = fmt[bang + 1];
            if (conv != 'r' && conv != 's' && conv != 'a')
                return jinja_call_error(call, "Unknown conversion specifier %c", conv);
        }
        jv v;
        if (!field_value(call, fmt + start, name_end - start, args, nargs, kwargs, nkwargs,
                         auto_index, &v))
            return JINJA_ERROR;
        if (conv == 'r' || conv == 'a') {
            strbuf r = STRBUF_INIT;
            jv_to_repr(v, &r);
            v = bi_string_sb(jinja_call_arena(call), &r);
            strbuf_release(&r);
        } else if (conv == 's') {
            if (!bi_str(call, v, &v))
                return JINJA_ERROR;
        }
        strbuf specbuf = STRBUF_INIT;
        if (colon) {
            jinja_status st = format_str_at(call, fmt + colon + 1, end - colon - 1, args, nargs,
                                            kwargs, nkwargs, auto_index, depth + 1, &specbuf);
            if (st != JINJA_OK) {
                strbuf_release(&specbuf);
                return st;
            }
        }
        bool ok = format_value(call, v, specbuf.buf ? specbuf.buf : "", specbuf.len, out);
        strbuf_release(&specbuf);
        if (!ok)
            return JINJA_ERROR;
    }
    return JINJA_OK;
}

jinja_status jinja_format_str(jinja_call *call, jv fmt_v, const jv *args, size_t nargs,
                              const jv_kwarg *kwargs, size_t nkwargs, jv *result)
{
    strbuf out = STRBUF_INIT;
    int auto_index = 0;
    jinja_status st = format_str_at(call, jv_str_ptr(fmt_v), jv_str_len(fmt_v), args, nargs, kwargs,
                                    nkwargs, &auto_index, 0, &out);
    if (st == JINJA_OK)
        *result = bi_string_sb(jinja_call_arena(call), &out);
    strbuf_release(&out);
    return st;
}
