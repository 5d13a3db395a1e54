/* auth: the auth file, SCRAM-SHA-256 (RFC 5802/7677), md5 and password
 * checks, all on OpenSSL's primitives. */
#include "serve/auth.h"

#include "serve/openssl_api.h"
#include "util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
    SCRAM_ITERATIONS = 4096,
    SCRAM_SALT_LEN = 16,
    MAX_AUTH_LINE = 4096,
};

const char *auth_method_name(auth_method m)
{
    switch (m) {
    case AUTH_MD5:
        return "md5";
    case AUTH_PASSWORD:
        return "password";
    default:
        return "scram-sha-256";
    }
}

bool auth_method_parse(const char *s, auth_method *out)
{
    if (strcmp(s, "scram-sha-256") == 0)
        *out = AUTH_SCRAM;
    else if (strcmp(s, "md5") == 0)
        *out = AUTH_MD5;
    else if (strcmp(s, "password") == 0)
        *out = AUTH_PASSWORD;
    else
        return false;
    return true;
}

/* --- base64 ------------------------------------------------------------------- */

static char *b64_encode(const unsigned char *p, size_t n)
{
    char *out = xmalloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, p, (int)n);
    return out;
}

/* Decodes into out (cap bytes); returns the length or -1. */
static long b64_decode(const char *s, size_t n, unsigned char *out, size_t cap)
{
    if (n % 4 != 0 || n / 4 * 3 > cap + 2)
        return -1;
    unsigned char *tmp = xmalloc(n / 4 * 3 + 1);
    int len = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)n);
    if (len < 0) {
        free(tmp);
        return -1;
    }
    if (n >= 1 && s[n - 1] == '=')
        len--;
    if (n >= 2 && s[n - 2] == '=')
        len--;
    if ((size_t)len > cap) {
        free(tmp);
        return -1;
    }
    memcpy(out, tmp, (size_t)len);
    free(tmp);
    return len;
}

/* --- SCRAM keys ---------------------------------------------------------------- */

static void hmac256(const unsigned char *key, size_t klen, const void *data, size_t n,
                    unsigned char out[32])
{
    unsigned int len = 32;
    HMAC(EVP_sha256(), key, (int)klen, data, n, out, &len);
}

static void scram_keys(const char *password, const unsigned char *salt, size_t salt_len,
                       int iterations, unsigned char stored[32], unsigned char server[32])
{
    unsigned char salted[32], client[32];
    PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_len, iterations,
                      EVP_sha256(), 32, salted);
    hmac256(salted, 32, "Client Key", 10, client);
    SHA256(client, 32, stored);
    hmac256(salted, 32, "Server Key", 10, server);
    OPENSSL_cleanse(salted, sizeof(salted));
    OPENSSL_cleanse(client, sizeof(client));
}

/* Splits "SCRAM-SHA-256$ITER:SALT$STORED:SERVER". */
static bool parse_verifier(const char *v, int *iterations, unsigned char *salt, size_t *salt_len,
                           unsigned char stored[32], unsigned char server[32])
{
    static const char prefix[] = "SCRAM-SHA-256$";
    if (!v || strncmp(v, prefix, sizeof(prefix) - 1) != 0)
        return false;
    const char *p = v + sizeof(prefix) - 1;
    char *end;
    long it = strtol(p, &end, 10);
    if (end == p || *end != ':' || it < 1 || it > 10000000)
        return false;
    const char *salt_b64 = end + 1;
    const char *dollar = strchr(salt_b64, '$');
    if (!dollar)
        return false;
    const char *stored_b64 = dollar + 1;
    const char *colon = strchr(stored_b64, ':');
    if (!colon)
        return false;
    const char *server_b64 = colon + 1;
    long sl = b64_decode(salt_b64, (size_t)(dollar - salt_b64), salt, 64);
    if (sl <= 0 || b64_decode(stored_b64, (size_t)(colon - stored_b64), stored, 32) != 32 ||
        b64_decode(server_b64, strlen(server_b64), server, 32) != 32)
        return false;
    *iterations = (int)it;
    *salt_len = (size_t)sl;
    return true;
}

char *auth_scram_verifier(const char *password)
{
    unsigned char salt[SCRAM_SALT_LEN], stored[32], server[32];
    if (RAND_bytes(salt, sizeof(salt)) != 1)
        return NULL;
    scram_keys(password, salt, sizeof(salt), SCRAM_ITERATIONS, stored, server);
    char *s = b64_encode(salt, sizeof(salt)), *st = b64_encode(stored, 32),
         *sv = b64_encode(server, 32);
    char *v = xasprintf("SCRAM-SHA-256$%d:%s$%s:%s", SCRAM_ITERATIONS, s, st, sv);
    free(s);
    free(st);
    free(sv);
    return v;
}

static void md5_hex(const void *data, size_t n, char out[33])
{
    unsigned char d[16];
    unsigned int len = 16;
    EVP_Digest(data, n, d, &len, EVP_md5(), NULL);
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

bool auth_check_password(const auth_user *u, const char *password)
{
    if (u->scram) {
        int it;
        unsigned char salt[64], stored[32], server[32], got_stored[32], got_server[32];
        size_t sl;
        if (!parse_verifier(u->scram, &it, salt, &sl, stored, server))
            return false;
        scram_keys(password, salt, sl, it, got_stored, got_server);
        return CRYPTO_memcmp(stored, got_stored, 32) == 0;
    }
    if (u->md5) {
        char *joined = xasprintf("%s%s", password, u->name);
        char hex[33];
        md5_hex(joined, strlen(joined), hex);
        OPENSSL_cleanse(joined, strlen(joined));
        free(joined);
        return strlen(u->md5) == 35 && CRYPTO_memcmp(u->md5 + 3, hex, 32) == 0;
    }
    return false;
}

bool auth_check_md5(const auth_user *u, const unsigned char salt[4], const char *response)
{
    if (!u->md5 || strlen(u->md5) != 35 || strlen(response) != 35 ||
        strncmp(response, "md5", 3) != 0)
        return false;
    unsigned char buf[36];
    memcpy(buf, u->md5 + 3, 32);
    memcpy(buf + 32, salt, 4);
    char hex[33];
    md5_hex(buf, 36, hex);
    return CRYPTO_memcmp(response + 3, hex, 32) == 0;
}

/* --- the SCRAM exchange ---------------------------------------------------------------- */

/* The value of attribute `key=` at p (up to the next ','), or NULL. */
static char *attr(const char *p, char key)
{
    if (p[0] != key || p[1] != '=')
        return NULL;
    size_t n = strcspn(p + 2, ",");
    return xstrndup(p + 2, n);
}

bool scram_first(scram_exchange *x, const auth_user *u, const char *data, size_t len, strbuf *reply,
                 strbuf *why)
{
    if (!data || memchr(data, 0, len)) {
        strbuf_adds(why, "malformed client-first-message");
        return false;
    }
    char *msg = xstrndup(data, len);
    bool ok = false;
    /* gs2 header: "n,," (no channel binding) or "y,," (client could but thinks we cannot). */
    if ((msg[0] == 'n' || msg[0] == 'y') && msg[1] == ',' && msg[2] == ',') {
        const char *bare = msg + 3;
        const char *r = strstr(bare, ",r=");
        if (strncmp(bare, "n=", 2) == 0 && r) {
            char *client_nonce = attr(r + 1, 'r');
            if (client_nonce && *client_nonce) {
                unsigned char rnd[18];
                RAND_bytes(rnd, sizeof(rnd));
                char *server_nonce = b64_encode(rnd, sizeof(rnd));
                x->nonce = xasprintf("%s%s", client_nonce, server_nonce);
                free(server_nonce);
                x->client_first_bare = xstrdup(bare);
                x->user = u;
                if (!u || !parse_verifier(u->scram, &x->iterations, x->salt, &x->salt_len,
                                          x->stored_key, x->server_key)) {
                    /* Unknown user (or no SCRAM verifier): carry on with made-up
                     * keys so the answer does not reveal which users exist. */
                    x->user = NULL;
                    x->iterations = SCRAM_ITERATIONS;
                    x->salt_len = SCRAM_SALT_LEN;
                    RAND_bytes(x->salt, SCRAM_SALT_LEN);
                    RAND_bytes(x->stored_key, 32);
                    RAND_bytes(x->server_key, 32);
                }
                char *salt = b64_encode(x->salt, x->salt_len);
                x->server_first = xasprintf("r=%s,s=%s,i=%d", x->nonce, salt, x->iterations);
                free(salt);
                strbuf_adds(reply, x->server_first);
                ok = true;
            }
            free(client_nonce);
        }
    } else if (msg[0] == 'p') {
        strbuf_adds(why, "channel binding is not supported (no TLS)");
    }
    if (!ok && !why->len)
        strbuf_adds(why, "malformed client-first-message");
    free(msg);
    return ok;
}

bool scram_final(scram_exchange *x, const char *data, size_t len, strbuf *reply, strbuf *why)
{
    if (!data || !x->nonce || memchr(data, 0, len)) {
        strbuf_adds(why, "malformed client-final-message");
        return false;
    }
    char *msg = xstrndup(data, len);
    bool ok = false;
    char *proof_at = strstr(msg, ",p=");
    char *c = attr(msg, 'c');
    const char *r_at = strstr(msg, ",r=");
    char *r = r_at ? attr(r_at + 1, 'r') : NULL;
    if (proof_at && c && r && (strcmp(c, "biws") == 0 || strcmp(c, "eSws") == 0) &&
        strcmp(r, x->nonce) == 0) {
        unsigned char proof[32];
        const char *pb = proof_at + 3;
        if (b64_decode(pb, strlen(pb), proof, 32) == 32) {
            *proof_at = 0; /* client-final-message-without-proof */
            strbuf auth_msg = STRBUF_INIT;
            strbuf_addf(&auth_msg, "%s,%s,%s", x->client_first_bare, x->server_first, msg);
            unsigned char sig[32], client_key[32], check[32];
            hmac256(x->stored_key, 32, auth_msg.buf, auth_msg.len, sig);
            for (int i = 0; i < 32; i++)
                client_key[i] = proof[i] ^ sig[i];
            SHA256(client_key, 32, check);
            if (x->user && CRYPTO_memcmp(check, x->stored_key, 32) == 0) {
                unsigned char server_sig[32];
                hmac256(x->server_key, 32, auth_msg.buf, auth_msg.len, server_sig);
                char *v = b64_encode(server_sig, 32);
                strbuf_addf(reply, "v=%s", v);
                free(v);
                ok = true;
            } else {
                strbuf_adds(why, "wrong proof");
            }
            strbuf_release(&auth_msg);
        }
    }
    if (!ok && !why->len)
        strbuf_adds(why, "malformed client-final-message or nonce mismatch");
    free(c);
    free(r);
    free(msg);
    return ok;
}

void scram_release(scram_exchange *x)
{
    free(x->client_first_bare);
    free(x->server_first);
    free(x->nonce);
    OPENSSL_cleanse(x, sizeof(*x));
}

/* --- the auth file ------------------------------------------------------------------------ */

static bool valid_name(const char *name)
{
    return *name && strcspn(name, ":\n\r#") == strlen(name) && name[0] != ' ';
}

bool auth_load(const char *path, auth_config *out, mlerr *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        mlerr_set(err, EXIT_SETUP, "%s: cannot read the auth file: %s", path, strerror(errno));
        mlerr_hint(err, "create it with `mallard serve passwd --auth-file %s USER`", path);
        return false;
    }
    char line[MAX_AUTH_LINE];
    int lineno = 0;
    bool ok = true;
    while (ok && fgets(line, sizeof(line), f)) {
        lineno++;
        size_t n = strlen(line);
        if (n == sizeof(line) - 1 && line[n - 1] != '\n') {
            mlerr_at(err, EXIT_SETUP, path, lineno, 1, "line is too long");
            ok = false;
            break;
        }
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
            line[--n] = 0;
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '#')
            continue;
        char *fields[8];
        int nf = 0;
        char *save = NULL;
        char *copy = xstrdup(p);
        for (char *t = strtok_r(copy, ":", &save); t && nf < 8; t = strtok_r(NULL, ":", &save))
            fields[nf++] = t;
        /* The SCRAM verifier itself has two ':' (ITER:SALT$STORED:SERVER). */
        auth_user u = {0};
        int next = 2;
        if (nf >= 4 && strncmp(fields[1], "SCRAM-SHA-256$", 14) == 0) {
            u.scram = xasprintf("%s:%s:%s", fields[1], fields[2], fields[3]);
            next = 4;
        } else if (nf >= 2 && strncmp(fields[1], "md5", 3) == 0 && strlen(fields[1]) == 35) {
            u.md5 = xstrdup(fields[1]);
        } else {
            mlerr_at(err, EXIT_SETUP, path, lineno, 1,
                     "expected NAME:SCRAM-SHA-256$... or NAME:md5... (the verifier is missing "
                     "or malformed)");
            mlerr_hint(err, "write entries with `mallard serve passwd --auth-file %s USER`", path);
            ok = false;
        }
        int it;
        unsigned char salt[64], k1[32], k2[32];
        size_t sl;
        if (ok && u.scram && !parse_verifier(u.scram, &it, salt, &sl, k1, k2)) {
            mlerr_at(err, EXIT_SETUP, path, lineno, (int)strlen(fields[0]) + 2,
                     "malformed SCRAM-SHA-256 verifier");
            ok = false;
        }
        for (int i = next; ok && i < nf; i++) {
            if (strcmp(fields[i], "readonly") == 0) {
                u.read_only = true;
            } else {
                mlerr_at(err, EXIT_SETUP, path, lineno, 1, "unknown option '%s' (known: readonly)",
                         fields[i]);
                ok = false;
            }
        }
        if (ok && !valid_name(fields[0])) {
            mlerr_at(err, EXIT_SETUP, path, lineno, 1, "invalid user name '%s'", fields[0]);
            ok = false;
        }
        if (ok) {
            u.name = xstrdup(fields[0]);
            out->users = xrealloc(out->users, (out->n_users + 1) * sizeof(auth_user));
            out->users[out->n_users++] = u;
        } else {
            free(u.scram);
            free(u.md5);
        }
        free(copy);
    }
    fclose(f);
    return ok;
}

void auth_release(auth_config *c)
{
    for (size_t i = 0; i < c->n_users; i++) {
        free(c->users[i].name);
        free(c->users[i].scram);
        free(c->users[i].md5);
    }
    free(c->users);
    c->users = NULL;
    c->n_users = 0;
}

const auth_user *auth_find(const auth_config *c, const char *name)
{
    for (size_t i = 0; c && name && i < c->n_users; i++) {
        if (strcmp(c->users[i].name, name) == 0)
            return &c->users[i];
    }
    return NULL;
}

bool auth_file_set_user(const char *path, const char *name, const char *verifier, bool read_only,
                        mlerr *err)
{
    if (!valid_name(name)) {
        mlerr_set(err, EXIT_SETUP,
                  "invalid user name '%s': it may not contain ':', '#' or a "
                  "line break",
                  name);
        return false;
    }
    strbuf text = STRBUF_INIT;
    FILE *f = fopen(path, "r");
    if (f) {
        char line[MAX_AUTH_LINE];
        size_t nlen = strlen(name);
        while (fgets(line, sizeof(line), f)) {
            if (strncmp(line, name, nlen) == 0 && line[nlen] == ':')
                continue; /* replaced below */
            strbuf_adds(&text, line);
            if (text.len && text.buf[text.len - 1] != '\n')
                strbuf_addc(&text, '\n');
        }
        fclose(f);
    } else if (errno != ENOENT) {
        mlerr_set(err, EXIT_SETUP, "%s: cannot read: %s", path, strerror(errno));
        strbuf_release(&text);
        return false;
    } else {
        strbuf_adds(&text, "# mallard serve users: NAME:VERIFIER[:readonly]\n");
    }
    strbuf_addf(&text, "%s:%s%s\n", name, verifier, read_only ? ":readonly" : "");
    char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && write(fd, text.buf, text.len) == (ssize_t)text.len && fsync(fd) == 0;
    if (fd >= 0)
        close(fd);
    if (ok)
        ok = rename(tmp, path) == 0;
    if (!ok) {
        mlerr_set(err, EXIT_SETUP, "%s: cannot write: %s", path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    strbuf_release(&text);
    return ok;
}
