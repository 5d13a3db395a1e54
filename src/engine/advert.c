/* advert: "<db>.mallard" files naming the Mallard process that owns a
 * database (see advert.h). */
#include "engine/advert.h"

#include "jinja/value.h"
#include "util/arena.h"
#include "util/fs.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef MALLARD_VERSION
#define MALLARD_VERSION "0.0.0"
#endif

/* advert_lock guards everything below. */
static pthread_mutex_t advert_lock = PTHREAD_MUTEX_INITIALIZER;
static bool self_set;
static advert_self self;  /* strings owned (xstrdup) */
static char **open_files; /* databases open read-write, in open order */
static size_t n_open;
static bool exit_hook_installed;

char *advert_file_of(const char *db_path)
{
    return xasprintf("%s.mallard", db_path);
}

unsigned long long advert_start_time(long pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    /* the command name (field 2) may hold spaces and ')': fields resume
     * after the last ')' */
    char *p = strrchr(buf, ')');
    if (!p)
        return 0;
    /* after ") " come fields 3 (state), 4 (ppid), ...; starttime is 22 */
    p++;
    for (int field = 3; field <= 22; field++) {
        while (*p == ' ')
            p++;
        if (!*p)
            return 0;
        if (field == 22)
            return strtoull(p, NULL, 10);
        while (*p && *p != ' ')
            p++;
    }
    return 0;
}

static void free_self_locked(void)
{
    free((char *)self.command);
    free((char *)self.job_socket);
    free((char *)self.pg_host);
    free((char *)self.pg_socket);
    memset(&self, 0, sizeof(self));
    self_set = false;
}

static void json_field(strbuf *sb, arena *a, const char *key, const char *value)
{
    if (!value)
        return;
    strbuf_addf(sb, ",\n  \"%s\": ", key);
    jv_to_json(jv_string(a, value), sb);
}

/* Writes one file; the caller holds advert_lock.  A directory we cannot
 * write to just means no advertisement (routing is a convenience). */
static void publish_locked(const char *db_path)
{
    strbuf sb = STRBUF_INIT;
    arena a = ARENA_INIT;
    strbuf_addf(&sb, "{\n  \"pid\": %ld,\n  \"start_time\": %llu", (long)getpid(),
                advert_start_time((long)getpid()));
    json_field(&sb, &a, "version", MALLARD_VERSION);
    json_field(&sb, &a, "command", self.command);
    json_field(&sb, &a, "database", db_path);
    json_field(&sb, &a, "job_socket", self.job_socket);
    json_field(&sb, &a, "pg_host", self.pg_host);
    if (self.pg_host || self.pg_socket)
        strbuf_addf(&sb, ",\n  \"pg_port\": %d", self.pg_port);
    json_field(&sb, &a, "pg_socket", self.pg_socket);
    strbuf_adds(&sb, "\n}\n");
    char *file = advert_file_of(db_path);
    mlerr err = MLERR_INIT;
    fs_write_atomic(file, sb.buf, sb.len, &err);
    mlerr_clear(&err);
    free(file);
    strbuf_release(&sb);
    arena_free(&a);
}

/* Removes the file if it is still ours (a later owner may have replaced a
 * file we failed to remove in time). */
static void withdraw_locked(const char *db_path)
{
    char *file = advert_file_of(db_path);
    strbuf text = STRBUF_INIT;
    mlerr err = MLERR_INIT;
    if (fs_read_file(file, &text, &err) && strstr(text.buf, "\"pid\"")) {
        char mine[48];
        snprintf(mine, sizeof(mine), "\"pid\": %ld,", (long)getpid());
        if (strstr(text.buf, mine))
            unlink(file);
    }
    mlerr_clear(&err);
    strbuf_release(&text);
    free(file);
}

static void withdraw_all_at_exit(void)
{
    pthread_mutex_lock(&advert_lock);
    if (self_set) {
        for (size_t i = 0; i < n_open; i++)
            withdraw_locked(open_files[i]);
    }
    pthread_mutex_unlock(&advert_lock);
}

void advert_set_self(const advert_self *s)
{
    pthread_mutex_lock(&advert_lock);
    free_self_locked();
    self.command = s->command ? xstrdup(s->command) : NULL;
    self.job_socket = s->job_socket ? xstrdup(s->job_socket) : NULL;
    self.pg_host = s->pg_host ? xstrdup(s->pg_host) : NULL;
    self.pg_port = s->pg_port;
    self.pg_socket = s->pg_socket ? xstrdup(s->pg_socket) : NULL;
    self_set = true;
    if (!exit_hook_installed) {
        atexit(withdraw_all_at_exit);
        exit_hook_installed = true;
    }
    for (size_t i = 0; i < n_open; i++)
        publish_locked(open_files[i]);
    pthread_mutex_unlock(&advert_lock);
}

void advert_clear_self(void)
{
    pthread_mutex_lock(&advert_lock);
    if (self_set) {
        for (size_t i = 0; i < n_open; i++)
            withdraw_locked(open_files[i]);
    }
    free_self_locked();
    pthread_mutex_unlock(&advert_lock);
}

void advert_file_opened(const char *db_path)
{
    pthread_mutex_lock(&advert_lock);
    open_files = xrealloc(open_files, (n_open + 1) * sizeof(char *));
    open_files[n_open++] = xstrdup(db_path);
    if (self_set)
        publish_locked(db_path);
    pthread_mutex_unlock(&advert_lock);
}

void advert_file_closed(const char *db_path)
{
    pthread_mutex_lock(&advert_lock);
    for (size_t i = 0; i < n_open; i++) {
        if (strcmp(open_files[i], db_path) != 0)
            continue;
        if (self_set)
            withdraw_locked(db_path);
        free(open_files[i]);
        memmove(open_files + i, open_files + i + 1, (n_open - i - 1) * sizeof(char *));
        n_open--;
        break;
    }
    if (n_open == 0) {
        free(open_files);
        open_files = NULL;
    }
    pthread_mutex_unlock(&advert_lock);
}

static char *field_str(jv obj, const char *key)
{
    jv v = jv_dict_get_str(obj, key);
    return v.kind == JV_STRING ? xstrdup(jv_str_ptr(v)) : NULL;
}

static long long field_int(jv obj, const char *key)
{
    jv v = jv_dict_get_str(obj, key);
    return v.kind == JV_INT ? (long long)v.u.i : 0;
}

static bool process_alive(long pid)
{
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

advert_state advert_read(const char *db_path, advert *out)
{
    memset(out, 0, sizeof(*out));
    char *file = advert_file_of(db_path);
    strbuf text = STRBUF_INIT;
    mlerr err = MLERR_INIT;
    bool read = fs_is_file(file) && fs_read_file(file, &text, &err);
    mlerr_clear(&err);
    free(file);
    if (!read) {
        strbuf_release(&text);
        return ADVERT_NONE;
    }
    arena a = ARENA_INIT;
    jv obj;
    jv_json_error je;
    bool parsed = jv_from_json(&a, text.buf, text.len, &obj, &je) && obj.kind == JV_DICT;
    strbuf_release(&text);
    if (parsed) {
        out->pid = (long)field_int(obj, "pid");
        out->start_time = (unsigned long long)field_int(obj, "start_time");
        out->version = field_str(obj, "version");
        out->command = field_str(obj, "command");
        out->database = field_str(obj, "database");
        out->job_socket = field_str(obj, "job_socket");
        out->pg_host = field_str(obj, "pg_host");
        out->pg_port = (int)field_int(obj, "pg_port");
        out->pg_socket = field_str(obj, "pg_socket");
    }
    arena_free(&a);
    if (!parsed || out->pid <= 0) {
        advert_release(out);
        return ADVERT_NONE;
    }
    if (out->pid == (long)getpid())
        return advert_release(out), ADVERT_NONE;
    if (!process_alive(out->pid))
        return ADVERT_STALE;
    /* same PID, another process: the owner died and the PID was reused */
    unsigned long long now = advert_start_time(out->pid);
    if (out->start_time && now && now != out->start_time)
        return ADVERT_STALE;
    return ADVERT_LIVE;
}

void advert_release(advert *a)
{
    free(a->version);
    free(a->command);
    free(a->database);
    free(a->job_socket);
    free(a->pg_host);
    free(a->pg_socket);
    memset(a, 0, sizeof(*a));
}
