import type { Rule } from '../../server/src/engine/rule';
import type { Fix } from '../../server/src/engine/types';
import { lazyKinds, ts } from '../../server/src/typescript/compiler';
import { helperAccess, HelperIoFinder } from '../../server/src/typescript/helper-io';
import {
  ioCallOf,
  isPromiseCombinator,
  runsOnTransaction,
  promiseChainOf,
  type IoKind,
  type WorkspaceModels,
} from '../../server/src/typescript/io-calls';
import { isScriptOrTestPath } from '../../server/src/typescript/knowledge';
import { brief } from '../../server/src/typescript/loop-repetition';
import { indentationAt } from '../../server/src/typescript/name-resolution';
import {
  calleeDisplay,
  semanticParent,
  unwrap,
  type TsCall,
  type TsModel,
} from '../../server/src/typescript/model';
import { boundNames, readsAny } from '../../server/src/typescript/references';
import { indentUnitAt, reindentedText } from '../../server/src/typescript/reindent';

const RULE_ID = 'sequential-independent-awaits';
const FIX_TITLE = 'Start the calls together with `Promise.all`';

/** Transaction callbacks: their queries share one connection and may depend on order. */
const TRANSACTION = /^\$?transaction$/;
/** Clients that are one connection: their queries run one at a time whatever the code does. */
const SINGLE_CONNECTION = /^(?:tx|trx|transaction|client|conn|connection)$/;
/** Helpers named for a check that throws: `requireUser`, `assertOwner`, `ensureAccess`. */
const GUARD =
  /^`?(?:\w+\.)*(?:require|assert|ensure|check|verify|authorize|authorise|authenticate|validate|guard)/i;
/** Widest one-line `Promise.all([...])` the fix writes before it puts each call on its own line. */
const MAX_LINE = 100;

/** What one awaited step reads or writes: `targets` undefined when not known (raw SQL, a URL). */
interface Access {
  kind: IoKind;
  writes: boolean;
  targets: Set<string> | undefined;
}

/**
 * An `await` of I/O whose turn comes after the one before it: a statement (`const x = await f()`,
 * `await f()`) or the value of an object literal's property (`{ user: await f() }`).
 */
interface Step {
  awaitNode: ts.AwaitExpression;
  operand: ts.Expression;
  /** Names the statement declares. */
  bindings: Set<string>;
  accesses: Access[];
  /** How the message quotes it: the I/O call or the helper. */
  label: string;
  /** Given a constant default (`(await q) || {}`): the fix would have to keep it, so none. */
  defaulted: boolean;
}

/** A step that is a whole statement: the fix rewrites those. */
interface StatementStep extends Step {
  statement: ts.Statement;
}

/** The single declaration of `const x = await ...`, or undefined. */
function declarationOf(statement: ts.Statement): ts.VariableDeclaration | undefined {
  if (!ts.isVariableStatement(statement)) return undefined;
  const [declaration, ...rest] = statement.declarationList.declarations;
  return rest.length === 0 ? declaration : undefined;
}

/** `(x) || y`, `x ?? y`: operators that give a default for an empty result. */
const DEFAULT_OPERATORS = lazyKinds(() => [
  ts.SyntaxKind.BarBarToken,
  ts.SyntaxKind.QuestionQuestionToken,
]);

/** A default that runs nothing: `{}`, `[]`, `null`, `undefined`, a string, number or boolean. */
function isConstantDefault(node: ts.Expression): boolean {
  const value = unwrap(node);
  if (ts.isObjectLiteralExpression(value)) return value.properties.length === 0;
  if (ts.isArrayLiteralExpression(value)) return value.elements.length === 0;
  return (
    ts.isStringLiteral(value) ||
    ts.isNumericLiteral(value) ||
    value.kind === ts.SyntaxKind.NullKeyword ||
    value.kind === ts.SyntaxKind.TrueKeyword ||
    value.kind === ts.SyntaxKind.FalseKeyword ||
    (ts.isIdentifier(value) && value.text === 'undefined')
  );
}

/** `x` of `(x) || {}` / `(x) ?? null`, when the default is a constant; else undefined. */
function withoutConstantDefault(expression: ts.Expression): ts.Expression | undefined {
  if (!ts.isBinaryExpression(expression) || !DEFAULT_OPERATORS().has(expression.operatorToken.kind))
    return undefined;
  return isConstantDefault(expression.right) ? expression.left : undefined;
}

function stripParentheses(expression: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(expression)) expression = expression.expression;
  return expression;
}

/**
 * The `await` a statement consists of: its initializer or its expression, up to parentheses; for
 * a declaration also one given a constant default (`const { id } = (await q) || {}`), `defaulted`.
 */
function awaitOf(
  statement: ts.Statement,
): { awaitNode: ts.AwaitExpression; defaulted: boolean } | undefined {
  const initializer = declarationOf(statement)?.initializer;
  let expression = ts.isExpressionStatement(statement) ? statement.expression : initializer;
  if (!expression) return undefined;
  expression = stripParentheses(expression);
  if (ts.isAwaitExpression(expression)) return { awaitNode: expression, defaulted: false };
  const valued = initializer && withoutConstantDefault(expression);
  const awaited = valued && stripParentheses(valued);
  return awaited && ts.isAwaitExpression(awaited)
    ? { awaitNode: awaited, defaulted: true }
    : undefined;
}

/** Whether code is run by a transaction callback (`prisma.$transaction(async (tx) => ...)`). */
function inTransactionCallback(node: ts.Node): boolean {
  for (let current: ts.Node | undefined = node; current; current = current.parent) {
    if (!ts.isFunctionLike(current)) continue;
    const parent = semanticParent(current);
    if (parent && ts.isCallExpression(parent)) {
      const callee = unwrap(parent.expression);
      const name = ts.isPropertyAccessExpression(callee)
        ? callee.name.text
        : ts.isIdentifier(callee)
          ? callee.text
          : '';
      if (TRANSACTION.test(name)) return true;
    }
  }
  return false;
}

function directAccess(
  model: TsModel,
  call: TsCall,
  models: WorkspaceModels,
): Access | undefined | 'serial' {
  const io = ioCallOf(model, call, models);
  if (!io) return undefined;
  const root = (call.receiverText ?? '').split('.')[0];
  if (io.kind === 'db' && SINGLE_CONNECTION.test(root) && io.driver !== 'prisma') return 'serial';
  // `tx.x.update(...)`, `{ transaction: t }`: the queries run in turn on its one connection.
  if (io.kind === 'db' && runsOnTransaction(call, model)) return 'serial';
  return {
    kind: io.kind,
    writes: io.writes,
    targets: io.target ? new Set([io.target]) : undefined,
  };
}

/** Builds the step of a statement, or undefined when it does not await I/O outside a loop. */
class StepReader {
  constructor(
    private readonly model: TsModel,
    private readonly helpers: HelperIoFinder,
  ) {}

  /** Calls the `await` waits for: the operand's promise chain, and calls awaited inside it. */
  private awaitedCalls(operand: ts.Expression): TsCall[] {
    const found: TsCall[] = [];
    const head = unwrap(operand);
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionLike(node)) return;
      const call = this.model.callAt(node);
      if (call && (promiseChainOf(call) === head || call.awaited)) found.push(call);
      ts.forEachChild(node, visit);
    };
    visit(operand);
    return found;
  }

  read(statement: ts.Statement): StatementStep | undefined {
    const awaited = awaitOf(statement);
    if (!awaited) return undefined;
    const declaration = declarationOf(statement);
    const bindings = declaration ? boundNames(declaration.name) : undefined;
    const step = this.readAwait(awaited.awaitNode, bindings, awaited.defaulted);
    return step && { ...step, statement };
  }

  /**
   * The step of a property whose whole value is an `await` (`{ user: await f() }`): properties are
   * evaluated in order, so each waits for the ones before it. Its result is kept, as a
   * declaration's is, and it declares no name a later property could read.
   */
  readProperty(property: ts.ObjectLiteralElementLike): Step | undefined {
    if (!ts.isPropertyAssignment(property)) return undefined;
    const value = stripParentheses(property.initializer);
    return ts.isAwaitExpression(value) ? this.readAwait(value, new Set(), false) : undefined;
  }

  /** `bindings` undefined: the awaited result is thrown away. */
  private readAwait(
    awaitNode: ts.AwaitExpression,
    bindings: Set<string> | undefined,
    defaulted: boolean,
  ): Step | undefined {
    if (isPromiseCombinator(unwrap(awaitNode.expression))) return undefined;
    const operand = awaitNode.expression;
    const accesses: Access[] = [];
    let label = '';
    for (const call of this.awaitedCalls(operand)) {
      if (call.loops.length > 0) return undefined;
      const direct = directAccess(this.model, call, this.helpers);
      if (direct === 'serial') return undefined;
      if (direct) {
        accesses.push(direct);
        label ||= `${calleeDisplay(call, 50)}(...)`;
        continue;
      }
      // `reach` asks `mayBeHelper` itself before reading the index.
      if (call.isNew || call.isTaggedTemplate) continue;
      const reach = this.helpers.reach(call);
      if (!reach) continue;
      const { writes, targets } = helperAccess(reach);
      for (const kind of new Set(reach.effects.map((effect) => effect.kind)))
        accesses.push({ kind: kind === 'http' ? 'http' : 'db', writes, targets });
      label ||= `${brief(call.callee, 50)}(...)`;
    }
    if (accesses.length === 0) return undefined;
    // A read whose result is thrown away is there for its exception: a guard
    // (`await requireAdmin(req)`, `await prisma.project.findUniqueOrThrow(...)`) that must finish
    // before the work it protects starts.
    if (!bindings && (GUARD.test(label) || accesses.every((access) => !access.writes)))
      return undefined;
    return {
      awaitNode,
      operand,
      bindings: bindings ?? new Set(),
      accesses,
      label,
      defaulted,
    };
  }
}

/**
 * Whether running `a` and `b` together could change what either sees: two writes (order is often
 * the point: a parent row before its child, a charge before the receipt), or a write and a read
 * of the same model, or of something not known (raw SQL, Redis, a URL, a file).
 */
function conflicts(a: Access, b: Access): boolean {
  if (!a.writes && !b.writes) return false;
  if (a.writes && b.writes) return true;
  if (a.kind !== b.kind) return false;
  if (!a.targets || !b.targets) return true;
  for (const target of a.targets) if (b.targets.has(target)) return true;
  return false;
}

/** Whether `later` may start together with every step of `run`. */
function independent(run: Step[], later: Step): boolean {
  return run.every(
    (earlier) =>
      !readsAny(later.operand, earlier.bindings) &&
      !earlier.accesses.some((a) => later.accesses.some((b) => conflicts(a, b))),
  );
}

/**
 * Statement lists that may hold a step: the file's top level (top-level `await`), then every
 * block or case clause enclosing one of the model's calls, in document order. A step awaits a
 * call, so other lists have none; climbing from the calls visits far fewer nodes than a walk of
 * the whole tree. Enclosing lists start strictly before the lists inside them, so sorting by
 * position gives the order of a walk.
 */
function statementLists(model: TsModel): ts.NodeArray<ts.Statement>[] {
  const { sourceFile } = model;
  const holders: (ts.Block | ts.CaseOrDefaultClause)[] = [];
  const climbed = new Set<ts.Node>();
  for (const call of model.calls) {
    for (
      let node: ts.Node = call.node.parent;
      node !== sourceFile && !climbed.has(node);
      node = node.parent
    ) {
      climbed.add(node);
      if (ts.isBlock(node) || ts.isCaseClause(node) || ts.isDefaultClause(node)) holders.push(node);
    }
  }
  holders.sort((a, b) => a.pos - b.pos);
  return [sourceFile.statements, ...holders.map((holder) => holder.statements)];
}

/**
 * Object literals given an awaited call as a property's value (`{ user: await f() }`), in document
 * order, found by climbing from the model's calls as the statement lists are.
 */
function awaitedObjectLiterals(model: TsModel): ts.ObjectLiteralExpression[] {
  const found = new Set<ts.ObjectLiteralExpression>();
  for (const call of model.calls) {
    const awaited = outsideParentheses(call.node);
    if (!ts.isAwaitExpression(awaited)) continue;
    const property = outsideParentheses(awaited);
    if (ts.isPropertyAssignment(property) && ts.isObjectLiteralExpression(property.parent))
      found.add(property.parent);
  }
  return [...found].sort((a, b) => a.pos - b.pos);
}

/** The first node above `node` that is not a parenthesized expression. */
function outsideParentheses(node: ts.Node): ts.Node {
  let parent = node.parent;
  while (ts.isParenthesizedExpression(parent)) parent = parent.parent;
  return parent;
}

/**
 * Runs of two or more consecutive steps, each independent of the ones before it in its run; an
 * item that is no step (undefined) ends a run.
 */
function independentRuns<S extends Step>(steps: readonly (S | undefined)[]): S[][] {
  const runs: S[][] = [];
  let run: S[] = [];
  const close = (): void => {
    if (run.length >= 2) runs.push(run);
    run = [];
  };
  for (const step of steps) {
    if (step && independent(run, step)) {
      run.push(step);
      continue;
    }
    close();
    if (step) run.push(step);
  }
  close();
  return runs;
}

function hasComment(text: string): boolean {
  return /\/\/|\/\*/.test(text);
}

/** Whether the run's text holds comments the fix would drop (outside the awaited calls). */
function dropsComments(model: TsModel, run: StatementStep[]): boolean {
  const { text, sourceFile } = model;
  for (let i = 0; i < run.length; i++) {
    const { statement, operand } = run[i];
    const start = statement.getStart(sourceFile);
    if (i > 0 && hasComment(text.slice(run[i - 1].statement.end, start))) return true;
    const before = text.slice(start, operand.getStart(sourceFile));
    const after = text.slice(operand.end, statement.end);
    if (hasComment(before) || hasComment(after)) return true;
  }
  return false;
}

/** `const [a, b] = await Promise.all([x(), y()]);` for a run of declarations and bare awaits. */
function promiseAllFix(model: TsModel, run: StatementStep[]): Fix | undefined {
  const { text, sourceFile } = model;
  if (run.some((step) => step.defaulted)) return undefined;
  const declarations = run.map((step) => declarationOf(step.statement));
  let kind: string | undefined;
  for (const [i, step] of run.entries()) {
    const declaration = declarations[i];
    if (ts.isExpressionStatement(step.statement)) continue;
    if (!declaration || !ts.isIdentifier(declaration.name) || declaration.exclamationToken)
      return undefined;
    if (ts.getModifiers(step.statement as ts.VariableStatement)?.length) return undefined;
    const flags = (step.statement as ts.VariableStatement).declarationList.flags;
    const own = flags & ts.NodeFlags.Const ? 'const' : flags & ts.NodeFlags.Let ? 'let' : 'var';
    if (kind && kind !== own) return undefined;
    kind = own;
  }
  if (dropsComments(model, run)) return undefined;
  const typed = declarations.filter((d) => d?.type);
  const named = declarations.filter(Boolean);
  if (typed.length > 0 && typed.length !== named.length) return undefined;
  const start = run[0].statement.getStart(sourceFile);
  const indent = indentationAt(text, start);
  const unit = indentUnitAt(sourceFile, run[0].statement);
  const operands = run.map((step) => step.operand.getText(sourceFile));
  let head = 'await ';
  if (kind) {
    const names = declarations.map((d) => (d ? d.name.getText(sourceFile) : ''));
    while (names[names.length - 1] === '') names.pop();
    const types = declarations.map((d) => (d?.type ? d.type.getText(sourceFile) : 'unknown'));
    const annotation = typed.length > 0 ? `: [${types.join(', ')}]` : '';
    head = `${kind} [${names.join(', ')}]${annotation} = await `;
  }
  const oneLine = `${head}Promise.all([${operands.join(', ')}]);`;
  const newText =
    indent.length + oneLine.length <= MAX_LINE && !oneLine.includes('\n')
      ? oneLine
      : `${head}Promise.all([\n${run
          .map((step) => `${indent}${unit}${reindentedText(step.operand, sourceFile, unit)},`)
          .join('\n')}\n${indent}]);`;
  return {
    title: FIX_TITLE,
    safety: 'unsafe',
    edits: [{ start, end: run[run.length - 1].statement.end, newText }],
  };
}

function describeRun(run: Step[]): string {
  const shown = run.slice(0, 3).map((step) => `\`${step.label}\``);
  const more = run.length > 3 ? ` and ${run.length - 3} more` : '';
  const list = shown.length === 2 ? `${shown[0]} and ${shown[1]}` : `${shown.join(', ')}${more}`;
  const subject = run.length === 2 ? 'neither uses the other' : 'none uses another';
  return (
    `${list} are awaited one after another, but ${subject}'s result: the wait is the sum of ` +
    'their latencies instead of the longest; start them together with `Promise.all`'
  );
}

/** Consecutive awaits of independent I/O that could run concurrently. */
export const sequentialIndependentAwaits: Rule = {
  meta: {
    id: RULE_ID,
    language: 'typescript',
    category: 'serialized-work',
    severity: 'info',
    summary:
      'Consecutive `await`s of independent queries or requests (`await a(); await b();`) run one after another',
    fix: { title: FIX_TITLE, safety: 'unsafe', availability: 'sometimes' },
    docs: {
      whatItDoes:
        'Finds two or more consecutive statements in one block that each await a database query, an ' +
        'HTTP request or an `fs.promises` call (directly, or through a workspace helper that makes ' +
        'one), where no later awaited expression reads a name an earlier statement declared. ' +
        'Queries are those `await-in-loop` knows: Prisma (also with the model picked at run time, ' +
        '`prisma.client[model].findMany(...)`), SQL clients, Redis, knex, Drizzle, Kysely, ' +
        'Objection (`Person.query()...`), and ' +
        'TypeORM, Mongoose, MikroORM and Sequelize calls (model statics such as `User.findByPk`, ' +
        'TypeORM Active Record `Profile.findOneBy` and Mongoose `User.findById` included, the model ' +
        'declared in any file; TypeORM repositories a data source hands ' +
        'out, as in `ds.getRepository(Order).findOne(...)`, and `ds.manager`). ' +
        'Statements are `const x = await f()` (any declaration kind or pattern), the same with a ' +
        'constant default for an empty result (`const { a } = (await f()) || {}`, `?? null`, ' +
        '`|| []`), and bare `await f()`. ' +
        'Consecutive properties of one object literal whose whole value is an `await` ' +
        '(`return { transactionCount: await prisma.order.count(), userCount: await ' +
        'prisma.user.count() }`) form runs too: properties are evaluated in order, so each waits ' +
        'for the one before it. ' +
        'The finding is reported once per run, at its first `await`.',
      whyIsThisBad:
        'Each `await` suspends the handler until its round trip finishes, so two independent ' +
        'lookups of 40 ms and 60 ms cost 100 ms instead of 60. In a request handler that loads a ' +
        'user, their permissions and their notifications one after another, the latency of the ' +
        'page is the sum of every query in it.',
      example: [
        "app.get('/dashboard', async (request) => {",
        '  const user = await prisma.user.findUnique({ where: { id: request.userId } });',
        '  const notifications = await prisma.notification.findMany({',
        '    where: { userId: request.userId },',
        '    take: 20,',
        '  });',
        '  const weather = await fetch(`${WEATHER_API}/today`).then((r) => r.json());',
        '  return { user, notifications, weather };',
        '});',
      ].join('\n'),
      useInstead: [
        "app.get('/dashboard', async (request) => {",
        '  const [user, notifications, weather] = await Promise.all([',
        '    prisma.user.findUnique({ where: { id: request.userId } }),',
        '    prisma.notification.findMany({ where: { userId: request.userId }, take: 20 }),',
        '    fetch(`${WEATHER_API}/today`).then((r) => r.json()),',
        '  ]);',
        '  return { user, notifications, weather };',
        '});',
      ].join('\n'),
      notFlagged: [
        'Dependent awaits: a later awaited expression reads a name an earlier statement in the run ' +
          'declared, directly, through a property (`user.teamId`) or in a callback.',
        'A write before a read of the same Prisma model, Sequelize or Mongoose model or TypeORM Active Record ' +
          'entity (called on the class), or of something whose target is not known (raw SQL, Redis, a file, ' +
          'a Prisma model picked at run time such as `prisma[model].update(...)`, which may be any model, ' +
          'an HTTP URL, a TypeORM repository or entity instance): the read may need to see the write. A knex chain ' +
          'counts as a read only when every method after the table is a plain read (`select`, `where*`, ' +
          '`join`, `orderBy`, `first`, `count`, ...); `update`, `raw`, `forUpdate`, `modify` and the rest ' +
          'count as writes. Two writes in ' +
          'a row are left alone too, of any kind, since their order is usually the point (a parent ' +
          'row before its child, a charge before the receipt, an upload before the notification).',
        'Awaits inside loops (`await-in-loop` judges those) and inside transaction callbacks ' +
          '(`prisma.$transaction(async (tx) => ...)`, `knex.transaction(...)`), and queries on a ' +
          'single connection (`tx`, `trx`, `client`/`conn` from `pool.connect()`, a query passed ' +
          'a transaction: `User.findByPk(id, { transaction })`, an Objection query given one ' +
          "(`Person.query(trx)`, `page.$relatedQuery('tags', trx)`), a knex chain on a transaction " +
          "(`trx('users')...`, `t(...)` of `const t = await db.transaction()` or of `Person." +
          'startTransaction()`, a name declared `Knex.Transaction`, or a head that picks one, `(tx || ' +
          "db)('users')`, on the transaction whenever the caller hands one in; a query given the " +
          'knex instance ' +
          'itself, `Person.query(knex)`, is still flagged), a TypeORM query runner and its ' +
          '`manager`, or the manager of `dataSource.transaction(async (manager) => ...)`): one ' +
          'connection runs one query at a time, so `Promise.all` gains nothing.',
        'Awaits that are not I/O the engine knows: timers and sleeps (`await sleep(100)` also ends a ' +
          'run, keeping deliberate spacing), locks, `import()`, `res.json()`, and calls to functions ' +
          'the index cannot resolve.',
        'Awaits already combined (`await Promise.all([...])`), and statements that are not a plain ' +
          'awaited declaration or expression (`if`, `return await`, `x = await f()`, a default that ' +
          'runs code: `(await f()) || makeDefault()`): any of them ends the run.',
        'Guards: a bare `await` whose result is thrown away and that only reads ' +
          '(`await prisma.project.findUniqueOrThrow(...)`), or calls a helper named for a check ' +
          '(`await requireAdmin(req)`, `assert*`, `ensure*`, `verify*`, `authorize*`): it is there to ' +
          'throw before the work after it starts, and ends the run.',
        'Tests, seeds, scripts and migrations (`*.test.ts`, `prisma/seed.ts`, `scripts/`).',
        'In an object literal, a property that is not a plain awaited value ends the run: one that ' +
          'awaits nothing (`checkedAt: new Date()`), does more with its await than keep it ' +
          '(`rates: (await axios.get(url)).data`), a spread or a method, as a statement that is no ' +
          'plain await ends a statement run.',
      ],
      fixSafety:
        'Unsafe: the calls start at once, so side effects may interleave, an early rejection no ' +
        'longer prevents the later calls from running, and a failure rejects the whole ' +
        '`Promise.all`. Offered only when every statement of the run is a single `const`/`let`/`var` ' +
        'declaration of one name (all of one kind) or a bare `await f();`, with no comments the ' +
        'rewrite would drop. Declaration kinds are kept; type annotations become a tuple type ' +
        '(`const [a, b]: [A, B] = ...`) when every declaration has one, and the fix is not offered ' +
        'when only some do. Not offered when a statement gives its await a default (`(await f()) ' +
        '|| {}`): keeping the default would need a name for each result, nor for awaits in an ' +
        "object literal's properties: hoisting them out of the literal would move them before the " +
        'code around it.',
    },
  },
  check(ctx) {
    const model = ctx.typescript;
    // Every step is an `await`: files without the word have none.
    if (!model || !model.text.includes('await') || isScriptOrTestPath(ctx.relativePath)) return;
    const reader = new StepReader(model, new HelperIoFinder(() => ctx.index, model));
    const report = (run: Step[], fix: Fix | undefined): void =>
      ctx.report({
        start: run[0].awaitNode.getStart(model.sourceFile),
        end: run[0].awaitNode.end,
        message: describeRun(run),
        fixes: fix ? [fix] : undefined,
      });
    for (const statements of statementLists(model)) {
      if (statements.length < 2 || inTransactionCallback(statements[0])) continue;
      const steps = statements.map((statement) => reader.read(statement));
      for (const run of independentRuns(steps)) report(run, promiseAllFix(model, run));
    }
    // No fix: hoisting the awaits out of the literal would move them before the code around it.
    for (const literal of awaitedObjectLiterals(model)) {
      if (inTransactionCallback(literal)) continue;
      const steps = literal.properties.map((property) => reader.readProperty(property));
      for (const run of independentRuns(steps)) report(run, undefined);
    }
  },
};
