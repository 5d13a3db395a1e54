/* edit_distance: how far apart two names are, for "did you mean ...?" hints. */
#ifndef MALLARD_UTIL_EDIT_DISTANCE_H
#define MALLARD_UTIL_EDIT_DISTANCE_H

#include <stddef.h>

/* Levenshtein distance between two strings (bytes). */
size_t edit_distance(const char *a, const char *b);

#endif
