#!/usr/bin/env python3
"""Renders the figures of docs/results.md from the committed result logs.

A result log (benchmarks/record.sh writes them) is a header of `key: value`
lines (date, commit, machine, command, and `source:` where the figures were
transcribed rather than recorded), a `---` line, then what the benchmark
printed: its readable table, `result {json}` lines where it has them, and its
last line `summary key=value ...`.

In the page, each generated block is an HTML comment holding its template,
followed by what the template renders to, up to `<!-- end generated -->`:

    <!-- generated from: run=benchmarks/results/scaling.log
    | model | images/s |
    |---|---|
    | LeNet-5 | {run.result(model="lenet5", ranks=2).images_per_sec:,.0f} |
    -->
    *Measured 2026-12-08, commit abc1234, ...; `build/bin/bench_scaling`.*
    ...
    <!-- end generated -->

`{expression}` or `{expression:format}` is a Python expression over the logs'
aliases: `alias.key` is a value of the log's summary line (a number where it
reads as one), `alias.result(key=value, ...)` the one `result` line whose
fields match, `alias.median("field", key=value, ...)` the median of a field
over the result lines that match (a benchmark's rounds), `alias.output` what
the benchmark printed and `alias.lines("regex")` the lines of it that match, `alias.date` and the other header fields; median(),
min(), max() and abs() are there too. Each block starts with a line that says when,
at which commit, on which machine and by which command its figures were made.

    scripts/results_page.py              rewrites docs/results.md
    scripts/results_page.py --check      exits 1 (showing the difference) if the page differs
    scripts/results_page.py --self-test  proves that --check finds a page that differs from its logs
"""
import difflib
import json
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # log paths in the page are relative to it
PAGE = ROOT / "docs" / "results.md"
BLOCK = re.compile(r"<!-- generated from: (?P<sources>[^\n]*)\n(?P<template>.*?)\n-->\n.*?<!-- end generated -->",
                   re.S)
FORMAT_SPEC = re.compile(r"^[<>=^]?[+-]?#?0?\d*[,_]?(\.\d+)?[eEfFgGdn%s]?$")


def number(text):
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


class Record:
    """Fields read as attributes: `log.key`."""

    def __init__(self, fields, what):
        self._fields, self._what = fields, what

    def __getattr__(self, key):
        if key.startswith("_"):
            raise AttributeError(key)
        if key not in self._fields:
            raise KeyError(f"{self._what} has no '{key}' (it has: {', '.join(sorted(self._fields))})")
        return self._fields[key]


class Log(Record):
    def __init__(self, path):
        text = path.read_text()
        if "\n---\n" not in text:
            raise ValueError(f"{path}: no '---' line after the header")
        head, body = text.split("\n---\n", 1)
        self.path = path
        self.header = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
        for key in ("date", "commit", "machine", "command"):
            if key not in self.header:
                raise ValueError(f"{path}: the header has no '{key}:' line")
        summaries = [line for line in body.splitlines() if line.startswith("summary ")]
        if not summaries:
            raise ValueError(f"{path}: no 'summary key=value ...' line")
        fields = dict(self.header)
        for pair in summaries[-1].split()[1:]:
            key, _, value = pair.partition("=")
            fields[key] = number(value)
        self.results = [json.loads(line[len("result "):]) for line in body.splitlines() if line.startswith("result {")]
        # What the benchmark printed (for a verbatim table), without the recorder's exit line.
        fields["output"] = "\n".join(line for line in body.rstrip("\n").splitlines() if not line.startswith("exit: "))
        super().__init__(fields, str(path.relative_to(ROOT)))

    def matching(self, match):
        found = [r for r in self.results if all(r.get(k) == v for k, v in match.items())]
        if not found:
            raise KeyError(f"{self._what}: no result line matches {match}")
        return found

    def result(self, **match):
        found = self.matching(match)
        if len(found) != 1:
            raise KeyError(f"{self._what}: {len(found)} result lines match {match}")
        return Record(found[0], f"{self._what} result {match}")

    def lines(self, pattern):
        """The lines of the output that match a regular expression, as printed (a benchmark's own table)."""
        return "\n".join(line for line in self.output.splitlines() if re.search(pattern, line))

    def median(self, field, **match):
        """The median of `field` over the result lines that match (a benchmark's rounds)."""
        return statistics.median(r[field] for r in self.matching(match))


def render_expression(match, names):
    inside = match.group(1)
    expression, fmt = inside, ""
    if ":" in inside:
        head, _, tail = inside.rpartition(":")
        if FORMAT_SPEC.match(tail):
            expression, fmt = head, tail
    value = eval(expression, {"__builtins__": {}}, names)  # the page's own templates, nothing from outside
    return format(value, fmt)


def provenance(logs):
    dates = sorted({log.header["date"] for log in logs})
    commits = list(dict.fromkeys(log.header["commit"] for log in logs))
    machines = list(dict.fromkeys(log.header["machine"] for log in logs))
    commands = list(dict.fromkeys(log.header["command"] for log in logs))
    when = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
    text = (f"*Measured {when}, commit{'s' if len(commits) > 1 else ''} {', '.join(commits)}, "
            f"{'; '.join(machines)}; " + "; ".join(f"`{c}`" for c in commands) + ".")
    sources = sorted({log.header["source"] for log in logs if "source" in log.header})
    text += "".join(" " + source.rstrip(".") + "." for source in sources)
    logs_text = ", ".join(f"`{log.path.relative_to(ROOT)}`" for log in logs)
    return text + f" Logs: {logs_text}.*"


def render_block(match):
    sources = match.group("sources").split()
    names = {"median": statistics.median, "min": min, "max": max, "abs": abs}
    logs = []
    for source in sources:
        alias, _, path = source.partition("=")
        log = Log(ROOT / path)
        names[alias] = log
        logs.append(log)
    body = re.sub(r"\{([^{}]+)\}", lambda m: render_expression(m, names), match.group("template"))
    return (f"<!-- generated from: {match.group('sources')}\n{match.group('template')}\n-->\n"
            f"{provenance(logs)}\n\n{body}\n<!-- end generated -->")


def render(page):
    return BLOCK.sub(render_block, page)


def self_test():
    """A page and a log of its own, in a scratch folder: rendered, then checked after the log changed."""
    global ROOT, PAGE
    import tempfile
    with tempfile.TemporaryDirectory() as scratch:
        ROOT, PAGE = Path(scratch), Path(scratch) / "docs" / "results.md"
        (ROOT / "docs").mkdir()
        log = ROOT / "run.log"
        log.write_text("date: 2026-01-02\ncommit: abc1234\nmachine: a test\ncommand: bench --fast\n---\n"
                       'result {"model": "lenet5", "ms": 2.0}\nresult {"model": "lenet5", "ms": 4.0}\n'
                       "summary img_per_s=1234.5\n")
        PAGE.write_text("# Results\n\n<!-- generated from: r=run.log\n| images/s | ms |\n|---|---|\n"
                        '| {r.img_per_s:,.0f} | {r.median("ms", model="lenet5"):.1f} |\n-->\n<!-- end generated -->\n')
        failures = []
        if main(["results_page.py"]) != 0:
            failures.append("rendering failed")
        text = PAGE.read_text()
        for expected in ("| 1,234 | 3.0 |", "*Measured 2026-01-02, commit abc1234, a test; `bench --fast`."):
            if expected not in text:
                failures.append(f"the rendered page lacks {expected!r}:\n{text}")
        if main(["results_page.py", "--check"]) != 0:
            failures.append("--check fails on the page it just rendered")
        log.write_text(log.read_text().replace("img_per_s=1234.5", "img_per_s=999"))
        if main(["results_page.py", "--check"]) != 1:
            failures.append("--check passes a page whose log changed")
    for failure in failures:
        print(f"self-test: {failure}", file=sys.stderr)
    print("self-test: " + ("FAILED" if failures else "--check finds a page that differs from its logs"))
    return 1 if failures else 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    check = argv[1:] == ["--check"]
    if argv[1:] not in ([], ["--check"]):
        print(__doc__.split("\n\n")[-1], file=sys.stderr)
        return 2
    page = PAGE.read_text()
    rendered = render(page)
    if not check:
        PAGE.write_text(rendered)
        print(f"{PAGE.relative_to(ROOT)}: {len(BLOCK.findall(page))} generated blocks rendered")
        return 0
    if rendered == page:
        print(f"{PAGE.relative_to(ROOT)} matches its result logs ({len(BLOCK.findall(page))} generated blocks)")
        return 0
    sys.stdout.writelines(difflib.unified_diff(page.splitlines(True), rendered.splitlines(True),
                                               "docs/results.md", "rendered from the result logs"))
    print("docs/results.md differs from its result logs: run scripts/results_page.py", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
