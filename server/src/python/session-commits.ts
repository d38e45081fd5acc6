/**
 * SQLAlchemy `session.commit()` per loop item: each commit is a round trip and ends a transaction,
 * for `query-in-loop`.
 */
import type { Node } from 'web-tree-sitter';
import { isAsyncDbName, isSyncDbName, receiverRoot, startsWithModule } from './knowledge';
import type { PyCall, PyLoop, PythonModel } from './model';
import { OwnedCache } from './memo';

/** How to commit a loop's writes, for messages: once, after the loop, or once per batch. */
export const COMMIT_ADVICE =
  'each commit is a round trip and a transaction of its own: commit once after the loop (or every few hundred items)';

/** Libraries whose sessions a `db.commit()` of the file belongs to. */
const SESSION_LIBRARIES = ['sqlalchemy', 'sqlmodel', 'flask_sqlalchemy'];

const importsSessions = new OwnedCache<PythonModel, boolean>('imports SQLAlchemy sessions');

function importsSessionLibrary(model: PythonModel): boolean {
  let imports = importsSessions.get(model);
  if (imports === undefined) {
    imports = false;
    for (const qualified of model.imports.values())
      if (startsWithModule(qualified, SESSION_LIBRARIES)) imports = true;
    importsSessions.set(model, imports);
  }
  return imports;
}

/**
 * Whether a call commits a SQLAlchemy session (`session.commit()`, `await db.commit()`,
 * `db.session.commit()` of Flask-SQLAlchemy): the file imports SQLAlchemy, SQLModel or
 * Flask-SQLAlchemy and the receiver is named or annotated as a session.
 */
export function commitsSession(call: PyCall, model: PythonModel): boolean {
  // A session's `commit()` takes no arguments; one that does is another object's.
  return call.method === 'commit' && call.args.namedChildCount === 0 && onSession(call, model);
}

/**
 * Whether a method call is on a SQLAlchemy session: the file imports SQLAlchemy, SQLModel or
 * Flask-SQLAlchemy and the receiver is named or annotated as a session.
 */
export function onSession(call: PyCall, model: PythonModel): boolean {
  if (!call.hasReceiver || !importsSessionLibrary(model)) return false;
  const root = receiverRoot(call);
  return isSyncDbName(call.fn, root) || isAsyncDbName(call.fn, root);
}

/** An `if` condition that picks every n-th item or a full buffer: `i % 500 == 0`, `len(batch) >= n`. */
const BATCH_CONDITION = /%|\blen\s*\(/;

/**
 * Whether a commit in `loop` runs once per item rather than once per batch or per item on purpose:
 * not under an `if` that picks every n-th item or a full buffer, not in a `try` of the loop
 * whose handler rolls back (each item then succeeds or fails on its own), and not in a handler
 * for any error (`catchesAnyError`: it runs only for the items that failed).
 */
export function commitsEachItem(call: PyCall, loop: PyLoop): boolean {
  if (loop.kind === 'while') return false;
  for (
    let node: Node | null = call.node.parent;
    node && node.id !== loop.node.id;
    node = node.parent
  ) {
    if (node.type === 'if_statement' || node.type === 'elif_clause') {
      const condition = node.childForFieldName('condition');
      if (condition && BATCH_CONDITION.test(condition.text)) return false;
    }
    if (node.type === 'try_statement' && /\.\s*rollback\s*\(/.test(handlersText(node)))
      return false;
    if (node.type === 'except_clause' && catchesAnyError(node)) return false;
  }
  return true;
}

/** `except:`, `except Exception:`, `except BaseException as e:`, with nothing else before the colon. */
const ANY_ERROR_HANDLER = /^except\s*(?:(?:Exception|BaseException)(?:\s+as\s+\w+)?\s*)?:$/;

/**
 * A handler for any error (`except Exception as e:`): a commit there runs only for the items that
 * failed, to record the failure (Redash disables a broken schedule and commits it). Handlers for a
 * named exception are kept: `except NoResultFound:` may run for every new item of a get-or-create.
 */
function catchesAnyError(handler: Node): boolean {
  const body = handler.namedChildren.find((child) => child?.type === 'block');
  if (!body) return false;
  const header = handler.text.slice(0, body.startIndex - handler.startIndex).trim();
  return ANY_ERROR_HANDLER.test(header.replace(/\s+/g, ' '));
}

/** The text of a `try` statement's `except` clauses. */
function handlersText(tryNode: Node): string {
  return tryNode.namedChildren
    .filter((child) => child?.type === 'except_clause' || child?.type === 'except_group_clause')
    .map((child) => child!.text)
    .join('\n');
}
