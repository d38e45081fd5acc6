import type { Node } from 'web-tree-sitter';
import type { FileContext, Rule } from '../../server/src/engine/rule';
import type { Fix, TextEdit } from '../../server/src/engine/types';
import {
  brief,
  isOneOffCode,
  loopTarget,
  singleBinding,
} from '../../server/src/python/loop-analysis';
import { callTargets } from '../../server/src/python/facts';
import {
  isGenerator,
  ownStatementsStartingWith,
  RETURN_KEYWORD,
} from '../../server/src/python/returned-calls';
import { unwrap } from '../../server/src/python/scope-analysis';
import { isDjangoManagerName } from '../../server/src/python/knowledge';
import {
  classOfFunction,
  qualifiedClassName,
  type PyFunction,
  type PyClass,
  type PyLoop,
  type PythonModel,
} from '../../server/src/python/model';
import {
  DJANGO_LAZY_METHODS,
  NOT_ROWS_METHODS,
  readChainIn,
  type Chain,
  type ChainLink,
} from '../../server/src/python/orm';
import {
  keywordArg,
  positionalArgs,
  stringValue,
  trailingName,
} from '../../server/src/python/schema-args';
import { OwnedCache } from '../../server/src/python/memo';
import {
  readRelationship,
  relationTargetClass,
} from '../../server/src/python/relationship-targets';
import type { FunctionFacts, RelationshipFact } from '../../server/src/workspace/facts';
import { displayPath } from '../../server/src/workspace/query-sites';
import { classNamed } from '../../server/src/python/instances';
import {
  PROPERTY_READS,
  propertyReads,
  type PropertyReads,
} from '../../server/src/python/querying-properties';
import { localFlow } from '../../server/src/python/local-flow';
import { tortoiseRowsOf } from '../../server/src/python/tortoise-relations';

/** How a relationship is loaded eagerly: the loader to suggest, by ORM and cardinality. */
type RelationKind = 'sqlalchemy' | 'django-one' | 'django-many';

/** `lazy=` strategies that load with the parent row, or refuse to load: never a query per row. */
const NOT_LAZY = new Set([
  'selectin',
  'joined',
  'subquery',
  'immediate',
  'raise',
  'raise_on_sql',
  'noload',
]);
/** Strategies that return a query object instead of loading: they cannot be loaded eagerly. */
const NOT_EAGERABLE = new Set(['dynamic', 'write_only']);
const SQLALCHEMY_RELATIONSHIPS = new Set(['relationship', 'relation', 'dynamic_loader']);
const DJANGO_TO_ONE = new Set(['ForeignKey', 'OneToOneField']);
const DJANGO_TO_MANY = new Set(['ManyToManyField']);
/** Chain methods whose result is not a sequence of model instances. */
const NOT_ROWS = new Set([
  ...NOT_ROWS_METHODS,
  // Rows, but as values, tuples or mappings rather than objects with relationships.
  'values',
  'values_list',
  'mappings',
  'tuples',
]);
/** Calls that configure loading: their argument text says which relationships and how. */
const LOADER_CALLS = new Set(['options', 'select_related', 'prefetch_related']);
/** Loaders that load a relationship with its parent rows, or forbid loading it: no query per row. */
const EAGER_LOADERS = new Set([
  'selectinload',
  'joinedload',
  'subqueryload',
  'immediateload',
  'contains_eager',
  'raiseload',
  'noload',
  'select_related',
  'prefetch_related',
  'Prefetch',
]);
/** Stands for loader options the rule cannot read, which may load anything. */
const UNKNOWN_LOADERS = '<unknown loaders>';
const WORD_CHAR = /\w/;

interface Relation {
  kind: RelationKind;
  /** Loaded on first access, one query per object (the default). */
  lazy: boolean;
  /** Can be loaded eagerly; `lazy="dynamic"`/`"write_only"` relationships cannot. */
  eagerable: boolean;
  /** The related class, when known: what a loop over this relationship yields. */
  target?: string;
}

type Relations = Map<string, Map<string, Relation>>;

function addRelation(into: Relations, className: string, name: string, relation: Relation): void {
  let relations = into.get(className);
  if (!relations) into.set(className, (relations = new Map()));
  if (!relations.has(name)) relations.set(name, relation);
}

function lastSegment(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

/** Relationships declared by one model class, and the reverse accessors it adds to others. */
function readClassRelations(cls: PyClass, into: Relations): void {
  for (const statement of cls.body.namedChildren) {
    const assignment =
      statement?.type === 'expression_statement' ? statement.namedChildren[0] : null;
    if (assignment?.type !== 'assignment') continue;
    const left = assignment.childForFieldName('left');
    const value = assignment.childForFieldName('right');
    if (left?.type !== 'identifier' || value?.type !== 'call') continue;
    const args = value.childForFieldName('arguments');
    if (!args) continue;
    const called = lastSegment(value.childForFieldName('function')?.text ?? '');
    if (SQLALCHEMY_RELATIONSHIPS.has(called)) {
      const declared = readRelationship(value, assignment.childForFieldName('type'), cls.name);
      const target = declared?.target;
      addRelation(into, cls.name, left.text, sqlAlchemyRelation(declared));
      const backref = declared?.backref;
      if (backref && target) {
        const reverse = sqlAlchemyRelation({ target: cls.name, lazy: backref.lazy });
        addRelation(into, target, backref.name, reverse);
      }
    } else if (DJANGO_TO_ONE.has(called) || DJANGO_TO_MANY.has(called)) {
      const target = relationTargetClass(args, cls.name);
      const kind = DJANGO_TO_MANY.has(called) ? 'django-many' : 'django-one';
      addRelation(into, cls.name, left.text, { kind, lazy: true, eagerable: true, target });
      const relatedName = stringValue(keywordArg(args, 'related_name'));
      if (!target || relatedName?.endsWith('+')) continue;
      const lower = cls.name.toLowerCase();
      const oneToOne = called === 'OneToOneField';
      addRelation(into, target, relatedName ?? (oneToOne ? lower : `${lower}_set`), {
        kind: oneToOne ? 'django-one' : 'django-many',
        lazy: true,
        eagerable: true,
        target: cls.name,
      });
    }
  }
}

const fileRelations = new OwnedCache<PythonModel, Relations>('relationships');

/** Relationships declared in this file, by model class. */
function relationsInFile(model: PythonModel): Relations {
  let relations = fileRelations.get(model);
  if (!relations) {
    relations = new Map();
    for (const cls of model.classes) readClassRelations(cls, relations);
    fileRelations.set(model, relations);
  }
  return relations;
}

/** A SQLAlchemy relationship as its declaration (`relationship("X", lazy=...)`) describes it. */
function sqlAlchemyRelation(declared: RelationshipFact | undefined): Relation {
  const strategy = declared?.lazy;
  return {
    kind: 'sqlalchemy',
    lazy: !strategy || !NOT_LAZY.has(strategy),
    eagerable: !NOT_EAGERABLE.has(strategy ?? ''),
    ...(declared?.target ? { target: declared.target } : {}),
  };
}

/** Relationships of a model class: declared in this file, or anywhere per the index. */
function relationsOf(
  ctx: FileContext,
  model: PythonModel,
  className: string,
): Map<string, Relation> {
  const relations = new Map(relationsInFile(model).get(className));
  // A class declared here, with its `lazy=` strategies read, is better known than the index's names.
  if (model.classes.some((cls) => cls.name === className)) return relations;
  for (const { table } of ctx.index.tablesOfClass(className)) {
    for (const name of table.relationships) {
      if (relations.has(name)) continue;
      if (table.source !== 'django')
        relations.set(name, sqlAlchemyRelation(table.relationshipDetails?.[name]));
      else {
        // A Django relation backed by a foreign-key column points to one row; others to many.
        const key = table.columns.find((column) => column.attribute === name)?.foreignKey;
        const target = key?.targetClass === 'self' ? table.className : key?.targetClass;
        relations.set(name, {
          kind: key ? 'django-one' : 'django-many',
          lazy: true,
          eagerable: true,
          ...(target ? { target } : {}),
        });
      }
    }
  }
  return relations;
}

/** A query whose rows are instances of one model class, and the text of its eager loaders. */
interface ModelQuery {
  className: string;
  /** The query as quoted in messages: `db.query(Ticket)`. */
  head: string;
  loaders: string[];
  /**
   * Where an eager loader goes: after `db.query(X)`, `X.query`, `select(X)` or `X.objects`.
   * Undefined for rows a function of the workspace returns: the query is in its body.
   */
  insertAt: number | undefined;
  /** For rows a function returns: the query there, as quoted in messages (`where`). */
  returnedBy?: string;
  /** For rows reached through relationships of an outer query's rows: the steps, outermost first. */
  path?: { className: string; name: string }[];
  /**
   * For rows of a reverse accessor read from an instance of a query (`user =
   * User.objects.prefetch_related("shelfbook_set__book").get(...)`, then `user.shelfbook_set`):
   * the accessor, whose `<accessor>__<name>` lookups in that query's loaders load `<name>` too.
   */
  loadedThrough?: string;
  /** To-one relations of the rows Django fills with the instance they were read from (`keysBackTo`). */
  filledBack?: readonly string[];
}

function singleModelArgument(args: Node | null): string | undefined {
  const entities = args ? positionalArgs(args) : [];
  if (entities.length !== 1) return undefined;
  const entity = entities[0];
  if (entity.type !== 'identifier' && entity.type !== 'attribute') return undefined;
  const name = lastSegment(entity.text);
  // `Ticket.id` selects a column; model classes are capitalised.
  return /^[A-Z]/.test(name) ? name : undefined;
}

/** The text of each loader call in a chain; options built elsewhere (`.options(*LOADERS)`) are unknown. */
function loadersIn(links: readonly ChainLink[]): string[] {
  return links.flatMap((link) => {
    if (link.kind !== 'call' || !LOADER_CALLS.has(link.name) || !link.args) return [];
    const args = link.args.namedChildren.filter((arg) => !!arg && arg.type !== 'comment');
    if (link.name === 'options' && args.some((arg) => arg!.type !== 'call'))
      return [UNKNOWN_LOADERS];
    return [`${link.name}${link.args.text}`];
  });
}

/**
 * Query methods a view narrows a variable with (`qs = qs.filter(...)` under an `if`): the rows stay
 * instances of the same model.
 */
const REFINEMENTS = new Set([
  'filter',
  'filter_by',
  'exclude',
  'where',
  'join',
  'outerjoin',
  'order_by',
  'distinct',
  'options',
  'select_related',
  'prefetch_related',
  // `solves = solves.all()` after the optional filters: the same rows, materialised.
  'all',
]);

/**
 * Where a query's rows are used: a loop, or a `return` handing them to the caller. Variables are
 * followed to the values that reach it.
 */
type Site = Pick<PyLoop, 'fn' | 'node'>;

/** A variable built once and then narrowed: the first value, and the links that reach the loop. */
interface RefinedBinding {
  base: Node;
  /** The links of the refinements that run on every path to the loop, in order. */
  links: ChainLink[];
}

/**
 * A variable of the loop's function assigned once from a query and otherwise only narrowed by
 * itself (`qs = Change.objects.filter(...)`, then `if lang: qs = qs.filter(...)`): every value has
 * the rows of the first. Only refinements before the loop in a block that holds the loop run on
 * every path to it; the loaders of the others (`qs = qs.select_related(...)` under an `if`) may be
 * missing, so they do not count. Null for any other shape.
 */
function refinedBinding(model: PythonModel, site: Site, name: string): RefinedBinding | null {
  const fn = site.fn;
  if (!fn) return null;
  const flow = localFlow(fn);
  const values = flow.assignments.get(name);
  if (!values || values.length < 2 || flow.opaque.has(name)) return null;
  const [base, ...rest] = values;
  if (readChainIn(base, model).root.text === name) return null;
  const links: ChainLink[] = [];
  for (const value of rest) {
    if (value.startIndex < base.endIndex) return null;
    // `qs = qs.filter(author=user) if user else qs.filter(author__isnull=False)`: either branch
    // narrows, and neither runs on every path, so neither's loaders count.
    if (value.type === 'conditional_expression') {
      const [chosen, , otherwise] = value.namedChildren;
      if (!chosen || !otherwise) return null;
      if (!narrowingLinks(chosen, name, model) || !narrowingLinks(otherwise, name, model))
        return null;
      continue;
    }
    const narrowing = narrowingLinks(value, name, model);
    if (!narrowing) return null;
    if (runsOnEveryPathTo(value, site)) links.push(...narrowing);
  }
  return { base, links };
}

/** The links of `name.filter(...).order_by(...)` when an expression only narrows `name`, else null. */
function narrowingLinks(value: Node, name: string, model: PythonModel): ChainLink[] | null {
  const chain = readChainIn(value, model);
  if (chain.root.type !== 'identifier' || chain.root.text !== name) return null;
  if (chain.links.length === 0) return null;
  return chain.links.every((link) => link.kind === 'call' && REFINEMENTS.has(link.name))
    ? chain.links
    : null;
}

/** Whether the statement holding `value` comes before the loop in a block that holds the loop. */
function runsOnEveryPathTo(value: Node, site: Site): boolean {
  const block = value.parent?.parent?.parent;
  const start = site.node.startIndex;
  return (
    !!block &&
    value.endIndex <= start &&
    block.startIndex <= start &&
    site.node.endIndex <= block.endIndex
  );
}

/**
 * Reads an expression's chain, following a root variable bound once to where it was built, or
 * built once and narrowed by itself (see `refinedBinding`).
 */
function chainOf(expression: Node, model: PythonModel, site: Site): Chain {
  let chain = readChainIn(expression, model);
  for (let depth = 0; depth < 3 && chain.root.type === 'identifier'; depth++) {
    const name = chain.root.text;
    let bound = singleBinding(model, site.fn, name);
    let narrowing: ChainLink[] = [];
    if (!bound) {
      const refined = refinedBinding(model, site, name);
      if (!refined) break;
      bound = refined.base;
      narrowing = refined.links;
    }
    if (bound.type === 'augmented_assignment') break;
    const inner = readChainIn(bound, model);
    chain = { root: inner.root, links: [...inner.links, ...narrowing, ...chain.links] };
  }
  return chain;
}

/**
 * Reads `session.query(X)...`, `X.query...`, `session.scalars(select(X)...)`, `X.objects...`:
 * `chain` is the loop's iterable as `chainOf` reads it.
 */
function modelQueryOf(chain: Chain, model: PythonModel, site: Site): ModelQuery | undefined {
  const { root, links } = chain;
  if (links.some((link) => link.kind === 'call' && NOT_ROWS.has(link.name))) return undefined;
  const loaders = loadersIn(links);
  // Legacy SQLAlchemy: `db.query(Ticket)` or Flask-SQLAlchemy `Ticket.query`.
  const query = links.findIndex((link) => link.name === 'query');
  if (query !== -1 && links[query].kind === 'call') {
    const className = singleModelArgument(links[query].args);
    const { text: head, endIndex: insertAt } = links[query].node;
    return className ? { className, head, loaders, insertAt } : undefined;
  }
  if (query === 0 && root.type === 'identifier' && /^[A-Z]/.test(root.text)) {
    const { text: head, endIndex: insertAt } = links[0].node;
    return { className: root.text, head, loaders, insertAt };
  }
  // Django: `Ticket.objects.filter(...)`.
  const objects = links.findIndex(
    (link) => link.kind === 'attribute' && isDjangoManagerName(link.name),
  );
  if (objects !== -1) {
    const className = lastSegment(objects === 0 ? root.text : links[objects - 1].node.text);
    if (!/^[A-Z]/.test(className)) return undefined;
    const { text: head, endIndex: insertAt } = links[objects].node;
    return { className, head, loaders, insertAt };
  }
  // SQLAlchemy 2.0: `session.scalars(stmt)` or `session.execute(stmt).scalars()`; only `scalars`
  // yields instances (`execute` alone yields rows).
  const scalars = links.findIndex((link) => link.kind === 'call' && link.name === 'scalars');
  if (scalars === -1) return undefined;
  const own = links[scalars].args ? positionalArgs(links[scalars].args!)[0] : undefined;
  const execute = links[scalars - 1];
  const statement =
    own ??
    (execute?.kind === 'call' && execute.name === 'execute' && execute.args
      ? positionalArgs(execute.args)[0]
      : undefined);
  if (!statement) return undefined;
  const select = chainOf(statement, model, site);
  const selectFn = select.root.type === 'call' ? select.root.childForFieldName('function') : null;
  if (!selectFn || lastSegment(selectFn.text) !== 'select') return undefined;
  const className = singleModelArgument(select.root.childForFieldName('arguments'));
  if (!className) return undefined;
  return {
    className,
    head: select.root.text,
    loaders: [...loadersIn(select.links), ...loaders],
    insertAt: select.root.endIndex,
  };
}

/** The trait of a function returning the rows of a model query: `ReturnedRows` as JSON. */
const RETURNS_ROWS = 'returns-model-rows:';

/** The rows a function returns: their class, the query as quoted, and its loaders. */
interface ReturnedRows {
  className: string;
  head: string;
  loaders: string[];
}

/**
 * Text every query `modelQueryOf` reads contains: `db.query(X)`, `X.query`, `scalars`, a Django
 * manager (`X.objects`, `X._default_manager`).
 */
const QUERY_TEXT = /\b(?:query|scalars)\b|objects\b|_manager\b/;

/** Decorators that leave what a method returns as its body returns it. */
const PLAIN_METHOD_DECORATORS = new Set(['staticmethod', 'classmethod']);

/** What `return list(rows)` hands back: the rows. */
function withoutListCall(value: Node): Node {
  if (value.type !== 'call' || value.childForFieldName('function')?.text !== 'list') return value;
  const args = value.childForFieldName('arguments');
  const only = args ? positionalArgs(args) : [];
  return only.length === 1 && args!.namedChildren.length === 1 ? only[0] : value;
}

/**
 * The rows a top-level function or method returns when every `return` hands back a query of one
 * model (`return db.query(Workshop).all()`, `return list(db.scalars(stmt))`, a Django queryset, a
 * local bound to one) or an empty list (`return []`): its class and the loaders of all of those
 * queries (a relationship one of them loads may be loaded). Nothing is followed through further
 * calls; generators and any other return leave it undefined.
 */
function returnedRows(fn: PyFunction, model: PythonModel): ReturnedRows | undefined {
  // A decorator may hand back something else than what the body returns.
  if (fn.parent || fn.decorators.some((decorator) => !PLAIN_METHOD_DECORATORS.has(decorator)))
    return undefined;
  const body = model.source.slice(fn.node.startIndex, fn.end);
  if (!QUERY_TEXT.test(body)) return undefined;
  const returns = ownStatementsStartingWith(fn, model, RETURN_KEYWORD, 'return_statement');
  if (returns.length === 0 || isGenerator(fn, model)) return undefined;
  let found: ReturnedRows | undefined;
  for (const statement of returns) {
    const returned = unwrap(statement.firstNamedChild);
    if (!returned) return undefined;
    if (returned.type === 'list' && returned.namedChildCount === 0) continue;
    const site = { fn, node: statement };
    const rows = modelQueryOf(chainOf(withoutListCall(returned), model, site), model, site);
    if (!rows || (found && found.className !== rows.className)) return undefined;
    found = {
      className: rows.className,
      head: found?.head ?? rows.head,
      loaders: [...(found?.loaders ?? []), ...rows.loaders],
    };
  }
  return found;
}

/**
 * Rows of a loop over what a function of the workspace returns (`for w in load_workshops(db)`,
 * also through a local bound once to the call, or a method: `crud.workshops.list(db)`): the rows
 * of the query its trait records (`returnedRows`), with that query's loaders. No fix: the query is
 * in the function's body.
 */
function returnedByCall(
  ctx: FileContext,
  model: PythonModel,
  chain: Chain,
  loop: PyLoop,
  variable: string,
): ModelQuery | undefined {
  const { root, links } = chain;
  const last = links[links.length - 1];
  // `load(db)`, `services.load(db)`, `self.repo.load()`: nothing after the call. Also a method
  // of an instance made right there or bound once to a local, `WorkshopRepo(db).list_all()`
  // (`repo = WorkshopRepo(db)` reads so through `chainOf`): the call's targets name the class.
  const dotted = links.slice(0, -1).every((link) => link.kind === 'attribute');
  const rooted = root.type === 'identifier' || (root.type === 'call' && links.length > 0);
  const called = rooted && last?.kind === 'call' && dotted;
  const node = !last ? root : called ? last.node : undefined;
  if (node?.type !== 'call') return undefined;
  // Which functions carry a trait is known only once every file is read: a scan holds the rule
  // back until then, so only loops that read a relation or a property of some model ask.
  const relations = ctx.index.relationNames();
  const asked = (name: string): boolean =>
    relations.has(name) || ctx.index.hasFunctionWithTrait(PROPERTY_READS, name);
  if (attributeReads(perItemParts(loop), variable, asked, model.source).size === 0)
    return undefined;
  const name = last?.name ?? trailingName(root.childForFieldName('function'));
  if (!ctx.index.hasFunctionWithTrait(RETURNS_ROWS, name)) return undefined;
  const call = model.callsByRange.get(`${node.startIndex}:${node.endIndex}`);
  const targets = call ? callTargets(call, model) : [];
  if (targets.length === 0) return undefined;
  const found = ctx.index.resolve(targets);
  const trait = found?.fn.traits.find((candidate) => candidate.startsWith(RETURNS_ROWS));
  if (!trait) return undefined;
  const rows = JSON.parse(trait.slice(RETURNS_ROWS.length)) as ReturnedRows;
  return {
    className: rows.className,
    head: brief(node.text, 60),
    loaders: rows.loaders,
    insertAt: undefined,
    returnedBy: `\`${rows.head}\`, the query \`${found!.fn.name}\` returns`,
  };
}

/**
 * Rows of a loop over `self` (or `self.exclude(...)`, a chain of lazy queryset methods) in a
 * method of a Django QuerySet or Manager class that exactly one model's manager is made from
 * (`objects = TranslationQuerySet.as_manager()`): instances of that model. The eager loader goes
 * right after `self`.
 */
function ownQuerySetRows(
  ctx: FileContext,
  model: PythonModel,
  loop: PyLoop,
  chain: Chain,
): ModelQuery | undefined {
  const className = classOfFunction(loop.fn);
  if (!className) return undefined;
  const { root, links } = chain;
  if (root.type !== 'identifier' || root.text !== 'self') return undefined;
  const lazy = (link: ChainLink): boolean =>
    link.kind === 'call' && DJANGO_LAZY_METHODS.has(link.name) && !NOT_ROWS.has(link.name);
  if (!links.every(lazy)) return undefined;
  const qualified = qualifiedClassName(className, model);
  const models = qualified ? ctx.index.djangoModelsOfQuerySetClass(qualified) : [];
  if (models.length !== 1) return undefined;
  return { className: models[0], head: 'self', loaders: loadersIn(links), insertAt: root.endIndex };
}

/** A loop over model instances: its variable and where the rows come from. */
interface RowLoop {
  loop: PyLoop;
  variable: string;
  rows: ModelQuery;
}

/**
 * Rows of a loop over a relationship of an outer loop's variable (`for item in order.items`,
 * Django `invoice.lineitem_set.all()`): instances of the relationship's class, loaded with the
 * outer query's loaders (`selectinload(Order.items).selectinload(OrderItem.product)`).
 */
function relatedRows(
  ctx: FileContext,
  model: PythonModel,
  loop: PyLoop,
  outer: readonly RowLoop[],
): ModelQuery | undefined {
  const { root, links } = readChainIn(loop.iterable!, model);
  const relation = links[0];
  if (root.type !== 'identifier' || relation?.kind !== 'attribute') return undefined;
  if (links.length > 2 || (links.length === 2 && links[1].name !== 'all')) return undefined;
  const parent = enclosingRowLoop(outer, loop, root.text);
  if (!parent) return undefined;
  const on = parent.rows.className;
  const target = relationsOf(ctx, model, on).get(relation.name)?.target;
  // A Django related manager another file's model adds (`orders` of `customer =
  // ForeignKey(Customer, related_name="orders")`), whose keys back to `on` Django fills.
  const manager =
    target || links.length !== 2
      ? undefined
      : ctx.index.djangoRelatedManagerRows(on, relation.name);
  const className = target ?? manager?.className;
  if (!className) return undefined;
  const path = [...(parent.rows.path ?? []), { className: on, name: relation.name }];
  const { loaders, insertAt, returnedBy } = parent.rows;
  const filledBack = manager ? keysBackTo(manager.backTo, on, relation.node) : undefined;
  return { className, head: relation.node.text, loaders, insertAt, path, returnedBy, filledBack };
}

/** The loop of `outer` around `loop` whose variable is `name`. */
function enclosingRowLoop(
  outer: readonly RowLoop[],
  loop: PyLoop,
  name: string,
): RowLoop | undefined {
  return outer.find(
    (candidate) =>
      candidate.variable === name &&
      candidate.loop.node.startIndex <= loop.node.startIndex &&
      loop.node.endIndex <= candidate.loop.node.endIndex,
  );
}

/** Methods after a Django reverse accessor whose result still holds its model's instances. */
function keepsInstances(link: ChainLink): boolean {
  if (link.kind === 'subscript') return true;
  if (link.kind !== 'call') return false;
  return (
    link.name === 'iterator' || (DJANGO_LAZY_METHODS.has(link.name) && !NOT_ROWS.has(link.name))
  );
}

/**
 * Rows of a loop over a Django reverse accessor left at its default name, read from any instance
 * (`for s in user.shelfbook_set.all()`, `request.user.shelfbook_set.filter(...)`): instances of
 * the one model the workspace names so (`djangoDefaultAccessorRows`), whose relations the index
 * knows wherever it is declared. Loaded as the accessor's own queryset says, plus, from an outer
 * loop's rows, as those were (`prefetch_related("shelfbook_set__book")`), or from an instance a
 * variable was bound to once, as its query was. `chain`: the iterable as `chainOf` reads it.
 */
function defaultAccessorRows(
  ctx: FileContext,
  chain: Chain,
  loop: PyLoop,
  outer: readonly RowLoop[],
): ModelQuery | undefined {
  const { root, links } = chain;
  let at = links.length - 1;
  while (at >= 0 && links[at].kind !== 'attribute') at--;
  const accessor = links[at];
  const after = links.slice(at + 1);
  if (!accessor?.name.endsWith('_set') || after.length === 0 || !after.every(keepsInstances))
    return undefined;
  // Asked last: the index's answer makes the rule wait for every schema file in a scan.
  const found = ctx.index.djangoDefaultAccessorRows(accessor.name);
  if (!found) return undefined;
  const { className } = found;
  const own = loadersIn(after);
  const head = accessor.node.text;
  const parent =
    at === 0 && root.type === 'identifier' ? enclosingRowLoop(outer, loop, root.text) : undefined;
  const holder = parent?.rows.className ?? instanceClass(chain, at, loop);
  const filledBack = keysBackTo(found.backTo, holder, accessor.node);
  if (parent) {
    const { loaders, insertAt, returnedBy, className: on } = parent.rows;
    const path = [...(parent.rows.path ?? []), { className: on, name: accessor.name }];
    const all = [...loaders, ...own];
    return { className, head, loaders: all, insertAt, path, filledBack, returnedBy };
  }
  const loaders = [...loadersIn(links.slice(0, at)), ...own];
  return {
    className,
    head,
    loaders,
    insertAt: accessor.node.endIndex,
    loadedThrough: accessor.name,
    filledBack,
  };
}

/**
 * The model class of the instance a reverse accessor (`links[at]`) is read from, when the chain
 * says: `self` in a method of the model, or a query of it (`Reader.objects.get(...)`, also through
 * a variable bound to one).
 */
function instanceClass(chain: Chain, at: number, loop: PyLoop): string | undefined {
  const { root, links } = chain;
  if (root.type !== 'identifier') return undefined;
  if (at === 0) return root.text === 'self' ? classOfFunction(loop.fn) : undefined;
  const manager = links[0];
  if (manager.kind !== 'attribute' || !isDjangoManagerName(manager.name)) return undefined;
  return links.slice(1, at).every((link) => link.kind === 'call') ? root.text : undefined;
}

/**
 * The foreign keys of a reverse accessor's rows that point back at the instance it is read from
 * (`s.user` in `for s in user.shelfbook_set.all()`): Django's related manager fills them with that
 * instance, so reading them sends no query. Among the keys that add the accessor (`backTo`), the
 * one to the instance's class when known, else the one its name names (`user` for `user` or
 * `request.user`, `Reader`'s key for `reader`), else all of them: any may be the way back.
 */
function keysBackTo(
  backTo: readonly { on: string; field: string }[],
  holder: string | undefined,
  accessor: Node,
): string[] {
  const name = trailingName(accessor.childForFieldName('object'));
  const pick = (accept: (key: { on: string; field: string }) => boolean): string[] =>
    backTo.filter(accept).map((key) => key.field);
  const byClass = holder ? pick((key) => key.on === holder.split('.').pop()) : [];
  if (byClass.length > 0) return byClass;
  const byName = name ? pick((key) => key.field === name || key.on.toLowerCase() === name) : [];
  return byName.length > 0 ? byName : pick(() => true);
}

/** The call whose parentheses hold `text[at]`: `selectinload` in `options(selectinload(X.a))`. */
function enclosingCallName(text: string, at: number): string {
  let depth = 0;
  for (let i = at - 1; i >= 0; i--) {
    if (text[i] === ')') depth++;
    else if (text[i] === '(' && depth-- === 0) {
      let start = i;
      while (start > 0 && WORD_CHAR.test(text[start - 1])) start--;
      return text.slice(start, i);
    }
  }
  return '';
}

/**
 * Whether an eager loader names `attribute` (`selectinload(Ticket.comments)`, `"comments"`,
 * `"comments__author"`) or a wildcard; `lazyload(...)`/`defaultload(...)` leave it lazy.
 */
function mentions(loaders: readonly string[], attribute: string): boolean {
  for (const text of loaders) {
    if (text === UNKNOWN_LOADERS) return true;
    for (const wildcard of ['"*"', "'*'"]) {
      const at = text.indexOf(wildcard);
      if (at !== -1 && EAGER_LOADERS.has(enclosingCallName(text, at))) return true;
    }
    for (let at = text.indexOf(attribute); at !== -1; at = text.indexOf(attribute, at + 1)) {
      const before = text[at - 1];
      const after = text.slice(at + attribute.length, at + attribute.length + 2);
      const ends = after === '' || after === '__' || !WORD_CHAR.test(after[0]);
      if ((before === '.' || before === '"' || before === "'") && ends) {
        if (EAGER_LOADERS.has(enclosingCallName(text, at))) return true;
      }
    }
  }
  return false;
}

function isCovered(query: ModelQuery, attribute: string, kind: RelationKind): boolean {
  if (mentions(query.loaders, attribute)) return true;
  // Django nested lookups: `"lineitem_set__product"` loads `product` of the rows of `lineitem_set`;
  // the accessor's own queryset names the lookup without it (`select_related("book__parent_work")`).
  const through = query.path?.map((step) => step.name) ?? [];
  if (kind !== 'sqlalchemy') {
    const lookups = [through, ...(query.loadedThrough ? [[query.loadedThrough, ...through]] : [])];
    for (const lookup of lookups)
      if (lookup.length > 0 && mentions(query.loaders, [...lookup, attribute].join('__')))
        return true;
  }
  // Django's bare `select_related()` follows every non-null foreign key.
  return kind === 'django-one' && query.loaders.some((loader) => loader === 'select_related()');
}

/**
 * The call to chain onto the outermost query, following nested loops' relationships. `toOnePath`:
 * every step before `attribute` is a Django foreign key too, so one join reaches it.
 */
function eagerLoader(
  query: ModelQuery,
  attribute: string,
  kind: RelationKind,
  toOnePath = false,
): string {
  const steps = [...(query.path ?? []), { className: query.className, name: attribute }];
  if (kind === 'sqlalchemy') {
    const loader = steps.map((step) => `selectinload(${step.className}.${step.name})`).join('.');
    return `.options(${loader})`;
  }
  const lookup = steps.map((step) => step.name).join('__');
  const joined = steps.length === 1 || toOnePath;
  const method = kind === 'django-one' && joined ? 'select_related' : 'prefetch_related';
  return `.${method}("${lookup}")`;
}

/** An edit importing `selectinload` from `sqlalchemy.orm`, after the file's last top-level import. */
function importSelectinload(model: PythonModel): TextEdit | undefined {
  if (model.imports.get('selectinload') === 'sqlalchemy.orm.selectinload') return undefined;
  let anchor: Node | undefined;
  for (const child of model.tree.rootNode.namedChildren) {
    if (
      child?.type === 'import_statement' ||
      child?.type === 'import_from_statement' ||
      child?.type === 'future_import_statement'
    )
      anchor = child;
  }
  const newText = 'from sqlalchemy.orm import selectinload';
  return anchor
    ? { start: anchor.endIndex, end: anchor.endIndex, newText: `\n${newText}` }
    : { start: 0, end: 0, newText: `${newText}\n` };
}

/** Whether the file can name a class: it declares or imports it. */
function namesClass(model: PythonModel, className: string): boolean {
  return model.imports.has(className) || model.classes.some((cls) => cls.name === className);
}

/** Chains the loader onto the query (and imports `selectinload`), unless the name is taken. */
function eagerLoadFix(
  model: PythonModel,
  query: ModelQuery,
  loader: string,
  kind: RelationKind,
): Fix | undefined {
  const imported = model.imports.get('selectinload');
  if (kind === 'sqlalchemy' && imported && imported !== 'sqlalchemy.orm.selectinload')
    return undefined;
  // `selectinload(WorkshopSession.presenter)` names the class of each step: one the file neither
  // declares nor imports (rows of a relationship of a model declared elsewhere) would not resolve.
  const named = [...(query.path ?? []).map((step) => step.className), query.className];
  if (kind === 'sqlalchemy' && query.path && !named.every((name) => namesClass(model, name)))
    return undefined;
  const at = query.insertAt;
  if (at === undefined) return undefined;
  const edits: TextEdit[] = [{ start: at, end: at, newText: loader }];
  const importEdit = kind === 'sqlalchemy' ? importSelectinload(model) : undefined;
  if (importEdit) edits.push(importEdit);
  return { title: `Load it eagerly with \`${loader}\``, safety: 'unsafe', edits };
}

/** Nodes of the loop that run once per item: the body, and a comprehension's other clauses. */
function perItemParts(loop: PyLoop): Node[] {
  if (loop.kind === 'for') {
    const body = loop.node.childForFieldName('body');
    return body ? [body] : [];
  }
  const iterable = loop.iterable;
  return loop.node.namedChildren.flatMap((child) => {
    if (!child) return [];
    if (child.type !== 'for_in_clause' || !iterable) return [child];
    // The first clause's iterable runs once; its other parts (and later clauses) run per item.
    return child.namedChildren.filter((part): part is Node => !!part && part.id !== iterable.id);
  });
}

/**
 * First reads of `variable.<name>` in `parts`, by name, among those `accept` takes; assignments to
 * the attribute are not reads.
 */
function attributeReads(
  parts: Node[],
  variable: string,
  names: ReadonlySet<string> | ((name: string) => boolean),
  source: string,
  accept: (node: Node) => boolean = () => true,
): Map<string, Node> {
  const found = new Map<string, Node>();
  visitAttributeReads(parts, variable, names, source, (name, node) => {
    if (!found.has(name) && accept(node)) found.set(name, node);
  });
  return found;
}

/** Calls `read` with every read of `variable.<name>` in `parts`, for the names given. */
function visitAttributeReads(
  parts: Node[],
  variable: string,
  names: ReadonlySet<string> | ((name: string) => boolean),
  source: string,
  read: (name: string, node: Node) => void,
): void {
  const wanted = typeof names === 'function' ? names : (name: string) => names.has(name);
  const visit = (node: Node): void => {
    const type = node.type;
    if (type === 'function_definition' || type === 'class_definition' || type === 'lambda') return;
    // The object starts where the attribute does, so the source text rules out most attributes
    // before any child is looked up; `parent` (a walk from the root) is read last.
    if (type === 'attribute' && source.startsWith(variable, node.startIndex)) {
      const object = node.childForFieldName('object');
      if (object?.type === 'identifier' && object.text === variable) {
        const name = node.childForFieldName('attribute')?.text ?? '';
        if (wanted(name) && !isAssignmentTarget(node)) {
          read(name, node);
          return;
        }
      }
    }
    for (const child of node.namedChildren) if (child) visit(child);
  };
  for (const part of parts) visit(part);
}

/**
 * Django: reads of a relation of a row's foreign key that the query joined
 * (`s.book.parent_work` after `select_related("book")`): the key's row is there, its own relations
 * are not, and each is one query per row unless a nested lookup (`"book__parent_work"`) loads it.
 * Reported once per pair of names; a key the query left lazy is reported on its own first hop.
 */
function reportSecondHops(
  ctx: FileContext,
  model: PythonModel,
  loop: PyLoop,
  variable: string,
  rows: ModelQuery,
  joined: ReadonlyMap<string, Relation>,
): void {
  const seen = new Set<string>();
  visitAttributeReads(
    perItemParts(loop),
    variable,
    new Set(joined.keys()),
    model.source,
    (first, node) => {
      const read = node.parent;
      if (read?.type !== 'attribute' || read.childForFieldName('object')?.id !== node.id) return;
      const second = read.childForFieldName('attribute')?.text ?? '';
      const key = `${first}.${second}`;
      if (seen.has(key) || isAssignmentTarget(read)) return;
      seen.add(key);
      const className = joined.get(first)!.target!;
      const relation = relationsOf(ctx, model, className).get(second);
      const through: ModelQuery = {
        ...rows,
        className,
        path: [...(rows.path ?? []), { className: rows.className, name: first }],
      };
      if (!relation?.lazy || isCovered(through, second, relation.kind)) return;
      const loader = eagerLoader(through, second, relation.kind, !rows.path);
      reportLazyRead(ctx, model, read, through, second, relation, loader, first);
    },
  );
}

/**
 * Reports `read`, which lazy-loads the relation `name` of `rows.className` once per row of
 * `rows`: with `loader` and its fix, or the batching advice a dynamic relationship needs.
 * `loadedOnTheWay` is the relation the query does load, for a read two hops from its rows.
 */
function reportLazyRead(
  ctx: FileContext,
  model: PythonModel,
  read: Node,
  rows: ModelQuery,
  name: string,
  relation: Relation,
  loader: string,
  loadedOnTheWay?: string,
): void {
  const relationName = `${rows.className}.${name}`;
  const fix = relation.eagerable ? eagerLoadFix(model, rows, loader, relation.kind) : undefined;
  const onTheWay = loadedOnTheWay
    ? `, which loads \`${loadedOnTheWay}\` but not its \`${name}\``
    : '';
  ctx.report({
    start: read.startIndex,
    end: read.endIndex,
    message: relation.eagerable
      ? `\`${read.text}\` lazy-loads \`${relationName}\` with one query per row of ` +
        `\`${rows.head}\`${onTheWay}; load it with \`${loader}\`${onQuery(rows)}`
      : dynamicMessage(read.text, relationName, rows.head),
    fixes: fix ? [fix] : [],
  });
}

/** For rows a function returns, the query the loader goes on: ` on `db.query(X)`, the query ...`. */
function onQuery(rows: ModelQuery): string {
  return rows.returnedBy ? ` on ${rows.returnedBy}` : '';
}

/**
 * The advice for a `lazy="dynamic"` (or `write_only`) relationship read per row: no loader can
 * fill it (`selectinload` on it raises), so its rows for every parent come from one query.
 */
function dynamicMessage(read: string, relationship: string, head: string): string {
  return (
    `\`${read}\` queries \`${relationship}\` once per row of \`${head}\`, and a dynamic ` +
    'relationship cannot be loaded eagerly; read the related rows of every row in one query before ' +
    'the loop (an `IN (...)` on their foreign key, grouped for counts)'
  );
}

// ---------------------------------------------------------------------------------------------
// Properties that query: `document.latest_file` of `@property def latest_file(self): return
// self.files.order_by("timestamp").last()` runs that query for each row. Their bodies' reads
// through `self` come from the index (`PROPERTY_READS`), judged with the loop's own loaders.

/** Whether `node` (an attribute) is called: `row.refresh()` is a method, not a property read. */
function isCalled(node: Node): boolean {
  const parent = node.parent;
  return parent?.type === 'call' && parent.childForFieldName('function')?.id === node.id;
}

/** A property of a model, as the index knows it. */
interface QueryingProperty {
  fn: FunctionFacts;
  file: string;
  reads: PropertyReads;
}

/**
 * The property `name` of the rows' class (its own or inherited), when the index records what it
 * reads: the class as this file names it, else the one model of the workspace so named.
 */
function propertyOf(
  ctx: FileContext,
  model: PythonModel,
  className: string,
  name: string,
): QueryingProperty | undefined {
  let classes = classNamed(className, model);
  if (classes.length === 0) {
    const tables = ctx.index.tablesOfClass(lastSegment(className));
    const modules = new Set(tables.map((table) => ctx.index.get(table.file)?.moduleName));
    const [module] = modules;
    if (modules.size !== 1 || !module) return undefined;
    classes = [`${module}.${lastSegment(className)}`];
  }
  const found = ctx.index.resolve(classes.map((cls) => `${cls}.${name}`));
  const trait = found?.fn.property && found.fn.traits.find((t) => t.startsWith(PROPERTY_READS));
  if (!trait) return undefined;
  const reads = JSON.parse(trait.slice(PROPERTY_READS.length)) as PropertyReads;
  return { fn: found.fn, file: found.file, reads };
}

/** What a property read queries per row, as a message says it, and how to avoid it. */
interface PropertyQuery {
  /** `runs \`Note.objects.filter(...)\``, `reads the relation \`self.folder\``. */
  what: string;
  advice: string;
}

/** How to get what a property queries for every row at once, by the rows' ORM. */
function computeInQueryAdvice(django: boolean): string {
  const how = django
    ? '`annotate(...)` with `Subquery`, `Exists` or `Count`'
    : 'a correlated subquery or a joined aggregate, or a `column_property`';
  return `compute it in the loop's query instead (${how}) or read it for every row in one query before the loop`;
}

/**
 * The first query a property of the rows sends for each row, if any: a query of its own
 * (`Note.objects.filter(document=self).exists()`), a read through a related manager of `self`
 * that the loop's queryset does not prefetch, or that derives a new queryset (`.order_by(...)`,
 * `.filter(...)`, `.last()`), which a prefetch does not answer; or a lazy relation of `self` the
 * query does not load (`self.folder.name`).
 */
function propertyQuery(
  ctx: FileContext,
  rows: ModelQuery,
  relations: ReadonlyMap<string, Relation>,
  property: QueryingProperty,
): PropertyQuery | undefined {
  const django = ctx.index
    .tablesOfClass(lastSegment(rows.className))
    .some(({ table }) => table.source === 'django');
  const { commands } = property.reads;
  const own = property.fn.effects.filter(
    (effect) =>
      effect.kind === 'db' &&
      !effect.returned &&
      !effect.ormModel &&
      !commands.includes(effect.start),
  );
  if (own.length > 0) {
    // `Note.objects.filter` names the query better than the bare `exists` ending its chain.
    const named = own.find((effect) => effect.callee.includes('.')) ?? own[0];
    return { what: `runs \`${named.callee}(...)\``, advice: computeInQueryAdvice(django) };
  }
  for (const read of property.reads.managers) {
    const relation = relations.get(read.manager);
    // Only Django's managers answer `self.files.count()`; a dynamic SQLAlchemy relationship
    // queries each time.
    if (!relation && !django) continue;
    if (relation?.kind === 'sqlalchemy' || relation?.kind === 'django-one') {
      if (relation.kind === 'django-one') continue;
      return { what: `runs \`${read.text}\``, advice: computeInQueryAdvice(false) };
    }
    if (read.cached && isCovered(rows, read.manager, 'django-many')) continue;
    const loader = eagerLoader(rows, read.manager, 'django-many');
    const advice = read.cached
      ? `load it with \`${loader}\`${onQuery(rows)}`
      : `it derives a new queryset, which a prefetch does not answer: ${computeInQueryAdvice(true)}`;
    return { what: `runs \`${read.text}\``, advice };
  }
  for (const name of property.reads.attributes) {
    const relation = relations.get(name);
    if (!relation?.lazy || !relation.eagerable || relation.kind === 'django-many') continue;
    if (rows.filledBack?.includes(name) || isCovered(rows, name, relation.kind)) continue;
    const loader = eagerLoader(rows, name, relation.kind);
    return {
      what: `reads the relation \`self.${name}\``,
      advice: `load it with \`${loader}\`${onQuery(rows)}`,
    };
  }
  return undefined;
}

/**
 * Reports reads of a property of the loop's rows (`document.latest_file`) that query once per
 * row: the property's name and where it is, what it runs, and what would load it with the rows.
 */
function reportQueryingProperties(
  ctx: FileContext,
  model: PythonModel,
  loop: PyLoop,
  variable: string,
  rows: ModelQuery,
  relations: ReadonlyMap<string, Relation>,
): void {
  const reads = new Map<string, Node>();
  visitAttributeReads(
    perItemParts(loop),
    variable,
    (name) => !relations.has(name) && !name.startsWith('__'),
    model.source,
    (name, node) => {
      if (!reads.has(name) && !isCalled(node)) reads.set(name, node);
    },
  );
  for (const [name, node] of reads) {
    // Asked only for names some property has: the index's answer waits for every file.
    if (!ctx.index.hasFunctionWithTrait(PROPERTY_READS, name)) continue;
    const property = propertyOf(ctx, model, rows.className, name);
    const query = property && propertyQuery(ctx, rows, relations, property);
    if (!property || !query) continue;
    const where = `${displayPath(ctx.index.get(property.file), property.file)}:${property.reads.line}`;
    const owner = lastSegment(property.fn.qualifiedName.slice(0, -name.length - 1));
    ctx.report({
      start: node.startIndex,
      end: node.endIndex,
      message:
        `\`${node.text}\` runs a query for each row of \`${rows.head}\`: the property ` +
        `\`${owner}.${name}\` (${where}) ${query.what}; ${query.advice}`,
    });
  }
}

/** Whether `node` is the target of an assignment (`ticket.owner = ...`): written, not read. */
function isAssignmentTarget(node: Node): boolean {
  const parent = node.parent;
  return parent?.type === 'assignment' && parent.childForFieldName('left')?.id === node.id;
}

// ---------------------------------------------------------------------------------------------
// Tortoise ORM: a relation is a query the code awaits (`await book.author`,
// `await book.tags.all()`), not a lazy attribute; models and their relation fields come from the
// index (`tortoiseRelationsOf`), asked only for loops over a confirmed Tortoise model's rows.

/**
 * Methods of a Tortoise to-many relation that start a queryset of its rows (`book.tags.filter(...)`):
 * awaited or iterated, it is a new query, whether the relation was prefetched or not.
 */
const TORTOISE_RELATION_QUERYSETS = new Set(['all', 'filter', 'order_by', 'limit', 'offset']);

/** The query a relation read on the loop variable sends, and how it is written. */
interface RelationQuery {
  /** What is reported: the awaited read, the relation's queryset chain, or the iterated read. */
  node: Node;
  /** The query as quoted in messages: `await book.tags.all()`, `async for ... in book.tags`. */
  quoted: string;
  /** Whether it derives a queryset from the relation, which a prefetch does not answer. */
  derived: boolean;
  /** Whether that queryset narrows or shapes the rows (`filter(...)`), more than `all()`. */
  narrows?: boolean;
}

/** Whether `node` is what an `async for` (statement or comprehension clause) iterates. */
function isAsyncForIterable(node: Node): boolean {
  const parent = node.parent;
  if (parent?.type !== 'for_statement' && parent?.type !== 'for_in_clause') return false;
  if (parent.childForFieldName('right')?.id !== node.id) return false;
  return parent.children.some((child) => child?.type === 'async');
}

/**
 * The chain of queryset methods `relation.<method>(...)` starts (`book.tags.filter(...).order_by(...)`):
 * its outermost call, and whether a method other than `all()` narrows or shapes the rows.
 * Undefined when the read is not such a chain.
 */
function relationQuerySetChain(read: Node): { chain: Node; narrows: boolean } | undefined {
  const first = read.parent;
  if (first?.type !== 'attribute') return undefined;
  if (!TORTOISE_RELATION_QUERYSETS.has(first.childForFieldName('attribute')?.text ?? ''))
    return undefined;
  let chain: Node | undefined;
  let narrows = false;
  for (let attribute: Node | null = first; attribute?.type === 'attribute';) {
    const call: Node | null = attribute.parent;
    if (call?.type !== 'call' || call.childForFieldName('function')?.id !== attribute.id) break;
    if (attribute.childForFieldName('attribute')?.text !== 'all') narrows = true;
    chain = call;
    attribute = call.parent;
  }
  return chain && { chain, narrows };
}

/**
 * The query a relation read on the loop variable sends: `await book.author` (the read itself),
 * `async for tag in book.tags` (iterating a to-many relation loads it unless it was prefetched),
 * or an awaited or `async for`-iterated queryset of a to-many relation (`await
 * book.tags.filter(...)`: the whole chain). Undefined when the read sends no query.
 */
function relationQuery(read: Node, many: boolean): RelationQuery | undefined {
  if (read.parent?.type === 'await')
    return { node: read, quoted: `await ${read.text}`, derived: false };
  if (!many) return undefined;
  if (isAsyncForIterable(read))
    return { node: read, quoted: `async for ... in ${read.text}`, derived: false };
  const found = relationQuerySetChain(read);
  if (!found) return undefined;
  const { chain, narrows } = found;
  if (chain.parent?.type === 'await')
    return { node: chain, quoted: `await ${chain.text}`, derived: true, narrows };
  if (isAsyncForIterable(chain))
    return { node: chain, quoted: `async for ... in ${chain.text}`, derived: true, narrows };
  return undefined;
}

/**
 * Whether loaders of a Tortoise chain may load anything: `prefetch_related(*names)` or a variable
 * argument, which the rule cannot read.
 */
function unknownTortoiseLoaders(links: readonly ChainLink[]): boolean {
  return links.some(
    (link) =>
      link.kind === 'call' &&
      (link.name === 'prefetch_related' || link.name === 'select_related') &&
      !!link.args?.namedChildren.some(
        (arg) => !!arg && arg.type !== 'string' && arg.type !== 'call' && arg.type !== 'comment',
      ),
  );
}

/**
 * Whether the function loads the relation onto the rows itself: `fetch_for_list(rows, "author")`.
 * `fetches`: the function's text, read once per loop; undefined when it names no `fetch_`.
 */
function fetchedInFunction(fetches: string | undefined, name: string): boolean {
  if (!fetches) return false;
  return new RegExp(`fetch_(?:related|for_list)\\([^)]*["']${name}(?:__\\w+)?["']`).test(fetches);
}

/**
 * Reports relations queried once per row of a loop over an awaited Tortoise queryset: awaited or
 * iterated when the rows were not loaded with them, or read through a derived queryset
 * (`book.tags.filter(...)`), which queries again whatever was loaded.
 */
function checkTortoiseLoop(ctx: FileContext, model: PythonModel, loop: PyLoop, variable: string) {
  const ormOf = (targets: readonly string[]): string | undefined =>
    ctx.index.ormModelOf(targets, true);
  const rows = tortoiseRowsOf(loop.iterable!, loop.fn, model, ormOf, NOT_ROWS);
  if (!rows || rows.targets.length === 0 || unknownTortoiseLoaders(rows.links)) return;
  const relations = ctx.index.tortoiseRelationsOf(rows.targets);
  if (relations.size === 0) return;
  const loaders = loadersIn(rows.links);
  const text = loop.fn?.node.text;
  const fetches = text?.includes('fetch_') ? text : undefined;
  const loaded = new Set<string>();
  // Loaded to-one relations send no query; loaded to-many ones still do through a new queryset.
  const names = new Set<string>();
  for (const [name, many] of relations) {
    const isLoaded = mentions(loaders, name) || fetchedInFunction(fetches, name);
    if (isLoaded) loaded.add(name);
    if (!isLoaded || many) names.add(name);
  }
  if (names.size === 0) return;
  // The query of each read found, as the walk tested it.
  const queries = new Map<Node, RelationQuery>();
  const reads = attributeReads(perItemParts(loop), variable, names, model.source, (read) => {
    const name = read.childForFieldName('attribute')?.text ?? '';
    const query = relationQuery(read, relations.get(name)!);
    if (!query || (loaded.has(name) && !query.derived)) return false;
    queries.set(read, query);
    return true;
  });
  for (const [name, read] of reads) {
    const query = queries.get(read)!;
    ctx.report({
      start: query.node.startIndex,
      end: query.node.endIndex,
      message:
        `\`${query.quoted}\` queries \`${rows.className}.${name}\` once per row of ` +
        `\`${rows.head}\`; ${tortoiseRelationAdvice(read.text, name, query, relations.get(name)!, loaded.has(name))}`,
    });
  }
}

/** How to load a relation a Tortoise loop queries per row with the rows instead. */
function tortoiseRelationAdvice(
  relation: string,
  name: string,
  query: RelationQuery,
  many: boolean,
  loaded: boolean,
): string {
  const loader = `.prefetch_related("${name}")`;
  if (query.narrows) {
    const queries = loaded
      ? `\`${name}\` is prefetched, but a queryset derived from it queries again`
      : `a queryset derived from the relation queries again even after \`${loader}\``;
    return (
      `${queries}; read the matching rows for all the rows in one query before the loop, or ` +
      `load just those with \`.prefetch_related(Prefetch("${name}", queryset=...))\` and ` +
      `iterate \`${relation}\``
    );
  }
  if (loaded)
    return `\`${name}\` is prefetched, but its \`all()\` queries again: iterate \`${relation}\` itself`;
  // A prefetched to-many relation is read by iterating it: awaiting it queries again.
  const then = query.derived
    ? ` and iterate \`${relation}\` itself (its \`all()\` queries again)`
    : many && query.node.parent?.type === 'await'
      ? ` and iterate \`${relation}\` without awaiting it (awaiting it queries again)`
      : '';
  return `load it with the rows: add \`${loader}\` to that queryset${then}`;
}

/** A relationship read lazily once per row of a query that did not load it. */
export const lazyLoadInLoop: Rule = {
  meta: {
    id: 'lazy-load-in-loop',
    language: 'python',
    category: 'n-plus-one',
    severity: 'warning',
    summary: 'Lazy-loaded relationship (`ticket.comments`) read in a loop over query results',
    fix: {
      title: 'Load the relationship eagerly',
      safety: 'unsafe',
      availability: 'sometimes',
    },
    docs: {
      whatItDoes:
        'Finds loops over the results of an ORM query (SQLAlchemy `session.query(X)`, `X.query`, ' +
        '`session.scalars(select(X))`, Django `X.objects...`, directly or through a variable, also one ' +
        'built once and then narrowed by itself under an `if`: `qs = Change.objects.filter(...)`, ' +
        '`if lang: qs = qs.filter(...)` or `qs = qs.filter(...) if user else qs.exclude(...)`, with `filter`, `exclude`, `order_by`, `options`, ' +
        "`select_related`, ..., and materialised by itself, as in CTFd's scoreboard: `solves = Solves.query.filter(...)`, " +
        '`if freeze: solves = solves.filter(...)`, `solves = solves.all()`), and over a ' +
        'relationship of such rows (`for item in order.items`), whose body reads a relationship on the ' +
        'loop variable, when the query does not load that ' +
        'relationship eagerly (`selectinload`, `joinedload`, `subqueryload`, `contains_eager` in ' +
        '`.options(...)`; Django `select_related`/`prefetch_related`). Django also: a relation of the ' +
        'row of a foreign key the query loads (`s.book.parent_work` in a loop over ' +
        '`ShelfBook.objects.select_related("book")`, as in BookWyrm), which stays lazy unless a ' +
        'nested lookup (`"book__parent_work"`) loads it too; loops over `self` ' +
        '(or `self.exclude(...)`, lazy queryset methods) in a method of a QuerySet or Manager class ' +
        "that one model's manager is made from (`objects = NoteQuerySet.as_manager()`): its rows " +
        "are that model's. Django reverse accessors left at their default name, read from any " +
        'instance (`for s in user.shelfbook_set.all()`, `request.user.shelfbook_set.filter(...)`): ' +
        'their rows are the model whose lowercased name the accessor carries when a `ForeignKey` ' +
        '(or a subclass) or `ManyToManyField` of that model adds it. Relationships come from the ' +
        'model classes in the workspace, those of another file with the class their declaration ' +
        'names (`relationship("WorkshopSession")`, `relationship(WorkshopSession)`, ' +
        '`Mapped[list["Hall"]]`, SQLModel `list["Hero"]`) and its `lazy=` strategy, so a loop over ' +
        'a relationship of rows of a model declared elsewhere (`for session in workshop.sessions`) ' +
        'is followed too, as is a Django related manager a model of another file adds (`for order ' +
        'in customer.orders.all()` of `customer = ForeignKey(Customer, related_name="orders")`), ' +
        'and a relationship the `backref=` of another model adds, wherever either is declared ' +
        '(`Speaker.talks` of `speaker = relationship("Speaker", backref="talks")` on `Talk`, ' +
        'lazy unless `backref("talks", lazy="selectin")` says otherwise). ' +
        'Also loops over what a function of the workspace returns (`for w in ' +
        'load_workshops(db)`, `await load_workshops(db)` of an `async def`, or a local bound ' +
        'once to the call; also a method of an instance made there or bound once to a local, ' +
        '`repo = WorkshopRepository(db)` then `for w in repo.list_recent()`), when every `return` ' +
        'of it hands ' +
        'back the rows of a query of one model (`.all()`, `list(db.scalars(stmt))`, a Django ' +
        'queryset, a local bound to one) or an empty list: read as that query, with its loaders. ' +
        'Tortoise ORM: loops over an awaited queryset of a Tortoise ' +
        'model (`for book in await Book.filter(...)`, or a local bound once to one) whose body awaits ' +
        'a relation of the loop variable (`await book.author`, `await book.tags.all()`), iterates a ' +
        'to-many one with `async for` (`async for tag in book.tags`), or awaits or iterates a ' +
        'queryset derived from one (`await book.tags.filter(...)`, also when prefetched: it queries ' +
        'again), relations ' +
        'being the `ForeignKeyField`/`OneToOneField`/`ManyToManyField` fields of the model and its ' +
        'bases in any file, the `related_name=` accessors they add, and `fields.ReverseRelation[...]` ' +
        'declarations. Also reads of a property of the rows (`@property` or `@cached_property`, ' +
        'declared on the model or a base class in any file) whose body queries: a query of its own ' +
        '(`Note.objects.filter(document=self).exists()`), a read through a related manager of ' +
        '`self` that runs there (`self.files.order_by("timestamp").last()`, as in Mayan EDMS, ' +
        '`self.items.count()`, `[f.name for f in self.files.all()]`), or a lazy relation of `self` ' +
        '(`self.folder.name`, SQLAlchemy `len(self.lines)`): the message names the property and ' +
        'what it runs, with `prefetch_related`/`select_related`/`selectinload` as advice where a ' +
        'loader answers the read, else computing the value in the query (`annotate(...)`).',
      whyIsThisBad:
        'A lazy relationship runs its own `SELECT` the first time it is read on each object. The query ' +
        'that fetched 200 tickets is followed by 200 more, one per `ticket.comments`, each a round ' +
        'trip; the page gets slower with every row the table gains.',
      example: [
        'tickets = db.query(Ticket).filter(Ticket.status == "open").limit(200).all()',
        'for ticket in tickets:',
        '    print(ticket.title, len(ticket.comments))',
      ].join('\n'),
      useInstead: [
        'from sqlalchemy.orm import selectinload',
        '',
        'tickets = (',
        '    db.query(Ticket)',
        '    .options(selectinload(Ticket.comments))',
        '    .filter(Ticket.status == "open")',
        '    .limit(200)',
        '    .all()',
        ')',
        'for ticket in tickets:',
        '    print(ticket.title, len(ticket.comments))',
      ].join('\n'),
      notFlagged: [
        'Relationships the query loads eagerly: named in `selectinload`/`joinedload`/`subqueryload`/' +
          '`contains_eager`/`raiseload` inside `.options(...)` (or a `"*"` wildcard; chained loaders ' +
          'such as `selectinload(Ticket.comments).joinedload(Comment.author)` cover nested loops), or in ' +
          'Django `select_related`/`prefetch_related` (including `"comments__author"` lookups and a bare ' +
          '`select_related()` for foreign keys). `lazyload(...)` and `defaultload(...)` keep it lazy.',
        'Queries whose options are built elsewhere (`.options(*LOADERS)`): they may load anything.',
        'Django relations two hops away (`s.book.parent_work`) loaded by a nested lookup ' +
          '(`select_related("book__parent_work")`, `prefetch_related(...)`, also through the reverse ' +
          'accessor the rows come from: `"shelfbook_set__book__parent_work"`) or, for a foreign key, ' +
          'a bare `select_related()`. When the query does not load the first hop either, only that ' +
          'one (`s.book`) is reported. Relations three hops away are not followed.',
        'A variable narrowed by itself counts the loaders of a refinement only when it runs on every ' +
          'path to the loop: before it, in a block that holds the loop (`qs = qs.select_related(' +
          '"author")` after the `if`, or inside the `if` that also holds the loop). A ' +
          '`select_related` under an `if` the loop is outside of may be missing, and the read is ' +
          'reported. A variable also assigned anything but its own refinement (`qs = ' +
          'archive.rows()` in a branch) is not followed.',
        'Relationships declared, in any file, with an eager or non-loading `lazy=` strategy ' +
          '(`"selectin"`, `"joined"`, `"subquery"`, `"immediate"`, `"raise"`, `"noload"`; SQLModel ' +
          '`sa_relationship_kwargs={"lazy": ...}`).',
        'Columns and other attributes that are not relationships, and writes (`ticket.owner = user`).',
        'Loops whose iterable is not recognisably a query of a known model class (or a relationship of ' +
          "an outer loop's rows, as in `for item in order.items`): a parameter, a " +
          'multi-entity or column query (`db.query(Ticket.id)`), `session.execute(select(X))` without ' +
          '`.scalars()` (rows, not objects), Django `.values()`.',
        'Relationship reads inside functions or lambdas defined in the loop.',
        "Property reads whose body's reads the loop's query answers: a related manager's `.all()`, " +
          '`.count()`, `.exists()` or `.first()` when the queryset prefetches it, a relation it ' +
          'loads; properties computed from columns (`f"{self.label} ({self.author})"`), and ' +
          'properties read outside a loop over rows (one object), and properties whose only round ' +
          'trip is a Redis command (`views_counter.get(f"views:{self.pk}")`), which no loader or ' +
          'annotation answers. A related manager read that ' +
          'derives a new queryset (`.order_by(...)`, `.filter(...)`, `.last()`) queries even when ' +
          'prefetched. Not followed yet: properties that only return a lazy queryset ' +
          '(`return self.books.order_by(...)`, evaluated wherever the caller does), or that query ' +
          'through further calls (`self.helper()`, another property), and rows of unknown class ' +
          '(a parameter handed a row: `scan_for(document)`).',
        'A relationship a `backref=` of a model in another file adds to a class the checked file ' +
          'declares (that class is read from its own declaration), and a `backref=` whose ' +
          'relationship names no class (`relationship(lambda: Talk, backref="x")` without an ' +
          'annotation) or whose name is not a string (`backref=name`).',
        "In a loop over a Django related manager of an outer loop's rows (`for order in " +
          'customer.orders.all()`), reads of the foreign key back to that row (`order.customer`), ' +
          'which Django fills.',
        'Loops over what a function returns unless every `return` of it is a query of the same ' +
          'model or `[]` (a list built from a cache or other data, a query in one branch and a ' +
          'cached list in another), or when rows reach it through further calls; generators, ' +
          'nested functions and decorated ones (but for `@staticmethod`/`@classmethod`: a ' +
          'decorator may hand back something else) are not read. A relationship that any of its queries loads counts as loaded.',
        'Loops over `x.<name>_set` when no model of the workspace named `<name>` has a foreign key ' +
          'or many-to-many field without a `related_name` (that removes the default accessor; `"+"` ' +
          'removes every accessor), or models of several classes so named do. Nested lookups load ' +
          'the rows they reach: `prefetch_related("shelfbook_set__book")` on the outer query, or on ' +
          'the query an instance came from (`user = Reader.objects.prefetch_related(...).get(...)`), ' +
          'covers `s.book` in `for s in user.shelfbook_set.all()`. Reads of the foreign key that leads ' +
          "back to the instance the accessor is read from (`s.user` there), which Django's related " +
          'manager fills with that instance: the key to its class when the code says it (an outer ' +
          'loop over `Reader` rows, `self` in a method of `Reader`, `owner = Reader.objects.get(...)`), ' +
          'else the key its name names (`user`, `request.user`: the key `user`; `reader`: the key to ' +
          '`Reader`), else every key that adds the accessor.',
        'Loops over `self` in a QuerySet or Manager class that no model, or more than one, makes its ' +
          "manager from (the rows are not known to be one model's), or through a method other than " +
          "Django's lazy queryset methods.",
        "Tortoise: relations named in the queryset's `prefetch_related(...)`/`select_related(...)` " +
          '(or in a `fetch_related`/`fetch_for_list` call of the same function), loaders the rule ' +
          'cannot read (`prefetch_related(*names)`), relation reads that are not awaited or ' +
          '`async for`-iterated (a queryset built and handed on: `book.tags.filter(...)`), plain ' +
          'columns (`book.author_id`), loops over a queryset that is not awaited or reads one row ' +
          '(`first()`, `get(...)`), loops over anything else (a parameter, a tuple of instances), ' +
          '`async for` over a relation the queryset prefetched, and reverse accessors whose field ' +
          'gives no `related_name=`.',
        'Code in tests and migrations (`tests/`, `test_*.py`, `conftest.py`, `alembic/`, `migrations/`): it runs once or on a handful of rows.',
      ],
      fixSafety:
        'Unsafe. The fix chains `.options(selectinload(X.rel))` (adding the import), ' +
        '`.select_related("rel")` or `.prefetch_related("rel")` onto the query; the rows and objects ' +
        'returned are the same, but every related row is now loaded up front, which costs memory when ' +
        'the loop only reads a few. No fix is offered for `dynamic`/`write_only` relationships, ' +
        'declared in any file: they cannot be loaded eagerly (SQLAlchemy raises), and the message ' +
        'asks for the related rows of every row in one query before the loop instead (Fides counts ' +
        'each privacy request\'s `lazy="dynamic"` tasks). Nor when `selectinload` names something ' +
        'else, when the chained loader would name a class the file neither declares nor imports ' +
        '(`selectinload(Hall.manager)` for rows of `venue.halls`, `Hall` declared elsewhere), or ' +
        'for rows a function returns: the message names the query in its body to load it on. ' +
        'Tortoise findings are advice only: a prefetched to-many relation is read by iterating it, ' +
        'not by awaiting it, so the loop body has to change too.',
    },
  },
  pythonTraits(fn, calls, model) {
    const traits: string[] = [];
    const rows = returnedRows(fn, model);
    if (rows) traits.push(`${RETURNS_ROWS}${JSON.stringify(rows)}`);
    const reads = propertyReads(fn, calls, model);
    if (reads) traits.push(`${PROPERTY_READS}${JSON.stringify(reads)}`);
    return traits;
  },
  check(ctx) {
    const model = ctx.python;
    if (!model || isOneOffCode(ctx.relativePath)) return;
    // Loops recognised so far, outer ones first (the model lists loops in document order).
    const rowLoops: RowLoop[] = [];
    // Tortoise rows come from an awaited queryset: files without `await` have none.
    const awaits = model.source.includes('await');
    for (const loop of model.loops) {
      if (loop.kind === 'while' || !loop.iterable) continue;
      const target = loopTarget(loop);
      if (target?.type !== 'identifier') continue;
      const chain = chainOf(loop.iterable, model, loop);
      const rows =
        modelQueryOf(chain, model, loop) ??
        ownQuerySetRows(ctx, model, loop, chain) ??
        relatedRows(ctx, model, loop, rowLoops) ??
        defaultAccessorRows(ctx, chain, loop, rowLoops) ??
        returnedByCall(ctx, model, chain, loop, target.text);
      if (!rows) {
        if (awaits) checkTortoiseLoop(ctx, model, loop, target.text);
        continue;
      }
      rowLoops.push({ loop, variable: target.text, rows });
      const relations = relationsOf(ctx, model, rows.className);
      const lazy = new Set<string>();
      // Foreign keys the query joins or prefetches, whose rows' own relations may still be lazy.
      const joined = new Map<string, Relation>();
      for (const [name, relation] of relations) {
        if (!relation.lazy || rows.filledBack?.includes(name)) continue;
        if (!isCovered(rows, name, relation.kind)) lazy.add(name);
        else if (relation.kind === 'django-one' && relation.target) joined.set(name, relation);
      }
      if (joined.size > 0) reportSecondHops(ctx, model, loop, target.text, rows, joined);
      reportQueryingProperties(ctx, model, loop, target.text, rows, relations);
      if (lazy.size === 0) continue;
      for (const [name, node] of attributeReads(
        perItemParts(loop),
        target.text,
        lazy,
        model.source,
      )) {
        const relation = relations.get(name)!;
        const loader = eagerLoader(rows, name, relation.kind);
        reportLazyRead(ctx, model, node, rows, name, relation, loader);
      }
    }
  },
};
