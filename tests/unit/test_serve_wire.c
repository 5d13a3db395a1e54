/* test_serve_wire: the bounded message reader (over a socketpair), the
 * field getters' bounds, the writer's framing, and SCRAM-SHA-256 and the
 * auth file end to end with a client computed here from RFC 5802. */
#include "check.h"
#include "serve/auth.h"
#include "serve/pgwire.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static void be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* A reader on one end of a socketpair whose other end got bytes. */
static pg_read_status read_from(const void *bytes, size_t n, bool startup, size_t max, pg_msg *m,
                                pg_reader *r, int fds[2])
{
    socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
    if (n)
        CHECK(write(fds[1], bytes, n) == (ssize_t)n);
    shutdown(fds[1], SHUT_WR);
    pg_reader_init(r, fds[0], max);
    r->idle_timeout_ms = 2000;
    return pg_read_message(r, startup, m);
}

static void done(pg_reader *r, int fds[2])
{
    pg_reader_release(r);
    close(fds[0]);
    close(fds[1]);
}

TEST(reads_a_message_and_bounds_its_fields)
{
    unsigned char b[] = {'Q', 0, 0, 0, 13, 'S', 'E', 'L', 'E', 'C', 'T', ' ', '1', 0};
    pg_reader r;
    pg_msg m;
    int fds[2];
    CHECK(read_from(b, sizeof(b), false, 0, &m, &r, fds) == PG_READ_OK);
    CHECK(m.type == 'Q' && m.len == 9);
    CHECK_STR(pg_get_cstr(&m), "SELECT 1");
    CHECK(!m.bad && pg_remaining(&m) == 0);
    CHECK(pg_get_i32(&m) == 0 && m.bad); /* past the end: zero and bad */
    CHECK(pg_get_cstr(&m) == NULL);
    CHECK(pg_read_message(&r, false, &m) == PG_READ_EOF);
    done(&r, fds);
}

TEST(refuses_oversized_and_malformed_lengths)
{
    unsigned char big[5] = {'Q'};
    be32(big + 1, 1u << 30);
    pg_reader r;
    pg_msg m;
    int fds[2];
    CHECK(read_from(big, 5, false, 1 << 20, &m, &r, fds) == PG_READ_PROTOCOL);
    CHECK_CONTAINS(r.error, "over the limit");
    done(&r, fds);

    unsigned char small[5] = {'Q', 0, 0, 0, 3};
    CHECK(read_from(small, 5, false, 0, &m, &r, fds) == PG_READ_PROTOCOL);
    done(&r, fds);

    unsigned char startup[4];
    be32(startup, 20000); /* over the 10000-byte start-up limit */
    CHECK(read_from(startup, 4, true, 0, &m, &r, fds) == PG_READ_PROTOCOL);
    done(&r, fds);

    unsigned char cut[7] = {'Q', 0, 0, 0, 100, 'a', 'b'}; /* then the peer goes away */
    CHECK(read_from(cut, 7, false, 0, &m, &r, fds) == PG_READ_IO);
    CHECK_CONTAINS(r.error, "middle of a message");
    done(&r, fds);
}

TEST(a_cstring_must_end_inside_its_message)
{
    unsigned char b[] = {'P', 0, 0, 0, 7, 'a', 'b', 'c', 'P', 0, 0, 0, 4};
    pg_reader r;
    pg_msg m;
    int fds[2];
    CHECK(read_from(b, sizeof(b), false, 0, &m, &r, fds) == PG_READ_OK);
    CHECK(pg_get_cstr(&m) == NULL && m.bad); /* "abc" has no NUL within the frame */
    done(&r, fds);
}

TEST(writer_frames_messages)
{
    int fds[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
    pg_writer w;
    pg_writer_init(&w, fds[0]);
    pg_begin(&w, 'Z');
    pg_put_u8(&w, 'I');
    pg_end(&w);
    pg_begin(&w, 'C');
    pg_put_cstr(&w, "SELECT 1");
    pg_end(&w);
    CHECK(pg_flush(&w));
    unsigned char got[64];
    ssize_t n = read(fds[1], got, sizeof(got));
    CHECK(n == 6 + 14);
    CHECK(memcmp(got, "Z\0\0\0\5I", 6) == 0);
    CHECK(memcmp(got + 6, "C\0\0\0\15SELECT 1", 14) == 0);
    close(fds[1]);
    pg_begin(&w, 'Z');
    pg_put_u8(&w, 'I');
    pg_end(&w);
    CHECK(!pg_flush(&w)); /* the peer is gone: flush says so instead of dying of SIGPIPE */
    pg_writer_release(&w);
    close(fds[0]);
}

static void hmac256(const void *key, size_t kl, const void *d, size_t n, unsigned char *out)
{
    unsigned int len = 32;
    HMAC(EVP_sha256(), key, (int)kl, d, n, out, &len);
}

/* The client side of RFC 5802 for one exchange; returns the final message. */
static char *client_final(const char *password, const char *client_bare, const char *server_first,
                          bool corrupt)
{
    char nonce[128], salt_b64[64];
    int iter;
    CHECK(sscanf(server_first, "r=%127[^,],s=%63[^,],i=%d", nonce, salt_b64, &iter) == 3);
    unsigned char salt[64];
    int sl = EVP_DecodeBlock(salt, (const unsigned char *)salt_b64, (int)strlen(salt_b64));
    if (salt_b64[strlen(salt_b64) - 1] == '=')
        sl--;
    if (salt_b64[strlen(salt_b64) - 2] == '=')
        sl--;
    unsigned char salted[32], ck[32], stored[32], sig[32], proof[32];
    PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, sl, iter, EVP_sha256(), 32, salted);
    hmac256(salted, 32, "Client Key", 10, ck);
    SHA256(ck, 32, stored);
    char without[256];
    snprintf(without, sizeof(without), "c=biws,r=%s", nonce);
    char auth[1024];
    snprintf(auth, sizeof(auth), "%s,%s,%s", client_bare, server_first, without);
    hmac256(stored, 32, auth, strlen(auth), sig);
    for (int i = 0; i < 32; i++)
        proof[i] = ck[i] ^ sig[i] ^ (corrupt && i == 0);
    char proof_b64[64];
    EVP_EncodeBlock((unsigned char *)proof_b64, proof, 32);
    char *out = malloc(512);
    snprintf(out, 512, "%s,p=%s", without, proof_b64);
    return out;
}

static bool scram_round(const auth_user *u, const char *password, bool corrupt)
{
    scram_exchange x = {0};
    strbuf reply = STRBUF_INIT, why = STRBUF_INIT;
    const char *first = "n,,n=,r=clientnonce";
    bool ok = scram_first(&x, u, first, strlen(first), &reply, &why);
    CHECK(ok);
    char *final = client_final(password, "n=,r=clientnonce", strbuf_str(&reply), corrupt);
    strbuf_reset(&reply);
    ok = scram_final(&x, final, strlen(final), &reply, &why);
    if (ok)
        CHECK(strncmp(strbuf_str(&reply), "v=", 2) == 0);
    free(final);
    scram_release(&x);
    strbuf_release(&reply);
    strbuf_release(&why);
    return ok;
}

TEST(scram_and_the_auth_file)
{
    char dir[] = "/tmp/test_serve_wire.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[128];
    snprintf(path, sizeof(path), "%s/users", dir);
    mlerr err = MLERR_INIT;
    char *v = auth_scram_verifier("s3cret pass");
    CHECK(strncmp(v, "SCRAM-SHA-256$4096:", 19) == 0);
    CHECK(auth_file_set_user(path, "alice", v, false, &err));
    free(v);
    v = auth_scram_verifier("other");
    CHECK(auth_file_set_user(path, "bob", v, true, &err));
    free(v);
    CHECK(!auth_file_set_user(path, "bad:name", "x", false, &err));
    mlerr_clear(&err);

    auth_config c = {0};
    CHECK(auth_load(path, &c, &err));
    CHECK(c.n_users == 2);
    const auth_user *a = auth_find(&c, "alice"), *b = auth_find(&c, "bob");
    CHECK(a && !a->read_only && b && b->read_only);
    CHECK(auth_find(&c, "carol") == NULL);
    CHECK(auth_check_password(a, "s3cret pass"));
    CHECK(!auth_check_password(a, "s3cret pas"));
    CHECK(scram_round(a, "s3cret pass", false));
    CHECK(!scram_round(a, "wrong", false));
    CHECK(!scram_round(a, "s3cret pass", true));
    CHECK(!scram_round(NULL, "s3cret pass", false)); /* unknown user: the same dance, no entry */

    /* Malformed client messages are refused, not crashed on. */
    scram_exchange x = {0};
    strbuf reply = STRBUF_INIT, why = STRBUF_INIT;
    CHECK(!scram_first(&x, a, "p=tls-server-end-point,,n=,r=x", 30, &reply, &why));
    CHECK(!scram_first(&x, a, "n,,", 3, &reply, &why));
    scram_release(&x);
    x = (scram_exchange){0};
    CHECK(!scram_final(&x, "c=biws", 6, &reply, &why)); /* final before first */
    scram_release(&x);
    strbuf_release(&reply);
    strbuf_release(&why);
    auth_release(&c);

    FILE *f = fopen(path, "a");
    fputs("carol:md5nothex\n", f);
    fclose(f);
    auth_config bad = {0};
    CHECK(!auth_load(path, &bad, &err));
    CHECK_CONTAINS(mlerr_message(&err), ":4:1:");
    mlerr_clear(&err);
    auth_release(&bad);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    RUN(reads_a_message_and_bounds_its_fields);
    RUN(refuses_oversized_and_malformed_lengths);
    RUN(a_cstring_must_end_inside_its_message);
    RUN(writer_frames_messages);
    RUN(scram_and_the_auth_file);
    return CHECK_DONE();
}
