/**
 * Objects built by a library function that binds arguments into each function of an object
 * literal: `injectArguments({ getUser, removeUser }, { db })` of `@corentinth/chisels`, how Papra
 * builds its repositories. Its source returns `Object.fromEntries(Object.entries(functions).map(
 * ([key, fn]) => [key, (args) => fn({ ...args, ...injectedArgs })]))`, typed as the same keys each
 * returning `ReturnType<Functions[K]>`: `repo.getUser(args)` runs `getUser`. A function of another
 * library, or of the workspace, that takes an object of functions may return anything, so only
 * the ones known here are read through.
 */
import { ts } from './compiler';
import { unwrap, type TsModel } from './model';

/** Functions known to return their first argument's members, bound: by package, exported name. */
const INJECTORS: readonly { module: string; name: string }[] = [
  { module: '@corentinth/chisels', name: 'injectArguments' },
];

/** The object literal of functions `expression` binds, when it is a known injector's call. */
export function injectedObject(
  model: TsModel,
  expression: ts.Expression,
): ts.ObjectLiteralExpression | undefined {
  const call = unwrap(expression);
  if (!ts.isCallExpression(call) || !ts.isIdentifier(call.expression)) return undefined;
  const imported = model.imports.get(call.expression.text);
  if (
    !imported ||
    !INJECTORS.some((known) => known.module === imported.module && known.name === imported.imported)
  )
    return undefined;
  const [functions] = call.arguments;
  const object = functions && unwrap(functions);
  return object && ts.isObjectLiteralExpression(object) ? object : undefined;
}
