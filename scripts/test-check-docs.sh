#!/usr/bin/env bash
# Plants one violation at a time in a scratch copy of a clean page set and checks that
# scripts/check-docs.sh fails on it, naming the file and line; the clean set must pass.
set -euo pipefail
check="$(cd "$(dirname "$0")" && pwd)/check-docs.sh"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

clean() {
  rm -rf "$scratch/tree" && mkdir -p "$scratch/tree/docs/img"
  printf '# Tool\n\nSee [the guide](docs/guide.md#running-it) and ![chart](docs/img/c.png).\n\nIdentifier 7263001, size 0x1f2e3d4c.\n' > "$scratch/tree/README.md"
  printf '# Guide\n\n## Running it\n\nBack to the [README](../README.md) or [below](#running-it).\n\n```bash\nbin/tool --seed 7\n```\n' > "$scratch/tree/docs/guide.md"
  : > "$scratch/tree/docs/img/c.png"
}

fails=0
expect() { # expect PASS|FAIL FILE:LINE DESCRIPTION (the tree is already prepared)
  local want="$1" where="$2" what="$3" out rc=0
  out="$("$check" "$scratch/tree" 2>&1)" || rc=$?
  if [ "$want" = PASS ] && [ "$rc" -eq 0 ]; then echo "ok: $what"; return; fi
  if [ "$want" = FAIL ] && [ "$rc" -ne 0 ] && grep -q "^$where: " <<<"$out"; then echo "ok: $what"; return; fi
  echo "NOT OK: $what (exit $rc)"; echo "$out" | sed 's/^/    /'; fails=$((fails + 1))
}
plant() { # plant FILE LINE-TEXT: appends a line to a file of the clean tree
  clean; printf '%s\n' "$2" >> "$scratch/tree/$1"
}

clean;                                                         expect PASS ''                 "a clean page set passes"
plant README.md 'Measured in session 4 of the work.';          expect FAIL README.md:6        "a numbered session"
plant docs/guide.md 'This was fixed in the third work period.'; expect FAIL docs/guide.md:10  "a work period"
plant docs/guide.md 'As issue 4 asked, bytes are counted.';    expect FAIL docs/guide.md:10   "a numbered issue"
plant README.md 'Goal (b) is not met.';                        expect FAIL README.md:6        "a lettered goal"
plant README.md 'Run on commit 752d202, as before.';           expect FAIL README.md:6        "a short commit hash"
plant docs/guide.md 'Built from 6ca362f0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6.'; expect FAIL docs/guide.md:10 "a full commit hash"
plant README.md 'See [the spec](../shared/SPEC.md).';          expect FAIL README.md:6        "a relative link leaving the repository"
plant README.md 'See [the notes](docs/notes.md).';             expect FAIL README.md:6        "a relative link to a missing file"
plant README.md 'See [the guide](docs/guide.md#no-such-part).'; expect FAIL README.md:6       "a link to a missing heading"
plant docs/guide.md 'See [Akka](https://doc.akka.io/).';       expect FAIL docs/guide.md:10   "an http link"
plant docs/guide.md 'Docs live at https://example.org too.';   expect FAIL docs/guide.md:10   "a bare address"
plant docs/guide.md '[ref]: http://example.org/';              expect FAIL docs/guide.md:10   "a reference-style link"
plant docs/guide.md '```bash'; printf 'bin/tool\n``` Then it runs.\n```\n' >> "$scratch/tree/docs/guide.md"
                                                               expect FAIL docs/guide.md:12   "a closing fence with text after it"
plant docs/guide.md '```bash';                                 expect FAIL docs/guide.md:10   "a code block that never closes"
plant docs/guide.md '````markdown'; printf '```bash\nbin/tool\n``` text inside a longer fence\n````\n' >> "$scratch/tree/docs/guide.md"
                                                               expect PASS ''                 "fences inside a longer fence are its content"
plant docs/guide.md '~~~'; printf '```bash\n~~~\n' >> "$scratch/tree/docs/guide.md"
                                                               expect PASS ''                 "backtick fences inside a tilde block are its content"
clean; head -c 15001 /dev/zero | tr '\0' 'x' >> "$scratch/tree/README.md"
                                                               expect FAIL README.md:1        "a README over 15,000 characters"

if [ "$fails" -ne 0 ]; then echo "test-check-docs: $fails case(s) failed"; exit 1; fi
echo "test-check-docs: all cases passed"
