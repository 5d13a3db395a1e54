/* mlerr: first-failure-wins error values (see error.h). */
#include "util/error.h"

#include <stdarg.h>

void mlerr_set(mlerr *e, int exit_code, const char *fmt, ...)
{
    if (!e || e->set)
        return;
    e->set = true;
    e->exit_code = exit_code;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&e->msg, fmt, ap);
    va_end(ap);
}

void mlerr_at(mlerr *e, int exit_code, const char *file, int line, int col, const char *fmt, ...)
{
    if (!e || e->set)
        return;
    e->set = true;
    e->exit_code = exit_code;
    if (file && *file) {
        strbuf_adds(&e->msg, file);
        if (line > 0) {
            strbuf_addf(&e->msg, ":%d", line);
            if (col > 0)
                strbuf_addf(&e->msg, ":%d", col);
        }
        strbuf_adds(&e->msg, ": ");
    }
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&e->msg, fmt, ap);
    va_end(ap);
}

void mlerr_prefix(mlerr *e, const char *fmt, ...)
{
    if (!e || !e->set)
        return;
    strbuf pre = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&pre, fmt, ap);
    va_end(ap);
    strbuf_adds(&pre, ": ");
    strbuf_add(&pre, strbuf_str(&e->msg), e->msg.len);
    strbuf_release(&e->msg);
    e->msg = pre;
}

void mlerr_hint(mlerr *e, const char *fmt, ...)
{
    if (!e || !e->set)
        return;
    strbuf_adds(&e->msg, "\n  hint: ");
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&e->msg, fmt, ap);
    va_end(ap);
}

const char *mlerr_message(const mlerr *e)
{
    return strbuf_str(&e->msg);
}

void mlerr_clear(mlerr *e)
{
    strbuf_release(&e->msg);
    e->set = false;
    e->exit_code = 0;
}
