/**
 * The language server's entry when VS Code starts it: runs `server.js` compiled from V8's code
 * cache (see code-cache.ts) instead of compiling the 1 MB bundle at every start. `server.js`
 * stays the entry for anything that starts it directly.
 */
import * as path from 'node:path';
import { requireWithCodeCache } from '../runtime/code-cache';

const server = requireWithCodeCache(path.join(__dirname, 'server.js')) as { startServer(): void };
server.startServer();
