/* Unit tests for util/log: the log file gets every line, without colour codes. */
#include "check.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strbuf.h"

#include <stdlib.h>
#include <unistd.h>

TEST(log_file_has_no_color_codes)
{
    char path[] = "/tmp/mallard-log-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK(log_open_file(path));
    log_set_level(LOG_NONE);
    log_info("1 of 2 OK created %s%s%s [%sOK%s]", "\033[1m", "model", "\033[0m", "\033[32m",
             "\033[0m");
    log_debug("a debug line");
    log_close_file();
    strbuf text = STRBUF_INIT;
    mlerr err = MLERR_INIT;
    CHECK(fs_read_file(path, &text, &err));
    CHECK_CONTAINS(strbuf_str(&text), "[info ]: 1 of 2 OK created model [OK]\n");
    CHECK_CONTAINS(strbuf_str(&text), "[debug]: a debug line\n");
    CHECK(strchr(strbuf_str(&text), '\033') == NULL);
    strbuf_release(&text);
    unlink(path);
}

int main(void)
{
    RUN(log_file_has_no_color_codes);
    return CHECK_DONE();
}
