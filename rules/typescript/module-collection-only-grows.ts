import type { FileContext, Rule } from '../../server/src/engine/rule';
import { lazyKinds, ts } from '../../server/src/typescript/compiler';
import { hasFiniteKeys, localTypes, type LocalTypes } from '../../server/src/typescript/key-types';
import { isScriptOrTestPath } from '../../server/src/typescript/knowledge';
import { describeRuns } from '../../server/src/typescript/listeners';
import { READING_CALLS } from '../../server/src/typescript/imported-value-changes';
import { SHRINK_METHODS } from '../../server/src/typescript/member-changes';
import { isPackageEntryModule } from '../../server/src/typescript/package-entries';
import { tsModuleNameOf } from '../../server/src/typescript/facts';
import { privateStaticFields, publicStaticFields } from '../../server/src/typescript/static-fields';
import type { CallSite } from '../../server/src/workspace/facts';
import type { WorkspaceIndex } from '../../server/src/workspace/index';
import {
  chainText,
  ITERATION_METHODS,
  semanticParent,
  unwrap,
  type TsFunction,
  type TsModel,
} from '../../server/src/typescript/model';
import {
  declarationOf,
  enclosingFunctionNode,
  forEachOwnDescendant,
  referencesTo,
} from '../../server/src/typescript/name-resolution';

const COLLECTION_CONSTRUCTORS = new Set(['Map', 'Set']);
const ADD_METHODS = new Set(['set', 'add', 'push', 'unshift']);
const ASSIGNMENT_OPERATORS = lazyKinds(() => [
  ts.SyntaxKind.EqualsToken,
  ts.SyntaxKind.QuestionQuestionEqualsToken,
  ts.SyntaxKind.BarBarEqualsToken,
  ts.SyntaxKind.AmpersandAmpersandEqualsToken,
  ts.SyntaxKind.PlusEqualsToken,
  ts.SyntaxKind.MinusEqualsToken,
]);
const RELATIONAL_OPERATORS = lazyKinds(() => [
  ts.SyntaxKind.GreaterThanToken,
  ts.SyntaxKind.GreaterThanEqualsToken,
  ts.SyntaxKind.LessThanToken,
  ts.SyntaxKind.LessThanEqualsToken,
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
]);

/** `new Map()`, `new Set()`, `new Map<K, V>()`, `[]`, `{}`, `Object.create(null)`: empty and growable. */
function isEmptyCollection(init: ts.Expression | undefined): boolean {
  if (!init) return false;
  const inner = unwrap(init);
  if (ts.isNewExpression(inner))
    return (
      COLLECTION_CONSTRUCTORS.has(chainText(inner.expression)) &&
      (inner.arguments?.length ?? 0) === 0
    );
  if (ts.isArrayLiteralExpression(inner)) return inner.elements.length === 0;
  if (ts.isObjectLiteralExpression(inner)) return inner.properties.length === 0;
  if (ts.isCallExpression(inner))
    return (
      chainText(inner.expression) === 'Object.create' &&
      inner.arguments.length === 1 &&
      inner.arguments[0].kind === ts.SyntaxKind.NullKeyword
    );
  return false;
}

/** What one reference to the collection does; an addition keeps the value it stores, if seen. */
type Effect =
  | { kind: 'add'; code: string; value?: ts.Expression; key?: ts.Expression }
  | { kind: 'shrink' | 'bounded' | 'escape' | 'read' };

const READ: Effect = { kind: 'read' };

/** A key written as a literal (`x.set('total', n)`, `x['total'] = n`): one of a fixed few. */
function isLiteralKey(key: ts.Expression | undefined): boolean {
  const inner = key && unwrap(key);
  return !!inner && (ts.isStringLiteralLike(inner) || ts.isNumericLiteral(inner));
}

function isAssignedTo(node: ts.Expression): boolean {
  const parent = semanticParent(node);
  return (
    !!parent &&
    ts.isBinaryExpression(parent) &&
    ASSIGNMENT_OPERATORS().has(parent.operatorToken.kind) &&
    unwrap(parent.left) === node
  );
}

/** The effect of `x.method(...)`, `x.size`, `x.length = 0`, `x.key = v`. */
function memberEffect(access: ts.PropertyAccessExpression, name: string): Effect {
  const member = access.name.text;
  const parent = semanticParent(access);
  if (parent && ts.isCallExpression(parent) && unwrap(parent.expression) === access) {
    if (SHRINK_METHODS.has(member)) return { kind: 'shrink' };
    if (!ADD_METHODS.has(member)) return READ;
    if ((member === 'set' || member === 'add') && isLiteralKey(parent.arguments[0])) return READ;
    const value = parent.arguments[member === 'set' ? 1 : 0];
    const key = member === 'set' || member === 'add' ? parent.arguments[0] : undefined;
    return { kind: 'add', code: `${name}.${member}(...)`, value, key };
  }
  if (member === 'length' && isAssignedTo(access)) return { kind: 'shrink' };
  if (
    (member === 'size' || member === 'length') &&
    parent &&
    ts.isBinaryExpression(parent) &&
    RELATIONAL_OPERATORS().has(parent.operatorToken.kind)
  )
    return { kind: 'bounded' };
  return READ;
}

/** The method a `x["delete"](k)` call names: Babel's ES3 output quotes reserved words. */
function quotedMethod(access: ts.ElementAccessExpression): string | undefined {
  const parent = semanticParent(access);
  const key = unwrap(access.argumentExpression);
  if (!parent || !ts.isCallExpression(parent) || unwrap(parent.expression) !== access) return;
  return ts.isStringLiteralLike(key) ? key.text : undefined;
}

/**
 * The effect of `x[key] = v`, `delete x[key]`, `x[key].push(v)`, `x[key].splice(i, 1)`. On an array
 * (`isArray`), `x[i] = v` overwrites a slot, as in a scratch buffer or a table indexed by a small
 * number: arrays grow with the data through `push`, which is counted.
 */
function elementEffect(access: ts.ElementAccessExpression, name: string, isArray: boolean): Effect {
  const parent = semanticParent(access);
  if (parent && ts.isDeleteExpression(parent)) return { kind: 'shrink' };
  const method = quotedMethod(access);
  if (method !== undefined) {
    if (SHRINK_METHODS.has(method)) return { kind: 'shrink' };
    return ADD_METHODS.has(method) ? { kind: 'add', code: `${name}["${method}"](...)` } : READ;
  }
  if (isLiteralKey(access.argumentExpression)) return READ;
  if (isAssignedTo(access)) {
    if (isArray) return READ;
    const value = (semanticParent(access) as ts.BinaryExpression).right;
    return { kind: 'add', code: `${name}[key] = ...`, value, key: access.argumentExpression };
  }
  if (
    parent &&
    ts.isPropertyAccessExpression(parent) &&
    parent.parent &&
    ts.isCallExpression(parent.parent) &&
    unwrap(parent.parent.expression) === parent
  ) {
    // `x[key].splice(i, 1)`: entries' own lists are trimmed (unsubscribe from a keyed list).
    if (SHRINK_METHODS.has(parent.name.text)) return { kind: 'shrink' };
    // `x[key].push(v)`: the entry's own list grows with the data.
    if (ADD_METHODS.has(parent.name.text))
      return { kind: 'add', code: `${name}[key].${parent.name.text}(...)` };
  }
  return READ;
}

/** What a reference to the collection `name` (`cache`, `Cache.entries`) does to it. */
function effectOf(ref: ts.Expression, name: string, isArray: boolean): Effect {
  const parent = semanticParent(ref);
  if (!parent) return READ;
  if (ts.isPropertyAccessExpression(parent) && unwrap(parent.expression) === ref)
    return memberEffect(parent, name);
  if (ts.isElementAccessExpression(parent) && unwrap(parent.expression) === ref)
    return elementEffect(parent, name, isArray);
  if (isAssignedTo(ref)) return { kind: 'shrink' }; // reassigned: `x = []`, `x = x.filter(...)`
  // `other = x`, `x ?? fallback`: the collection flows on to other code.
  if (ts.isBinaryExpression(parent))
    return ASSIGNMENT_OPERATORS().has(parent.operatorToken.kind) ||
      parent.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken ||
      parent.operatorToken.kind === ts.SyntaxKind.BarBarToken
      ? { kind: 'escape' }
      : READ;
  if (ts.isCallExpression(parent) || ts.isNewExpression(parent)) {
    const callee = chainText(parent.expression);
    if (callee === 'Object.assign')
      return parent.arguments?.[0] && unwrap(parent.arguments[0]) === ref
        ? { kind: 'add', code: `Object.assign(${name}, ...)` }
        : READ;
    return READING_CALLS.test(callee) ? READ : { kind: 'escape' };
  }
  if (
    ts.isReturnStatement(parent) ||
    ts.isArrowFunction(parent) ||
    ts.isShorthandPropertyAssignment(parent) ||
    ts.isPropertyAssignment(parent) ||
    ts.isVariableDeclaration(parent) ||
    ts.isArrayLiteralExpression(parent) ||
    ts.isExportAssignment(parent) ||
    ts.isConditionalExpression(parent) ||
    ts.isJsxExpression(parent)
  )
    return { kind: 'escape' };
  return READ;
}

/** Functions that fill registries: `register*`/`define*`, by convention called at startup. */
const REGISTRAR = /^(?:register|define)/;

/**
 * Sets and maps that remember which warnings were printed (`warned`, `alreadyWarned`,
 * `deprecations`, `LOGGED_MESSAGES`): keyed by messages written in the code, so they stay small.
 */
const WARN_ONCE = /warn|deprecat|logged/i;

/** `ClassDecorator`, `MethodDecorator`, `PropertyDecorator`, `ParameterDecorator`, a library's own. */
const DECORATOR_TYPE = /Decorator$/;

function isDecoratorType(type: ts.TypeNode | undefined): boolean {
  if (!type || !ts.isTypeReferenceNode(type)) return false;
  const name = ts.isIdentifier(type.typeName) ? type.typeName.text : type.typeName.right.text;
  return DECORATOR_TYPE.test(name);
}

/**
 * Whether `fn` is a decorator or a decorator factory, by its declared type (`(): ClassDecorator`,
 * `const Handler: ClassDecorator = ...`, or the function such a factory returns). Decorators run
 * when the class they decorate is defined, at load for the module-level classes they decorate:
 * TypeGraphQL's `@Resolver()` pushes each class into `MetadataStorage` once.
 */
function isDecorator(fn: TsFunction): boolean {
  if (isDecoratorType(fn.node.type)) return true;
  const holder = fn.node.parent;
  if (ts.isVariableDeclaration(holder) && isDecoratorType(holder.type)) return true;
  const factory = fn.parent;
  const returned = ts.isReturnStatement(holder) || holder === factory?.node;
  return returned && isDecoratorType(factory?.node.type);
}

/**
 * Whether additions in `fn` happen while the module loads: an iteration callback of module-level
 * code (`routes.forEach((r) => table.set(...))`), a top-level function only this module calls,
 * only from its top level or from other such functions (`const tt = { bracketL: createToken("[") }`
 * where `createToken` is also called by `createKeyword`), a registrar, or a decorator.
 */
function runsAtLoad(
  model: TsModel,
  fn: TsFunction | undefined,
  visiting = new Set<TsFunction>(),
): boolean {
  for (let current = fn; current;) {
    if (REGISTRAR.test(current.name) || isDecorator(current)) return true;
    const iteration = current.callbackOf;
    if (iteration && !iteration.isNew && ITERATION_METHODS.has(iteration.name)) {
      current = iteration.fn;
      continue;
    }
    if (current.parent || !current.name || current.exported || visiting.has(current)) return false;
    visiting.add(current);
    const calls = model.calls.filter((call) => call.callee === current!.name);
    return (
      calls.length > 0 && calls.every((call) => !call.fn || runsAtLoad(model, call.fn, visiting))
    );
  }
  return true;
}

/** `new Intl.DateTimeFormat(...)`, `new RegExp(...)`, `RegExp(...)`: built from their arguments alone. */
function isFormatterOrPattern(node: ts.Expression): boolean {
  const inner = unwrap(node);
  if (!ts.isNewExpression(inner) && !ts.isCallExpression(inner)) return false;
  const callee = chainText(inner.expression);
  return callee === 'RegExp' || (ts.isNewExpression(inner) && /^Intl\.\w+$/.test(callee));
}

/** `cache[key]` or `cache.get(key)`: reading an entry back. */
function isCacheRead(expression: ts.Expression): boolean {
  if (ts.isElementAccessExpression(expression)) return true;
  return (
    ts.isCallExpression(expression) &&
    ts.isPropertyAccessExpression(expression.expression) &&
    expression.expression.name.text === 'get'
  );
}

/**
 * Whether a cache stores a formatter or pattern built from its key, directly or through a local
 * (`dtf = new Intl.DateTimeFormat(locale, opts); cache[key] = dtf`). Such caches are keyed by
 * locales, time zones and patterns the code uses: a small set, and caching them is the advice.
 */
function storesFormatterOrPattern(value: ts.Expression | undefined): boolean {
  if (!value) return false;
  const inner = unwrap(value);
  if (isFormatterOrPattern(inner)) return true;
  if (!ts.isIdentifier(inner)) return false;
  const declaration = declarationOf(inner);
  const holder = declaration?.parent;
  if (!declaration || !holder || !ts.isVariableDeclaration(holder)) return false;
  const assigned: ts.Expression[] = holder.initializer ? [holder.initializer] : [];
  const scope = enclosingFunctionNode(inner);
  if (scope)
    forEachOwnDescendant(scope.body, (node) => {
      if (
        ts.isBinaryExpression(node) &&
        node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
        ts.isIdentifier(unwrap(node.left)) &&
        declarationOf(unwrap(node.left) as ts.Identifier) === declaration
      )
        assigned.push(node.right);
    });
  // `let dtf = cache[key]` / `cache.get(key)`; `if (!dtf) { dtf = new Intl...(); ... }`: the read of
  // the cache itself is not a new value.
  const built = assigned.filter((expression) => !isCacheRead(unwrap(expression)));
  return built.length > 0 && built.every(isFormatterOrPattern);
}

/** Whether `statement` ends in a `return`: `return x;`, or a block whose last statement is one. */
function endsInReturn(statement: ts.Statement): boolean {
  if (ts.isReturnStatement(statement)) return true;
  if (!ts.isBlock(statement)) return false;
  const last = statement.statements[statement.statements.length - 1];
  return !!last && ts.isReturnStatement(last);
}

/** `name.has(key)`, `name.get(key)`, `name[key]`: a read of the entry under `key`. */
function readsEntry(expression: ts.Expression, name: string, key: string): boolean {
  const node = unwrap(expression);
  if (ts.isElementAccessExpression(node))
    return chainText(node.expression) === name && unwrap(node.argumentExpression).getText() === key;
  if (!ts.isCallExpression(node) || node.arguments.length !== 1) return false;
  const callee = chainText(node.expression);
  return (
    (callee === `${name}.has` || callee === `${name}.get`) &&
    unwrap(node.arguments[0]).getText() === key
  );
}

/**
 * Whether an `if` condition asks whether `name` already holds `key`: `name.has(key)`,
 * `name[key]`, `key in name`, or a local read from it (`const known = name.get(key); if (known)`,
 * `if (known !== undefined)`).
 */
function asksForEntry(condition: ts.Expression, name: string, key: string): boolean {
  let node = unwrap(condition);
  if (ts.isBinaryExpression(node)) {
    const operator = node.operatorToken.kind;
    if (operator === ts.SyntaxKind.InKeyword)
      return chainText(node.right) === name && unwrap(node.left).getText() === key;
    if (
      operator !== ts.SyntaxKind.ExclamationEqualsEqualsToken &&
      operator !== ts.SyntaxKind.ExclamationEqualsToken
    )
      return false;
    node = unwrap(node.left);
  }
  if (readsEntry(node, name, key)) return true;
  if (!ts.isIdentifier(node)) return false;
  const holder = declarationOf(node)?.parent;
  return (
    !!holder &&
    ts.isVariableDeclaration(holder) &&
    !!holder.initializer &&
    readsEntry(holder.initializer, name, key)
  );
}

/**
 * Whether `fn` returns early when the collection already holds the key it adds under: a
 * get-or-create memo (`if (m.has(k)) return m.get(k)!; ...; m.set(k, v)`) or a do-once guard
 * (`if (done[k]) return; ...; done[k] = true`). Such a collection holds one entry per distinct
 * key, so whether it grows depends on where the keys come from.
 */
function checksEntryFirst(fn: TsFunction, name: string, key: ts.Expression): boolean {
  const body = (fn.node as { body?: ts.Node }).body;
  if (!body || !ts.isBlock(body)) return false;
  const keyText = unwrap(key).getText();
  return body.statements.some(
    (statement) =>
      ts.isIfStatement(statement) &&
      endsInReturn(statement.thenStatement) &&
      asksForEntry(statement.expression, name, keyText),
  );
}

/**
 * Whether `fn`, exported, runs only while modules load: a module variable somewhere takes its
 * value from it (`const userRepo = repoFactory(UserEntity)`) and no function in the workspace
 * calls it. A get-or-create memo it fills then holds one entry per such line of code: a registry.
 */
function calledOnlyAtLoad(index: WorkspaceIndex, file: string, fn: TsFunction): boolean {
  const indexed = index.get(file)?.functions.find((candidate) => candidate.start === fn.start);
  if (!indexed) return false;
  const isFn = (site: CallSite): boolean => index.resolve(site.targets)?.fn === indexed;
  const typescript = [...index.allFacts()].filter((facts) => facts.language === 'typescript');
  // The load-time calls first: few files have any, and without one there is nothing to exempt.
  if (!typescript.some((facts) => facts.loadCalls?.some(isFn))) return false;
  return !typescript.some((facts) => facts.functions.some((caller) => caller.calls.some(isFn)));
}

/** Keys quoted in messages; longer ones are not worth the space. */
const MAX_KEY_TEXT = 40;

function keyText(key: ts.Expression | undefined): string | undefined {
  const text = key && unwrap(key).getText();
  return text && text.length <= MAX_KEY_TEXT && !text.includes('\n') ? text : undefined;
}

/** `, keyed by `job.name``: what the entries are told apart by, for the reader to judge. */
function keyedBy(key: ts.Expression | undefined): string {
  const text = keyText(key);
  return text ? `, keyed by \`${text}\`` : '';
}

/**
 * For a memo or do-once guard: it holds one entry per distinct key, so when the keys are names
 * the code declares (entities, job names), it is bounded and the finding is not worth acting on.
 */
function fixedKeysAdvice(key: ts.Expression | undefined): string {
  const text = keyText(key);
  const keys = text ? `\`${text}\`` : 'the key';
  return `; it adds each key once, so if ${keys} only takes a fixed set of values (names declared in the code), suppress the finding`;
}

/** The names the file exports its own variables under (`export { cache }`, `export { cache as store }`). */
function exportedNames(model: TsModel): Map<string, string[]> {
  const names = new Map<string, string[]>();
  for (const statement of model.sourceFile.statements) {
    if (
      ts.isExportDeclaration(statement) &&
      !statement.moduleSpecifier &&
      statement.exportClause &&
      ts.isNamedExports(statement.exportClause)
    )
      for (const element of statement.exportClause.elements) {
        const local = (element.propertyName ?? element.name).text;
        names.set(local, [...(names.get(local) ?? []), element.name.text]);
      }
  }
  return names;
}

/**
 * The name a CommonJS export gives the collection at `ref`: `module.exports = { cache }`,
 * `module.exports = { store: cache }`, `exports.cache = cache`, `module.exports.cache = cache`.
 */
function commonJsExportName(ref: ts.Expression): string | undefined {
  const parent = semanticParent(ref);
  if (!parent) return undefined;
  const isAssignment = (node: ts.Node | undefined): node is ts.BinaryExpression =>
    !!node && ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken;
  if (isAssignment(parent) && unwrap(parent.right) === ref) {
    const target = /^(?:module\.)?exports\.([\w$]+)$/.exec(chainText(parent.left));
    return target?.[1];
  }
  const isMember =
    ts.isShorthandPropertyAssignment(parent) ||
    (ts.isPropertyAssignment(parent) && unwrap(parent.initializer) === ref);
  if (!isMember || ts.isComputedPropertyName(parent.name)) return undefined;
  const object = parent.parent;
  const assignment = semanticParent(object as ts.Expression);
  if (
    !isAssignment(assignment) ||
    unwrap(assignment.right) !== object ||
    chainText(assignment.left) !== 'module.exports'
  )
    return undefined;
  return parent.name.text;
}

function isExportedDeclaration(declaration: ts.VariableDeclaration): boolean {
  const statement = declaration.parent.parent;
  return (
    ts.isVariableStatement(statement) &&
    (ts.getModifiers(statement) ?? []).some((mod) => mod.kind === ts.SyntaxKind.ExportKeyword)
  );
}

/** The model's function for a function node. */
function functionOfNode(model: TsModel, node: ts.Node | undefined): TsFunction | undefined {
  return node ? model.functions.find((fn) => fn.node === node) : undefined;
}

/** A collection that lives as long as the module: a module variable or a private static field. */
interface LongLivedCollection {
  /** How the code names it: `cache`, `TemplateCache.compiled`. */
  name: string;
  declaration: ts.VariableDeclaration | ts.PropertyDeclaration;
  nameNode: ts.Node;
  /** Every expression in the file that names it. */
  references: readonly ts.Expression[];
  /** Where removals were looked for: a public static's other modules are asked too. */
  searched?: 'workspace';
  /** The names the module exports it under (`export const cache`, `export { cache as store }`). */
  exportedAs?: string[];
}

function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

/**
 * Whether code other than this module may shrink the collection it exports under `names`: it is
 * exported, directly or through barrels, from a package's entry point (code outside the workspace
 * may use it), or a module of the workspace imports it (under those names or a barrel's) and
 * shrinks it, hands it on, or hands on the namespace that holds it.
 */
function mayShrinkElsewhere(ctx: FileContext, names: readonly string[]): boolean {
  const model = ctx.typescript!;
  const module = ctx.index.get(ctx.file)?.moduleName ?? tsModuleNameOf(ctx.relativePath);
  const exporters = ctx.index.exportersOf(module, names);
  if ([...exporters.keys()].some((name) => isPackageEntryModule(model.moduleAliases, name)))
    return true;
  const known = new Set([...exporters.values()].flatMap((set) => [...set]));
  return ctx.index.changesImportedValue(known, exporters.keys());
}

/** Reports the collection when run-time code adds to it and nothing keeps it bounded. */
function checkCollection(
  ctx: FileContext,
  collection: LongLivedCollection,
  locals: () => LocalTypes,
): void {
  const model = ctx.typescript!;
  const { name, declaration, references } = collection;
  if (WARN_ONCE.test(name)) return;
  if (hasFiniteKeys(declaration, locals())) return;
  const isArray = ts.isArrayLiteralExpression(unwrap(declaration.initializer!));
  const adds: { fn: TsFunction; code: string; value?: ts.Expression; key?: ts.Expression }[] = [];
  const exportedAs = [...(collection.exportedAs ?? [])];
  for (const ref of references) {
    const exported = commonJsExportName(ref);
    if (exported) {
      exportedAs.push(exported);
      continue;
    }
    const effect = effectOf(ref, name, isArray);
    if (effect.kind === 'read') continue;
    if (effect.kind !== 'add') return;
    const fn = functionOfNode(model, enclosingFunctionNode(ref));
    if (fn && !runsAtLoad(model, fn))
      adds.push({ fn, code: effect.code, value: effect.value, key: effect.key });
  }
  if (adds.length === 0) return;
  if (adds.every((add) => storesFormatterOrPattern(add.value))) return;
  const [first] = adds;
  const checked = adds.every((add) => add.key && checksEntryFirst(add.fn, name, add.key));
  if (
    checked &&
    first.fn.exported &&
    // Load-time calls are plain `const x = f(...)`: an async memo (rows cached by id) has none.
    !first.fn.isAsync &&
    adds.every((add) => add.fn === first.fn) &&
    calledOnlyAtLoad(ctx.index, ctx.file, first.fn)
  )
    return;
  if (exportedAs.length > 0 && mayShrinkElsewhere(ctx, exportedAs)) return;
  const searched = exportedAs.length > 0 ? 'workspace' : collection.searched;
  const where = first.fn.name
    ? `\`${first.fn.name}\``
    : `code run on ${describeRuns(model, first.fn)}`;
  const more = adds.length - 1;
  const others = more > 0 ? ` (and ${more} more place${more > 1 ? 's' : ''})` : '';
  ctx.report({
    start: collection.nameNode.getStart(model.sourceFile),
    end: collection.nameNode.end,
    message:
      `\`${name}\` only grows: ${where} adds to it (\`${first.code}\`${keyedBy(first.key)})${others} ` +
      `and nothing in ${searched === 'workspace' ? 'the workspace' : 'this file'} removes entries, so it holds everything ever added for the life of ` +
      'the process; bound it (an LRU cache, a size check) or delete entries when they are done' +
      (checked ? fixedKeysAdvice(first.key) : ''),
  });
}

/** Module-level `Map`/`Set`/array/object that functions add to and nothing ever shrinks. */
export const moduleCollectionOnlyGrows: Rule = {
  meta: {
    id: 'module-collection-only-grows',
    language: 'typescript',
    category: 'memory-leak',
    severity: 'warning',
    summary:
      'Module-level `Map`/`Set`/array/object that functions add to but nothing ever removes from',
    docs: {
      whatItDoes:
        'Finds module-level variables and static fields of module-level classes ' +
        '(`private static cache = new Map()`, `static #cache = new Map()`, a public `static cache = ' +
        'new Map()` or an exported `export const cache = new Map()` that no other module shrinks) created as an empty ' +
        'collection (`new Map()`, `new Set()`, `[]`, `{}`, `Object.create(null)`) that functions add to at run time (`.set`, `.add`, `.push`, ' +
        '`.unshift`, `x[key] = ...`, `x[key].push(...)`, `Object.assign(x, ...)`) while nothing in the ' +
        'file ever removes from them (`.delete`, `.clear`, `.splice`, `.shift`, `.pop`, `delete x[key]`, ' +
        '`x.length = 0`, reassignment such as `x = x.filter(...)`) or checks their size (`x.size >= MAX`).',
      whyIsThisBad:
        'A module-level collection lives as long as the process (or the browser tab). When request ' +
        'handlers, socket handlers or jobs add entries keyed by user, session, request or timestamp and ' +
        'nothing evicts them, memory grows with traffic until the process is killed for running out of ' +
        'memory; the restart hides the cause and the cycle repeats. Serverless and long-lived workers ' +
        'reuse the module between invocations, so they leak the same way.',
      example: [
        'const sessions = new Map<string, Session>();',
        '',
        "app.post('/login', async (req, res) => {",
        '  const session = await createSession(req.body);',
        '  sessions.set(session.id, session);',
        '  res.json({ token: session.id });',
        '});',
      ].join('\n'),
      useInstead: [
        "import { LRUCache } from 'lru-cache';",
        '',
        'const sessions = new LRUCache<string, Session>({ max: 10_000, ttl: 30 * 60_000 });',
        '',
        "app.post('/login', async (req, res) => {",
        '  const session = await createSession(req.body);',
        '  sessions.set(session.id, session);',
        '  res.json({ token: session.id });',
        '});',
      ].join('\n'),
      notFlagged: [
        'Collections filled while the module loads: additions at module top level, in iteration ' +
          'callbacks of module-level code, in top-level functions that only the module itself calls from ' +
          'its top level (`loadRoutes();`) or from other such functions, and in `register*`/`define*` ' +
          'functions (registries), and in decorators and decorator factories declared with a `*Decorator` ' +
          'type (`function Resolver(): ClassDecorator`), which run when the classes they decorate are defined.',
        'Registries filled through an exported, non-async get-or-create function (`if (getters.has(name)) return ' +
          'getters.get(name)!; ...; getters.set(name, getter)`) that other modules call only while they ' +
          'load (`const userRepo = repoFactory(UserEntity)`): one entry per such line of code. This needs ' +
          'the memo shape (an early return when the key is already there), at least one module variable ' +
          'in the workspace taking its value from the function, and no workspace function calling it; ' +
          'calls from class field initializers or from anonymous top-level callbacks are not seen. A ' +
          'do-once guard or memo that other code fills is still reported, and its message names the key ' +
          '(`keyed by job.name`) so that a fixed set of names can be recognised and suppressed.',
        'Warn-once bookkeeping, named for it (`warned`, `alreadyWarned`, `deprecations`, ' +
          '`LOGGED_MESSAGES`): keyed by messages written in the code. Caches of `Intl` formatters and ' +
          '`RegExp`s (`cache[timeZone] = new Intl.DateTimeFormat(...)`): keyed by the locales, zones and ' +
          'patterns the code uses, and caching them is the recommended practice.',
        'Arrays written by index (`buffer[i] = code`): the slots are reused; arrays that grow do so with ' +
          '`push`, which is counted. Keyed lists trimmed again (`listeners[key].splice(i, 1)`), and ' +
          'removals spelled with quotes (`set["delete"](x)`, as Babel compiles them).',
        'Collections created non-empty (lookup tables: `new Map([...])`, `{ a: 1 }`), `WeakMap`/`WeakSet`, ' +
          'and library caches with their own bound (`new LRUCache(...)`, `new QuickLRU(...)`).',
        'Collections that anything in the file shrinks, clears, reassigns or checks the size of ' +
          '(`if (cache.size >= MAX)`), even on another path.',
        'Collections that escape, since other code may evict from them: returned, assigned to ' +
          'another name, passed to a call other than a plain read (`JSON.stringify`, `Array.from`, ' +
          '`Object.keys`, ...), or exported as a whole module (`export default cache`, ' +
          '`module.exports = cache`).',
        'Exported collections (`export const`, `export { x as y }`, `module.exports = { x }`, ' +
          '`exports.x = x`) that another module of the workspace may shrink: one that imports or ' +
          'requires it (under any name, through barrels, or through a namespace: `import * as store` ' +
          'then `store.cache.clear()`) and clears, deletes from, splices, pops, shifts, reassigns or ' +
          'truncates it, hands it (or a namespace that holds it) to a call other than a plain read, ' +
          'returns or aliases it, or puts it in an object or array (tests and scripts do not count: ' +
          'they run in a process of their own). Importers are matched by the ' +
          'names the collection is exported and re-exported as, so a same-named import elsewhere that ' +
          'is shrunk also leaves it alone. Also collections a package entry point exports, directly ' +
          'or through barrels (the `exports`, `types`, `module` or `main` of a named `package.json`, ' +
          'else its `src/index` or `index`): code outside the workspace may use them.',
        'Writes with literal keys (`stats.set("hits", n)`, `totals["errors"] = n`): a fixed set of keys ' +
          'does not grow.',
        'Collections whose key type, as written, has finitely many values: `new Map<Grammar, Parser>()` ' +
          "with `type Grammar = 'python' | 'sql'`, `Set<'a' | 'b'>`, `Map<Region, T>` for an enum, " +
          '`Record<keyof Options, T>`, `{ [K in Kind]?: T }`. Aliases and enums are followed in the same ' +
          'file only: a key type imported from another file counts as unbounded, as do keys from ' +
          'untyped variables even when their values are a small enum; suppress the finding there.',
        'Static fields used other than as `Class.field` (or `this.field` in static code) in their ' +
          "file, such as `Class['field']` or through an alias of the class; a class made inside a " +
          'function holds its statics only as long as it lives.',
        'Public and protected static fields (`static compiled = new Map()`) that another module of the ' +
          'workspace may shrink: one that imports the class and clears, deletes from, splices, pops, ' +
          "shifts, reassigns or truncates the field (`TemplateCache.compiled.clear()`), reaches it as `Class['field']`, " +
          'hands it to a call, or hands on, aliases or extends the class. Also public statics of a class ' +
          'this file hands to a call, aliases or extends. Other modules are matched by the class name ' +
          '(or the names it is exported and re-exported as), so a class of the same name elsewhere ' +
          'that is shrunk also leaves it alone; a class imported under a lowercase name, or reached through an ' +
          'object that holds it, is not seen.',
        'Test, script, seed and migration files: they run once and exit.',
        'Eviction from another module is seen through its static imports and `require`s (above), ' +
          "not through a dynamic `import()` or an inline `require('./cache').cache`, nor in files " +
          'Perflens does not read (`.vue`, `.svelte`, `.astro` components) or outside the scanned ' +
          'folder: there the collection is still reported; scan the whole workspace, or suppress ' +
          'the finding.',
      ],
    },
  },
  check(ctx) {
    const model = ctx.typescript;
    if (!model || isScriptOrTestPath(ctx.relativePath)) return;
    let exports: Map<string, string[]> | undefined;
    const locals = lazy(() => localTypes(model.sourceFile));
    for (const [name, declaration] of model.moduleVariables) {
      if (!isEmptyCollection(declaration.initializer) || !ts.isIdentifier(declaration.name))
        continue;
      exports ??= exportedNames(model);
      const exportedAs = [
        ...(isExportedDeclaration(declaration) ? [name] : []),
        ...(exports.get(name) ?? []),
      ];
      const references = referencesTo(model.sourceFile, declaration.name);
      const nameNode = declaration.name;
      checkCollection(ctx, { name, declaration, nameNode, references, exportedAs }, locals);
    }
    for (const field of privateStaticFields(model.sourceFile)) {
      if (!isEmptyCollection(field.declaration.initializer)) continue;
      const { declaration, display: name, references } = field;
      checkCollection(ctx, { name, declaration, nameNode: declaration.name, references }, locals);
    }
    for (const field of publicStaticFields(model.sourceFile, isEmptyCollection)) {
      // Another module that shrinks it, or may: `TemplateCache.compiled.clear()`.
      if (ctx.index.changesImportedMember(field.classNames, field.member)) continue;
      const { declaration, display: name, references } = field;
      const nameNode = declaration.name;
      const searched = 'workspace';
      checkCollection(ctx, { name, declaration, nameNode, references, searched }, locals);
    }
  },
};
