import type { Rule } from '../../server/src/engine/rule';
import { lazyKinds, ts } from '../../server/src/typescript/compiler';
import { isScriptOrTestPath } from '../../server/src/typescript/knowledge';
import { describeRuns } from '../../server/src/typescript/listeners';
import {
  chainText,
  ITERATION_METHODS,
  semanticParent,
  unwrap,
  type TsFunction,
  type TsModel,
} from '../../server/src/typescript/model';
import { enclosingFunctionNode, referencesTo } from '../../server/src/typescript/name-resolution';

const COLLECTION_CONSTRUCTORS = new Set(['Map', 'Set']);
const ADD_METHODS = new Set(['set', 'add', 'push', 'unshift']);
const SHRINK_METHODS = new Set(['delete', 'clear', 'splice', 'shift', 'pop']);
/** Calls that only read a collection handed to them; any other call may evict from it. */
const READING_CALLS =
  /^(?:Map|Set|Array|JSON\.stringify|Array\.from|Array\.isArray|Object\.(?:keys|values|entries|freeze)|structuredClone|console\.\w+|String|Boolean|Number)$/;
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

/** What one reference to the collection does. */
type Effect = { kind: 'add'; code: string } | { kind: 'shrink' | 'bounded' | 'escape' | 'read' };

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
    return { kind: 'add', code: `${name}.${member}(...)` };
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

/** The effect of `x[key] = v`, `delete x[key]`, `x[key].push(v)`. */
function elementEffect(access: ts.ElementAccessExpression, name: string): Effect {
  const parent = semanticParent(access);
  if (parent && ts.isDeleteExpression(parent)) return { kind: 'shrink' };
  if (isLiteralKey(access.argumentExpression)) return READ;
  if (isAssignedTo(access)) return { kind: 'add', code: `${name}[key] = ...` };
  // `x[key].push(v)`: the entry's own list grows with the data.
  if (
    parent &&
    ts.isPropertyAccessExpression(parent) &&
    ADD_METHODS.has(parent.name.text) &&
    parent.parent &&
    ts.isCallExpression(parent.parent)
  )
    return { kind: 'add', code: `${name}[key].${parent.name.text}(...)` };
  return READ;
}

/** What a reference to the module-level collection `name` does to it. */
function effectOf(ref: ts.Identifier, name: string): Effect {
  const parent = semanticParent(ref);
  if (!parent) return READ;
  if (ts.isPropertyAccessExpression(parent) && unwrap(parent.expression) === ref)
    return memberEffect(parent, name);
  if (ts.isElementAccessExpression(parent) && unwrap(parent.expression) === ref)
    return elementEffect(parent, name);
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
 * Whether additions in `fn` happen while the module loads: an iteration callback of module-level
 * code (`routes.forEach((r) => table.set(...))`), or a top-level function only this module calls,
 * only from its top level (`loadRoutes();`), or a registrar.
 */
function runsAtLoad(model: TsModel, fn: TsFunction | undefined): boolean {
  for (let current = fn; current;) {
    if (REGISTRAR.test(current.name)) return true;
    const iteration = current.callbackOf;
    if (iteration && !iteration.isNew && ITERATION_METHODS.has(iteration.name)) {
      current = iteration.fn;
      continue;
    }
    if (current.parent || !current.name || current.exported) return false;
    const calls = model.calls.filter((call) => call.callee === current!.name);
    return calls.length > 0 && calls.every((call) => !call.fn);
  }
  return true;
}

/** Names the file re-exports (`export { cache }`, `export default cache`). */
function exportedNames(model: TsModel): Set<string> {
  const names = new Set<string>();
  for (const statement of model.sourceFile.statements) {
    if (
      ts.isExportDeclaration(statement) &&
      statement.exportClause &&
      ts.isNamedExports(statement.exportClause)
    )
      for (const element of statement.exportClause.elements)
        names.add((element.propertyName ?? element.name).text);
  }
  return names;
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
        'Finds module-level variables created as an empty collection (`new Map()`, `new Set()`, `[]`, ' +
        '`{}`, `Object.create(null)`) that functions add to at run time (`.set`, `.add`, `.push`, ' +
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
          'its top level (`loadRoutes();`), and in `register*`/`define*` functions (registries).',
        'Collections created non-empty (lookup tables: `new Map([...])`, `{ a: 1 }`), `WeakMap`/`WeakSet`, ' +
          'and library caches with their own bound (`new LRUCache(...)`, `new QuickLRU(...)`).',
        'Collections that anything in the file shrinks, clears, reassigns or checks the size of ' +
          '(`if (cache.size >= MAX)`), even on another path.',
        'Collections that escape, since other code may evict from them: exported (`export const`, ' +
          '`export { x }`, `module.exports = { x }`), returned, assigned to another name, or passed to a ' +
          'call other than a plain read (`JSON.stringify`, `Array.from`, `Object.keys`, ...).',
        'Writes with literal keys (`stats.set("hits", n)`, `totals["errors"] = n`): a fixed set of keys ' +
          'does not grow. Keys from variables are counted even when their values are a small enum, which ' +
          'the file cannot show; suppress the finding there.',
        'Test, script, seed and migration files: they run once and exit.',
        'Eviction from another module (`import { cache } from "./cache"; cache.clear()`) is not seen: ' +
          'an unexported collection cannot be reached that way, so this only matters for exported ones, ' +
          'which are left alone.',
      ],
    },
  },
  check(ctx) {
    const model = ctx.typescript;
    if (!model || isScriptOrTestPath(ctx.relativePath)) return;
    let reexported: Set<string> | undefined;
    for (const [name, declaration] of model.moduleVariables) {
      if (!isEmptyCollection(declaration.initializer) || isExportedDeclaration(declaration))
        continue;
      reexported ??= exportedNames(model);
      if (reexported.has(name) || !ts.isIdentifier(declaration.name)) continue;
      const adds: { fn: TsFunction; code: string }[] = [];
      let keepsBounded = false;
      for (const ref of referencesTo(model.sourceFile, declaration.name)) {
        const effect = effectOf(ref, name);
        if (effect.kind === 'read') continue;
        if (effect.kind !== 'add') {
          keepsBounded = true;
          break;
        }
        const fn = functionOfNode(model, enclosingFunctionNode(ref));
        if (fn && !runsAtLoad(model, fn)) adds.push({ fn, code: effect.code });
      }
      if (keepsBounded || adds.length === 0) continue;
      const [first] = adds;
      const where = first.fn.name
        ? `\`${first.fn.name}\``
        : `code run on ${describeRuns(model, first.fn)}`;
      const more = adds.length - 1;
      const others = more > 0 ? ` (and ${more} more place${more > 1 ? 's' : ''})` : '';
      ctx.report({
        start: declaration.name.getStart(model.sourceFile),
        end: declaration.name.end,
        message:
          `\`${name}\` only grows: ${where} adds to it (\`${first.code}\`)${others} and nothing in this ` +
          'file removes entries, so it holds everything ever added for the life of the process; bound it ' +
          '(an LRU cache, a size check) or delete entries when they are done',
      });
    }
  },
};
