#!/usr/bin/python3
# doclinks.py - every relative link of the documentation (README.md, docs/*.md,
# nodes/**/README.md, src/*/README.md) resolves: its path to a file or folder
# of the tree, its #anchor, if any, to a heading of the Markdown file it names
# (GitHub's anchors: lower case, punctuation dropped, spaces as hyphens, a
# repeated heading's -1, -2, ...). Links in code are not links. The checker
# is first run on a small tree of its own with known good and bad links.
import glob
import os
import re
import sys
import tempfile

TOP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
EXTERNAL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def doc_files(top):
    files = [os.path.join(top, "README.md")]
    files += sorted(glob.glob(os.path.join(top, "docs", "*.md")))
    files += sorted(glob.glob(os.path.join(top, "nodes", "**", "README.md"), recursive=True))
    files += sorted(glob.glob(os.path.join(top, "src", "*", "README.md")))
    return [f for f in files if os.path.isfile(f)]


def prose_lines(text, blank_code=True):
    """(line number, line) outside fenced code; inline code spans blanked
    unless blank_code is false."""
    fence = None
    for n, line in enumerate(text.split("\n"), 1):
        m = re.match(r"^\s{0,3}(`{3,}|~{3,})", line)
        if m:
            if fence is None:
                fence = m.group(1)[0] * len(m.group(1))
            elif m.group(1).startswith(fence):
                fence = None
            continue
        if fence is None and not blank_code:
            yield n, line
        elif fence is None:
            yield n, re.sub(r"`+[^`]*`+", lambda c: " " * len(c.group(0)), line)


def slug(heading):
    text = re.sub(r"`|\*|_(?=\w)|(?<=\w)_", "", heading)  # emphasis and code marks
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link's text
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(path):
    seen, out = {}, set()
    with open(path, encoding="utf-8") as f:
        for _, line in prose_lines(f.read(), blank_code=False):
            m = HEADING.match(line)
            if not m:
                continue
            base = slug(m.group(2))
            k = seen.get(base, 0)
            seen[base] = k + 1
            out.add(base if k == 0 else "%s-%d" % (base, k))
    return out


def links(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for n, line in prose_lines(text):
        for m in INLINE.finditer(line):
            yield n, m.group(1)
        m = REFERENCE.match(line)
        if m:
            yield n, m.group(1)


def check(top, files):
    """Messages "file:line: link: why", one per broken link."""
    bad = []
    for doc in files:
        rel_doc = os.path.relpath(doc, top)
        for n, target in links(doc):
            if EXTERNAL.match(target) or target.startswith("//"):
                continue
            path, _, anchor = target.partition("#")
            full = doc if path == "" else os.path.normpath(
                os.path.join(top if path.startswith("/") else os.path.dirname(doc),
                             path.lstrip("/")))
            where = "%s:%d: %s" % (rel_doc, n, target)
            if os.path.relpath(full, top).split(os.sep)[0] == "..":
                bad.append("%s: outside the tree" % where)
            elif not os.path.exists(full):
                bad.append("%s: no such file" % where)
            elif anchor and full.endswith(".md") and anchor.lower() not in anchors(full):
                bad.append("%s: no heading '#%s' in %s" % (where, anchor,
                                                           os.path.relpath(full, top)))
    return bad


def self_test():
    """The checker on a tree with known good and bad links."""
    with tempfile.TemporaryDirectory(prefix="faasbench-doclinks.") as t:
        os.makedirs(os.path.join(t, "docs"))
        os.makedirs(os.path.join(t, "src", "core"))
        with open(os.path.join(t, "docs", "a.md"), "w") as f:
            f.write("# A title\n\n## Keys, and `workload.type`\n\n## Keys, and workload.type\n")
        with open(os.path.join(t, "src", "core", "README.md"), "w") as f:
            f.write("[up](../../docs/a.md#a-title) [gone](../../docs/b.md)\n")
        with open(os.path.join(t, "README.md"), "w") as f:
            f.write("[a](docs/a.md) [b](docs/a.md#keys-and-workloadtype-1)\n"
                    "[web](https://example.org/x) [mail](mailto:x@example.org)\n"
                    "[self](#top) `[code](docs/none.md)`\n"
                    "```\n[fenced](docs/none.md)\n```\n"
                    "[ref]: docs/missing.md\n"
                    "![img](docs/a.md#no-such-heading)\n"
                    "[out](../outside.md)\n")
        got = check(t, doc_files(t))
        want = [
            "README.md:3: #top: no heading '#top' in README.md",
            "README.md:7: docs/missing.md: no such file",
            "README.md:8: docs/a.md#no-such-heading: no heading '#no-such-heading' in docs/a.md",
            "README.md:9: ../outside.md: outside the tree",
            "src/core/README.md:1: ../../docs/b.md: no such file",
        ]
        if got != want:
            print("FAIL: the link checker itself: got")
            print("\n".join(got) or "(nothing)")
            print("want")
            print("\n".join(want))
            return False
    return True


def main():
    ok = self_test()
    files = doc_files(TOP)
    bad = check(TOP, files)
    for b in bad:
        print("FAIL: %s" % b)
    n = sum(1 for f in files for _ in links(f))
    print("doclinks: %d links in %d files, %d broken" % (n, len(files), len(bad)))
    return 0 if ok and not bad and len(files) > 10 else 1


if __name__ == "__main__":
    sys.exit(main())
