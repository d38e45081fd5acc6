/**
 * What a module exports besides `export function` and `export class`: object literals of its
 * functions (`export default { getAll, create }`, as service modules of Express apps export
 * themselves; `const models = { User, Post }; export default models;`, a models index; CommonJS
 * `module.exports = { Job }`) and export lists of its own names (`export { getAll }`). The index
 * resolves calls through them (`facts.ts`), and the request-path rules take their functions for
 * ones other files call (`call-paths.ts`).
 */
import { ts } from './compiler';
import { injectedObject } from './injected-objects';
import { hasModifier, isMemoWrapper, unwrap, type TsFunction, type TsModel } from './model';

/** An exported object literal: `default`, the exported variable's name, or '' for `module.exports`. */
export interface ExportedObject {
  name: string;
  object: ts.ObjectLiteralExpression;
}

const objectsOfModel = new WeakMap<TsModel, ExportedObject[]>();

/** The object literals the module exports, read from its top-level statements once per file. */
export function exportedObjects(model: TsModel): ExportedObject[] {
  let found = objectsOfModel.get(model);
  if (found) return found;
  found = [];
  const add = (name: string, expression: ts.Expression | undefined): void => {
    const object = objectLiteralOf(model, expression);
    if (object) found!.push({ name, object });
  };
  for (const statement of model.sourceFile.statements) {
    if (ts.isExportAssignment(statement) && !statement.isExportEquals)
      add('default', statement.expression);
    else if (
      ts.isVariableStatement(statement) &&
      hasModifier(statement, ts.SyntaxKind.ExportKeyword)
    ) {
      for (const declaration of statement.declarationList.declarations)
        if (ts.isIdentifier(declaration.name)) add(declaration.name.text, declaration.initializer);
    } else if (
      ts.isExpressionStatement(statement) &&
      isModuleExportsAssignment(statement.expression)
    )
      add('', statement.expression.right);
  }
  objectsOfModel.set(model, found);
  return found;
}

/** `module.exports`, `module.exports.X` or `exports.X`: the export name (`default` for the first). */
function commonJsExportName(target: ts.Expression): string | undefined {
  const node = unwrap(target);
  if (!ts.isPropertyAccessExpression(node)) return undefined;
  const owner = unwrap(node.expression);
  if (ts.isIdentifier(owner)) {
    if (owner.text === 'module' && node.name.text === 'exports') return 'default';
    return owner.text === 'exports' ? node.name.text : undefined;
  }
  return commonJsExportName(owner) === 'default' ? node.name.text : undefined;
}

/**
 * A top-level CommonJS export: `module.exports = value` (named `default`, as TypeScript's
 * interop and a whole-module `require` see it), `exports.name = value` or `module.exports.name =
 * value`; undefined for any other statement.
 */
export function commonJsExport(
  statement: ts.Statement,
): { name: string; value: ts.Expression } | undefined {
  if (!ts.isExpressionStatement(statement)) return undefined;
  const expression = statement.expression;
  if (
    !ts.isBinaryExpression(expression) ||
    expression.operatorToken.kind !== ts.SyntaxKind.EqualsToken
  )
    return undefined;
  const name = commonJsExportName(expression.left);
  return name ? { name, value: expression.right } : undefined;
}

/** `module.exports`. */
export function isModuleExports(node: ts.Expression): boolean {
  return (
    ts.isPropertyAccessExpression(node) &&
    node.name.text === 'exports' &&
    ts.isIdentifier(node.expression) &&
    node.expression.text === 'module'
  );
}

/** `module.exports = ...` */
export function isModuleExportsAssignment(node: ts.Node): node is ts.BinaryExpression {
  return (
    ts.isBinaryExpression(node) &&
    node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
    isModuleExports(node.left)
  );
}

/** The object literal an exported expression is, or the module variable it names holds. */
function objectLiteralOf(
  model: TsModel,
  expression: ts.Expression | undefined,
): ts.ObjectLiteralExpression | undefined {
  let node = expression && unwrap(expression);
  if (node && ts.isIdentifier(node)) {
    const initializer = model.moduleVariables.get(node.text)?.initializer;
    node = initializer && unwrap(initializer);
  }
  if (!node) return undefined;
  return ts.isObjectLiteralExpression(node) ? node : injectedObject(model, node);
}

/** A member of an object literal that may hold a function (see `callableMembers`). */
export interface CallableMember {
  member: string;
  /** The name the member holds (`getAll` of `list: getAll` or of `{ getAll }`); none when inline. */
  value?: ts.Identifier;
}

/**
 * The members of an object literal that may hold a function: one written in it (`async list()
 * {}`, `list: async () => ...`, indexed under the member's name), or a name it holds (`{ getAll
 * }`, `list: getAll`), for the caller to place. Spreads, computed keys and other values are left out.
 */
export function callableMembers(object: ts.ObjectLiteralExpression): CallableMember[] {
  const members: CallableMember[] = [];
  for (const property of object.properties) {
    if (!property.name || !ts.isIdentifier(property.name)) continue;
    const member = property.name.text;
    if (ts.isShorthandPropertyAssignment(property)) {
      members.push({ member, value: property.name });
      continue;
    }
    if (ts.isMethodDeclaration(property)) members.push({ member });
    if (!ts.isPropertyAssignment(property)) continue;
    const value = unwrap(property.initializer);
    if (ts.isArrowFunction(value) || ts.isFunctionExpression(value)) members.push({ member });
    else if (ts.isIdentifier(value)) members.push({ member, value });
  }
  return members;
}

/** Whether the module declares `name` as a function or class (a statement or a `const`). */
export function declaresCallable(model: TsModel, name: string): boolean {
  const initializer = model.moduleVariables.get(name)?.initializer;
  if (initializer) {
    const value = unwrap(initializer);
    return (
      ts.isArrowFunction(value) || ts.isFunctionExpression(value) || ts.isClassExpression(value)
    );
  }
  return declaredFunctionsAndClasses(model).has(name);
}

const functionsAndClasses = new WeakMap<TsModel, Set<string>>();

/** The names of the module's top-level function and class statements, read once per file. */
export function declaredFunctionsAndClasses(model: TsModel): Set<string> {
  let names = functionsAndClasses.get(model);
  if (!names) {
    names = new Set();
    for (const statement of model.sourceFile.statements)
      if (
        (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) &&
        statement.name
      )
        names.add(statement.name.text);
    functionsAndClasses.set(model, names);
  }
  return names;
}

const exportedNamesOfModel = new WeakMap<TsModel, Set<string>>();

/**
 * Names of the module's own declarations that other modules reach without an `export` on the
 * declaration: in an export list (`export { getAll }`) or an exported object (`export default {
 * getAll }`, `module.exports = { getAll }`).
 */
function exportedLocalNames(model: TsModel): Set<string> {
  let names = exportedNamesOfModel.get(model);
  if (names) return names;
  names = new Set();
  for (const statement of model.sourceFile.statements) {
    if (!ts.isExportDeclaration(statement) || statement.moduleSpecifier || statement.isTypeOnly)
      continue;
    const clause = statement.exportClause;
    if (clause && ts.isNamedExports(clause))
      for (const element of clause.elements) names.add((element.propertyName ?? element.name).text);
  }
  for (const { object } of exportedObjects(model))
    for (const property of object.properties) {
      if (ts.isShorthandPropertyAssignment(property)) names.add(property.name.text);
      else if (ts.isPropertyAssignment(property) && ts.isIdentifier(unwrap(property.initializer)))
        names.add((unwrap(property.initializer) as ts.Identifier).text);
    }
  for (const memo of memoisedFunctions(model)) if (memo.exported) names.add(memo.wrapped);
  exportedNamesOfModel.set(model, names);
  return names;
}

/** A top-level memo of a named function: `getTeams` of `const getTeams = cache(loadTeams)`. */
export interface MemoisedFunction {
  /** The memo's declaration (`getTeams`). */
  declaration: ts.VariableDeclaration;
  /** The name of the function it wraps (`loadTeams`). */
  wrapped: string;
  /** Whether the memo's statement is exported: other modules then call `loadTeams` as `getTeams`. */
  exported: boolean;
}

const memosOfModel = new WeakMap<TsModel, MemoisedFunction[]>();

/**
 * The module's top-level memos of named functions (`export const getTeams =
 * unstable_cache(loadTeams, ['teams'])`, React's `cache` too), read once per file.
 */
export function memoisedFunctions(model: TsModel): MemoisedFunction[] {
  let memos = memosOfModel.get(model);
  if (memos) return memos;
  memos = [];
  if (model.text.includes('cache('))
    for (const statement of model.sourceFile.statements) {
      if (!ts.isVariableStatement(statement)) continue;
      const exported = hasModifier(statement, ts.SyntaxKind.ExportKeyword);
      for (const declaration of statement.declarationList.declarations) {
        const init = declaration.initializer && unwrap(declaration.initializer);
        if (!init || !ts.isCallExpression(init) || !init.arguments[0]) continue;
        const wrapped = unwrap(init.arguments[0]);
        if (ts.isIdentifier(wrapped) && isMemoWrapper(init.expression, model.imports))
          memos.push({ declaration, wrapped: wrapped.text, exported });
      }
    }
  memosOfModel.set(model, memos);
  return memos;
}

/**
 * Whether a top-level function is exported by an export list or an exported object, or is an
 * inline member of an exported object (`export default { async list() {...} }`).
 */
export function exportedThroughObjectOrList(model: TsModel, fn: TsFunction): boolean {
  if (fn.parent || !fn.name) return false;
  const node = fn.node;
  const holder = ts.isMethodDeclaration(node) ? node.parent : node.parent?.parent;
  if (holder && ts.isObjectLiteralExpression(holder))
    return exportedObjects(model).some(({ object }) => object === holder);
  return !fn.className && exportedLocalNames(model).has(fn.name);
}

const instantiatedExportsOfModel = new WeakMap<TsModel, Set<string>>();

/**
 * Whether the module exports an instance of its class `className` made at top level (`export const
 * mailer = new Mailer(cfg)`, `export default new Mailer()`, `const roles = new RoleService();
 * export { roles }`): other modules call the class's methods through it.
 */
export function exportsInstanceOf(model: TsModel, className: string): boolean {
  let classes = instantiatedExportsOfModel.get(model);
  if (!classes) {
    classes = new Set();
    const add = (expression: ts.Expression | undefined): void => {
      const node = expression && unwrap(expression);
      if (node && ts.isNewExpression(node) && ts.isIdentifier(node.expression))
        classes!.add(node.expression.text);
    };
    for (const statement of model.sourceFile.statements) {
      if (ts.isExportAssignment(statement) && !statement.isExportEquals) add(statement.expression);
      if (!ts.isVariableStatement(statement)) continue;
      const exported = hasModifier(statement, ts.SyntaxKind.ExportKeyword);
      for (const declaration of statement.declarationList.declarations)
        if (
          ts.isIdentifier(declaration.name) &&
          (exported || exportedLocalNames(model).has(declaration.name.text))
        )
          add(declaration.initializer);
    }
    // `exports.mailer = new Mailer()`, `export default mailer`, `export { m as mailer }`.
    for (const { value } of aliasedExports(model)) add(exportedInstantiation(model, value));
    instantiatedExportsOfModel.set(model, classes);
  }
  return classes.has(className);
}

/** A value a module exports under a name: an expression (`new Mailer()`) or a variable's name. */
export interface NamedExport {
  /** The name importers use: `service`, `default`, `default.mailer` (a member of an exported object). */
  name: string;
  value: ts.Expression;
}

const aliasedExportsOfModel = new WeakMap<TsModel, NamedExport[]>();

/**
 * What the module exports under a name other than a declaration's own: renamed export lists
 * (`export { svc as service }`), `export default svc`, CommonJS exports (`exports.mailer = new
 * Mailer()`, `module.exports.mailer = mailer`, `module.exports = new Mailer()` as `default`) and
 * the members of exported objects that name a variable under another name (`module.exports = {
 * mailService: mailer }`, `export default { mailer }` as `default.mailer`). Read once per file.
 */
export function aliasedExports(model: TsModel): NamedExport[] {
  let found = aliasedExportsOfModel.get(model);
  if (found) return found;
  found = [];
  for (const statement of model.sourceFile.statements) {
    if (ts.isExportAssignment(statement) && !statement.isExportEquals) {
      const value = unwrap(statement.expression);
      if (ts.isIdentifier(value)) found.push({ name: 'default', value });
      continue;
    }
    if (ts.isExportDeclaration(statement)) {
      const clause = statement.exportClause;
      if (statement.moduleSpecifier || statement.isTypeOnly || !clause) continue;
      if (!ts.isNamedExports(clause)) continue;
      for (const element of clause.elements)
        if (element.propertyName && ts.isIdentifier(element.propertyName) && !element.isTypeOnly)
          found.push({ name: element.name.text, value: element.propertyName });
      continue;
    }
    const assignment = commonJsExport(statement);
    if (assignment) found.push(assignment);
  }
  for (const { name, object } of exportedObjects(model)) {
    const prefix = name ? `${name}.` : '';
    for (const property of object.properties) {
      const value = ts.isShorthandPropertyAssignment(property)
        ? property.name
        : ts.isPropertyAssignment(property)
          ? unwrap(property.initializer)
          : undefined;
      if (!value || !ts.isIdentifier(value) || !ts.isIdentifier(property.name!)) continue;
      const exported = `${prefix}${property.name.text}`;
      // `module.exports = { mailer }`: reached under the variable's own name already.
      if (exported !== value.text) found.push({ name: exported, value });
    }
  }
  aliasedExportsOfModel.set(model, found);
  return found;
}

/** The `new X()` an exported value is: itself, or a module variable's initializer. */
export function exportedInstantiation(
  model: TsModel,
  value: ts.Expression,
): ts.NewExpression | undefined {
  let node = unwrap(value);
  if (ts.isIdentifier(node)) {
    const initializer = model.moduleVariables.get(node.text)?.initializer;
    if (!initializer) return undefined;
    node = unwrap(initializer);
  }
  return ts.isNewExpression(node) ? node : undefined;
}
