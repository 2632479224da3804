#!/usr/bin/env python3
# Every C++ block of README.md is code that is compiled: each ```cpp block must be preceded by a
# marker naming the file it comes from,
#
#     <!-- snippet: examples/snippets/errors.cpp -->
#     ```cpp
#     ...
#     ```
#
# and appear in that file verbatim: exactly the lines between `// snippet-begin` and
# `// snippet-end` when the file has those markers (the rest of the file is its wrapper: includes,
# `main`), or anywhere in the file otherwise. Every file under examples/snippets/ must be named
# by a block, so a snippet removed from the README does not linger. tests/readme/meson.build
# compiles (and where meaningful runs) the files.
#
# usage: check_snippets.py README.md SOURCE_ROOT
import os, re, sys

MARKER = re.compile(r"^<!--\s*snippet:\s*(\S+)\s*-->\s*$")


def blocks(readme):
    """(line number, marker path or None, block text) for every ```cpp block."""
    lines = readme.split("\n")
    out, i = [], 0
    while i < len(lines):
        if lines[i].strip() == "```cpp":
            start = i
            j = i - 1
            while j >= 0 and not lines[j].strip():
                j -= 1
            m = MARKER.match(lines[j]) if j >= 0 else None
            i += 1
            body = []
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            out.append((start + 1, m.group(1) if m else None, "\n".join(body) + "\n"))
        i += 1
    return out


def marked_region(text):
    begin, end = "// snippet-begin\n", "// snippet-end\n"
    if begin not in text:
        return None
    a = text.index(begin) + len(begin)
    b = text.index(end, a)
    return text[a:b]


def main():
    readme_path, root = sys.argv[1], sys.argv[2]
    with open(readme_path, encoding="utf-8") as f:
        found = blocks(f.read())
    problems, named = [], set()
    for line, path, body in found:
        where = f"README.md:{line}"
        if path is None:
            problems.append(f"{where}: a ```cpp block without a `<!-- snippet: FILE -->` line before it")
            continue
        named.add(os.path.normpath(path))
        full = os.path.join(root, path)
        if not os.path.isfile(full):
            problems.append(f"{where}: {path} does not exist")
            continue
        with open(full, encoding="utf-8") as f:
            text = f.read()
        region = marked_region(text)
        if region is not None and region != body:
            problems.append(f"{where}: differs from the snippet-begin/snippet-end region of {path}")
        elif region is None and body not in text:
            problems.append(f"{where}: does not appear verbatim in {path}")
        else:
            print(f"ok   {where} = {path}")
    snippets = os.path.join(root, "examples", "snippets")
    for name in sorted(os.listdir(snippets)) if os.path.isdir(snippets) else []:
        rel = os.path.normpath(os.path.join("examples", "snippets", name))
        if name.endswith(".cpp") and rel not in named:
            problems.append(f"{rel}: no README block names it")
    for p in problems:
        print(f"FAIL {p}")
    print(f"{len(found)} C++ block(s), {len(problems)} problem(s)")
    return 1 if problems or not found else 0


if __name__ == "__main__":
    sys.exit(main())
