/**
 * Alembic migrations: the revision link (`revision`, `down_revision`) and what `upgrade()` does to
 * indexes and tables (`op.create_index`, `op.drop_index`, `op.create_table`, `op.add_column`,
 * `op.create_foreign_key`, unique and primary-key constraints, raw `op.execute("CREATE INDEX ...")`),
 * including the same operations through `with op.batch_alter_table("t") as batch_op`.
 * `downgrade()` is ignored: it describes the state before the migration, not after.
 */
import type { Node } from 'web-tree-sitter';
import { readDdl } from '../sql/schema-facts';
import { splitStatements } from '../sql/statements';
import type { IndexOperation, MigrationFact, SchemaFacts, TableFact } from '../workspace/facts';
import type { PyCall, PyFunction, PythonModel } from './model';
import {
  argsOf,
  blockAssignments,
  calledName,
  elementsOf,
  isTrue,
  keywordArg,
  positionalArgs,
  stringContentStart,
  stringValue,
} from './schema-args';
import { readTableItems } from './schema-sqlalchemy';

/** The revision link of a migration module, or undefined when the file is not one. */
function migrationOf(model: PythonModel): MigrationFact | undefined {
  const assignments = blockAssignments(model.tree.rootNode);
  const revision = stringValue(assignments.get('revision')?.value);
  const down = assignments.get('down_revision');
  if (!revision || !down) return undefined;
  const downRevisions = elementsOf(down.value ?? undefined).flatMap((node) => {
    const value = stringValue(node);
    return value ? [value] : [];
  });
  return { revision, downRevision: downRevisions[0] ?? null, downRevisions };
}

function topFunction(fn: PyFunction | undefined): PyFunction | undefined {
  let f = fn;
  while (f?.parent) f = f.parent;
  return f;
}

/** An index or constraint name: `"ix"` or `op.f("ix")`. */
function nameOf(node: Node | undefined): string | undefined {
  if (node?.type === 'call' && calledName(node) === 'f') {
    const args = argsOf(node);
    return args ? stringValue(positionalArgs(args)[0]) : undefined;
  }
  return stringValue(node);
}

/** Column names of a `["a", "b"]` list; `sa.text("lower(a)")` and other expressions in parentheses. */
function columnsOf(node: Node | undefined): string[] {
  return elementsOf(node).map((element) => stringValue(element) ?? `(${element.text})`);
}

/** Where each operation takes its table: batch operations leave that argument out. */
const TABLE_ARGUMENT: Record<string, { position: number; keyword: string }> = {
  create_index: { position: 1, keyword: 'table_name' },
  drop_index: { position: 1, keyword: 'table_name' },
  drop_constraint: { position: 1, keyword: 'table_name' },
  create_unique_constraint: { position: 1, keyword: 'table_name' },
  create_primary_key: { position: 1, keyword: 'table_name' },
  create_foreign_key: { position: 1, keyword: 'source_table' },
  add_column: { position: 0, keyword: 'table_name' },
};

/** One call's arguments, readable by position or keyword. */
class OpArgs {
  private readonly positional: Node[];
  constructor(
    private readonly args: Node,
    /** In a batch, the table comes from `batch_alter_table` and later positions shift down. */
    private readonly batch: boolean,
    private readonly tablePosition: number,
  ) {
    this.positional = positionalArgs(args);
  }

  /** Argument at `position` (counted with the table argument present) or by `keyword`. */
  get(position: number, keyword: string): Node | undefined {
    const byKeyword = keywordArg(this.args, keyword);
    if (byKeyword || !this.batch) return byKeyword ?? this.positional[position];
    if (position === this.tablePosition) return undefined;
    return this.positional[position > this.tablePosition ? position - 1 : position];
  }

  rest(from: number): Node[] {
    return this.positional.slice(from);
  }

  keyword(name: string): Node | undefined {
    return keywordArg(this.args, name);
  }
}

class MigrationReader {
  private readonly tables = new Map<string, TableFact>();

  constructor(private readonly schema: SchemaFacts) {}

  private tableFact(name: string, node: Node): TableFact {
    let table = this.tables.get(name.toLowerCase());
    if (!table) {
      table = {
        name,
        start: node.startIndex,
        end: node.endIndex,
        columns: [],
        relationships: [],
        source: 'alembic',
      };
      this.tables.set(name.toLowerCase(), table);
      this.schema.tables.push(table);
    }
    return table;
  }

  private operation(
    kind: IndexOperation['kind'],
    node: Node,
    table: string,
    columns: string[],
    name: string | undefined,
    unique: boolean,
  ): void {
    this.schema.operations.push({
      kind,
      table,
      columns,
      name,
      unique,
      start: node.startIndex,
      end: node.endIndex,
    });
  }

  /** Reads one `op.<method>(...)` (or `batch_op.<method>(...)` on `batchTable`). */
  read(call: PyCall, batchTable: string | undefined): void {
    const node = call.node;
    const tableArgument = TABLE_ARGUMENT[call.method] ?? { position: 1, keyword: 'table_name' };
    const a = new OpArgs(call.args, batchTable !== undefined, tableArgument.position);
    const table =
      batchTable ?? stringValue(a.get(tableArgument.position, tableArgument.keyword)) ?? '';
    switch (call.method) {
      case 'create_index': {
        const name = nameOf(a.get(0, 'index_name'));
        const columns = columnsOf(a.get(2, 'columns'));
        if (table && columns.length > 0)
          this.operation('create', node, table, columns, name, isTrue(a.keyword('unique')));
        return;
      }
      case 'drop_index':
      case 'drop_constraint': {
        const name = nameOf(
          a.get(0, call.method === 'drop_index' ? 'index_name' : 'constraint_name'),
        );
        if (name) this.operation('drop', node, table, [], name, false);
        return;
      }
      case 'create_unique_constraint':
      case 'create_primary_key': {
        const name = nameOf(a.get(0, 'constraint_name'));
        const columns = columnsOf(a.get(2, 'columns'));
        if (table && columns.length > 0) this.operation('create', node, table, columns, name, true);
        return;
      }
      case 'create_table': {
        const name = stringValue(a.get(0, 'table_name'));
        if (name) this.createTable(name, node, a.rest(1));
        return;
      }
      case 'add_column': {
        const column = a.get(1, 'column');
        if (table && column)
          readTableItems(this.tableFact(table, node), [column], new Map(), this.schema);
        return;
      }
      case 'create_foreign_key': {
        // op.create_foreign_key(name, source_table, referent_table, local_cols, remote_cols)
        const referent = stringValue(a.get(2, 'referent_table'));
        const local = columnsOf(a.get(3, 'local_cols'));
        const remote = columnsOf(a.get(4, 'remote_cols'));
        if (!table || !referent || !local[0]) return;
        const fact = this.tableFact(table, node);
        let column = fact.columns.find((c) => c.name === local[0]);
        if (!column) {
          column = {
            name: local[0],
            attribute: local[0],
            start: node.startIndex,
            end: node.endIndex,
            primaryKey: false,
            unique: false,
            indexed: false,
            type: '',
          };
          fact.columns.push(column);
        }
        column.foreignKey = { table: referent, column: remote[0] ?? 'id' };
        return;
      }
      case 'execute':
        this.execute(a.get(0, 'sqltext'));
        return;
    }
  }

  /** `op.create_table(name, sa.Column(...), sa.ForeignKeyConstraint(...), ...)`. */
  private createTable(name: string, node: Node, items: Node[]): void {
    const table = this.tableFact(name, node);
    const before = this.schema.indexes.length;
    readTableItems(table, items, new Map(), this.schema);
    // Indexes made here are operations: a later migration may drop them by name.
    for (const index of this.schema.indexes.splice(before))
      this.schema.operations.push({ kind: 'create', ...index });
  }

  /** Raw DDL: `op.execute("CREATE INDEX CONCURRENTLY ...")` or `op.execute(sa.text("..."))`. */
  private execute(argument: Node | undefined): void {
    let node = argument;
    if (node?.type === 'call' && calledName(node) === 'text') {
      const args = argsOf(node);
      node = args ? positionalArgs(args)[0] : undefined;
    }
    const sql = stringValue(node);
    if (!node || sql === undefined || node.type !== 'string') return;
    const base = stringContentStart(node);
    const ddl = readDdl(sql, splitStatements(sql), (offset) => base + offset);
    this.schema.operations.push(...ddl.operations);
    for (const index of ddl.indexes) this.schema.operations.push({ kind: 'create', ...index });
    for (const table of ddl.tables) {
      table.source = 'alembic';
      this.schema.tables.push(table);
    }
  }
}

/** `with op.batch_alter_table("t") as batch_op:` bindings: alias -> table. */
function batchTables(model: PythonModel): Map<string, string> {
  const tables = new Map<string, string>();
  for (const call of model.calls) {
    if (call.method !== 'batch_alter_table' || call.node.parent?.type !== 'as_pattern') continue;
    const alias = call.node.parent.childForFieldName('alias')?.namedChildren[0];
    const table = stringValue(positionalArgs(call.args)[0] ?? keywordArg(call.args, 'table_name'));
    if (alias?.type === 'identifier' && table) tables.set(alias.text, table);
  }
  return tables;
}

/** Adds the migration link and the index operations of `upgrade()` to `schema`. */
export function extractAlembicSchema(model: PythonModel, schema: SchemaFacts): void {
  const migration = migrationOf(model);
  if (!migration) return;
  schema.migration = migration;
  const reader = new MigrationReader(schema);
  const batches = batchTables(model);
  for (const call of model.calls) {
    if (topFunction(call.fn)?.name !== 'upgrade' || call.receiver?.type !== 'identifier') continue;
    const receiver = call.receiver.text;
    if (receiver === 'op') reader.read(call, undefined);
    else if (batches.has(receiver)) reader.read(call, batches.get(receiver));
  }
}
