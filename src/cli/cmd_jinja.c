/* cmd_jinja: `mallard jinja render TEMPLATE_FILE [--context CONTEXT.json]
 * [--strict]`, which renders one template with the engine alone (no dbt), for
 * the differential tests against python3-jinja2 and for debugging.
 * Templates beside TEMPLATE_FILE load by name, like Jinja2's
 * FileSystemLoader. */
#include "cli/cli.h"
#include "jinja/jinja.h"
#include "util/fs.h"

#include <stdio.h>
#include <string.h>

static const char *context_path;
static bool strict;

static const cli_option jinja_options[] = {
    {"context", 'c', OPT_STRING, &context_path, NULL, "CONTEXT.json",
     "a JSON object whose keys become the template's variables"},
    {"strict", 0, OPT_FLAG, &strict, NULL, NULL,
     "fail on any use of an undefined value (Jinja2's StrictUndefined)"},
    {0},
};

typedef struct dir_loader {
    const char *dir;
    arena *a;
} dir_loader;

static bool load_from_dir(void *userdata, const char *name, const char **source, size_t *len)
{
    dir_loader *dl = userdata;
    /* like FileSystemLoader: no way out of the directory */
    if (name[0] == '/' || strstr(name, "..") || !*name)
        return false;
    char *path = fs_join(dl->a, dl->dir, name);
    if (!fs_is_file(path))
        return false;
    strbuf sb = STRBUF_INIT;
    mlerr err = MLERR_INIT;
    bool ok = fs_read_file(path, &sb, &err);
    mlerr_clear(&err);
    if (ok) {
        *source = arena_strndup(dl->a, strbuf_str(&sb), sb.len);
        *len = sb.len;
    }
    strbuf_release(&sb);
    return ok;
}

static bool load_context(arena *a, const char *path, jv *out, mlerr *err)
{
    strbuf text = STRBUF_INIT;
    if (!fs_read_file(path, &text, err)) {
        strbuf_release(&text);
        return false;
    }
    jv_json_error jerr;
    bool ok = jv_from_json(a, strbuf_str(&text), text.len, out, &jerr);
    strbuf_release(&text);
    if (!ok) {
        mlerr_at(err, EXIT_HANDLED, path, jerr.line, jerr.col, "%s", jerr.text);
        return false;
    }
    if (out->kind != JV_DICT) {
        mlerr_at(err, EXIT_HANDLED, path, 1, 1, "the context must be a JSON object");
        return false;
    }
    return true;
}

static int fail_plain(mlerr *err)
{
    fprintf(stderr, "%s\n", mlerr_message(err));
    int code = err->exit_code ? err->exit_code : EXIT_HANDLED;
    mlerr_clear(err);
    return code;
}

static int run_jinja(cli_globals *g, int argc, const char **argv)
{
    if (argc != 2 || strcmp(argv[0], "render") != 0) {
        fprintf(stderr, "usage: mallard jinja render TEMPLATE_FILE [--context CONTEXT.json] "
                        "[--strict]\n");
        return EXIT_SETUP;
    }
    const char *path = argv[1];
    arena a = ARENA_INIT;
    mlerr err = MLERR_INIT;
    int rc = EXIT_OK;
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    dir_loader dl = {.dir = fs_dirname(&a, path), .a = &a};

    strbuf src = STRBUF_INIT;
    jinja_env *env = NULL;
    jinja_template *t = NULL;
    jv context = jv_undefined(NULL);
    if (!fs_read_file(path, &src, &err)) {
        rc = fail_plain(&err);
        goto done;
    }
    if (context_path && !load_context(&a, context_path, &context, &err)) {
        rc = fail_plain(&err);
        goto done;
    }
    env = jinja_env_new();
    jinja_env_set_loader(env, load_from_dir, &dl);
    if (strict)
        jinja_env_set_undefined(env, JINJA_UNDEFINED_STRICT);
    t = jinja_compile(env, name, strbuf_str(&src), src.len, &err);
    if (!t) {
        rc = fail_plain(&err);
        goto done;
    }
    strbuf out = STRBUF_INIT;
    jinja_render_opts opts = {.context = context, .arena = &a};
    if (jinja_render(t, &opts, &out, &err)) {
        fwrite(out.buf ? out.buf : "", 1, out.len, stdout);
        fflush(stdout);
    } else {
        rc = fail_plain(&err);
    }
    strbuf_release(&out);
done:
    jinja_template_free(t);
    jinja_env_free(env);
    strbuf_release(&src);
    arena_free(&a);
    return rc;
}

const cli_command cmd_jinja = {
    .name = "jinja",
    .summary = "Render a Jinja template on its own (for testing the engine)",
    .usage = "jinja render TEMPLATE_FILE [--context CONTEXT.json] [--strict]",
    .options = jinja_options,
    .run = run_jinja,
    .description = "Renders TEMPLATE_FILE to stdout exactly as Jinja2 would (default settings "
                   "plus the do and loopcontrols extensions).  Templates in the same directory "
                   "can be included or imported by name.  On an error, prints "
                   "name:line:col: message and exits 1.",
};
