import type { Node } from 'web-tree-sitter';
import type { Rule } from '../../server/src/engine/rule';
import {
  DJANGO_MANAGER_TEXT,
  isDjangoManagerName,
  isRouteHandler,
} from '../../server/src/python/knowledge';
import type { PyCall, PyFunction, PythonModel } from '../../server/src/python/model';
import { localFlow } from '../../server/src/python/local-flow';
import {
  chainBounds,
  joinsAnotherClass,
  pinsKeyByName,
  readChainIn,
  type ChainLink,
} from '../../server/src/python/orm';
import { declaresUniqueAmong, valuePinnedColumns } from '../../server/src/python/orm-keys';
import {
  boundName,
  handsRowsToCall,
  onlyRowlessUses,
  returnsRows,
  schemasOfRows,
} from '../../server/src/python/row-flow';
import { positionalArgumentNodes } from '../../server/src/python/scope-analysis';
import type { ColumnFact } from '../../server/src/workspace/facts';
import type { WorkspaceIndex } from '../../server/src/workspace/index';

/** Prefix of the trait recording a list query: `large-column-in-list-query:<Model>:<start>:<end>`. */
const TRAIT = 'large-column-in-list-query:';

/** Column types whose values are often kilobytes or more: JSON documents, long text, blobs. */
const LARGE_TYPE =
  /^(?:\w+\.)*(?:JSON|JSONB|Text|UnicodeText|TEXT|LargeBinary|BLOB|BYTEA|LONGTEXT|MEDIUMTEXT|LONGBLOB|PickleType|HSTORE|ARRAY|JSONField|TextField|BinaryField)\b|^(?:bytes|dict|list)\b/;

/** A declaration that already loads the column lazily: `deferred(...)`, `deferred=True`. */
const DEFERRED = /\bdeferred\s*\(|\bdeferred\s*=\s*True\b/;

/** Query options that choose columns: with any of them the author decided what to load. */
const COLUMN_OPTIONS = /\b(?:load_only|defer|undefer|undefer_group|defaultload|raiseload)\b/;
/** Chain methods that select columns rather than whole entities. */
const COLUMN_SELECTING = new Set([
  'with_entities',
  'with_only_columns',
  'add_columns',
  'values',
  'values_list',
  'only',
  'defer',
]);
/** Methods that send an SQLAlchemy statement. */
const EXECUTE = new Set(['execute', 'scalars', 'exec']);

/** How many assignments deep a query variable is followed (`q = db.query(X)`, `q = q.filter()`). */
const MAX_RESOLVE_DEPTH = 3;

/**
 * The whole-row entities of a list query, and where they sit in each result tuple: `User` at 0 in
 * `query(User)`; `Task` at 0 in `select(Task, Task.owner_name)`, whose results are tuples.
 */
interface ListedEntities {
  models: string[];
  /** Positions of the entities among the selected expressions, when the results are tuples. */
  rowParts: number[];
  /**
   * The columns the filters pin to a value (`X.name == n`, `filter_by(name=n)`) when they can
   * only be the one entity's: it alone is selected and nothing is joined.
   */
  pinned: string[];
}

const NO_ENTITIES: ListedEntities = { models: [], rowParts: [], pinned: [] };

/** Entity classes among positional arguments: `User` in `query(User)` or `select(User)`. */
function entityClasses(args: Node | null | undefined): ListedEntities {
  if (!args) return NO_ENTITIES;
  const selected = positionalArgumentNodes(args);
  // After `*columns` the positions in the result tuple are unknown.
  const tuples = selected.length > 1 && !args.namedChildren.some((a) => a?.type === 'list_splat');
  const listed: ListedEntities = { models: [], rowParts: [], pinned: [] };
  selected.forEach((arg, at) => {
    if (arg.type !== 'identifier' || !/^[A-Z]/.test(arg.text)) return;
    listed.models.push(arg.text);
    if (tuples) listed.rowParts.push(at);
  });
  return listed;
}

/** A chain whose variable root is replaced by what it was assigned, with the links of every step. */
function resolvedChain(
  expression: Node,
  fn: PyFunction,
  model: PythonModel,
): { root: Node; links: ChainLink[] } {
  let { root, links } = readChainIn(expression, model);
  const seen = new Set<string>();
  for (let depth = 0; depth < MAX_RESOLVE_DEPTH && root.type === 'identifier'; depth++) {
    if (seen.has(root.text)) break;
    seen.add(root.text);
    const values = localFlow(fn).assignments.get(root.text);
    if (!values?.length) break;
    // Later reassignments (`q = q.filter(...)`) add links; the first one says where the query began.
    const later = values.slice(1).flatMap((value) => readChainIn(value, model).links);
    const origin = readChainIn(values[0], model);
    root = origin.root;
    links = [...origin.links, ...later, ...links];
  }
  return { root, links };
}

/** Whether the chain picks columns itself (`load_only`, `defer`, `with_entities`, `.only()`). */
function choosesColumns(links: readonly ChainLink[]): boolean {
  return links.some(
    (link) =>
      COLUMN_SELECTING.has(link.name) ||
      (link.name === 'options' && COLUMN_OPTIONS.test(link.args?.text ?? '')),
  );
}

/**
 * The entities with the columns the chain's filters pin: only a lone entity's, since with a join
 * or a second entity `Owner.email == e` may pin the other class (the tasks of one owner).
 */
function withPinnedColumns(
  listed: ListedEntities,
  links: readonly ChainLink[],
  fn: PyFunction,
): ListedEntities {
  if (listed.models.length !== 1 || listed.rowParts.length > 0 || joinsAnotherClass(links))
    return listed;
  return { ...listed, pinned: valuePinnedColumns(chainBounds(links, undefined, fn)) };
}

/**
 * The attribute a chain reads from one row of its query (`projects` of `Release.objects.get(...)
 * .projects.all()`, also through a variable holding the row): a related manager, whose rows are
 * of another model. Undefined when the chain reads the query's own rows (no attribute past the
 * manager), null when it reads something that is not told apart (two attributes, an attribute
 * not read from the result of a call).
 */
function relatedManagerOfRow(links: readonly ChainLink[]): string | null | undefined {
  const attributes = links.slice(1).filter((link) => link.kind === 'attribute');
  if (attributes.length === 0) return undefined;
  const at = links.indexOf(attributes[0]);
  return attributes.length === 1 && links[at - 1].kind === 'call' ? attributes[0].name : null;
}

/** A call that loads a query's rows whole: the query, and whether the call left it lazy. */
interface ListLoad {
  query: Node;
  /** A Django `.all()`: a queryset still, which loads nothing until it is iterated. */
  lazy: boolean;
}

/**
 * The query a call loads every row of: the receiver of `.all()`, or a Django queryset written in
 * `list(...)` (`list(Ticket.objects.filter(status="open"))`), which evaluates it on the spot.
 * A `list(qs)` of a variable is left alone: a name may hold anything by then, and `list(q.all())`
 * is its `.all()`'s.
 */
function listLoad(call: PyCall): ListLoad | undefined {
  if (call.method === 'all') {
    if (!call.receiver || call.args.namedChildCount > 0) return undefined;
    return { query: call.receiver, lazy: DJANGO_MANAGER_TEXT.test(call.node.text) };
  }
  if (call.qualified !== 'list' || call.hasReceiver) return undefined;
  const args = call.args.namedChildren.filter((arg) => arg?.type !== 'comment');
  const query = args.length === 1 ? args[0] : null;
  if (query?.type !== 'call' || !DJANGO_MANAGER_TEXT.test(query.text)) return undefined;
  const method = query.childForFieldName('function')?.childForFieldName('attribute')?.text;
  return method === 'all' ? undefined : { query, lazy: false };
}

/** Model classes a list query loads whole rows of; none when it is not an entity list query. */
function listedModels(listed: Node, fn: PyFunction, model: PythonModel): ListedEntities {
  const { root, links } = resolvedChain(listed, fn, model);
  if (choosesColumns(links)) return NO_ENTITIES;
  // `session.query(User)...`
  const query = links.find((link) => link.kind === 'call' && link.name === 'query');
  if (query) return withPinnedColumns(entityClasses(query.args), links, fn);
  // Flask-SQLAlchemy `User.query...` and Django `Ticket.objects...`.
  const first = links[0];
  if (
    root.type === 'identifier' &&
    /^[A-Z]/.test(root.text) &&
    first?.kind === 'attribute' &&
    (first.name === 'query' || isDjangoManagerName(first.name))
  ) {
    const related = relatedManagerOfRow(links);
    if (related === undefined)
      return withPinnedColumns({ models: [root.text], rowParts: [], pinned: [] }, links, fn);
    // `Release.objects.get(...).projects.all()`: the rows of a related manager of one Release,
    // which the workspace check resolves to their model (`Release.projects`).
    return related && first.name !== 'query'
      ? { models: [`${root.text}.${related}`], rowParts: [], pinned: [] }
      : NO_ENTITIES;
  }
  // `session.execute(select(User)...).scalars().all()`, `session.scalars(stmt).all()`
  const execute = links.find((link) => link.kind === 'call' && EXECUTE.has(link.name));
  const statement = execute?.args ? positionalArgumentNodes(execute.args)[0] : undefined;
  if (!statement) return NO_ENTITIES;
  const select = resolvedChain(statement, fn, model);
  if (select.root.type !== 'call' || choosesColumns(select.links)) return NO_ENTITIES;
  const callee = select.root.childForFieldName('function')?.text ?? '';
  if (!/(?:^|\.)select$/.test(callee)) return NO_ENTITIES;
  return withPinnedColumns(
    entityClasses(select.root.childForFieldName('arguments')),
    select.links,
    fn,
  );
}

/** The value of `response_model=` in a route decorator: `list[EventOut]`, `schemas.Page[EventOut]`. */
const RESPONSE_MODEL = /\bresponse_model\s*=\s*([\w.[\], |]+)/;
const CLASS_NAME = /[A-Z]\w*/g;

/** The schema class a route serializes its result with: the last class named in `response_model=`. */
function responseModelOf(fn: PyFunction): string | undefined {
  for (const decorator of fn.decorators) {
    const value = RESPONSE_MODEL.exec(decorator)?.[1];
    const names = value ? [...value.matchAll(CLASS_NAME)].map((m) => m[0]) : [];
    const last = names.filter((name) => name !== 'List' && name !== 'Optional').pop();
    if (last) return last;
  }
  return undefined;
}

/**
 * The list queries of one function, as traits for the workspace check:
 * `<prefix><Model>:<start>:<end>:<response model>:<schemas>:<pinned>`. A query whose rows the
 * function hands out is recorded only for a route with a `response_model`, the one serializer the
 * rule can read; `<schemas>` (comma-separated) are the classes the function builds from the rows,
 * `<pinned>` (comma-separated) the columns its filters pin to a value.
 */
function listQueryTraits(fn: PyFunction, calls: PyCall[], pyModel: PythonModel): string[] {
  const traits: string[] = [];
  for (const call of calls) {
    if (call.method !== 'all' && call.method !== 'list') continue;
    const load = listLoad(call);
    if (!load) continue;
    const { models, rowParts, pinned } = listedModels(load.query, fn, pyModel);
    // `filter(X.id == i)`: one row by its key, not a list (the workspace check asks the models
    // about the other pinned columns).
    if (models.length === 0 || pinsKeyByName(pinned)) continue;
    let responseModel = '';
    let schemas: string[] = [];
    const name = boundName(call);
    // A Django queryset is lazy: bound and then only counted, its `.all()` loads no rows. (A
    // SQLAlchemy `.all()` and `list(...)` run at once: the list is loaded whatever comes next.)
    if (name && load.lazy && onlyRowlessUses(fn, name, pyModel.source)) continue;
    if (returnsRows(call, name, fn, pyModel.source)) {
      responseModel = (isRouteHandler(fn) && responseModelOf(fn)) || '';
      if (!responseModel) continue;
    } else if (handsRowsToCall(call, calls, name, fn, pyModel, rowParts)) continue;
    else schemas = schemasOfRows(call, calls, name, rowParts);
    for (const model of models)
      traits.push(
        `${TRAIT}${model}:${call.start}:${call.end}:${responseModel}:${schemas.join(',')}:${pinned.join(',')}`,
      );
  }
  return traits;
}

/** A class declared in the workspace, as text: enough to see which fields a schema declares. */
interface ClassText {
  body: string;
  bases: string[];
}

const CLASS_HEADER = /^class\s+(\w+)\s*(?:\(([^)]*)\))?\s*:/gm;
const NEXT_TOP_LEVEL = /\n(?=\S)/g;

/** Top-level classes of the workspace's Python files, by name (first declaration wins). */
function classTexts(files: Iterable<string>, textOf: (file: string) => string | undefined) {
  const classes = new Map<string, ClassText>();
  for (const file of files) {
    const text = textOf(file);
    if (!text || !file.endsWith('.py')) continue;
    for (const match of text.matchAll(CLASS_HEADER)) {
      if (classes.has(match[1])) continue;
      NEXT_TOP_LEVEL.lastIndex = match.index + match[0].length;
      const end = NEXT_TOP_LEVEL.exec(text)?.index ?? text.length;
      const bases = (match[2] ?? '')
        .split(',')
        .map((base) => base.trim().split('.').pop() ?? '')
        .filter(Boolean);
      classes.set(match[1], { body: text.slice(match.index, end), bases });
    }
  }
  return classes;
}

/** Whether a schema class (or a base) declares a field `attribute`; undefined when unknown. */
function declaresField(
  classes: Map<string, ClassText>,
  name: string,
  attribute: string,
  depth = 0,
): boolean | undefined {
  const cls = classes.get(name);
  if (!cls || depth > 5) return undefined;
  if (cls.body.includes(`${attribute}:`) || cls.body.includes(`${attribute} =`)) return true;
  return cls.bases.some((base) => declaresField(classes, base, attribute, depth + 1) === true);
}

/** Large columns of a model that load with every row: not deferred in the declaration. */
function eagerLargeColumns(
  columns: ColumnFact[],
  modelFile: string,
  textOf: (file: string) => string | undefined,
): ColumnFact[] {
  return columns.filter((column) => {
    if (!LARGE_TYPE.test(column.type)) return false;
    // A column inherited from a base class in another file is declared there.
    const text = textOf(column.file ?? modelFile);
    return !(text && DEFERRED.test(text.slice(column.start, column.end)));
  });
}

/** Whether code reads an attribute: `row.payload`, `row["payload"]`, `getattr(row, 'payload')`. */
function readsColumn(code: string, attribute: string): boolean {
  return (
    code.includes(`.${attribute}`) ||
    code.includes(`"${attribute}"`) ||
    code.includes(`'${attribute}'`)
  );
}

/**
 * The model whose rows a list query loads, as its trait names it: a model class, or a related
 * manager of one row of a model (`Release.projects`), whose rows are those of the model the
 * relation field names; undefined when the workspace's models do not tell.
 */
function rowsModel(index: WorkspaceIndex, listed: string): string | undefined {
  const dot = listed.indexOf('.');
  if (dot === -1) return listed;
  return index.djangoRelatedRows(listed.slice(0, dot), listed.slice(dot + 1));
}

/** Large JSON/Text/binary columns loaded by queries that list whole rows. */
export const largeColumnInListQuery: Rule = {
  meta: {
    id: 'large-column-in-list-query',
    language: 'python',
    category: 'over-fetching',
    severity: 'hint',
    summary: 'List query loads large `JSON`/`Text`/binary columns of every row',
    docs: {
      whatItDoes:
        'Finds ORM queries that load whole rows of a model as a list (`session.query(X)...all()`, ' +
        '`session.execute(select(X)).scalars().all()`, `session.scalars(stmt).all()`, `X.query...all()`, ' +
        '`X.objects...all()`, `list(X.objects.filter(...))`) when the model declares large columns (`JSON`, `JSONB`, `Text`, `LargeBinary`, ' +
        '`Mapped[dict]`, Django `JSONField`/`TextField`) that are neither deferred in the model nor left out ' +
        'by the query, when nothing uses those columns: the function builds its result without reading them ' +
        '(and the schema classes it builds from the rows with `Out.model_validate(row)` do not declare them), ' +
        'or it is a route whose `response_model` schema does not include them.',
      whyIsThisBad:
        'A list view usually shows a few short fields per row, yet every row also drags its JSON payload or ' +
        'text body from the database, over the network and into Python objects. With documents of tens of ' +
        'kilobytes, a page of 100 rows moves megabytes, and the query time, memory and serialization cost ' +
        'grow with the document size rather than with what the page shows.',
      example: [
        'class Ticket(Base):',
        '    __tablename__ = "tickets"',
        '    id = Column(Integer, primary_key=True)',
        '    title = Column(String(200))',
        '    payload = Column(JSON)',
        '',
        'def ticket_titles(db: Session) -> list[dict]:',
        '    tickets = db.query(Ticket).order_by(Ticket.id.desc()).limit(50).all()',
        '    return [{"id": t.id, "title": t.title} for t in tickets]',
      ].join('\n'),
      useInstead: [
        'from sqlalchemy.orm import load_only',
        '',
        'def ticket_titles(db: Session) -> list[dict]:',
        '    tickets = (',
        '        db.query(Ticket)',
        '        .options(load_only(Ticket.id, Ticket.title))',
        '        .order_by(Ticket.id.desc()).limit(50).all()',
        '    )',
        '    return [{"id": t.id, "title": t.title} for t in tickets]',
      ].join('\n'),
      notFlagged: [
        'A Django queryset bound to a name and then only counted or checked (`qs.count()`, `qs.exists()`, `qs.aggregate(...)`, `qs.update(...)`, `qs.values_list(...)`): it runs its own SQL and loads no rows; or only used to look up single rows (`qs.get(pk=pk)`, `qs.first()`): each loads one row, not a list.',
        'Columns declared lazily (`deferred(Column(JSON))`, `mapped_column(JSON, deferred=True)`).',
        'Queries that choose columns: `.options(load_only(...))`, `defer(...)`, `undefer(...)`, ' +
          '`with_entities(...)`, `with_only_columns(...)`, column selects (`select(Ticket.id, Ticket.title)`), ' +
          'Django `.only()`, `.defer()`, `.values()`, `.values_list()`.',
        'Functions that read the large column themselves (`ticket.payload`, `"payload"`): they need it, and ' +
          'deferring it would add one query per row.',
        'Rows handed out whole to code the rule cannot see: returned from a service function (its callers may ' +
          'read the column), also in parentheses or inside a dict, tuple or page object ' +
          '(`return {"items": rows, "total": n}`), or as a Django queryset narrowed on the way out ' +
          '(`qs = Issue.objects.all()`, then `return qs.filter(...).select_related("project")`: a lazy ' +
          'queryset whose callers choose the columns), or from a route without `response_model=`; and routes whose ' +
          '`response_model` schema (or a base class) declares the column, or is not a class of the workspace.',
        'Rows, or a row of them, passed to another call (`add_to_index(writer, doc)` in a loop over them, ' +
          '`notify(users=rows)`, `post_save.send(sender=Doc, instance=doc)`), in the workspace or not: like a ' +
          'caller of a function that returns them, the callee may read the column. This includes rows bound ' +
          'by a walrus (`if rows := (await session.scalars(stmt)).all():`) and, for a select of an entity ' +
          'with other columns (`select(Task, Owner.name)`), the entity unpacked from each result tuple ' +
          '(`[to_dto(task) for task, owner_name in results]`). Passing only the other parts of the tuple (`int(count)`) or only other columns ' +
          '(`send(doc.id, doc.title)`), the rows to `len(...)` or a lambda in `map`/`filter`, or a row as a ' +
          'Django filter value (`Q(agent=agent)`, `.filter(agent=agent)`, which use its key) still counts as ' +
          'reading them locally.',
        'Rows serialized whole by their own Pydantic / SQLModel method in a loop over them ' +
          '(`[remove_api_keys(flow.model_dump()) for flow in flows]`, `flow.model_dump_json()`, ' +
          "pydantic v1's `.dict()` / `.json()`): the dump holds every column, the large one included. " +
          'A dump of something built from the row (`FlowName(name=flow.name).model_dump()`) reads only ' +
          'what that reads.',
        'Rows turned into schema objects (`[Out.model_validate(r) for r in rows]`, `Out.from_orm(r)`, also ' +
          'the entity of each result tuple: `Out.model_validate(task) for task, n in rows`, ' +
          '`Out.parse_obj(r)`) of a class that (or whose base class) declares the column, or that is not a ' +
          'class of the workspace: it may read any column.',
        'Rows bound from a chain awaited whole (`memories = await db.query(Memory).all()` on an async ' +
          'session wrapper) are followed like rows bound from a plain `.all()`: turned into a schema ' +
          'that declares the column, handed to a call or returned, they count as read.',
        'Single-row reads (`.first()`, `.one()`, `.get()`), and queries of models the workspace index does not ' +
          'know or knows under several definitions.',
        'Lookups of one row through a list method: `==` on the primary key or a column the model declares ' +
          '`unique` (`db.query(Cert).filter(Cert.name == name).all()`, `filter_by(id=i)`, Django ' +
          '`filter(pk=pk)`), as `unbounded-orm-query` judges them. Only for a query of that one model with ' +
          'nothing joined (`select(Task).join(Owner).where(Owner.email == e)` lists the tasks of one owner), ' +
          'and not `== None` (every row without a value).',
        'Queries at module level, and Django querysets evaluated without `.all()` other than by ' +
          '`list(...)` around the query itself (`list(Ticket.objects.filter(...))` is read): a ' +
          '`list(qs)` of a variable, `for t in qs`.',
        'The rows of a related manager of one row (`release.projects.all()` after `release = ' +
          'Release.objects.get(...)`, `Agent.objects.get(pk=pk).queues.all()`) are not taken for ' +
          "rows of that row's model: they are judged as rows of the model the relation field names " +
          '(`projects = ManyToManyField(Project)` on `Release`), or of the model that declares the ' +
          '`ForeignKey` / `ManyToManyField` whose reverse accessor it is (`related_name="queues"`, ' +
          "or `<model>_set`). A manager no relation field of the workspace declares (a package's " +
          '`TaggableManager`), or one reached through two attributes, is left alone.',
      ],
    },
  },
  pythonTraits: listQueryTraits,
  checkWorkspace(ctx) {
    const texts = new Map<string, string | undefined>();
    const textOf = (file: string): string | undefined => {
      if (!texts.has(file)) texts.set(file, ctx.readText(file));
      return texts.get(file);
    };
    let classes: Map<string, ClassText> | undefined;
    for (const facts of ctx.index.allFacts()) {
      for (const fn of facts.functions) {
        for (const trait of fn.traits) {
          if (!trait.startsWith(TRAIT)) continue;
          const [traitModel, start, end, responseModel, schemaList, pinnedList] = trait
            .slice(TRAIT.length)
            .split(':');
          const schemas = schemaList ? schemaList.split(',') : [];
          const model = rowsModel(ctx.index, traitModel);
          if (!model) continue;
          const tables = ctx.index.tablesOfClass(model);
          if (tables.length !== 1) continue;
          const { file: modelFile, table } = tables[0];
          // `filter(X.name == n)` on a unique `name` loads one row at most: not a list query
          // (`unbounded-orm-query` judges it so too).
          if (pinnedList && declaresUniqueAmong(table, pinnedList.split(','))) continue;
          const large = eagerLargeColumns(table.columns, modelFile, textOf);
          if (large.length === 0) continue;
          let unread: ColumnFact[];
          let reader: string;
          if (responseModel || schemas.length > 0)
            classes ??= classTexts(
              [...ctx.index.allFacts()].map((f) => f.file),
              textOf,
            );
          if (responseModel) {
            // An unknown schema may serialize anything: stay quiet.
            if (!classes!.has(responseModel)) continue;
            unread = large.filter(
              (column) => !declaresField(classes!, responseModel, column.attribute),
            );
            reader = `\`${responseModel}\` does not include them`;
          } else {
            // Rows handed to a schema the workspace does not declare: it may read any column.
            if (schemas.some((schema) => !classes!.has(schema))) continue;
            const body = textOf(facts.file)?.slice(fn.start, fn.end) ?? '';
            unread = large.filter(
              (column) =>
                !readsColumn(body, column.attribute) &&
                !schemas.some((schema) => declaresField(classes!, schema, column.attribute)),
            );
            reader = `\`${fn.name}\` does not read them`;
            if (schemas.length > 0) {
              const names = schemas.map((schema) => `\`${schema}\``).join(', ');
              reader += ` and ${names} ${schemas.length > 1 ? 'do' : 'does'} not include them`;
            }
          }
          if (unread.length === 0) continue;
          const listed = unread
            .slice(0, 3)
            .map((column) => `\`${model}.${column.attribute}\` (${column.type})`)
            .join(', ');
          const more = unread.length > 3 ? ` and ${unread.length - 3} more` : '';
          const remedy =
            table.source === 'django'
              ? 'leave them out with `.only(...)` or `.defer(...)`'
              : 'leave them out with `.options(load_only(...))` or declare them `deferred`';
          ctx.report(facts.file, {
            start: Number(start),
            end: Number(end),
            message: `This list query loads ${listed}${more} for every row although ${reader}; ${remedy}`,
          });
        }
      }
    }
  },
};
