/* dotenv: reading .env files into the process environment.
 *
 * The syntax is what docker, Astro and python-dotenv users write:
 *   KEY=VALUE            unquoted: trimmed, " #..." starts a comment
 *   export KEY=VALUE     "export " is ignored
 *   KEY='literal $x'     single quotes: taken as is
 *   KEY="a\nb ${HOME}"   double quotes: \n \t \r \" \\ \$ escapes
 *   # comment, blank lines
 * ${NAME} and ${NAME:-default} expand in unquoted and double-quoted values.
 * A variable already in the environment is never overwritten: the process
 * environment always wins over a file. */
#ifndef MALLARD_UTIL_DOTENV_H
#define MALLARD_UTIL_DOTENV_H

#include "util/error.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct dotenv_entry {
    char *key;
    char *value;
    int line;
} dotenv_entry;

typedef struct dotenv {
    dotenv_entry *entries;
    size_t n;
} dotenv;

/* Parses text (path names it in errors).  Errors carry file:line:col. */
bool dotenv_parse(const char *path, const char *text, size_t len, dotenv *out, mlerr *err);
void dotenv_free(dotenv *env);
/* Reads path if it exists and sets every variable not already set.
 * *found tells whether the file was there. */
bool dotenv_load(const char *path, bool *found, mlerr *err);

#endif
