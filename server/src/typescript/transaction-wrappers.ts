/**
 * Transactions an app opens through a helper of its own rather than the ORM's `transaction()`:
 * the handle such a helper gives its callback (`dbTransactionWrap(async (manager: EntityManager)
 * => ...)`, `runInTransaction(async (em) => ...)`, `withTx(...)`), the functions of the file that
 * handle is handed on to (`this.copySources(manager, ...)`), and anything declared with a type
 * only a transaction has (`Prisma.TransactionClient`, `Knex.Transaction`). Queries on such a
 * handle go over the transaction's one connection, one after another, so running them together
 * gains nothing (and some drivers refuse it).
 */
import { ts } from './compiler';
import { enclosingClass } from './declared-types';
import { accessRoot, calleeName, semanticParent, unwrap, type TsCall, type TsModel } from './model';
import { declarationOf } from './name-resolution';

/** Names of functions that run a callback in a transaction: `dbTransactionWrap`, `withTx`. */
const WRAPPER_NAME =
  /[Tt]ransaction|^atomicPhase_$|(?:^|[a-z\d])Txn?(?:[A-Z\d]|$)|^txn?(?:[A-Z\d]|$)/;
/** Parameter names a transaction's handle goes by. */
const HANDLE_NAME = /^(?:manager|entityManager|transactionManager|em|tx|txn|trx|transaction)$/;
/** Types only a transaction's handle has. */
const TRANSACTION_TYPE = /^(?:Prisma\.TransactionClient|Knex\.Transaction)\b/;
/** Types of the handle a transaction helper gives its callback. */
const HANDLE_TYPE = /^(?:EntityManager|Prisma\.TransactionClient|Knex\.Transaction)\b/;
/** How many functions of the file a handle is followed through. */
const MAX_HANDOFFS = 3;

/** The first parameter of a callback given to a function named for transactions. */
function isWrapperCallbackParameter(parameter: ts.ParameterDeclaration): boolean {
  const callback = parameter.parent;
  if (!ts.isArrowFunction(callback) && !ts.isFunctionExpression(callback)) return false;
  if (callback.parameters[0] !== parameter) return false;
  const call = semanticParent(callback);
  if (!call || !ts.isCallExpression(call)) return false;
  if (!call.arguments.some((argument) => unwrap(argument) === callback)) return false;
  return WRAPPER_NAME.test(calleeName(call.expression));
}

/** How the file calls a function: by its name, through `this` when it is a class member. */
function calledAs(fn: ts.SignatureDeclaration): { name: string; member: boolean } | undefined {
  if (ts.isMethodDeclaration(fn) && ts.isIdentifier(fn.name))
    return { name: fn.name.text, member: true };
  if (ts.isFunctionDeclaration(fn) && fn.name) return { name: fn.name.text, member: false };
  if (!ts.isArrowFunction(fn) && !ts.isFunctionExpression(fn)) return undefined;
  const holder = fn.parent;
  if (ts.isVariableDeclaration(holder) && ts.isIdentifier(holder.name))
    return { name: holder.name.text, member: false };
  if (ts.isPropertyDeclaration(holder) && ts.isIdentifier(holder.name))
    return { name: holder.name.text, member: true };
  return undefined;
}

/**
 * Whether a call of this file hands a transaction's handle to `parameter`'s function at its
 * position (`this.copySources(manager, version)` inside a transaction helper's callback).
 */
function receivesHandle(
  model: TsModel,
  parameter: ts.ParameterDeclaration,
  depth: number,
): boolean {
  const fn = parameter.parent;
  const target = calledAs(fn);
  if (!target) return false;
  const position = fn.parameters.indexOf(parameter);
  const owner = target.member ? enclosingClass(fn) : undefined;
  if (target.member && !owner) return false;
  return model.calls.some((call) => {
    if (call.name !== target.name || call.args.length <= position) return false;
    const callsIt = owner
      ? call.receiverText === 'this' && enclosingClass(call.node) === owner
      : !call.receiver;
    if (!callsIt || call.args.slice(0, position + 1).some(ts.isSpreadElement)) return false;
    return isTransactionHandle(model, call.args[position], depth + 1);
  });
}

/**
 * Whether `expression` names a transaction's handle (see the module comment): a parameter or
 * variable typed `Prisma.TransactionClient`/`Knex.Transaction`, or a parameter typed
 * `EntityManager` (or named `manager`, `em`, `tx`, ...) that a transaction helper's callback
 * receives or a call of this file hands such a handle to.
 */
export function isTransactionHandle(model: TsModel, expression: ts.Expression, depth = 0): boolean {
  const node = unwrap(expression);
  if (!ts.isIdentifier(node) || depth > MAX_HANDOFFS) return false;
  const holder = declarationOf(node)?.parent;
  if (!holder || (!ts.isParameter(holder) && !ts.isVariableDeclaration(holder))) return false;
  const type = holder.type?.getText(model.sourceFile) ?? '';
  if (TRANSACTION_TYPE.test(type)) return true;
  if (!ts.isParameter(holder) || (!HANDLE_TYPE.test(type) && !HANDLE_NAME.test(node.text)))
    return false;
  return isWrapperCallbackParameter(holder) || receivesHandle(model, holder, depth);
}

/** Whether a call runs on a transaction's handle, or hands one to a helper that will. */
export function usesTransactionHandle(model: TsModel, call: TsCall): boolean {
  if (call.receiver && isTransactionHandle(model, accessRoot(call.receiver))) return true;
  return call.args.some((argument) => isTransactionHandle(model, argument));
}
