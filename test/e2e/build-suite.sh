#!/usr/bin/env bash
# Bundles the extension-host suite (test/e2e/suite) into one CommonJS file in the temp folder, where
# test/e2e/harness.ts expects it: the tests are bundled in; vscode (the extension host provides it)
# and mocha (from ./node_modules) stay out. Used by run.sh and bench/activation.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
node_modules/.bin/esbuild test/e2e/suite/index.ts --bundle --platform=node --format=cjs --target=node20 \
  --external:vscode --external:mocha --sourcemap --log-level=warning \
  --outfile="$(node -p 'require("os").tmpdir()')/perflens-e2e-suite/index.js"
