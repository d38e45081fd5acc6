/**
 * Facts: what one file tells the rest of the workspace. Extracted once per file version while its
 * tree is alive, kept as plain data (they cross worker threads), and merged into the workspace
 * index that cross-file rules read. Offsets are UTF-16 offsets into the file's text.
 */
import type { DatabaseUrlKind } from '../config/database';
import type { Language } from '../engine/types';
import type { PrismaDatasource } from '../prisma/schema';

/** What a call blocks on or costs, when the engine recognises it. */
export type EffectKind = 'sleep' | 'http' | 'file' | 'fs' | 'process' | 'db';

export interface Effect {
  kind: EffectKind;
  /** Blocks the thread when run on an event loop (false for awaited async calls). */
  blocking: boolean;
  /** The call as written, e.g. `time.sleep` or `db.query`. */
  callee: string;
  start: number;
  end: number;
  /**
   * A Django queryset that only describes a query (`Model.objects.filter(...)`, lazy methods
   * only): whatever evaluates it sends the query, which may be another call of the function
   * (`await qs.afirst()`) that names the round trip better.
   */
  lazy?: true;
  /**
   * Python: qualified names of the class an awaited class query is on (`await Book.get(...)`).
   * The call is a round trip only if the index confirms that class is a Tortoise or Beanie model
   * (`ormModelOf(ormModel, true)`), which a file's facts cannot know when they are built.
   */
  ormModel?: string[];
  /**
   * TypeScript: a Prisma query whose client only the workspace index can tell is one
   * (`this.repo.model.user.update(...)`, see `HeldClientFact`): a round trip only if the index
   * confirms it (`fieldOrmOf` / `ormModelOf` say `prisma-client`).
   */
  prismaClient?: HeldClientFact;
  /**
   * TypeScript: a query on a Mongoose model that only the workspace index can tell is one, by the
   * types other modules declare (`models.Boards.find()` of `models: IModels`, `IModels` imported):
   * a round trip only if the index confirms it (`fieldPathOrmOf` says `mongoose-model-type`).
   */
  mongooseModel?: MongooseModelPath;
  /**
   * TypeScript: a knex query on an instance the file imports from a workspace module under any
   * name (`database('users').where(...)` of `import database from './db'`): the qualified names
   * the import may have, a round trip only if the index confirms them (`ormModelOf` says
   * `knex-instance`).
   */
  knexInstance?: string[];
  /**
   * A lazy queryset the function hands back unevaluated (`return Model.objects.filter(...)`, or a
   * variable it only narrows and returns): the function sends nothing, its caller's evaluation does.
   */
  returned?: true;
}

/**
 * TypeScript: what may hold a Prisma client by declarations in other files: a field of a workspace
 * class (`this.repo.model` of `repo: PrismaRepository<'user'>` whose `model` is declared
 * `Pick<PrismaService, T>`), or a value declared with a workspace class (`this.store` of `store:
 * DbService`, where `DbService extends PrismaClient`).
 */
export interface HeldClientFact {
  /** Qualified names the declared class may have, most specific first. */
  classNames: string[];
  /** The field of that class that holds the client; absent when the value is the client. */
  field?: string;
}

/**
 * TypeScript: a value declared with a type of another module, and the members read from it: what
 * `models.Boards` is when `models: IModels` and `IModels` is imported (`classNames` of `IModels`,
 * `members` `Boards`), or what `this.MongooseModel` is in a subclass whose base declares it (the
 * subclass's names, `MongooseModel`).
 */
export interface MongooseModelPath {
  /** Qualified names the declared type (or the class) may have, most specific first. */
  classNames: string[];
  /** The fields read from it, in order; empty when the value is of the type itself. */
  members: string[];
}

export interface CallSite {
  /** Qualified names the callee may be, most specific first (`app.services.get_user`). */
  targets: readonly string[];
  /** The call as written. */
  callee: string;
  start: number;
  end: number;
  /** Inside a loop or comprehension body of its function (and not over a small constant literal). */
  inLoop: boolean;
  awaited: boolean;
  /** TypeScript: the result is kept beyond the call (`cached ??= load()`), so it runs once. */
  memoised?: true;
  /**
   * Python: the caller iterates the result right there (`for x in f():`, `list(f())`, a local
   * bound to it and looped over): where a generator function's body runs (see `generator`).
   */
  iterated?: true;
}

export interface FunctionFacts {
  qualifiedName: string;
  name: string;
  isAsync: boolean;
  /** A web framework route handler (FastAPI, Flask, Django view decorator). */
  isRouteHandler: boolean;
  start: number;
  end: number;
  nameStart: number;
  nameEnd: number;
  /** Blocking or round-trip calls made directly in the body (not in nested functions). */
  effects: Effect[];
  /**
   * Python: a generator function (it yields, no decorator wraps it). A call only builds the
   * generator: its effects happen where the caller iterates it (`CallSite.iterated`), if there.
   */
  generator?: true;
  /**
   * Python: a Huey task (`@huey.task()`, `@db_task()`, or an app's wrapper of them): a call only
   * queues the job, and a worker runs the body later, away from the caller.
   */
  enqueued?: true;
  /** Calls to functions that may be defined in the workspace. */
  calls: CallSite[];
  /**
   * Python: what the function returns, as value paths the index walks (`app.repos.RepositoryUsers()`,
   * `app.repos.AllRepositories().recipes.by_user()`; see `python/value-paths.ts`): the class its
   * return annotation names, or what its one `return` at the end of its body returns.
   */
  returns?: string[];
  /** Python: a method returning the instance itself (`-> Self`, `return self`). */
  returnsSelf?: true;
  /** Python: a `@property` or `@cached_property` method: reading the attribute calls it. */
  property?: true;
  /**
   * Facts particular rules record about the function, e.g. `returns-unbounded-read`; named by the
   * contributor that adds them.
   */
  traits: string[];
}

export interface ForeignKeyFact {
  /** Referenced table; the class name when the target is written `ForeignKey(User.id)` in another file. */
  table: string;
  column: string;
  /** The ORM class named by `ForeignKey(User.id)`, when the key was written that way. */
  targetClass?: string;
}

export interface ColumnFact {
  /** Column name in the database. */
  name: string;
  /** Python attribute name for ORM models; equals `name` for SQL. */
  attribute: string;
  start: number;
  end: number;
  primaryKey: boolean;
  unique: boolean;
  /** Indexed by its own declaration (`index=True`, `db_index=True`, an inline `UNIQUE`). */
  indexed: boolean;
  foreignKey?: ForeignKeyFact;
  /** Declared type as written (`Integer`, `JSON`, `text`). */
  type: string;
  /** Where `, index=True` goes for an ORM column (before the closing parenthesis). */
  indexInsertAt?: number;
  /** Indexed without a declaration: Django and MySQL (InnoDB) index foreign keys implicitly. */
  implicitlyIndexed?: boolean;
  /** Written with `index=True` (besides being a key), so it stays indexed in a composite key. */
  explicitIndex?: boolean;
  /** The file that declares it when not the table's: a column inherited from a base class there. */
  file?: string;
  /**
   * `Mapped[pk]` whose `pk = Annotated[..., mapped_column(...)]` another module declares: its
   * qualified name, and what the column's own call says, for the workspace index to merge.
   */
  alias?: { ref: string; own: ColumnFlags };
  /** Added by the framework, not declared: the `id` key Django gives a model that declares none. */
  implicit?: true;
  /** How many values a Django field's `choices=` allows, when the source lists them. */
  choices?: number;
  /**
   * Django: the class of a field the file cannot place, called with a model as its target
   * (`FlexibleForeignKey("app.Org")` imported from another module): its qualified name, or its
   * name as written. The column is read as a `ForeignKey` declares it, and the workspace index
   * keeps it only when that class derives from Django's `ForeignKey` or `OneToOneField`, or, for
   * a class outside the workspace, is named like one (see `SchemaLinks`).
   */
  keyFieldClass?: string;
  /**
   * Django multi-table inheritance: the table of the concrete parent model that holds this field
   * of a child model (queries on the child join that table by the parent pointer, and its
   * indexes serve the field). Absent for a model's own columns.
   */
  ownerTable?: string;
}

/**
 * A Django related manager: `projects` on `Release` instances holds `Project` rows
 * (`projects = ManyToManyField(Project)` on `Release`), `member_set` on `Org` instances holds
 * `Member` rows (`org = ForeignKey(Org)` on `Member`). Classes by bare name.
 */
export interface RelatedRowsFact {
  manager: string;
  on: string;
  rows: string;
  /**
   * The reverse accessor of a `ForeignKey`: the key's name on the rows (`org`), which Django's
   * related manager fills with the instance it is read from (no query to read it back).
   */
  field?: string;
}

/** What a column declaration says about keys and indexes; undefined where it says nothing. */
export interface ColumnFlags {
  primaryKey?: boolean;
  unique?: boolean;
  index?: boolean;
  foreignKey?: ForeignKeyFact;
  type?: string;
}

/** `pk = Annotated[int, mapped_column(primary_key=True)]`: a column declaration models reuse. */
export interface ColumnAliasFact {
  name: string;
  flags: ColumnFlags;
}

/**
 * A class whose columns the models deriving from it inherit: an `__abstract__` base, a mixin, a
 * SQLModel class without `table=True`. Its columns include those of its bases in the same file.
 */
export interface MappedBaseFact {
  name: string;
  columns: ColumnFact[];
  /** Qualified names of its base classes imported from other modules (see `TableFact.bases`). */
  bases: string[];
  /**
   * How it names the tables of the models deriving from it, from a `@declared_attr
   * __tablename__` (its own or a base's in the same file); `underived` when one is declared but
   * its result cannot be told from the source.
   */
  tableNaming?: TableNaming | 'underived';
  /** A Django abstract model (`class Meta: abstract = True`). */
  django?: true;
  /** The row writes a Django abstract model defines (see `TableFact.overriddenWrites`). */
  overriddenWrites?: string[];
  /** The django-lifecycle hooks a Django abstract model defines (see `TableFact.lifecycleHooks`). */
  lifecycleHooks?: string[];
  /** The managers a Django abstract model declares (see `TableFact.customManagers`). */
  customManagers?: string[];
  /**
   * The indexes a Django abstract model's `Meta` declares (`indexes`, `unique_together`, unique
   * constraints), by field name: a model inherits them when it declares no `Meta` of its own.
   */
  metaIndexes?: MetaIndexFact[];
  /**
   * A SQLAlchemy base's `__table_args__` (its own, or a base's in the same file): the indexes and
   * unique constraints it gives, by column name or attribute. Present, possibly empty, when it
   * has one: the first such base of a model without its own gives the model those.
   */
  tableArgs?: MetaIndexFact[];
}

/** An index of a Django `Meta`, by field names as written (`owner`, `-created`). */
export interface MetaIndexFact {
  fields: string[];
  unique: boolean;
  name?: string;
  start: number;
  end: number;
}

/**
 * What a `@declared_attr __tablename__` returns: `cls.__name__` as is, `.lower()`ed, or through a
 * CamelCase-to-snake_case helper.
 */
export type TableNaming = 'name' | 'lower' | 'snake';

export interface IndexFact {
  table: string;
  /** Columns in index order. */
  columns: string[];
  name?: string;
  unique: boolean;
  /**
   * The access method when it is not the default B-tree, lower-cased (`hash`, `gin`, `brin`):
   * only a B-tree returns rows in order, and a hash index serves only equality.
   */
  method?: string;
  start: number;
  end: number;
}

export interface TableFact {
  name: string;
  /** ORM class name, when the table comes from a model class. */
  className?: string;
  start: number;
  end: number;
  columns: ColumnFact[];
  /** Relationship attributes (`comments = relationship(...)`), for lazy-load checks. */
  relationships: string[];
  /**
   * SQLAlchemy: what the declarations of `relationships` say beyond their names, by name: the
   * class a relationship points to and its `lazy=` strategy. Absent when none says either.
   */
  relationshipDetails?: Record<string, RelationshipFact>;
  /**
   * Prisma: the to-many relation fields (`contacts Contact[]`) by name, with the model each lists,
   * for reads through them (`prisma.project.findUnique(...).contacts()`).
   */
  toManyRelations?: Record<string, string>;
  /**
   * Prisma: the to-one relation fields (`author User`, `owner User?`) by name, with the model each
   * points to, for fluent reads that hop through them (`prisma.post.findUnique(...).author().posts()`).
   */
  toOneRelations?: Record<string, string>;
  /**
   * Django: the related managers this model's relation fields add to instances of it or of the
   * models they point to (`posts` of `ForeignKey(Author, related_name="posts")`, `post_set`
   * without one, a `ManyToManyField`'s own name), by attribute name.
   */
  relatedManagers?: string[];
  /** Django: for each of `relatedManagers`, the class whose instances have it and its rows' class. */
  relatedRows?: RelatedRowsFact[];
  /**
   * Django: the row writes (`save`, `delete`, `asave`, `adelete`) the model class defines, itself
   * or through an abstract base of the workspace. A queryset's `update()`/`delete()` skips them.
   */
  overriddenWrites?: string[];
  /**
   * Django: the moments of the django-lifecycle hooks the model class defines (`AFTER_CREATE` of
   * `@hook(AFTER_CREATE)`), itself or through an abstract base of the workspace. Its `save()` and
   * `delete()` run them; `bulk_create`, `bulk_update` and a queryset's `update()` do not.
   */
  lifecycleHooks?: string[];
  /**
   * Django: the managers the model class declares under names of its own (`open =
   * OpenBasketManager()`, `published = PublishedQuerySet.as_manager()`), itself or through an
   * abstract base of the workspace, by attribute name.
   */
  customManagers?: string[];
  /**
   * SQLAlchemy single-table inheritance: the subclasses (no `__tablename__` of their own) that map
   * this table too, by class name. Their columns are among `columns`.
   */
  singleTableClasses?: string[];
  /**
   * Django: the methods of the QuerySet class a manager of the model is made from, declared in
   * the model's file (`objects = JobQuerySet.as_manager()`, `Manager.from_queryset(JobQuerySet)()`),
   * that only narrow the queryset (`return self.filter(...)`): they answer with its rows.
   */
  querySetMethods?: string[];
  /**
   * Django: those of `querySetMethods` whose queryset groups (`values(...).annotate(Count(...))`):
   * one row per group, not per row.
   */
  querySetGroupingMethods?: string[];
  /** Django: the fields those of `querySetMethods` pin to a parameter (`QuerySetPin`). */
  querySetPins?: QuerySetPin[];
  /**
   * Django: the qualified names of the classes a manager of the model answers with the methods
   * of (`jobs.querysets.JobQuerySet` of `objects = JobQuerySet.as_manager()`, a `JobManager()`
   * subclass), wherever declared: the index reads their `ClassFact.querySetMethods` and their
   * bases'.
   */
  querySetClasses?: string[];
  /** Where the table is declared: a model, a `.sql` file, or an Alembic migration. */
  source: 'sqlalchemy' | 'django' | 'sql' | 'alembic' | 'prisma';
  /** The module variable a SQLAlchemy Core `Table(...)` is assigned to (`users = Table(...)`). */
  variable?: string;
  /** For `.sql` tables: the offset just past the declaring statement (and its `;`). */
  statementEnd?: number;
  /**
   * Qualified names of the model's base classes imported from other modules (directly or through
   * a base in the same file), whose columns the workspace index adds.
   */
  bases?: string[];
  /**
   * A model class without `__tablename__` whose bases, all in other modules, may name its table
   * (`@declared_attr __tablename__`): `name` is its class name until the workspace index finds that
   * naming, and the index drops the table when it finds none.
   */
  nameFromBases?: true;
  /**
   * A class of a Django models module whose bases are all in other modules: a model only when one
   * of them is a Django abstract model, so the index drops it otherwise.
   */
  djangoBases?: true;
  /**
   * A Django model with no `Meta` of its own (or one extending a base's `Meta`): it inherits the
   * `Meta` indexes of its abstract bases in other modules.
   */
  inheritsMeta?: true;
  /**
   * A SQLAlchemy model with no `__table_args__` of its own or from its bases in the same file: it
   * takes that of its first base in other modules that has one (`MappedBaseFact.tableArgs`).
   */
  inheritsTableArgs?: true;
}

/** What a SQLAlchemy `relationship(...)` declaration says beyond its name. */
export interface RelationshipFact {
  /**
   * The class it points to, by bare name: `WorkshopSession` of `relationship("WorkshopSession")`,
   * `relationship(WorkshopSession)` or `Mapped[list["WorkshopSession"]]`.
   */
  target?: string;
  /** Its `lazy=` strategy as written (`selectin`, `dynamic`); `dynamic` for `dynamic_loader`. */
  lazy?: string;
  /**
   * The relationship its `backref=` adds to `target`, pointing back to the declaring class:
   * `backref="tasks"`, or `backref=backref("tasks", lazy="selectin")` with its own strategy.
   */
  backref?: { name: string; lazy?: string };
}

/** An index created or dropped by a migration or a DDL statement, in file order. */
export interface IndexOperation {
  kind: 'create' | 'drop';
  table: string;
  columns: string[];
  name?: string;
  unique: boolean;
  start: number;
  end: number;
}

export interface MigrationFact {
  revision: string;
  /** The parent revision; the first one for merge migrations. */
  downRevision: string | null;
  /** Every parent revision (merge migrations have several). */
  downRevisions?: string[];
}

/** A column used to filter or sort rows in a query, for index coverage checks. */
export interface QueryColumnUse {
  /** ORM class or table name as written (`User`, `users`). */
  model: string;
  column: string;
  role: 'filter' | 'sort';
  start: number;
  end: number;
  /** Identifies the query the use belongs to, so filter+sort pairs can be found. */
  queryId: number;
  /**
   * Python: the queries this one extends, nearest first, when its statement variable is
   * reassigned with more clauses (`q = select(T).where(T.org_id == o)`, then under an `if`:
   * `q = q.where(T.status == s)`): their filters and sorts apply to this query too.
   */
  bases?: number[];
  /**
   * For filters, when known (Prisma): whether the filter picks one value (`status: s`), so a
   * composite index `(filter, sort)` returns the matching rows already sorted; ranges and `in`
   * lists do not.
   */
  equality?: boolean;
  /**
   * For filters, when known (Prisma): whether the filter compares by order (`gt`, `lte`, ...),
   * which a hash index does not serve.
   */
  range?: boolean;
  /**
   * For sorts, when known (Prisma): whether the query returns a bounded number of rows (`take`,
   * `findFirst`, a `cursor`). Only then does an index on the sort field pay off with no filter:
   * a query that reads every row is cheaper as a scan and a sort than as a walk of the index.
   */
  bounded?: boolean;
  /**
   * For Prisma filters that may go through a relation field (`user: { id }`, `user: { is: ... }`,
   * `posts: { some: ... }`), which only the schema tells apart: `keys` are the related model's
   * fields the filter compares by equality when it does nothing else (`['id']`), so it reads as
   * equality on the relation's own key fields; absent for any other filter of the related rows.
   */
  relation?: { keys?: string[] };
  /**
   * Python (Django): the field is a relation the query filters through with equality on a column
   * of the related row (`project` of `project__ping_key=k`). The join reaches this table through
   * the field's foreign key column, so that key's index can drive the query; the use is never
   * reported itself, and counts only when the field is a foreign key of the model.
   */
  viaRelation?: boolean;
  /**
   * Python (SQLAlchemy): the instance attribute the query starts from (`request_tasks` of
   * `pr.request_tasks.filter(...)`). When the models declare a relationship of that name it is a
   * dynamic relationship's query, pinned to the parent's key.
   */
  instanceAttribute?: string;
  /** Prisma: the query's client as only the workspace index can confirm it (`Effect.prismaClient`). */
  prismaClient?: HeldClientFact;
}

export interface SchemaFacts {
  tables: TableFact[];
  indexes: IndexFact[];
  operations: IndexOperation[];
  migration?: MigrationFact;
  /** A Prisma `datasource` block in this file (provider, relation mode). */
  prismaDatasource?: PrismaDatasource;
  /** Module-level `Annotated[..., mapped_column(...)]` aliases, for models in other files. */
  columnAliases?: ColumnAliasFact[];
  /** Model base classes and mixins, for models in other files. */
  mappedBases?: MappedBaseFact[];
  /**
   * Django `pre_save`/`post_save` receivers the module connects for a model (`@receiver(post_save,
   * sender=Order)`, `post_save.connect(fn, sender=Order)`): `save()` sends the signal, the bulk
   * writes do not.
   */
  djangoSaveReceivers?: DjangoSaveReceiver[];
}

/** One `pre_save`/`post_save` receiver: the signal and the sender's class name (`Order`). */
export interface DjangoSaveReceiver {
  signal: 'pre_save' | 'post_save';
  sender: string;
}

/**
 * A name a module re-exports from another (`export { a as b } from './x'`, `export * from
 * './x'`): a barrel file. Calls through the barrel resolve to the function where it is defined.
 */
export interface Reexport {
  /**
   * The name other modules import (`b`), `*` for every name of `module`, or `<object>.<member>`
   * for a member of an exported object literal (`default.getAll` of `export default { getAll }`).
   */
  exported: string;
  /** The module it comes from, named as the index names modules. */
  module: string;
  /** The name in `module` (`a`), when it differs from `exported`. */
  imported?: string;
}

/**
 * A module-level name bound once to an instance of a class (`product_service = ProductService()`),
 * so that `product_service.fetch(...)`, here or where it is imported, resolves to the method
 * `ProductService.fetch`.
 */
export interface InstanceFact {
  /** The name within the file's module. */
  name: string;
  /** Qualified names the class may have, most specific first. */
  classNames: string[];
}

/**
 * Django: a field a narrowing method of a QuerySet or Manager class pins to one of its
 * parameters (`environment` of `def live_for(self, environment): return
 * self.filter(environment=environment)`): a call that passes the parameter reads the rows whose
 * field equals the value passed.
 */
export interface QuerySetPin {
  method: string;
  /** The field or lookup pinned, as the filter writes it (`environment`, `environment_id`). */
  field: string;
  /** The parameter, as a caller names it when passing it by keyword. */
  param: string;
  /** Its index among the positional arguments after `self`; none for a keyword-only one. */
  position?: number;
}

/**
 * A top-level class that extends another class or an ORM's model base: how the index tells that a
 * class another file calls (`User.findByPk(id)`) is an ORM model, through bases declared in other
 * files (`class User extends ParanoidModel`, `class ParanoidModel extends Model`). TypeScript
 * classes with `fields` are recorded too, and interfaces and type aliases that are Mongoose model
 * types or have members typed with workspace types (`mongoose-model-types.ts`).
 */
export interface ClassFact {
  /** The declared name, within the file's module. */
  name: string;
  /** Declared `export default`: importers also reach it as the module's `default`. */
  isDefault?: boolean;
  /** The ORM whose model base the class extends in its own file (`sequelize`). */
  orm?: string;
  /** Otherwise, the qualified names its base class may have, most specific first. */
  base?: string[];
  /**
   * Python: the qualified names of its further bases, left to right (`app.models.CrudMixin` of
   * `class Person(db.Model, CrudMixin)`), whose methods it inherits after those of `base`.
   */
  mixins?: string[];
  /**
   * TypeScript: its fields declared with a workspace class's type (properties and constructor
   * parameter properties, as NestJS injects repositories), for `this.<field>.<method>()` in
   * subclasses in other files. A class with fields is recorded even when it extends nothing.
   */
  fields?: FieldFact[];
  /**
   * Python: the public methods of a Django QuerySet or Manager subclass that only narrow the
   * queryset (`def finished(self): return self.filter(...)`), for models in other files whose
   * manager is made from it or a subclass (see `TableFact.querySetClasses`).
   */
  querySetMethods?: string[];
  /** Those of `querySetMethods` whose queryset groups (`values(...).annotate(Count(...))`). */
  querySetGroupingMethods?: string[];
  /** The fields those of `querySetMethods` pin to a parameter (`QuerySetPin`). */
  querySetPins?: QuerySetPin[];
  /** Tortoise models (Python): the relation fields the class declares. */
  relations?: RelationFact[];
}

/**
 * A relation of a Tortoise model: a field (`author = fields.ForeignKeyField("models.Author",
 * related_name="books")`) or a reverse side declared by annotation only
 * (`books: fields.ReverseRelation["Book"]`).
 */
export interface RelationFact {
  name: string;
  /** Holds many rows (many-to-many, reverse foreign key): awaiting it queries even when loaded. */
  many?: boolean;
  /** The class a field points to, by its bare name (`Author`), and the accessor it adds there. */
  to?: string;
  reverse?: string;
  /** The reverse accessor holds many rows (of a foreign key or many-to-many field). */
  reverseMany?: boolean;
}

/** A class field and the qualified names its declared class type may have, most specific first. */
export interface FieldFact {
  name: string;
  classNames: string[];
  /** Declared with a package's ORM class itself (`client: PrismaClient`): that ORM kind. */
  orm?: string;
}

export interface FileFacts {
  file: string;
  language: Language;
  moduleName?: string;
  /**
   * TypeScript: `Type.field` of the exported object types whose property is declared an array
   * (`TSyncUsersDTO.userIds` of `userIds: string[]`), for `for await` over it elsewhere.
   */
  arrayFields?: string[];
  functions: FunctionFacts[];
  schema: SchemaFacts;
  queryColumns: QueryColumnUse[];
  reexports?: Reexport[];
  /**
   * Python: what a module that is no package `__init__.py` imports by name. Python lets other
   * modules import those names from it too (`from .repository_generic import RepositoryGeneric`
   * in `repos.py`, then `from app.repos.repos import RepositoryGeneric`); package re-exports
   * (`reexports`) win where both could answer.
   */
  moduleImports?: Reexport[];
  /**
   * Classes that are ORM models or extend a class of another file (TypeScript/JavaScript), or
   * Python classes with their bases (for methods instances and the class itself inherit).
   */
  classes?: ClassFact[];
  /** Module-level instances of workspace classes (Python; TypeScript/JavaScript `new`). */
  instances?: InstanceFact[];
  /**
   * Facts particular rules record about the module's own code, outside its functions (e.g. a
   * FastAPI `Depends(...)` in a parameter default or a module-level `Annotated` alias); named by
   * the contributor that adds them. Absent when there are none.
   */
  traits?: string[];
  /**
   * TypeScript: calls of imported functions that give a module variable its value while the module
   * loads (`const users = repoFactory(UserEntity)`): they run once per process, whatever the callee
   * does. Absent when there are none.
   */
  loadCalls?: CallSite[];
  /**
   * TypeScript: what the module may do to members of the classes it imports, as `<Class>.<member>`
   * or `<Class>.*` (`TemplateCache.compiled` for `TemplateCache.compiled.clear()`), see
   * `typescript/member-changes.ts`. Absent when there are none.
   */
  memberChanges?: string[];
  /**
   * TypeScript: the imported workspace values the module may shrink or hand on, by the names they
   * are imported as (`cache` for `cache.clear()`), and `<module>.*` for a namespace handed on
   * whole; see `typescript/imported-value-changes.ts`. Absent when there are none.
   */
  valueChanges?: string[];
  /**
   * The databases the file's database URL string literals name (Python: `create_engine("mysql://
   * ...")`), or its TypeORM connection options' `type` (TypeScript: `new DataSource({ type:
   * "mysql", ... })`); absent when there are none. See `WorkspaceIndex.databaseOfUrls`.
   */
  databaseUrls?: DatabaseUrlKind[];
  /**
   * A docker compose file's text, for the compose files that merge it as `docker compose` does:
   * a base service another file `extends`, or an override file and the file it overrides. Only
   * compose rules read it (see `LiveWorkspace`), parsing it when they need it.
   */
  composeText?: string;
}

/** Whether a file's facts declare any schema (tables, indexes, index operations, a migration). */
export function declaresSchema(facts: FileFacts | undefined): boolean {
  if (!facts) return false;
  const { tables, indexes, operations, migration, prismaDatasource } = facts.schema;
  return (
    tables.length > 0 ||
    !!facts.schema.columnAliases?.length ||
    !!facts.schema.mappedBases?.length ||
    !!facts.schema.djangoSaveReceivers?.length ||
    indexes.length > 0 ||
    operations.length > 0 ||
    !!migration ||
    !!prismaDatasource
  );
}

export function emptySchema(): SchemaFacts {
  return { tables: [], indexes: [], operations: [] };
}

export function emptyFacts(file: string, language: Language): FileFacts {
  return { file, language, functions: [], schema: emptySchema(), queryColumns: [] };
}

/**
 * Whether a call site runs the body of the function it calls: always, except a generator
 * function called without iterating the generator there (`StreamingResponse(read_chunks())`).
 */
export function callRunsBody(site: CallSite, callee: FunctionFacts): boolean {
  return !callee.generator || !!site.iterated;
}
