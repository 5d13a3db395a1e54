/* yaml_tree: YAML documents as a tree of nodes with source positions.
 *
 * libyaml does the parsing; this file builds an arena-owned tree from its
 * events so that every later error can point at a line and column.  Anchors,
 * aliases and merge keys (<<) are resolved the way PyYAML's safe_load
 * resolves them, because dbt reads YAML with PyYAML.  Scalars stay text;
 * yscalar_* resolve them with PyYAML's YAML 1.1 rules when asked. */
#ifndef MALLARD_UTIL_YAML_TREE_H
#define MALLARD_UTIL_YAML_TREE_H

#include "util/arena.h"
#include "util/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    YNODE_SCALAR,
    YNODE_SEQ,
    YNODE_MAP,
} ynode_kind;

typedef struct ynode ynode;
struct ynode {
    ynode_kind kind;
    int line, col;   /* 1-based position of the node's first character */
    const char *tag; /* an explicit tag such as "!!str", or NULL */
    bool plain;      /* an unquoted scalar: subject to type resolution */
    const char *str; /* scalar text, NUL-terminated (may contain NULs) */
    size_t len;
    ynode **items; /* SEQ: n items.  MAP: n pairs, key items[2i], value items[2i+1] */
    size_t n;
};

/* Parses the first document of text.  *root is NULL for an empty document.
 * path is used in error messages only. */
bool yaml_parse(arena *a, const char *path, const char *text, size_t len, ynode **root, mlerr *err);
/* Parses every document of text into *docs (an arena array of *ndocs). */
bool yaml_parse_all(arena *a, const char *path, const char *text, size_t len, ynode ***docs,
                    size_t *ndocs, mlerr *err);
/* Reads and parses a file's first document. */
bool yaml_load_file(arena *a, const char *path, ynode **root, mlerr *err);

/* The value under a scalar key in a mapping (the last, if repeated), or NULL. */
ynode *ymap_get(const ynode *map, const char *key);
#define YMAP_KEY(m, i) ((m)->items[2 * (i)])
#define YMAP_VAL(m, i) ((m)->items[2 * (i) + 1])

/* PyYAML's implicit scalar types (YAML 1.1). */
typedef enum {
    YSCALAR_NULL,
    YSCALAR_BOOL,
    YSCALAR_INT,
    YSCALAR_FLOAT,
    YSCALAR_STR,
} yscalar_type;

yscalar_type yscalar_resolve(const ynode *n);
bool yscalar_is_null(const ynode *n); /* also true for a NULL node */
bool yscalar_bool(const ynode *n, bool *out);
bool yscalar_int(const ynode *n, int64_t *out);
bool yscalar_float(const ynode *n, double *out);
/* A short name for error messages: "mapping", "sequence", "string", ... */
const char *ynode_kind_name(const ynode *n);

#endif
