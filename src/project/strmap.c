/* strmap: string -> int32 hash map (see strmap.h). */
#include "project/strmap.h"

#include "util/xalloc.h"

#include <string.h>

uint64_t strmap_hash(const char *s)
{
    /* FNV-1a: short keys, and speed matters more than distribution here. */
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

static void grow(strmap *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 64;
    strmap_slot *ns = xcalloc(ncap, sizeof(strmap_slot));
    for (size_t i = 0; i < m->cap; i++) {
        strmap_slot *s = &m->slots[i];
        if (!s->key)
            continue;
        size_t j = s->hash & (ncap - 1);
        while (ns[j].key)
            j = (j + 1) & (ncap - 1);
        ns[j] = *s;
    }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
}

bool strmap_put(strmap *m, const char *key, int32_t value, int32_t *old)
{
    if ((m->len + 1) * 4 >= m->cap * 3)
        grow(m);
    uint64_t h = strmap_hash(key);
    size_t j = h & (m->cap - 1);
    while (m->slots[j].key) {
        if (m->slots[j].hash == h && strcmp(m->slots[j].key, key) == 0) {
            if (old)
                *old = m->slots[j].value;
            m->slots[j].value = value;
            return true;
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->slots[j] = (strmap_slot){key, h, value};
    m->len++;
    return false;
}

int32_t strmap_get(const strmap *m, const char *key)
{
    if (!m->cap)
        return -1;
    uint64_t h = strmap_hash(key);
    size_t j = h & (m->cap - 1);
    while (m->slots[j].key) {
        if (m->slots[j].hash == h && strcmp(m->slots[j].key, key) == 0)
            return m->slots[j].value;
        j = (j + 1) & (m->cap - 1);
    }
    return -1;
}

void strmap_free(strmap *m)
{
    free(m->slots);
    *m = (strmap){0};
}
