/**
 * SQL written in TypeScript/JavaScript: tagged templates (`sql\`...\``, `Prisma.sql`,
 * `prisma.$queryRaw\`...\``) and strings passed to query calls (`pool.query('...')`,
 * `$queryRawUnsafe`, `knex.raw`, `db.prepare`). Each becomes a SqlUnit mapped back to the file, so
 * the SQL rules that read Python strings and `.sql` files read these the same way.
 */
import { looksLikeSql, SqlTextBuilder, type SqlUnit } from '../sql/unit';
import { ts } from './compiler';
import { unwrap, type TsCall, type TsModel } from './model';

/** Tags whose template is a SQL statement or fragment. */
const SQL_TAGS = new Set(['sql', '$queryRaw', '$executeRaw', 'SQL', 'raw']);
/** Tags that run their statement; the others (`Prisma.sql`, `sql`) may build a fragment. */
const RUNNING_TAGS = new Set(['$queryRaw', '$executeRaw']);
/** Methods whose first argument is SQL text (when it looks like SQL). */
const SQL_TEXT_METHODS = new Set([
  'query',
  'execute',
  'raw',
  'prepare',
  'exec',
  'unsafe',
  '$queryRawUnsafe',
  '$executeRawUnsafe',
  'one',
  'oneOrNone',
  'many',
  'manyOrNone',
  'any',
  'none',
]);

/** Appends a template literal's text, its `${}` holes masked. */
function appendTemplate(
  builder: SqlTextBuilder,
  node: ts.TemplateLiteral,
  sourceFile: ts.SourceFile,
): void {
  const text = sourceFile.text;
  if (ts.isNoSubstitutionTemplateLiteral(node)) {
    const start = node.getStart(sourceFile) + 1;
    builder.verbatim(text.slice(start, node.end - 1), start);
    return;
  }
  const headStart = node.head.getStart(sourceFile) + 1;
  builder.verbatim(text.slice(headStart, node.head.end - 2), headStart);
  for (const span of node.templateSpans) {
    const holeStart = span.expression.getStart(sourceFile) - 2;
    builder.hole(span.literal.getStart(sourceFile) + 1 - holeStart, holeStart);
    const literalStart = span.literal.getStart(sourceFile) + 1;
    const literalEnd = span.literal.end - (ts.isTemplateTail(span.literal) ? 1 : 2);
    builder.verbatim(text.slice(literalStart, literalEnd), literalStart);
  }
}

/**
 * Appends a string expression: literals, templates, `+` concatenations, and a `const` bound to
 * one of those in the same file. Returns false when the expression is not string-like.
 */
function appendString(
  builder: SqlTextBuilder,
  expression: ts.Expression,
  model: TsModel,
  depth = 0,
): boolean {
  const sourceFile = model.sourceFile;
  const node = unwrap(expression);
  if (ts.isStringLiteral(node)) {
    const start = node.getStart(sourceFile) + 1;
    builder.verbatim(model.text.slice(start, node.end - 1), start);
    return true;
  }
  if (ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node)) {
    appendTemplate(builder, node, sourceFile);
    return true;
  }
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    if (!appendString(builder, node.left, model, depth)) return false;
    if (!appendString(builder, node.right, model, depth)) {
      builder.hole(
        node.right.end - node.right.getStart(sourceFile),
        node.right.getStart(sourceFile),
      );
    }
    return true;
  }
  if (ts.isIdentifier(node) && depth === 0) {
    const declaration = constDeclaration(node);
    if (declaration?.initializer)
      return appendString(builder, declaration.initializer, model, depth + 1);
  }
  return false;
}

/** The `const` declaration an identifier refers to, searching enclosing blocks then the module. */
function constDeclaration(identifier: ts.Identifier): ts.VariableDeclaration | undefined {
  for (let scope: ts.Node | undefined = identifier.parent; scope; scope = scope.parent) {
    if (!ts.isBlock(scope) && !ts.isSourceFile(scope)) continue;
    for (const statement of scope.statements) {
      if (!ts.isVariableStatement(statement)) continue;
      if (!(statement.declarationList.flags & ts.NodeFlags.Const)) continue;
      for (const declaration of statement.declarationList.declarations)
        if (ts.isIdentifier(declaration.name) && declaration.name.text === identifier.text)
          return declaration;
    }
  }
  return undefined;
}

/** Calls that run a `Prisma.sql` value passed to them: `tx.$executeRaw(lockQuery)`. */
const RUNNING_METHODS = new Set([
  '$queryRaw',
  '$executeRaw',
  '$queryRawUnsafe',
  '$executeRawUnsafe',
]);

/**
 * Where the file's named SQL values go: names spliced into SQL templates (`${where}` in
 * `$queryRaw\`...\``), whose templates are fragments, and names passed to a running call, which
 * is then their sink. By name, not scope: a name reused elsewhere at worst takes another's role.
 */
interface SqlValueUses {
  spliced: Set<string>;
  runBy: Map<string, string>;
}

function sqlValueUses(model: TsModel): SqlValueUses {
  const uses: SqlValueUses = { spliced: new Set(), runBy: new Map() };
  for (const call of model.calls) {
    if (call.isTaggedTemplate) {
      if (!SQL_TAGS.has(call.name)) continue;
      const template = (call.node as ts.TaggedTemplateExpression).template;
      if (!ts.isTemplateExpression(template)) continue;
      for (const span of template.templateSpans) {
        const expression = unwrap(span.expression);
        if (ts.isIdentifier(expression)) uses.spliced.add(expression.text);
      }
    } else if (!call.isNew && RUNNING_METHODS.has(call.name)) {
      const first = call.args[0] && unwrap(call.args[0]);
      if (first && ts.isIdentifier(first)) uses.runBy.set(first.text, call.callee);
    }
  }
  return uses;
}

/**
 * Where a template's value goes: into another template's hole (inline), or into the variable it
 * initialises, through parentheses, casts and either branch of a conditional.
 */
function destinationOf(node: ts.Node): { spliced: true } | { name?: string } {
  let value = node;
  for (;;) {
    const parent = value.parent;
    const passesThrough =
      ts.isParenthesizedExpression(parent) ||
      ts.isAsExpression(parent) ||
      (ts.isConditionalExpression(parent) && parent.condition !== value);
    if (!passesThrough) break;
    value = parent;
  }
  const parent = value.parent;
  if (ts.isTemplateSpan(parent)) return { spliced: true };
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name))
    return { name: parent.name.text };
  return {};
}

/**
 * Marks a fragment-building template (`Prisma.sql`, `sql`) by where its value goes: spliced into
 * another statement, it is a fragment; passed to `$executeRaw(...)`, that call is its sink.
 */
function placeTemplateValue(
  unit: SqlUnit,
  node: ts.TaggedTemplateExpression,
  uses: () => SqlValueUses,
): void {
  const destination = destinationOf(node);
  if ('spliced' in destination) {
    unit.fragment = true;
    return;
  }
  if (!destination.name) return;
  if (uses().spliced.has(destination.name)) unit.fragment = true;
  const runner = uses().runBy.get(destination.name);
  if (runner) unit.sink = runner;
}

function unitOfTemplate(
  call: TsCall,
  model: TsModel,
  uses: () => SqlValueUses,
): SqlUnit | undefined {
  const node = call.node as ts.TaggedTemplateExpression;
  if (!SQL_TAGS.has(call.name)) return undefined;
  const builder = new SqlTextBuilder();
  appendTemplate(builder, node.template, model.sourceFile);
  const unit = builder.build(
    call.callee,
    node.template.getStart(model.sourceFile),
    node.template.end,
  );
  if (!looksLikeSql(unit.text)) return undefined;
  if (!RUNNING_TAGS.has(call.name)) placeTemplateValue(unit, node, uses);
  return unit;
}

function unitOfArgument(call: TsCall, model: TsModel): SqlUnit | undefined {
  if (call.isNew || !SQL_TEXT_METHODS.has(call.name)) return undefined;
  const [first] = call.args;
  if (!first || ts.isTaggedTemplateExpression(unwrap(first))) return undefined;
  const builder = new SqlTextBuilder();
  if (!appendString(builder, first, model)) return undefined;
  const unit = builder.build(call.callee, first.getStart(model.sourceFile), first.end);
  return looksLikeSql(unit.text) ? unit : undefined;
}

/** Every SQL statement string of the file, in file order. */
export function tsSqlUnits(model: TsModel): SqlUnit[] {
  const units: SqlUnit[] = [];
  let found: SqlValueUses | undefined;
  const uses = (): SqlValueUses => (found ??= sqlValueUses(model));
  for (const call of model.calls) {
    const unit = call.isTaggedTemplate
      ? unitOfTemplate(call, model, uses)
      : unitOfArgument(call, model);
    if (unit) units.push(unit);
  }
  return units;
}
