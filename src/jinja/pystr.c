/* pystr: Python str semantics over UTF-8 -- code point counting, case
 * mapping, whitespace, strip, split, splitlines and replace. */
#include "jinja/pystr.h"

#include <string.h>

long pystr_next(const char *s, size_t len, size_t *pos)
{
    unsigned char c = (unsigned char)s[*pos];
    if (c < 0x80) {
        (*pos)++;
        return c;
    }
    size_t adv;
    long cp = jv_utf8_decode(s + *pos, len - *pos, &adv);
    *pos += adv;
    return cp < 0 ? 0xdc00 + c : cp;
}

void pystr_put(strbuf *sb, long cp)
{
    char buf[4];
    if (cp < 0x80) {
        strbuf_addc(sb, (char)cp);
        return;
    }
    if (cp >= 0xdc80 && cp <= 0xdcff) {
        strbuf_addc(sb, (char)(cp - 0xdc00));
        return;
    }
    if (cp < 0x800) {
        buf[0] = (char)(0xc0 | (cp >> 6));
        buf[1] = (char)(0x80 | (cp & 0x3f));
        strbuf_add(sb, buf, 2);
    } else if (cp < 0x10000) {
        buf[0] = (char)(0xe0 | (cp >> 12));
        buf[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        buf[2] = (char)(0x80 | (cp & 0x3f));
        strbuf_add(sb, buf, 3);
    } else {
        buf[0] = (char)(0xf0 | (cp >> 18));
        buf[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        buf[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        buf[3] = (char)(0x80 | (cp & 0x3f));
        strbuf_add(sb, buf, 4);
    }
}

/* --- case mapping --------------------------------------------------------- */
long pystr_lower_cp(long cp)
{
    if (cp < 0x80)
        return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    if (cp < 0xc0)
        return cp;
    if (cp <= 0xde)
        return cp == 0xd7 ? cp : cp + 32;
    if (cp < 0x100)
        return cp;
    if (cp <= 0x137)
        return cp == 0x130 ? 'i' : (cp & 1) ? cp : cp + 1;
    if (cp >= 0x139 && cp <= 0x148)
        return (cp & 1) ? cp + 1 : cp;
    if (cp >= 0x14a && cp <= 0x177)
        return (cp & 1) ? cp : cp + 1;
    if (cp == 0x178)
        return 0xff;
    /* DŽ Dž dž, LJ Lj lj, NJ Nj nj, DZ Dz dz: capital and title lower alike. */
    if ((cp >= 0x1c4 && cp <= 0x1cc) || (cp >= 0x1f1 && cp <= 0x1f3))
        return cp == 0x1c4 || cp == 0x1c7 || cp == 0x1ca || cp == 0x1f1   ? cp + 2
               : cp == 0x1c5 || cp == 0x1c8 || cp == 0x1cb || cp == 0x1f2 ? cp + 1
                                                                          : cp;
    if (cp >= 0x179 && cp <= 0x17e)
        return (cp & 1) ? cp + 1 : cp;
    if (cp == 0x386)
        return 0x3ac;
    if (cp >= 0x388 && cp <= 0x38a)
        return cp + 37;
    if (cp == 0x38c)
        return 0x3cc;
    if (cp == 0x38e || cp == 0x38f)
        return cp + 63;
    if (cp >= 0x391 && cp <= 0x3ab && cp != 0x3a2)
        return cp + 32;
    if (cp >= 0x400 && cp <= 0x40f)
        return cp + 80;
    if (cp >= 0x410 && cp <= 0x42f)
        return cp + 32;
    if ((cp >= 0x460 && cp <= 0x481) || (cp >= 0x48a && cp <= 0x4bf) ||
        (cp >= 0x4d0 && cp <= 0x52f) || (cp >= 0x1e00 && cp <= 0x1e95) ||
        (cp >= 0x1ea0 && cp <= 0x1eff))
        return (cp & 1) ? cp : cp + 1;
    if (cp >= 0x531 && cp <= 0x556)
        return cp + 48;
    if (cp >= 0xff21 && cp <= 0xff3a)
        return cp + 32;
    return cp;
}

long pystr_upper_cp(long cp)
{
    if (cp < 0x80)
        return cp >= 'a' && cp <= 'z' ? cp - 32 : cp;
    if (cp == 0xb5)
        return 0x39c;
    if (cp < 0xe0)
        return cp;
    if (cp <= 0xfe)
        return cp == 0xf7 ? cp : cp - 32;
    if (cp == 0xff)
        return 0x178;
    if (cp < 0x100)
        return cp;
    if (cp == 0x131)
        return 'I';
    if (cp <= 0x137)
        return (cp & 1) ? cp - 1 : cp;
    if (cp >= 0x139 && cp <= 0x148)
        return (cp & 1) ? cp : cp - 1;
    if (cp >= 0x14a && cp <= 0x177)
        return (cp & 1) ? cp - 1 : cp;
    if (cp >= 0x179 && cp <= 0x17e)
        return (cp & 1) ? cp : cp - 1;
    if (cp == 0x17f)
        return 'S';
    if ((cp >= 0x1c4 && cp <= 0x1cc) || (cp >= 0x1f1 && cp <= 0x1f3))
        return cp == 0x1c6 || cp == 0x1c9 || cp == 0x1cc || cp == 0x1f3   ? cp - 2
               : cp == 0x1c5 || cp == 0x1c8 || cp == 0x1cb || cp == 0x1f2 ? cp - 1
                                                                          : cp;
    if (cp == 0x3ac)
        return 0x386;
    if (cp >= 0x3ad && cp <= 0x3af)
        return cp - 37;
    if (cp == 0x3cc)
        return 0x38c;
    if (cp == 0x3cd || cp == 0x3ce)
        return cp - 63;
    if (cp == 0x3c2)
        return 0x3a3;
    if (cp >= 0x3b1 && cp <= 0x3cb)
        return cp - 32;
    if (cp >= 0x430 && cp <= 0x44f)
        return cp - 32;
    if (cp >= 0x450 && cp <= 0x45f)
        return cp - 80;
    if ((cp >= 0x460 && cp <= 0x481) || (cp >= 0x48a && cp <= 0x4bf) ||
        (cp >= 0x4d0 && cp <= 0x52f) || (cp >= 0x1e00 && cp <= 0x1e95) ||
        (cp >= 0x1ea0 && cp <= 0x1eff))
        return (cp & 1) ? cp - 1 : cp;
    if (cp >= 0x561 && cp <= 0x586)
        return cp - 48;
    if (cp >= 0xff41 && cp <= 0xff5a)
        return cp - 32;
    return cp;
}

bool pystr_iscased_cp(long cp)
{
    return pystr_lower_cp(cp) != cp || pystr_upper_cp(cp) != cp || cp == 0xdf;
}

static bool is_lower_cp(long cp)
{
    return pystr_upper_cp(cp) != cp || cp == 0xdf;
}

static bool is_upper_cp(long cp)
{
    return pystr_lower_cp(cp) != cp;
}

bool pystr_isspace_cp(long cp)
{
    if (cp < 0x80)
        return cp == ' ' || (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x1f);
    return cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

bool pystr_isdigit_cp(long cp)
{
    if (cp < 0x80)
        return cp >= '0' && cp <= '9';
    return cp == 0xb2 || cp == 0xb3 || cp == 0xb9 || (cp >= 0x660 && cp <= 0x669) ||
           (cp >= 0xff10 && cp <= 0xff19);
}

bool pystr_isalpha_cp(long cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    if (cp < 0xc0)
        return cp == 0xaa || cp == 0xb5 || cp == 0xba;
    if (cp == 0xd7 || cp == 0xf7)
        return false;
    if (pystr_iscased_cp(cp) || cp < 0x2b0)
        return true;
    /* Punctuation, symbols and separators of the common blocks; most
     * other code points above are letters of some script. */
    if ((cp >= 0x2000 && cp <= 0x2bff) || (cp >= 0x3000 && cp <= 0x303f) ||
        (cp >= 0xfe30 && cp <= 0xfe6f) || (cp >= 0xff00 && cp <= 0xff20) ||
        (cp >= 0xd800 && cp <= 0xf8ff) || (cp >= 0x1f000 && cp <= 0x1faff) ||
        (cp >= 0x300 && cp <= 0x36f) || pystr_isspace_cp(cp) || pystr_isdigit_cp(cp))
        return false;
    return true;
}

bool pystr_isalnum_cp(long cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
    return pystr_isalpha_cp(cp) || pystr_isdigit_cp(cp) || cp == 0xbc || cp == 0xbd || cp == 0xbe;
}

/* --- lengths and offsets -------------------------------------------------- */
size_t pystr_len(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n;) {
        if ((unsigned char)s[i] < 0x80) {
            i++;
        } else {
            pystr_next(s, n, &i);
        }
        count++;
    }
    return count;
}

size_t pystr_offset(const char *s, size_t n, size_t index)
{
    size_t i = 0;
    while (index > 0 && i < n) {
        if ((unsigned char)s[i] < 0x80)
            i++;
        else
            pystr_next(s, n, &i);
        index--;
    }
    return i;
}

/* --- case conversions ----------------------------------------------------- */
/* Greek capital sigma lowers to final sigma at the end of a word. */
static bool final_sigma(const char *s, size_t n, size_t before, size_t after)
{
    bool cased_before = false;
    for (size_t i = 0; i < before;) {
        long cp = pystr_next(s, n, &i);
        if (pystr_iscased_cp(cp))
            cased_before = true;
        else if (cp != '\'' && cp != 0x2019)
            cased_before = false;
    }
    if (!cased_before)
        return false;
    for (size_t i = after; i < n;) {
        long cp = pystr_next(s, n, &i);
        if (pystr_iscased_cp(cp))
            return false;
        if (cp != '\'' && cp != 0x2019)
            return true;
    }
    return true;
}

void pystr_lower(const char *s, size_t n, strbuf *out)
{
    strbuf_grow(out, n);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            strbuf_addc(out, (char)(c >= 'A' && c <= 'Z' ? c + 32 : c));
            i++;
            continue;
        }
        size_t at = i;
        long cp = pystr_next(s, n, &i);
        if (cp == 0x3a3 && final_sigma(s, n, at, i))
            pystr_put(out, 0x3c2);
        else if (cp == 0x130) {
            pystr_put(out, 'i');
            pystr_put(out, 0x307);
        } else
            pystr_put(out, pystr_lower_cp(cp));
    }
}

/* Upper-casing that makes several characters (SpecialCasing.txt). */
static const char *upper_special(long cp)
{
    switch (cp) {
    case 0xdf:
        return "SS";
    case 0x149:
        return "\xca\xbcN";
    case 0xfb00:
        return "FF";
    case 0xfb01:
        return "FI";
    case 0xfb02:
        return "FL";
    case 0xfb03:
        return "FFI";
    case 0xfb04:
        return "FFL";
    case 0xfb05:
    case 0xfb06:
        return "ST";
    }
    return NULL;
}

static void put_upper(strbuf *out, long cp)
{
    const char *special = upper_special(cp);
    if (special) {
        strbuf_adds(out, special);
        return;
    }
    pystr_put(out, pystr_upper_cp(cp));
}

void pystr_upper(const char *s, size_t n, strbuf *out)
{
    strbuf_grow(out, n);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            strbuf_addc(out, (char)(c >= 'a' && c <= 'z' ? c - 32 : c));
            i++;
            continue;
        }
        put_upper(out, pystr_next(s, n, &i));
    }
}

/* Title case: the digraphs have a title form of their own (Dž). */
static long title_cp(long cp)
{
    if ((cp >= 0x1c4 && cp <= 0x1cc) || (cp >= 0x1f1 && cp <= 0x1f3)) {
        long lower = pystr_lower_cp(cp);
        return lower - 1;
    }
    return pystr_upper_cp(cp);
}

/* Title case of ß is "Ss", of ﬁ "Fi". */
static void put_title(strbuf *out, long cp)
{
    const char *special = upper_special(cp);
    if (special) {
        if (special[0] & 0x80) {
            strbuf_adds(out, special);
            return;
        }
        strbuf_addc(out, special[0]);
        for (const char *c = special + 1; *c; c++)
            strbuf_addc(out, (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c));
        return;
    }
    pystr_put(out, title_cp(cp));
}

void pystr_title(const char *s, size_t n, strbuf *out)
{
    bool prev_cased = false;
    strbuf_grow(out, n);
    for (size_t i = 0; i < n;) {
        long cp = pystr_next(s, n, &i);
        if (pystr_iscased_cp(cp)) {
            if (prev_cased)
                pystr_put(out, pystr_lower_cp(cp));
            else
                put_title(out, cp);
            prev_cased = true;
        } else {
            pystr_put(out, cp);
            prev_cased = false;
        }
    }
}

void pystr_capitalize(const char *s, size_t n, strbuf *out)
{
    strbuf_grow(out, n);
    size_t i = 0;
    if (n) {
        put_title(out, pystr_next(s, n, &i));
    }
    pystr_lower(s + i, n - i, out);
}

void pystr_swapcase(const char *s, size_t n, strbuf *out)
{
    for (size_t i = 0; i < n;) {
        long cp = pystr_next(s, n, &i);
        if (is_upper_cp(cp))
            pystr_put(out, pystr_lower_cp(cp));
        else if (is_lower_cp(cp))
            put_upper(out, cp);
        else
            pystr_put(out, cp);
    }
}

bool pystr_islower(const char *s, size_t n)
{
    bool cased = false;
    for (size_t i = 0; i < n;) {
        long cp = pystr_next(s, n, &i);
        if (is_upper_cp(cp))
            return false;
        if (is_lower_cp(cp))
            cased = true;
    }
    return cased;
}

bool pystr_isupper(const char *s, size_t n)
{
    bool cased = false;
    for (size_t i = 0; i < n;) {
        long cp = pystr_next(s, n, &i);
        if (is_lower_cp(cp))
            return false;
        if (is_upper_cp(cp))
            cased = true;
    }
    return cased;
}

/* --- strip ---------------------------------------------------------------- */
static bool in_chars(long cp, const char *chars, size_t nchars)
{
    if (!chars)
        return pystr_isspace_cp(cp);
    for (size_t i = 0; i < nchars;)
        if (pystr_next(chars, nchars, &i) == cp)
            return true;
    return false;
}

/* The start of the code point that ends at byte end. */
static size_t prev_start(const char *s, size_t end)
{
    size_t i = end - 1;
    size_t back = 0;
    while (i > 0 && back < 3 && ((unsigned char)s[i] & 0xc0) == 0x80) {
        i--;
        back++;
    }
    /* Only accept it if it decodes to exactly that span. */
    size_t pos = i;
    pystr_next(s, end, &pos);
    return pos == end ? i : end - 1;
}

void pystr_strip(const char *s, size_t n, const char *chars, size_t nchars, int sides,
                 size_t *start, size_t *end)
{
    size_t b = 0, e = n;
    if (sides & PYSTR_LEFT) {
        while (b < n) {
            size_t next = b;
            long cp = pystr_next(s, n, &next);
            if (!in_chars(cp, chars, nchars))
                break;
            b = next;
        }
    }
    if (sides & PYSTR_RIGHT) {
        while (e > b) {
            size_t p = prev_start(s, e);
            size_t q = p;
            long cp = pystr_next(s, e, &q);
            if (!in_chars(cp, chars, nchars))
                break;
            e = p;
        }
    }
    *start = b;
    *end = e;
}

/* --- split ---------------------------------------------------------------- */
long pystr_find(const char *s, size_t n, const char *needle, size_t nneedle, size_t from)
{
    if (from > n)
        return -1;
    if (nneedle == 0)
        return (long)from;
    const char *p = memmem(s + from, n - from, needle, nneedle);
    return p ? (long)(p - s) : -1;
}

static long rfind_before(const char *s, size_t end, const char *needle, size_t nneedle)
{
    if (nneedle > end)
        return -1;
    for (size_t i = end - nneedle + 1; i-- > 0;)
        if (memcmp(s + i, needle, nneedle) == 0)
            return (long)i;
    return -1;
}

static void push(arena *a, jv list, const char *s, size_t n)
{
    jv_list_append(list, jv_string_n(a, s, n));
}

jv pystr_split(arena *a, const char *s, size_t n, const char *sep, size_t nsep, long maxsplit)
{
    jv out = jv_list(a);
    if (sep) {
        size_t start = 0;
        while (maxsplit != 0) {
            long at = pystr_find(s, n, sep, nsep, start);
            if (at < 0)
                break;
            push(a, out, s + start, (size_t)at - start);
            start = (size_t)at + nsep;
            if (maxsplit > 0)
                maxsplit--;
        }
        push(a, out, s + start, n - start);
        return out;
    }
    size_t i = 0;
    for (;;) {
        /* Skip whitespace, then take a word. */
        while (i < n) {
            size_t next = i;
            if (!pystr_isspace_cp(pystr_next(s, n, &next)))
                break;
            i = next;
        }
        if (i >= n)
            break;
        if (maxsplit == 0) {
            /* The rest as it is, trailing whitespace included. */
            push(a, out, s + i, n - i);
            break;
        }
        size_t start = i;
        while (i < n) {
            size_t next = i;
            if (pystr_isspace_cp(pystr_next(s, n, &next)))
                break;
            i = next;
        }
        push(a, out, s + start, i - start);
        if (maxsplit > 0)
            maxsplit--;
    }
    return out;
}

static void reverse_list(jv list)
{
    jv *items = jv_list_items(list);
    size_t len = jv_list_len(list);
    for (size_t i = 0; i < len / 2; i++) {
        jv t = items[i];
        items[i] = items[len - 1 - i];
        items[len - 1 - i] = t;
    }
}

jv pystr_rsplit(arena *a, const char *s, size_t n, const char *sep, size_t nsep, long maxsplit)
{
    if (maxsplit < 0)
        return pystr_split(a, s, n, sep, nsep, maxsplit);
    jv out = jv_list(a);
    if (sep) {
        size_t end = n;
        while (maxsplit != 0) {
            long at = rfind_before(s, end, sep, nsep);
            if (at < 0)
                break;
            push(a, out, s + at + nsep, end - (size_t)at - nsep);
            end = (size_t)at;
            maxsplit--;
        }
        push(a, out, s, end);
        reverse_list(out);
        return out;
    }
    size_t e = n;
    for (;;) {
        while (e > 0) {
            size_t p = prev_start(s, e), q = p;
            if (!pystr_isspace_cp(pystr_next(s, e, &q)))
                break;
            e = p;
        }
        if (e == 0)
            break;
        if (maxsplit == 0) {
            push(a, out, s, e);
            break;
        }
        size_t end = e;
        while (e > 0) {
            size_t p = prev_start(s, e), q = p;
            if (pystr_isspace_cp(pystr_next(s, e, &q)))
                break;
            e = p;
        }
        push(a, out, s + e, end - e);
        maxsplit--;
    }
    reverse_list(out);
    return out;
}

jv pystr_splitlines(arena *a, const char *s, size_t n, bool keepends)
{
    jv out = jv_list(a);
    size_t start = 0, i = 0;
    while (i < n) {
        size_t at = i;
        long cp = pystr_next(s, n, &i);
        bool brk = cp == '\n' || cp == '\r' || cp == 0x0b || cp == 0x0c || cp == 0x1c ||
                   cp == 0x1d || cp == 0x1e || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
        if (!brk)
            continue;
        if (cp == '\r' && i < n && s[i] == '\n')
            i++;
        push(a, out, s + start, (keepends ? i : at) - start);
        start = i;
    }
    if (start < n)
        push(a, out, s + start, n - start);
    return out;
}

void pystr_replace(const char *s, size_t n, const char *old, size_t nold, const char *new_,
                   size_t nnew, long count, strbuf *out)
{
    if (nold == 0) {
        /* Python inserts new_ before every code point and at the end. */
        size_t i = 0;
        while (i < n && count != 0) {
            strbuf_add(out, new_, nnew);
            size_t at = i;
            pystr_next(s, n, &i);
            strbuf_add(out, s + at, i - at);
            if (count > 0)
                count--;
        }
        if (i < n)
            strbuf_add(out, s + i, n - i);
        else if (count != 0)
            strbuf_add(out, new_, nnew);
        return;
    }
    size_t start = 0;
    strbuf_grow(out, n);
    while (count != 0) {
        long at = pystr_find(s, n, old, nold, start);
        if (at < 0)
            break;
        strbuf_add(out, s + start, (size_t)at - start);
        strbuf_add(out, new_, nnew);
        start = (size_t)at + nold;
        if (count > 0)
            count--;
    }
    strbuf_add(out, s + start, n - start);
}
