/* select_args: the selection flags into a nodeset (see select_args.h). */
#include "cli/select_args.h"

bool cli_select_nodes(const cli_selection *s, const project *p, arena *a, nodeset *out, mlerr *err)
{
    sel_indirect mode = SEL_INDIRECT_EAGER;
    if (s->indirect && !sel_indirect_parse(s->indirect, &mode)) {
        mlerr_set(err, EXIT_SETUP,
                  "invalid value for --indirect-selection: '%s' (choose from eager, cautious, "
                  "buildable, empty)",
                  s->indirect);
        return false;
    }
    if (s->select.n && s->models.n) {
        mlerr_set(err, EXIT_SETUP, "--models and --select are mutually exclusive");
        return false;
    }
    sel_file *file = NULL;
    if (!sel_file_load(a, p->dir, mode, &file, err))
        return false;
    const strlist *select = s->models.n ? &s->models : &s->select;
    sel_request req = {
        .select = select->items,
        .n_select = (size_t)select->n,
        .exclude = s->exclude.items,
        .n_exclude = (size_t)s->exclude.n,
        .selector = s->selector,
        .indirect = mode,
    };
    sel_context ctx = {.project = p, .selectors = file, .arena = a};
    return sel_resolve(&ctx, &req, out, err);
}
