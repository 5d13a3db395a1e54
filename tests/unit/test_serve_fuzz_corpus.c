/* test_serve_fuzz_corpus: replays tests/fuzz/corpus through the fuzz target's
 * entry point in every build (sanitizers on), so the seeds -- and any crash
 * input added there -- stay fixed without a libFuzzer build. */
#include "check.h"

#include "../fuzz/fuzz_serve.c"

#include <dirent.h>
#include <stdio.h>

TEST(replays_the_corpus)
{
    /* CMake compiles with absolute paths: the corpus is beside this file's
     * directory. */
    char dir[512];
    snprintf(dir, sizeof(dir), "%s", __FILE__);
    char *slash = strrchr(dir, '/');
    if (slash)
        snprintf(slash, sizeof(dir) - (size_t)(slash - dir), "/../fuzz/corpus");
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        uint8_t buf[1 << 16];
        size_t len = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, len);
        n++;
    }
    if (d)
        closedir(d);
    CHECK(n >= 5);
    printf("replayed %d inputs\n", n);
}

int main(void)
{
    RUN(replays_the_corpus);
    if (srv) {
        server_free(srv);
        db_close(database);
        auth_release(&auth);
    }
    return CHECK_DONE();
}
