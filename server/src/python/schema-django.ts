/**
 * Django model declarations: `class Post(models.Model)` fields (`ForeignKey` indexed implicitly,
 * `db_index`, `unique`, `primary_key`, the implicit `id` key) and `Meta` (`db_table`, `indexes`,
 * `unique_together`, `index_together`, `constraints`, `abstract`). Abstract models are recorded
 * as `mappedBases` for models in other modules, whose fields the workspace index adds
 * (`workspace/schema-links.ts`), as it does for SQLAlchemy bases, with their `Meta` indexes for
 * the models that take their `Meta`. A concrete parent model (multi-table inheritance) is named in
 * its child's `bases` too, wherever declared: the index gives the child the parent's fields, which
 * stay in the parent's table (`ColumnFact.ownerTable`).
 */
import type { Node } from 'web-tree-sitter';
import type {
  ColumnFact,
  DjangoSaveReceiver,
  IndexFact,
  MetaIndexFact,
  QuerySetPin,
  RelatedRowsFact,
  SchemaFacts,
  TableFact,
} from '../workspace/facts';
import { emptySchema } from '../workspace/facts';
import {
  dottedName,
  methodDefinitions,
  qualifiedClassName,
  qualify,
  type PyClass,
  type PythonModel,
} from './model';
import {
  groupingMethodsOf,
  managerSourceClass,
  narrowingMethodsOf,
  querySetPinsOf,
} from './django-querysets';
import { startsWithModule } from './knowledge';
import {
  argsOf,
  blockAssignments,
  calledName,
  elementsOf,
  importedName,
  isFalse,
  isTrue,
  keywordArg,
  positionalArgs,
  readArgs,
  redefinedClasses,
  stringList,
  stringValue,
} from './schema-args';

const KEY_FIELDS = new Set(['ForeignKey', 'OneToOneField']);

/**
 * The related managers a relation field of `modelName` adds to model instances, with the class
 * whose instances get each and the class of its rows: the reverse accessor of a `ForeignKey` or
 * `ManyToManyField` (`related_name`, else `<model>_set`), on the target's instances, holding
 * `modelName` rows; and the forward one of a `ManyToManyField` (its own name), on `modelName`'s
 * instances, holding the target's rows. A `OneToOneField`'s reverse accessor is one row, not a
 * manager; `related_name="+"` adds none, and `%(class)s` templates name several. `foreignKey`:
 * the field is a foreign key of a class the file cannot place (see `keyFieldClassOf`) whose name
 * says so (`FlexibleForeignKey`).
 */
function relatedManagersOf(
  fieldName: string,
  call: Node,
  modelName: string,
  foreignKey: boolean,
): RelatedRowsFact[] {
  const kind = foreignKey ? 'ForeignKey' : calledName(call);
  if (kind !== 'ForeignKey' && kind !== 'ManyToManyField') return [];
  const args = argsOf(call);
  const relatedName = args ? stringValue(keywordArg(args, 'related_name')) : undefined;
  const reverse = relatedName ?? `${modelName.toLowerCase()}_set`;
  const target = args ? targetClassOf(args) : undefined;
  const other = !target || target === 'self' ? modelName : target;
  const found: RelatedRowsFact[] = [];
  if (kind === 'ManyToManyField') found.push({ manager: fieldName, on: modelName, rows: other });
  if (!reverse.endsWith('+') && !reverse.includes('%'))
    found.push({
      manager: reverse,
      on: other,
      rows: modelName,
      ...(kind === 'ForeignKey' ? { field: fieldName } : {}),
    });
  return found;
}

/**
 * The bare class name a relation field's first argument (or `to=`) names: `Project` of
 * `Project`, `models.Project` or `"sentry.Project"`, `self` for `"self"`.
 */
function targetClassOf(args: Node): string | undefined {
  const target = positionalArgs(args)[0] ?? keywordArg(args, 'to');
  const text = target ? (stringValue(target) ?? target.text) : '';
  return text.split('.').pop() || undefined;
}

/** A model as a relation field names it: `Org`, `models.Org`, `"app.Org"`, `"self"`, `settings.AUTH_USER_MODEL`. */
function namesModel(node: Node | undefined): boolean {
  if (!node) return false;
  const text = stringValue(node);
  if (text !== undefined) return /^(?:\w+\.)?[A-Z]\w*$|^self$/.test(text);
  if (node.type !== 'identifier' && node.type !== 'attribute') return false;
  return /^[A-Z]/.test(node.text.split('.').pop() ?? '');
}

/**
 * The class of a field call the file cannot place that may be a `ForeignKey` or
 * `OneToOneField` subclass declared elsewhere (`FlexibleForeignKey("sentry.Organization")`, with
 * the class imported from another module, or declared in this one): a capitalised class that is
 * not one of Django's own (those are read by name) nor named `...Field` (a plain field) or
 * `...Manager`, called with a model as its first argument (or `to=`). Its qualified name when the
 * file imports or declares it, else its name as written; the workspace index decides through its
 * bases (`SchemaLinks`).
 */
function keyFieldClassOf(call: Node, model: PythonModel): string | undefined {
  const kind = calledName(call);
  if (!/^[A-Z]/.test(kind) || kind.endsWith('Field') || kind.endsWith('Manager')) return undefined;
  if (KEY_FIELDS.has(kind)) return undefined;
  const args = argsOf(call);
  if (!args || !namesModel(positionalArgs(args)[0] ?? keywordArg(args, 'to'))) return undefined;
  const callee = dottedName(call.childForFieldName('function'));
  const qualified = qualifiedClassName(callee, model) ?? callee;
  return qualified.startsWith('django.') ? undefined : qualified;
}

/** A class name that says foreign key (`TreeForeignKey`): see `SchemaLinks`' reading of it. */
const FOREIGN_KEY_NAME = /ForeignKey$/;

/**
 * Whether a model body's value makes a manager: a call of a class named `...Manager`
 * (`OpenBasketManager()`, `models.Manager()`), `SomeQuerySet.as_manager()` or
 * `BaseManager.from_queryset(SomeQuerySet)()`.
 */
function makesManager(value: Node): boolean {
  const callee = value.childForFieldName('function');
  if (!callee) return false;
  if (callee.type === 'call')
    return callee.childForFieldName('function')?.text.endsWith('.from_queryset') ?? false;
  const name =
    callee.type === 'attribute' ? callee.childForFieldName('attribute')?.text : callee.text;
  return !!name && (name.endsWith('Manager') || name === 'as_manager');
}

/**
 * The methods of a QuerySet class of this file (`class JobQuerySet(models.QuerySet)`) that only
 * narrow it (`narrowsSelf`): a model whose manager is made from the class answers them with a
 * queryset of its rows (`Job.objects.filter(...).is_finished()`).
 */
function narrowingMethods(className: string, model: PythonModel): string[] {
  const cls = querySetClassOfFile(className, model);
  return cls ? narrowingMethodsOf(cls) : [];
}

/** Those of `narrowingMethods` whose queryset groups its rows (`groupingMethodsOf`). */
function groupingMethods(className: string, model: PythonModel): string[] {
  const cls = querySetClassOfFile(className, model);
  return cls ? groupingMethodsOf(cls) : [];
}

/** The fields the `narrowingMethods` pin to a parameter (`querySetPinsOf`). */
function pinningMethods(className: string, model: PythonModel): QuerySetPin[] {
  const cls = querySetClassOfFile(className, model);
  return cls ? querySetPinsOf(cls, model) : [];
}

/** The QuerySet class of this name the file declares (the last one, as Python binds it). */
function querySetClassOfFile(className: string, model: PythonModel): PyClass | undefined {
  const cls = [...model.classes].reverse().find((c) => c.name === className);
  return cls?.bases.some((base) => base.endsWith('QuerySet')) ? cls : undefined;
}

/** The Django app label of a models module: `blog` for `blog.models` or `blog.models.post`. */
function appLabel(moduleName: string): string {
  const parts = moduleName.split('.');
  const models = parts.lastIndexOf('models');
  if (models > 0) return parts[models - 1];
  return parts.length > 1 ? parts[parts.length - 2] : '';
}

/** Whether a base class expression names `django.db.models.Model`. */
function isModelBase(base: string, model: PythonModel): boolean {
  return base === 'models.Model' || qualify(base, model.imports) === 'django.db.models.Model';
}

/**
 * Abstract models of Django and of well-known packages: a class extending one is a model, though
 * the workspace does not declare its base.
 */
const KNOWN_ABSTRACT_MODELS = new Set([
  'django.contrib.auth.models.AbstractUser',
  'django.contrib.auth.models.AbstractBaseUser',
  'model_utils.models.TimeStampedModel',
  'model_utils.models.SoftDeletableModel',
  'model_utils.models.StatusModel',
  'model_utils.models.TimeFramedModel',
  'model_utils.models.UUIDModel',
  'django_extensions.db.models.TimeStampedModel',
  'django_extensions.db.models.TitleDescriptionModel',
  'django_extensions.db.models.TitleSlugDescriptionModel',
  'django_extensions.db.models.ActivatorModel',
  'django_lifecycle.LifecycleModel',
  'django_lifecycle.models.LifecycleModel',
  'safedelete.models.SafeDeleteModel',
  'polymorphic.models.PolymorphicModel',
  'mptt.models.MPTTModel',
  'ordered_model.models.OrderedModel',
]);

/** Modules whose `...Field`, `ForeignKey`, `OneToOneField` calls declare model fields. */
const FIELD_MODULES =
  /^django\.(?:db\.models|contrib\.postgres\.fields|contrib\.gis\.db\.models)\./;

/**
 * Whether a class with bases that are not known models is a Django model all the same: it extends
 * a well-known abstract model, or its body declares Django model fields (`models.ForeignKey(...)`
 * with `models` from `django.db`, or `ForeignKey` imported from `django.db.models`), as a model
 * whose abstract base is in a package or a module outside the workspace does.
 */
function declaresModel(cls: PyClass, model: PythonModel): boolean {
  if (cls.bases.some((base) => KNOWN_ABSTRACT_MODELS.has(qualify(base, model.imports))))
    return true;
  for (const statement of cls.body.namedChildren) {
    const assignment = statement?.type === 'expression_statement' && statement.namedChildren[0];
    const value =
      assignment && assignment.type === 'assignment' && assignment.childForFieldName('right');
    if (!value || value.type !== 'call') continue;
    const kind = calledName(value);
    if (!kind.endsWith('Field') && !KEY_FIELDS.has(kind)) continue;
    const callee = value.childForFieldName('function');
    if (callee && FIELD_MODULES.test(qualify(dottedName(callee), model.imports))) return true;
  }
  return false;
}

/**
 * A field of a model body; undefined for assignments that are not fields. `keyClass`: the class of
 * a field that may be a foreign key (`keyFieldClassOf`), read as a `ForeignKey` declares it.
 */
function readField(
  name: string,
  call: Node,
  range: { start: number; end: number },
  keyClass: string | undefined,
): ColumnFact | 'relation' | undefined {
  const kind = calledName(call);
  if (kind === 'ManyToManyField') return 'relation';
  if (!kind.endsWith('Field') && !KEY_FIELDS.has(kind) && !keyClass) return undefined;
  const args = argsOf(call);
  if (!args) return undefined;
  const isKey = KEY_FIELDS.has(kind) || !!keyClass;
  const { positional, keywords } = readArgs(args);
  const dbIndex = keywords.get('db_index');
  const primaryKey = isTrue(keywords.get('primary_key'));
  const unique = isTrue(keywords.get('unique')) || kind === 'OneToOneField';
  const column = stringValue(keywords.get('db_column')) ?? (isKey ? `${name}_id` : name);
  const fact: ColumnFact = {
    name: column,
    attribute: name,
    ...range,
    primaryKey,
    unique,
    indexed: primaryKey || unique || isTrue(dbIndex) || (isKey && !isFalse(dbIndex)),
    type: call.childForFieldName('function')?.text ?? kind,
    implicitlyIndexed: isKey && !isFalse(dbIndex),
  };
  if (isKey) {
    const target = positional[0] ?? keywords.get('to');
    const text = target ? (stringValue(target) ?? target.text) : '';
    const cls = text.split('.').pop() ?? '';
    if (cls) fact.foreignKey = { table: cls.toLowerCase(), column: 'id', targetClass: cls };
  }
  if (keyClass) fact.keyFieldClass = keyClass;
  return fact;
}

/** The choices of a literal `((value, label), ...)`; undefined for grouped or other values. */
function pairCount(node: Node | null | undefined): number | undefined {
  if (node?.type !== 'tuple' && node?.type !== 'list') return undefined;
  const pairs = elementsOf(node);
  const flat = pairs.every((pair) => {
    const parts = pair.type === 'tuple' || pair.type === 'list' ? elementsOf(pair) : [];
    return parts.length === 2 && parts[1].type !== 'tuple' && parts[1].type !== 'list';
  });
  return flat ? pairs.length : undefined;
}

/** The members of a `TextChoices`/`IntegerChoices`/`Choices` enum class (`__empty__` adds one). */
function enumMemberCount(cls: PyClass): number {
  let count = 0;
  for (const name of blockAssignments(cls.body).keys())
    if (!name.startsWith('_') || name === '__empty__') count++;
  return count;
}

/**
 * How many values a field's `choices=` allows, when the source lists them: a literal, a name the
 * model class or the module binds to one, or `Status.choices` of an enum class of the file.
 */
function choiceCount(call: Node, cls: PyClass, model: PythonModel): number | undefined {
  const args = argsOf(call);
  const value = args ? keywordArg(args, 'choices') : undefined;
  if (!value) return undefined;
  if (value.type === 'identifier') {
    const bound =
      blockAssignments(cls.body).get(value.text) ??
      blockAssignments(model.tree.rootNode).get(value.text);
    return pairCount(bound?.value);
  }
  if (value.type === 'attribute' && value.childForFieldName('attribute')?.text === 'choices') {
    const name = value.childForFieldName('object')?.text.split('.').pop();
    // The later of two classes of one name is the one Python binds.
    const enumClass = [...model.classes]
      .reverse()
      .find((c) => c.name === name && c.bases.some((base) => /Choices$/.test(base)));
    return enumClass ? enumMemberCount(enumClass) : undefined;
  }
  return pairCount(value);
}

/**
 * The `id` primary key Django adds to a model that declares none (an `AutoField`, or the
 * `DEFAULT_AUTO_FIELD` type), placed at the class name.
 */
function implicitId(cls: PyClass): ColumnFact {
  const name = cls.node.childForFieldName('name') ?? cls.node;
  return {
    name: 'id',
    attribute: 'id',
    start: name.startIndex,
    end: name.endIndex,
    primaryKey: true,
    unique: false,
    indexed: true,
    type: 'AutoField',
    implicit: true,
  };
}

/** Column names of `fields=[...]` entries: attribute names, `-` for descending order stripped. */
function fieldColumns(fields: string[], table: TableFact): string[] {
  return fields.map((field) => {
    const attribute = field.replace(/^-/, '');
    return table.columns.find((c) => c.attribute === attribute)?.name ?? attribute;
  });
}

function addIndex(table: TableFact, schema: SchemaFacts, index: MetaIndexFact): void {
  if (index.fields.length === 0) return;
  const fact: IndexFact = {
    table: table.name,
    columns: fieldColumns(index.fields, table),
    name: index.name,
    unique: index.unique,
    start: index.start,
    end: index.end,
  };
  schema.indexes.push(fact);
}

/** `unique_together = ("a", "b")` or `[("a", "b"), ...]`. */
function togetherGroups(value: Node): Node[] {
  const elements = elementsOf(value);
  return elements.every((element) => stringValue(element) !== undefined) ? [value] : elements;
}

function metaIndex(fields: string[], unique: boolean, node: Node, name?: string): MetaIndexFact {
  return { fields, unique, ...(name ? { name } : {}), start: node.startIndex, end: node.endIndex };
}

/** The indexes a `Meta` declares: `indexes`, unique `constraints`, `unique/index_together`. */
function metaIndexesOf(meta: Node): MetaIndexFact[] {
  const assignments = blockAssignments(meta);
  const found: MetaIndexFact[] = [];
  for (const [key, kind, unique] of [
    ['indexes', 'Index', false],
    // A `condition=` makes it a partial index; counted as covering, so no lookup is ever blamed on it.
    ['constraints', 'UniqueConstraint', true],
  ] as const) {
    for (const element of elementsOf(assignments.get(key)?.value ?? undefined)) {
      const args = element.type === 'call' ? argsOf(element) : undefined;
      if (!args || calledName(element) !== kind) continue;
      const fields = stringList(keywordArg(args, 'fields'));
      found.push(metaIndex(fields, unique, element, stringValue(keywordArg(args, 'name'))));
    }
  }
  for (const [key, unique] of [
    ['unique_together', true],
    ['index_together', false],
  ] as const) {
    const value = assignments.get(key)?.value;
    if (!value) continue;
    for (const group of togetherGroups(value))
      found.push(metaIndex(stringList(group), unique, group));
  }
  return found;
}

/**
 * Whether a model takes its abstract bases' `Meta`: Django hands a base's `Meta` to a child that
 * declares none, and a child's `class Meta(Base.Meta)` extends it; any other `Meta` replaces it.
 */
function inheritsMeta(metaClass: Node | undefined): boolean {
  return !metaClass || !!metaClass.childForFieldName('superclasses')?.namedChildren.length;
}

/** Row writes a model may override, which a queryset's `update()`/`delete()` never calls. */
const ROW_WRITES = new Set(['save', 'delete', 'asave', 'adelete']);

/** The row writes a model class body defines (`def delete(self, *args, **kwargs):`). */
function rowWritesDefined(cls: PyClass): string[] {
  const found: string[] = [];
  for (const definition of methodDefinitions(cls)) {
    const name = definition.childForFieldName('name')?.text;
    if (name && ROW_WRITES.has(name)) found.push(name);
  }
  return found;
}

/**
 * The moments of the django-lifecycle hooks a model class body defines: `AFTER_CREATE` of
 * `@hook(AFTER_CREATE)`, `@hook(LifecycleHook.AFTER_CREATE)` or `@hook("after_create")`, with
 * `hook` imported from `django_lifecycle`. The model's `save()`/`delete()` run them.
 */
function lifecycleHooksDefined(cls: PyClass, model: PythonModel): string[] {
  const found: string[] = [];
  for (const statement of cls.body.namedChildren) {
    if (statement?.type !== 'decorated_definition') continue;
    for (const decorator of statement.namedChildren) {
      const call = decorator?.type === 'decorator' ? decorator.namedChildren[0] : undefined;
      if (call?.type !== 'call' || !isLifecycleHook(call, model)) continue;
      const args = argsOf(call);
      const moment = args ? hookMoment(positionalArgs(args)[0]) : undefined;
      if (moment) found.push(moment);
    }
  }
  return found;
}

const LIFECYCLE_MODULE = ['django_lifecycle'];

/** Whether a decorator call is django-lifecycle's `hook(...)` (`@hook(...)`, `@lifecycle.hook(...)`). */
function isLifecycleHook(call: Node, model: PythonModel): boolean {
  const callee = call.childForFieldName('function')?.text ?? '';
  if (!/^(?:\w+\.)*hook$/.test(callee)) return false;
  return startsWithModule(qualify(callee, model.imports), LIFECYCLE_MODULE);
}

/** `AFTER_CREATE` of `AFTER_CREATE`, `LifecycleHook.AFTER_CREATE` or `"after_create"`. */
function hookMoment(node: Node | undefined): string | undefined {
  const text = stringValue(node) ?? node?.text.split('.').pop();
  return text && /^\w+$/.test(text) ? text.toUpperCase() : undefined;
}

/** An abstract model of the file: its fields, and its bases in other modules. */
interface AbstractModel {
  columns: ColumnFact[];
  bases: string[];
  /** The row writes it defines or inherits from abstract bases of the file. */
  overriddenWrites: string[];
  /** The django-lifecycle hooks it defines or inherits from abstract bases of the file. */
  lifecycleHooks: string[];
  /** The managers it declares or inherits from abstract bases of the file, by attribute name. */
  customManagers: string[];
  /** The `Meta` indexes its subclasses inherit (its own, and its bases' when it extends theirs). */
  metaIndexes: MetaIndexFact[];
}

/** Adds the Django models the file declares to `schema`. */
export function extractDjangoSchema(model: PythonModel, schema: SchemaFacts): void {
  const label = appLabel(model.moduleName);
  // Abstract models in this file, whose fields their subclasses inherit.
  const abstract = new Map<string, AbstractModel>();
  const concrete = new Set<string>();
  // A base in another module may be an abstract model: only a module that uses Django asks.
  const usesDjango = /\bdjango\b/.test(model.source);
  // Lifecycle hooks come from django-lifecycle: a file that never names it defines none.
  const usesLifecycle = model.source.includes('django_lifecycle');
  // A base known to be a model: Django's own, or one declared earlier in this file.
  const knownModel = (base: string): boolean =>
    isModelBase(base, model) || abstract.has(base) || concrete.has(base);
  const redefined = redefinedClasses(model);
  for (const cls of model.classes) {
    const local = cls.bases.flatMap((base) => abstract.get(base) ?? []);
    const isModel =
      cls.bases.some(knownModel) ||
      (usesDjango && cls.bases.length > 0 && declaresModel(cls, model));
    const imported = usesDjango
      ? cls.bases.flatMap((base) => (knownModel(base) ? [] : (importedName(base, model) ?? [])))
      : [];
    if (!isModel && imported.length === 0) continue;
    // Concrete parents of this file (multi-table inheritance), by qualified name like imported
    // ones: the index adds their fields, which stay in their own tables.
    const parents = cls.bases.flatMap((base) =>
      concrete.has(base) ? [model.moduleName ? `${model.moduleName}.${base}` : base] : [],
    );
    const bases = [...new Set([...imported, ...local.flatMap((base) => base.bases), ...parents])];
    const inherited = {
      columns: local.flatMap((base) => base.columns),
      bases,
      metaIndexes: local.flatMap((base) => base.metaIndexes),
      overriddenWrites: local.flatMap((base) => base.overriddenWrites),
      lifecycleHooks: local.flatMap((base) => base.lifecycleHooks),
      customManagers: local.flatMap((base) => base.customManagers),
    };
    // A class a later one of the same name replaces still serves the classes between the two.
    const into = redefined.has(cls) ? emptySchema() : schema;
    const table = readModel(cls, label, inherited, into);
    // A class whose bases may not be models at all is no base this file's models count on.
    if (table && !isModel) table.djangoBases = true;
    else if (table) concrete.add(cls.name);
  }
  /** Reads a model; an abstract one is recorded as a base instead of returned. */
  function readModel(
    cls: PyClass,
    app: string,
    inherited: AbstractModel,
    into: SchemaFacts,
  ): TableFact | undefined {
    const { bases } = inherited;
    const table: TableFact = {
      name: app ? `${app}_${cls.name.toLowerCase()}` : cls.name.toLowerCase(),
      className: cls.name,
      start: cls.node.startIndex,
      end: cls.node.endIndex,
      columns: inherited.columns.map((column) => ({ ...column })),
      relationships: [],
      source: 'django',
      ...(bases.length > 0 ? { bases } : {}),
    };
    const overriddenWrites = [
      ...new Set([...rowWritesDefined(cls), ...inherited.overriddenWrites]),
    ];
    if (overriddenWrites.length > 0) table.overriddenWrites = overriddenWrites;
    const lifecycleHooks = [
      ...new Set([
        ...(usesLifecycle ? lifecycleHooksDefined(cls, model) : []),
        ...inherited.lifecycleHooks,
      ]),
    ];
    if (lifecycleHooks.length > 0) table.lifecycleHooks = lifecycleHooks;
    const customManagers = new Set(inherited.customManagers);
    let metaClass: Node | undefined;
    for (const statement of cls.body.namedChildren) {
      if (
        statement?.type === 'class_definition' &&
        statement.childForFieldName('name')?.text === 'Meta'
      ) {
        metaClass = statement;
        continue;
      }
      if (statement?.type !== 'expression_statement') continue;
      const assignment = statement.namedChildren[0];
      const left = assignment?.childForFieldName('left');
      const value = assignment?.childForFieldName('right');
      if (
        assignment?.type !== 'assignment' ||
        left?.type !== 'identifier' ||
        value?.type !== 'call'
      )
        continue;
      // Only a module that imports or declares the class can place it; a manager is no field.
      const keyClass = makesManager(value) ? undefined : keyFieldClassOf(value, model);
      const field = readField(
        left.text,
        value,
        { start: assignment.startIndex, end: assignment.endIndex },
        keyClass,
      );
      if (makesManager(value)) {
        customManagers.add(left.text);
        const source = managerSourceClass(value);
        const methods = source ? narrowingMethods(source.split('.').pop()!, model) : [];
        if (methods.length > 0) (table.querySetMethods ??= []).push(...methods);
        const grouping = source ? groupingMethods(source.split('.').pop()!, model) : [];
        if (grouping.length > 0) (table.querySetGroupingMethods ??= []).push(...grouping);
        const pins = source ? pinningMethods(source.split('.').pop()!, model) : [];
        if (pins.length > 0) (table.querySetPins ??= []).push(...pins);
        // Declared in another module or inheriting from a base: the index follows the class.
        const qualified = source && qualifiedClassName(source, model);
        if (qualified && !qualified.startsWith('django.'))
          (table.querySetClasses ??= []).push(qualified);
      }
      // A key class named `...ForeignKey` adds the reverse manager a `ForeignKey` does; a
      // `..._id` field of one is a plain integer column named like a key (see `SchemaLinks`).
      const namedKey =
        !!keyClass && FOREIGN_KEY_NAME.test(calledName(value)) && !left.text.endsWith('_id');
      const managers = relatedManagersOf(left.text, value, cls.name, namedKey);
      if (managers.length > 0) {
        (table.relatedManagers ??= []).push(...managers.map((found) => found.manager));
        (table.relatedRows ??= []).push(...managers);
      }
      if (field === 'relation') table.relationships.push(left.text);
      else if (field) {
        const choices = choiceCount(value, cls, model);
        if (choices) field.choices = choices;
        table.columns.push(field);
        if (field.foreignKey) table.relationships.push(left.text);
      }
    }
    const meta = metaClass?.childForFieldName('body') ?? undefined;
    const assignments = meta ? blockAssignments(meta) : undefined;
    // The `Meta` indexes this model has: its own, plus its bases' when it takes their `Meta`.
    const takesBasesMeta = inheritsMeta(metaClass);
    const metaIndexes = [
      ...(meta ? metaIndexesOf(meta) : []),
      ...(takesBasesMeta ? inherited.metaIndexes : []),
    ];
    if (customManagers.size > 0) table.customManagers = [...customManagers];
    if (isTrue(assignments?.get('abstract')?.value ?? undefined)) {
      abstract.set(cls.name, {
        columns: table.columns,
        bases,
        metaIndexes,
        overriddenWrites,
        lifecycleHooks,
        customManagers: table.customManagers ?? [],
      });
      // For models in other modules of the workspace.
      (into.mappedBases ??= []).push({
        name: cls.name,
        columns: table.columns,
        bases,
        django: true,
        ...(metaIndexes.length > 0 ? { metaIndexes } : {}),
        ...(overriddenWrites.length > 0 ? { overriddenWrites } : {}),
        ...(lifecycleHooks.length > 0 ? { lifecycleHooks } : {}),
        ...(table.customManagers ? { customManagers: table.customManagers } : {}),
      });
      return undefined;
    }
    if (!table.columns.some((column) => column.primaryKey)) table.columns.push(implicitId(cls));
    const dbTable = stringValue(assignments?.get('db_table')?.value);
    if (dbTable) table.name = dbTable;
    if (takesBasesMeta && bases.length > 0) table.inheritsMeta = true;
    for (const index of metaIndexes) addIndex(table, into, index);
    into.tables.push(table);
    return table;
  }
}

const SAVE_SIGNALS = ['pre_save', 'post_save'] as const;

/** `post_save` of `post_save` or `signals.post_save`, when the node names a save signal. */
function saveSignalNamed(node: Node | undefined): DjangoSaveReceiver['signal'] | undefined {
  const name = node?.text.split('.').pop();
  return SAVE_SIGNALS.find((signal) => signal === name);
}

/** `Order` of `sender=Order`, `sender=models.Order` or `sender="shop.Order"`. */
function senderClass(args: Node): string | undefined {
  const sender = keywordArg(args, 'sender');
  const name = stringValue(sender) ?? sender?.text;
  const last = name?.split('.').pop();
  return last && /^\w+$/.test(last) ? last : undefined;
}

/**
 * The `pre_save`/`post_save` receivers the module connects for one model class:
 * `@receiver(post_save, sender=Order)` (the signal may be in a list) and
 * `post_save.connect(handler, sender=Order)`. A receiver for every sender is left out.
 */
export function extractDjangoSaveReceivers(model: PythonModel, schema: SchemaFacts): void {
  const found: DjangoSaveReceiver[] = [];
  for (const call of model.calls) {
    let signals: Node[] = [];
    if (call.method === 'receiver') {
      const first = positionalArgs(call.args)[0];
      signals = first?.type === 'list' || first?.type === 'tuple' ? elementsOf(first) : [first];
    } else if (call.method === 'connect' && call.receiver) signals = [call.receiver];
    const sender = signals.length > 0 ? senderClass(call.args) : undefined;
    if (!sender) continue;
    for (const node of signals) {
      const signal = saveSignalNamed(node);
      if (signal) found.push({ signal, sender });
    }
  }
  if (found.length > 0) schema.djangoSaveReceivers = found;
}
