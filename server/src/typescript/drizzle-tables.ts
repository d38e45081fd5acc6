/**
 * Drizzle table declarations, recognised only through drizzle-orm's own imports:
 * `pgTable("deployment", { ... }, (t) => [...])` and `sqliteTable(...)` imported from
 * `drizzle-orm/pg-core` / `drizzle-orm/sqlite-core` (named, aliased, namespace or `require`), a
 * table of a `pgSchema("name")` made in the file (`mySchema.table(...)`), and the tables of a
 * `pgTableCreator(...)` / `sqliteTableCreator(...)` made in the file. A `pgTable` of another
 * package, and MySQL's `mysqlTable`, are none of these.
 *
 * For each table: its columns (property key, database name, `.primaryKey()`, `.unique()`,
 * `.references(() => other.id)`), and what its extra-config argument declares: indexes,
 * `unique()` constraints, composite `primaryKey(...)`s and `foreignKey(...)`s.
 */
import { ts } from './compiler';
import { returnedExpression } from './function-values';
import { semanticParent, unwrap, type TsModel } from './model';

/** The dialects whose databases leave the referencing side of a foreign key unindexed. */
export type DrizzleDialect = 'pg' | 'sqlite';

export const DRIZZLE_DIALECT_MODULES: Record<DrizzleDialect, string> = {
  pg: 'drizzle-orm/pg-core',
  sqlite: 'drizzle-orm/sqlite-core',
};

/** The table functions of each dialect module, and the factories of table functions. */
const TABLE_FUNCTIONS: Record<DrizzleDialect, string> = { pg: 'pgTable', sqlite: 'sqliteTable' };
const TABLE_CREATORS: Record<DrizzleDialect, string> = {
  pg: 'pgTableCreator',
  sqlite: 'sqliteTableCreator',
};

export interface DrizzleColumn {
  /** The property key, how code names the column (`t.projectId`). */
  key: string;
  /** The database name: the builder's first string argument (`text("project_id")`), or the key. */
  name: string;
  primaryKey: boolean;
  unique: boolean;
  /** The referenced column as written (`projects.projectId`) when the column has `.references()`. */
  references?: string;
  /** The whole property (`projectId: text("projectId").references(...)`). */
  node: ts.ObjectLiteralElementLike;
}

/** An index, unique constraint or primary key of the extra config: its columns by key, in order. */
export interface DrizzleIndex {
  /** Column keys; `undefined` for an expression (`sql\`lower(...)\``) in that position. */
  columns: (string | undefined)[];
  unique: boolean;
}

/** A foreign key: `.references()` on a column, or `foreignKey({ columns, foreignColumns })`. */
export interface DrizzleForeignKey {
  /** Column keys of this table. */
  columns: string[];
  /** The referenced columns as written (`projects.projectId`). */
  target: string;
  /** What to report: the column's property, or the `foreignKey(...)` element. */
  node: ts.Node;
}

/** The extra-config argument when it is an inline function returning an array or object. */
export interface DrizzleConfig {
  /** The function's parameter name (`t`, `table`). */
  parameter: string;
  /** The array (`(t) => [...]`) or object (`(t) => ({ ... })`) it returns. */
  container: ts.ArrayLiteralExpression | ts.ObjectLiteralExpression;
}

export interface DrizzleTable {
  dialect: DrizzleDialect;
  /** The table's database name when written as a string, else the variable holding the table. */
  name: string;
  /** The string literal of the name, for its quote style. */
  nameLiteral?: ts.StringLiteralLike;
  /** The variable holding the table (`statusReport` of `const statusReport = pgTable(...)`). */
  variable?: string;
  call: ts.CallExpression;
  /** The columns object (`{ ... }`, or the object a `(t) => ({ ... })` returns). */
  columnsObject: ts.ObjectLiteralExpression;
  columns: DrizzleColumn[];
  indexes: DrizzleIndex[];
  foreignKeys: DrizzleForeignKey[];
  /** Whether the call has an extra-config argument at all. */
  hasConfig: boolean;
  /** The extra config, when inline and of a shape a fix can extend. */
  config?: DrizzleConfig;
}

/** The dialect of a module specifier drizzle-orm's core modules use. */
function dialectOf(module: string): DrizzleDialect | undefined {
  if (module === DRIZZLE_DIALECT_MODULES.pg) return 'pg';
  if (module === DRIZZLE_DIALECT_MODULES.sqlite) return 'sqlite';
  return undefined;
}

/**
 * The dialect of `callee` when it names `exported` of a dialect module: an import of that name
 * (`pgTable`, `pgTable as table`), or a property of a namespace import (`pg.pgTable`).
 */
function dialectExport(
  model: TsModel,
  callee: ts.Expression,
  exported: (dialect: DrizzleDialect) => string,
): DrizzleDialect | undefined {
  const node = unwrap(callee);
  if (ts.isIdentifier(node)) {
    const imported = model.imports.get(node.text);
    const dialect = imported && dialectOf(imported.module);
    return dialect && imported.imported === exported(dialect) ? dialect : undefined;
  }
  if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
    const imported = model.imports.get(node.expression.text);
    const dialect = imported && dialectOf(imported.module);
    return dialect && imported.imported === '*' && node.name.text === exported(dialect)
      ? dialect
      : undefined;
  }
  return undefined;
}

/** The dialect of a module variable made by a call of `exported` (`pgSchema(...)`). */
function variableMadeBy(
  model: TsModel,
  name: string,
  exported: (dialect: DrizzleDialect) => string,
): DrizzleDialect | undefined {
  const initializer = model.moduleVariables.get(name)?.initializer;
  const init = initializer && unwrap(initializer);
  return init && ts.isCallExpression(init)
    ? dialectExport(model, init.expression, exported)
    : undefined;
}

/** The dialect when `call` declares a table: `pgTable(...)`, `schema.table(...)`, `createTable(...)`. */
function tableCallDialect(model: TsModel, call: ts.CallExpression): DrizzleDialect | undefined {
  const direct = dialectExport(model, call.expression, (d) => TABLE_FUNCTIONS[d]);
  if (direct) return direct;
  const callee = unwrap(call.expression);
  if (ts.isIdentifier(callee)) return variableMadeBy(model, callee.text, (d) => TABLE_CREATORS[d]);
  if (
    ts.isPropertyAccessExpression(callee) &&
    callee.name.text === 'table' &&
    ts.isIdentifier(callee.expression)
  ) {
    const dialect = variableMadeBy(model, callee.expression.text, () => 'pgSchema');
    return dialect === 'pg' ? dialect : undefined;
  }
  return undefined;
}

function propertyKey(name: ts.PropertyName): string | undefined {
  if (ts.isIdentifier(name) || ts.isStringLiteralLike(name)) return name.text;
  return undefined;
}

/**
 * The method calls of a chain, outermost first, and the call it starts from: `text("x")` of
 * `text("x").notNull().references(...)`, `t.text("x")` and `pg.index("i")` included.
 */
function chainCalls(expression: ts.Expression): {
  calls: { method: string; call: ts.CallExpression }[];
  root?: ts.CallExpression;
} {
  const calls: { method: string; call: ts.CallExpression }[] = [];
  let node = unwrap(expression);
  while (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
    calls.push({ method: node.expression.name.text, call: node });
    node = unwrap(node.expression.expression);
  }
  const root = ts.isCallExpression(node) ? node : calls[calls.length - 1]?.call;
  return { calls, root };
}

/** What a function returns when its body is an expression or a lone `return`, unparenthesised. */
function returnedValue(fn: ts.Expression): ts.Expression | undefined {
  const returned = returnedExpression(fn);
  return returned && unwrap(returned);
}

/** `projects.projectId` of `.references(() => projects.projectId, ...)`. */
function referencedColumn(call: ts.CallExpression, source: ts.SourceFile): string | undefined {
  const [target] = call.arguments;
  const returned = target && returnedValue(target);
  return returned?.getText(source);
}

/** A column property: its builder chain read for name, keys and reference. */
function readColumn(
  property: ts.ObjectLiteralElementLike,
  source: ts.SourceFile,
): DrizzleColumn | undefined {
  if (!ts.isPropertyAssignment(property)) return undefined;
  const key = propertyKey(property.name);
  if (key === undefined) return undefined;
  const { calls, root } = chainCalls(property.initializer);
  let primaryKey = false;
  let unique = false;
  let references: string | undefined;
  for (const { method, call } of calls) {
    if (method === 'primaryKey') primaryKey = true;
    else if (method === 'unique') unique = true;
    else if (method === 'references') references = referencedColumn(call, source) ?? '';
  }
  // `text("project_id")`, `t.text("project_id")`: the builder call at the chain's start.
  const first = root?.arguments[0];
  const name = first && ts.isStringLiteralLike(first) ? first.text : key;
  return { key, name, primaryKey, unique, references, node: property };
}

/** The columns object: the second argument, or what a `(t) => ({ ... })` second argument returns. */
function columnsObjectOf(call: ts.CallExpression): ts.ObjectLiteralExpression | undefined {
  const argument = call.arguments[1];
  if (!argument) return undefined;
  const node = unwrap(argument);
  if (ts.isObjectLiteralExpression(node)) return node;
  const returned = returnedValue(node);
  return returned && ts.isObjectLiteralExpression(returned) ? returned : undefined;
}

/** The extra config when it is an inline function of one named parameter returning `[...]`/`{...}`. */
function configOf(argument: ts.Expression | undefined): DrizzleConfig | undefined {
  const fn = argument && unwrap(argument);
  if (!fn || (!ts.isArrowFunction(fn) && !ts.isFunctionExpression(fn))) return undefined;
  const parameter = fn.parameters[0];
  if (!parameter || !ts.isIdentifier(parameter.name)) return undefined;
  const container = returnedValue(fn);
  if (
    !container ||
    (!ts.isArrayLiteralExpression(container) && !ts.isObjectLiteralExpression(container))
  )
    return undefined;
  return { parameter: parameter.name.text, container };
}

/** The entries of the config's array or object. */
function configEntries(config: DrizzleConfig): ts.Expression[] {
  const { container } = config;
  if (ts.isArrayLiteralExpression(container)) return [...container.elements];
  return container.properties.flatMap((property) =>
    ts.isPropertyAssignment(property) ? [property.initializer] : [],
  );
}

/**
 * The column key of `t.projectId` (also `t.projectId.desc()`, `t.name.op("text_ops")`), for the
 * config's parameter `t`; undefined for anything else (a `sql` expression).
 */
function columnKeyOf(expression: ts.Expression, parameter: string): string | undefined {
  let node = unwrap(expression);
  // Sort order and operator classes: `t.createdAt.desc()`, `t.name.asc().nullsLast()`.
  while (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression))
    node = unwrap(node.expression.expression);
  if (
    ts.isPropertyAccessExpression(node) &&
    ts.isIdentifier(node.expression) &&
    node.expression.text === parameter
  )
    return node.name.text;
  return undefined;
}

/** Access methods whose index serves an equality lookup on the column. */
const EQUALITY_METHODS = new Set(['btree', 'hash']);

/** `columns: [t.a, t.b]` of an options object, as keys. */
function columnsOption(
  options: ts.ObjectLiteralExpression,
  name: string,
  read: (expression: ts.Expression) => string | undefined,
): (string | undefined)[] | undefined {
  for (const property of options.properties) {
    if (!ts.isPropertyAssignment(property) || propertyKey(property.name) !== name) continue;
    const value = unwrap(property.initializer);
    return ts.isArrayLiteralExpression(value) ? value.elements.map(read) : undefined;
  }
  return undefined;
}

/** The options object of `foreignKey({...})`, `primaryKey({...})`, or the old `() => ({...})`. */
function optionsObject(call: ts.CallExpression): ts.ObjectLiteralExpression | undefined {
  const [argument] = call.arguments;
  if (!argument) return undefined;
  const node = unwrap(argument);
  if (ts.isObjectLiteralExpression(node)) return node;
  const returned = returnedValue(node);
  return returned && ts.isObjectLiteralExpression(returned) ? returned : undefined;
}

/** The functions of a dialect module an extra-config entry is built with. */
const CONFIG_FUNCTIONS = ['index', 'uniqueIndex', 'unique', 'primaryKey', 'foreignKey'] as const;
type ConfigFunction = (typeof CONFIG_FUNCTIONS)[number];

function configFunctionOf(model: TsModel, call: ts.CallExpression): ConfigFunction | undefined {
  return CONFIG_FUNCTIONS.find((name) => dialectExport(model, call.expression, () => name));
}

/** What one config entry declares: an index-like key, a foreign key, or nothing this reads. */
function readConfigEntry(
  model: TsModel,
  entry: ts.Expression,
  parameter: string,
): { index?: DrizzleIndex; foreignKey?: DrizzleForeignKey } {
  const { calls, root } = chainCalls(entry);
  const made = root && configFunctionOf(model, root);
  if (!root || !made) return {};
  const key = (expression: ts.Expression): string | undefined => columnKeyOf(expression, parameter);
  if (made === 'primaryKey') {
    const options = optionsObject(root);
    const columns = options
      ? columnsOption(options, 'columns', key)
      : // The old positional form: `primaryKey(t.a, t.b)`.
        root.arguments.map(key);
    return columns ? { index: { columns, unique: true } } : {};
  }
  if (made === 'foreignKey') {
    const options = optionsObject(root);
    const columns = options && columnsOption(options, 'columns', key);
    if (!options || !columns || columns.length === 0 || columns.includes(undefined)) return {};
    const target = optionsTargets(options, model.sourceFile);
    return { foreignKey: { columns: columns as string[], target, node: entry } };
  }
  const unique = made !== 'index';
  const on = calls.find(({ method }) => method === 'on' || method === 'onOnly');
  if (on) return { index: { columns: on.call.arguments.map(key), unique } };
  // `index("x").using("btree", t.a)`: a B-tree or hash index serves equality lookups.
  const using = calls.find(({ method }) => method === 'using');
  const [method, ...columns] = using?.call.arguments ?? [];
  if (method && ts.isStringLiteralLike(method) && EQUALITY_METHODS.has(method.text))
    return { index: { columns: columns.map(key), unique } };
  return {};
}

/** `other.id` or `(other.a, other.b)`: the `foreignColumns` as written. */
function optionsTargets(options: ts.ObjectLiteralExpression, source: ts.SourceFile): string {
  for (const property of options.properties) {
    if (!ts.isPropertyAssignment(property) || propertyKey(property.name) !== 'foreignColumns')
      continue;
    const value = unwrap(property.initializer);
    if (!ts.isArrayLiteralExpression(value)) return '';
    const written = value.elements.map((element) => element.getText(source));
    return written.length === 1 ? written[0] : `(${written.join(', ')})`;
  }
  return '';
}

/** The table's name: its string literal, else the variable it is assigned to. */
/** The variable a table is declared into: `statusReport` of `const statusReport = pgTable(...)`. */
function tableVariable(call: ts.CallExpression): string | undefined {
  const parent = semanticParent(call);
  return parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)
    ? parent.name.text
    : undefined;
}

function readTable(
  model: TsModel,
  call: ts.CallExpression,
  dialect: DrizzleDialect,
): DrizzleTable | undefined {
  const columnsObject = columnsObjectOf(call);
  if (!columnsObject) return undefined;
  const source = model.sourceFile;
  const columns = columnsObject.properties.flatMap((property) => {
    const column = readColumn(property, source);
    return column ? [column] : [];
  });
  const foreignKeys: DrizzleForeignKey[] = columns.flatMap((column) =>
    column.references !== undefined
      ? [{ columns: [column.key], target: column.references, node: column.node }]
      : [],
  );
  const indexes: DrizzleIndex[] = [];
  const configArgument = call.arguments[2];
  const config = configOf(configArgument);
  for (const entry of config ? configEntries(config) : []) {
    const read = readConfigEntry(model, entry, config?.parameter ?? '');
    if (read.index) indexes.push(read.index);
    if (read.foreignKey) foreignKeys.push(read.foreignKey);
  }
  const [first] = call.arguments;
  const literal = first && ts.isStringLiteralLike(first) ? first : undefined;
  const variable = tableVariable(call);
  return {
    dialect,
    name: literal?.text ?? variable ?? '',
    nameLiteral: literal,
    variable,
    call,
    columnsObject,
    columns,
    indexes,
    foreignKeys,
    hasConfig: configArgument !== undefined,
    config,
  };
}

const tablesOfModel = new WeakMap<TsModel, DrizzleTable[]>();

/** The Drizzle PostgreSQL and SQLite tables the file declares. */
export function drizzleTables(model: TsModel): DrizzleTable[] {
  let tables = tablesOfModel.get(model);
  if (tables) return tables;
  tables = [];
  // Only files that import a dialect module can declare a table of it.
  if (
    model.text.includes('drizzle-orm/') &&
    [...model.imports.values()].some((imported) => dialectOf(imported.module))
  ) {
    for (const { node } of model.calls) {
      if (!ts.isCallExpression(node)) continue;
      const dialect = tableCallDialect(model, node);
      const table = dialect && readTable(model, node, dialect);
      if (table) tables.push(table);
    }
  }
  tablesOfModel.set(model, tables);
  return tables;
}

/**
 * The local expression that calls `exported` of the dialect module (`index`, `pg.index`), or
 * undefined when the file binds it to nothing.
 */
export function dialectExportName(
  model: TsModel,
  dialect: DrizzleDialect,
  exported: string,
): string | undefined {
  const module = DRIZZLE_DIALECT_MODULES[dialect];
  for (const imported of model.imports.values()) {
    if (imported.module !== module) continue;
    if (imported.imported === exported) return imported.local;
  }
  for (const imported of model.imports.values())
    if (imported.module === module && imported.imported === '*')
      return `${imported.local}.${exported}`;
  return undefined;
}
