/**
 * Which loops really wait for an awaited call once per item. A loop over a constant literal, a
 * retry loop that returns on success, a pagination loop whose next request needs the previous
 * response, a stream consumer, a throttled loop that sleeps, a loop over batches: each awaits in
 * a loop, and none is the N+1 that `Promise.all` or one batched query would fix.
 */
import { isArrayTypeNode } from './array-fields';
import { lazyKinds, ts } from './compiler';
import { ioCallOf, isAwaitedSleep, type WorkspaceModels } from './io-calls';
import { databaseCall, delegateReceiver, prismaQuery } from './knowledge';
import { calledLocalFunction } from './local-callees';
import { chainText, semanticParent, unwrap, type TsCall, type TsLoop, type TsModel } from './model';
import { assignmentsIn, boundNames, containsAwait, readsAny } from './references';

/** A literal `for (let i = 0; i < n; i++)` this short is a fixed handful of passes, not data. */
const SMALL_COUNT = 10;

/** Functions that split a collection into batches (`chunk(ids, 500)`, lodash `_.chunk`). */
const BATCHING =
  /^(?:chunks?|chunked|chunkify|chunkArray|toChunks|splitIntoChunks|batch(?:es|ed)?|inBatches|toBatches|splitEvery|partition(?:All)?)$/i;
/** Loop variables named for a batch: `batch`, `chunk`, `idBatch`, `chunkOfRows`. */
const BATCH_VARIABLE = /batch|chunk/i;
/** `for` counters of retry loops: `attempt`, `retries`, `tries`. */
const RETRY_COUNTER =
  /^(?:attempts?|attemptNo|attemptNumber|retry|retries|retryCount|tries|try|tryCount|n?Attempts?)$/i;
/** Calls a consumer loop makes to take the next message: awaiting each is the point. */
const PULL_CALLS =
  /^(?:receive\w*|dequeue|brpop|blpop|brpoplpush|blmove|bzpopmin|bzpopmax|xread|xreadgroup|consume|pull|nextJob|getNextJob|take|waitForMessage)$/i;

/** Loop variables holding migrations: they are applied one after another, in order, by design. */
const MIGRATION_VARIABLE = /migration/i;
/** Loop variables (or their properties) holding SQL text: `for (const stmt of migration.sql)`. */
const STATEMENT_NAME = /^(?:q|query|sql|stmt|statement|ddl|command)$/i;

/** Methods whose result is an array, so iterating it iterates a materialised list. */
const ARRAY_RESULTS = new Set([
  'map',
  'filter',
  'slice',
  'concat',
  'flat',
  'flatMap',
  'split',
  'sort',
  'toSorted',
  'toReversed',
  'reverse',
  'findMany',
]);

/** The statement-level declaration of `name` visible at `from`: a variable or a parameter. */
export function findDeclaration(
  name: string,
  from: ts.Node,
): ts.VariableDeclaration | ts.ParameterDeclaration | ts.EnumDeclaration | undefined {
  for (let scope: ts.Node | undefined = from; scope; scope = scope.parent) {
    if (ts.isFunctionLike(scope)) {
      const param = scope.parameters.find((p) => ts.isIdentifier(p.name) && p.name.text === name);
      if (param) return param;
    }
    const statements =
      ts.isBlock(scope) || ts.isSourceFile(scope) || ts.isModuleBlock(scope)
        ? scope.statements
        : undefined;
    if (!statements) continue;
    for (const statement of statements) {
      if (ts.isEnumDeclaration(statement) && statement.name.text === name) return statement;
      if (!ts.isVariableStatement(statement)) continue;
      const found = statement.declarationList.declarations.find(
        (d) => ts.isIdentifier(d.name) && d.name.text === name,
      );
      if (found) return found;
    }
  }
  return undefined;
}

function isConstDeclaration(declaration: ts.VariableDeclaration): boolean {
  const list = declaration.parent;
  return ts.isVariableDeclarationList(list) && (list.flags & ts.NodeFlags.Const) !== 0;
}

/** A scalar literal: a string, number, boolean or `null` as written. */
export function isScalarLiteral(node: ts.Expression): boolean {
  return (
    ts.isStringLiteralLike(node) ||
    ts.isNumericLiteral(node) ||
    node.kind === ts.SyntaxKind.TrueKeyword ||
    node.kind === ts.SyntaxKind.FalseKeyword ||
    node.kind === ts.SyntaxKind.NullKeyword
  );
}

/** A literal value written in the code: strings, numbers, booleans, and arrays/objects of them. */
function isConstantValue(node: ts.Expression): boolean {
  const value = unwrap(node);
  if (isScalarLiteral(value)) return true;
  if (ts.isPrefixUnaryExpression(value)) return ts.isNumericLiteral(value.operand);
  if (ts.isArrayLiteralExpression(value)) return value.elements.every(isConstantValue);
  if (ts.isObjectLiteralExpression(value))
    return value.properties.every(
      (p) => ts.isPropertyAssignment(p) && isConstantValue(p.initializer),
    );
  return false;
}

/** Methods that add items to an array in place. */
const ARRAY_FILLERS = 'push|unshift|splice';

/** `isFilledLater`'s scan of the declaring scope, per declaration and name: asked per loop. */
const filledOfDeclaration = new WeakMap<ts.VariableDeclaration, Map<string, boolean>>();

/**
 * Whether the array literal a `const` binds is filled after its declaration: an empty one (only
 * something that fills it makes it worth iterating: `const copies = []`, pushed to in an earlier
 * loop or handed to a helper), or one whose name gets `push`/`unshift`/`splice` calls in the scope
 * that declares it. Its length then comes from the data, not from the literal.
 */
function isFilledLater(declaration: ts.VariableDeclaration, name: string): boolean {
  const literal = declaration.initializer && unwrap(declaration.initializer);
  if (!literal || !ts.isArrayLiteralExpression(literal)) return false;
  if (literal.elements.length === 0) return true;
  const scope = declaration.parent.parent?.parent;
  if (!scope) return false;
  let byName = filledOfDeclaration.get(declaration);
  if (!byName) filledOfDeclaration.set(declaration, (byName = new Map()));
  let filled = byName.get(name);
  if (filled === undefined) {
    const escaped = name.replace(/\$/g, '\\$');
    const fills = new RegExp(`(?<![\\w$.])${escaped}\\s*\\.\\s*(?:${ARRAY_FILLERS})\\s*\\(`);
    byName.set(name, (filled = fills.test(scope.getText())));
  }
  return filled;
}

/** A name bound once to a constant literal (or an enum) nothing fills, looked up from `from`. */
function isConstantName(node: ts.Expression, from: ts.Node, depth: number): boolean {
  const value = unwrap(node);
  if (!ts.isIdentifier(value) || depth > 3) return false;
  const declaration = findDeclaration(value.text, from);
  if (!declaration) return false;
  if (ts.isEnumDeclaration(declaration)) return true;
  if (!ts.isVariableDeclaration(declaration) || !isConstDeclaration(declaration)) return false;
  if (isFilledLater(declaration, value.text)) return false;
  return !!declaration.initializer && isConstantIterable(declaration.initializer, from, depth + 1);
}

/**
 * The iterable is fixed in the code: a literal array, a `const` bound to one, or `Object.keys`/
 * `values`/`entries` of a literal object or enum.
 */
export function isConstantIterable(node: ts.Expression, from: ts.Node, depth = 0): boolean {
  const value = unwrap(node);
  if (ts.isArrayLiteralExpression(value) || ts.isObjectLiteralExpression(value))
    return isConstantValue(value);
  if (ts.isIdentifier(value)) return isConstantName(value, from, depth);
  if (
    ts.isCallExpression(value) &&
    /^Object\.(?:keys|values|entries)$/.test(chainText(value.expression))
  ) {
    const [target] = value.arguments;
    return !!target && (isConstantValue(target) || isConstantName(target, from, depth));
  }
  return false;
}

/** The iterable is a materialised array (so `for await` over it awaits nothing per item). */
export function isEvidentlyArray(node: ts.Expression, from: ts.Node, depth = 0): boolean {
  const value = unwrap(node);
  if (ts.isArrayLiteralExpression(value)) return true;
  if (ts.isAwaitExpression(value)) return isEvidentlyArray(value.expression, from, depth);
  if (ts.isCallExpression(value)) {
    const callee = chainText(value.expression);
    if (/^(?:Array\.from|Array\.of|Object\.(?:keys|values|entries))$/.test(callee)) return true;
    const name = callee.split('.').pop() ?? '';
    return ARRAY_RESULTS.has(name);
  }
  if (!ts.isIdentifier(value) || depth > 3) return false;
  const declaration = findDeclaration(value.text, from);
  if (!declaration || ts.isEnumDeclaration(declaration)) return false;
  if (declaration.type && isArrayTypeNode(declaration.type)) return true;
  return !!declaration.initializer && isEvidentlyArray(declaration.initializer, from, depth + 1);
}

/** A `for (let i = 0; i < 3; i++)` with literal bounds of at most SMALL_COUNT passes. */
function isSmallCountedLoop(loop: ts.ForStatement): boolean {
  const init = loop.initializer;
  if (!init || !ts.isVariableDeclarationList(init) || init.declarations.length !== 1) return false;
  const start = init.declarations[0].initializer;
  const condition = loop.condition;
  if (!start || !ts.isNumericLiteral(start) || !condition || !ts.isBinaryExpression(condition))
    return false;
  if (!ts.isNumericLiteral(condition.right)) return false;
  const inclusive = condition.operatorToken.kind === ts.SyntaxKind.LessThanEqualsToken;
  if (!inclusive && condition.operatorToken.kind !== ts.SyntaxKind.LessThanToken) return false;
  return Number(condition.right.text) - Number(start.text) + (inclusive ? 1 : 0) <= SMALL_COUNT;
}

/** The names a `for`'s initializer declares (`i` in `for (let i = 0; ...)`). */
function counterNames(loop: ts.ForStatement): Set<string> {
  const names = new Set<string>();
  const init = loop.initializer;
  if (init && ts.isVariableDeclarationList(init))
    for (const declaration of init.declarations) boundNames(declaration.name, names);
  return names;
}

/** `i += size`, `i = i + size`: a stepped `for` walks over slices, one batch per pass. */
function isSteppedLoop(loop: ts.ForStatement): boolean {
  const step = loop.incrementor;
  if (!step || !ts.isBinaryExpression(step)) return false;
  const value = step.operatorToken.kind === ts.SyntaxKind.PlusEqualsToken ? step.right : undefined;
  if (value) return !(ts.isNumericLiteral(value) && value.text === '1');
  return (
    step.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
    ts.isBinaryExpression(step.right) &&
    step.right.operatorToken.kind === ts.SyntaxKind.PlusToken &&
    !(ts.isNumericLiteral(step.right.right) && step.right.right.text === '1')
  );
}

/** The loop variable(s) of a `for...of`/`for...in`, or the first parameter of an iteration callback. */
export function loopBinding(loop: TsLoop): ts.BindingName | undefined {
  if (ts.isForOfStatement(loop.node) || ts.isForInStatement(loop.node)) {
    const init = loop.node.initializer;
    if (ts.isVariableDeclarationList(init)) return init.declarations[0]?.name;
    return undefined;
  }
  if (loop.kind === 'callback') {
    const callback = loop.body.parent;
    if (callback && ts.isFunctionLike(callback)) return callback.parameters[0]?.name;
  }
  return undefined;
}

/**
 * The statement a call runs, when it is the loop item itself: `stmt`, `q.query`, `sql.raw(stmt)`,
 * `[query]`. Undefined when the call's first argument is anything else.
 */
function statementFromItem(call: TsCall, item: string): ts.Expression | undefined {
  let argument = call.args[0] && unwrap(call.args[0]);
  if (argument && ts.isArrayLiteralExpression(argument) && argument.elements.length === 1)
    argument = unwrap(argument.elements[0]);
  if (
    argument &&
    ts.isCallExpression(argument) &&
    /(?:^|\.)raw$/.test(chainText(argument.expression))
  )
    argument = argument.arguments[0] && unwrap(argument.arguments[0]);
  if (!argument) return undefined;
  if (ts.isIdentifier(argument)) return argument.text === item ? argument : undefined;
  if (
    ts.isPropertyAccessExpression(argument) &&
    ts.isIdentifier(argument.expression) &&
    argument.expression.text === item &&
    STATEMENT_NAME.test(argument.name.text)
  )
    return argument;
  return undefined;
}

/**
 * A loop that runs a list of statements or migrations in order (`for (const stmt of migration.sql)
 * await tx.execute(sql.raw(stmt))`, `for (const migration of pending) await apply(migration)`): the
 * items are different statements, not one query per row, and order matters. A helper counts when
 * the item is named for SQL (`this.query(q.query, q.parameters)`); a direct SQL call whenever it
 * runs the item itself.
 */
function runsStatementList(model: TsModel, call: TsCall, loop: TsLoop): boolean {
  const binding = loopBinding(loop);
  if (!binding || !ts.isIdentifier(binding)) return false;
  if (MIGRATION_VARIABLE.test(binding.text)) return true;
  const statement = statementFromItem(call, binding.text);
  if (!statement) return false;
  const kind = databaseCall(model, call);
  if (kind === 'sql' || kind === 'knex' || (kind === 'prisma' && call.name.startsWith('$')))
    return true;
  return ts.isPropertyAccessExpression(statement) || STATEMENT_NAME.test(binding.text);
}

/**
 * A loop whose item picks the Prisma model the query runs on (`for (const model of models) await
 * prisma[model].deleteMany(...)`, `prisma[entry.model]`): it walks models, as many as the schema
 * has rather than rows, often in the order their foreign keys need, and no one query covers
 * several models.
 */
function walksModels(
  model: TsModel,
  call: TsCall,
  loop: TsLoop,
  models: WorkspaceModels | undefined,
): boolean {
  const receiver = call.receiver && delegateReceiver(call.receiver);
  if (!receiver || !ts.isElementAccessExpression(receiver)) return false;
  const binding = loopBinding(loop);
  if (!binding || !readsAny(receiver.argumentExpression, boundNames(binding))) return false;
  const query = prismaQuery(model, call, models);
  return !!query && query.delegate === undefined;
}

/** A loop over batches rather than items: one round trip per batch of 500 is the cure. */
function isBatchLoop(loop: TsLoop): boolean {
  if (ts.isForStatement(loop.node)) return isSteppedLoop(loop.node);
  const iterable = loop.iterable && unwrap(loop.iterable);
  if (iterable && ts.isCallExpression(iterable)) {
    const name = chainText(iterable.expression).split('.').pop() ?? '';
    if (BATCHING.test(name)) return true;
  }
  // `const chunks = chunk(ids, 10000); for (const keys of chunks)`.
  if (iterable && ts.isIdentifier(iterable) && BATCH_VARIABLE.test(iterable.text)) return true;
  const binding = loopBinding(loop);
  return !!binding && ts.isIdentifier(binding) && BATCH_VARIABLE.test(binding.text);
}

/** The statement or function body run on each pass. */
function bodyOf(loop: TsLoop): ts.Node {
  return loop.body;
}

const callsByLoop = new WeakMap<TsModel, Map<TsLoop, TsCall[]>>();

/** Calls the model places inside `loop` (nested non-iteration functions left out). */
function callsIn(model: TsModel, loop: TsLoop): TsCall[] {
  let byLoop = callsByLoop.get(model);
  if (!byLoop) {
    byLoop = new Map();
    for (const call of model.calls)
      for (const outer of call.loops) {
        const list = byLoop.get(outer);
        if (list) list.push(call);
        else byLoop.set(outer, [call]);
      }
    callsByLoop.set(model, byLoop);
  }
  return byLoop.get(loop) ?? [];
}

/** Whether the loop body pauses: retry back-off, polling, deliberate throttling. */
function sleepsIn(model: TsModel, loop: TsLoop): boolean {
  return callsIn(model, loop).some((call) => isAwaitedSleep(call, model));
}

/** A `while`/`do` loop that pulls one message per pass from a queue. */
function isConsumerLoop(model: TsModel, loop: TsLoop): boolean {
  if (loop.kind !== 'while' && loop.kind !== 'do') return false;
  return callsIn(model, loop).some((call) => call.awaited && PULL_CALLS.test(call.name));
}

/** Whether the body yields: a generator hands out one item at a time, at its consumer's pace. */
function yieldsIn(loop: TsLoop): boolean {
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found || ts.isFunctionLike(node)) return;
    if (ts.isYieldExpression(node)) found = true;
    else ts.forEachChild(node, visit);
  };
  visit(bodyOf(loop));
  return found;
}

/**
 * The names a `for...of`/`for...in` head binds: each pass gets a fresh item from the iterable, so
 * writing an awaited answer into it (`person.pets = await person.$relatedQuery('pets')`) hands
 * nothing to the next pass. None when the body feeds the list it walks (a worklist, whose next
 * items come from the answers).
 */
function freshItemNames(loop: TsLoop, feeds: readonly { root: string }[]): Set<string> {
  const names = new Set<string>();
  const binding = loop.kind === 'callback' ? undefined : loopBinding(loop);
  const iterable = loop.iterable && unwrap(loop.iterable);
  if (
    !binding ||
    (iterable && ts.isIdentifier(iterable) && feeds.some((feed) => feed.root === iterable.text))
  )
    return names;
  boundNames(binding, names);
  return names;
}

/**
 * Names in the loop that hold what an `await` in it produced: declared from an awaited
 * expression (`const page = await ...`), assigned from one or from such a name
 * (`cursor = page.nextCursor`), or an array fed from one (`queue.push(...children)`); `carried`
 * also holds the functions declared in the loop that read a carried name.
 */
function awaitedNames(loop: TsLoop): AwaitedNames {
  let names = awaitedNamesByLoop.get(loop);
  if (!names) {
    names = collectAwaitedNames(loop);
    awaitedNamesByLoop.set(loop, names);
  }
  return names;
}

interface AwaitedNames {
  derived: Set<string>;
  carried: Set<string>;
  /** Lists the body adds to (`posts.push(...)`), whatever from. */
  fed: Set<string>;
}

const awaitedNamesByLoop = new WeakMap<TsLoop, AwaitedNames>();

function collectAwaitedNames(loop: TsLoop): AwaitedNames {
  const body = bodyOf(loop);
  const derived = new Set<string>();
  const carried = new Set<string>();
  const declarations: ts.VariableDeclaration[] = [];
  const feeds: { root: string; args: ts.NodeArray<ts.Expression>; list: boolean }[] = [];
  const collect = (node: ts.Node): void => {
    if (ts.isFunctionLike(node)) return;
    if (ts.isVariableDeclaration(node) && node.initializer) declarations.push(node);
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      ts.isIdentifier(node.expression.expression) &&
      ['push', 'unshift', 'add', 'set'].includes(node.expression.name.text)
    )
      feeds.push({
        root: node.expression.expression.text,
        args: node.arguments,
        list: LIST_FEEDS.has(node.expression.name.text),
      });
    ts.forEachChild(node, collect);
  };
  collect(body);
  const assignments = assignmentsIn(body);
  const items = freshItemNames(loop, feeds);
  const fromAwait = (node: ts.Node): boolean => containsAwait(node) || readsAny(node, derived);
  for (let pass = 0; pass < 4; pass++) {
    const before = derived.size;
    for (const declaration of declarations)
      if (fromAwait(declaration.initializer!)) boundNames(declaration.name, derived);
    for (const assignment of assignments)
      if (assignment.value && fromAwait(assignment.value))
        for (const root of assignment.roots) {
          derived.add(root);
          if (!items.has(root)) carried.add(root);
        }
    for (const feed of feeds)
      if (feed.args.some(fromAwait)) {
        derived.add(feed.root);
        carried.add(feed.root);
      }
    if (derived.size === before) break;
  }
  // A function declared in the loop that reads a carried name hands the previous answer to the
  // call that uses it: `const data = () => ({ parentId: posts[posts.length - 1]?.id })`.
  for (const { name, initializer } of declarations) {
    const value = unwrap(initializer!);
    if ((ts.isArrowFunction(value) || ts.isFunctionExpression(value)) && readsAny(value, carried))
      boundNames(name, carried);
  }
  const fed = new Set(feeds.filter((feed) => feed.list).map((feed) => feed.root));
  return { derived, carried, fed };
}

/** Methods that add an item to an array: its `length` grows with each pass that calls them. */
const LIST_FEEDS = new Set(['push', 'unshift']);

const LENGTH_EQUALITY = lazyKinds(() => [
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
]);

/** `posts.length` of a list in `lists`. */
function isLengthOf(node: ts.Expression, lists: Set<string>): boolean {
  const inner = unwrap(node);
  return (
    ts.isPropertyAccessExpression(inner) &&
    inner.name.text === 'length' &&
    ts.isIdentifier(inner.expression) &&
    lists.has(inner.expression.text)
  );
}

/** `posts.length === 1` (either way round, also `==`) for a list in `lists`. */
function comparesLength(test: ts.Expression, lists: Set<string>): boolean {
  const inner = unwrap(test);
  if (!ts.isBinaryExpression(inner) || !LENGTH_EQUALITY().has(inner.operatorToken.kind))
    return false;
  const left = unwrap(inner.left);
  const right = unwrap(inner.right);
  return (
    (isLengthOf(left, lists) && ts.isNumericLiteral(right)) ||
    (isLengthOf(right, lists) && ts.isNumericLiteral(left))
  );
}

/**
 * Whether the call runs under an `if` that holds on one pass: the length of a list the loop adds
 * to, compared with a number (`if (posts.length === 1)` in a loop that pushes a post per pass).
 * The list grows, so the test is true once (once per batch, when the loop empties it).
 */
function onOnePassOnly(call: TsCall, loop: TsLoop, fed: Set<string>): boolean {
  if (fed.size === 0) return false;
  for (let node: ts.Node = call.node; node.parent && node !== loop.node; node = node.parent) {
    const parent = node.parent;
    if (ts.isIfStatement(parent) && parent.thenStatement === node)
      if (comparesLength(parent.expression, fed)) return true;
  }
  return false;
}

function isBreakable(node: ts.Node): boolean {
  return ts.isIterationStatement(node, false) || ts.isSwitchStatement(node);
}

/**
 * Whether a `break` leaves `loop`: an unlabeled one when no inner loop or `switch` is in between,
 * a labeled one when its label is on `loop` or on a statement around it.
 */
function breakLeaves(statement: ts.BreakStatement, loop: TsLoop, innerBreakables: number): boolean {
  if (!statement.label) return innerBreakables === 0;
  const label = statement.label.text;
  for (let node: ts.Node | undefined = statement.parent; node; node = node.parent) {
    if (ts.isLabeledStatement(node) && node.label.text === label)
      return node.pos <= loop.node.pos && loop.node.end <= node.end;
    if (ts.isFunctionLike(node)) return false;
  }
  return false;
}

/** `while (false)` / `do { ... } while (false)`: the body runs at most once. */
function runsOnce(loop: TsLoop): boolean {
  const node = loop.node;
  return (
    (ts.isWhileStatement(node) || ts.isDoStatement(node)) &&
    node.expression.kind === ts.SyntaxKind.FalseKeyword
  );
}

/**
 * Whether the loop stops because of what it awaited: its condition reads an awaited value
 * (`while (cursor)`, `do { ... } while (page.hasMore)`), or a `break`/`return` of an awaited value
 * sits under a condition on one (`if (!page.length) break`, `if (res.ok) return res`). Such a loop
 * is a pagination, search or retry: each request waits for the previous answer by design.
 */
function stopsOnAwaitedValue(loop: TsLoop, derived: Set<string>): boolean {
  const node = loop.node;
  const condition =
    ts.isWhileStatement(node) || ts.isDoStatement(node)
      ? node.expression
      : ts.isForStatement(node)
        ? node.condition
        : undefined;
  // `while (true)`-style loops get their stop from inside the body.
  if (condition && (containsAwait(condition) || readsAny(condition, derived))) return true;
  let found = false;
  const visit = (current: ts.Node, guarded: boolean, innerBreakables: number): void => {
    if (found || ts.isFunctionLike(current)) return;
    if (ts.isBreakStatement(current)) {
      if (guarded && breakLeaves(current, loop, innerBreakables)) found = true;
      return;
    }
    if (ts.isReturnStatement(current)) {
      const value = current.expression;
      if (guarded && value && (containsAwait(value) || readsAny(value, derived))) found = true;
      return;
    }
    if (ts.isIfStatement(current) || ts.isConditionalExpression(current)) {
      const test = ts.isIfStatement(current) ? current.expression : current.condition;
      const onAwaited = guarded || containsAwait(test) || readsAny(test, derived);
      ts.forEachChild(current, (child) => visit(child, onAwaited, innerBreakables));
      return;
    }
    const inner = innerBreakables + (isBreakable(current) ? 1 : 0);
    ts.forEachChild(current, (child) => visit(child, guarded, inner));
  };
  visit(bodyOf(loop), false, 0);
  return found;
}

/**
 * Whether control unconditionally leaves `loop` once `call` has run: the call is in a `return` or
 * `throw`, or a `return`/`throw`/`break` follows it in its block (a retry loop that returns on
 * success, a `while (true)` that breaks at the end of its first pass).
 */
function leavesLoopAfter(call: TsCall, loop: TsLoop): boolean {
  if (loop.kind === 'callback') return false;
  let innerBreakables = 0;
  let node: ts.Node = call.node;
  for (let parent = node.parent; parent && node !== loop.node; parent = node.parent) {
    if (ts.isFunctionLike(node)) return false;
    if (ts.isReturnStatement(node) || ts.isThrowStatement(node)) return true;
    if (ts.isBlock(parent) || ts.isCaseClause(parent) || ts.isDefaultClause(parent)) {
      const statements = parent.statements;
      for (let i = statements.indexOf(node as ts.Statement) + 1; i < statements.length; i++) {
        const next = statements[i];
        if (ts.isReturnStatement(next) || ts.isThrowStatement(next)) return true;
        if (ts.isBreakStatement(next) && breakLeaves(next, loop, innerBreakables)) return true;
      }
    }
    if (parent !== loop.node && isBreakable(parent)) innerBreakables++;
    node = parent;
  }
  return false;
}

/** Whether the call's arguments read a name the loop reassigns from an awaited value (a cursor). */
function followsPreviousAnswer(call: TsCall, carried: Set<string>): boolean {
  if (carried.size === 0) return false;
  if (ts.isTaggedTemplateExpression(call.node)) return readsAny(call.node.template, carried);
  return call.args.some((arg) => readsAny(arg, carried)) || readsAny(call.node.expression, carried);
}

/**
 * Query methods whose awaited result is an array of rows. A MongoDB collection's `find` only makes
 * a cursor (an async iterable), and `ioCallOf` counts no query there.
 */
const ROW_LIST_READS = new Set([
  'find',
  'findBy',
  'findAll',
  'findMany',
  'getMany',
  'getRawMany',
  'toArray',
]);

/** An array type (`isArrayTypeNode`), or a promise of one (`Promise<T[]>`). */
function isArrayType(type: ts.TypeNode | undefined): boolean {
  if (!type) return false;
  if (isArrayTypeNode(type)) return true;
  return (
    ts.isTypeReferenceNode(type) &&
    ts.isIdentifier(type.typeName) &&
    type.typeName.text === 'Promise' &&
    type.typeArguments?.length === 1 &&
    isArrayType(type.typeArguments[0])
  );
}

/** The declared return type of the function of this file a call names (`calledLocalFunction`). */
function localReturnType(model: TsModel, call: TsCall): ts.TypeNode | undefined {
  return calledLocalFunction(model, call)?.node.type;
}

/** Whether an awaited call gives an array: a query's rows, or a local function declared so. */
function awaitsArray(model: TsModel, call: TsCall, models?: WorkspaceModels): boolean {
  if (ROW_LIST_READS.has(call.name) && ioCallOf(model, call, models)?.kind === 'db') return true;
  return isArrayType(localReturnType(model, call));
}

/**
 * Whether `node` is (or is a name bound to) the array an awaited call returned: `await
 * repo.find(...)`, `await User.findAll()`, `await cursor.toArray()`, or `await this.pending()`
 * declared to return `Promise<Log[]>`.
 */
function holdsAwaitedArray(
  model: TsModel,
  node: ts.Expression,
  from: ts.Node,
  models: WorkspaceModels | undefined,
  depth: number,
): boolean {
  const value = unwrap(node);
  if (ts.isIdentifier(value)) {
    if (depth > 3) return false;
    const declaration = findDeclaration(value.text, from);
    return (
      !!declaration &&
      ts.isVariableDeclaration(declaration) &&
      !!declaration.initializer &&
      holdsAwaitedArray(model, declaration.initializer, from, models, depth + 1)
    );
  }
  if (!ts.isAwaitExpression(value)) return false;
  const call = model.callAt(unwrap(value.expression));
  return !!call && awaitsArray(model, call, models);
}

/**
 * `for await (const x of stream)`: items arrive one by one; awaiting each is back-pressure. Not so
 * over an array (a literal, a `map` result, the rows a query returned): nothing arrives late.
 */
function isStreamLoop(model: TsModel, loop: TsLoop, models?: WorkspaceModels): boolean {
  if (loop.kind !== 'for-await' || !loop.iterable) return false;
  if (isEvidentlyArray(loop.iterable, loop.node)) return false;
  if (holdsAwaitedArray(model, loop.iterable, loop.node, models, 0)) return false;
  // `userIds` of `{ userIds }: TSyncUsersDTO`, an array where that type is declared.
  return !models?.iteratesImportedArray?.(loop.iterable);
}

/** A `for` loop counting attempts: `for (let attempt = 1; attempt <= 3; attempt++)`. */
function isRetryCounterLoop(loop: TsLoop): boolean {
  if (!ts.isForStatement(loop.node)) return false;
  return [...counterNames(loop.node)].some((name) => RETRY_COUNTER.test(name));
}

/**
 * An `xs.map(async ...)`/`flatMap` whose result is used (handed to `Promise.all`, stored, returned):
 * the callbacks run together, not one after another; only a discarded `map` acts like `forEach`.
 */
function isConcurrentMap(loop: TsLoop): boolean {
  if (loop.kind !== 'callback' || (loop.method !== 'map' && loop.method !== 'flatMap'))
    return false;
  const parent = loop.call && semanticParent(loop.call);
  return !!parent && !ts.isExpressionStatement(parent);
}

/** Why a loop does not repeat the call as an N+1, or undefined when it does. */
function exemption(
  model: TsModel,
  call: TsCall,
  loop: TsLoop,
  models?: WorkspaceModels,
): string | undefined {
  if (runsOnce(loop)) return 'once';
  if (loop.iterable && isConstantIterable(loop.iterable, loop.node)) return 'constant';
  if (ts.isForStatement(loop.node) && isSmallCountedLoop(loop.node)) return 'constant';
  if (isBatchLoop(loop)) return 'batch';
  if (runsStatementList(model, call, loop)) return 'statements';
  if (walksModels(model, call, loop, models)) return 'models';
  if (isStreamLoop(model, loop, models)) return 'stream';
  if (isRetryCounterLoop(loop)) return 'retry';
  if (sleepsIn(model, loop)) return 'sleeps';
  if (isConsumerLoop(model, loop)) return 'consumer';
  if (yieldsIn(loop)) return 'generator';
  if (leavesLoopAfter(call, loop)) return 'leaves';
  if (loop.kind !== 'callback') {
    const { derived, carried, fed } = awaitedNames(loop);
    if (stopsOnAwaitedValue(loop, derived)) return 'stops-on-result';
    if (followsPreviousAnswer(call, carried)) return 'pagination';
    if (onOnePassOnly(call, loop, fed)) return 'one-pass';
  }
  return undefined;
}

/**
 * The innermost loop that waits for `call` once per item, or undefined. Loops that do not
 * multiply the call (constant, batch, retry, pagination, stream, throttled, generator) are looked
 * through to the loops around them; a used `xs.map(async ...)` stops the search, because its
 * callbacks, and so the loops around them, run concurrently.
 */
export function repeatingLoop(
  model: TsModel,
  call: TsCall,
  models?: WorkspaceModels,
): TsLoop | undefined {
  const found = loopSearch(model, call, models);
  return found?.concurrent ? undefined : found?.loop;
}

/**
 * The used `xs.map(async ...)` that stops `repeatingLoop`'s search for `call`, when no loop inside
 * it repeats the call, `wanted` holds for it (asked first: it is cheaper) and it is no exempt loop
 * itself (a constant list, batches): its callbacks run together, each making the call once.
 */
export function concurrentMapAround(
  model: TsModel,
  call: TsCall,
  wanted: (loop: TsLoop) => boolean,
  models?: WorkspaceModels,
): TsLoop | undefined {
  const found = loopSearch(model, call, models);
  if (!found?.concurrent || !wanted(found.loop)) return undefined;
  return exemption(model, call, found.loop, models) === undefined ? found.loop : undefined;
}

function loopSearch(
  model: TsModel,
  call: TsCall,
  models?: WorkspaceModels,
): { loop: TsLoop; concurrent: boolean } | undefined {
  for (let i = call.loops.length - 1; i >= 0; i--) {
    const loop = call.loops[i];
    if (isConcurrentMap(loop)) return { loop, concurrent: true };
    if (exemption(model, call, loop, models) === undefined) return { loop, concurrent: false };
  }
  return undefined;
}

/** Source text shortened to one line for a message. */
export function brief(text: string, max = 40): string {
  const line = text.split('\n')[0].trim();
  if (line.length > max) return `${line.slice(0, max - 1)}…`;
  return line === text.trim() ? line : `${line}…`;
}

/** How a message names the loop: "for each `user` in `users`", "on every pass of the `while` loop". */
export function describeLoop(loop: TsLoop, model: TsModel): string {
  const text = (node: ts.Node): string => brief(node.getText(model.sourceFile));
  const binding = loopBinding(loop);
  if (loop.kind === 'callback' && loop.iterable)
    return `for each item of \`${text(loop.iterable)}.${loop.method}(...)\``;
  if (binding && loop.iterable)
    return `for each \`${brief(binding.getText(model.sourceFile), 20)}\` in \`${text(loop.iterable)}\``;
  const keyword = loop.kind === 'do' ? 'do...while' : loop.kind;
  return `on every pass of the \`${keyword}\` loop`;
}
