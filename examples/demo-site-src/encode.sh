#!/usr/bin/env bash
# Regenerates the two legacy-encoded demo pages from their UTF-8 masters.
#   examples/demo-site-src/1071-xiangya-shouzhuo.utf8.html -> GBK
#   examples/demo-site-src/1078-zouge-hanbai.utf8.html     -> Shift_JIS
# The masters only use characters that GBK/Shift_JIS round-trip exactly
# (no wave dash, no dashes, no yen sign, no full-width tilde); the check
# below fails if that ever stops being true.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/../demo-site/listings"

iconv -f UTF-8 -t GBK "$here/1071-xiangya-shouzhuo.utf8.html" >"$out/1071-xiangya-shouzhuo.html"
iconv -f UTF-8 -t SHIFT_JIS "$here/1078-zouge-hanbai.utf8.html" >"$out/1078-zouge-hanbai.html"

# Round-trip check; GBK vs GB18030 and Shift_JIS vs CP932 must decode identically,
# which rules out the code points whose mapping differs between decoders.
python3 - "$here" "$out" <<'PY'
import sys, pathlib
src, out = map(pathlib.Path, sys.argv[1:])
for name, codecs in [("1071-xiangya-shouzhuo", ("gbk", "gb18030")),
                     ("1078-zouge-hanbai", ("shift_jis", "cp932"))]:
    master = (src / f"{name}.utf8.html").read_text(encoding="utf-8")
    raw = (out / f"{name}.html").read_bytes()
    decoded = [raw.decode(c) for c in codecs]
    assert all(d == master for d in decoded), f"{name}: does not round-trip"
    print(f"{name}.html: {len(raw)} bytes, {codecs[0]} round-trip ok")
PY
