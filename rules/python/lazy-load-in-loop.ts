import type { Node } from 'web-tree-sitter';
import type { FileContext, Rule } from '../../server/src/engine/rule';
import { loopTarget, singleBinding } from '../../server/src/python/loop-analysis';
import type { PyClass, PyLoop, PythonModel } from '../../server/src/python/model';
import { readChain, type Chain, type ChainLink } from '../../server/src/python/orm';
import { keywordArg, positionalArgs, stringValue } from '../../server/src/python/schema-args';

/** How a relationship is loaded eagerly: the loader to suggest, by ORM and cardinality. */
type RelationKind = 'sqlalchemy' | 'django-one' | 'django-many' | 'django';

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
const SQLALCHEMY_RELATIONSHIPS = new Set(['relationship', 'relation', 'dynamic_loader']);
const DJANGO_TO_ONE = new Set(['ForeignKey', 'OneToOneField']);
const DJANGO_TO_MANY = new Set(['ManyToManyField']);
/** Chain methods whose result is not a sequence of model instances. */
const NOT_ROWS = new Set([
  'first',
  'one',
  'one_or_none',
  'scalar',
  'scalar_one',
  'scalar_one_or_none',
  'get',
  'count',
  'exists',
  'values',
  'values_list',
  'aggregate',
  'in_bulk',
  'last',
  'earliest',
  'latest',
  'delete',
  'update',
  'mappings',
  'tuples',
]);
/** Calls that load relationships eagerly: their argument text says which. */
const LOADER_CALLS = new Set(['options', 'select_related', 'prefetch_related']);

type Relations = Map<string, Map<string, RelationKind>>;

function addRelation(into: Relations, className: string, name: string, kind: RelationKind): void {
  let relations = into.get(className);
  if (!relations) into.set(className, (relations = new Map()));
  if (!relations.has(name)) relations.set(name, kind);
}

function lastSegment(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

/** The class a relationship points to: `Comment`, `"Comment"`, `"app.Comment"`, `"self"`. */
function targetClass(args: Node, own: string): string | undefined {
  const first = positionalArgs(args)[0];
  if (!first) return undefined;
  const name = first.type === 'string' ? stringValue(first) : first.text;
  if (!name) return undefined;
  return name === 'self' ? own : lastSegment(name);
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
      const lazy = stringValue(keywordArg(args, 'lazy'));
      if (!lazy || !NOT_LAZY.has(lazy)) addRelation(into, cls.name, left.text, 'sqlalchemy');
      const backref = stringValue(keywordArg(args, 'backref'));
      const target = targetClass(args, cls.name);
      if (backref && target) addRelation(into, target, backref, 'sqlalchemy');
    } else if (DJANGO_TO_ONE.has(called) || DJANGO_TO_MANY.has(called)) {
      const toMany = DJANGO_TO_MANY.has(called);
      addRelation(into, cls.name, left.text, toMany ? 'django-many' : 'django-one');
      const target = targetClass(args, cls.name);
      const relatedName = stringValue(keywordArg(args, 'related_name'));
      if (!target || relatedName?.endsWith('+')) continue;
      const lower = cls.name.toLowerCase();
      const reverse = relatedName ?? (called === 'OneToOneField' ? lower : `${lower}_set`);
      addRelation(into, target, reverse, called === 'OneToOneField' ? 'django-one' : 'django-many');
    }
  }
}

const fileRelations = new WeakMap<PythonModel, Relations>();

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

/** Lazy relationships of a model class: declared in this file, or anywhere per the index. */
function relationsOf(
  ctx: FileContext,
  model: PythonModel,
  className: string,
): Map<string, RelationKind> {
  const own = relationsInFile(model).get(className);
  const relations = new Map(own);
  // A class declared here with its `lazy=` strategies read is better known than the index's names.
  if (own || model.classes.some((cls) => cls.name === className)) return relations;
  for (const { table } of ctx.index.tablesOfClass(className)) {
    for (const name of table.relationships)
      if (!relations.has(name))
        relations.set(name, table.source === 'django' ? 'django' : 'sqlalchemy');
  }
  return relations;
}

/** A query whose rows are instances of one model class, and the text of its eager loaders. */
interface ModelQuery {
  className: string;
  /** The query as quoted in messages: `db.query(Ticket)`. */
  head: string;
  loaders: string[];
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

function loadersIn(links: readonly ChainLink[]): string[] {
  return links.flatMap((link) =>
    link.kind === 'call' && LOADER_CALLS.has(link.name) && link.args
      ? [`${link.name}${link.args.text}`]
      : [],
  );
}

/** Reads an expression's chain, following a root variable bound once to where it was built. */
function chainOf(expression: Node, model: PythonModel, loop: PyLoop): Chain {
  let chain = readChain(expression);
  for (let depth = 0; depth < 3 && chain.root.type === 'identifier'; depth++) {
    const bound = singleBinding(model, loop.fn, chain.root.text);
    if (!bound || bound.type === 'augmented_assignment') break;
    const inner = readChain(bound);
    chain = { root: inner.root, links: [...inner.links, ...chain.links] };
  }
  return chain;
}

/** Reads `session.query(X)...`, `X.query...`, `session.scalars(select(X)...)`, `X.objects...`. */
function modelQueryOf(expression: Node, model: PythonModel, loop: PyLoop): ModelQuery | undefined {
  const chain = chainOf(expression, model, loop);
  const { root, links } = chain;
  if (links.some((link) => link.kind === 'call' && NOT_ROWS.has(link.name))) return undefined;
  const loaders = loadersIn(links);
  // Legacy SQLAlchemy: `db.query(Ticket)` or Flask-SQLAlchemy `Ticket.query`.
  const query = links.findIndex((link) => link.name === 'query');
  if (query !== -1 && links[query].kind === 'call') {
    const className = singleModelArgument(links[query].args);
    const head = links[query].node.text;
    return className ? { className, head, loaders } : undefined;
  }
  if (query === 0 && root.type === 'identifier' && /^[A-Z]/.test(root.text))
    return { className: root.text, head: `${root.text}.query`, loaders };
  // Django: `Ticket.objects.filter(...)`.
  const objects = links.findIndex((link) => link.kind === 'attribute' && link.name === 'objects');
  if (objects !== -1) {
    const className = lastSegment(objects === 0 ? root.text : links[objects - 1].node.text);
    if (!/^[A-Z]/.test(className)) return undefined;
    return { className, head: links[objects].node.text, loaders };
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
  const select = chainOf(statement, model, loop);
  const selectFn = select.root.type === 'call' ? select.root.childForFieldName('function') : null;
  if (!selectFn || lastSegment(selectFn.text) !== 'select') return undefined;
  const className = singleModelArgument(select.root.childForFieldName('arguments'));
  if (!className) return undefined;
  return { className, head: select.root.text, loaders: [...loadersIn(select.links), ...loaders] };
}

/** Whether loader text names `attribute`: `Ticket.comments`, `"comments"`, `"comments__author"`, `"*"`. */
function mentions(loaders: readonly string[], attribute: string): boolean {
  for (const text of loaders) {
    if (text.includes('"*"') || text.includes("'*'")) return true;
    for (let at = text.indexOf(attribute); at !== -1; at = text.indexOf(attribute, at + 1)) {
      const before = text[at - 1];
      const after = text.slice(at + attribute.length, at + attribute.length + 2);
      const ends = after === '' || after === '__' || !/\w/.test(after[0]);
      if ((before === '.' || before === '"' || before === "'") && ends) return true;
    }
  }
  return false;
}

function isCovered(query: ModelQuery, attribute: string, kind: RelationKind): boolean {
  if (mentions(query.loaders, attribute)) return true;
  // Django's bare `select_related()` follows every non-null foreign key.
  return (
    (kind === 'django-one' || kind === 'django') &&
    query.loaders.some((loader) => loader === 'select_related()')
  );
}

function advice(query: ModelQuery, attribute: string, kind: RelationKind): string {
  switch (kind) {
    case 'sqlalchemy':
      return `load it with \`.options(selectinload(${query.className}.${attribute}))\``;
    case 'django-one':
      return `load it with \`.select_related("${attribute}")\``;
    case 'django-many':
      return `load it with \`.prefetch_related("${attribute}")\``;
    default:
      return `load it with \`.select_related("${attribute}")\` or \`.prefetch_related("${attribute}")\``;
  }
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

/** First reads of `variable.<name>` in `parts`, by name; assignments to the attribute are not reads. */
function attributeReads(
  parts: Node[],
  variable: string,
  names: ReadonlySet<string>,
): Map<string, Node> {
  const found = new Map<string, Node>();
  const visit = (node: Node): void => {
    if (
      node.type === 'function_definition' ||
      node.type === 'class_definition' ||
      node.type === 'lambda'
    )
      return;
    if (node.type === 'attribute') {
      const object = node.childForFieldName('object');
      const name = node.childForFieldName('attribute')?.text ?? '';
      const isWrite =
        node.parent?.type === 'assignment' && node.parent.childForFieldName('left')?.id === node.id;
      if (
        object?.type === 'identifier' &&
        object.text === variable &&
        names.has(name) &&
        !isWrite
      ) {
        if (!found.has(name)) found.set(name, node);
        return;
      }
    }
    for (const child of node.namedChildren) if (child) visit(child);
  };
  for (const part of parts) visit(part);
  return found;
}

/** A relationship read lazily once per row of a query that did not load it. */
export const lazyLoadInLoop: Rule = {
  meta: {
    id: 'lazy-load-in-loop',
    language: 'python',
    category: 'n-plus-one',
    severity: 'warning',
    summary: 'Lazy-loaded relationship (`ticket.comments`) read in a loop over query results',
    docs: {
      whatItDoes:
        'Finds loops over the results of an ORM query (SQLAlchemy `session.query(X)`, `X.query`, ' +
        '`session.scalars(select(X))`, Django `X.objects...`, directly or through a variable) whose body ' +
        'reads a relationship of `X` on the loop variable, when the query does not load that ' +
        'relationship eagerly (`selectinload`, `joinedload`, `subqueryload`, `contains_eager` in ' +
        '`.options(...)`; Django `select_related`/`prefetch_related`). Relationships come from the ' +
        'model classes in the workspace.',
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
          '`contains_eager`/`raiseload` inside `.options(...)` (or a `"*"` wildcard), or in Django ' +
          '`select_related`/`prefetch_related` (including `"comments__author"` lookups and a bare ' +
          '`select_related()` for foreign keys).',
        'Relationships declared in the same file with an eager or non-loading `lazy=` strategy ' +
          '(`"selectin"`, `"joined"`, `"subquery"`, `"immediate"`, `"raise"`, `"noload"`).',
        'Columns and other attributes that are not relationships, and writes (`ticket.owner = user`).',
        'Loops whose iterable is not recognisably a query of a known model class: a parameter, a ' +
          'multi-entity or column query (`db.query(Ticket.id)`), `session.execute(select(X))` without ' +
          '`.scalars()` (rows, not objects), Django `.values()`.',
        'Relationship reads inside functions or lambdas defined in the loop.',
      ],
    },
  },
  check(ctx) {
    const model = ctx.python;
    if (!model) return;
    for (const loop of model.loops) {
      if (loop.kind === 'while' || !loop.iterable) continue;
      const target = loopTarget(loop);
      if (target?.type !== 'identifier') continue;
      const query = modelQueryOf(loop.iterable, model, loop);
      if (!query) continue;
      const relations = relationsOf(ctx, model, query.className);
      const lazy = new Set(
        [...relations]
          .filter(([name, kind]) => !isCovered(query, name, kind))
          .map(([name]) => name),
      );
      if (lazy.size === 0) continue;
      for (const [name, node] of attributeReads(perItemParts(loop), target.text, lazy)) {
        const kind = relations.get(name)!;
        ctx.report({
          start: node.startIndex,
          end: node.endIndex,
          message:
            `\`${node.text}\` lazy-loads \`${query.className}.${name}\` with one query per row of ` +
            `\`${query.head}\`; ${advice(query, name, kind)}`,
        });
      }
    }
  },
};
