#!/usr/bin/python3
"""compare.py: renders every case in cases/ with python3-jinja2 (the oracle)
and with `$MALLARD jinja render`, and compares the bytes.  A case fails on any
difference, or when exactly one side errors.  Naming rules: README.md.
"""
import argparse
import concurrent.futures
import difflib
import json
import os
import re
import subprocess
import sys
import traceback

import jinja2

ERROR_FORMAT = re.compile(r"^[\w./-]+:\d+:\d+: ", re.M)
CASES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases")


def case_names(pattern):
    names = sorted(f[:-3] for f in os.listdir(CASES) if f.endswith(".j2") and not f.startswith("_"))
    return [n for n in names if pattern is None or pattern in n]


def context_of(name):
    path = os.path.join(CASES, name + ".json")
    if not os.path.exists(path):
        return None, {}
    with open(path, encoding="utf-8") as f:
        return path, json.load(f)


def is_strict(name):
    return name.startswith("strict_")


def expects_error(name):  # checked by --oracle-only
    return name.startswith(("error_", "strict_error_"))


def make_env(strict):
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(CASES),
        extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"],
        undefined=jinja2.StrictUndefined if strict else jinja2.Undefined,
    )


def render_python(name):
    """Returns (output bytes, None) or (None, error message).  A fresh
    environment per case: jinja2 caches imported modules, which templates
    can mutate, so a shared one would let cases leak into each other."""
    try:
        ctx = context_of(name)[1]
        out = make_env(is_strict(name)).get_template(name + ".j2").render(ctx)
        return out.encode("utf-8"), None
    except Exception as e:  # any error the oracle raises counts as "errors"
        return None, "%s: %s" % (type(e).__name__, e) + where_python(e)


def where_python(e):
    """' at NAME.j2:LINE' for the innermost template frame of an error."""
    if isinstance(e, jinja2.TemplateSyntaxError):
        return " at %s:%d" % (os.path.basename(e.filename or e.name or "?"), e.lineno)
    frames = [(f.f_code.co_filename, line) for f, line in traceback.walk_tb(e.__traceback__)]
    frames = [(os.path.basename(f), line) for f, line in frames if f.endswith(".j2")]
    return " at %s:%d" % frames[-1] if frames else ""


def render_mallard(mallard, name):
    """Returns (output bytes, None), or (None, error message); a crash, a
    hang, or an error that is not exit 1 with `name:line:col: message` is
    returned as (None, "BROKEN ...") and fails even where jinja2 errors."""
    cmd = [mallard, "jinja", "render", os.path.join(CASES, name + ".j2")]
    ctx_path = context_of(name)[0]
    cmd += (["--context", ctx_path] if ctx_path else []) + (["--strict"] if is_strict(name) else [])
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=20)
    except subprocess.TimeoutExpired:
        return None, "BROKEN: timed out after 20s"
    if p.returncode == 0:
        return p.stdout, None
    msg = p.stderr.decode("utf-8", "replace").strip()
    if p.returncode != 1 or not ERROR_FORMAT.search(msg):
        return None, "BROKEN: exit %d, not 1 with name:line:col: %s" % (p.returncode, msg[-600:])
    return None, msg


def short_diff(want, got):
    lines = difflib.unified_diff(want.decode("utf-8", "replace").splitlines(True),
                                 got.decode("utf-8", "replace").splitlines(True),
                                 "jinja2", "mallard", n=0)
    # repr() each line so that whitespace differences are visible
    diff = [l[0] + repr(l[1:]) for l in list(lines)[2:] if not l.startswith("@@")][:8]
    return "\n    ".join(diff) if diff else "jinja2 %r\n    mallard %r" % (want[:200], got[:200])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-k", dest="pattern", help="run only cases whose name contains PATTERN")
    ap.add_argument("-v", dest="verbose", action="store_true", help="show every case")
    ap.add_argument("--oracle-only", action="store_true", help="check the corpus with python only")
    ap.add_argument("--locations", action="store_true",
                    help="where both error, mallard must name jinja2's file and line too")
    ap.add_argument("--mallard", default=os.environ.get("MALLARD"), help="default: $MALLARD")
    args = ap.parse_args()
    if not args.oracle_only and not args.mallard:
        ap.error("set $MALLARD or pass --mallard (or use --oracle-only)")

    names = case_names(args.pattern)
    expected = {n: render_python(n) for n in names}
    if not args.oracle_only:
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            actual = dict(zip(names, pool.map(lambda n: render_mallard(args.mallard, n), names)))
    failed = 0
    for n in names:
        want, want_err = expected[n]
        if args.oracle_only:
            ok = (want_err is not None) == expects_error(n)
            why = "jinja2: %s" % (want_err or "rendered, but error_ cases must fail")
        else:
            got, got_err = actual[n]
            if want_err is None and got_err is None:
                ok, why = want == got, want != got and short_diff(want, got)
            else:
                ok = want_err is not None and got_err is not None and not got_err.startswith("BROKEN")
                where = re.search(r" at (\S+:\d+)$", want_err or "")
                if ok and args.locations and where:  # same file and line as jinja2's
                    ok = re.search(r"^(.*/)?%s:" % re.escape(where.group(1)), got_err, re.M) is not None
                why = "jinja2: %s\n    mallard: %s" % (want_err or "rendered", got_err or "rendered")
        failed += not ok
        if not ok or args.verbose:
            print("%s %s%s" % ("ok  " if ok else "FAIL", n, "\n    " + why if why else ""))
    passed = len(names) - failed
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not names else 0


if __name__ == "__main__":
    sys.exit(main())
