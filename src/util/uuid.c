/* uuid: version 4 UUIDs from /dev/urandom (see uuid.h). */
#include "util/uuid.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <unistd.h>

void uuid4_string(char out[37])
{
    unsigned char b[16];
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(b, 1, sizeof b, f) != sizeof b) {
        /* no entropy device (a bare chroot): unique enough for a run id */
        struct timeval tv;
        gettimeofday(&tv, NULL);
        unsigned seed = (unsigned)(tv.tv_usec ^ tv.tv_sec ^ getpid());
        for (size_t i = 0; i < sizeof b; i++)
            b[i] = (unsigned char)rand_r(&seed);
    }
    if (f)
        fclose(f);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}
