#!/usr/bin/python3
"""pgwire.py: a small PostgreSQL protocol v3 client for the t07NN tests.

It speaks the wire protocol byte by byte, so the tests can drive what libpq
clients rarely send (row-limited Execute, binary formats, CancelRequest,
garbage, oversized messages) and check each reply exactly.

    pgwire.py SCENARIO SOCKET_DIR PORT

runs one scenario; each check prints "ok - ..." and a failed one raises, so
the exit code is 0 only if every check passed.
"""
import os
import socket
import struct
import sys
import threading
import time


class Conn:
    def __init__(self, sock_dir, port, user="tester", timeout=20, tcp=False):
        if tcp:
            self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        else:
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.settimeout(timeout)
            self.s.connect(os.path.join(sock_dir, ".s.PGSQL.%d" % port))
        self.buf = b""
        self.user = user
        self.key = None
        self.params = {}

    def send(self, data):
        self.s.sendall(data)

    def msg(self, t, payload=b""):
        self.send(t + struct.pack("!I", len(payload) + 4) + payload)

    def recv_exact(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("server closed the connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read(self):
        t = self.recv_exact(1)
        (n,) = struct.unpack("!I", self.recv_exact(4))
        return t, self.recv_exact(n - 4)

    def startup(self, extra=None):
        params = {"user": self.user, "database": "db"}
        params.update(extra or {})
        body = struct.pack("!I", 196608)
        for k, v in params.items():
            body += k.encode() + b"\0" + v.encode() + b"\0"
        body += b"\0"
        self.send(struct.pack("!I", len(body) + 4) + body)
        while True:
            t, p = self.read()
            if t == b"R":
                assert struct.unpack("!I", p[:4])[0] == 0, "expected AuthenticationOk (trust)"
            elif t == b"S":
                k, v, _ = p.split(b"\0")
                self.params[k.decode()] = v.decode()
            elif t == b"K":
                self.key = struct.unpack("!ii", p)
            elif t == b"Z":
                return p
            elif t == b"E":
                raise RuntimeError("startup failed: %r" % fields(p))

    def until_ready(self):
        """All messages up to and including ReadyForQuery."""
        out = []
        while True:
            t, p = self.read()
            out.append((t, p))
            if t == b"Z":
                return out

    def query(self, sql):
        self.msg(b"Q", sql.encode() + b"\0")
        return self.until_ready()


def fields(payload):
    out = {}
    for part in payload.split(b"\0"):
        if part:
            out[chr(part[0])] = part[1:].decode()
    return out


def cstr(s):
    return s.encode() + b"\0"


def parse(name, sql, oids=()):
    return cstr(name) + cstr(sql) + struct.pack("!h", len(oids)) + b"".join(
        struct.pack("!i", o) for o in oids)


def bind(portal, stmt, params=(), pformats=(), rformats=()):
    b = cstr(portal) + cstr(stmt) + struct.pack("!h", len(pformats))
    b += b"".join(struct.pack("!h", f) for f in pformats)
    b += struct.pack("!h", len(params))
    for p in params:
        if p is None:
            b += struct.pack("!i", -1)
        else:
            b += struct.pack("!i", len(p)) + p
    b += struct.pack("!h", len(rformats)) + b"".join(struct.pack("!h", f) for f in rformats)
    return b


def execute(portal, max_rows=0):
    return cstr(portal) + struct.pack("!i", max_rows)


def datarow(p):
    (n,) = struct.unpack("!h", p[:2])
    pos, out = 2, []
    for _ in range(n):
        (ln,) = struct.unpack("!i", p[pos:pos + 4])
        pos += 4
        if ln < 0:
            out.append(None)
        else:
            out.append(p[pos:pos + ln])
            pos += ln
    return out


def types_of(msgs):
    return "".join(t.decode() for t, _ in msgs)


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok - " + what)


def rowdesc_oids(p):
    (n,) = struct.unpack("!h", p[:2])
    pos, oids = 2, []
    for _ in range(n):
        end = p.index(b"\0", pos)
        pos = end + 1
        _tbl, _col, oid, _len, _mod, _fmt = struct.unpack("!ihihih", p[pos:pos + 18])
        pos += 18
        oids.append(oid)
    return oids


# --- scenarios ---------------------------------------------------------------------

def scenario_extended(d, port):
    c = Conn(d, port)
    c.startup()
    c.query("CREATE TABLE ext (id INTEGER, name VARCHAR, score DOUBLE)")
    c.query("INSERT INTO ext SELECT i, 'n' || i, i * 1.5 FROM range(10) t(i)")

    # Named statement with a parameter; Describe gives its types.
    c.msg(b"P", parse("s1", "SELECT id, name, score FROM ext WHERE id >= $1 ORDER BY id"))
    c.msg(b"D", b"S" + cstr("s1"))
    c.msg(b"S")
    r = c.until_ready()
    check(types_of(r) == "1tTZ", "Parse + Describe statement: ParseComplete, "
          "ParameterDescription, RowDescription, ReadyForQuery (got %s)" % types_of(r))
    check(struct.unpack("!hi", r[1][1]) == (1, 23), "the parameter is announced as int4")
    check(rowdesc_oids(r[2][1]) == [23, 25, 701], "columns are int4, text, float8")

    # Row-limited Execute suspends, the next one finishes.
    c.msg(b"B", bind("p1", "s1", [b"4"]))
    c.msg(b"E", execute("p1", 2))
    c.msg(b"E", execute("p1", 0))
    c.msg(b"S")
    r = c.until_ready()
    check(types_of(r) == "2DDsDDDDC" + "Z", "Execute with a row limit answers PortalSuspended, "
          "then the rest (got %s)" % types_of(r))
    rows = [datarow(p) for t, p in r if t == b"D"]
    check(rows[0] == [b"4", b"n4", b"6"] and rows[-1] == [b"9", b"n9", b"13.5"],
          "rows come back in text format")
    check(r[-2][1] == b"SELECT 6\0", "CommandComplete counts every row of the portal")

    # Binary results and a binary parameter.
    c.msg(b"P", parse("", "SELECT $1::INTEGER + 1, 2::BIGINT, 1.5::DOUBLE, true, 'hé'::VARCHAR, "
                      "DATE '2000-01-03', TIMESTAMP '2000-01-01 00:00:01'", [23]))
    c.msg(b"B", bind("", "", [struct.pack("!i", 41)], [1], [1]))
    c.msg(b"E", execute(""))
    c.msg(b"S")
    r = c.until_ready()
    row = datarow(r[2][1])
    check(struct.unpack("!i", row[0])[0] == 42, "binary int4 parameter in, binary int4 out")
    check(struct.unpack("!q", row[1])[0] == 2, "binary int8")
    check(struct.unpack("!d", row[2])[0] == 1.5, "binary float8")
    check(row[3] == b"\x01", "binary bool")
    check(row[4] == "hé".encode(), "binary text is the UTF-8 bytes")
    check(struct.unpack("!i", row[5])[0] == 2, "binary date counts days from 2000-01-01")
    check(struct.unpack("!q", row[6])[0] == 1000000,
          "binary timestamp counts microseconds from 2000-01-01")

    # An error skips everything up to Sync, then the session goes on.
    c.msg(b"P", parse("", "SELEC 1"))
    c.msg(b"B", bind("", ""))
    c.msg(b"E", execute(""))
    c.msg(b"S")
    r = c.until_ready()
    check(types_of(r) == "EZ", "after an error the rest until Sync is skipped (got %s)"
          % types_of(r))
    check(fields(r[0][1])["C"] == "42601", "a syntax error is SQLSTATE 42601")

    # Transactions through the extended protocol.
    statuses = []
    for sql in ["BEGIN", "INSERT INTO ext VALUES (100, 'x', 0)", "SELECT * FROM missing_table",
                "SELECT 1", "ROLLBACK"]:
        c.msg(b"P", parse("", sql))
        c.msg(b"B", bind("", ""))
        c.msg(b"E", execute(""))
        c.msg(b"S")
        r = c.until_ready()
        statuses.append(r[-1][1].decode())
    check(statuses == ["T", "T", "E", "E", "I"],
          "transaction status I/T/E follows BEGIN, error and ROLLBACK (got %s)" % statuses)
    r = c.query("SELECT count(*) FROM ext WHERE id = 100")
    check(datarow(r[1][1]) == [b"0"], "the rolled-back insert is gone")

    # Named statements are reusable; Close removes them.
    c.msg(b"P", parse("ins", "INSERT INTO ext VALUES ($1, $2, $3)"))
    for i in range(3):
        c.msg(b"B", bind("", "ins", [str(200 + i).encode(), b"v", None]))
        c.msg(b"E", execute(""))
    c.msg(b"C", b"S" + cstr("ins"))
    c.msg(b"B", bind("", "ins", [b"1", b"v", None]))
    c.msg(b"S")
    r = c.until_ready()
    check(types_of(r) == "12C2C2C3EZ", "a named statement runs three times, then is closed "
          "(got %s)" % types_of(r))
    check(r[2][1] == b"INSERT 0 1\0", "INSERT's tag is INSERT 0 1")
    check(fields(r[-2][1])["C"] == "26000", "binding a closed statement fails with 26000")

    # A statement whose parameter types DuckDB cannot infer at Parse has no
    # result shape until its values are bound: Describe of the portal and
    # the rows Execute sends must agree on the columns, in every format.
    c.msg(b"P", parse("u", "SELECT $1 * 2 AS x, 'a' AS y, $1 * 3 AS z"))
    c.msg(b"B", bind("pu", "u", [b"7"]))
    c.msg(b"D", b"P" + cstr("pu"))
    c.msg(b"E", execute("pu"))
    c.msg(b"B", bind("pb", "u", [b"5"], [], [1, 0, 1]))
    c.msg(b"D", b"P" + cstr("pb"))
    c.msg(b"E", execute("pb"))
    c.msg(b"B", bind("", "u", [b"5"], [], [1, 0]))
    c.msg(b"E", execute(""))
    c.msg(b"S")
    r = c.until_ready()
    check(types_of(r) == "12TDC2TDC2EZ", "an untyped statement: Describe portal, Execute, and a "
          "Bind with the wrong number of result formats fails at Execute (got %s)"
          % types_of(r))
    check(len(rowdesc_oids(r[2][1])) == 3 and len(datarow(r[3][1])) == 3,
          "Describe of the bound portal announces the three columns its rows carry")
    check(datarow(r[3][1])[1:] == [b"a", b"21"] and datarow(r[3][1])[0] == b"14",
          "the untyped statement's values (got %s)" % datarow(r[3][1]))
    row = datarow(r[7][1])
    check(row == [struct.pack("!i", 10), b"a", struct.pack("!i", 15)]
          and rowdesc_oids(r[6][1]) == [23, 25, 23],
          "per-column result formats apply to the columns known only after Bind (got %s)" % row)
    check(fields(r[10][1])["C"] == "08P01",
          "two result formats for three columns is a protocol error")

    # A named statement whose table gains a column: DuckDB plans it again
    # with the new column, which the announced row shape no longer fits.
    c.query("CREATE TABLE grows (a INTEGER, b INTEGER)")
    c.query("INSERT INTO grows VALUES (1, 2)")
    c.msg(b"P", parse("g", "SELECT * FROM grows"))
    c.msg(b"B", bind("", "g", [], [], [1, 1]))
    c.msg(b"E", execute(""))
    c.msg(b"S")
    r = c.until_ready()
    check(types_of(r) == "12DCZ", "a statement over a table runs (got %s)" % types_of(r))
    c.query("ALTER TABLE grows ADD COLUMN c INTEGER")
    c.msg(b"B", bind("", "g", [], [], [1, 1]))
    c.msg(b"E", execute(""))
    c.msg(b"S")
    r = c.until_ready()
    check(types_of(r) == "2EZ" and fields(r[1][1])["C"] == "0A000",
          "after ALTER TABLE its result type changed: 0A000, as in PostgreSQL (got %s)"
          % types_of(r))
    r = c.query("SELECT count(*) FROM grows")
    check(datarow(r[1][1]) == [b"1"], "the session goes on")

    # Empty query.
    c.msg(b"P", parse("", "  "))
    c.msg(b"B", bind("", ""))
    c.msg(b"E", execute(""))
    c.msg(b"S")
    r = c.until_ready()
    check(types_of(r) == "12IZ", "an empty statement answers EmptyQueryResponse")
    c.msg(b"X")


def scenario_simple(d, port):
    c = Conn(d, port)
    c.startup({"application_name": "wiretest"})
    check(c.params.get("server_version", "").startswith("15."), "server_version is 15.x")
    check(c.params.get("client_encoding") == "UTF8", "client_encoding is UTF8")
    check(c.params.get("DateStyle") == "ISO, MDY", "DateStyle is ISO, MDY")
    check(c.params.get("integer_datetimes") == "on", "integer_datetimes is on")
    check(c.params.get("standard_conforming_strings") == "on",
          "standard_conforming_strings is on")
    check(c.params.get("IntervalStyle") == "postgres", "IntervalStyle is postgres")
    check("TimeZone" in c.params, "TimeZone is reported")
    check(c.params.get("application_name") == "wiretest", "application_name is echoed")
    check(c.key is not None, "BackendKeyData is sent")

    r = c.query("")
    check(types_of(r) == "IZ", "the empty query gets EmptyQueryResponse and ReadyForQuery")
    r = c.query("CREATE TABLE s (a INTEGER); INSERT INTO s VALUES (1), (2); "
                "UPDATE s SET a = 3 WHERE a = 2; SELECT * FROM s ORDER BY a; "
                "DELETE FROM s; DROP TABLE s;")
    tags = [p.rstrip(b"\0").decode() for t, p in r if t == b"C"]
    check(tags == ["CREATE TABLE", "INSERT 0 2", "UPDATE 1", "SELECT 2", "DELETE 2",
                   "DROP TABLE"], "multi-statement string: every tag in order (got %s)" % tags)
    check(types_of(r).count("Z") == 1, "one ReadyForQuery for the whole string")
    r = c.query("SELECT 1; SELECT * FROM nowhere; SELECT 2")
    check(types_of(r) == "TDCEZ", "the statements after a failing one do not run (got %s)"
          % types_of(r))
    check(fields(r[3][1])["C"] == "42P01", "an unknown table is 42P01")
    r = c.query("SELECT 'a;b' AS x, $$c;d$$ AS y -- ; comment\n")
    check(datarow(r[1][1]) == [b"a;b", b"c;d"], "semicolons inside quotes do not split")
    r = c.query("BEGIN; SELECT 1; COMMIT")
    check([t for t, _ in r].count(b"C") == 3 and r[-1][1] == b"I", "BEGIN; ...; COMMIT ends idle")
    r = c.query("BEGIN")
    check(r[-1][1] == b"T", "BEGIN: status T")
    r = c.query("SELECT nocolumn")
    check(r[-1][1] == b"E" and fields(r[0][1])["C"] == "42703",
          "an unknown column is 42703 and aborts the block (status E)")
    r = c.query("SELECT 1")
    check(fields(r[0][1])["C"] == "25P02", "in a failed block statements get 25P02")
    r = c.query("COMMIT")
    check(r[0][1] == b"ROLLBACK\0" and r[-1][1] == b"I",
          "COMMIT of a failed block answers ROLLBACK and status I")
    c.msg(b"X")


def scenario_hostile(d, port):
    """Garbage, an oversized message and a half-open connection each end (or
    hold) only their own connection; a normal client keeps working."""
    def healthy(what):
        c = Conn(d, port)
        c.startup()
        r = c.query("SELECT 42")
        check(datarow(r[1][1]) == [b"42"], "a normal client still works after " + what)
        c.msg(b"X")

    # Garbage as a startup packet.
    g = Conn(d, port)
    g.send(b"\xde\xad\xbe\xef" * 64)
    closed = False
    try:
        while True:
            t, p = g.read()
            if t == b"E":
                check(fields(p)["C"] == "08P01", "garbage startup gets a protocol error 08P01")
    except (EOFError, ConnectionResetError):
        closed = True
    check(closed, "the server closes the garbage connection")
    healthy("garbage bytes")

    # Garbage after start-up: an unknown message type.
    g = Conn(d, port)
    g.startup()
    g.send(b"\x01\x00\x00\x00\x08abcd")
    t, p = g.read()
    check(t == b"E" and fields(p)["C"] == "08P01", "an unknown message type is 08P01")
    try:
        g.read()
        closed = False
    except (EOFError, ConnectionResetError):
        closed = True
    check(closed, "and that connection is closed")
    healthy("an unknown message type")

    # An oversized message: the header alone must be refused.
    o = Conn(d, port)
    o.startup()
    o.send(b"Q" + struct.pack("!I", 0x7FFFFFF0))
    t, p = o.read()
    check(t == b"E" and fields(p)["C"] == "08P01" and "limit" in fields(p)["M"],
          "an oversized message is refused before it is read (08P01)")
    healthy("an oversized message")

    # A malformed length (less than 4).
    m = Conn(d, port)
    m.startup()
    m.send(b"Q" + struct.pack("!I", 2))
    t, p = m.read()
    check(t == b"E" and fields(p)["C"] == "08P01", "a length below 4 is a protocol error")

    # A half-open connection (half a startup packet, then silence).
    h = Conn(d, port)
    h.send(struct.pack("!I", 100) + b"\x00\x03")
    healthy("a half-open connection")
    h.s.close()

    # A bad message inside an otherwise valid frame (Bind for a missing
    # statement with truncated fields).
    b = Conn(d, port)
    b.startup()
    b.msg(b"B", b"\0")
    t, p = b.read()
    check(t == b"E" and fields(p)["C"] == "08P01", "a truncated Bind is a protocol error")
    healthy("a truncated Bind")


def expect_refused(c, what, codes=("08P01",)):
    """The server answers c with an ErrorResponse (one of codes) and closes it."""
    code = None
    try:
        while True:
            t, p = c.read()
            if t == b"E":
                code = fields(p)["C"]
                break
        c.read()
        closed = False
    except (EOFError, ConnectionResetError, socket.timeout):
        closed = True
    check(code in codes and closed, "%s: refused with %s and closed" % (what, code))


def scenario_hostile_auth(d, port):
    """Hostile input before a client has logged in (user alice, password
    from $PGPASSWORD, over TCP so SCRAM is asked for): each is refused and
    the server goes on serving a real login."""
    password = os.environ["PGPASSWORD"]

    def healthy(what):
        c = Conn(d, port, tcp=True)
        t, p, _, _ = scram_login(c, "alice", password, "healthy" + str(time.time()))
        check(t == b"R" and struct.unpack("!I", p[:4])[0] == 12, "a real login works after " + what)
        c.read()
        c.until_ready()
        r = c.query("SELECT 5")
        check(datarow(r[1][1]) == [b"5"], "and queries after " + what)
        c.msg(b"X")

    # A startup packet over PostgreSQL's 10000-byte limit.
    o = Conn(d, port, tcp=True)
    o.send(struct.pack("!II", 1 << 20, 196608))
    expect_refused(o, "an oversized startup packet")
    healthy("an oversized startup packet")

    # An oversized message while authenticating: refused from its header,
    # before the server buffers it.
    o = Conn(d, port, tcp=True)
    send_startup(o, "alice")
    o.read()
    o.send(b"p" + struct.pack("!I", 8 << 20))
    expect_refused(o, "an 8 MB password message before login")
    healthy("an oversized password message")

    # Garbage where the SASL initial response belongs.
    g = Conn(d, port, tcp=True)
    send_startup(g, "alice")
    g.read()
    g.msg(b"p", b"\xff\xfe garbage \x00\x00\x00")
    expect_refused(g, "garbage as the SASL initial response", ("08P01", "28P01", "28000"))
    g = Conn(d, port, tcp=True)
    send_startup(g, "alice")
    g.read()
    g.msg(b"p", b"SCRAM-SHA-1\0" + struct.pack("!i", 5) + b"n,,x=")
    expect_refused(g, "an unknown SASL mechanism", ("08P01", "28P01", "28000"))
    g = Conn(d, port, tcp=True)
    send_startup(g, "alice")
    g.read()
    g.msg(b"Q", b"SELECT 1\0")
    expect_refused(g, "a query before authentication")
    healthy("garbage during authentication")

    # Half-open connections: a half startup packet, and a SCRAM exchange
    # stopped after its first message, held open while others log in.
    held = []
    for i in range(10):
        h = Conn(d, port, tcp=True)
        h.send(struct.pack("!I", 100) + b"\x00\x03")
        held.append(h)
        h = Conn(d, port, tcp=True)
        send_startup(h, "alice")
        h.read()
        first = b"n,,n=,r=halfopen%d" % i
        h.msg(b"p", b"SCRAM-SHA-256\0" + struct.pack("!i", len(first)) + first)
        held.append(h)
    healthy("20 half-open connections")
    for h in held:
        h.s.close()


def scenario_cancel(d, port):
    c = Conn(d, port)
    c.startup()
    pid, secret = c.key

    def cancel_soon():
        time.sleep(1.0)
        # A wrong secret must not cancel.
        x = Conn(d, port)
        x.send(struct.pack("!IIii", 16, 80877102, pid, secret ^ 1))
        x.s.close()
        time.sleep(0.5)
        y = Conn(d, port)
        y.send(struct.pack("!IIii", 16, 80877102, pid, secret))
        y.s.close()

    t0 = time.time()
    th = threading.Thread(target=cancel_soon)
    th.start()
    r = c.query("SELECT count(*) FROM range(100000000000) a")
    th.join()
    elapsed = time.time() - t0
    e = [fields(p) for t, p in r if t == b"E"]
    check(e and e[0]["C"] == "57014", "a CancelRequest with the session's key cancels (57014)")
    check(elapsed >= 1.4, "the wrong secret did not cancel it (it ran %.1f s)" % elapsed)
    r = c.query("SELECT 7")
    check(datarow(r[1][1]) == [b"7"], "the session works after the cancel")


def send_startup(c, user):
    body = struct.pack("!I", 196608) + b"user\0" + user.encode() + b"\0database\0db\0\0"
    c.send(struct.pack("!I", len(body) + 4) + body)


def scram_login(c, user, password, client_nonce):
    """A SCRAM-SHA-256 client; returns (final reply type, client-first, client-final)."""
    import base64, hashlib, hmac
    send_startup(c, user)
    t, p = c.read()
    check(t == b"R" and struct.unpack("!I", p[:4])[0] == 10 and b"SCRAM-SHA-256" in p,
          "the server asks for SCRAM-SHA-256")
    bare = "n=,r=" + client_nonce
    first = ("n,," + bare).encode()
    c.msg(b"p", b"SCRAM-SHA-256\0" + struct.pack("!i", len(first)) + first)
    t, p = c.read()
    if t != b"R":
        return t, p, first, None
    server_first = p[4:].decode()
    attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(attrs["s"]),
                                 int(attrs["i"]))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored = hashlib.sha256(client_key).digest()
    without_proof = "c=biws,r=" + attrs["r"]
    auth_msg = ",".join([bare, server_first, without_proof]).encode()
    sig = hmac.new(stored, auth_msg, hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, sig))
    final = (without_proof + ",p=" + base64.b64encode(proof).decode()).encode()
    c.msg(b"p", final)
    t, p = c.read()
    return t, p, first, final


def scenario_scram(d, port):
    """SCRAM by hand: a good login, a wrong password, an unknown user and a
    replayed client-final-message (user alice / password from $PGPASSWORD)."""
    password = os.environ["PGPASSWORD"]
    c = Conn(d, port, tcp=True)
    t, p, first, final = scram_login(c, "alice", password, "fixednonce123")
    check(t == b"R" and struct.unpack("!I", p[:4])[0] == 12 and p[4:].startswith(b"v="),
          "the right password gets SASLFinal with the server's signature")
    t, p = c.read()
    check(t == b"R" and struct.unpack("!I", p[:4])[0] == 0, "then AuthenticationOk")
    c.until_ready()

    # Replay: same client nonce, same final message, new connection.
    r = Conn(d, port, tcp=True)
    send_startup(r, "alice")
    r.read()
    r.msg(b"p", b"SCRAM-SHA-256\0" + struct.pack("!i", len(first)) + first)
    t, p = r.read()
    check(t == b"R" and struct.unpack("!I", p[:4])[0] == 11, "the replay gets a fresh challenge")
    r.msg(b"p", final)
    t, p = r.read()
    check(t == b"E" and fields(p)["C"] in ("28P01", "08P01"),
          "a replayed client-final-message is refused (%s)" % fields(p).get("C"))

    w = Conn(d, port, tcp=True)
    t, p, _, _ = scram_login(w, "alice", password + "x", "othernonce")
    check(t == b"E" and fields(p)["C"] == "28P01", "a wrong password is refused with 28P01")
    u = Conn(d, port, tcp=True)
    t, p, _, _ = scram_login(u, "mallory", password, "nonce3")
    check(t == b"E" and fields(p)["C"] == "28P01" and "mallory" in fields(p)["M"],
          "an unknown user gets the same refusal")

    # The first session still works.
    res = c.query("SELECT 1")
    check(datarow(res[1][1]) == [b"1"], "the logged-in session is unaffected")


def main():
    scenario, d, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    globals()["scenario_" + scenario](d, port)


if __name__ == "__main__":
    main()
