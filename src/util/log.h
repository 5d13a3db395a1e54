/* log: console and log-file output, shaped like dbt's.
 *
 * Info lines go to stdout as "HH:MM:SS  message", the way dbt prints them, so
 * people and tools reading dbt output read ours.  Warnings and errors go to
 * stdout too (dbt does the same); only usage errors before logging starts go
 * to stderr.  Every call takes the log lock, so lines from worker threads
 * never interleave. */
#ifndef MALLARD_UTIL_LOG_H
#define MALLARD_UTIL_LOG_H

#include <stdbool.h>
#include <stdio.h>

typedef enum {
    LOG_DEBUG,
    LOG_INFO,
    LOG_WARN,
    LOG_ERROR,
    LOG_NONE,
} log_level;

typedef enum {
    COLOR_RESET,
    COLOR_RED,
    COLOR_GREEN,
    COLOR_YELLOW,
    COLOR_BLUE,
    COLOR_CYAN,
    COLOR_BOLD,
} log_color;

/* Parses "debug", "info", "warn", "error", "none"; false if unknown. */
bool log_level_parse(const char *name, log_level *out);
void log_set_level(log_level level);
log_level log_get_level(void);
/* Colour is used only when wanted, stdout is a TTY and NO_COLOR is unset. */
void log_set_color(bool wanted);
bool log_color_enabled(void);
/* The escape sequence for c, or "" when colour is off. */
const char *log_color_code(log_color c);
/* Also append every line (with level, without colour) to this file. */
bool log_open_file(const char *path);
void log_close_file(void);

void log_msg(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
