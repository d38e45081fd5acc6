import type { Rule } from '../../server/src/engine/rule';
import { ts } from '../../server/src/typescript/compiler';
import { postsGraphqlQuery } from '../../server/src/typescript/graphql-requests';
import { HelperIoFinder } from '../../server/src/typescript/helper-io';
import type { WorkspaceModels } from '../../server/src/typescript/io-calls';
import { ormWrites } from '../../server/src/typescript/orm-calls';
import {
  databaseCall,
  drizzleWrites,
  kyselyWrites,
  isHttpCall,
  PRISMA_READ_OPERATIONS,
  prismaQuery,
  isScriptOrTestPath,
} from '../../server/src/typescript/knowledge';
import {
  calleeDisplay,
  chainText,
  unwrap,
  type TsCall,
  type TsLoop,
  type TsModel,
} from '../../server/src/typescript/model';
import {
  declarationOf,
  forEachDescendant,
  forEachOwnDescendant,
  isAssignment,
  isFunctionWithBody,
  isWithin,
} from '../../server/src/typescript/name-resolution';
import {
  callbackFunction,
  constantNumber,
  isClearTimerCall,
  isTimerCall,
  quoteCall,
  sleepDelay,
} from '../../server/src/typescript/timers';

type FunctionWithBody = ts.SignatureDeclaration & { body: ts.Node };

/** Requests that only ask for what changed: conditional requests and "since" cursors. */
const CHANGE_DETECTION =
  /If-None-Match|If-Modified-Since|\betag\b|\bsince\b|updatedAfter|updated_after|modifiedSince|changedSince|lastEventId|Last-Event-ID|\bcursor\b/i;

/** Intervals this long are scheduled refreshes, not polling (hourly config, daily rates). */
const SCHEDULED_REFRESH_MS = 10 * 60_000;

const WRITE_HTTP_METHODS = new Set(['post', 'put', 'patch', 'delete']);
const REDIS_READS =
  /^(?:get|mget|hget|hmget|hgetall|lrange|smembers|sismember|zrange|zrangebyscore|zscore|exists|ttl|xread|xrange|json\.get)$/i;

/** The HTTP method a `fetch(url, { method })` call states, lower-cased. */
function fetchMethod(call: TsCall): string | undefined {
  const options = call.args[1] && unwrap(call.args[1]);
  if (!options || !ts.isObjectLiteralExpression(options)) return undefined;
  for (const property of options.properties)
    if (
      ts.isPropertyAssignment(property) &&
      ts.isIdentifier(property.name) &&
      property.name.text === 'method' &&
      ts.isStringLiteralLike(property.initializer)
    )
      return property.initializer.text.toLowerCase();
  return undefined;
}

/** The SQL text of a query call's first argument, when it is written in place. */
function literalSql(call: TsCall): string | undefined {
  const first = call.args[0] && unwrap(call.args[0]);
  if (!first) return undefined;
  if (ts.isStringLiteralLike(first)) return first.text;
  if (ts.isTemplateExpression(first)) return first.head.text;
  return undefined;
}

/**
 * Whether `call` reads remote state: an HTTP request that is not a POST/PUT/PATCH/DELETE (or is a
 * POST of a GraphQL query), a Prisma read, a SQL `SELECT`, a Redis read. Periodic writes (cleanup
 * jobs, heartbeats, metric flushes) are scheduled work, not polling for changes.
 */
function readsRemoteState(model: TsModel, call: TsCall, models: WorkspaceModels): boolean {
  if (isHttpCall(model, call)) {
    const method = WRITE_HTTP_METHODS.has(call.name) ? call.name : fetchMethod(call);
    if (method === 'post' && postsGraphqlQuery(call)) return true;
    return !method || !WRITE_HTTP_METHODS.has(method);
  }
  const database = databaseCall(model, call, models);
  // A model class imported from another file (or extending one there): the index knows it.
  if (!database) return !!models.modelQuery(call) && !ormWrites(call.name);
  if (database === 'prisma') {
    const query = prismaQuery(model, call, models)!;
    return PRISMA_READ_OPERATIONS.has(query.operation) || query.operation.startsWith('$queryRaw');
  }
  if (database === 'redis') return REDIS_READS.test(call.name);
  if (database === 'orm') return !ormWrites(call.name);
  if (database === 'drizzle') return !drizzleWrites(call);
  if (database === 'kysely') return !kyselyWrites(call);
  if (database === 'knex') return !/\.(?:insert|update|del|delete|upsert)\(\)/.test(call.callee);
  const sql = call.isTaggedTemplate
    ? (call.node as ts.TaggedTemplateExpression).template.getText()
    : literalSql(call);
  return sql === undefined || /^[\s`'"(]*(?:select|with)\b/i.test(sql);
}

/** Functions in this file a call runs: `load()`, `this.refresh()`, `void poll()`. */
function calledFunction(model: TsModel, call: TsCall): FunctionWithBody | undefined {
  if (call.isNew || call.isTaggedTemplate) return undefined;
  const target = unwrap((call.node as ts.CallExpression).expression);
  if (ts.isIdentifier(target)) return callbackFunction(target);
  if (
    ts.isPropertyAccessExpression(target) &&
    target.expression.kind === ts.SyntaxKind.ThisKeyword
  ) {
    const className = call.fn?.className ?? call.fn?.parent?.className;
    const method = model.functions.find(
      (fn) => fn.className === className && fn.name === target.name.text && !!className,
    );
    return method && isFunctionWithBody(method.node) ? method.node : undefined;
  }
  return undefined;
}

/** The first call under `root` that reads remote state, also through functions of this file it calls. */
function remoteRead(
  model: TsModel,
  models: WorkspaceModels,
  root: ts.Node,
  seen: Set<ts.Node> = new Set(),
  depth = 0,
): { read: TsCall; texts: string[] } | undefined {
  if (depth > 3 || seen.has(root)) return undefined;
  seen.add(root);
  const inside = model.calls.filter((call) => call.start >= root.pos && call.end <= root.end);
  const texts = [root.getText(model.sourceFile)];
  const direct = inside.find((call) => readsRemoteState(model, call, models));
  if (direct) return { read: direct, texts };
  for (const call of inside) {
    const callee = calledFunction(model, call);
    const found = callee && remoteRead(model, models, callee, seen, depth + 1);
    if (found) return { read: found.read, texts: [...texts, ...found.texts] };
  }
  return undefined;
}

/** `5000` → `5 s`, `500` → `500 ms`; other delays are quoted as written. */
function describeDelay(delay: ts.Expression | undefined, sourceFile: ts.SourceFile): string {
  const ms = constantNumber(delay);
  if (ms === undefined) return delay ? `\`${delay.getText(sourceFile)}\`` : 'a fixed delay';
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}

const ADVICE =
  'back off while nothing changes, ask only for changes (`If-None-Match`, a `since` cursor), or ' +
  'have the server push them (SSE, WebSocket, LISTEN/NOTIFY, a queue)';

/** `setInterval(cb, ms)` whose callback reads remote state and never stops itself. */
function checkInterval(model: TsModel, models: WorkspaceModels, call: TsCall): string | undefined {
  const callback = call.args[0] && callbackFunction(call.args[0]);
  if (!callback) return undefined;
  const delay = call.args[1];
  const ms = constantNumber(delay);
  if (ms !== undefined && ms >= SCHEDULED_REFRESH_MS) return undefined;
  const found = remoteRead(model, models, callback);
  if (!found || found.texts.some((text) => CHANGE_DETECTION.test(text))) return undefined;
  // A callback that clears its own interval stops once it has what it waited for.
  if (model.calls.some((other) => isClearTimerCall(other) && isWithin(other.node, callback)))
    return undefined;
  return (
    `\`${quoteCall(model.sourceFile, call.node as ts.CallExpression)}\` calls ` +
    `\`${calleeDisplay(found.read, 60)}(...)\` every ${describeDelay(delay, model.sourceFile)}, whether or not ` +
    `anything changed: fixed-rate polling multiplies with every open tab or instance; ${ADVICE}`
  );
}

/** `while (true)`, `for (;;)`, `do ... while (true)`: a loop whose condition never ends it. */
function hasConstantCondition(loop: TsLoop): boolean {
  const node = loop.node;
  const condition = ts.isForStatement(node)
    ? node.condition
    : ts.isWhileStatement(node) || ts.isDoStatement(node)
      ? node.expression
      : null;
  if (condition === null) return false;
  if (condition === undefined) return true;
  const inner = unwrap(condition);
  return (
    inner.kind === ts.SyntaxKind.TrueKeyword || (ts.isNumericLiteral(inner) && inner.text !== '0')
  );
}

/** Whether the loop body can leave the loop: a `return`, or a `break` that targets it. */
function canExit(loop: TsLoop): boolean {
  let exits = false;
  const walk = (node: ts.Node, nestedBreakable: boolean): void => {
    ts.forEachChild(node, (child) => {
      if (exits || isFunctionWithBody(child)) return;
      if (ts.isReturnStatement(child)) exits = true;
      else if (ts.isBreakStatement(child) && (!nestedBreakable || child.label)) exits = true;
      else
        walk(
          child,
          nestedBreakable || ts.isIterationStatement(child, false) || ts.isSwitchStatement(child),
        );
    });
  };
  walk(loop.body, false);
  return exits;
}

/** Names assigned anywhere in a function (`delay *= 2`, `wait = next`, `attempt++`). */
function assignedNames(fn: ts.Node): Set<string> {
  const names = new Set<string>();
  forEachDescendant(fn, (node) => {
    if (isAssignment(node) && ts.isIdentifier(unwrap(node.left)))
      names.add((unwrap(node.left) as ts.Identifier).text);
    if (
      (ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) &&
      (node.operator === ts.SyntaxKind.PlusPlusToken ||
        node.operator === ts.SyntaxKind.MinusMinusToken) &&
      ts.isIdentifier(node.operand)
    )
      names.add(node.operand.text);
  });
  return names;
}

/** Whether a sleep delay stays the same every time round: no reassigned name, no call but `Math.random()`. */
function isFixedDelay(delay: ts.Expression, assigned: Set<string>): boolean {
  let fixed = true;
  const check = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && chainText(node.expression) !== 'Math.random') fixed = false;
    if (ts.isIdentifier(node) && assigned.has(node.text) && declarationOf(node)) fixed = false;
  };
  check(delay);
  forEachDescendant(delay, check);
  return fixed;
}

/** The fixed sleep awaited in the loop body, if there is one. */
function fixedSleep(model: TsModel, loop: TsLoop): ts.Expression | undefined {
  const assigned = assignedNames(loop.fn!.node);
  let sleep: ts.Expression | undefined;
  let backoff = false;
  forEachOwnDescendant(loop.body, (node) => {
    if (!ts.isAwaitExpression(node)) return;
    const delay = sleepDelay(model, node.expression);
    if (!delay) return;
    if (isFixedDelay(delay, assigned)) sleep ??= delay;
    else backoff = true;
  });
  return backoff ? undefined : sleep;
}

/** `while (true) { await poll(); await sleep(ms) }` in an async function, with nothing to end or slow it. */
function checkLoop(model: TsModel, models: WorkspaceModels, loop: TsLoop): string | undefined {
  if (!loop.fn?.isAsync || !['while', 'do', 'for'].includes(loop.kind)) return undefined;
  if (!hasConstantCondition(loop) || canExit(loop)) return undefined;
  const delay = fixedSleep(model, loop);
  if (!delay) return undefined;
  const ms = constantNumber(delay);
  if (ms !== undefined && ms >= SCHEDULED_REFRESH_MS) return undefined;
  const found = remoteRead(model, models, loop.body);
  if (!found || found.texts.some((text) => CHANGE_DETECTION.test(text))) return undefined;
  const header = model.text
    .slice(loop.node.getStart(model.sourceFile), loop.body.getStart(model.sourceFile))
    .trim()
    .replace(/\s+/g, ' ');
  return (
    `\`${header || 'do'}\` calls \`${calleeDisplay(found.read, 60)}(...)\` then sleeps ` +
    `${describeDelay(delay, model.sourceFile)} forever, whether or not anything changed: no backoff, ` +
    `no stop condition; ${ADVICE}`
  );
}

/** Polling at a fixed interval: `setInterval` or a `while (true)` sleep loop around a remote read. */
export const fixedIntervalPolling: Rule = {
  meta: {
    id: 'fixed-interval-polling',
    language: 'typescript',
    category: 'polling',
    severity: 'info',
    summary:
      '`setInterval(load, 5000)` or `while (true) { await poll(); await sleep(ms) }` polling a server or database at a fixed rate',
    docs: {
      whatItDoes:
        'Finds `setInterval(...)` whose callback (inline, or a function of this file it names or calls) ' +
        'reads remote state over HTTP (`fetch`, axios, got, ky) or from a database (Prisma reads; ORM ' +
        'reads through a typed TypeORM repository or one a data source hands out ' +
        '(`ds.getRepository(Job).find()`), or through a Sequelize model declared in the file or ' +
        'imported from another (`await Post.findAll(...)`); SQL `SELECT`; Redis reads), and ' +
        '`while (true)` / `for (;;)` loops in async functions that do such a ' +
        'read and then `await sleep(ms)` (or `new Promise((r) => setTimeout(r, ms))`, `timers/promises`) ' +
        'with a delay that never changes, no `break`/`return`, and no change detection in the request. ' +
        'React intervals started in a `useEffect` are reported even when the effect clears them: clearing ' +
        'on unmount is correct, but the component still polls while mounted. It is an info.',
      whyIsThisBad:
        'Fixed-rate polling does the same work whether or not anything changed, and it multiplies: every ' +
        'open browser tab, every worker instance polls on its own. A dashboard polling every 5 s in 2,000 ' +
        'tabs is 400 requests a second of mostly identical answers, each a database query; when the ' +
        'server slows down, the pollers keep the same pace and make it worse. Changes still arrive up to ' +
        'one interval late.',
      example: [
        'export function OrderStatus({ id }: { id: string }) {',
        '  const [order, setOrder] = useState<Order>();',
        '  useEffect(() => {',
        '    const load = () => fetch(`/api/orders/${id}`).then((r) => r.json()).then(setOrder);',
        '    const timer = setInterval(load, 5000);',
        '    return () => clearInterval(timer);',
        '  }, [id]);',
        '  return <Status order={order} />;',
        '}',
      ].join('\n'),
      useInstead: [
        'export function OrderStatus({ id }: { id: string }) {',
        '  const [order, setOrder] = useState<Order>();',
        '  useEffect(() => {',
        '    const events = new EventSource(`/api/orders/${id}/events`);',
        '    events.onmessage = (e) => setOrder(JSON.parse(e.data));',
        '    return () => events.close();',
        '  }, [id]);',
        '  return <Status order={order} />;',
        '}',
      ].join('\n'),
      notFlagged: [
        'Tests and scripts (`*.test.ts`, `test/`, `scripts/`, `bin/`): a deploy script that polls a status ' +
          'runs once.',
        'Intervals and loops whose work is not a remote read: clocks, animations, in-memory work, and ' +
          'periodic writes (cleanup `deleteMany`, metric flushes, heartbeat `POST`s), which are scheduled ' +
          'jobs rather than polling for changes. A GraphQL `POST` is a read when it sends a `query` ' +
          "written in place (`{ query: '{ orders { id } }' }`), a write when it sends a `mutation`.",
        'Loops with backoff (the delay is a variable the function reassigns: `delay *= 2`, ' +
          '`delay = Math.min(delay * 2, max)`) or a computed delay.',
        'Loops with a stop condition: a condition other than `true` (`while (!stopped)`, ' +
          '`while (Date.now() < deadline)`) or a `break`/`return` in the body; intervals whose callback ' +
          'clears itself once done (`if (job.done) clearInterval(id)`).',
        'Polling with change detection: requests that send `If-None-Match`/`If-Modified-Since` or an ' +
          'ETag, or ask for changes `since`/`updatedAfter` a cursor.',
        'Scheduled refreshes every 10 minutes or more (`setInterval(refreshRates, 60 * 60_000)`).',
        'Finders of classes that are no ORM model: a class with a static `findAll` over an ' +
          'in-memory `Map` is not a Sequelize model unless it extends `Model`, in its file or ' +
          'through bases in others.',
        '`for await` over streams and loops in non-async functions.',
      ],
    },
  },
  check(ctx) {
    const model = ctx.typescript;
    if (!model || isScriptOrTestPath(ctx.relativePath)) return;
    // Reads the index only for Sequelize-named calls on a class the file does not declare a model.
    const models = new HelperIoFinder(() => ctx.index, model);
    for (const call of model.calls) {
      if (!isTimerCall(model, call, 'setInterval')) continue;
      const message = checkInterval(model, models, call);
      if (message) ctx.report({ start: call.start, end: call.end, message });
    }
    for (const loop of model.loops) {
      const message = checkLoop(model, models, loop);
      if (!message) continue;
      const start = loop.node.getStart(model.sourceFile);
      const header = model.text.slice(start, loop.body.getStart(model.sourceFile)).trimEnd();
      ctx.report({ start, end: start + Math.max(header.length, 1), message });
    }
  },
};
