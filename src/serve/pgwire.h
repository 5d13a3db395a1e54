/* pgwire: PostgreSQL protocol v3 framing -- a bounded reader and a buffered
 * writer for one client socket.
 *
 * Every length a client sends is checked against a limit before anything is
 * allocated for it, and every field read from a message is bounds-checked:
 * a malformed or oversized message makes the reader report a protocol error
 * for that connection, nothing more. */
#ifndef MALLARD_SERVE_PGWIRE_H
#define MALLARD_SERVE_PGWIRE_H

#include "util/strbuf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    PG_MAX_STARTUP = 10000,            /* PostgreSQL's own limit for startup packets */
    PG_DEFAULT_MAX_MESSAGE = 16 << 20, /* any other message */
    PG_PROTOCOL_V3 = 196608,           /* 3.0 */
    PG_SSL_REQUEST = 80877103,
    PG_GSSENC_REQUEST = 80877104,
    PG_CANCEL_REQUEST = 80877102,
};

/* One message, read-only, with a cursor.  Reads past the end set bad and
 * return zeros/NULL, so a parser checks bad once at the end. */
typedef struct pg_msg {
    char type; /* 0 for startup-phase packets */
    const unsigned char *data;
    size_t len;
    size_t pos;
    bool bad;
} pg_msg;

uint8_t pg_get_u8(pg_msg *m);
int16_t pg_get_i16(pg_msg *m);
int32_t pg_get_i32(pg_msg *m);
/* A NUL-terminated string inside the message, or NULL (and bad). */
const char *pg_get_cstr(pg_msg *m);
/* n bytes, or NULL (and bad) if fewer remain. */
const unsigned char *pg_get_bytes(pg_msg *m, size_t n);
size_t pg_remaining(const pg_msg *m);

typedef enum {
    PG_READ_OK = 1,
    PG_READ_EOF = 0,       /* the peer closed the connection cleanly between messages */
    PG_READ_PROTOCOL = -1, /* malformed or oversized: say so and close */
    PG_READ_IO = -2,       /* socket error, or the peer vanished mid-message */
    PG_READ_TIMEOUT = -3,  /* nothing arrived within the idle timeout */
} pg_read_status;

/* Input side of a connection.  An optional transport (TLS) replaces read(2). */
typedef struct pg_reader {
    int fd;
    unsigned char *buf;
    size_t cap, start, end;
    size_t max_message;
    int idle_timeout_ms; /* <= 0: wait forever */
    long (*read_fn)(void *ctx, void *buf, size_t len);
    bool (*pending_fn)(void *ctx); /* bytes already decrypted, so no need to poll */
    void *read_ctx;
    char error[160]; /* why a read failed, for the log and the ErrorResponse */
} pg_reader;

void pg_reader_init(pg_reader *r, int fd, size_t max_message);
void pg_reader_release(pg_reader *r);
/* Reads one message.  Startup-phase packets have no type byte.  The message
 * points into the reader's buffer and is valid until the next read. */
pg_read_status pg_read_message(pg_reader *r, bool startup, pg_msg *out);
/* Whether a whole message is already buffered (so a reply may wait). */
bool pg_reader_has_buffered(const pg_reader *r);

/* Output side: messages accumulate in out and go to the socket on flush
 * (or when the buffer grows large). */
typedef struct pg_writer {
    int fd;
    strbuf out;
    size_t msg_start;
    bool failed; /* a write failed: the peer is gone, stop producing */
    long (*write_fn)(void *ctx, const void *buf, size_t len);
    void *write_ctx;
} pg_writer;

void pg_writer_init(pg_writer *w, int fd);
void pg_writer_release(pg_writer *w);
void pg_begin(pg_writer *w, char type);
void pg_put_u8(pg_writer *w, uint8_t v);
void pg_put_i16(pg_writer *w, int16_t v);
void pg_put_i32(pg_writer *w, int32_t v);
void pg_put_cstr(pg_writer *w, const char *s);
void pg_put_bytes(pg_writer *w, const void *p, size_t n);
void pg_end(pg_writer *w);
/* Writes out everything buffered; false if the peer is gone. */
bool pg_flush(pg_writer *w);
/* Flushes only when the buffer is large, to bound memory for big results. */
bool pg_maybe_flush(pg_writer *w);
/* A raw byte outside any message (the 'N' answer to SSLRequest). */
void pg_put_raw_byte(pg_writer *w, char c);

#endif
