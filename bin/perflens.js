#!/usr/bin/env node
'use strict';
// The CLI is bundled into dist/ by `npm run build` (run automatically by `npm install`/`npm ci`),
// and runs compiled from V8's code cache when there is one (server/src/runtime/code-cache.ts).
const path = require('node:path');
const { requireWithCodeCache } = require('../dist/code-cache.js');
requireWithCodeCache(path.join(__dirname, '..', 'dist', 'cli.js')).run();
