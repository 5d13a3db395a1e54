/* pgwire: bounded framing of protocol v3 messages over a socket. */
#include "serve/pgwire.h"

#include "util/xalloc.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
    READ_CHUNK = 64 * 1024,
    FLUSH_THRESHOLD = 256 * 1024,
};

uint8_t pg_get_u8(pg_msg *m)
{
    const unsigned char *p = pg_get_bytes(m, 1);
    return p ? p[0] : 0;
}

int16_t pg_get_i16(pg_msg *m)
{
    const unsigned char *p = pg_get_bytes(m, 2);
    return p ? (int16_t)(((uint16_t)p[0] << 8) | p[1]) : 0;
}

int32_t pg_get_i32(pg_msg *m)
{
    const unsigned char *p = pg_get_bytes(m, 4);
    if (!p)
        return 0;
    return (int32_t)(((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
                     p[3]);
}

const char *pg_get_cstr(pg_msg *m)
{
    if (m->bad || m->pos >= m->len) {
        m->bad = true;
        return NULL;
    }
    const unsigned char *start = m->data + m->pos;
    const unsigned char *nul = memchr(start, 0, m->len - m->pos);
    if (!nul) {
        m->bad = true;
        return NULL;
    }
    m->pos += (size_t)(nul - start) + 1;
    return (const char *)start;
}

const unsigned char *pg_get_bytes(pg_msg *m, size_t n)
{
    if (m->bad || n > m->len - m->pos) {
        m->bad = true;
        return NULL;
    }
    const unsigned char *p = m->data + m->pos;
    m->pos += n;
    return p;
}

size_t pg_remaining(const pg_msg *m)
{
    return m->len - m->pos;
}

/* --- reader ---------------------------------------------------------------- */

void pg_reader_init(pg_reader *r, int fd, size_t max_message)
{
    memset(r, 0, sizeof(*r));
    r->fd = fd;
    r->max_message = max_message ? max_message : PG_DEFAULT_MAX_MESSAGE;
}

void pg_reader_release(pg_reader *r)
{
    free(r->buf);
    r->buf = NULL;
}

static uint32_t be32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Makes room for want bytes from start, then reads at least one more byte. */
static pg_read_status fill(pg_reader *r, size_t want)
{
    if (r->start > 0 && (r->cap - r->start < want || r->start == r->end)) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    size_t need = want > READ_CHUNK ? want : READ_CHUNK;
    if (r->cap < need) {
        r->buf = xrealloc(r->buf, need);
        r->cap = need;
    }
    if (r->idle_timeout_ms > 0 && !(r->pending_fn && r->pending_fn(r->read_ctx))) {
        struct pollfd p = {.fd = r->fd, .events = POLLIN};
        int rc;
        do {
            rc = poll(&p, 1, r->idle_timeout_ms);
        } while (rc < 0 && errno == EINTR);
        if (rc == 0) {
            snprintf(r->error, sizeof(r->error), "idle for more than %d ms", r->idle_timeout_ms);
            return PG_READ_TIMEOUT;
        }
    }
    long n;
    if (r->read_fn) {
        n = r->read_fn(r->read_ctx, r->buf + r->end, r->cap - r->end);
    } else {
        do {
            n = (long)read(r->fd, r->buf + r->end, r->cap - r->end);
        } while (n < 0 && errno == EINTR);
    }
    if (n < 0) {
        snprintf(r->error, sizeof(r->error), "read failed: %s", strerror(errno));
        return PG_READ_IO;
    }
    if (n == 0)
        return PG_READ_EOF;
    r->end += (size_t)n;
    return PG_READ_OK;
}

pg_read_status pg_read_message(pg_reader *r, bool startup, pg_msg *out)
{
    size_t header = startup ? 4 : 5;
    while (r->end - r->start < header) {
        bool mid = r->end > r->start;
        pg_read_status s = fill(r, header);
        if (s == PG_READ_EOF && mid) {
            snprintf(r->error, sizeof(r->error), "connection closed in the middle of a message");
            return PG_READ_IO;
        }
        if (s != PG_READ_OK)
            return s;
    }
    const unsigned char *h = r->buf + r->start;
    char type = startup ? 0 : (char)h[0];
    uint32_t len = be32(h + (startup ? 0 : 1));
    size_t limit = startup ? PG_MAX_STARTUP : r->max_message;
    if (len < 4 || (startup && len < 8)) {
        snprintf(r->error, sizeof(r->error), "invalid message length %u", len);
        return PG_READ_PROTOCOL;
    }
    if (len > limit) {
        snprintf(r->error, sizeof(r->error), "message of %u bytes is over the limit of %zu", len,
                 limit);
        return PG_READ_PROTOCOL;
    }
    size_t total = (startup ? 0 : 1) + (size_t)len;
    while (r->end - r->start < total) {
        pg_read_status s = fill(r, total);
        if (s == PG_READ_EOF) {
            snprintf(r->error, sizeof(r->error), "connection closed in the middle of a message");
            return PG_READ_IO;
        }
        if (s != PG_READ_OK)
            return s;
    }
    *out = (pg_msg){
        .type = type,
        .data = r->buf + r->start + header,
        .len = total - header,
    };
    r->start += total;
    return PG_READ_OK;
}

bool pg_reader_has_buffered(const pg_reader *r)
{
    if (r->end - r->start < 5)
        return false;
    uint32_t len = be32(r->buf + r->start + 1);
    return r->end - r->start >= (size_t)len + 1;
}

/* --- writer ---------------------------------------------------------------- */

void pg_writer_init(pg_writer *w, int fd)
{
    memset(w, 0, sizeof(*w));
    w->fd = fd;
}

void pg_writer_release(pg_writer *w)
{
    strbuf_release(&w->out);
}

void pg_begin(pg_writer *w, char type)
{
    w->msg_start = w->out.len;
    strbuf_addc(&w->out, type);
    strbuf_add(&w->out, "\0\0\0\0", 4);
}

void pg_put_u8(pg_writer *w, uint8_t v)
{
    strbuf_addc(&w->out, (char)v);
}

void pg_put_i16(pg_writer *w, int16_t v)
{
    unsigned char b[2] = {(unsigned char)((uint16_t)v >> 8), (unsigned char)v};
    strbuf_add(&w->out, b, 2);
}

void pg_put_i32(pg_writer *w, int32_t v)
{
    uint32_t u = (uint32_t)v;
    unsigned char b[4] = {(unsigned char)(u >> 24), (unsigned char)(u >> 16),
                          (unsigned char)(u >> 8), (unsigned char)u};
    strbuf_add(&w->out, b, 4);
}

void pg_put_cstr(pg_writer *w, const char *s)
{
    strbuf_add(&w->out, s, strlen(s) + 1);
}

void pg_put_bytes(pg_writer *w, const void *p, size_t n)
{
    strbuf_add(&w->out, p, n);
}

void pg_end(pg_writer *w)
{
    uint32_t len = (uint32_t)(w->out.len - w->msg_start - 1);
    unsigned char *p = (unsigned char *)w->out.buf + w->msg_start + 1;
    p[0] = (unsigned char)(len >> 24);
    p[1] = (unsigned char)(len >> 16);
    p[2] = (unsigned char)(len >> 8);
    p[3] = (unsigned char)len;
}

void pg_put_raw_byte(pg_writer *w, char c)
{
    strbuf_addc(&w->out, c);
}

bool pg_flush(pg_writer *w)
{
    size_t done = 0;
    while (!w->failed && done < w->out.len) {
        long n;
        if (w->write_fn) {
            n = w->write_fn(w->write_ctx, w->out.buf + done, w->out.len - done);
        } else {
            do {
                n = (long)send(w->fd, w->out.buf + done, w->out.len - done, MSG_NOSIGNAL);
            } while (n < 0 && errno == EINTR);
        }
        if (n <= 0)
            w->failed = true;
        else
            done += (size_t)n;
    }
    strbuf_reset(&w->out);
    return !w->failed;
}

bool pg_maybe_flush(pg_writer *w)
{
    if (w->out.len < FLUSH_THRESHOLD)
        return !w->failed;
    return pg_flush(w);
}
