/**
 * The database a project runs on: set by `sql.database` in `perflens.json` (or the editor
 * setting), else detected from the database URLs its Python code spells out and the `type` of its
 * TypeORM connection options. Rules ask it where
 * the dialect changes what is worth reporting, e.g. InnoDB indexing foreign keys itself.
 */
export const DATABASES = ['postgresql', 'mysql', 'mariadb', 'sqlite', 'mssql', 'oracle'] as const;

export type Database = (typeof DATABASES)[number];

/** What a database URL literal names: a database above, or another SQL database. */
export type DatabaseUrlKind = Database | 'other';

export function isDatabase(value: unknown): value is Database {
  return typeof value === 'string' && (DATABASES as readonly string[]).includes(value);
}

/**
 * MySQL and MariaDB (InnoDB) create an index for every foreign key constraint that no existing
 * index leads, so an "unindexed" foreign key is indexed there.
 */
export function indexesForeignKeysItself(database: Database | undefined): boolean {
  return database === 'mysql' || database === 'mariadb';
}

/** What `projectDatabase` reads: the rule options and the workspace index. */
interface DatabaseSources {
  options: { database?: Database };
  index: { databaseOfUrls(): Database | undefined };
}

/**
 * The project's database: the config's `sql.database`, else the one the Python code's database
 * URL literals and the TypeORM connection options all name; undefined when unknown.
 */
export function projectDatabase({ options, index }: DatabaseSources): Database | undefined {
  return options.database ?? index.databaseOfUrls();
}
