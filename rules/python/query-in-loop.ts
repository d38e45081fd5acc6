import type { Node } from 'web-tree-sitter';
import type { Rule } from '../../server/src/engine/rule';
import {
  bulkCreateAdvice,
  djangoBatchWrite,
  evaluatesQuerySetVariable,
  isSubqueryOfOuterQuery,
  managerAttributeQuery,
  modelWriteHooks,
  type ModelWriteHooks,
  saveAfterCreate,
  savedAgainAdvice,
  writesQuerySetRow,
  writesRelatedManagerRow,
} from '../../server/src/python/django-round-trips';
import type { QuerySetMethodTest } from '../../server/src/python/orm';
import {
  relatedManagerReadPerRow,
  relatedReadAdvice,
  type RelatedRead,
} from '../../server/src/python/django-related-reads';
import { isDjangoQuery, isMongoCommand } from '../../server/src/python/knowledge';
import {
  asyncOrmAdvice,
  asyncOrmQueryOf,
  type AsyncOrmQuery,
} from '../../server/src/python/async-orm-models';
import { rereadsLimitedBatch } from '../../server/src/python/batch-drains';
import { inBulkWriteFallback } from '../../server/src/python/bulk-write-fallbacks';
import { isKeyedCacheFill, runsOnGroupChange } from '../../server/src/python/cache-fills';
import {
  brief,
  describeLoop,
  loopTarget,
  quoteCall,
  repeatedRoundTrips,
} from '../../server/src/python/loop-analysis';
import type { PyCall, PyLoop, PythonModel } from '../../server/src/python/model';
import { readsNothingTheLoopChanges } from '../../server/src/python/loop-invariance';
import { queriesOncePerModelClass } from '../../server/src/python/model-class-loops';
import { iteratesAtMostOneRow } from '../../server/src/python/orm-keys';
import { queriesOncePerKeyGroup } from '../../server/src/python/grouped-key-loops';
import {
  sendsInBatch,
  updatesPerRowValues,
  usesRowCountOfUpdate,
} from '../../server/src/python/loop-writes';
import {
  importedRedisCommandHolder,
  sendsSyncRedisCommand,
} from '../../server/src/python/redis-round-trips';
import { isSyncRedisClass } from '../../server/src/python/redis-clients';
import {
  newInstanceAdvice,
  savedNewInstanceClass,
} from '../../server/src/python/new-instance-saves';
import {
  COMMIT_ADVICE,
  commitsEachItem,
  commitsSession,
} from '../../server/src/python/session-commits';
import {
  FLUSH_ADVICE,
  flushesEachItem,
  flushesSession,
} from '../../server/src/python/session-flushes';
import { positionalArguments, targetNames, unwrap } from '../../server/src/python/scope-analysis';
import { oneInLookup, stopsAtFirstHit } from '../../server/src/python/first-hit-loops';
import { listTakenFromItem } from '../../server/src/python/per-item-lists';

/** The method that ends the chain `call` heads: `exists` for `Entry.objects.filter(...).exists()`. */
function lastMethodOfChain(call: PyCall): string {
  let method = call.method;
  let node: Node = call.node;
  for (;;) {
    const attribute = node.parent;
    const outer = attribute?.parent;
    if (attribute?.type !== 'attribute' || outer?.type !== 'call') return method;
    if (outer.childForFieldName('function')?.id !== attribute.id) return method;
    method = attribute.childForFieldName('attribute')?.text ?? method;
    node = outer;
  }
}

/**
 * For a count or existence check whose filter takes a list from each item: no grouped count
 * expresses one set of values per item, but one read of the union of the lists does.
 */
function perItemListAdvice(method: string, list: string, loop: PyLoop): string {
  const item = loopTarget(loop)?.text;
  const each = item ? `each \`${brief(item, 20)}\`` : 'each pass';
  const asks = /count$/.test(method) ? 'counts the rows matching' : 'tests for rows matching';
  return `${each} ${asks} its own list (\`${list}\`), which one grouped count cannot express: read the rows matching the union of every item's list once before the loop (one \`__in\` lookup), and count each item's matches in Python`;
}

/** Django counts and existence checks: one grouped query answers them for every item. */
const DJANGO_COUNTS = new Set(['count', 'acount', 'exists', 'aexists']);

/** What the workspace's models say a call's manager attribute is, when they name it. */
type WorkspaceManager = 'custom' | 'related' | undefined;

/**
 * How to make the repeated query one: the batch write Django has for it, one grouped count, or a
 * batched read.
 */
function advice(
  call: PyCall,
  loop: PyLoop,
  model: PythonModel,
  relatedManagers: () => ReadonlySet<string>,
  hooks: ModelWriteHooks,
  manager: WorkspaceManager,
  relatedRead: RelatedRead | undefined,
  isQuerySetMethod: QuerySetMethodTest,
): string {
  if (relatedRead) return relatedReadAdvice(relatedRead);
  // The loop already reads in batches: `IN (...)` would not help, ending the loop would.
  if (rereadsLimitedBatch(call, loop, model))
    return 'each pass sends the same `.limit(...)` query: end the loop when a batch comes back short (`if len(rows) < n: break`), and make sure each pass reads new rows (rows that stop matching, or a key `X.id > last_id`)';
  if (isMongoCommand(call))
    return 'batch it with `{"$in": [...]}` (or `bulk_write` for writes) in one command before the loop';
  const creates = call.method === 'create' || call.method === 'acreate';
  const a = call.method.startsWith('a') ? 'a' : '';
  if (manager === 'custom' && creates) return bulkCreateAdvice(call, hooks, model);
  // A related manager's `create` sets the relation; a `bulk_create` of the related model must
  // set it on each row itself.
  if (manager === 'related' && creates) {
    const bulk = `\`${a}bulk_create([...])\` of the related model, each row given its relation`;
    const again = saveAfterCreate(call, model);
    return again ? savedAgainAdvice(call, again, bulk) : `insert the rows with one ${bulk}`;
  }
  const write = djangoBatchWrite(call, model, relatedManagers, hooks, isQuerySetMethod);
  if (write) return write;
  // Nothing to batch by: the query reads no item of the loop.
  if (readsNothingTheLoopChanges(call, loop))
    return `it reads nothing the loop changes: if its answer is the same on every pass, run it once before the loop`;
  const last = lastMethodOfChain(call);
  if (
    DJANGO_COUNTS.has(last) &&
    (isDjangoQuery(call) || manager === 'custom' || evaluatesQuerySetVariable(call, model))
  ) {
    if ((last === 'exists' || last === 'aexists') && stopsAtFirstHit(call, loop)) {
      const one = oneInLookup(call, loop);
      const example = one ? ` (\`${one}\`)` : '';
      return `the loop stops at the first item that has a match, so one query with an \`__in\` lookup of every item answers it${example} before the loop; no count per item is needed`;
    }
    // `filter(dn__in=members)` with `members` from each item: one set of values per item.
    const list = listTakenFromItem(call, loop);
    if (list) return perItemListAdvice(last, list, loop);
    return "count for every item in one grouped query before the loop (`.values(key).annotate(n=Count('id'))`, or `annotate(Count(...))` on the items' queryset)";
  }
  // `changed = filter(pk=row.pk, status=OPEN).update(...)`, then `if changed:`: a check-and-set
  // per row, whose count no batched write returns.
  if (isDjangoQuery(call) && usesRowCountOfUpdate(call, loop))
    return 'the code uses the row count each `update()` returns (a check per row), which `bulk_update` and one `IN (...)` do not give per row: keep one `update()` per row, or lock the rows that qualify with one `select_for_update()` query and write them with one `bulk_update`';
  // `filter(pk=row.pk).update(path=new_path)`: each row gets values of its own.
  if (updatesPerRowValues(call, loop))
    return isDjangoQuery(call)
      ? 'each row gets values of its own, which one `IN (...)` cannot carry: set them on the rows and write them with one `bulk_update(rows, fields)` after the loop'
      : 'each row gets values of its own, which one `IN (...)` cannot carry: send one `update(X)` with a list of parameter sets (`session.execute(update(X), [{"id": ..., ...}, ...])`) or an `UPDATE ... FROM (VALUES ...)` after the loop';
  if (sendsInBatch(call, loop, model))
    return "it already sends one `IN (...)` per pass: collect every pass's keys and send one `IN (...)` before the loop";
  return 'batch it with `IN (...)`, eager loading or one query before the loop';
}

/** Methods that take SQL text: unlike `session.refresh(row)`, their first argument is a statement. */
const SQL_RUNNERS = new Set(['execute', 'exec_driver_sql', 'executescript', 'sql', 'raw']);

/** `text(stmt)`, `sa.text(stmt)`, `sqlalchemy.text(stmt)`: a SQL string wrapped for SQLAlchemy. */
const SQL_WRAPPERS = /^(?:(?:sa|sqlalchemy)\.)?text$/;

/**
 * Whether the call runs the loop's item as its SQL: `for sql in statements: cursor.execute(sql)`,
 * `conn.execute(text(stmt))`, `for sql, params in steps: cur.execute(sql, params)`. Each item is a
 * different statement (DDL, a sequence reset, a migration step) that must run in order; no
 * `IN (...)` can merge them.
 */
function runsLoopItem(call: PyCall): boolean {
  const loop = call.loops[call.loops.length - 1];
  if (!loop || loop.kind !== 'for' || !SQL_RUNNERS.has(call.method)) return false;
  let first = unwrap(positionalArguments(call)[0]);
  if (first?.type === 'call') {
    const wrapper = first.childForFieldName('function')?.text ?? '';
    const inner = first.childForFieldName('arguments')?.namedChildren ?? [];
    if (!SQL_WRAPPERS.test(wrapper) || inner.length !== 1) return false;
    first = unwrap(inner[0]);
  }
  return first?.type === 'identifier' && targetNames(loopTarget(loop)).includes(first.text);
}

/**
 * Calls a loop repeats that are not one query per item: memoised lookups, a list of statements,
 * one query per model class (`for cls in Base.__subclasses__(): cls.objects...`), one `IN (...)`
 * per group of keys (`for ct, ids in by_type.items(): ...filter(pk__in=ids)`).
 */
function runsOncePerKeyOrStatement(call: PyCall, model: PythonModel): boolean {
  return (
    runsLoopItem(call) ||
    isKeyedCacheFill(call, model) ||
    runsOnGroupChange(call) ||
    queriesOncePerModelClass(call, model) ||
    queriesOncePerKeyGroup(call, model)
  );
}

/**
 * Queries a loop repeats on purpose: once per key or statement (above), or one row at a time in
 * the fallback of a bulk write that failed (`except IntegrityError:` after `qs.update(...)`),
 * which runs only then and writes row by row to find the conflicting rows.
 */
function repeatsOnPurpose(call: PyCall, model: PythonModel): boolean {
  return runsOncePerKeyOrStatement(call, model) || inBulkWriteFallback(call, model);
}

/**
 * How to send a loop's Redis commands in one round trip: the multi-key form of the command, or a
 * pipeline that queues them and sends them together.
 */
const REDIS_ADVICE =
  'send them in one round trip: a multi-key command (`mget`, `mset`, `exists(*keys)`, `delete(*keys)`) or a pipeline (`pipe = r.pipeline()`, `pipe.get(k)` per item, then one `pipe.execute()`)';

/** A session commit or flush once per loop item: when it counts as one, what it does, the advice. */
interface SessionWrite {
  eachItem(call: PyCall, loop: PyLoop, model: PythonModel): boolean;
  does: string;
  advice: string;
}

const SESSION_WRITES: Record<'commit' | 'flush', SessionWrite> = {
  commit: {
    eachItem: (call, loop) => commitsEachItem(call, loop),
    does: 'commits one transaction',
    advice: COMMIT_ADVICE,
  },
  flush: { eachItem: flushesEachItem, does: 'flushes the session', advice: FLUSH_ADVICE },
};

/** A database query run once per item of a loop: the N+1 pattern. */
export const queryInLoop: Rule = {
  meta: {
    id: 'query-in-loop',
    language: 'python',
    category: 'n-plus-one',
    severity: 'warning',
    summary:
      'Database query (`db.query`, `cursor.execute`, `Model.objects.get`, `await Model.get`) or Redis command (`r.get`) inside a loop',
    docs: {
      whatItDoes:
        'Finds database queries made inside the body of a `for` or `while` loop or a comprehension: ' +
        'SQLAlchemy `session.query/execute/scalars/get`, awaited `AsyncSession` calls, DB-API ' +
        '`cursor.execute`/`conn.execute`, DuckDB `conn.sql`, asyncpg `await conn.fetch/fetchrow/fetchval`, ' +
        "encode/databases `await database.fetch_one/fetch_all(...)` and an app's own wrappers of those " +
        'names (`await db.fetchone(sql, values)`) when they send a whole SQL statement, ' +
        'SQLModel `session.exec`, Flask-SQLAlchemy `Model.query...first()`, Django ' +
        '`Model.objects.get/filter/create/...` (also through a custom manager named like one: ' +
        "`Model.all_objects`, `Model.issue_objects`, Django's own `Model._default_manager` / " +
        '`Model._base_manager`, or a manager a model of the workspace declares under a name of its own, ' +
        'itself or through an abstract base: `open = OpenCartManager()`, `QuerySet.as_manager()`, ' +
        '`Manager.from_queryset(...)()`, used as `Cart.open.filter(...)` or through a module, ' +
        '`models.Cart.open.filter(...)`) and their async twins (`aget`, `acreate`, ' +
        '`afirst`, ...), ' +
        "Django's shortcuts `get_object_or_404(Model, ...)` and `get_list_or_404(...)` (and their " +
        "async twins) imported from `django.shortcuts`, or REST framework's " +
        '`rest_framework.generics.get_object_or_404`, ' +
        'a method that runs a queryset built in a local variable (`qs.get(id=i)`, `await qs.acount()`), ' +
        '`save()`/`delete()` (`asave()`/`adelete()`) on the rows of a loop over a queryset (`for row in ' +
        'Model.objects.filter(...)`, `async for row in qs.aiterator()`, also through methods of the ' +
        "model's own QuerySet or Manager class that only narrow it: " +
        '`Job.objects.filter(...).is_finished()` after `objects = JobQuerySet.as_manager()` or ' +
        '`Manager.from_queryset(JobQuerySet)()`, where `is_finished` returns `self.filter(...)`, ' +
        'the class declared in the models file or imported from another module (`querysets.py`) ' +
        'and the method its own or inherited from a QuerySet base class of the workspace; or ' +
        '`Job.objects.finished()` after `objects = JobManager()`, where the Manager subclass returns ' +
        "`self.filter(...)` or `self.get_queryset().filter(...)`; also the loops of such a class's own " +
        'methods over `self.filter(...)`, `self.all()`, `self.exclude(...)` or ' +
        "`self.get_queryset()...`, as in Mayan EDMS's `DocumentManager.delete_stubs`, the rows " +
        "being those of the model whose manager the class makes) or over an instance's related " +
        'manager that a model of the workspace declares (`for post in author.posts.all()`, ' +
        '`author.post_set.filter(...)`, a `ManyToManyField`, also through a variable built from one ' +
        'and narrowed by itself, `items = items.filter(...)`, and `for i, post in enumerate(...)`; when the model of the workspace overrides ' +
        'that `save()`/`delete()`, itself or through an abstract base (for a related manager, the one ' +
        'model whose field adds a manager of that name, `related_name="documents"`), or when the write is given a ' +
        "keyword Django's own does not take (`row.save(update_dirty_bit_to=False)`: an override in a base " +
        'class the workspace may not hold), the advice says a queryset ' +
        '`update()`/`delete()` would skip the override instead of offering it; likewise, for a ' +
        '`save()` per row or a `Model.objects.create(...)` per item, when the model has ' +
        'django-lifecycle hooks that run on save (`@hook(AFTER_CREATE)`, not the delete ones) or the ' +
        'workspace connects a `pre_save`/`post_save` receiver for it (`@receiver(post_save, ' +
        'sender=Model)`), which `bulk_create`, `bulk_update` and `update()` skip; when the loop writes ' +
        'some rows only (the write under an `if` in the loop, or after a `continue` of its body: ' +
        'authentik deletes the generated users whose expiry has passed), the advice asks to move that ' +
        "test into the queryset's filter first, since the queryset's own write reaches every row; and when the pass " +
        'saves the row a `create(...)` made again (`port = Port.objects.create(...)`, then ' +
        '`port.address = next_free()` and `port.save()`), the advice says so and asks to build the ' +
        'objects whole before one `bulk_create`, rather than offering it for the rows as created), ' +
        '`create`/`get`/`get_or_create`/`update_or_create` (and async twins) on such a related manager ' +
        '(`order.lines.create(...)`, `book.tags.get_or_create(name=n)`, also held in an attribute of ' +
        '`self`: `self.order.lines.create(...)`), a read that derives a new queryset from such a ' +
        'related manager and runs it (`self.basket.lines.filter(product=p).exists()`), reads through a related manager ' +
        'of the rows of a loop (`for author in Author.objects.filter(...): author.posts.count()`, also ' +
        '`.exists()`, `.first()`, `.filter(...).first()`, `.aggregate(...)`, and `.all()`/`.filter(...)` ' +
        "iterated, `list(...)` or `len(...)`) when the loop's queryset is built in the function (also " +
        'sliced into a variable: `customers = Customer.objects.order_by("name")[:100]`) without ' +
        'a `prefetch_related` that names the manager (a `prefetch_related` does not help `.filter(...)`, ' +
        '`.order_by(...)`, `.last()`: they derive a new queryset and query again; when the filter takes ' +
        'values of the row, `filter(date__lt=now() - delta)` after `delta = timedelta(days=type.days)`, the ' +
        'advice offers no `Prefetch`, whose one queryset cannot state a condition per row), and pymongo/Motor collection commands ' +
        '(`db.users.find_one`, `insert_one`, `count_documents`, ...) on a collection reached through ' +
        'a name that says database or collection (`db`, `mongo_db`, `orders_collection`), and ' +
        'awaited queries of the async ORMs Tortoise and Beanie on a model class (one whose module ' +
        'imports the base from `tortoise`/`beanie` and extends it, or extends a workspace class ' +
        'that does): Tortoise `await Model.get(...)`, `get_or_none`, `filter(...)`, ' +
        '`filter(...).first()/count()/exists()`, `create`, Beanie `await Model.get(id)`, ' +
        '`find_one(...)`, `find(...).to_list()/count()`; and awaited writes and fetches on an ' +
        'instance of one, the variable of a loop over its rows or a local read or made from it ' +
        '(Tortoise `save()`, `delete()`, `fetch_related(...)`; Beanie `insert()`, `save()`, ' +
        '`fetch_link(...)`), with the batch form of that library as advice. ' +
        'Also commands of a sync redis-py client in a `for` loop or a comprehension ' +
        '(`for k in keys: r.get(k)`, `r.hset(...)`, `r.incr(...)`, `r.exists(...)`), the client made ' +
        'in the file by `redis.Redis(...)`, `redis.StrictRedis(...)`, `redis.from_url(...)` (module ' +
        'level, in the function or on `self`) or handed back by a getter function of the file ' +
        '(`r = get_redis()`), or made so at module level in another module of the workspace and ' +
        'imported (`from app.cache import redis_client`, `cache.redis_client` after `from app ' +
        'import cache`), and the `execute()` of a pipeline made from one, with a multi-key ' +
        'command or a pipeline as advice. ' +
        'And a SQLAlchemy session commit per item of a `for` loop (`session.commit()`, `await ' +
        'session.commit()`, Flask-SQLAlchemy `db.session.commit()`, in a file that imports SQLAlchemy, ' +
        'SQLModel or Flask-SQLAlchemy, on a receiver named or annotated as a session): each commit is ' +
        'a round trip and a transaction, with committing once after the loop as advice. Likewise a ' +
        'session flush per item (`session.flush()`, `await session.flush()`), with adding every row ' +
        'and flushing once after the loop as advice. A new instance of a Django model of the workspace ' +
        'built and saved in the same pass (`move = Movement(bin=b, quantity=q)`, then `move.save()` or ' +
        '`await move.asave()`) is an INSERT per item, with one `bulk_create([...])` as advice (unless ' +
        "the model's overridden `save()` or save hooks would be skipped). " +
        'An UPDATE whose values read what the loop changes (`filter(pk=row.pk).update(path=p)`, ' +
        '`execute(update(X).where(...).values(order=row.rank))`) is told to use `bulk_update` (or ' +
        "SQLAlchemy's UPDATE with a list of parameter sets), since one `IN (...)` cannot carry " +
        'values per row; a Django `update(...)` keyed to one row whose row count the code uses ' +
        '(`changed = Model.objects.filter(pk=row.pk, state=OPEN).update(...)`, then `if changed:`) ' +
        'is a check-and-set per row, which no batched write answers per row: it is told to keep one ' +
        '`update()` per row or to lock the qualifying rows with one `select_for_update()` query ' +
        'first; a statement that already filters with `IN (...)` is told to merge the ' +
        "passes' keys into one (not for `exclude(x__in=...)` or `~Q(x__in=...)`, whose per-pass " +
        '`NOT IN` lists do not merge). ' +
        'A Django count or existence check per item is told to count for every item in one grouped ' +
        'query, unless an `__in` lookup of its filter takes a list from the item (`users = ' +
        'User.objects.filter(**{"attributes__dn__in": members})` with `members` read from each LDAP ' +
        'group, then `users.count()`, as authentik counts group members): one set of values per ' +
        'item is nothing a grouped count expresses, so it is told to read the rows matching the ' +
        "union of the lists once before the loop and count each item's matches in Python. " +
        'A chain such as `db.query(User).filter(...).first()` is reported once, at its head; a Django ' +
        'queryset assigned to a variable (`qs = Model.objects.filter(...)`) is reported where a call ' +
        'in the loop runs it (`qs.count()`), once per such call.',
      whyIsThisBad:
        'Each query is a network round trip plus parsing, planning and locking on the server. One query ' +
        'per item turns a page that lists 200 orders into 201 queries: fast with ten rows in ' +
        'development, seconds of latency and a saturated connection pool in production.',
      example: [
        'def order_summaries(db: Session, order_ids: list[int]):',
        '    summaries = []',
        '    for order_id in order_ids:',
        '        order = db.query(Order).filter(Order.id == order_id).first()',
        '        summaries.append(order.summary())',
        '    return summaries',
      ].join('\n'),
      useInstead: [
        'def order_summaries(db: Session, order_ids: list[int]):',
        '    orders = db.query(Order).filter(Order.id.in_(order_ids)).all()',
        '    return [order.summary() for order in orders]',
      ].join('\n'),
      notFlagged: [
        '`fetch_one` / `fetch_all` / `fetchone` / `fetchall` calls that send no whole SQL statement: ' +
          "a cursor's `fetchall()` after one `execute`, or another object's method of that name " +
          '(`await menu.fetch_one("Select a plan", plan)`).',
        'Queries in a `for` loop over a Django queryset that holds one row at most, when no loop ' +
          'of the function encloses it: its `==` filters (keywords, or `Q` objects as ' +
          '`unbounded-orm-query` reads them; `== None` pins nothing) pin the primary key (`pk`, ' +
          '`id`), a column the model declares unique, or every column of a unique constraint ' +
          '(`filter(organization=o, email=e)` under `unique_together (organization, email)`), and ' +
          'its chain is built of lazy queryset methods that cannot hand out a row twice (a lookup ' +
          'through a relation, `teams__slug=s`, joins it). The loop runs once at most.',
        '`save()`/`delete()` on the rows of a queryset chain through a method that no QuerySet or ' +
          'Manager class of the model declares as one that only narrows it (`.with_lines()`, ' +
          "a method of another model's QuerySet, one that returns an aggregate or a row): nothing " +
          'says the chain still hands out rows of the model.',
        'In a method of a QuerySet or Manager class (its bases named `...QuerySet`, `...Manager` ' +
          'or `Manager.from_queryset(...)`), a loop over `self` alone (`for obj in self:`, how an ' +
          "override of `delete()` runs each row's own on purpose) or over its queryset sliced to one " +
          'row (`self.order_by("date")[:1]`); and `self.filter(...)` in a class that extends no ' +
          'such class (a queue with a `filter` method of its own).',
        'SQLAlchemy queries built as part of another statement: `db.query(...).subquery()`, `.cte()`, ' +
          '`.scalar_subquery()`, `.exists()`, `.statement` send nothing; the statement using them does.',
        'Loops over a fixed literal collection (`for table in ("events", "users")`), a name bound once to ' +
          'one (a module constant `TABLES = (...)`, also through `.items()` or `enumerate`; a short ' +
          'list also when a few `.append()`s outside any loop add to it, ten elements in all at ' +
          'most), a list or tuple ' +
          'of ten or fewer elements written out (`for db in (primary, replica)`), or a literal `range` of ten ' +
          'or fewer iterations: the number of queries does not grow with the data. Likewise the members ' +
          'of an Enum the module declares (`for w in Window`, `list(Window)`, or a parameter annotated ' +
          '`list[Window]`/`Sequence[Window]` that callers fill with them); an Enum imported from ' +
          'another module is not known to be one.',
        "Loops over a Django model's own fields or relations: `Model._meta.get_fields()`, " +
          '`obj._meta.fields` (also `concrete_fields`, `many_to_many`, `related_objects`...), or a ' +
          'name bound once to a comprehension with one `for` over them (`[(r.name, r.related_model) ' +
          'for r in obj._meta.related_objects]`). The schema sets the number of passes, and each ' +
          'pass reads another column or table (a merge command moving the rows that reference a ' +
          'duplicate), so no `IN (...)` merges them. A loop over rows inside or around it is ' +
          'reported.',
        'Queries through the class of a loop over model classes (`for cls in Base.__subclasses__(): ' +
          'cls.objects.filter(...).delete()`, `for model in apps.get_models(): model.objects.count()`, ' +
          '`app_config.get_models()`, `session.query(cls)`): each pass reads a different table, a fixed ' +
          'handful of them, so no `IN (...)` or grouped query can merge them. A query of one model in ' +
          'such a loop, and the rows of a loop over `cls.objects...` inside it, are still reported.',
        'One `IN (...)` query per group of keys: a loop over `groups.items()` (or `groups.values()`) ' +
          'whose query filters with `IN` on the group of the pass (`for ct_id, ids in ' +
          'ids_by_type.items(): model_class.objects.filter(pk__in=ids)`, `X.id.in_(ids)`, also ' +
          'through `list(ids)`/`set(ids)`). The queries number the groups (model types, ledgers), ' +
          'not the items: grouping the keys is the batching cure. A query on the group key ' +
          '(`filter(customer_id=customer_id)`) or one per key of the group is reported.',
        'Bulk APIs, which are the cure: `executemany`, `bulk_save_objects`, `bulk_insert_mappings`, ' +
          '`add_all`, `bulk_create`/`abulk_create`, `bulk_update`/`abulk_update`, `in_bulk`; and ' +
          '`session.add()`, which is buffered until flush.',
        'Retry loops and loops that run once: the code returns, breaks or raises right after the query ' +
          '(`for attempt in range(retries): try: return db.execute(...)`, `while True: ...; break`).',
        'Keyset or offset batching where the next query needs the previous answer (`last_id = ' +
          'rows[-1].id` after the query, or `last_id = max(last_id, row.id)` over the rows): each batch ' +
          'depends on the one before. Also when the statement is built in a variable in the loop first ' +
          '(`stmt = select(X).where(X.id > last_id).limit(n)`, then `session.execute(stmt)`). Likewise ' +
          'a `while` loop whose query reads its own previous answer, directly or through a name the ' +
          'body derives from it: a pointer chase hop by hop (`node = Port.objects.get(peer=node)`, ' +
          '`peer = node.get_peer()` then `node = Port.objects.get(rear=peer)`) or a tree walked level ' +
          'by level with one `IN (...)` per level (`level = db.execute(update(X).where(X.parent_id' +
          '.in_(level)).returning(X.id)).scalars().all()`): the keys do not exist before the loop, and ' +
          'the statements grow with the depth, not the rows. A `for` loop rebinding its own item ' +
          '(`for row in rows: row = Model.objects.get(pk=row.pk)`) is reported.',
        'A `while` loop that drains a table in batches with a SQL limit: a query of its body sends a ' +
          'statement with `.limit(n)` (inline or built in a variable in the loop), and the loop ends when ' +
          'a batch read from it comes back short or empty (`if len(rows) < n: break`, `if not rows: ' +
          'break`, or `while more:` with `more = len(rows) == n`). Each pass handles one batch, so the ' +
          "pass's other queries (`delete(X).where(X.id.in_(ids))`) run once per batch too; queries in a " +
          "loop over the batch's rows are judged by that loop. A `while` loop that sends the same " +
          '`.limit(n)` query on every pass without such an end is reported, with advice to end it on a ' +
          'short batch rather than to batch with `IN (...)`.',
        '`while` loops that sleep: they poll, which the `polling` rules judge.',
        'Loops that run a list of statements: the query runs the loop item itself as its SQL ' +
          '(`for sql in statements: cursor.execute(sql)`, `conn.execute(text(stmt))`, `for sql, params ' +
          'in steps: cur.execute(sql, params)`). Each item is a different statement (DDL, a sequence ' +
          'reset, a migration step) that must run in order, not a query per row. A loop that passes ' +
          'its item as a parameter (`cursor.execute("... WHERE id = %s", (item,))`) is reported.',
        'Lookups memoised in a keyed cache: the result is stored with `cache[key] = ...` (directly, ' +
          'through `list(...)`, or through a local then stored so) under an `if` in the loop that tests ' +
          'for a miss (`if key not in cache:`, `if cache.get(key) is None:`, `if not cached:`), and the ' +
          'cache is not made anew in the loop. The query runs once per distinct key, not per item. A ' +
          'Django queryset stored so (`cache[key] = Rule.objects.filter(...)`) runs no query there at ' +
          'all: it runs when first read, once per key. `cache.setdefault(key, query)` is reported: ' +
          'Python evaluates the default on every call, hit or miss.',
        'Queries run only when a group key changes, over rows sorted by it (a control break): ' +
          '`if key != last_key: last_key = key; rules = list(Rule.objects.filter(...))`, also ' +
          '`if a != last_a or b != last_b:` with both assigned, and an `or rules is None` for the first ' +
          'pass. The query runs once per group. The `if` must test only such comparisons (`!=`, ' +
          '`is None`), each on a name its body assigns and the ' +
          "loop's body assigns nowhere else; a comparison with a constant or a name never updated " +
          'is reported.',
        'A query that is the condition of a `while` loop (`while (job := Job.objects.filter(' +
          'done=None).first()) is not None:`): the loop drains a queue, one row per pass, each query ' +
          'seeing what the previous pass changed. The same drain written without `:=` counts too: ' +
          'the answer assigned at the top of the body and tested right after (`job = claim(); if job ' +
          'is None: break`), also inside a `with` block at the top of the body (`with ' +
          'transaction.atomic():`, a lock, a tracing span). Queries in its body are judged as usual.',
        'The iterable of a loop (`for row in db.execute(...)`), the first iterable of a comprehension, ' +
          'a `for ... else:` block, and queries inside functions or lambdas defined in the loop.',
        'Names bound to an HTTP client (`session = requests.Session()`, `self.session` set so in ' +
          '`__init__`, `async with aiohttp.ClientSession() as session`): their `get` is a request, which ' +
          "`http-call-in-loop` reports. Flask's `session` (a cookie) is not a database session either.",
        'A `session.get(...)` whose arguments are no database lookup: a URL or HTTP options (`headers=`, ' +
          '`timeout=`, `params=`, `stream=`...) make it a request, wherever the session comes from, and a ' +
          'string first makes it a dict-like web session; a database `get` takes a mapped class first.',
        'Code in tests and migrations (`tests/`, `test_*.py`, `conftest.py`, `alembic/`, `migrations/`): it runs once or on a handful of rows.',
        "Functions named like Django's shortcuts that are not imported from Django (a project's own " +
          '`get_object_or_404(items, key)` over a dict).',
        'Mongo-style method names (`find`, `find_one`, `count_documents`) on receivers whose names ' +
          'say neither database nor collection (`line.find(",")`, `cache.find_one(key)`).',
        'Loops over batches: a batching function (`chunked(ids, 500)`, `itertools.batched`), a stepped `range(0, n, size)` (also inside `tqdm(...)` or `enumerate(...)`), or a loop variable named `batch`/`chunk`; one round trip per batch is the cure.',
        'Loops over pages whose query takes the whole page in one `IN (...)` (`id__in=page`, ' +
          '`X.id.in_(page)`, `id__in=[r.id for r in page]`) when the code says the loop variable ' +
          'holds a page: it is named so (`page`, `page_of_ids`), the loop iterates a function named ' +
          'for pages or batches (`paginate_ids(...)`, `iter_pages(...)`, `id_batches(...)`), or a ' +
          'generator of the module whose every `yield` hands out a bounded slice (`yield ids[i : i + ' +
          'n]`, or `page = list(qs[:n])` then `yield page`). Merging the pages into one `IN (...)` ' +
          'would undo the paging. Queries per row of a page, in a loop over it, are reported, and so ' +
          'is a loop over groups of keys that nothing names a page (`for ids in ids_by_region(rows)`).',
        'The row-by-row fallback of a Django bulk write that failed: a `for` loop (its body and its ' +
          'iterable) in an `except` handler of a `try` whose body sends the rows in one statement, an ' +
          '`update(...)` on a queryset of the same model (`Model.objects.filter(...)`) or on the same ' +
          'queryset variable, or a `bulk_create`/`bulk_update` of the list the loop goes over ' +
          '(`try: qs.update(owner=new)`, `except IntegrityError: for row in qs: ...`). It runs only ' +
          'when that statement fails, and writes row by row on purpose, each in a savepoint of its ' +
          "own, to find the conflicting rows. The `try` body's write is judged as usual, and so is a " +
          'loop in an `except` handler whose `try` made no bulk write of its rows.',
        'A `while` loop that drains a queryset in slices: a statement of its body assigns a slice with ' +
          'an end (`ids = list(qs.values_list("id", flat=True)[:500])`), and the loop stops when that ' +
          'queryset is empty (`while qs.exists():`, `while await qs.aexists():`) or when the slice comes ' +
          'back empty (`if not ids: break`). Each pass is one batch (`Model.objects.filter(id__in=ids)' +
          '.delete()`). A pass that takes no slice (`row = qs.first()`) handles one row, and its queries ' +
          'are reported as usual.',
        'Querysets that are part of another query: the argument of `Exists(...)` or `Subquery(...)`, and ' +
          'the value of an `__in=` lookup (`filter(id__in=Entry.objects.values("doc_id"))`), also ' +
          'through a local variable the function mentions nowhere else (`ids = Entry.objects.filter(' +
          '...).values_list("doc_id", flat=True)`, then `qs.filter(id__in=ids)`, `Q(id__in=ids)`, ' +
          '`Exists(ids)`). Django compiles them into the enclosing statement, which is judged on its ' +
          'own. Any other use of the variable (iterated, `list(ids)`, `ids.count()`, handed to ' +
          'another call) may run it, and it is reported.',
        '`count()`/`exists()` (`acount()`/`aexists()`) on the very queryset variable a surrounding loop ' +
          'iterates (`for d in docs: ... docs.count()`): the rows the loop fetched answer them.',
        '`save()`/`delete()` on anything but the variable of a loop over a queryset or a new instance the ' +
          'same pass builds from a Django model of the workspace (`move = Movement(...)`, then ' +
          '`move.save()`): a form or a serializer, or objects from a list passed in, whose kind is not ' +
          'known; and an instance built before the loop and saved on every pass (one row, updated).',
        'Loops over `<instance>.<name>.all()` / `.filter(...)` where no Django model of the workspace ' +
          'declares `<name>` as a related manager (a `related_name`, the default `<model>_set`, a ' +
          "`ManyToManyField`): another library's collection (a boto3 `bucket.objects.filter(...)`), " +
          "or a plain list attribute (`order.items`). A `OneToOneField`'s reverse accessor is one row. " +
          'Likewise `<instance>.<name>.create(...)`/`.get(...)` when no model declares `<name>`, a `get` ' +
          "with a positional argument (`settings.books.get(key)` is a dict's), and other methods of a " +
          'related manager outside the shapes above. A variable built from a related manager and also ' +
          'given anything but its own narrowing (`rows = archived(book)` in a branch) is not followed.',
        "Reads through a related manager that a `prefetch_related` of the loop's queryset answers: " +
          '`.all()` iterated, `.count()`, `.exists()`, and `.first()` (answered from the prefetched rows ' +
          'when the related model has a default ordering, which the rule does not read) when a ' +
          '`prefetch_related(...)` in the chain, or in ' +
          'the assignments of the variable it is built in, names the manager (`"posts"`, ' +
          '`"posts__comments"`, `Prefetch("posts", ...)`) or names what cannot be read (`*lookups`). ' +
          'Over rows the function does not query itself (`for author in authors`, a parameter) those ' +
          'are left alone too, since the caller may have prefetched; a read that derives a new ' +
          'queryset (`.filter(...)`, `.order_by(...).first()`) is reported there only through a related ' +
          'manager a model of the workspace declares. Also left alone: a lazy related queryset kept or ' +
          'handed on (`{a.id: a.posts.all() for a in authors}`), and `count(x)` with an argument (a ' +
          "list's).",
        'Tortoise and Beanie calls on a class that no module shows extending their model base ' +
          '(a plain class with a `get` or `find_one` of its own), querysets built but not awaited ' +
          '(`[Volume.filter(...) for ...]` sends nothing), instance writes on objects whose class ' +
          'is not known (`await draft.save()` on an item of a list passed in), and the bulk forms ' +
          '(`bulk_create`, `bulk_update`, `in_bulk`, `insert_many`).',
        'Redis commands queued on a pipeline (`pipe = r.pipeline()`, then `pipe.set(k, v)` per item): ' +
          'the one `pipe.execute()` after the loop sends them together. Redis commands in a `while` ' +
          'loop: a worker or poller (`while True: job = r.blpop(...)`), a lock retry or a `scan` ' +
          'cursor has no batch of items to send at once. Clients the file does not make or get from ' +
          'a getter of its own (a parameter with no annotation, what a function of another module ' +
          'returns) are not known to be Redis, and `.get(...)` on anything else (a dict) is no ' +
          'command. An object imported from another module counts only when that module makes it ' +
          'a sync redis-py client at module level (not a workspace class with an `incr` of its ' +
          'own, not an asyncio client), and is looked up only when the call says Redis: a command ' +
          'only Redis has (`hset`, `incr`, `expire`, `setex`, `mget`...), a name that says Redis ' +
          "(`redis_client.get(k)`), or a pipeline's `execute()`; `client.get(k)` on an imported " +
          '`client` is not looked up.',
        'Session commits once per batch: under an `if` that picks every n-th item or a full buffer ' +
          '(`if i % 1000 == 0:`, `if len(pending) >= 500:`); commits in a `try` of the loop whose ' +
          '`except` rolls back (each item succeeds or fails on its own, on purpose); commits in a ' +
          'handler for any error of a `try` in the loop (`except:`, `except Exception as e:`), which run ' +
          'only for the items that failed, to record the failure (Redash disables a broken schedule and ' +
          'commits it), while a handler for a named exception (`except NoResultFound:`, which may run ' +
          'for every new item of a get-or-create) still counts; commits in a ' +
          '`while` loop (a worker committing each job) or a loop over a fixed tuple of stages; and ' +
          '`commit(...)` with arguments or in a file that imports no SQLAlchemy library. ' +
          'The same goes for `session.flush()` per item, and also for a flush inside a savepoint of ' +
          'the pass (`with session.begin_nested():`) or followed, in the same pass, by a read of a ' +
          'key of an object the pass made or iterates (`ids.append(note.id)`, `Line(order_id=' +
          'order.id)`, any `.id`, `.pk`, `.uuid` or `..._id`): the flush is what gives the key.',
        'Managers read from a lower-case name that does not say model (`archive.stored_objects`, ' +
          "a boto3 `bucket.objects`): those are other libraries' collections. A custom manager " +
          'named otherwise (`published = PublishedManager()`) counts only read from the class that ' +
          'declares it (`Post.published.filter(...)`), when that is a model of the workspace; a class ' +
          'attribute of another value (`limits = dict(...)`) is no manager.',
      ],
    },
  },
  check(ctx) {
    const model = ctx.python;
    if (!model) return;
    // `for post in author.posts.all(): post.save()`: the workspace's models say which attributes
    // are related managers.
    // Asked only for a loop shaped like one: reading the index makes the rule wait until every
    // schema file of a scan is in.
    let managers: ReadonlySet<string> | undefined;
    const relatedManagers = (): ReadonlySet<string> =>
      (managers ??= ctx.index.djangoRelatedManagers());
    // `Basket.open.filter(...)`, `order.lines.create(...)`: queries through a manager only the
    // workspace's models name. The shape is tested first; the index is asked last, as above.
    const managerKinds = new Map<PyCall, WorkspaceManager>();
    const viaWorkspaceManager = (call: PyCall): boolean => {
      const shape = managerAttributeQuery(call);
      if (!shape || isSubqueryOfOuterQuery(call, model)) return false;
      const declared =
        shape.kind === 'custom' ? ctx.index.djangoCustomManagers(shape.owner) : relatedManagers();
      if (!declared.has(shape.manager)) return false;
      managerKinds.set(call, shape.kind);
      return true;
    };
    // `for author in Author.objects.all(): author.posts.count()`: a read per row.
    const relatedReads = new Map<PyCall, RelatedRead>();
    const readsRelatedRows = (call: PyCall, model: PythonModel): boolean => {
      const read = relatedManagerReadPerRow(call, model, relatedManagers);
      if (read) relatedReads.set(call, read);
      return !!read;
    };
    // `await Author.get(id=...)` on a Tortoise model, `await doc.save()` on a Beanie document: the
    // index says which classes are their models.
    const asyncOrmQueries = new Map<PyCall, AsyncOrmQuery>();
    const ormOf = (targets: readonly string[]) => ctx.index.ormModelOf(targets, true);
    const viaAsyncOrm = (call: PyCall, model: PythonModel): boolean => {
      const query = asyncOrmQueryOf(call, model, ormOf);
      if (query) asyncOrmQueries.set(call, query);
      return !!query;
    };
    // `for job in Job.objects.filter(...).is_finished(): job.delete()`: a method of the model's
    // own QuerySet class keeps the rows the model's. Asked only for a chain with a link no lazy
    // queryset method explains.
    const isQuerySetMethod: QuerySetMethodTest = (owner, method) =>
      ctx.index.djangoQuerySetMethods(owner).has(method);
    // `for k in keys: r.get(k)` on a redis-py client: one command, one round trip, per item.
    const redisCommands = new Set<PyCall>();
    // `from app.cache import redis_client`: the index says what the other module made. Asked
    // only for a call shaped like a Redis command in a loop that is not a `while` (see below).
    const viaImportedClient = (call: PyCall, model: PythonModel): boolean => {
      if (call.loops.every((loop) => loop.kind === 'while')) return false;
      const holder = importedRedisCommandHolder(call, model);
      return !!holder && !!ctx.index.instanceClassNames(holder)?.some(isSyncRedisClass);
    };
    const isRedisCommand = (call: PyCall, model: PythonModel): boolean => {
      if (!sendsSyncRedisCommand(call, model) && !viaImportedClient(call, model)) return false;
      redisCommands.add(call);
      return true;
    };
    // `for row in rows: ...; session.commit()` / `session.flush()`: one round trip per item.
    const sessionWrites = new Map<PyCall, SessionWrite>();
    const isSessionWrite = (call: PyCall, model: PythonModel): boolean => {
      const write = commitsSession(call, model)
        ? SESSION_WRITES.commit
        : flushesSession(call, model)
          ? SESSION_WRITES.flush
          : undefined;
      if (write) sessionWrites.set(call, write);
      return !!write;
    };
    // `copy = Copy(...)`, then `copy.save()`: one INSERT per pass of a workspace Django model.
    const newInstanceSaves = new Map<PyCall, string>();
    const isDjangoModel = (className: string): boolean =>
      ctx.index.tablesOfClass(className).some(({ table }) => table.source === 'django');
    const savesNewInstance = (call: PyCall, model: PythonModel): boolean => {
      const className = savedNewInstanceClass(call, model, isDjangoModel);
      if (className) newInstanceSaves.set(call, className);
      return !!className;
    };
    const viaRelatedManagerOrAsyncOrm = (call: PyCall, model: PythonModel): boolean =>
      isRedisCommand(call, model) ||
      isSessionWrite(call, model) ||
      savesNewInstance(call, model) ||
      writesRelatedManagerRow(call, model, relatedManagers) ||
      writesQuerySetRow(call, model, isQuerySetMethod) ||
      viaWorkspaceManager(call) ||
      readsRelatedRows(call, model) ||
      viaAsyncOrm(call, model);
    const repeated = repeatedRoundTrips(ctx, 'db', repeatsOnPurpose, viaRelatedManagerOrAsyncOrm);
    // A model that overrides `save()`/`delete()`, or has lifecycle hooks or save signal receivers,
    // loses them to the bulk form.
    const hooks = modelWriteHooks(() => ctx.index);
    for (const { call, loop } of repeated) {
      // `for om in Member.objects.filter(org=o, email=e)` under a unique (org, email): one pass.
      if (iteratesAtMostOneRow(call, loop, model, () => ctx.index)) continue;
      const sessionWrite = sessionWrites.get(call);
      if (sessionWrite) {
        if (!sessionWrite.eachItem(call, loop, model)) continue;
        ctx.report({
          start: call.node.startIndex,
          end: call.node.endIndex,
          message: `\`${call.callee ? `${call.callee}()` : quoteCall(call)}\` ${sessionWrite.does} ${describeLoop(loop)}; ${sessionWrite.advice}`,
        });
        continue;
      }
      const newInstance = newInstanceSaves.get(call);
      if (newInstance) {
        ctx.report({
          start: call.node.startIndex,
          end: call.node.endIndex,
          message: `\`${quoteCall(call)}\` inserts one \`${newInstance}\` row ${describeLoop(loop)}; ${newInstanceAdvice(call, newInstance, hooks)}`,
        });
        continue;
      }
      if (redisCommands.has(call)) {
        // A `while` loop of Redis commands is a worker or a poller (`while True: job =
        // r.blpop(...)`), a lock retry or a `scan` cursor: no batch of items to send together.
        if (loop.kind === 'while') continue;
        ctx.report({
          start: call.node.startIndex,
          end: call.node.endIndex,
          message: `\`${quoteCall(call)}\` sends one Redis command ${describeLoop(loop)}; ${REDIS_ADVICE}`,
        });
        continue;
      }
      const asyncOrm = asyncOrmQueries.get(call);
      const remedy = asyncOrm
        ? asyncOrmAdvice(asyncOrm.orm, call.method)
        : advice(
            call,
            loop,
            model,
            relatedManagers,
            hooks,
            managerKinds.get(call),
            relatedReads.get(call),
            isQuerySetMethod,
          );
      ctx.report({
        start: call.node.startIndex,
        end: call.node.endIndex,
        message: `\`${quoteCall(call)}\` runs one query ${describeLoop(loop)}; ${remedy}`,
      });
    }
  },
};
