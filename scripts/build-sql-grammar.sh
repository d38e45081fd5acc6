#!/usr/bin/env bash
# Rebuilds server/grammars/tree-sitter-sql.wasm from @derekstride/tree-sitter-sql's generated parser.
# No npm package ships this grammar as WASM, and the package's install script downloads a binary,
# so the wasm is built here with Debian's emscripten (apt-get install emscripten) and committed.
set -euo pipefail
version=0.3.11
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
command -v emcc >/dev/null || { echo "emcc not found: apt-get install emscripten" >&2; exit 2; }
(cd "$work" && npm pack --silent "@derekstride/tree-sitter-sql@$version" >/dev/null && tar xzf ./*.tgz)
cd "$work/package"
emcc -o "$root/server/grammars/tree-sitter-sql.wasm" -Os -fno-exceptions -fvisibility=hidden \
  -s WASM=1 -s SIDE_MODULE=2 -s EXPORTED_FUNCTIONS='["_tree_sitter_sql"]' \
  -I src src/parser.c src/scanner.c
echo "built server/grammars/tree-sitter-sql.wasm from @derekstride/tree-sitter-sql@$version"
