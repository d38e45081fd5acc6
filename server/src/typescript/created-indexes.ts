/**
 * Indexes TypeScript/JavaScript code creates at run time, for the workspace index: a `CREATE
 * [UNIQUE] INDEX` (or `ALTER TABLE ... ADD ... UNIQUE`) string a database call runs, as TypeORM
 * migrations do (`await queryRunner.query(\`CREATE INDEX "IDX_..." ON "post" ("authorId")\`)`),
 * and TypeORM's `queryRunner.createIndex("post", new TableIndex({ columnNames: ["authorId"] }))`
 * (or `createIndices`, or the `indices` and `uniques` of `createTable(new Table({...}))`). Only creation counts, as for Python's startup DDL: code in a function
 * named `down` (a migration's rollback) is left out, and drops are not applied (when one runs
 * relative to the other files' indexes is unknown). Test files are skipped: their indexes exist
 * only in the test database.
 */
import { MAY_CREATE_INDEX } from '../python/schema-startup-ddl';
import { readDdl } from '../sql/schema-facts';
import { toHost } from '../sql/unit';
import type { IndexOperation } from '../workspace/facts';
import { ts } from './compiler';
import { tsSqlUnits } from './embedded-sql';
import { isTestFilePath } from './knowledge';
import { importsModule, unwrap, type TsCall, type TsModel } from './model';
import { booleanPropertyValue, findProperty, stringPropertyValue } from './object-literals';

/** Text a file that may create an index holds: SQL DDL, or TypeORM's `createIndex(`/`createTable(`. */
const MAY_CREATE = new RegExp(
  `${MAY_CREATE_INDEX.source}|\\bcreate(?:Ind(?:ex|ices)|Table)\\s*\\(`,
  'i',
);

/** Whether a file's text may create an index (the scan reads such files in its schema round). */
export function mayCreateIndexes(text: string): boolean {
  return MAY_CREATE.test(text);
}

/** The ranges of the file's `down` functions (migration rollbacks), whose SQL undoes `up`. */
function rollbackRanges(model: TsModel): [number, number][] {
  return model.functions.filter((fn) => fn.name === 'down').map((fn) => [fn.start, fn.end]);
}

function inRanges(ranges: readonly [number, number][], offset: number): boolean {
  return ranges.some(([start, end]) => start <= offset && offset < end);
}

/** Index creations in the SQL the file's database calls run. */
function fromSql(model: TsModel, rollbacks: readonly [number, number][]): IndexOperation[] {
  const found: IndexOperation[] = [];
  for (const unit of tsSqlUnits(model)) {
    if (inRanges(rollbacks, unit.hostStart)) continue;
    if (!unit.statements.some((s) => s.kind === 'ddl') || !MAY_CREATE_INDEX.test(unit.text))
      continue;
    const ddl = readDdl(unit.text, unit.statements, (offset) => toHost(unit, offset));
    found.push(...ddl.operations.filter((operation) => operation.kind === 'create'));
  }
  return found;
}

/** `['authorId', 'createdAt']` of a `columnNames` array of string literals. */
function columnNames(options: ts.ObjectLiteralExpression): string[] | undefined {
  const property = findProperty(options, 'columnNames');
  if (!property || !ts.isPropertyAssignment(property)) return undefined;
  const array = unwrap(property.initializer);
  if (!ts.isArrayLiteralExpression(array)) return undefined;
  const names = array.elements.map((element) => unwrap(element));
  return names.every(ts.isStringLiteralLike) ? names.map((name) => name.text) : undefined;
}

/** The options of `new TableIndex({...})` or of a plain `{ columnNames: [...] }`. */
function indexOptions(expression: ts.Expression): ts.ObjectLiteralExpression | undefined {
  let node = unwrap(expression);
  if (ts.isNewExpression(node) && node.arguments?.length === 1) node = unwrap(node.arguments[0]);
  return ts.isObjectLiteralExpression(node) ? node : undefined;
}

/** `schema.table` names the table after the dot, as the SQL reader does. */
const tableName = (name: string): string => name.slice(name.lastIndexOf('.') + 1);

/** The elements of an array-literal option (`indices: [...]`), or none. */
function arrayOption(options: ts.ObjectLiteralExpression, key: string): readonly ts.Expression[] {
  const property = findProperty(options, key);
  const value = property && ts.isPropertyAssignment(property) && unwrap(property.initializer);
  return value && ts.isArrayLiteralExpression(value) ? value.elements : [];
}

/** The index each `new TableIndex({...})` / `{ columnNames: [...] }` of `indexes` describes. */
function indexesOf(
  model: TsModel,
  table: string,
  indexes: readonly ts.Expression[],
  uniqueAlways: boolean,
): IndexOperation[] {
  const found: IndexOperation[] = [];
  for (const index of indexes) {
    const options = indexOptions(index);
    const columns = options && columnNames(options);
    if (!options || !columns?.length) continue;
    found.push({
      kind: 'create',
      table,
      columns,
      name: stringPropertyValue(options, 'name'),
      unique: uniqueAlways || booleanPropertyValue(options, 'isUnique') === true,
      start: index.getStart(model.sourceFile),
      end: index.end,
    });
  }
  return found;
}

/**
 * `queryRunner.createIndex('post', new TableIndex({ columnNames: [...] }))`, `createIndices`, and
 * the `indices` and `uniques` of `createTable(new Table({ name: 'post', ... }))`.
 */
function fromTypeormCall(call: TsCall, model: TsModel): IndexOperation[] {
  const [first, second] = call.args.map((arg) => unwrap(arg));
  if (call.name === 'createTable') {
    const options = first && indexOptions(first);
    const name = options && stringPropertyValue(options, 'name');
    if (!options || !name) return [];
    return [
      ...indexesOf(model, tableName(name), arrayOption(options, 'indices'), false),
      ...indexesOf(model, tableName(name), arrayOption(options, 'uniques'), true),
    ];
  }
  if (!first || !second || !ts.isStringLiteralLike(first)) return [];
  const indexes =
    call.name === 'createIndices' && ts.isArrayLiteralExpression(second)
      ? second.elements
      : [second];
  return indexesOf(model, tableName(first.text), indexes, false);
}

const TYPEORM_INDEX_CALLS = new Set(['createIndex', 'createIndices', 'createTable']);

/** TypeORM query runner calls that create indexes, outside `down` functions. */
function fromTypeorm(model: TsModel, rollbacks: readonly [number, number][]): IndexOperation[] {
  if (!importsModule(model, (module) => module === 'typeorm')) return [];
  const found: IndexOperation[] = [];
  for (const call of model.calls) {
    if (!TYPEORM_INDEX_CALLS.has(call.name)) continue;
    if (!call.receiver || inRanges(rollbacks, call.start)) continue;
    found.push(...fromTypeormCall(call, model));
  }
  return found;
}

/** The index creations of the file, for its facts' `schema.operations`. */
export function createdIndexOperations(model: TsModel): IndexOperation[] {
  if (!mayCreateIndexes(model.text) || isTestFilePath(model.relativePath)) return [];
  const rollbacks = rollbackRanges(model);
  return [...fromSql(model, rollbacks), ...fromTypeorm(model, rollbacks)];
}
