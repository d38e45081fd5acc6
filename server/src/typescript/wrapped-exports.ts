/**
 * Functions written inside a pass-through wrapper of their own module: `export const DELETE =
 * withAudit(async (request) => { ... })`, where `withAudit(handle)` returns a function that calls
 * `handle`. Calling `DELETE` runs the written function, so the index holds it under `DELETE` and
 * callers in other modules (a route re-exporting `DELETE`) reach it. Only wrappers the module
 * declares are read: one from a package may call the function at any time, or never.
 */
import { ts } from './compiler';
import { hasModifier, semanticParent, unwrap, type TsFunction, type TsModel } from './model';
import { declarationOf, isFunctionWithBody } from './name-resolution';

/**
 * The top-level `const` an anonymous function is known by when it is the first argument of a
 * call of a pass-through wrapper that initialises it.
 */
export function wrappedExportName(model: TsModel, fn: TsFunction): string | undefined {
  const holder = wrappingConst(model, fn);
  return holder && (holder.name as ts.Identifier).text;
}

/** Whether other modules can call the function: the `const` wrapping it is exported. */
export function isWrappedExport(model: TsModel, fn: TsFunction): boolean {
  const statement = wrappingConst(model, fn)?.parent.parent;
  return !!statement && hasModifier(statement, ts.SyntaxKind.ExportKeyword);
}

function wrappingConst(model: TsModel, fn: TsFunction): ts.VariableDeclaration | undefined {
  if (fn.name || fn.parent) return undefined;
  const call = semanticParent(fn.node);
  if (!call || !ts.isCallExpression(call) || unwrap(call.arguments[0] ?? call) !== fn.node)
    return undefined;
  const holder = semanticParent(call);
  if (!holder || !ts.isVariableDeclaration(holder) || !ts.isIdentifier(holder.name))
    return undefined;
  const statement = holder.parent.parent;
  if (!ts.isVariableStatement(statement) || statement.parent !== model.sourceFile) return undefined;
  const callee = unwrap(call.expression);
  return ts.isIdentifier(callee) && passesThrough(model, callee) ? holder : undefined;
}

/**
 * Whether the function of this module `callee` names returns a function that calls its first
 * parameter (`(handle) => async (request) => handle(request)`, or a `return` of one).
 */
function passesThrough(model: TsModel, callee: ts.Identifier): boolean {
  const wrapper = wrapperFunction(callee);
  const param = wrapper?.parameters[0]?.name;
  if (!wrapper || !param || !ts.isIdentifier(param)) return false;
  const returned = returnedFunction(wrapper);
  const request = returned?.parameters[0]?.name;
  if (!returned || !request || !ts.isIdentifier(request)) return false;
  // Handed what the returned function is called with (`handle(request)`): a memo calling it
  // once (`answer ??= load()`) runs it once per process, not per call.
  return model.calls.some(
    (call) =>
      call.fn?.node === returned &&
      ts.isCallExpression(call.node) &&
      ts.isIdentifier(unwrap(call.node.expression)) &&
      declarationOf(unwrap(call.node.expression) as ts.Identifier) === param &&
      call.node.arguments.some(
        (arg) =>
          ts.isIdentifier(unwrap(arg)) && declarationOf(unwrap(arg) as ts.Identifier) === request,
      ),
  );
}

/** The function declaration or `const` arrow/function expression `callee` names. */
function wrapperFunction(
  callee: ts.Identifier,
): (ts.SignatureDeclaration & { body: ts.Node }) | undefined {
  const holder = declarationOf(callee)?.parent;
  if (!holder) return undefined;
  if (ts.isFunctionDeclaration(holder)) return isFunctionWithBody(holder) ? holder : undefined;
  if (!ts.isVariableDeclaration(holder) || !holder.initializer) return undefined;
  const value = unwrap(holder.initializer);
  return isFunctionWithBody(value) ? value : undefined;
}

/** The function a wrapper returns: an arrow's body, or its last `return`'s value. */
function returnedFunction(
  wrapper: ts.SignatureDeclaration & { body: ts.Node },
): ts.ArrowFunction | ts.FunctionExpression | undefined {
  let value: ts.Node | undefined;
  if (!ts.isBlock(wrapper.body)) value = unwrap(wrapper.body as ts.Expression);
  else {
    const last = wrapper.body.statements[wrapper.body.statements.length - 1];
    value =
      last && ts.isReturnStatement(last) && last.expression ? unwrap(last.expression) : undefined;
  }
  return value && (ts.isArrowFunction(value) || ts.isFunctionExpression(value)) ? value : undefined;
}
