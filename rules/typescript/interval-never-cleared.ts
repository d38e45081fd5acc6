import type { Rule } from '../../server/src/engine/rule';
import type { Fix } from '../../server/src/engine/types';
import { ts } from '../../server/src/typescript/compiler';
import { isScriptOrTestPath } from '../../server/src/typescript/knowledge';
import { isStartupFunction } from '../../server/src/typescript/call-paths';
import { describeRuns } from '../../server/src/typescript/listeners';
import {
  chainText,
  enclosingFunctions,
  semanticParent,
  type TsCall,
  type TsFunction,
  type TsModel,
} from '../../server/src/typescript/model';
import {
  declarationOf,
  indentationAt,
  isFunctionWithBody,
  referencesTo,
  unusedName,
} from '../../server/src/typescript/name-resolution';
import {
  callbackFunction,
  clearedHandleKeys,
  effectHookOf,
  effectReturnsCleanup,
  handleEscapesAt,
  handleOccurrences,
  isClearedIn,
  isTimerCall,
  quoteCall,
  timerHandle,
  type TimerHandle,
} from '../../server/src/typescript/timers';

/** Callbacks of these calls run once when the server starts (`app.listen(port, () => ...)`). */
const STARTUP_CALLBACKS = new Set(['listen', 'once', 'ready', 'whenReady', 'onReady']);

/**
 * Names of top-level functions that start a process-lifetime job (`startSessionCleanup`,
 * `scheduleMetricsFlush`, `initJobs`): with an unref'd interval, the name says it is started once.
 */
const STARTS_A_JOB =
  /^(?:start|init|initialize|setup|schedule|boot|bootstrap|register)(?:[A-Z_]|$)/;

/**
 * Whether code at `call` runs once per process: module top level, a top-level function the module
 * itself calls (`main()`), startup code by name (`init()`, `start()`, `bootstrap()`,
 * `startSessionCleanup()`, which a service loader elsewhere calls once), or a `listen`/`once`
 * callback reached from there.
 */
function runsOnceAtStartup(model: TsModel, call: TsCall): boolean {
  for (const fn of enclosingFunctions(call.fn)) {
    if (fn.callbackOf && STARTUP_CALLBACKS.has(fn.callbackOf.name)) continue;
    const calledAtTopLevel =
      !fn.parent && !!fn.name && model.calls.some((c) => !c.fn && c.callee === fn.name);
    const startsAJob = !fn.parent && !fn.className && STARTS_A_JOB.test(fn.name);
    if (!calledAtTopLevel && !startsAJob && !isStartupFunction(model, fn)) return false;
  }
  return true;
}

/** Whether some occurrence of a stored handle is `.unref()`ed (`timer.unref()`). */
function isUnrefed(occurrences: ts.Expression[]): boolean {
  return occurrences.some((occurrence) => {
    const parent = semanticParent(occurrence);
    return !!parent && ts.isPropertyAccessExpression(parent) && parent.name.text === 'unref';
  });
}

/** The effect callback (`useEffect(() => ...)`) the call is in, directly or through nested functions. */
function enclosingEffect(call: TsCall): TsFunction | undefined {
  for (const fn of enclosingFunctions(call.fn)) if (effectHookOf(fn)) return fn;
  return undefined;
}

/**
 * The other places the stored handle is used: references to the same variable (resolved through
 * scopes, so an unrelated `id` elsewhere does not count), or every property access of the same name.
 */
function occurrencesOf(model: TsModel, target: ts.Node, key: string): ts.Expression[] {
  if (ts.isIdentifier(target)) {
    const declaration = ts.isVariableDeclaration(target.parent) ? target : declarationOf(target);
    if (declaration)
      return referencesTo(model.sourceFile, declaration).filter((ref) => ref !== target);
  }
  return handleOccurrences(model.sourceFile, key, target);
}

/**
 * A watchdog: an interval whose callback ends the process (`process.exit(...)`), typically when
 * the parent process or the connection is gone. It is meant to run as long as the process does.
 */
function isWatchdog(call: TsCall): boolean {
  const callback = (call.node as ts.CallExpression).arguments[0];
  const fn = callback && callbackFunction(callback);
  if (!fn) return false;
  const exits = (node: ts.Node): boolean =>
    (ts.isCallExpression(node) && chainText(node.expression) === 'process.exit') ||
    (!isFunctionWithBody(node) && ts.forEachChild(node, exits) === true);
  return exits(fn.body);
}

interface Leak {
  call: TsCall;
  handle: Exclude<TimerHandle, { kind: 'escapes' }>;
}

/** The `setInterval` calls whose handle nothing in the file can clear. */
function uncleared(model: TsModel): Leak[] {
  const cleared = clearedHandleKeys(model);
  const leaks: Leak[] = [];
  for (const call of model.calls) {
    if (!isTimerCall(model, call, 'setInterval')) continue;
    const handle = timerHandle(call.node as ts.CallExpression);
    if (handle.kind === 'escapes') continue;
    let unref = handle.unref;
    if (handle.kind === 'stored') {
      if (isClearedIn(cleared, handle.key)) continue;
      const occurrences = occurrencesOf(model, handle.target, handle.key);
      if (occurrences.some(handleEscapesAt)) continue;
      unref ||= isUnrefed(occurrences);
    }
    // A process-lifetime job that does not keep the process alive is deliberate.
    if (unref && runsOnceAtStartup(model, call)) continue;
    if (isWatchdog(call)) continue;
    leaks.push({ call, handle });
  }
  return leaks;
}

/**
 * The fix for an interval started directly in an effect that returns no cleanup: keep the handle
 * (`const id = setInterval(...)`) and return `() => clearInterval(id)` at the end of the effect.
 */
function cleanupFix(model: TsModel, leak: Leak, effect: TsFunction): Fix | undefined {
  const body = (effect.node as ts.SignatureDeclaration & { body?: ts.Node }).body;
  if (!body || !ts.isBlock(body) || leak.handle.unref) return undefined;
  const { text, sourceFile } = model;
  let name: string;
  const edits = [];
  if (leak.handle.kind === 'discarded') {
    if (leak.handle.statement.parent !== body) return undefined;
    name = unusedName(sourceFile, ['id', 'intervalId', 'interval']);
    const start = leak.handle.statement.getStart(sourceFile);
    edits.push({ start, end: start, newText: `const ${name} = ` });
  } else {
    const declaration = leak.handle.target.parent;
    const statement = declaration?.parent?.parent;
    if (!ts.isIdentifier(leak.handle.target) || !statement || statement.parent !== body)
      return undefined;
    name = leak.handle.target.text;
  }
  const last = body.statements[body.statements.length - 1];
  const semicolon = last.getText(sourceFile).trimEnd().endsWith(';') ? ';' : '';
  const cleanup = `return () => clearInterval(${name})${semicolon}`;
  const close = body.end - 1;
  const lineStart = text.lastIndexOf('\n', close - 1) + 1;
  if (lineStart > last.end && /^[ \t]*$/.test(text.slice(lineStart, close))) {
    const indent = indentationAt(text, last.getStart(sourceFile));
    edits.push({ start: lineStart, end: lineStart, newText: `${indent}${cleanup}\n` });
  } else {
    // A one-line effect body: `{ setInterval(tick, 1000) }`.
    edits.push({ start: last.end, end: last.end, newText: `${semicolon ? '' : ';'} ${cleanup}` });
  }
  return {
    title: `Return \`() => clearInterval(${name})\` from the effect`,
    safety: 'safe',
    edits,
  };
}

function message(model: TsModel, leak: Leak, effect: TsFunction | undefined): string {
  const quoted = `\`${quoteCall(model.sourceFile, leak.call.node as ts.CallExpression)}\``;
  const hook = effect && `\`${effectHookOf(effect)}\``;
  if (effect && !effectReturnsCleanup(effect)) {
    const id = leak.handle.kind === 'stored' ? leak.handle.key : 'id';
    return `${quoted} in ${hook} is never cleared: the effect returns no cleanup, so the interval keeps running after unmount and every re-run of the effect starts another one; return \`() => clearInterval(${id})\``;
  }
  if (leak.handle.kind === 'stored')
    return `\`${leak.handle.key}\` holds the handle of ${quoted}, but nothing in this file passes it to \`clearInterval\`: the interval and everything its callback closes over stay alive forever`;
  if (effect)
    return `${quoted} in ${hook} drops its handle, so the effect's cleanup cannot stop it: the interval outlives the component; keep the handle and clear it in the cleanup`;
  if (!leak.call.fn)
    return `${quoted} drops its handle: nothing can stop it on shutdown or hot reload, and it keeps the process alive; keep the handle and clear it, or call \`.unref()\` for a process-lifetime job`;
  return `${quoted} drops its handle, so nothing can ever stop it: ${describeRuns(model, leak.call.fn)} starts one more interval that keeps its callback and everything it closes over alive; keep the handle and \`clearInterval\` it`;
}

/** `setInterval` whose handle is never passed to `clearInterval`. */
export const intervalNeverCleared: Rule = {
  meta: {
    id: 'interval-never-cleared',
    language: 'typescript',
    category: 'memory-leak',
    severity: 'warning',
    summary:
      '`setInterval(...)` whose handle is discarded or never passed to `clearInterval`, or started in a `useEffect` without cleanup',
    fix: {
      title: 'Return `() => clearInterval(id)` from the effect',
      safety: 'safe',
      availability: 'sometimes',
    },
    docs: {
      whatItDoes:
        'Finds `setInterval(...)` calls whose handle is thrown away (`setInterval(poll, 1000);`) or ' +
        'kept in a variable or property (`const id = ...`, `this.timer = ...`, `timerRef.current = ...`) ' +
        'that no `clearInterval`/`clearTimeout` in the file ever receives, and React ' +
        '`useEffect`/`useLayoutEffect` callbacks that start an interval and return no cleanup.',
      whyIsThisBad:
        'An interval runs until it is cleared, and it keeps its callback alive together with ' +
        'everything the callback closes over: the request, the socket, the component state. An interval ' +
        'started per request, per connection or per mount without a matching `clearInterval` piles up: ' +
        'memory grows, the timers fire more and more often in total, and the callbacks act on objects ' +
        'that are long gone (React\'s "state update on an unmounted component"). A Node process with a ' +
        'live interval also never exits on its own, so graceful shutdown and test runners hang.',
      example: [
        'export function LiveClock() {',
        '  const [now, setNow] = useState(new Date());',
        '  useEffect(() => {',
        '    setInterval(() => setNow(new Date()), 1000);',
        '  }, []);',
        '  return <time>{now.toLocaleTimeString()}</time>;',
        '}',
      ].join('\n'),
      useInstead: [
        'export function LiveClock() {',
        '  const [now, setNow] = useState(new Date());',
        '  useEffect(() => {',
        '    const id = setInterval(() => setNow(new Date()), 1000);',
        '    return () => clearInterval(id);',
        '  }, []);',
        '  return <time>{now.toLocaleTimeString()}</time>;',
        '}',
      ].join('\n'),
      notFlagged: [
        'Tests and scripts (`*.test.ts`, `test/`, `scripts/`, `bin/`): a script that runs until it is killed ' +
          'starts its timers on purpose.',
        'Handles passed to `clearInterval` or `clearTimeout` anywhere in the file under the same name ' +
          '(`clearInterval(this.timer)` in a `stop()` method, `clearInterval(id)` inside the callback ' +
          'itself, a cleanup returned from the effect).',
        'Handles handed to other code, which may clear them: returned, passed to a call ' +
          '(`timers.set(key, setInterval(...))`), stored in an object or array.',
        'Process-lifetime jobs that do not keep the process alive: an interval `.unref()`ed (chained or through its variable) at module top level, in a top-level function the module calls itself (`main()`), in startup code by name (`init()`, `start()`, `bootstrap()`, `onModuleInit()`, and top-level functions named like `startSessionCleanup()`, `scheduleFlush()`, `initJobs()`, called once by whatever loads the service), or in an `app.listen(...)` callback. Without `.unref()` a module-level interval is flagged: it keeps the process from exiting and is duplicated by every hot reload.',
        'Watchdogs: an interval whose callback ends the process (`process.exit(...)` when the parent process ' +
          'or the connection is gone), meant to run as long as the process does.',
        '`setTimeout` (it fires once) and `setInterval` from `timers/promises` (an async iterator that ' +
          'stops when the loop ends).',
      ],
      fixSafety:
        'Safe: offered only for an interval started directly in the body of an effect that returns no ' +
        'cleanup. The fix keeps the handle (`const id = setInterval(...)` when it was discarded, with a ' +
        'name not used in the file) and adds `return () => clearInterval(id);` as the last statement, ' +
        'which React runs on unmount and before the effect runs again. The interval runs exactly as ' +
        'before while the component is mounted.',
    },
  },
  check(ctx) {
    const model = ctx.typescript;
    if (!model || isScriptOrTestPath(ctx.relativePath) || !model.text.includes('setInterval'))
      return;
    const leaks = uncleared(model);
    const perEffect = new Map<TsFunction, number>();
    for (const leak of leaks) {
      const effect = enclosingEffect(leak.call);
      if (effect) perEffect.set(effect, (perEffect.get(effect) ?? 0) + 1);
    }
    for (const leak of leaks) {
      const effect = enclosingEffect(leak.call);
      // The fix adds one cleanup, so it is offered when the effect starts one uncleared interval.
      const fix =
        effect &&
        leak.call.fn === effect &&
        perEffect.get(effect) === 1 &&
        !effectReturnsCleanup(effect)
          ? cleanupFix(model, leak, effect)
          : undefined;
      ctx.report({
        start: leak.call.start,
        end: leak.call.end,
        message: message(model, leak, effect),
        fixes: fix ? [fix] : [],
      });
    }
  },
};
