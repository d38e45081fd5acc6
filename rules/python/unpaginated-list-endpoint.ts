import type { FileContext, Rule, WorkspaceContext } from '../../server/src/engine/rule';
import { callTargets } from '../../server/src/python/facts';
import { callsByFunction, type PyCall, type PyFunction } from '../../server/src/python/model';
import { pythonSqlUnits } from '../../server/src/python/embedded-sql';
import { mayReturnSqlRows } from '../../server/src/python/orm';
import { mayLoadByKeyList } from '../../server/src/python/orm-keys';
import {
  hasPaging,
  answersOneObject,
  answersOneObjectWithRows,
  isGetHandler,
  isReturnedAsIs,
  MAX_SERVICE_HOPS,
  pageFix,
  reportedReturnedReads,
  RETURNS_CALL,
  RETURNS_READ,
  returnedReads,
  UNPAGINATED_ROUTE,
} from '../../server/src/python/list-endpoints';
import { flowsToReturn } from '../../server/src/python/local-flow';
import {
  defaultPageSizeFix,
  pagedInNameOnly,
  passesSizeTraits,
  PASSES_SIZE,
  sizedByTraits,
  sizedParameter,
  type OptionalPageSize,
  type PassedPageSize,
} from '../../server/src/python/optional-page-sizes';
import type { FunctionFacts } from '../../server/src/workspace/facts';
import type { IndexedFunction } from '../../server/src/workspace/index';

/** Trait: such a route answers one object, which carries the rows it returns (a detail endpoint). */
const ONE_OBJECT_ROUTE = 'answers-one-object';

/**
 * For a detail endpoint (`answersOneObjectWithRows`): the rows are a list inside the one object it
 * answers with, so the advice is to serve that list on its own paged endpoint or cut it to a preview.
 */
function detailMessage(handler: string, rows: string): string {
  return (
    `Endpoint \`${handler}\` answers one object that embeds every row ${rows}: nothing bounds ` +
    'that list, so the response grows with the table; serve it from a paged endpoint of its ' +
    'own, or embed a bounded preview with a count'
  );
}

function checkDirect(ctx: FileContext): void {
  const model = ctx.python;
  if (!model) return;
  let calls: Map<PyFunction, PyCall[]> | undefined;
  for (const fn of model.functions) {
    if (!isGetHandler(fn, model)) continue;
    calls ??= callsByFunction(model);
    if (hasPaging(fn, calls.get(fn) ?? [])) {
      reportPagedInNameOnly(ctx, fn);
      continue;
    }
    const reads = reportedReturnedReads(model, fn, ctx.sqlUnits, ctx.index);
    if (reads.length === 0) continue;
    const name = fn.node.childForFieldName('name') ?? fn.node;
    const fix = pageFix(model, fn, reads);
    const handler = fn.className ? `${fn.className}.${fn.name}` : fn.name;
    ctx.report({
      start: name.startIndex,
      end: name.endIndex,
      message: answersOneObjectWithRows(fn, model)
        ? detailMessage(handler, `${reads[0].label} matches`)
        : `List endpoint \`${handler}\` returns every row ${reads[0].label} matches and takes no ` +
          'page parameters: response size grows with the table',
      fixes: fix ? [fix] : [],
    });
  }
}

/** The message for a handler whose page size may be None: `bounds` says what it bounds, and how. */
function pagedInNameOnlyMessage(
  handler: string,
  size: OptionalPageSize,
  bounds: string,
  noLimit: string,
): string {
  return (
    `List endpoint \`${handler}\` ${bounds} only by \`${size.name}\`, which ${size.why}: ` +
    `${noLimit} sets no limit, so a request without it gets every row; give it a default page size ` +
    'and a maximum'
  );
}

/**
 * A handler whose page size may be None (`limit: int | None = None`) and goes as it is to the
 * read's `.limit(limit)`: a request without it gets every row.
 */
function reportPagedInNameOnly(ctx: FileContext, fn: PyFunction): void {
  const model = ctx.python!;
  for (const { size, read } of pagedInNameOnly(model, fn, ctx.index)) {
    const name = fn.node.childForFieldName('name') ?? fn.node;
    const handler = fn.className ? `${fn.className}.${fn.name}` : fn.name;
    const fix = defaultPageSizeFix(size);
    ctx.report({
      start: name.startIndex,
      end: name.endIndex,
      message: pagedInNameOnlyMessage(
        handler,
        size,
        `bounds ${read.label}`,
        read.orm?.kind === 'django' ? '`[:None]`' : '`.limit(None)`',
      ),
      fixes: fix ? [fix] : [],
    });
  }
}

/**
 * Handlers handing a page size that may be None to a service function whose returned read only
 * `.limit(<that parameter>)` bounds (`PASSES_SIZE`, `SIZED_BY`).
 */
function checkPassedPageSizes(ctx: WorkspaceContext): void {
  for (const facts of ctx.index.allFacts()) {
    for (const fn of facts.functions) {
      for (const trait of fn.traits) {
        if (!trait.startsWith(PASSES_SIZE)) continue;
        const passed = JSON.parse(trait.slice(PASSES_SIZE.length)) as PassedPageSize;
        const site = fn.calls.find((call) => call.start === passed.at);
        const target = site && ctx.index.resolve(site.targets);
        const param = target && sizedParameter(target.fn.traits, passed.argument);
        if (!param) continue;
        const fix = defaultPageSizeFix(passed.size);
        ctx.report(facts.file, {
          start: fn.nameStart,
          end: fn.nameEnd,
          message: pagedInNameOnlyMessage(
            fn.name,
            passed.size,
            `bounds the rows of \`${site.callee}()\``,
            `\`.limit(${param})\` in \`${target.fn.name}\` given None`,
          ),
          fixes: fix ? [fix] : [],
        });
      }
    }
  }
}

/** The service call through which a handler returns an unbounded read, if any. */
function unboundedVia(
  ctx: WorkspaceContext,
  fn: FunctionFacts,
  seen: Set<FunctionFacts>,
  hops: number,
): { callee: string; target: IndexedFunction } | undefined {
  if (hops >= MAX_SERVICE_HOPS || seen.has(fn)) return undefined;
  seen.add(fn);
  for (const trait of fn.traits) {
    if (!trait.startsWith(RETURNS_CALL)) continue;
    const start = Number(trait.slice(RETURNS_CALL.length));
    const site = fn.calls.find((call) => call.start === start);
    const target = site && ctx.index.resolve(site.targets);
    if (!site || !target) continue;
    if (target.fn.traits.includes(RETURNS_READ)) return { callee: site.callee, target };
    const deeper = unboundedVia(ctx, target.fn, seen, hops + 1);
    if (deeper) return { callee: site.callee, target: deeper.target };
  }
  return undefined;
}

function checkThroughServices(ctx: WorkspaceContext): void {
  for (const facts of ctx.index.allFacts()) {
    for (const fn of facts.functions) {
      // Handlers that make the read themselves are reported by the per-file check.
      if (!fn.traits.includes(UNPAGINATED_ROUTE) || fn.traits.includes(RETURNS_READ)) continue;
      const via = unboundedVia(ctx, fn, new Set(), 0);
      if (!via) continue;
      const where =
        via.target.fn.name === via.callee.split('.').pop()
          ? 'no limit'
          : `the read in \`${via.target.fn.name}\` has no limit`;
      const rows = `\`${via.callee}()\` loads (${where})`;
      ctx.report(facts.file, {
        start: fn.nameStart,
        end: fn.nameEnd,
        message: fn.traits.includes(ONE_OBJECT_ROUTE)
          ? detailMessage(fn.name, rows)
          : `List endpoint \`${fn.name}\` returns every row ${rows} ` +
            'and takes no page parameters: response size grows with the table',
      });
    }
  }
}

/** List endpoints that return every row of a table and take no page parameters. */
export const unpaginatedListEndpoint: Rule = {
  meta: {
    id: 'unpaginated-list-endpoint',
    language: 'python',
    category: 'unbounded-query',
    severity: 'warning',
    summary: 'List endpoint returns every row of a query and takes no page parameters',
    fix: {
      title: 'Add `skip`/`limit` parameters and page the query',
      safety: 'unsafe',
      availability: 'sometimes',
    },
    docs: {
      whatItDoes:
        'Finds GET route handlers (FastAPI `@app.get`/`@router.get`, Flask `@app.route`/`@bp.get`, DRF ' +
        '`@api_view`, Django views in `views.py`) that return an ORM read with no limit (see ' +
        '`unbounded-orm-query`) or the rows of a raw SQL `SELECT` with no `LIMIT` (see `unbounded-select`), ' +
        'made in the handler or in a service function it calls (up to three calls deep, in any file of ' +
        'the workspace), and that give the client no way to ask for a page: no `limit`, `skip`, `offset`, ' +
        '`page`, `page_size`, `per_page`, `cursor`... parameter, no such key read from the query string, ' +
        'no paginator. `unbounded-orm-query` and `unbounded-select` report the query; this rule reports ' +
        'the API contract, on the handler name. A detail endpoint that answers one object embedding ' +
        'such rows (every `return` builds a dict or an object, `{"project": project, "members": rows}`, ' +
        '`ProjectDetail(...)` or `jsonify(...)` / `JSONResponse(...)` of a dict, and the route has a ' +
        'one-object `response_model` or a path that ends ' +
        'in a path parameter, `/projects/{project_id}`) is reported as well: the embedded list grows ' +
        'the same way, and the finding asks to serve it from a paged endpoint of its own or to embed a ' +
        'bounded preview. A service read whose rows only such endpoints return is ' +
        'reported here alone: `unbounded-orm-query` leaves it to the endpoints. A handler that pages ' +
        'in name only is reported too: its page size defaults to None (`limit: int | None = None`, ' +
        '`Query(None, le=500)`, Flask\'s `request.args.get("limit", type=int)` with no default), is ' +
        'never given a value in the handler, and is all that bounds a read it returns, as ' +
        "`.limit(limit)` (also under `if limit:`) or Django's `[:limit]`, in the handler or in a " +
        'workspace function the handler hands it to (by keyword or position) and returns the result ' +
        'of, one call deep, where it lands in a parameter that function never rebinds and only passes ' +
        "to `.limit(...)` of a read it returns. SQLAlchemy's " +
        '`.limit(None)` and `[:None]` set no limit, so a request that leaves the parameter out gets ' +
        'every row.',
      whyIsThisBad:
        'A list endpoint without pages answers with the whole table: the response grows with the data, and ' +
        'so do serialisation time, memory and transfer. Clients cannot ask for less, and adding paging later ' +
        'changes the API for every client. One large tenant or a crawler hitting the endpoint can stall the ' +
        'worker that serves everybody else.',
      example: [
        '@router.get("/orders")',
        'def list_orders(db: Session = Depends(get_db)):',
        '    return db.query(Order).order_by(Order.id).all()',
      ].join('\n'),
      useInstead: [
        '@router.get("/orders")',
        'def list_orders(db: Session = Depends(get_db), skip: int = 0, limit: int = 100):',
        '    return db.query(Order).order_by(Order.id).offset(skip).limit(limit).all()',
      ].join('\n'),
      notFlagged: [
        'Handlers with page parameters (`limit`, `skip`, `offset`, `page`, `page_size`, `per_page`, `size`, `max_count`, `max_results`, `cursor`, `after`, `before`, ...; `count`, `first` and `top` when an `int` annotation or an integer default, `Query(10, le=100)`, says they hold a number, not `count: bool`), a pagination dependency (`params: Params = Depends()`), a `Page[...]` response model, or that read such keys from `request.args` / `request.GET` / `request.query_params`.',
        'Handlers that paginate: `.paginate(...)`, Django `Paginator`, DRF `paginate_queryset`.',
        'Handlers whose read is bounded, reads one row, counts, or looks up by key (everything `unbounded-orm-query` leaves alone), ' +
          'or returns the child rows of one parent the way `unbounded-orm-query` exempts them (an `==` on a ' +
          'foreign key, also through a joined many-to-many link class: the tags of one collection), when the ' +
          'handler makes the read itself; the rows of one tenant and of a log stay reported.',
        'Handlers that only use the rows without returning them (`len(rows)`, a computed summary), or ' +
          'only to choose the rows they return: the ids of a filter or an IN list ' +
          '(`query(Item).filter(Item.parent_id.in_([p.id for p in parents]))`), in the handler or in a ' +
          'service function whose query the handler runs.',
        'FastAPI handlers whose `response_model` is one object (`response_model=schemas.Message`, ' +
          '`dict`) and that return the read or the service call as it is (`return ' +
          'repo.get_message(id)`): FastAPI validates that value as one object, so it cannot be the ' +
          'rows. A model named like a collection (`MessageList`, `OrderPage`, `ItemsResponse`, a ' +
          'plural) may wrap a list and stays reported, as do results handed on inside another value.',
        'Page sizes that are never None where the read uses them: a default page size (`limit: int = 50`, ' +
          '`request.args.get("limit", 20, type=int)`), a value given in the handler (`limit = limit or ' +
          '100`), or an expression (`.limit(min(limit or 50, 500))`); an `offset`, `page` or `cursor` ' +
          'that defaults to None (it picks the first page, it never widens one); a service function that ' +
          'gives None a page size of its own (`limit = limit or 50`) or bounds a read it does not return; ' +
          'page sizes handed on more than one call deep, or to Django slices in a service; functions ' +
          'that are not route handlers, whose callers decide what to pass.',
        'POST/PUT/PATCH/DELETE handlers, and DRF `@action(detail=True)`.',
        'Django generic `ListView`s (they page with `paginate_by`) and DRF viewsets (their paginator pages).',
      ],
      fixSafety:
        'Unsafe: it changes the endpoint contract. Offered only for a FastAPI handler that returns one ' +
        'SQLAlchemy read it makes itself and whose signature does not end in `**kwargs`: it adds ' +
        '`skip: int = 0, limit: int = 100` and `.offset(skip).limit(limit)` on the query, so clients that ' +
        'relied on getting every row now get the first 100. `unbounded-orm-query` offers no `.limit(n)` on ' +
        'that read, so applying the fixes of both rules pages it once. Reads made in a service function, Django and ' +
        'Flask handlers get no fix: the page must be threaded through code the fix cannot see whole. ' +
        'Nor do detail endpoints that embed the rows in one object: `skip`/`limit` beside ' +
        '`/projects/{project_id}` would read as paging projects, and the embedded list would silently ' +
        'lose rows; `unbounded-orm-query` keeps its own bound on that read. A page size that defaults to ' +
        'None gets a default of 100 in its place (`limit: int | None = 100`, `Query(100, le=500)`, ' +
        '`request.args.get("limit", 100, type=int)`): a client that sent no page size now gets 100 rows.',
    },
  },
  pythonTraits(fn, calls, model) {
    const traits: string[] = [];
    // Extracting the file's SQL again costs: only when this function may return SQL rows.
    const sql = calls.some((call) => mayReturnSqlRows(fn, call, model.source));
    // The models cannot be asked here: a read by a list that may hold keys gets the benefit of
    // the doubt, as `readsByKey` would give it for a model outside the workspace.
    const reads = returnedReads(model, fn, sql ? pythonSqlUnits(model) : []).filter(
      (read) => !read.orm || !mayLoadByKeyList(read.orm),
    );
    if (reads.length > 0) traits.push(RETURNS_READ);
    const handler = isGetHandler(fn, model);
    // `response_model=Message` with `return repo.get_message(id)`: FastAPI validates that result
    // as one object, so whatever the service reads, it does not answer with its rows.
    const oneObject = answersOneObject(fn, model);
    for (const call of calls) {
      if (!call.callee || call.inLambda) continue;
      if (callTargets(call, model).length === 0) continue; // never a workspace function
      // Names first, nodes last: the receiver costs a node lookup.
      if (!flowsToReturn(fn, call.node) || call.receiver?.type === 'call') continue;
      if (oneObject && isReturnedAsIs(call.node)) continue;
      traits.push(`${RETURNS_CALL}${call.node.startIndex}`);
    }
    traits.push(...sizedByTraits(fn, calls, model));
    const paged = handler && hasPaging(fn, calls);
    if (paged) traits.push(...passesSizeTraits(fn, calls, model));
    if (handler && !paged) {
      // Its return statements are read only when it returns something that may hold rows.
      const returnsRows = traits.length > 0;
      traits.push(UNPAGINATED_ROUTE);
      if (returnsRows && answersOneObjectWithRows(fn, model)) traits.push(ONE_OBJECT_ROUTE);
    }
    return traits;
  },
  check: checkDirect,
  checkWorkspace(ctx) {
    checkThroughServices(ctx);
    checkPassedPageSizes(ctx);
  },
};
