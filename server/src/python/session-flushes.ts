/**
 * SQLAlchemy `session.flush()` per loop item: each flush sends the rows added since the last one
 * in a round trip of its own, where one flush after the loop would send them together (SQLAlchemy
 * batches the INSERTs of one flush). For `query-in-loop` and `query-in-loop-via-helper`.
 */
import type { Node } from 'web-tree-sitter';
import { loopTarget } from './loop-analysis';
import type { PyCall, PyFunction, PyLoop, PythonModel } from './model';
import { targetNames } from './scope-analysis';
import { commitsEachItem, onSession } from './session-commits';

/** How to flush a loop's rows, for messages. */
export const FLUSH_ADVICE =
  'each flush is a round trip: add every row, then flush once after the loop (SQLAlchemy batches the INSERTs)';

/**
 * Whether a call flushes a SQLAlchemy session (`session.flush()`, `await db.flush()`, the legacy
 * `session.flush([row])` that flushes only those objects), on a receiver named or annotated as a
 * session in a file that imports a SQLAlchemy library.
 */
export function flushesSession(call: PyCall, model: PythonModel): boolean {
  return call.method === 'flush' && call.args.namedChildCount <= 1 && onSession(call, model);
}

/**
 * Whether a flush in `loop` runs once per item for nothing the pass needs: not once per batch
 * (see `commitsEachItem`), not inside a savepoint of the pass (`with session.begin_nested():`,
 * each item kept or rolled back on its own), and no generated key of an object the pass made is
 * read after it (`ids.append(note.id)`): then the flush is what gives the key.
 */
export function flushesEachItem(call: PyCall, loop: PyLoop, model: PythonModel): boolean {
  if (!commitsEachItem(call, loop) || inSavepoint(call, loop.node)) return false;
  const names = [
    ...targetNames(loopTarget(loop)),
    ...namesAssignedBetween(call.fn, loop.node.startIndex, call.start, model),
  ];
  return !readsKeyAfter(call, loop.node.endIndex, names, model.source);
}

/**
 * Whether a function reads a generated key after a flush it makes, of an object it was given or
 * made before the flush (`note = Note(**data); db.add(note); db.flush(); return note.id`).
 */
export function flushGivesKey(call: PyCall, fn: PyFunction, model: PythonModel): boolean {
  const names = [
    ...fn.params.map((param) => param.name),
    ...namesAssignedBetween(fn, fn.node.startIndex, call.start, model),
  ];
  return readsKeyAfter(call, fn.end, names, model.source);
}

/** A `with` item opening a savepoint: `session.begin_nested()`, `await db.begin_nested()`. */
const SAVEPOINT = /\.\s*begin_nested\s*\(/;

/** Whether a `with` statement inside `loop` around the call opens a savepoint. */
function inSavepoint(call: PyCall, loop: Node): boolean {
  for (let node = call.node.parent; node && node.id !== loop.id; node = node.parent) {
    if (node.type !== 'with_statement') continue;
    const items = node.namedChildren.find((child) => child?.type === 'with_clause');
    if (items && SAVEPOINT.test(items.text)) return true;
  }
  return false;
}

/** The plain names `fn` assigns between two offsets (`note = Note(...)`). */
function namesAssignedBetween(
  fn: PyFunction | undefined,
  start: number,
  end: number,
  model: PythonModel,
): string[] {
  const names: string[] = [];
  for (const assignment of model.assignments) {
    if (assignment.start >= end) break;
    if (assignment.fn !== fn || assignment.start < start || assignment.target.includes('.'))
      continue;
    names.push(assignment.target);
  }
  return names;
}

/** An attribute that holds a key the database generates or a flush fills in. */
const KEY_ATTRIBUTE = String.raw`(?:id|pk|uuid|\w+_id)\b`;

/** Whether the source between the call's end and `end` reads a key attribute of one of `names`. */
function readsKeyAfter(call: PyCall, end: number, names: readonly string[], source: string) {
  if (names.length === 0) return false;
  const escaped = names.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const read = new RegExp(String.raw`\b(?:${escaped.join('|')})\s*\.\s*${KEY_ATTRIBUTE}`, 'u');
  return read.test(source.slice(call.end, end));
}
