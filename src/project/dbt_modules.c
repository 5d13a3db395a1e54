/* dbt_modules: modules.datetime, modules.re and datetime values.
 *
 * Only what dbt projects commonly call is here: datetime.now/utcnow,
 * date.today, strftime/isoformat and the date fields; re.match, search,
 * fullmatch, findall, sub, split, escape and compile.  Regular expressions
 * run on POSIX extended regexps after translating Python's \d \w \s classes
 * and (?:...) groups; a construct POSIX cannot express (lazy quantifiers,
 * lookarounds, backreferences in patterns) is refused plainly. */
#include "project/dbt_modules.h"

#include "util/xalloc.h"

#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

/* --- datetime ---------------------------------------------------------------- */

typedef struct pydt {
    struct tm tm;
    long usec;
    bool aware;   /* prints +00:00 */
    bool is_date; /* a datetime.date */
} pydt;

static const jv_class datetime_class;

static jv dt_new(arena *a, const pydt *src)
{
    pydt *d = ARENA_NEW(a, pydt);
    *d = *src;
    return jv_object(a, &datetime_class, d);
}

jv dbt_datetime(arena *a, time_t secs, long usec, bool utc_aware)
{
    pydt d = {0};
    gmtime_r(&secs, &d.tm);
    d.usec = usec;
    d.aware = utc_aware;
    return dt_new(a, &d);
}

static void dt_str(void *self, strbuf *out)
{
    const pydt *d = self;
    char buf[64];
    if (d->is_date) {
        strftime(buf, sizeof buf, "%Y-%m-%d", &d->tm);
        strbuf_adds(out, buf);
        return;
    }
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &d->tm);
    strbuf_adds(out, buf);
    if (d->usec)
        strbuf_addf(out, ".%06ld", d->usec);
    if (d->aware)
        strbuf_adds(out, "+00:00");
}

static jinja_status dt_strftime(jinja_call *call, void *ud, const jv *args, size_t nargs,
                                const jv_kwarg *kw, size_t nkw, jv *result)
{
    const pydt *d = ud;
    if (nargs < 1 || args[0].kind != JV_STRING)
        return jinja_call_error(call, "strftime() takes a format string");
    /* %f (microseconds) is Python's own; expand it before strftime */
    strbuf fmt = STRBUF_INIT;
    for (const char *c = jv_str_ptr(args[0]); *c; c++) {
        if (c[0] == '%' && c[1] == 'f') {
            strbuf_addf(&fmt, "%06ld", d->usec);
            c++;
        } else if (c[0] == '%' && c[1] == 'z') {
            strbuf_adds(&fmt, d->aware ? "+0000" : "");
            c++;
        } else if (c[0] == '%' && c[1]) {
            strbuf_add(&fmt, c, 2);
            c++;
        } else {
            strbuf_addc(&fmt, *c);
        }
    }
    char buf[512];
    size_t n = strftime(buf, sizeof buf, strbuf_str(&fmt), &d->tm);
    strbuf_release(&fmt);
    *result = jv_string_n(jinja_call_arena(call), buf, n);
    return JINJA_OK;
}

static jinja_status dt_isoformat(jinja_call *call, void *ud, const jv *args, size_t nargs,
                                 const jv_kwarg *kw, size_t nkw, jv *result)
{
    const pydt *d = ud;
    char buf[64];
    strbuf sb = STRBUF_INIT;
    strftime(buf, sizeof buf, d->is_date ? "%Y-%m-%d" : "%Y-%m-%dT%H:%M:%S", &d->tm);
    strbuf_adds(&sb, buf);
    if (!d->is_date && d->usec)
        strbuf_addf(&sb, ".%06ld", d->usec);
    if (!d->is_date && d->aware)
        strbuf_adds(&sb, "+00:00");
    *result = jv_string_n(jinja_call_arena(call), strbuf_str(&sb), sb.len);
    strbuf_release(&sb);
    return JINJA_OK;
}

static jinja_status dt_date(jinja_call *call, void *ud, const jv *args, size_t nargs,
                            const jv_kwarg *kw, size_t nkw, jv *result)
{
    pydt d = *(const pydt *)ud;
    d.is_date = true;
    d.aware = false;
    d.usec = 0;
    d.tm.tm_hour = d.tm.tm_min = d.tm.tm_sec = 0;
    *result = dt_new(jinja_call_arena(call), &d);
    return JINJA_OK;
}

static jv dt_getattr(jinja_call *call, void *self, const char *attr)
{
    const pydt *d = self;
    arena *a = jinja_call_arena(call);
    if (strcmp(attr, "year") == 0)
        return jv_int(d->tm.tm_year + 1900);
    if (strcmp(attr, "month") == 0)
        return jv_int(d->tm.tm_mon + 1);
    if (strcmp(attr, "day") == 0)
        return jv_int(d->tm.tm_mday);
    if (!d->is_date) {
        if (strcmp(attr, "hour") == 0)
            return jv_int(d->tm.tm_hour);
        if (strcmp(attr, "minute") == 0)
            return jv_int(d->tm.tm_min);
        if (strcmp(attr, "second") == 0)
            return jv_int(d->tm.tm_sec);
        if (strcmp(attr, "microsecond") == 0)
            return jv_int(d->usec);
        if (strcmp(attr, "date") == 0)
            return jinja_native(a, "date", dt_date, self);
    }
    if (strcmp(attr, "strftime") == 0)
        return jinja_native(a, "strftime", dt_strftime, self);
    if (strcmp(attr, "isoformat") == 0)
        return jinja_native(a, "isoformat", dt_isoformat, self);
    return jv_undefined(attr);
}

static const jv_class datetime_class = {
    .name = "datetime",
    .getattr = dt_getattr,
    .str = dt_str,
};

static jinja_status fn_now(jinja_call *call, void *ud, const jv *args, size_t nargs,
                           const jv_kwarg *kw, size_t nkw, jv *result)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    bool local = ud == NULL; /* now(): local time; utcnow(): UTC */
    pydt d = {0};
    if (local)
        localtime_r(&tv.tv_sec, &d.tm);
    else
        gmtime_r(&tv.tv_sec, &d.tm);
    d.usec = (long)tv.tv_usec;
    *result = dt_new(jinja_call_arena(call), &d);
    return JINJA_OK;
}

static jinja_status fn_today(jinja_call *call, void *ud, const jv *args, size_t nargs,
                             const jv_kwarg *kw, size_t nkw, jv *result)
{
    time_t t = time(NULL);
    pydt d = {0};
    localtime_r(&t, &d.tm);
    d.tm.tm_hour = d.tm.tm_min = d.tm.tm_sec = 0;
    d.is_date = true;
    *result = dt_new(jinja_call_arena(call), &d);
    return JINJA_OK;
}

/* --- re ------------------------------------------------------------------------ */

/* Python regex -> POSIX ERE, or NULL (with *why) for what POSIX lacks. */
static char *translate(const char *py, const char **why)
{
    strbuf sb = STRBUF_INIT;
    bool in_class = false;
    for (const char *c = py; *c; c++) {
        if (*c == '\\' && c[1]) {
            const char *cls = NULL;
            switch (c[1]) {
            case 'd':
                cls = in_class ? "0-9" : "[0-9]";
                break;
            case 'D':
                cls = "[^0-9]";
                break;
            case 'w':
                cls = in_class ? "[:alnum:]_" : "[[:alnum:]_]";
                break;
            case 'W':
                cls = "[^[:alnum:]_]";
                break;
            case 's':
                cls = in_class ? "[:space:]" : "[[:space:]]";
                break;
            case 'S':
                cls = "[^[:space:]]";
                break;
            case 'b':
            case 'B':
            case 'A':
            case 'Z':
                *why = "word boundaries and \\A/\\Z";
                strbuf_release(&sb);
                return NULL;
            }
            if (cls) {
                strbuf_adds(&sb, cls);
            } else if (c[1] >= '1' && c[1] <= '9') {
                *why = "backreferences in patterns";
                strbuf_release(&sb);
                return NULL;
            } else if (c[1] == 'n') {
                strbuf_addc(&sb, '\n');
            } else if (c[1] == 't') {
                strbuf_addc(&sb, '\t');
            } else {
                strbuf_add(&sb, c, 2);
            }
            c++;
            continue;
        }
        if (in_class) {
            if (*c == ']')
                in_class = false;
            strbuf_addc(&sb, *c);
            continue;
        }
        if (*c == '[') {
            in_class = true;
            strbuf_addc(&sb, '[');
            if (c[1] == '^')
                strbuf_addc(&sb, *++c);
            if (c[1] == ']')
                strbuf_addc(&sb, *++c);
            continue;
        }
        if (*c == '(' && c[1] == '?') {
            if (c[2] == ':') {
                strbuf_addc(&sb, '(');
                c += 2;
                continue;
            }
            *why = "(?...) groups other than (?:...)";
            strbuf_release(&sb);
            return NULL;
        }
        if ((*c == '*' || *c == '+' || *c == '?' || *c == '}') && c[1] == '?') {
            *why = "lazy quantifiers";
            strbuf_release(&sb);
            return NULL;
        }
        strbuf_addc(&sb, *c);
    }
    return strbuf_detach(&sb);
}

typedef struct pyre {
    const char *pattern;
    int flags;
} pyre;

typedef struct pymatch {
    const char *subject;
    regmatch_t m[10];
    size_t ngroups;
} pymatch;

static bool compile_re(jinja_call *call, const char *pattern, int flags, regex_t *re)
{
    const char *why = NULL;
    char *posix = translate(pattern, &why);
    if (!posix) {
        jinja_call_error(call, "not supported yet: %s in modules.re patterns ('%s')", why, pattern);
        return false;
    }
    int rc = regcomp(re, posix, REG_EXTENDED | ((flags & 2) ? REG_ICASE : 0));
    free(posix);
    if (rc != 0) {
        char msg[128];
        regerror(rc, re, msg, sizeof msg);
        regfree(re);
        jinja_call_error(call, "bad regular expression '%s': %s", pattern, msg);
        return false;
    }
    return true;
}

static jinja_status match_group(jinja_call *call, void *ud, const jv *args, size_t nargs,
                                const jv_kwarg *kw, size_t nkw, jv *result)
{
    const pymatch *m = ud;
    int64_t g = nargs && args[0].kind == JV_INT ? args[0].u.i : 0;
    if (g < 0 || (size_t)g > m->ngroups)
        return jinja_call_error(call, "no such group");
    const regmatch_t *r = &m->m[g];
    *result = r->rm_so < 0 ? jv_none()
                           : jv_string_n(jinja_call_arena(call), m->subject + r->rm_so,
                                         (size_t)(r->rm_eo - r->rm_so));
    return JINJA_OK;
}

static jinja_status match_groups(jinja_call *call, void *ud, const jv *args, size_t nargs,
                                 const jv_kwarg *kw, size_t nkw, jv *result)
{
    const pymatch *m = ud;
    arena *a = jinja_call_arena(call);
    jv items[9];
    for (size_t g = 1; g <= m->ngroups && g < 10; g++)
        items[g - 1] = m->m[g].rm_so < 0 ? jv_none()
                                         : jv_string_n(a, m->subject + m->m[g].rm_so,
                                                       (size_t)(m->m[g].rm_eo - m->m[g].rm_so));
    *result = jv_tuple(a, items, m->ngroups < 9 ? m->ngroups : 9);
    return JINJA_OK;
}

static jv match_getattr(jinja_call *call, void *self, const char *attr)
{
    arena *a = jinja_call_arena(call);
    const pymatch *m = self;
    if (strcmp(attr, "group") == 0)
        return jinja_native(a, "group", match_group, self);
    if (strcmp(attr, "groups") == 0)
        return jinja_native(a, "groups", match_groups, self);
    if (strcmp(attr, "start") == 0)
        return jv_int(m->m[0].rm_so);
    if (strcmp(attr, "end") == 0)
        return jv_int(m->m[0].rm_eo);
    return jv_undefined(attr);
}

static const jv_class match_class = {.name = "re.Match", .getattr = match_getattr};

typedef enum {
    RE_MATCH,
    RE_SEARCH,
    RE_FULLMATCH,
    RE_FINDALL,
    RE_SUB,
    RE_SPLIT
} re_op;

static jinja_status run_re(jinja_call *call, re_op op, const char *pattern, int flags,
                           const jv *args, size_t nargs, const jv_kwarg *kw, size_t nkw, jv *result)
{
    arena *a = jinja_call_arena(call);
    /* args after the pattern: (string) or (repl, string) for sub */
    size_t need = op == RE_SUB ? 2 : 1;
    if (nargs < need || args[need - 1].kind != JV_STRING ||
        (op == RE_SUB && args[0].kind != JV_STRING))
        return jinja_call_error(call, "modules.re: expected string arguments");
    const char *s = jv_str_ptr(args[need - 1]);
    regex_t re;
    if (!compile_re(call, pattern, flags, &re))
        return JINJA_ERROR;
    jinja_status st = JINJA_OK;
    if (op == RE_MATCH || op == RE_SEARCH || op == RE_FULLMATCH) {
        pymatch *m = ARENA_NEW(a, pymatch);
        m->subject = arena_strdup(a, s);
        m->ngroups = re.re_nsub < 9 ? re.re_nsub : 9;
        bool ok = regexec(&re, m->subject, 10, m->m, 0) == 0;
        if (ok && op == RE_MATCH && m->m[0].rm_so != 0)
            ok = false; /* POSIX finds the leftmost match; match() must start at 0 */
        if (ok && op == RE_FULLMATCH &&
            (m->m[0].rm_so != 0 || (size_t)m->m[0].rm_eo != strlen(m->subject)))
            ok = false;
        *result = ok ? jv_object(a, &match_class, m) : jv_none();
    } else {
        jv list = jv_list(a);
        strbuf out = STRBUF_INIT;
        const char *p = s;
        regmatch_t m[10];
        int64_t count = 0, max = 0;
        jv c = jv_undefined(NULL);
        for (size_t i = 0; i < nkw; i++)
            if (strcmp(kw[i].name, "count") == 0 || strcmp(kw[i].name, "maxsplit") == 0)
                c = kw[i].value;
        if (nargs > need && args[need].kind == JV_INT)
            c = args[need];
        if (c.kind == JV_INT)
            max = c.u.i;
        while (*p && regexec(&re, p, 10, m, p == s ? 0 : REG_NOTBOL) == 0 &&
               (max == 0 || count < max)) {
            if (m[0].rm_eo == 0 && m[0].rm_so == 0) { /* empty match: step on */
                strbuf_addc(&out, *p);
                p++;
                continue;
            }
            count++;
            if (op == RE_FINDALL) {
                regoff_t so = re.re_nsub ? m[1].rm_so : m[0].rm_so;
                regoff_t eo = re.re_nsub ? m[1].rm_eo : m[0].rm_eo;
                jv_list_append(list, so < 0 ? jv_string(a, "")
                                            : jv_string_n(a, p + so, (size_t)(eo - so)));
            } else if (op == RE_SPLIT) {
                jv_list_append(list, jv_string_n(a, p, (size_t)m[0].rm_so));
            } else {
                strbuf_add(&out, p, (size_t)m[0].rm_so);
                for (const char *r = jv_str_ptr(args[0]); *r; r++) {
                    if (r[0] == '\\' && r[1] >= '0' && r[1] <= '9') {
                        int g = r[1] - '0';
                        if ((size_t)g <= re.re_nsub && m[g].rm_so >= 0)
                            strbuf_add(&out, p + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
                        r++;
                    } else {
                        strbuf_addc(&out, *r);
                    }
                }
            }
            p += m[0].rm_eo;
        }
        if (op == RE_SPLIT) {
            jv_list_append(list, jv_string(a, p));
            *result = list;
        } else if (op == RE_SUB) {
            strbuf_adds(&out, p);
            *result = jv_string_n(a, strbuf_str(&out), out.len);
        } else {
            *result = list;
        }
        strbuf_release(&out);
    }
    regfree(&re);
    return st;
}

static int flags_of(const jv *args, size_t nargs, size_t pos, const jv_kwarg *kw, size_t nkw)
{
    for (size_t i = 0; i < nkw; i++)
        if (strcmp(kw[i].name, "flags") == 0 && kw[i].value.kind == JV_INT)
            return (int)kw[i].value.u.i;
    return nargs > pos && args[pos].kind == JV_INT ? (int)args[pos].u.i : 0;
}

#define RE_FN(name, op, flagpos)                                                                   \
    static jinja_status name(jinja_call *call, void *ud, const jv *args, size_t nargs,             \
                             const jv_kwarg *kw, size_t nkw, jv *result)                           \
    {                                                                                              \
        if (ud) { /* a compiled pattern's method */                                                \
            const pyre *r = ud;                                                                    \
            return run_re(call, op, r->pattern, r->flags, args, nargs, kw, nkw, result);           \
        }                                                                                          \
        if (nargs < 1 || args[0].kind != JV_STRING)                                                \
            return jinja_call_error(call, "modules.re: the first argument is the pattern");        \
        return run_re(call, op, jv_str_ptr(args[0]), flags_of(args, nargs, flagpos, kw, nkw),      \
                      args + 1, nargs - 1, kw, nkw, result);                                       \
    }
RE_FN(pyre_match, RE_MATCH, 2)
RE_FN(pyre_search, RE_SEARCH, 2)
RE_FN(pyre_fullmatch, RE_FULLMATCH, 2)
RE_FN(pyre_findall, RE_FINDALL, 2)
RE_FN(pyre_sub, RE_SUB, 4)
RE_FN(pyre_split, RE_SPLIT, 3)

static jv pattern_getattr(jinja_call *call, void *self, const char *attr)
{
    arena *a = jinja_call_arena(call);
    static const struct {
        const char *name;
        jinja_native_fn fn;
    } methods[] = {
        {"match", pyre_match},     {"search", pyre_search}, {"fullmatch", pyre_fullmatch},
        {"findall", pyre_findall}, {"sub", pyre_sub},       {"split", pyre_split}};
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
        if (strcmp(attr, methods[i].name) == 0)
            return jinja_native(a, attr, methods[i].fn, self);
    if (strcmp(attr, "pattern") == 0)
        return jv_string(a, ((pyre *)self)->pattern);
    return jv_undefined(attr);
}

static const jv_class pattern_class = {.name = "re.Pattern", .getattr = pattern_getattr};

static jinja_status pyre_compile(jinja_call *call, void *ud, const jv *args, size_t nargs,
                                 const jv_kwarg *kw, size_t nkw, jv *result)
{
    arena *a = jinja_call_arena(call);
    if (nargs < 1 || args[0].kind != JV_STRING)
        return jinja_call_error(call, "re.compile() takes a pattern");
    pyre *r = ARENA_NEW(a, pyre);
    r->pattern = arena_strdup(a, jv_str_ptr(args[0]));
    r->flags = flags_of(args, nargs, 1, kw, nkw);
    regex_t check;
    if (!compile_re(call, r->pattern, r->flags, &check))
        return JINJA_ERROR;
    regfree(&check);
    *result = jv_object(a, &pattern_class, r);
    return JINJA_OK;
}

static jinja_status pyre_escape(jinja_call *call, void *ud, const jv *args, size_t nargs,
                                const jv_kwarg *kw, size_t nkw, jv *result)
{
    if (nargs < 1 || args[0].kind != JV_STRING)
        return jinja_call_error(call, "re.escape() takes a string");
    strbuf sb = STRBUF_INIT;
    for (const char *c = jv_str_ptr(args[0]); *c; c++) {
        if (strchr("\\.^$*+?{}[]|()-&~# \t\n\r\v\f", *c))
            strbuf_addc(&sb, '\\');
        strbuf_addc(&sb, *c);
    }
    *result = jv_string_n(jinja_call_arena(call), strbuf_str(&sb), sb.len);
    strbuf_release(&sb);
    return JINJA_OK;
}

jv dbt_modules(arena *a)
{
    jv dt_mod = jv_dict(a), dt_cls = jv_dict(a), date_cls = jv_dict(a);
    jv_dict_set_str(dt_cls, "now", jinja_native(a, "now", fn_now, NULL));
    jv_dict_set_str(dt_cls, "utcnow", jinja_native(a, "utcnow", fn_now, (void *)1));
    jv_dict_set_str(date_cls, "today", jinja_native(a, "today", fn_today, NULL));
    jv_dict_set_str(dt_mod, "datetime", dt_cls);
    jv_dict_set_str(dt_mod, "date", date_cls);
    jv re = jv_dict(a);
    jv_dict_set_str(re, "match", jinja_native(a, "match", pyre_match, NULL));
    jv_dict_set_str(re, "search", jinja_native(a, "search", pyre_search, NULL));
    jv_dict_set_str(re, "fullmatch", jinja_native(a, "fullmatch", pyre_fullmatch, NULL));
    jv_dict_set_str(re, "findall", jinja_native(a, "findall", pyre_findall, NULL));
    jv_dict_set_str(re, "sub", jinja_native(a, "sub", pyre_sub, NULL));
    jv_dict_set_str(re, "split", jinja_native(a, "split", pyre_split, NULL));
    jv_dict_set_str(re, "compile", jinja_native(a, "compile", pyre_compile, NULL));
    jv_dict_set_str(re, "escape", jinja_native(a, "escape", pyre_escape, NULL));
    jv_dict_set_str(re, "IGNORECASE", jv_int(2));
    jv_dict_set_str(re, "I", jv_int(2));
    jv mods = jv_dict(a);
    jv_dict_set_str(mods, "datetime", dt_mod);
    jv_dict_set_str(mods, "re", re);
    return mods;
}
