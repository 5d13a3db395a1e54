/* bench_jinja: compiles and renders Jinja test cases in one process, so
 * bench/jinja/run can time our engine against python3-jinja2 on exactly the
 * same templates, contexts and iteration count.
 *
 *   bench_jinja --check CASES_DIR NAME...       render each case once and
 *       print records: "NAME OK LEN\n" + LEN bytes + "\n", or "NAME ERR msg\n"
 *   bench_jinja --iterations N CASES_DIR NAME...  time N rounds over the cases
 *       and print "renders R seconds S"
 *
 * Every render compiles the template afresh and gets a fresh context built
 * from the parsed JSON in the render's arena, because templates may mutate
 * their context (xs.append) and Python's side does the same (json.loads).
 * Cases named strict_* use an env with strict undefined, as in compare.py. */
#include "jinja/jinja.h"
#include "util/fs.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct loaded_file {
    struct loaded_file *next;
    char *name;
    strbuf source;
} loaded_file;

/* The template loader: files in the cases directory, read once and kept
 * until exit, as the loader contract requires. */
typedef struct case_loader {
    const char *dir;
    loaded_file *files;
} case_loader;

typedef struct bench_case {
    const char *name;
    char *file_name; /* NAME.j2, the name errors and the loader use */
    const strbuf *source;
    strbuf context; /* NAME.json's text, parsed at each render as Python does; empty if none */
    bool strict;
} bench_case;

static const strbuf *load_file(case_loader *loader, const char *name)
{
    for (loaded_file *f = loader->files; f; f = f->next)
        if (!strcmp(f->name, name))
            return &f->source;
    if (strchr(name, '/') || name[0] == '.')
        return NULL; /* cases only load their siblings */
    char *path = xasprintf("%s/%s", loader->dir, name);
    loaded_file *f = xcalloc(1, sizeof(*f));
    mlerr err = MLERR_INIT;
    bool ok = fs_read_file(path, &f->source, &err);
    free(path);
    mlerr_clear(&err);
    if (!ok) {
        strbuf_release(&f->source);
        free(f);
        return NULL;
    }
    f->name = xstrdup(name);
    f->next = loader->files;
    loader->files = f;
    return &f->source;
}

static bool loader_callback(void *userdata, const char *name, const char **source, size_t *len)
{
    const strbuf *sb = load_file(userdata, name);
    if (!sb)
        return false;
    *source = strbuf_str(sb);
    *len = sb->len;
    return true;
}

/* One compile+render; the output is left in out, a failure in err. */
static bool render_case(jinja_env *env, const bench_case *c, strbuf *out, mlerr *err)
{
    jinja_template *t = jinja_compile(env, c->file_name, c->source->buf, c->source->len, err);
    if (!t)
        return false;
    arena render_arena = ARENA_INIT;
    jinja_render_opts opts = {.arena = &render_arena, .context = jv_undefined(NULL)};
    jv_json_error jerr;
    if (c->context.len &&
        !jv_from_json(&render_arena, c->context.buf, c->context.len, &opts.context, &jerr)) {
        mlerr_set(err, EXIT_HANDLED, "%s.json:%d:%d: %s", c->name, jerr.line, jerr.col, jerr.text);
        arena_free(&render_arena);
        jinja_template_free(t);
        return false;
    }
    bool ok = jinja_render(t, &opts, out, err);
    arena_free(&render_arena);
    jinja_template_free(t);
    return ok;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_jinja (--check | --iterations N) CASES_DIR NAME...\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return usage();
    bool check = !strcmp(argv[1], "--check");
    long iterations = 1;
    int first = 2;
    if (!check) {
        if (strcmp(argv[1], "--iterations") || argc < 5)
            return usage();
        iterations = strtol(argv[2], NULL, 10);
        first = 3;
    }
    if (iterations < 1)
        return usage();
    case_loader loader = {.dir = argv[first]};
    jinja_env *envs[2] = {jinja_env_new(), jinja_env_new()};
    jinja_env_set_undefined(envs[1], JINJA_UNDEFINED_STRICT);
    for (int i = 0; i < 2; i++)
        jinja_env_set_loader(envs[i], loader_callback, &loader);

    size_t ncases = argc - first - 1;
    bench_case *cases = xcalloc(ncases ? ncases : 1, sizeof(*cases));
    int status = 0;
    for (size_t i = 0; i < ncases; i++) {
        bench_case *c = &cases[i];
        c->name = argv[first + 1 + i];
        c->file_name = xasprintf("%s.j2", c->name);
        c->strict = !strncmp(c->name, "strict_", 7);
        c->source = load_file(&loader, c->file_name);
        char *json_path = xasprintf("%s/%s.json", loader.dir, c->name);
        mlerr jerr = MLERR_INIT;
        if (fs_exists(json_path) && !fs_read_file(json_path, &c->context, &jerr)) {
            fprintf(stderr, "%s\n", mlerr_message(&jerr));
            mlerr_clear(&jerr);
            status = 1;
        }
        free(json_path);
        if (!c->source) {
            fprintf(stderr, "%s/%s: cannot read\n", loader.dir, c->file_name);
            status = 1;
        }
    }

    strbuf out = STRBUF_INIT;
    size_t renders = 0;
    double start = now_seconds();
    for (long it = 0; it < iterations && status == 0; it++) {
        for (size_t i = 0; i < ncases; i++) {
            mlerr err = MLERR_INIT;
            strbuf_reset(&out);
            bool ok = render_case(envs[cases[i].strict], &cases[i], &out, &err);
            if (check && ok) {
                printf("%s OK %zu\n", cases[i].name, out.len);
                fwrite(out.buf ? out.buf : "", 1, out.len, stdout);
                printf("\n");
            } else if (check) {
                /* one line, so the record format stays parseable */
                char *msg = xstrdup(mlerr_message(&err));
                for (char *p = msg; *p; p++)
                    if (*p == '\n')
                        *p = ' ';
                printf("%s ERR %s\n", cases[i].name, msg);
                free(msg);
            } else if (!ok) {
                fprintf(stderr, "%s\n", mlerr_message(&err));
                status = 1;
            }
            mlerr_clear(&err);
            renders++;
        }
    }
    double seconds = now_seconds() - start;
    if (!check && status == 0)
        printf("renders %zu seconds %.6f\n", renders, seconds);

    strbuf_release(&out);
    for (size_t i = 0; i < ncases; i++) {
        free(cases[i].file_name);
        strbuf_release(&cases[i].context);
    }
    free(cases);
    for (int i = 0; i < 2; i++)
        jinja_env_free(envs[i]);
    while (loader.files) {
        loaded_file *next = loader.files->next;
        strbuf_release(&loader.files->source);
        free(loader.files->name);
        free(loader.files);
        loader.files = next;
    }
    return status;
}
