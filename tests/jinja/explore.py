#!/usr/bin/python3
"""explore.py: random differential exploration beyond the fixed corpus.

Generates random templates (expressions over literals, filters, tests and
methods; statements with whitespace control, loops, loop controls, set
blocks, filter blocks and call blocks), renders them with python3-jinja2 and
with bench_jinja --check (one process for all), and prints every template
whose output differs or where exactly one side errors.  Minimise what it
finds by hand and add it to cases/ under a descriptive name.

    /usr/bin/python3 tests/jinja/explore.py --driver build/bench/bin/bench_jinja --seed 7 -n 3000
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

import jinja2

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "jinja"))
from importlib.machinery import SourceFileLoader  # noqa: E402

parse_check = SourceFileLoader("run", sys.path[0] + "/run").load_module().parse_check

ATOMS = ["0", "1", "-3", "7", "2.5", "0.1", "1.0", "1e20", "-0.5", "1e-5", "'a'", "'AbC'", "\"it's\"", "''",
         "' x y '", "'a,b,c'", "'é'", "none", "true", "false", "[1, 2, 3]", "[]", "['b', 'a', 'C']", "(1, 'x')",
         "{'k': 1, 'a': 'v'}", "{}", "[[1, 2], [3]]", "range(4)", "xs", "d", "s", "n", "missing", "'%s-%d'"]
OPS = ["+", "-", "*", "/", "//", "%", "~", "==", "!=", "<", "<=", ">", ">=", "in", "not in", "and", "or"]
FILTERS = ["length", "lower", "upper", "trim", "title", "capitalize", "string", "list", "first", "last", "sort",
           "unique|list", "reverse|list", "int", "float", "abs", "round", "round(1)", "sum", "min", "max",
           "dictsort", "items|list", "join(',')", "default('D')", "default('D', true)", "replace('a', 'z')",
           "center(7)", "wordcount", "urlencode", "batch(2)|list", "slice(2)|list", "select|list",
           "select('odd')|list", "reject|list", "map('string')|list", "format(1, 2)", "sort(reverse=true)"]
TESTS = ["defined", "undefined", "none", "boolean", "string", "number", "integer", "float", "mapping",
         "iterable", "sequence", "callable", "even", "odd", "divisibleby 2", "in [1, 'a']", "eq 1", "lower"]
METHODS = ["upper()", "lower()", "strip()", "split()", "split(',')", "startswith('a')", "title()",
           "replace('a', 'b')", "format(1, 2)", "get('k')", "get('z', 0)", "keys()|list", "items()|list"]
LOOP_EXPRS = ["i", "loop.index", "loop.first", "loop.revindex0", "loop.previtem", "loop.nextitem", "x",
              "loop.cycle('a', 'b')", "loop.length", "ns.n", "i ~ '|'", "x | default('D')", "varargs"]
CONTEXT = {"xs": [3, 1, 2], "d": {"b": 2, "a": 1}, "s": "Ab,c", "n": None}


def expr(r, depth):
    k = r.random()
    if depth <= 0 or k < 0.25:
        return r.choice(ATOMS)
    if k < 0.5:
        return "(%s %s %s)" % (expr(r, depth - 1), r.choice(OPS), expr(r, depth - 1))
    if k < 0.7:
        return "(%s | %s)" % (expr(r, depth - 1), r.choice(FILTERS))
    if k < 0.8:
        return "(%s is %s%s)" % (expr(r, depth - 1), r.choice(["", "not "]), r.choice(TESTS))
    if k < 0.9:
        return "%s.%s" % (r.choice(["s", "d", "'a,b'", "{'k': 1}"]), r.choice(METHODS))
    return "(%s if %s else %s)" % (expr(r, depth - 1), expr(r, depth - 1), expr(r, depth - 1))


def stmts(r, depth):
    tag = lambda body: "{%" + r.choice(["", "-", "+"]) + " " + body + " " + r.choice(["", "-"]) + "%}"
    ws = lambda: r.choice(["", " ", "\n", " \n", "\n  ", "\t", "\n\n", "x", " y\n"])
    out = []
    for _ in range(r.randint(1, 4)):
        k, sub = r.random(), (lambda: stmts(r, depth - 1))
        if depth <= 0 or k < 0.35:
            dash = r.choice(["", "-"])
            out.append(ws() + "{{" + dash + " " + r.choice(LOOP_EXPRS) + " " + r.choice(["", "-"]) + "}}" + ws())
        elif k < 0.5:
            out.append(tag("for i in " + r.choice(["xs", "range(3)", "[]", "'ab'"])) + sub()
                       + (tag("else") + sub() if r.random() < 0.3 else "") + tag("endfor"))
        elif k < 0.62:
            out.append(tag("if " + r.choice(["i", "x", "loop.last", "not xs", "i is odd"])) + sub()
                       + (tag("else") + sub() if r.random() < 0.5 else "") + tag("endif"))
        elif k < 0.7:
            out.append(tag("set x = " + r.choice(["i", "x ~ 'q'", "[1]", "none"])))
        elif k < 0.76:
            out.append(tag("set ns.n = ns.n + 1"))
        elif k < 0.82:
            out.append(tag("set x") + sub() + tag("endset"))
        elif k < 0.87:
            out.append(tag(r.choice(["break", "continue"])))
        elif k < 0.93:
            out.append(tag("filter upper") + sub() + tag("endfilter"))
        else:
            out.append(tag("call(i) m(1, 2)") + sub() + tag("endcall"))
    return "".join(out)


def template(r):
    if r.random() < 0.5:
        return "{{ %s }}" % expr(r, r.randint(1, 3))
    prelude = "{% set ns = namespace(n=0) %}{% macro m() %}<{{ caller(varargs | length) }}>{% endmacro %}"
    return prelude + stmts(r, 3) + r.choice(["", "\n", "\n\n"]) + "{{ ns.n }}" + r.choice(["", "\n"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--driver", required=True, help="bench_jinja, built from bench/jinja")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-n", type=int, default=2000, help="templates to try")
    args = ap.parse_args()
    r = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        names = ["x%d" % i for i in range(args.n)]
        for name in names:
            with open(os.path.join(tmp, name + ".j2"), "w") as f:
                f.write(template(r))
            with open(os.path.join(tmp, name + ".json"), "w") as f:
                json.dump(CONTEXT, f)
        p = subprocess.run([args.driver, "--check", tmp] + names, capture_output=True)
        if p.returncode != 0:
            sys.exit("bench_jinja failed (%d): %s" % (p.returncode, p.stderr.decode()[-3000:]))
        ours = parse_check(p.stdout)
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(tmp),
                                 extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"])
        differ = 0
        for name in names:
            try:  # a fresh context each time: templates may mutate it
                want = env.get_template(name + ".j2").render(json.loads(json.dumps(CONTEXT))).encode()
            except Exception as e:
                want = "%s: %s" % (type(e).__name__, e)
            got = ours.get(name)
            if isinstance(want, str) != (got is None) or (got is not None and want != got):
                differ += 1
                with open(os.path.join(tmp, name + ".j2")) as f:
                    print("DIFF %r\n  jinja2:  %r\n  mallard: %r" % (f.read(), want, got))
    print("%d of %d differ" % (differ, args.n))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
