import type { Rule } from '../../server/src/engine/rule';
import type { Fix } from '../../server/src/engine/types';
import { ts } from '../../server/src/typescript/compiler';
import { isScriptOrTestPath } from '../../server/src/typescript/knowledge';
import { unwrap, type TsCall, type TsModel } from '../../server/src/typescript/model';
import {
  declarationOf,
  forEachDescendant,
  indentationAt,
  referencesTo,
  unusedName,
} from '../../server/src/typescript/name-resolution';
import { HelperIoFinder } from '../../server/src/typescript/helper-io';
import {
  discardedTimer,
  returnedPromise,
  timerOfPromise,
  UNCLEARED_TIMEOUT_TRAIT,
} from '../../server/src/typescript/timeout-promises';
import {
  callbackFunction,
  clearedHandleKeys,
  handleEscapesAt,
  handleOccurrences,
  isClearedIn,
  quoteCall,
  timerHandle,
} from '../../server/src/typescript/timers';

type FunctionWithBody = ts.SignatureDeclaration & { body: ts.Node };

/** A promise in a `Promise.race` that only settles when its timer fires. */
interface TimeoutPromise {
  /** The array element of the race. */
  element: ts.Expression;
  /** `new Promise(...)` whose executor starts the timer. */
  promise: ts.NewExpression;
  executor: FunctionWithBody;
  /** The `setTimeout(...)` call. */
  timer: TsCall;
  /** Written inline in the race array (the only form the fix rewrites). */
  inline: boolean;
  /** The helper that builds it (`timeout(ms)`), when the race calls one. */
  helper?: string;
}

/**
 * The timeout promise an element of the race array stands for: inline `new Promise(...)`, a call
 * of a helper in this file that returns one (`timeout(5000)`), a local bound to either, or either
 * followed by `.then(...)`/`.catch(...)` (`sleep(ms).then(() => { throw ... })`).
 */
function timeoutPromiseOf(
  model: TsModel,
  element: ts.Expression,
  expression: ts.Expression = element,
  depth = 0,
): TimeoutPromise | undefined {
  if (depth > 3) return undefined;
  const inner = unwrap(expression);
  if (ts.isNewExpression(inner)) {
    const timer = timerOfPromise(model, inner);
    if (!timer) return undefined;
    const executor = unwrap(inner.arguments![0]) as unknown as FunctionWithBody;
    return { element, promise: inner, executor, timer, inline: inner === unwrap(element) };
  }
  if (ts.isCallExpression(inner)) {
    const callee = unwrap(inner.expression);
    if (
      ts.isPropertyAccessExpression(callee) &&
      ['then', 'catch', 'finally'].includes(callee.name.text)
    ) {
      const found = timeoutPromiseOf(model, element, callee.expression, depth + 1);
      return found && { ...found, inline: false };
    }
    if (!ts.isIdentifier(callee)) return undefined;
    const helper = callbackFunction(callee);
    const promise = helper && returnedPromise(helper);
    const found = promise && timeoutPromiseOf(model, element, promise, depth + 1);
    return found && { ...found, inline: false, helper: callee.text };
  }
  if (ts.isIdentifier(inner)) {
    const holder = declarationOf(inner)?.parent;
    if (!holder || !ts.isVariableDeclaration(holder) || !holder.initializer) return undefined;
    const found = timeoutPromiseOf(model, element, holder.initializer, depth + 1);
    return found && { ...found, inline: false };
  }
  return undefined;
}

/** Whether the timer's handle is kept and cleared (or handed to code that may clear it). */
function isCleared(model: TsModel, timeout: TimeoutPromise, cleared: string[]): boolean {
  const node = timeout.timer.node as ts.CallExpression;
  if (discardedTimer(timeout.executor, timeout.timer)) return false;
  const handle = timerHandle(node);
  if (handle.kind !== 'stored') return true;
  if (isClearedIn(cleared, handle.key)) return true;
  const target = handle.target;
  const declaration =
    ts.isIdentifier(target) &&
    (ts.isVariableDeclaration(target.parent) ? target : declarationOf(target));
  const occurrences = declaration
    ? referencesTo(model.sourceFile, declaration).filter((ref) => ref !== target)
    : handleOccurrences(model.sourceFile, handle.key, target);
  return occurrences.some(handleEscapesAt);
}

/** Whether the node's text holds a multi-line template literal, which re-indenting would change. */
function hasMultilineTemplate(node: ts.Node, sourceFile: ts.SourceFile): boolean {
  let found = false;
  forEachDescendant(node, (child) => {
    if (
      (ts.isNoSubstitutionTemplateLiteral(child) ||
        ts.isTemplateHead(child) ||
        ts.isTemplateMiddle(child) ||
        ts.isTemplateTail(child)) &&
      child.getText(sourceFile).includes('\n')
    )
      found = true;
  });
  return found;
}

/** The statement the fix rewrites: `return await Promise.race(...)`, `await Promise.race(...);` or `const x = await Promise.race(...)`. */
function rewritableStatement(
  race: ts.CallExpression,
): { statement: ts.Statement; form: 'wrap' | 'finally' } | undefined {
  const awaited = race.parent;
  if (!awaited || !ts.isAwaitExpression(awaited)) return undefined;
  const holder = awaited.parent;
  let statement: ts.Statement | undefined;
  let form: 'wrap' | 'finally' = 'wrap';
  if (ts.isReturnStatement(holder) || ts.isExpressionStatement(holder)) statement = holder;
  else if (
    ts.isVariableDeclaration(holder) &&
    holder.initializer === awaited &&
    ts.isVariableDeclarationList(holder.parent) &&
    holder.parent.declarations.length === 1 &&
    ts.isVariableStatement(holder.parent.parent)
  ) {
    // Wrapping a declaration in `try` would hide the variable from the code after it.
    statement = holder.parent.parent;
    form = 'finally';
  }
  if (!statement || !(ts.isBlock(statement.parent) || ts.isSourceFile(statement.parent)))
    return undefined;
  return { statement, form };
}

/**
 * The fix for an inline timeout in an awaited race: hoist `let timer`, assign it in the executor,
 * and clear it once the race settles (`try/finally` around a `return`/expression statement,
 * `.finally(...)` on the race of a declaration, so the variable keeps its scope).
 */
function clearTimerFix(model: TsModel, race: TsCall, timeout: TimeoutPromise): Fix | undefined {
  const rewritable = rewritableStatement(race.node as ts.CallExpression);
  const timerStatement = discardedTimer(timeout.executor, timeout.timer);
  if (!rewritable || !timerStatement || !timeout.inline) return undefined;
  const { statement, form } = rewritable;
  const { text, sourceFile } = model;
  if (form === 'wrap' && hasMultilineTemplate(statement, sourceFile)) return undefined;
  const name = unusedName(sourceFile, ['timer', 'timeoutId', 'raceTimer']);
  const start = statement.getStart(sourceFile);
  // Rewrite the statement's own text: assign the handle inside the executor, then wrap.
  const local = (offset: number): number => offset - start;
  const timerStart = timerStatement.getStart(sourceFile);
  let body =
    timerStatement === timeout.executor.body
      ? text.slice(start, timerStart) +
        `{ ${name} = ${text.slice(timerStart, timerStatement.end)}; }` +
        text.slice(timerStatement.end, statement.end)
      : text.slice(start, timerStart) + `${name} = ` + text.slice(timerStart, statement.end);
  const indent = indentationAt(text, start);
  const isJs = /\.[mc]?jsx?$/.test(model.relativePath);
  const declaration = isJs
    ? `let ${name};`
    : `let ${name}: ReturnType<typeof setTimeout> | undefined;`;
  let replacement: string;
  if (form === 'finally') {
    const raceEnd = local(race.end) + (body.length - (statement.end - start));
    body = `${body.slice(0, raceEnd)}.finally(() => clearTimeout(${name}))${body.slice(raceEnd)}`;
    replacement = `${declaration}\n${indent}${body}`;
  } else {
    const unit = /^\t/.test(indent) ? '\t' : '  ';
    const indented = body.replace(/\n/g, `\n${unit}`);
    replacement = [
      declaration,
      `${indent}try {`,
      `${indent}${unit}${indented}`,
      `${indent}} finally {`,
      `${indent}${unit}clearTimeout(${name});`,
      `${indent}}`,
    ].join('\n');
  }
  return {
    title: `Clear the timeout when the race settles (\`clearTimeout(${name})\`)`,
    safety: 'safe',
    edits: [{ start, end: statement.end, newText: replacement }],
  };
}

/**
 * A race element calling a helper of another module that returns a timeout promise and throws its
 * timer's handle away (`rejectAfter(1500)`, imported): the index records such helpers.
 */
function importedTimeoutHelper(
  model: TsModel,
  helpers: HelperIoFinder,
  element: ts.Expression,
): TsCall | undefined {
  const inner = unwrap(element);
  if (!ts.isCallExpression(inner) || !ts.isIdentifier(unwrap(inner.expression))) return undefined;
  const call = model.calls.find((candidate) => candidate.node === inner);
  if (!call || !helpers.mayBeHelper(call)) return undefined;
  return helpers.target(call)?.fn.traits.includes(UNCLEARED_TIMEOUT_TRAIT) ? call : undefined;
}

function message(model: TsModel, timeout: TimeoutPromise): string {
  const what = timeout.helper
    ? `\`${quoteCall(model.sourceFile, unwrap(timeout.element) as ts.CallExpression)}\` (its \`setTimeout\` is never cleared)`
    : `the \`setTimeout\` in this timeout promise`;
  return (
    `\`Promise.race\` never clears ${what}: when the other promise wins, the timer stays pending ` +
    'for its full delay and keeps its closure alive, one per call; keep the handle and `clearTimeout` it when the race settles'
  );
}

function importedMessage(model: TsModel, helper: TsCall): string {
  return (
    `\`Promise.race\` never clears the timer of \`${quoteCall(model.sourceFile, helper.node as ts.CallExpression)}\` ` +
    `(\`${helper.callee}\` throws its \`setTimeout\` handle away): when the other promise wins, the timer stays ` +
    'pending for its full delay and keeps its closure alive, one per call; have the helper return a way to clear it, ' +
    'or pass it an `AbortSignal`'
  );
}

/** `Promise.race([work, new Promise((_, reject) => setTimeout(...))])` that never clears the timer. */
export const raceTimeoutNotCleared: Rule = {
  meta: {
    id: 'race-timeout-not-cleared',
    language: 'typescript',
    category: 'memory-leak',
    severity: 'warning',
    summary:
      '`Promise.race([work, new Promise((_, reject) => setTimeout(...))])` whose timer is never cleared',
    fix: {
      title: 'Clear the timeout when the race settles',
      safety: 'safe',
      availability: 'sometimes',
    },
    docs: {
      whatItDoes:
        'Finds timeouts built for `Promise.race` from `new Promise(...)` around a `setTimeout` whose ' +
        'handle is thrown away or never passed to `clearTimeout`: written inline in the race array, bound ' +
        'to a local first, returned by a helper in the same file (`function timeout(ms) { return new ' +
        'Promise(...) }` raced as `timeout(5000)`) or by an imported one that throws the handle away, ' +
        'or chained (`sleep(ms).then(() => { throw ... })`).',
      whyIsThisBad:
        'The race settles as soon as the work finishes, but the timer does not know that: it stays ' +
        'scheduled for its whole delay and keeps its callback, the `reject` function and everything they ' +
        'close over alive. A handler that races every database call against a 30-second timeout holds ' +
        '30 seconds of timers at all times: at 1,000 requests a second that is 30,000 pending timers, ' +
        'each pinning its request. It also keeps a Node process from exiting until the last one fires.',
      example: [
        'export async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {',
        '  return await Promise.race([',
        '    work,',
        '    new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), ms)),',
        '  ]);',
        '}',
      ].join('\n'),
      useInstead: [
        'export async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {',
        '  let timer: ReturnType<typeof setTimeout> | undefined;',
        '  try {',
        '    return await Promise.race([',
        '      work,',
        '      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error("timeout")), ms); }),',
        '    ]);',
        '  } finally {',
        '    clearTimeout(timer);',
        '  }',
        '}',
        '',
        '// Or, when the work accepts a signal: fetch(url, { signal: AbortSignal.timeout(ms) })',
      ].join('\n'),
      notFlagged: [
        'Tests and scripts (`*.test.ts`, `test/`, `scripts/`, `bin/`): they exit when they finish.',
        'Timers whose handle is kept and passed to `clearTimeout` anywhere in the file (in a `finally` ' +
          'block, a `.finally()` or `.then()` callback), or handed to other code that may clear it.',
        '`AbortSignal.timeout(ms)` and `timers/promises` `setTimeout(ms, value, { signal })`: they are ' +
          'not `new Promise` around a callback timer (the signal cancels the latter).',
        'Timeout promises built by helpers in other files that keep the timer handle (they may hand ' +
          'it to code that clears it); helpers there that throw it away are reported.',
        '`new Promise` elements of a race that start no timer.',
      ],
      fixSafety:
        'Safe: offered when the timeout is written inline in a race that is awaited by a `return await`, ' +
        'an expression statement or a `const`/`let` declaration in a block. The fix declares `let timer` ' +
        'before the statement, assigns the `setTimeout` handle to it inside the executor, and clears it ' +
        'once the race settles: `try { ... } finally { clearTimeout(timer); }` around a `return` or ' +
        'expression statement, `.finally(() => clearTimeout(timer))` on the race of a declaration (so the ' +
        'declared variable stays visible to the code after it). The race settles exactly as before; the ' +
        'timer only stops firing after nobody listens to it any more.',
    },
  },
  check(ctx) {
    const model = ctx.typescript;
    if (!model || isScriptOrTestPath(ctx.relativePath) || !model.text.includes('Promise.race'))
      return;
    let cleared: string[] | undefined;
    const helpers = new HelperIoFinder(() => ctx.index, model);
    for (const race of model.calls) {
      if (race.callee !== 'Promise.race' || race.isNew) continue;
      const list = race.args[0] && unwrap(race.args[0]);
      if (!list || !ts.isArrayLiteralExpression(list)) continue;
      const timeouts: TimeoutPromise[] = [];
      for (const element of list.elements) {
        const timeout = timeoutPromiseOf(model, element);
        if (timeout) timeouts.push(timeout);
        const imported = timeout ? undefined : importedTimeoutHelper(model, helpers, element);
        if (imported)
          ctx.report({
            start: element.getStart(model.sourceFile),
            end: element.end,
            message: importedMessage(model, imported),
          });
      }
      for (const timeout of timeouts) {
        cleared ??= clearedHandleKeys(model);
        if (isCleared(model, timeout, cleared)) continue;
        const fix = timeouts.length === 1 ? clearTimerFix(model, race, timeout) : undefined;
        ctx.report({
          start: timeout.element.getStart(model.sourceFile),
          end: timeout.element.end,
          message: message(model, timeout),
          fixes: fix ? [fix] : [],
        });
      }
    }
  },
};
