/**
 * The databases a file's TypeORM connection options name (`new DataSource({ type: 'mysql', ...
 * })`, `TypeOrmModule.forRoot({ type: 'postgres', ... })`, the object a `forRootAsync` factory
 * returns, a `DataSourceOptions` constant): recorded in the file's facts as `databaseUrls` are,
 * so `projectDatabase` knows a TypeORM project's database as it knows a SQLAlchemy one's.
 *
 * An object literal counts when its `type` is a TypeORM driver written as a string and it holds
 * an option only TypeORM's connection options have (`entities`, `synchronize`, `migrations`,
 * ...), or, in a file importing `typeorm` or `@nestjs/typeorm`, a connection option (`host`,
 * `url`, `database`, ...). A `type` read from the environment names nothing. Test files are
 * skipped: the database they set up is the tests' own.
 */
import type { DatabaseUrlKind } from '../config/database';
import { ts } from './compiler';
import { isTestFilePath } from './knowledge';
import { importsModule, unwrap, type TsModel } from './model';
import { findProperty, propertyName } from './object-literals';

/** TypeORM's driver types by the database they run on; the others are `other`. */
const DRIVERS: Record<string, DatabaseUrlKind> = {
  mysql: 'mysql',
  'aurora-mysql': 'mysql',
  mariadb: 'mariadb',
  postgres: 'postgresql',
  'aurora-postgres': 'postgresql',
  sqlite: 'sqlite',
  'better-sqlite3': 'sqlite',
  sqljs: 'sqlite',
  capacitor: 'sqlite',
  cordova: 'sqlite',
  expo: 'sqlite',
  nativescript: 'sqlite',
  'react-native': 'sqlite',
  mssql: 'mssql',
  oracle: 'oracle',
  // TypeORM indexes every foreign key on CockroachDB itself; no `Database` names it.
  cockroachdb: 'other',
  sap: 'other',
  spanner: 'other',
  mongodb: 'other',
};

/** A `type:` written as one of the drivers: files without one pay no walk. */
const DRIVER_TYPE = new RegExp(`\\btype\\s*:\\s*['"\`](?:${Object.keys(DRIVERS).join('|')})['"\`]`);

/**
 * Whether a file's text may hold TypeORM connection options: the scan reads such files in its
 * schema round, so the project's database is known before other files' rules ask for it.
 */
export function mayNameTypeormDatabase(text: string): boolean {
  return DRIVER_TYPE.test(text);
}

/** Options only TypeORM's connection options have. */
const TYPEORM_OPTIONS = new Set([
  'entities',
  'synchronize',
  'migrations',
  'migrationsRun',
  'migrationsTableName',
  'autoLoadEntities',
  'subscribers',
  'entityPrefix',
  'namingStrategy',
  'dropSchema',
]);

/** Options of any database connection. */
const CONNECTION_OPTIONS = new Set(['host', 'port', 'url', 'database', 'username', 'replication']);

function isTypeormPackage(module: string): boolean {
  return module === 'typeorm' || module === '@nestjs/typeorm';
}

/** The database an object literal's connection options name, if they are TypeORM's. */
function databaseOf(
  object: ts.ObjectLiteralExpression,
  importsTypeorm: boolean,
): DatabaseUrlKind | undefined {
  const type = findProperty(object, 'type');
  const value = type && ts.isPropertyAssignment(type) ? unwrap(type.initializer) : undefined;
  // `type: 'postgres' as const` too; `Object.hasOwn` keeps `toString` and the like out.
  const kind =
    value && ts.isStringLiteralLike(value) && Object.hasOwn(DRIVERS, value.text)
      ? DRIVERS[value.text]
      : undefined;
  if (!kind) return undefined;
  const keys = object.properties.map(propertyName);
  const options = importsTypeorm ? [TYPEORM_OPTIONS, CONNECTION_OPTIONS] : [TYPEORM_OPTIONS];
  return keys.some((key) => key !== undefined && options.some((set) => set.has(key)))
    ? kind
    : undefined;
}

/** The distinct databases the file's TypeORM connection options name, in order of first use. */
export function typeormDatabaseKinds(model: TsModel): DatabaseUrlKind[] {
  if (!mayNameTypeormDatabase(model.text) || isTestFilePath(model.relativePath)) return [];
  const importsTypeorm = importsModule(model, isTypeormPackage);
  const kinds = new Set<DatabaseUrlKind>();
  const visit = (node: ts.Node): void => {
    if (ts.isObjectLiteralExpression(node)) {
      const kind = databaseOf(node, importsTypeorm);
      if (kind) kinds.add(kind);
    }
    ts.forEachChild(node, visit);
  };
  visit(model.sourceFile);
  return [...kinds];
}
