#!/usr/bin/env bash
# Checks the user documentation (README.md, CHANGELOG.md and docs/**/*.md) and exits non-zero, naming file and
# line, when a page
#   - tells the story of the project's development instead of describing the software: work
#     periods or sessions, numbered issues, lettered goals, commit hashes;
#   - links to something that is not in the repository: any http(s) address, mail address, or
#     absolute path, and any relative link that leaves the repository or names no file there
#     (an anchor must name a heading of its page);
#   - or, for README.md, is longer than 15,000 characters.
#
# Usage: scripts/check-docs.sh [ROOT]   (ROOT defaults to the repository this script is in)
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
exec python3 - "$root" <<'PY'
import os, re, sys

root = os.path.realpath(sys.argv[1])
README_LIMIT = 15000

HISTORY = [
    (re.compile(r"\bwork[- ]periods?\b", re.I), "names a work period"),
    (re.compile(r"\bsessions?\s+#?\d+\b", re.I), "names a numbered session"),
    (re.compile(r"\b(this|that|last|previous|earlier|next|later|an earlier|the same)\s+session\b", re.I), "names a session"),
    (re.compile(r"\bissues?\s+#?\d+\b", re.I), "names a numbered issue"),
    (re.compile(r"\b(the|this|that)\s+issue(?:'s)?\b|\bissue's\b", re.I), "refers to an issue"),
    (re.compile(r"\bgoals?\s*\(?[a-z]\)", re.I), "names a lettered goal"),
    (re.compile(r"\bgoals?\s+\d+\b", re.I), "names a numbered goal"),
]
# A commit hash: 7 to 40 hex digits standing alone, with at least one digit and one letter.
HASH = re.compile(r"(?<![0-9A-Za-z_./-])(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}(?![0-9A-Za-z_])")
EXTERNAL = re.compile(r"\b(?:https?|ftp)://|\bwww\.[a-z0-9-]+\.|\bmailto:", re.I)
INLINE_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HTML_LINK = re.compile(r"<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*[\"']([^\"']*)[\"']", re.I)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})(.*)$")
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")

problems = []

class Fences:
    """Which lines are inside fenced code, as CommonMark reads them: a block opened by N backticks
    (or tildes) is closed only by a line of at least N of the same character and nothing else;
    other fence-like lines inside it are its content. A line that would close it but carries text
    after the fence closes nothing, which is the mistake to report."""

    def __init__(self):
        self.opener = None  # the open block's fence, or None outside code
        self.opened = 0

    def step(self, line, lineno):
        """Whether the line is a fence or inside code, and whether it is a closer with text after it."""
        m = FENCE.match(line)
        if self.opener is None:
            if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
                self.opener, self.opened = m.group(1), lineno
                return True, False
            return False, False
        if m and m.group(1)[0] == self.opener[0] and len(m.group(1)) >= len(self.opener):
            if m.group(2).strip():
                return True, True
            self.opener = None
        return True, False

def report(path, lineno, message):
    problems.append(f"{os.path.relpath(path, root)}:{lineno}: {message}")

def slug(text):
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")

anchor_cache = {}

def anchors(path):
    if path not in anchor_cache:
        seen, found, fences = {}, set(), Fences()
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                code, _ = fences.step(line.rstrip("\n"), lineno)
                if code:
                    continue
                m = HEADING.match(line)
                if m:
                    s = slug(m.group(1))
                    n = seen.get(s, 0)
                    seen[s] = n + 1
                    found.add(s if n == 0 else f"{s}-{n}")
                for a in re.findall(r"<a\s+(?:name|id)=[\"']([^\"']+)[\"']", line):
                    found.add(a)
        anchor_cache[path] = found
    return anchor_cache[path]

def check_target(path, lineno, target):
    if not target:
        return
    if EXTERNAL.search(target) or re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
        report(path, lineno, f"link leaves the repository: {target}")
        return
    if target.startswith("/"):
        report(path, lineno, f"absolute link (use a path relative to the page): {target}")
        return
    file_part, _, anchor = target.partition("#")
    file_part = file_part.split("?", 1)[0]
    resolved = os.path.realpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
    if resolved != root and not resolved.startswith(root + os.sep):
        report(path, lineno, f"link leaves the repository: {target}")
    elif not os.path.exists(resolved):
        report(path, lineno, f"link to a missing file: {target}")
    elif anchor and resolved.endswith(".md") and anchor not in anchors(resolved):
        report(path, lineno, f"link to a missing heading: {target}")

def check_page(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if os.path.relpath(path, root) == "README.md" and len(text) > README_LIMIT:
        report(path, 1, f"README.md has {len(text)} characters; the limit is {README_LIMIT}")
    fences = Fences()
    for lineno, line in enumerate(text.splitlines(), 1):
        for pattern, what in HISTORY:
            m = pattern.search(line)
            if m:
                report(path, lineno, f"development history ({what}): '{m.group(0)}'")
        m = HASH.search(line)
        if m:
            report(path, lineno, f"development history (looks like a commit hash): '{m.group(0)}'")
        m = EXTERNAL.search(line)
        if m:
            report(path, lineno, f"address outside the repository: '{line.strip()[:80]}'")
        code, closer_with_text = fences.step(line, lineno)
        if closer_with_text:
            # Text after a closing fence leaves the block open: the rest of the page is read as code.
            report(path, lineno, "a code fence with text after it does not close the block: put the text on a line of its own")
        if code:
            continue
        prose = CODE_SPAN.sub("", line)
        for pattern in (INLINE_LINK, REF_DEF, HTML_LINK):
            for target in pattern.findall(prose):
                if not EXTERNAL.search(target):
                    check_target(path, lineno, target)
    if fences.opener is not None:
        report(path, fences.opened, "a code block opened here never closes")

pages = []
if os.path.isfile(os.path.join(root, "README.md")):
    pages.append(os.path.join(root, "README.md"))
else:
    problems.append("README.md: missing")
if os.path.isfile(os.path.join(root, "CHANGELOG.md")):
    pages.append(os.path.join(root, "CHANGELOG.md"))
for dirpath, dirnames, filenames in os.walk(os.path.join(root, "docs")):
    dirnames.sort()
    pages.extend(os.path.join(dirpath, n) for n in sorted(filenames) if n.endswith(".md"))
for page in pages:
    check_page(page)

for p in problems:
    print(p, file=sys.stderr)
if problems:
    print(f"check-docs: {len(problems)} problem(s) in {len(pages)} page(s)", file=sys.stderr)
    sys.exit(1)
print(f"check-docs: {len(pages)} page(s) OK")
PY
