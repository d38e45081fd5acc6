/**
 * Event listeners and the functions that run once per event: listener registrations and removals
 * (`emitter.on`, `addEventListener`, `subscribe`, `off`), and whether a function runs per event
 * (a listener, a request handler, an interval tick, a React effect or JSX event handler). Shared by
 * `listener-added-per-event` and the messages of the other memory-leak rules.
 */
import { ts } from './compiler';
import { isRequestHandler } from './knowledge';
import {
  chainText,
  semanticParent,
  unwrap,
  type TsCall,
  type TsFunction,
  type TsModel,
} from './model';
import { forEachOwnDescendant } from './name-resolution';
import { effectHookOf, effectReturnsCleanup, isTimerCall } from './timers';

/** Methods that add a listener that stays until removed. */
export const LISTENER_METHODS = new Set([
  'on',
  'addListener',
  'addEventListener',
  'prependListener',
  'subscribe',
]);

/** Methods that remove listeners (or a subscription). */
export const REMOVAL_METHODS = new Set([
  'off',
  'removeListener',
  'removeEventListener',
  'removeAllListeners',
  'unsubscribe',
  'punsubscribe',
]);

/**
 * Events that fire once per emitter (or per page): their listeners run once for that emitter, at
 * startup or once per request or child process (`req.on('response')`, `req.on('socket')`,
 * `stream.on('end')`, `child.on('exit')`), not once per event of a stream of them.
 */
const ONE_TIME_EVENTS = new Set([
  'listening',
  'ready',
  'open',
  'load',
  'DOMContentLoaded',
  'response',
  'socket',
  'upgrade',
  'end',
  'finish',
  'close',
  'exit',
  'spawn',
]);

/**
 * Events about listeners themselves: a `newListener` callback that registers the same listener
 * elsewhere (`source.on(event, listener)`, as mysql2 and the MongoDB driver forward events) adds
 * one listener per listener the caller added, not one per event.
 */
const LISTENER_EVENTS = new Set(['newListener', 'removeListener']);

/** The event name of a registration whose first argument is a string literal. */
export function eventNameOf(call: TsCall): string | undefined {
  const [first] = call.args;
  return first && ts.isStringLiteralLike(first) ? first.text : undefined;
}

/** Whether `call` registers a lasting listener (`.on`, `.addEventListener`, `.subscribe`; not `.once`). */
export function isListenerRegistration(call: TsCall): boolean {
  return !call.isNew && !!call.receiver && LISTENER_METHODS.has(call.name);
}

/** Whether `call` removes a listener or subscription (`.off`, `.removeEventListener`, `.unsubscribe`). */
export function isListenerRemoval(call: TsCall): boolean {
  return !call.isNew && REMOVAL_METHODS.has(call.name);
}

/** Why a function runs once per event, in words for messages (`each \`message\` event`). */
export interface PerEvent {
  kind: 'listener' | 'request' | 'effect' | 'interval' | 'ui-handler' | 'render';
  description: string;
}

/** The `on*` handler property a function is assigned to (`socket.onmessage = (e) => ...`). */
function handlerProperty(fn: TsFunction): string | undefined {
  const parent = semanticParent(fn.node);
  if (
    parent &&
    ts.isBinaryExpression(parent) &&
    parent.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
    unwrap(parent.right) === fn.node &&
    ts.isPropertyAccessExpression(parent.left) &&
    /^on[a-z]+$/.test(parent.left.name.text)
  )
    return parent.left.name.text;
  return undefined;
}

/** The JSX event attribute a function is the value of (`onClick={() => ...}`). */
function jsxEventAttribute(fn: TsFunction): string | undefined {
  const container = semanticParent(fn.node);
  const attribute = container && ts.isJsxExpression(container) ? container.parent : undefined;
  if (attribute && ts.isJsxAttribute(attribute) && ts.isIdentifier(attribute.name)) {
    const name = attribute.name.text;
    return /^on[A-Z]/.test(name) ? name : undefined;
  }
  return undefined;
}

/**
 * Whether `fn` itself runs once per event: an `.on`/`.addEventListener`/`.subscribe` callback (not
 * for one-time events such as `listening`), an `on*` handler property, a request handler, an
 * interval callback, a JSX event handler, or a React effect without cleanup (which runs per mount
 * and per dependency change).
 */
export function perEvent(model: TsModel, fn: TsFunction): PerEvent | undefined {
  const registration = fn.callbackOf;
  if (
    registration &&
    isListenerRegistration(registration) &&
    registration.args.some((arg) => unwrap(arg) === fn.node)
  ) {
    const event = eventNameOf(registration);
    if (event && (ONE_TIME_EVENTS.has(event) || LISTENER_EVENTS.has(event))) return undefined;
    return {
      kind: 'listener',
      description: event ? `each \`${event}\` event` : `each event of \`${registration.callee}\``,
    };
  }
  const property = handlerProperty(fn);
  if (property) return { kind: 'listener', description: `each \`${property}\` event` };
  if (isRequestHandler(model, fn)) return { kind: 'request', description: 'each request' };
  if (registration && isTimerCall(model, registration, 'setInterval'))
    return { kind: 'interval', description: 'each tick of the interval' };
  const attribute = jsxEventAttribute(fn);
  if (attribute) return { kind: 'ui-handler', description: `each \`${attribute}\`` };
  const hook = effectHookOf(fn);
  if (hook && !effectReturnsCleanup(fn))
    return {
      kind: 'effect',
      description: `each run of the \`${hook}\` (every mount and dependency change)`,
    };
  if (isComponentBody(fn)) return { kind: 'render', description: `each render of \`${fn.name}\`` };
  return undefined;
}

/** Whether `fn` is a React function component: a capitalised function that returns JSX. */
function isComponentBody(fn: TsFunction): boolean {
  if (!/^[A-Z]/.test(fn.name) || fn.className) return false;
  const body = (fn.node as ts.SignatureDeclaration & { body?: ts.Node }).body;
  if (!body) return false;
  if (!ts.isBlock(body)) return isJsx(body);
  let returnsJsx = false;
  forEachOwnDescendant(body, (node) => {
    if (ts.isReturnStatement(node) && node.expression && isJsx(node.expression)) returnsJsx = true;
  });
  return returnsJsx;
}

function isJsx(node: ts.Node): boolean {
  const inner = ts.isExpression(node) ? unwrap(node) : node;
  return ts.isJsxElement(inner) || ts.isJsxSelfClosingElement(inner) || ts.isJsxFragment(inner);
}

/** How often code in `fn` runs, for messages: `each \`message\` event`, `each request`, `each call of \`start\``. */
export function describeRuns(model: TsModel, fn: TsFunction): string {
  const reason = perEvent(model, fn);
  if (reason) return reason.description;
  if (fn.name) return `each call of \`${fn.name}\``;
  if (fn.callbackOf) return `each call of the callback passed to \`${fn.callbackOf.callee}\``;
  return 'each call';
}

/** The root name of a receiver chain (`redis` for `redis.sub.on`), or undefined for `this`/calls. */
export function receiverRoot(receiver: ts.Expression): ts.Identifier | undefined {
  let current = unwrap(receiver);
  while (ts.isPropertyAccessExpression(current) || ts.isElementAccessExpression(current))
    current = unwrap(current.expression);
  return ts.isIdentifier(current) ? current : undefined;
}

/** `receiver` as written (`process`, `bus`, `this.sub`) for messages and comparisons. */
export function receiverName(call: TsCall): string {
  return call.receiverText || (call.receiver ? chainText(call.receiver) : '');
}
