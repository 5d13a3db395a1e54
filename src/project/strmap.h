/* strmap: an open-addressing hash map from strings to int32 values.
 *
 * The project's lookup tables (unique_id -> node, name -> node, macro names)
 * are built once at load time and then only read, from many threads, so the
 * map has no deletion and no internal locking: build it, then share it. */
#ifndef MALLARD_PROJECT_STRMAP_H
#define MALLARD_PROJECT_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct strmap_slot {
    const char *key; /* borrowed: must outlive the map */
    uint64_t hash;
    int32_t value;
} strmap_slot;

typedef struct strmap {
    strmap_slot *slots; /* heap, owned */
    size_t cap;         /* a power of two, or 0 */
    size_t len;
} strmap;

uint64_t strmap_hash(const char *s);
/* Sets key to value; returns the previous value via *old (if non-NULL) and
 * true when the key was already present. */
bool strmap_put(strmap *m, const char *key, int32_t value, int32_t *old);
/* The value, or -1. */
int32_t strmap_get(const strmap *m, const char *key);
void strmap_free(strmap *m);

#endif
