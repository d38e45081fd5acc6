/**
 * Whether the rows a read loads are each handed to a side effect: a loop over them (`for...of`,
 * `forEach`, a `map` whose promises `Promise.all` awaits, also over `rows.filter(...)`) that sends
 * an email or a message, queues a job, makes an HTTP request that writes, or writes the database
 * for each row. Such code needs every row: a bound would silently skip the rest (a watcher never
 * notified, a row never updated), so the cure is to go through them in batches or to move the
 * fan-out to a job, not to cap them.
 */
import { ts } from './compiler';
import { helperAccess, type HelperIoFinder } from './helper-io';
import { ioCallOf } from './io-calls';
import { calledLocalFunction } from './local-callees';
import {
  calleeDisplay,
  callsChainedOn,
  semanticParent,
  unwrap,
  type TsCall,
  type TsLoop,
  type TsModel,
} from './model';
import { declarationOf, isWithin } from './name-resolution';

/** A per-row side effect of a loop over a read's rows. */
export interface RowFanOut {
  /** The first call that makes it, as the message quotes it: `…queueTemplate`. */
  effect: string;
}

/**
 * Array methods that hand on (some of) the same rows, so a loop over their result still goes
 * through the read's rows: `watchers.filter((w) => w.userId !== me)`. `slice` is not one: it
 * keeps a bounded part.
 */
const SAME_ROWS = new Set(['filter', 'map', 'flatMap', 'sort', 'toSorted', 'reverse']);

/**
 * Names of calls that send something out: an email, a notification, a message on a bus, a job on
 * a queue (`sendEmail`, `mailer.sendMail`, `queueTemplate`, `enqueue`, `publish`, `notifyUser`).
 * No library call the I/O classification knows makes these, so they go by their verbs; nouns
 * (`emailOf(user)`, `mailtoLink(row)`) name values, not sends.
 */
const SENDS = /^(?:send|queue(?!Microtask)|enqueue|publish|notify|deliver)(?:[A-Z_$]|$)/;
/** A job added to a queue: `emailQueue.add(name, data)` (BullMQ, Bee-Queue), `addBulk`. */
const QUEUE_ADDS = new Set(['add', 'addBulk', 'createJob']);
const QUEUE_RECEIVER = /(?:^|\.)(?:#?\w*[qQ]ueue)$/;

/** Calls that collect promises to settle later: `sends.push(mailer.sendMail(...))`, `Promise.all`. */
const COLLECTS_PROMISES = new Set(['push', 'unshift', 'all', 'allSettled', 'race', 'any']);
const PROMISE_CHAIN = new Set(['then', 'catch', 'finally']);

/** How many functions of this file deep a call is followed into bodies for a side effect. */
const MAX_LOCAL_DEPTH = 3;

/**
 * Whether the call's result is used as a value the code goes on with (`names.push(queueName(job))`,
 * `` `${notifyUrl(row)}` ``), which no send gives: a send is a statement, awaited, `void`ed,
 * chained with `then`/`catch`, returned to a `map` that `Promise.all` awaits, or collected.
 */
function givesValue(call: TsCall): boolean {
  if (call.awaited) return false;
  const node = call.node;
  const parent = semanticParent(node);
  if (!parent) return false;
  if (
    ts.isExpressionStatement(parent) ||
    ts.isVoidExpression(parent) ||
    ts.isReturnStatement(parent) ||
    ts.isArrayLiteralExpression(parent) ||
    (ts.isArrowFunction(parent) && !ts.isBlock(parent.body) && unwrap(parent.body) === node)
  )
    return false;
  if (ts.isPropertyAccessExpression(parent))
    return !(PROMISE_CHAIN.has(parent.name.text) && unwrap(parent.expression) === node);
  if (ts.isCallExpression(parent) && parent.arguments.some((arg) => unwrap(arg) === node)) {
    const callee = unwrap(parent.expression);
    return !(ts.isPropertyAccessExpression(callee) && COLLECTS_PROMISES.has(callee.name.text));
  }
  return true;
}

/** Whether a call sends something out by its name alone: a verb, or a job added to a queue. */
function sendsByName(call: TsCall): boolean {
  return (
    (SENDS.test(call.name) ||
      (QUEUE_ADDS.has(call.name) && QUEUE_RECEIVER.test(call.receiverText ?? ''))) &&
    !givesValue(call)
  );
}

/**
 * Whether `call` changes something outside the process: a write, a request, a message. A function
 * of this file is judged by what its body does, whatever its name says (`queueUpdate(id)` that
 * pushes onto an array sends nothing); other calls by the I/O classification, the index, or their
 * verbs.
 */
function hasSideEffect(model: TsModel, call: TsCall, models: HelperIoFinder, depth = 0): boolean {
  if (call.isNew) return false;
  const local = calledLocalFunction(model, call);
  if (local) {
    if (depth >= MAX_LOCAL_DEPTH) return false;
    return model.calls.some(
      (inner) =>
        inner !== call &&
        isWithin(inner.node, local.node) &&
        hasSideEffect(model, inner, models, depth + 1),
    );
  }
  if (sendsByName(call)) return true;
  const io = ioCallOf(model, call, models);
  if (io) return io.writes;
  const helper = models.reach(call);
  return !!helper && helperAccess(helper).writes;
}

/** Whether `iterable` is the rows `rows` names, or an array method's result over them. */
function iteratesRows(iterable: ts.Expression, rows: ts.Identifier): boolean {
  let value = unwrap(iterable);
  while (
    ts.isCallExpression(value) &&
    ts.isPropertyAccessExpression(value.expression) &&
    SAME_ROWS.has(value.expression.name.text)
  )
    value = unwrap(value.expression.expression);
  return ts.isIdentifier(value) && declarationOf(value) === rows;
}

/**
 * The loops in the function of `awaited` that go through its rows: the `for...of` over the awaited
 * read itself, or every loop over the name the rows are bound to (`const watchers = await ...`).
 */
function loopsOverRows(model: TsModel, awaited: ts.AwaitExpression, scope: ts.Node): TsLoop[] {
  const parent = semanticParent(awaited);
  if (parent && ts.isForOfStatement(parent) && unwrap(parent.expression) === awaited)
    return model.loops.filter((loop) => loop.node === parent);
  if (!parent || !ts.isVariableDeclaration(parent) || !ts.isIdentifier(parent.name)) return [];
  const rows = parent.name;
  return model.loops.filter(
    (loop) => !!loop.iterable && isWithin(loop.node, scope) && iteratesRows(loop.iterable, rows),
  );
}

/**
 * The side effect made for each row of the awaited read `call` (the first call of its chain, or
 * the whole chain: `await Model.find(q).lean()`), when a loop over its rows makes one.
 */
export function rowsFanOut(
  model: TsModel,
  call: TsCall,
  models: HelperIoFinder,
): RowFanOut | undefined {
  const { top } = callsChainedOn(call.node as ts.Expression);
  const awaited = semanticParent(top);
  const scope = call.fn?.node;
  if (!scope || !awaited || !ts.isAwaitExpression(awaited)) return undefined;
  const loops = loopsOverRows(model, awaited, scope);
  if (loops.length === 0) return undefined;
  const effect = model.calls.find(
    (inner) =>
      inner.loops.some((loop) => loops.includes(loop)) && hasSideEffect(model, inner, models),
  );
  return effect && { effect: calleeDisplay(effect, 40) };
}

/**
 * The advice for rows each handed to a side effect, with the read's own words for its bound and
 * paging (`take`, a `cursor`): go through every row a batch at a time, or hand the fan-out to a job.
 */
export function fanOutAdvice({ effect }: RowFanOut, bound: string, paging: string): string {
  return (
    `its rows each get \`${effect}()\` in a loop, so every row is needed and a ${bound} would ` +
    `silently skip the rest: process them in batches (${bound} with ${paging}, looping until none ` +
    'are left) or move the fan-out to a background job'
  );
}
