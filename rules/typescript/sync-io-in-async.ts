import type { Rule } from '../../server/src/engine/rule';
import type { IndexedFunction } from '../../server/src/workspace/index';
import {
  callableFromOtherFiles,
  findEntry,
  handlerLabel,
  handlesRequests,
  isMemoised,
  type EntryPath,
} from '../../server/src/typescript/call-paths';
import {
  blockingCall,
  isScriptOrTestPath,
  type BlockingKind,
} from '../../server/src/typescript/knowledge';
import type { TsFunction, TsModel } from '../../server/src/typescript/model';
import { WorkspaceCallers } from '../../server/src/typescript/workspace-callers';

/** `fs.existsSync` has no promise twin: `access` (which throws when missing) is the async check. */
const FS_ALTERNATIVES: Record<string, string> = { existsSync: 'access', cpSync: 'cp' };

/** The non-blocking call to suggest for a blocking one. */
function alternative(kind: BlockingKind, name: string): string {
  const base = name.replace(/Sync$/, '');
  switch (kind) {
    case 'fs':
      return `\`await fs.promises.${FS_ALTERNATIVES[name] ?? base}()\` (from \`node:fs/promises\`)`;
    case 'process':
      return base === 'spawn'
        ? '`spawn()` and listen for `close`'
        : `\`await promisify(${base})()\` (from \`node:util\`), or \`spawn()\``;
    case 'zlib':
      return `\`await promisify(zlib.${base})()\` or a stream (\`zlib.create${base.charAt(0).toUpperCase()}${base.slice(1)}()\`)`;
    case 'crypto':
      return `\`await promisify(crypto.${base})()\`, which runs on the libuv thread pool`;
  }
}

/** A CLI: a `#!/usr/bin/env node` file runs once per invocation, not on a server's event loop. */
function isCommandLineScript(model: TsModel): boolean {
  return model.text.startsWith('#!');
}

function describe(path: EntryPath, model: TsModel): string {
  if (path.beyond) {
    const via = path.chain.map((fn) => `\`${fn.name}()\``);
    return `in ${via.join(' → ')}, called from ${path.beyond}`;
  }
  const entry = path.entry;
  const label = handlerLabel(entry);
  const what = handlesRequests(model, entry)
    ? label
      ? `request handler \`${label}\``
      : 'a request handler'
    : `async \`${entry.name || 'function'}()\``;
  if (path.chain.length === 1) return `inside ${what}`;
  const via = path.chain.slice(1).map((fn) => `\`${fn.name}()\``);
  return `in ${via.join(' → ')}, called from ${what}`;
}

/**
 * The entry in another file that runs a helper, for the message: `async \`validateKey()\` in
 * src/auth.ts`, `request handler \`list\` in src/items.controller.ts via \`load()\``.
 */
function describeCaller(chain: IndexedFunction[], relative: (file: string) => string): string {
  const [entry, ...rest] = chain;
  const what = entry.fn.isRouteHandler
    ? `request handler \`${entry.fn.name}\``
    : `async \`${entry.fn.name}()\``;
  const via = rest.slice(0, -1).map((step) => `\`${step.fn.name}()\``);
  return `${what} in ${relative(entry.file)}${via.length > 0 ? ` via ${via.join(' → ')}` : ''}`;
}

/** Synchronous file, process, zlib or crypto calls on the event loop of a server. */
export const syncIoInAsync: Rule = {
  meta: {
    id: 'sync-io-in-async',
    language: 'typescript',
    category: 'blocking-in-async',
    severity: 'warning',
    summary:
      'Blocking `fs.*Sync`, `execSync`, `zlib.*Sync` or `crypto.pbkdf2Sync` inside an async function or request handler',
    docs: {
      whatItDoes:
        'Finds synchronous calls that block the event loop (`fs.readFileSync`, `writeFileSync`, ' +
        '`existsSync`, `readdirSync`, `statSync` and the other `fs` `*Sync` calls, `execSync`, ' +
        '`spawnSync`, `execFileSync`, `zlib.gzipSync` and friends, `crypto.pbkdf2Sync`, `scryptSync`, ' +
        '`generateKeyPairSync`) inside `async` functions, inside request handlers (Express, Fastify, ' +
        'Next.js, NestJS, tRPC, GraphQL resolvers; async or not), in functions of the same file ' +
        'those call, and in exported functions or public methods of exported classes that an async ' +
        'function or request handler in another file calls (through up to four calls, followed with ' +
        'the workspace index: an API-key check `compareKeys()` in `utils/` that an async middleware ' +
        'calls, a store a NestJS controller has injected, or a function a Next.js `route.ts` ' +
        "exports wrapped, `export const GET = withAuth(renderBadge)`, or from another module: `export { GET } from '@/lib/badge'`).",
      whyIsThisBad:
        'Node runs every request on one thread. While `readFileSync` waits for the disk, `execSync` ' +
        'for a child process or `pbkdf2Sync` hashes a password, no other request makes progress: one ' +
        'slow call adds its whole duration to the latency of every request in flight. The async ' +
        'versions hand the work to the libuv thread pool or the OS and let the loop keep serving.',
      example: [
        "app.get('/invoices/:id/pdf', async (req, res) => {",
        '  const template = fs.readFileSync(`templates/${req.query.locale}.html`, "utf8");',
        '  const pdf = await renderPdf(template, await loadInvoice(req.params.id));',
        '  res.type("pdf").send(pdf);',
        '});',
      ].join('\n'),
      useInstead: [
        "import { readFile } from 'node:fs/promises';",
        '',
        "app.get('/invoices/:id/pdf', async (req, res) => {",
        '  const template = await readFile(`templates/${req.query.locale}.html`, "utf8");',
        '  const pdf = await renderPdf(template, await loadInvoice(req.params.id));',
        '  res.type("pdf").send(pdf);',
        '});',
      ].join('\n'),
      notFlagged: [
        'Module top level and startup code: `main()`, `bootstrap()`, `start()`/`restartServer()`, ' +
          "config loaders (`loadConfig`, `resolveConfig`, `loadDotenv`, `findConfigFile`) and loaders of a tool's " +
          'formatters, plugins and presets (`loadFormatter`, `loadPlugins`), `onModuleInit`, top-level IIFEs, ' +
          '`app.listen`/`fastify.register` callbacks, functions the file calls only from its top level, and ' +
          'Next.js build-time functions (`getStaticProps`, `getStaticPaths`, `generateStaticParams`). ' +
          'Reading config or certificates once at startup is fine.',
        'Plain synchronous functions no async function or handler calls, in the same file or in ' +
          'another one. Calls from other files do not count when they are in tests or scripts, in ' +
          'startup code (`async function bootstrap()`, `onModuleInit()`), or memoised ' +
          '(`this.entries ??= store.readAll()`).',
        'Memoised reads: the result goes to an outer variable or a property (`cached ??= readFileSync(...)`, ' +
          '`if (!template) template = readFileSync(...)`), so it blocks once, not per call; and keyed ' +
          'caches filled on a tested miss, once per key (`if (!cache.has(k)) cache.set(k, readFileSync(...))`, ' +
          'or a local from `cache.get(k)` read and stored with `cache.set(k, t)` / `cache[k] = t`) when the ' +
          'cache outlives the call (module level or `this`). The same for ' +
          'lazy initialisation: a function whose every caller in the file keeps its result ' +
          '(`ready ??= loadAll()`) runs once, with the functions it calls.',
        'CLI scripts, tests and build config: `bin/`, `cli/`, `cli.ts`/`cli.js`, `scripts/`, files starting with `#!`, `*.test.ts`, ' +
          '`__tests__/`, `vite.config.ts` and other `*.config.*` files, `gulpfile.js`/`Gruntfile.js`, seeds ' +
          'and migrations. A monorepo package named `cli` (`packages/cli/`) is checked like any package.',
        '`crypto.randomBytes`, `randomUUID` and other fast synchronous calls: only the calls listed above ' +
          'are known to block for long.',
      ],
    },
  },
  check(ctx) {
    const model = ctx.typescript;
    if (!model || isScriptOrTestPath(ctx.relativePath) || isCommandLineScript(model)) return;
    const root = ctx.file.slice(0, ctx.file.length - ctx.relativePath.length);
    const relative = (file: string): string =>
      file.startsWith(root) ? file.slice(root.length) : file;
    let callers: WorkspaceCallers | undefined;
    const search = {
      isEntry: (fn: TsFunction) => fn.isAsync || handlesRequests(model, fn),
      // A helper other files call: an async function or a handler there runs it on the loop.
      beyondFile: (fn: TsFunction): string | undefined => {
        if (!callableFromOtherFiles(model, fn)) return undefined;
        callers ??= new WorkspaceCallers(ctx.index);
        const path = callers.entryReaching(ctx.file, fn.start, {
          isEntry: ({ fn: caller }) => caller.isAsync || caller.isRouteHandler,
          excluded: ({ file }) => isScriptOrTestPath(relative(file)),
        });
        return path && describeCaller(path.chain, relative);
      },
    };
    for (const call of model.calls) {
      const kind = blockingCall(model, call);
      if (!kind || !call.fn || isMemoised(call)) continue;
      const path = findEntry(model, call.fn, search);
      if (!path) continue;
      ctx.report({
        start: call.start,
        end: call.end,
        message:
          `\`${call.callee}()\` blocks the event loop ${describe(path, model)}: every concurrent ` +
          `request waits for it; use ${alternative(kind, call.name)}`,
      });
    }
  },
};
