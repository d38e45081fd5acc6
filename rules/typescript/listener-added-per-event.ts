import type { Rule } from '../../server/src/engine/rule';
import { ts } from '../../server/src/typescript/compiler';
import { isScriptOrTestPath } from '../../server/src/typescript/knowledge';
import {
  eventNameOf,
  isListenerRegistration,
  isListenerRemoval,
  perEvent,
  receiverName,
  receiverRoot,
  type PerEvent,
} from '../../server/src/typescript/listeners';
import {
  chainText,
  enclosingFunctions,
  semanticParent,
  unwrap,
  type TsCall,
  type TsFunction,
  type TsModel,
} from '../../server/src/typescript/model';
import { declarationOf, isWithin } from '../../server/src/typescript/name-resolution';
import { booleanPropertyValue, findProperty } from '../../server/src/typescript/object-literals';
import { effectHookOf } from '../../server/src/typescript/timers';

/** Objects that live as long as the process or the page. */
const GLOBAL_EMITTERS = new Set([
  'process',
  'window',
  'document',
  'globalThis',
  'self',
  'navigator',
  'visualViewport',
]);
const MEMO_HOOKS = /^(?:React\.)?(?:useCallback|useMemo)$/;
const EVENTS_MODULES = new Set(['events', 'node:events']);

/** What removes a listener added with `method`. */
const REMOVAL_OF: Record<string, string> = {
  addEventListener: 'removeEventListener',
  subscribe: 'unsubscribe',
  on: 'off',
  addListener: 'removeListener',
  prependListener: 'removeListener',
};

/** `addEventListener(type, fn, { once: true })` or `{ signal }`: removed by the platform. */
function removedByOptions(call: TsCall): boolean {
  const options = call.args[2] && unwrap(call.args[2]);
  if (!options || !ts.isObjectLiteralExpression(options)) return false;
  return !!findProperty(options, 'signal') || booleanPropertyValue(options, 'once') === true;
}

/** Whether the registration's result is kept: an unsubscribe function or subscription to call later. */
function resultIsKept(call: TsCall): boolean {
  let parent = semanticParent(call.node);
  // `await sub.subscribe(...)` / `void bus.on(...)` as a statement drop the result too.
  while (parent && (ts.isAwaitExpression(parent) || ts.isVoidExpression(parent)))
    parent = semanticParent(parent);
  return !!parent && !ts.isExpressionStatement(parent);
}

/** The first enclosing function that runs once per event, and why. */
function perEventScope(
  model: TsModel,
  call: TsCall,
): { fn: TsFunction; reason: PerEvent } | undefined {
  for (const fn of enclosingFunctions(call.fn)) {
    const reason = perEvent(model, fn);
    if (reason) return { fn, reason };
    // An effect with cleanup, or a memoised callback, does not run once per render of its component.
    if (effectHookOf(fn) || MEMO_HOOKS.test(fn.callbackOf?.callee ?? '')) return undefined;
  }
  return undefined;
}

/**
 * How the emitter outlives the per-event function, in words, or undefined when it is created or
 * received per event (declared inside the function: a parameter such as `ws`, `req`, `socket`).
 */
function outlives(
  model: TsModel,
  call: TsCall,
  scope: { fn: TsFunction; reason: PerEvent },
): string | undefined {
  const root = call.receiver && receiverRoot(call.receiver);
  if (!root) return undefined; // `this.x`, `getEmitter().on`: not followed
  const declaration = declarationOf(root);
  if (!declaration) return GLOBAL_EMITTERS.has(root.text) ? 'global' : undefined;
  if (isWithin(declaration, scope.fn.node))
    return handlesRequests(scope) && isRequestConnection(call.receiver!, declaration, scope.fn)
      ? 'connection'
      : undefined;
  const holder = declaration.parent;
  const isModuleBinding =
    ts.isImportSpecifier(holder) ||
    ts.isImportClause(holder) ||
    ts.isNamespaceImport(holder) ||
    model.moduleVariables.get(root.text)?.name === declaration;
  if (!isModuleBinding) return 'outer';
  const imported = model.imports.get(root.text);
  return imported && EVENTS_MODULES.has(imported.module) ? undefined : 'module';
}

/** A request handler, or a listener of a Node server's `request` event. */
function handlesRequests(scope: { fn: TsFunction; reason: PerEvent }): boolean {
  const registration = scope.fn.callbackOf;
  return (
    scope.reason.kind === 'request' ||
    (scope.reason.kind === 'listener' && !!registration && eventNameOf(registration) === 'request')
  );
}

/** The members of a request or response that name its connection (`request.raw.socket` in Fastify). */
const CONNECTION_PATH = /^(?:raw\.)?(?:socket|connection)$/;

/**
 * Whether `receiver` is the connection of the request a handler is given (`req.socket`,
 * `req.connection`, `res.socket`, Fastify's `request.raw.socket`): a keep-alive connection serves
 * many requests, so what each request adds to it piles up until the client goes away.
 */
function isRequestConnection(
  receiver: ts.Expression,
  declaration: ts.Node,
  handler: TsFunction,
): boolean {
  const holder = declaration.parent;
  // `const socket = req.socket; socket.on(...)`.
  if (
    ts.isIdentifier(unwrap(receiver)) &&
    ts.isVariableDeclaration(holder) &&
    holder.initializer &&
    ts.isVariableDeclarationList(holder.parent) &&
    holder.parent.flags & ts.NodeFlags.Const
  ) {
    const root = receiverRoot(holder.initializer);
    const origin = root && declarationOf(root);
    return !!origin && isHandlerConnection(holder.initializer, origin, handler);
  }
  return isHandlerConnection(receiver, declaration, handler);
}

/** `<param>.socket` (and the others of `CONNECTION_PATH`) of a parameter of `handler`. */
function isHandlerConnection(
  receiver: ts.Expression,
  declaration: ts.Node,
  handler: TsFunction,
): boolean {
  const parameter = declaration.parent;
  if (!ts.isParameter(parameter) || parameter.parent !== handler.node) return false;
  const path = chainText(receiver).split('.').slice(1).join('.');
  return CONNECTION_PATH.test(path);
}

/** `x` of a `!x` / `x === false` / `x == null` test, as written. */
function negatedFlag(condition: ts.Expression): string | undefined {
  const inner = unwrap(condition);
  if (ts.isPrefixUnaryExpression(inner) && inner.operator === ts.SyntaxKind.ExclamationToken)
    return unwrap(inner.operand).getText();
  if (
    ts.isBinaryExpression(inner) &&
    [ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.EqualsEqualsToken].includes(
      inner.operatorToken.kind,
    ) &&
    [
      ts.SyntaxKind.FalseKeyword,
      ts.SyntaxKind.NullKeyword,
      ts.SyntaxKind.UndefinedKeyword,
    ].includes(unwrap(inner.right).kind)
  )
    return unwrap(inner.left).getText();
  return undefined;
}

/** Whether `statement` sets `flag` (`flag = true`, `this.subscribed = true`). */
function setsFlag(statement: ts.Statement, flag: string): boolean {
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found || ts.isFunctionLike(node)) return;
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      unwrap(node.left).getText() === flag
    )
      found = true;
    else ts.forEachChild(node, visit);
  };
  visit(statement);
  return found;
}

/**
 * A registration guarded to run once: `if (!this.isInitialConnection) { this.isInitialConnection =
 * true; client.on('message', ...) }` (NestJS's MQTT client, on every reconnect).
 */
function guardedToRunOnce(call: TsCall, scope: TsFunction): boolean {
  for (let node: ts.Node = call.node; node.parent && node !== scope.node; node = node.parent) {
    const parent = node.parent;
    if (!ts.isIfStatement(parent) || parent.thenStatement !== node) continue;
    const flag = negatedFlag(parent.expression);
    if (flag && setsFlag(parent.thenStatement, flag)) return true;
  }
  return false;
}

/** Whether the same scope (or the file, for the same listener) removes the listener again. */
function isRemoved(model: TsModel, call: TsCall, scope: TsFunction): boolean {
  const receiver = receiverName(call);
  const listener = call.args[1] && unwrap(call.args[1]);
  const listenerName = listener && ts.isIdentifier(listener) ? listener.text : undefined;
  return model.calls.some((other) => {
    if (!isListenerRemoval(other) || receiverName(other) !== receiver) return false;
    if (other.start >= scope.start && other.end <= scope.end) return true;
    const removed = other.args[1] && unwrap(other.args[1]);
    return !!listenerName && !!removed && ts.isIdentifier(removed) && removed.text === listenerName;
  });
}

/** The reported range: the callee and the event name (`bus.on('order'`), not the whole callback. */
function reportRange(model: TsModel, call: TsCall): { start: number; end: number } {
  const node = call.node as ts.CallExpression;
  const [first] = call.args;
  const end = first && ts.isStringLiteralLike(first) ? first.end : node.expression.end;
  return { start: call.start, end: Math.min(end, call.end) };
}

function message(call: TsCall, reason: PerEvent, lifetime: string): string {
  const receiver = receiverName(call);
  const [first] = call.args;
  const event = first && ts.isStringLiteralLike(first) ? `'${first.text}'` : '...';
  const quoted = `\`${receiver}.${call.name}(${event}, ...)\``;
  const owner =
    lifetime === 'global'
      ? `\`${receiver}\` lives as long as the ${receiver === 'process' ? 'process' : 'page'}`
      : lifetime === 'module'
        ? `\`${receiver}\` is shared by the whole module`
        : lifetime === 'connection'
          ? `\`${receiver}\` is the connection, which keep-alive reuses for many requests`
          : `\`${receiver}\` outlives the callback`;
  const removal = REMOVAL_OF[call.name] ?? 'off';
  const advice =
    lifetime === 'connection'
      ? `listen on the request or response instead (\`res.on('close', ...)\`), or call \`${receiver}.${removal}\` when the response finishes`
      : reason.kind === 'effect'
        ? `return a cleanup that calls \`${receiver}.${removal}\``
        : reason.kind === 'render'
          ? `register it in a \`useEffect\` whose cleanup calls \`${receiver}.${removal}\``
          : `register it once outside, use \`.once\`, or call \`${receiver}.${removal}\` when done`;
  return (
    `${quoted} adds a listener on ${reason.description} and never removes it: ${owner}, so ` +
    'listeners pile up (each keeps its closure alive, and every event runs all of them); ' +
    advice
  );
}

/** Listeners added to a long-lived emitter from code that runs once per event. */
export const listenerAddedPerEvent: Rule = {
  meta: {
    id: 'listener-added-per-event',
    language: 'typescript',
    category: 'memory-leak',
    severity: 'warning',
    summary:
      '`.on(...)`/`addEventListener(...)`/`.subscribe(...)` on a long-lived emitter inside a handler that runs per event, never removed',
    docs: {
      whatItDoes:
        'Finds `.on(...)`, `.addListener(...)`, `.prependListener(...)`, `.addEventListener(...)` and ' +
        '`.subscribe(...)` calls made inside code that runs once per event (another listener, an `on*` ' +
        'handler property, a request handler, an interval callback, a JSX event handler, a React ' +
        'component body or an effect without cleanup) on an emitter that outlives that code: `process`, ' +
        '`window`, `document`, a module-level or imported emitter (an event bus, a Redis subscriber, a ' +
        'Socket.IO server), a variable of an enclosing function (`ws` inside its own `message` ' +
        'listener), or, in a request handler (or a `request` listener of a server), the connection the request came on (`req.socket`, ' +
        "`req.connection`, `res.socket`, Fastify's `request.raw.socket`), which keep-alive reuses for " +
        'many requests, when nothing in the same scope removes the listener again.',
      whyIsThisBad:
        'Each event adds one more listener and none goes away. The emitter keeps every listener and its ' +
        'closure (the request, the response, the socket) alive, so memory grows with traffic; every ' +
        'emitted event then runs all the accumulated listeners, so the work per event grows too, and ' +
        'stale handlers write to responses and sockets that are long closed. Node prints ' +
        '`MaxListenersExceededWarning` after ten, but only once, and only for `EventEmitter`s.',
      example: [
        "app.get('/orders/:id/status', (req, res) => {",
        "  orderEvents.on('status', (order) => {",
        '    if (order.id === req.params.id) res.write(`data: ${order.status}\\n\\n`);',
        '  });',
        '});',
      ].join('\n'),
      useInstead: [
        "app.get('/orders/:id/status', (req, res) => {",
        '  const onStatus = (order) => {',
        '    if (order.id === req.params.id) res.write(`data: ${order.status}\\n\\n`);',
        '  };',
        "  orderEvents.on('status', onStatus);",
        "  req.on('close', () => orderEvents.off('status', onStatus));",
        '});',
      ].join('\n'),
      notFlagged: [
        '`.once(...)`, and `addEventListener(..., { once: true })` or `{ signal }` (removed by the platform).',
        'Listeners removed in the same per-event scope (`off`, `removeListener`, `removeEventListener`, ' +
          '`removeAllListeners`, `unsubscribe` on the same emitter, for example in `req.on("close")`), or ' +
          'anywhere in the file with the same named listener.',
        'Registrations whose result is kept: an unsubscribe function or subscription that is stored, ' +
          'returned or passed on (`const off = bus.on(...)`, `return store.subscribe(...)`).',
        "Listeners on objects created or received per event: `wss.on('connection', (ws) => ws.on('message', ...))` " +
          "(a new socket per connection), `req.on('close')`, `res.on('finish')`, a per-request stream's `on('data')`. " +
          'The connection of a request is judged only in request handlers (and `request` listeners) and only as `<param>.socket`, ' +
          '`<param>.connection` or `<param>.raw.socket`, or a `const` holding one (`const { socket } = req` is not followed); ' +
          "in a WebSocket `connection` listener, the upgrade request's socket (`req.socket`) belongs to that one connection.",
        'React effects that return a cleanup, and registrations at module level or in functions that run ' +
          "once (`main()`, a `server.on('listening')` or `'ready'`/`'open'`/`'load'` listener). Listeners " +
          "of events an emitter fires once (`req.on('response')`, `req.on('socket')`, `stream.on('end')`, " +
          "`'finish'`, `'close'`, `child.on('exit')`) run once per emitter: what they register is judged " +
          'by the code around them.',
        "`newListener` callbacks that forward each listener to another emitter (`client.on('newListener', " +
          '(event, fn) => inner.on(event, fn))`), and registrations guarded to run once (`if (!this.subscribed) ' +
          '{ this.subscribed = true; client.on(...) }`).',
        'Tests, scripts and CLI entry points (`*.test.ts`, `scripts/`, `bin/`, `cli/`, `cli.ts`): they exit. A monorepo package named `cli` (`packages/cli/`) is checked like any package.',
        'Emitters reached through `this` or a call (`this.bus.on`, `getBus().on`): their lifetime is not ' +
          'visible in the file. Static helpers of the `events` module (`events.on(emitter, name)`).',
      ],
    },
  },
  check(ctx) {
    const model = ctx.typescript;
    if (
      !model ||
      isScriptOrTestPath(ctx.relativePath) ||
      !/\.(?:on|addListener|prependListener|addEventListener|subscribe)\(/.test(model.text)
    )
      return;
    for (const call of model.calls) {
      if (!isListenerRegistration(call) || removedByOptions(call) || resultIsKept(call)) continue;
      const scope = perEventScope(model, call);
      if (!scope) continue;
      const lifetime = outlives(model, call, scope);
      if (!lifetime || isRemoved(model, call, scope.fn) || guardedToRunOnce(call, scope.fn))
        continue;
      ctx.report({ ...reportRange(model, call), message: message(call, scope.reason, lifetime) });
    }
  },
};
