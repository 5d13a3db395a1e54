/* route_wire: framing and the job request of the routing channel (see
 * route_wire.h). */
#include "cli/route_wire.h"

#include "util/fs.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static bool send_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

bool route_routable(const char *name)
{
    static const char *const names[] = {"build", "run", "seed", "test", "debug", "show", NULL};
    for (const char *const *n = names; *n; n++) {
        if (strcmp(*n, name) == 0)
            return true;
    }
    return false;
}

bool route_send(int fd, char type, const void *data, size_t len)
{
    if (len > ROUTE_MAX_MESSAGE)
        return false;
    unsigned char head[5] = {(unsigned char)type, (unsigned char)(len >> 24),
                             (unsigned char)(len >> 16), (unsigned char)(len >> 8),
                             (unsigned char)len};
    return send_all(fd, (const char *)head, sizeof(head)) && send_all(fd, data, len);
}

bool route_recv(int fd, char *type, char **payload, size_t *len, size_t max)
{
    *payload = NULL;
    unsigned char head[5];
    if (!fs_read_all(fd, (char *)head, sizeof(head)))
        return false;
    size_t n = ((size_t)head[1] << 24) | ((size_t)head[2] << 16) | ((size_t)head[3] << 8) | head[4];
    if (n > max)
        return false;
    char *buf = xmalloc(n + 1);
    if (!fs_read_all(fd, buf, n)) {
        free(buf);
        return false;
    }
    buf[n] = 0;
    *type = (char)head[0];
    *payload = buf;
    *len = n;
    return true;
}

static void add_word(strbuf *sb, const char *w)
{
    strbuf_adds(sb, w);
    strbuf_addc(sb, 0);
}

char *route_request_encode(const route_request *r, size_t *len)
{
    strbuf sb = STRBUF_INIT;
    char num[32];
    add_word(&sb, ROUTE_MAGIC);
    add_word(&sb, r->cwd);
    add_word(&sb, r->tty ? "1" : "0");
    add_word(&sb, r->command);
    snprintf(num, sizeof(num), "%d", r->argc);
    add_word(&sb, num);
    for (int i = 0; i < r->argc; i++)
        add_word(&sb, r->argv[i]);
    snprintf(num, sizeof(num), "%zu", r->nenv);
    add_word(&sb, num);
    for (size_t i = 0; i < r->nenv; i++)
        add_word(&sb, r->env[i]);
    *len = sb.len;
    return strbuf_detach(&sb);
}

/* The next NUL-terminated word at *p, or NULL at the end of the payload. */
static const char *next_word(const char **p, const char *end)
{
    if (*p >= end)
        return NULL;
    const char *nul = memchr(*p, 0, (size_t)(end - *p));
    if (!nul)
        return NULL;
    const char *w = *p;
    *p = nul + 1;
    return w;
}

static bool parse_count(const char *w, long *out)
{
    if (!w || !*w)
        return false;
    char *end;
    errno = 0;
    long v = strtol(w, &end, 10);
    if (errno || *end || v < 0 || v > ROUTE_MAX_WORDS)
        return false;
    *out = v;
    return true;
}

bool route_request_decode(arena *a, const char *payload, size_t len, route_request *out)
{
    memset(out, 0, sizeof(*out));
    const char *p = payload, *end = payload + len;
    const char *magic = next_word(&p, end);
    if (!magic || strcmp(magic, ROUTE_MAGIC) != 0)
        return false;
    out->cwd = next_word(&p, end);
    const char *tty = next_word(&p, end);
    out->command = next_word(&p, end);
    long argc, nenv;
    if (!out->cwd || out->cwd[0] != '/' || !tty || (strcmp(tty, "0") && strcmp(tty, "1")) ||
        !out->command || !parse_count(next_word(&p, end), &argc))
        return false;
    out->tty = tty[0] == '1';
    out->argc = (int)argc;
    out->argv = arena_alloc(a, sizeof(char *) * ((size_t)argc + 1));
    for (long i = 0; i < argc; i++) {
        if (!(out->argv[i] = next_word(&p, end)))
            return false;
    }
    out->argv[argc] = NULL;
    if (!parse_count(next_word(&p, end), &nenv))
        return false;
    out->nenv = (size_t)nenv;
    out->env = arena_alloc(a, sizeof(char *) * ((size_t)nenv + 1));
    for (long i = 0; i < nenv; i++) {
        const char *e = next_word(&p, end);
        if (!e || !strchr(e, '=') || e[0] == '=')
            return false;
        out->env[i] = e;
    }
    out->env[nenv] = NULL;
    return p == end;
}
