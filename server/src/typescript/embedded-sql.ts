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

/**
 * Names spliced into SQL templates of the file (`${where}` in `$queryRaw\`...\``): the templates
 * bound to them are fragments. By name, not scope: a name reused elsewhere at worst exempts a
 * template from the rules that judge whole statements.
 */
function splicedNames(model: TsModel): Set<string> {
  const names = new Set<string>();
  for (const call of model.calls) {
    if (!call.isTaggedTemplate || !SQL_TAGS.has(call.name)) continue;
    const template = (call.node as ts.TaggedTemplateExpression).template;
    if (!ts.isTemplateExpression(template)) continue;
    for (const span of template.templateSpans) {
      const expression = unwrap(span.expression);
      if (ts.isIdentifier(expression)) names.add(expression.text);
    }
  }
  return names;
}

/** A fragment-building template spliced into another one, inline or through a variable. */
function isSplicedFragment(
  call: TsCall,
  node: ts.TaggedTemplateExpression,
  spliced: () => Set<string>,
): boolean {
  if (RUNNING_TAGS.has(call.name)) return false;
  let value: ts.Node = node;
  while (ts.isParenthesizedExpression(value.parent) || ts.isAsExpression(value.parent))
    value = value.parent;
  const parent = value.parent;
  if (ts.isTemplateSpan(parent)) return true;
  return (
    ts.isVariableDeclaration(parent) &&
    ts.isIdentifier(parent.name) &&
    spliced().has(parent.name.text)
  );
}

function unitOfTemplate(
  call: TsCall,
  model: TsModel,
  spliced: () => Set<string>,
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
  if (isSplicedFragment(call, node, spliced)) unit.fragment = true;
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
  let names: Set<string> | undefined;
  const spliced = (): Set<string> => (names ??= splicedNames(model));
  for (const call of model.calls) {
    const unit = call.isTaggedTemplate
      ? unitOfTemplate(call, model, spliced)
      : unitOfArgument(call, model);
    if (unit) units.push(unit);
  }
  return units;
}
