#!/usr/bin/python3
"""compare.py: the Jinja differential suite.

Renders every case in tests/jinja/cases/ with python3-jinja2 (the oracle) and
with `$MALLARD jinja render`, and compares the bytes.  Conventions (see
README.md): NAME.j2 is a case, NAME.json its optional context, `_*.j2` are
helper templates for include/import, `strict_*` cases render with
StrictUndefined / --strict, and `error_*` / `strict_error_*` cases must fail
in Jinja2 (checked by --oracle-only).

A case fails on any byte difference, or when exactly one side errors; when
both sides error it passes.  --oracle-only checks the corpus against python
alone: error_* cases must fail and every other case must render.
"""
import argparse
import concurrent.futures
import difflib
import json
import os
import subprocess
import sys

import jinja2

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


def expects_error(name):
    return name.startswith("error_") or name.startswith("strict_error_")


def make_env(strict):
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(CASES),
        extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"],
        undefined=jinja2.StrictUndefined if strict else jinja2.Undefined,
    )


def render_python(envs, name):
    """Returns (output bytes, None) or (None, error message)."""
    try:
        ctx = context_of(name)[1]
        out = envs[is_strict(name)].get_template(name + ".j2").render(ctx)
        return out.encode("utf-8"), None
    except Exception as e:  # any error the oracle raises counts as "errors"
        return None, "%s: %s" % (type(e).__name__, e)


def render_mallard(mallard, name):
    cmd = [mallard, "jinja", "render", os.path.join(CASES, name + ".j2")]
    ctx_path = context_of(name)[0]
    if ctx_path:
        cmd += ["--context", ctx_path]
    if is_strict(name):
        cmd.append("--strict")
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=20)
    except subprocess.TimeoutExpired:
        return None, "timed out after 20s"
    if p.returncode != 0:
        return None, "exit %d: %s" % (p.returncode, p.stderr.decode("utf-8", "replace").strip())
    return p.stdout, None


def short_diff(want, got):
    lines = difflib.unified_diff(want.decode("utf-8", "replace").splitlines(True),
                                 got.decode("utf-8", "replace").splitlines(True),
                                 "jinja2", "mallard", n=0)
    # repr() each line so that whitespace differences are visible
    return "\n    ".join(l[0] + repr(l[1:]) for l in list(lines)[2:14])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-k", dest="pattern", help="run only cases whose name contains PATTERN")
    ap.add_argument("-v", dest="verbose", action="store_true", help="show every case")
    ap.add_argument("--oracle-only", action="store_true", help="check the corpus with python only")
    ap.add_argument("--mallard", default=os.environ.get("MALLARD"), help="default: $MALLARD")
    args = ap.parse_args()
    if not args.oracle_only and not args.mallard:
        ap.error("set $MALLARD or pass --mallard (or use --oracle-only)")

    names = case_names(args.pattern)
    envs = {False: make_env(False), True: make_env(True)}
    expected = {n: render_python(envs, n) for n in names}
    if args.oracle_only:
        actual = {n: (None, "expected an error") if expects_error(n) else (b"", None)
                  for n in names}
    else:
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            actual = dict(zip(names, pool.map(lambda n: render_mallard(args.mallard, n), names)))

    passed = failed = 0
    for n in names:
        (want, want_err), (got, got_err) = expected[n], actual[n]
        if args.oracle_only:
            ok = (want_err is not None) == expects_error(n)
            why = "jinja2 said: %s" % (want_err or "(rendered fine, but error_ cases must fail)")
        elif want_err is not None or got_err is not None:
            ok = want_err is not None and got_err is not None
            why = "jinja2: %s\n    mallard: %s" % (want_err or "rendered", got_err or "rendered")
        else:
            ok = want == got
            why = "" if ok else short_diff(want, got)
        if ok:
            passed += 1
            if args.verbose:
                print("ok   %s%s" % (n, "\n    " + why if want_err else ""))
        else:
            failed += 1
            print("FAIL %s\n    %s" % (n, why))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not names else 0


if __name__ == "__main__":
    sys.exit(main())
