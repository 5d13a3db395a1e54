/* test_project_basics: the project layer's small pieces -- MD5/SHA-256 (the
 * digests dbt's names and checksums use), the string map behind lookups,
 * and dbt's CTE injection for ephemeral models. */
#include "check.h"
#include "project/compile.h"
#include "project/digest.h"
#include "project/strmap.h"

#include <stdlib.h>

TEST(md5_vectors)
{
    char out[33];
    digest_md5_hex("", 0, out);
    CHECK_STR(out, "d41d8cd98f00b204e9800998ecf8427e");
    digest_md5_hex("abc", 3, out);
    CHECK_STR(out, "900150983cd24fb0d6963f7d28e17f72");
    const char *q = "The quick brown fox jumps over the lazy dog";
    digest_md5_hex(q, strlen(q), out);
    CHECK_STR(out, "9e107d9d372bb6826bd81d3542a419d6");
    /* lengths around the 56/64-byte padding boundary */
    char buf[130];
    memset(buf, 'a', sizeof buf);
    digest_md5_hex(buf, 56, out);
    CHECK_STR(out, "3b0c8ac703f828b04c6c197006d17218");
    digest_md5_hex(buf, 64, out);
    CHECK_STR(out, "014842d480b571495a4a0363793f7367");
}

TEST(sha256_vectors)
{
    char out[65];
    digest_sha256_hex("", 0, out);
    CHECK_STR(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    digest_sha256_hex("abc", 3, out);
    CHECK_STR(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    digest_sha256_hex(m, strlen(m), out);
    CHECK_STR(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* Every length from 0 to 300 (each padding case) and one long input, with
 * the CPU's SHA instructions (when present) and with the plain code; the
 * expected values come from Python's hashlib. */
TEST(sha256_every_length_both_paths)
{
    static unsigned char big[100000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (unsigned char)(i * 131);
    for (int plain = 0; plain < 2; plain++) {
        digest_use_cpu_extensions(!plain);
        strbuf all = STRBUF_INIT;
        for (size_t n = 0; n <= 300; n++) {
            unsigned char msg[300];
            for (size_t i = 0; i < n; i++)
                msg[i] = (unsigned char)(i * 31 + n * 7);
            char out[65];
            digest_sha256_hex(msg, n, out);
            strbuf_add(&all, out, 64);
        }
        char out[65];
        digest_sha256_hex(all.buf, all.len, out);
        CHECK_STR(out, "9d3f84939e1c8ead6534e5057f750785f935713a77ca5f48f8b7ce784896377b");
        strbuf_release(&all);
        digest_sha256_hex(big, sizeof big, out);
        CHECK_STR(out, "b9f682d28386207af9a173095d21827ff100f9401cd4084a34b2517c8ec971c8");
    }
    digest_use_cpu_extensions(true);
}

TEST(strmap_put_get)
{
    strmap m = {0};
    char keys[1000][16];
    for (int i = 0; i < 1000; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i);
        CHECK(!strmap_put(&m, keys[i], i, NULL));
    }
    int bad = 0;
    for (int i = 0; i < 1000; i++)
        bad += strmap_get(&m, keys[i]) != i;
    CHECK(bad == 0);
    CHECK(strmap_get(&m, "missing") == -1);
    int32_t old = 0;
    CHECK(strmap_put(&m, "k7", 70, &old));
    CHECK(old == 7 && strmap_get(&m, "k7") == 70);
    strmap_free(&m);
}

static char *inject(const char *sql, const char *const *ctes, size_t n)
{
    strbuf sb = STRBUF_INIT;
    compile_inject_ctes(sql, ctes, n, &sb);
    return strbuf_detach(&sb);
}

TEST(cte_injection)
{
    const char *one[] = {" __dbt__cte__a as (\nselect 1\n)"};
    const char *two[] = {" __dbt__cte__a as (\nselect 1\n)", " __dbt__cte__b as (\nselect 2\n)"};
    char *s = inject("select * from __dbt__cte__a", one, 1);
    CHECK_STR(s, "with __dbt__cte__a as (\nselect 1\n) select * from __dbt__cte__a");
    free(s);
    s = inject("\n\nselect 1", two, 2);
    CHECK_STR(
        s, "\n\nwith __dbt__cte__a as (\nselect 1\n),  __dbt__cte__b as (\nselect 2\n) select 1");
    free(s);
    s = inject("with x as (select 1) select * from x", one, 1);
    CHECK_STR(s, "with __dbt__cte__a as (\nselect 1\n),  x as (select 1) select * from x");
    free(s);
    s = inject("  WITH RECURSIVE r as (select 1) select 1", one, 1);
    CHECK_STR(s, "  WITH RECURSIVE __dbt__cte__a as (\nselect 1\n),  r as (select 1) select 1");
    free(s);
    s = inject("without_cte", one, 0);
    CHECK_STR(s, "without_cte");
    free(s);
    s = inject("withdrawals", one, 1);
    CHECK_STR(s, "with __dbt__cte__a as (\nselect 1\n) withdrawals");
    free(s);
}

int main(void)
{
    RUN(md5_vectors);
    RUN(sha256_vectors);
    RUN(sha256_every_length_both_paths);
    RUN(strmap_put_get);
    RUN(cte_injection);
    return CHECK_DONE();
}
