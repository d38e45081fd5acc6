/**
 * Indexes that application code creates with raw SQL outside migrations: a startup function that
 * runs `await conn.execute(text("CREATE INDEX IF NOT EXISTS ix ON documents (space_id)"))` next to
 * `Base.metadata.create_all`, as FastAPI apps without Alembic (or beside it) do for composite,
 * trigram and vector indexes. The SQL is read where a database call receives it (f-string holes
 * masked) and from string literals elsewhere in the module (`INDEXES = ["CREATE INDEX ...", ...]`
 * run in a loop). Only index creation counts (`CREATE [UNIQUE] INDEX`, `ALTER TABLE ... ADD
 * [CONSTRAINT c] UNIQUE | PRIMARY KEY | INDEX`): tables, columns and foreign keys stay the models'
 * to declare, and a `DROP INDEX` here is not applied (when it runs relative to the migrations is
 * unknown). Test modules are skipped: their indexes exist only in the test database.
 */
import type { Node } from 'web-tree-sitter';
import { readDdl } from '../sql/schema-facts';
import { splitStatements } from '../sql/statements';
import { toHost, type SqlUnit } from '../sql/unit';
import type { IndexOperation, SchemaFacts } from '../workspace/facts';
import { pythonSqlUnits } from './embedded-sql';
import type { PythonModel } from './model';
import { stringContentStart, stringValue } from './schema-args';
import { isTestModuleName } from './scope-analysis';

/**
 * Text a statement creating an index starts with; files and strings without it pay no DDL read.
 * `ALTER TABLE` may add a unique constraint, a primary key or (MySQL) an index.
 */
export const MAY_CREATE_INDEX = /\b(?:CREATE\s+(?:UNIQUE\s+)?INDEX|ALTER\s+TABLE)\b/i;
const MAY_CREATE_INDEX_ALL = new RegExp(MAY_CREATE_INDEX.source, 'gi');

function createdIndexes(operations: readonly IndexOperation[]): IndexOperation[] {
  return operations.filter((operation) => operation.kind === 'create');
}

/** Index creations in the SQL a database call receives. */
function fromSqlUnits(units: readonly SqlUnit[]): IndexOperation[] {
  const found: IndexOperation[] = [];
  for (const unit of units) {
    if (!unit.statements.some((s) => s.kind === 'ddl') || !MAY_CREATE_INDEX.test(unit.text))
      continue;
    const ddl = readDdl(unit.text, unit.statements, (offset) => toHost(unit, offset));
    found.push(...createdIndexes(ddl.operations));
  }
  return found;
}

/**
 * The string literal (or implicit concatenation of literals) whose text holds `offset`, unless it
 * is a docstring or a bare string statement (documentation, not SQL that runs).
 */
function literalAt(model: PythonModel, offset: number): Node | undefined {
  const content = model.tree.rootNode.descendantForIndex(offset);
  let literal = content?.type === 'string_content' ? content.parent : null;
  if (literal?.parent?.type === 'concatenated_string') literal = literal.parent;
  if (!literal || literal.parent?.type === 'expression_statement') return undefined;
  return literal;
}

/** Index creations in string literals no database call receives directly (module constants). */
function fromLiterals(model: PythonModel, units: readonly SqlUnit[]): IndexOperation[] {
  const found: IndexOperation[] = [];
  const read = new Set<number>();
  for (const match of model.source.matchAll(MAY_CREATE_INDEX_ALL)) {
    const literal = literalAt(model, match.index);
    if (!literal || read.has(literal.startIndex)) continue;
    read.add(literal.startIndex);
    const inUnit = units.some(
      (u) => u.hostStart <= literal.startIndex && literal.endIndex <= u.hostEnd,
    );
    const sql = inUnit ? undefined : stringValue(literal);
    if (sql === undefined) continue;
    // Offsets inside a concatenation or past an escape drift: clamp them to the literal.
    const base = stringContentStart(literal);
    const at = (offset: number): number => Math.min(base + offset, literal.endIndex);
    found.push(...createdIndexes(readDdl(sql, splitStatements(sql), at).operations));
  }
  return found;
}

/** Adds the indexes the module's SQL creates to `schema.operations`. */
export function extractStartupIndexes(model: PythonModel, schema: SchemaFacts): void {
  if (!MAY_CREATE_INDEX.test(model.source) || isTestModuleName(model.moduleName)) return;
  const units = pythonSqlUnits(model);
  schema.operations.push(...fromSqlUnits(units), ...fromLiterals(model, units));
}
