/* manifest: target/manifest.json in dbt's manifest v12 layout, so tools that
 * read dbt manifests (dbt docs, Cosmos' manifest load mode) read ours. */
#ifndef MALLARD_PROJECT_MANIFEST_H
#define MALLARD_PROJECT_MANIFEST_H

#include "project/graph.h"
#include "util/strbuf.h"

/* Appends the manifest JSON for p. */
void manifest_json(const project *p, strbuf *out);
/* Writes <project>/<target-path>/manifest.json atomically. */
bool manifest_write(const project *p, mlerr *err);

#endif
