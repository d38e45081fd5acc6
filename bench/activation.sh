#!/usr/bin/env bash
# Extension activation in a real VS Code, for `npm run bench`: runs the extension-host suite's
# activation test alone in code-server (as `npm run test:e2e` does) and prints its figures.
# Needs what test/e2e/setup.sh installs (code-server and Chromium); skipped without them.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
code_server="${CODE_SERVER:-.cache/code-server/node_modules/.bin/code-server}"
chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$code_server" ] || [ ! -x "$chromium" ]; then
  echo "Extension activation: skipped (test/e2e/setup.sh installs code-server and Chromium)"
  exit 0
fi
# The build that ships in the .vsix (minified), and the suite.
node esbuild.mjs --production || exit 1
bash test/e2e/build-suite.sh || exit 1
if ! out=$(PERFLENS_E2E_GREP='activation figures' node_modules/.bin/tsx test/e2e/run-in-code-server.ts 2>&1); then
  echo "$out" >&2
  echo "Extension activation: the code-server run failed" >&2
  exit 1
fi
figures=$(grep -o '# activation: .*' <<<"$out" | head -1)
echo "Extension activation (production build, code-server = VS Code 1.100.3's extension host): ${figures#\# activation: }"
