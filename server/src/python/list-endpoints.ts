/**
 * GET handlers that list rows: which functions answer GET requests, whether they take page
 * parameters, the unbounded reads they return, and the fix that pages one. Shared by
 * `unpaginated-list-endpoint`, which reports the handler, and `unbounded-orm-query`, which leaves
 * the bound of a read that fix pages to it (two fixes on one statement would stack limits), and
 * leaves a service's read to the unpaged endpoints that alone return its rows.
 */
import type { Node } from 'web-tree-sitter';
import type { Fix, TextEdit } from '../engine/types';
import type { SqlUnit } from '../sql/unit';
import type { IndexedFunction, WorkspaceIndex } from '../workspace/index';
import { displayPath } from '../workspace/query-sites';
import { localFlow, flowsToReturn } from './local-flow';
import { isOneOffCode } from './loop-analysis';
import { callsByFunction, type PyCall, type PyFunction, type PythonModel } from './model';
import { OwnedCache } from './memo';
import {
  resultOf,
  returnsSqlRows,
  unboundedOrmReads,
  unboundedSqlCalls,
  type OrmRead,
} from './orm';
import { readsByKey, readsRowsOfSizedParent } from './orm-keys';
import { ownStatementsStartingWith, RETURN_KEYWORD } from './returned-calls';

/** Trait: the function returns an unbounded read (ORM or raw SQL) it makes itself. */
export const RETURNS_READ = 'returns-unbounded-read';
/** Trait prefix: the function returns the result of the call starting at this offset. */
export const RETURNS_CALL = 'returns-call:';
/** Trait: a GET route handler or Django view that takes no page parameters. */
export const UNPAGINATED_ROUTE = 'unpaginated-route';
/** How many service hops the cross-file check follows from a handler. */
export const MAX_SERVICE_HOPS = 3;

/** Names of request parameters that page or bound a list. */
const PAGE_WORDS = new Set([
  'limit',
  'offset',
  'skip',
  'page',
  'page_size',
  'pagesize',
  'per_page',
  'perpage',
  'page_number',
  'size',
  'cursor',
  'after',
  'before',
  'take',
  'max_results',
  'max_count',
  'max_items',
  'next_token',
  'page_token',
  'pagination',
  'paginator',
]);
/**
 * Names that bound a list only when they hold a number: `count: int = Query(10, le=100)`, Relay's
 * `first`, OData's `top`; `count: bool` (send the total too) is no page size.
 */
const NUMERIC_PAGE_WORDS = new Set(['count', 'first', 'top']);
/** An integer annotation, or a default that is an integer (`10`, `Query(10, ...)`, `Query(default=10)`). */
const INTEGER_ANNOTATION = /^(?:Optional\[)?int\b|^int\s*\|/;
const INTEGER_DEFAULT = /^(?:\w+\.)*(?:Query\s*\(\s*(?:default\s*=\s*)?)?\d+\b/;
/** Annotations and defaults of pagination dependencies: `params: Params = Depends()`. */
const PAGE_TYPE = /Pag(?:e|inat)|\bParams\b/;
/** fastapi-pagination response models: `response_model=Page[UserOut]`. */
const PAGE_RESPONSE = /\b\w*Page\[/;
/** Calls that page whatever the parameters: Flask-SQLAlchemy, Django, DRF paginators. */
const PAGINATING_CALLS = new Set(['paginate', 'Paginator', 'paginate_queryset', 'get_page']);
/** Query-string readers: `request.args`, `request.GET`, `request.query_params`. */
const QUERY_STRING = /(?:^|\.)(?:args|GET|query_params|params)$/;
const GET_ROUTE = /^(?:\w+\.)*(?:get|api_route)\s*\(/;
const ANY_ROUTE = /^(?:\w+\.)*route\s*\(/;
const DRF_VIEW = /^(?:\w+\.)*(?:api_view|action)\s*\(/;
/** HTTP methods a decorator names: `methods=["GET", "POST"]`, DRF `@api_view(["GET"])`. */
const METHODS = /methods\s*=\s*\[([^\]]*)\]|api_view\s*\(\s*\[([^\]]*)\]/;
const VIEW_BASE = /View\b|ViewSet\b/;

/** Whether a decorator list makes a handler that answers GET requests. */
function isGetRoute(fn: PyFunction): boolean {
  return fn.decorators.some((decorator) => {
    if (GET_ROUTE.test(decorator)) return true;
    if (!ANY_ROUTE.test(decorator) && !DRF_VIEW.test(decorator)) return false;
    if (decorator.includes('detail=True')) return false;
    const methods = METHODS.exec(decorator);
    return !methods || /get/i.test(methods[1] ?? methods[2]);
  });
}

/** A Django view: `def view(request, ...)` in a `views` module, or `get` of a `View` class. */
function isDjangoView(fn: PyFunction, model: PythonModel): boolean {
  if (fn.parent || fn.name.startsWith('_')) return false;
  if (!/(?:^|\.)views(?:\.|$)/.test(model.moduleName)) return false;
  if (!fn.className) return fn.params[0]?.name === 'request';
  if (fn.name !== 'get' || fn.params[1]?.name !== 'request') return false;
  const cls = model.classes.find((c) => c.name === fn.className);
  return !!cls && cls.bases.some((base) => VIEW_BASE.test(base));
}

/** The text of a string literal without its prefix and quotes; '' for any other node. */
export function stringValue(node: Node | undefined | null): string {
  return node?.type === 'string' ? node.text.replace(/^[rbuf]*["']+|["']+$/gi, '') : '';
}

/** Whether the handler takes page parameters, reads them from the query string, or paginates. */
export function hasPaging(fn: PyFunction, calls: readonly PyCall[]): boolean {
  if (fn.decorators.some((decorator) => PAGE_RESPONSE.test(decorator))) return true;
  for (const param of fn.params) {
    const name = param.name.toLowerCase();
    if (PAGE_WORDS.has(name)) return true;
    if (NUMERIC_PAGE_WORDS.has(name) && holdsInteger(param)) return true;
    if (PAGE_TYPE.test(param.annotation) || PAGE_TYPE.test(param.defaultText)) return true;
  }
  for (const call of calls) {
    if (PAGINATING_CALLS.has(call.method)) return true;
    if ((call.method === 'get' || call.method === 'getlist') && call.receiver) {
      if (!QUERY_STRING.test(call.receiver.text)) continue;
      const key = stringValue(call.args.namedChildren[0]);
      if (PAGE_WORDS.has(key.toLowerCase())) return true;
    }
  }
  return false;
}

/** Whether a parameter is declared to hold an integer, by its annotation or its default. */
function holdsInteger(param: PyFunction['params'][number]): boolean {
  const annotation = param.annotation.replace(/^Annotated\[\s*/, '');
  return INTEGER_ANNOTATION.test(annotation) || INTEGER_DEFAULT.test(param.defaultText);
}

/** `response_model=<dotted name>` in a route decorator: the type the response is validated as. */
const RESPONSE_MODEL = /\bresponse_model\s*=\s*([\w.]+)\s*[,)]/;
/**
 * Type names that may stand for a list: `MessageList`, `OrderPage`, `ItemsResponse`, a
 * `RootModel` named in the plural. Names without such a word are taken for one object.
 */
const COLLECTION_NAME = /List|Page|Collection|Array|Set|Sequence|Items|Results|s(?=[A-Z]|$)/;

/**
 * Whether a FastAPI handler declares a response model that is one object
 * (`response_model=schemas.Message`), not `list[...]`, `Page[...]` or a name that may be a list.
 * FastAPI validates what the handler returns against it: a handler that returns a service's
 * result as it is cannot be returning that service's rows.
 */
function respondsWithOneObject(fn: PyFunction): boolean {
  return fn.decorators.some((decorator) => {
    const model = RESPONSE_MODEL.exec(decorator)?.[1];
    if (!model || model === 'None') return false;
    return !COLLECTION_NAME.test(model.slice(model.lastIndexOf('.') + 1));
  });
}

/** Whether `node` is the whole value of a `return` (`return x(...)`, `return await x(...)`). */
export function isReturnedAsIs(node: Node): boolean {
  let up = node.parent;
  while (up && (up.type === 'await' || up.type === 'parenthesized_expression')) up = up.parent;
  return up?.type === 'return_statement';
}

const getHandlers = new OwnedCache<PyFunction, boolean>('GET handler');

/** Whether `fn` answers GET requests: a route handler or a Django view. */
export function isGetHandler(fn: PyFunction, model: PythonModel): boolean {
  // Asked by the direct check and by the traits, through `answersOneObject` too: read once.
  let handler = getHandlers.get(fn);
  if (handler === undefined) {
    handler =
      (fn.decorators.length > 0 ||
        fn.params[0]?.name === 'request' ||
        fn.params[1]?.name === 'request') &&
      (isGetRoute(fn) || isDjangoView(fn, model));
    getHandlers.set(fn, handler);
  }
  return handler;
}

/**
 * Whether `fn` is a GET handler that answers with one object (`response_model=Message`): what it
 * returns is validated as one object, not handed out as rows.
 */
export function answersOneObject(fn: PyFunction, model: PythonModel): boolean {
  return isGetHandler(fn, model) && respondsWithOneObject(fn);
}

/** The path of a route decorator as written: `/projects/{project_id}` of `router.get("/projects/{project_id}")`. */
const ROUTE_PATH = /^[\w.]+\(\s*(?:path\s*=\s*)?[rbuf]*["']([^"']*)["']/i;
/** A path that ends in a path parameter (FastAPI `{id}`, Flask `<int:id>`): one resource. */
const ONE_RESOURCE_PATH = /[}>]\/?$/;

/** Whether a route decorator of `fn` names a path that ends in a path parameter. */
function routesToOneResource(fn: PyFunction): boolean {
  return fn.decorators.some((decorator) => {
    const path = ROUTE_PATH.exec(decorator)?.[1];
    return path !== undefined && ONE_RESOURCE_PATH.test(path);
  });
}

/** Calls that hand back what they are given as the response: one object when that is a dict. */
const RESPONSE_WRAPPER =
  /^(?:jsonify|dict|make_response|Response|JSONResponse|ORJSONResponse|UJSONResponse|JsonResponse)$/;
/** The keyword a response wrapper takes its body by (`JSONResponse(content=...)`). */
const BODY_KEYWORD = /^(?:content|data|body|response)$/;

/**
 * Whether a returned value builds one object: a dict literal (or a local only ever assigned one),
 * a call of a class (`ProjectDetail(...)`), or a response wrapper (`jsonify`, `JSONResponse`,
 * `dict`) around such a value or given fields as keywords (`jsonify(project=..., members=...)`).
 */
function buildsOneObject(value: Node, fn: PyFunction, depth = 0): boolean {
  if (value.type === 'dictionary') return true;
  if (value.type === 'identifier') {
    const flow = localFlow(fn);
    const values = flow.assignments.get(value.text);
    return (
      !flow.opaque.has(value.text) &&
      !!values?.length &&
      values.every((assigned) => assigned.type === 'dictionary')
    );
  }
  if (value.type !== 'call') return false;
  const callee = value.childForFieldName('function')?.text ?? '';
  const name = callee.slice(callee.lastIndexOf('.') + 1);
  if (!RESPONSE_WRAPPER.test(name)) return /^[A-Z]/.test(name);
  // `make_response(jsonify(...), 200)`: one wrapper around another, no deeper.
  if (depth > 1) return false;
  const args = (value.childForFieldName('arguments')?.namedChildren ?? []).filter(
    (arg): arg is Node => !!arg && arg.type !== 'comment',
  );
  const body =
    args.find((arg) => arg.type !== 'keyword_argument') ??
    args
      .find((arg) => BODY_KEYWORD.test(arg.childForFieldName('name')?.text ?? ''))
      ?.childForFieldName('value');
  if (body) return buildsOneObject(body, fn, depth + 1);
  // `jsonify(project=p, members=rows)`, `dict(...)`: the keywords are the object's fields.
  return (name === 'jsonify' || name === 'dict') && args.length > 0;
}

/** The values `fn` itself returns (not those of functions nested in it). */
function ownReturnValues(fn: PyFunction, model: PythonModel): (Node | undefined)[] {
  return ownStatementsStartingWith(fn, model, RETURN_KEYWORD, 'return_statement').map(
    (statement) => statement.namedChildren[0] ?? undefined,
  );
}

const detailHandlers = new OwnedCache<PyFunction, boolean>('detail handler');

/**
 * Whether a GET handler answers one object that may carry rows inside it (a detail endpoint:
 * `return {"project": project, "members": rows}` on `/projects/{project_id}`): every `return`
 * builds one object (`buildsOneObject`), and the route says the response is one object, by a
 * one-object `response_model` or a path that ends in a path parameter. Rows it returns are a
 * list inside that object, which `skip`/`limit` on the endpoint would not describe.
 */
export function answersOneObjectWithRows(fn: PyFunction, model: PythonModel): boolean {
  let detail = detailHandlers.get(fn);
  if (detail === undefined) {
    detail = false;
    if (isGetHandler(fn, model) && (respondsWithOneObject(fn) || routesToOneResource(fn))) {
      const values = ownReturnValues(fn, model);
      detail = values.length > 0 && values.every((value) => !!value && buildsOneObject(value, fn));
    }
    detailHandlers.set(fn, detail);
  }
  return detail;
}

/** An unbounded read a function returns: an ORM query, or a call sending raw SQL. */
export interface ReturnedRead {
  /** How messages name it: `db.query(Order)`, `SELECT` in `db.execute()`. */
  label: string;
  orm?: OrmRead;
}

/**
 * Reads made by `fn` whose rows it returns: its unbounded ORM reads (or `ormReads` when given) and
 * the raw SQL of `units`.
 */
export function returnedReads(
  model: PythonModel,
  fn: PyFunction,
  units: readonly SqlUnit[],
  ormReads: readonly OrmRead[] = unboundedOrmReads(model),
): ReturnedRead[] {
  // A handler answering one object returns no rows it hands out as they are.
  const oneObject = answersOneObject(fn, model);
  const reads: ReturnedRead[] = ormReads
    .filter((read) => read.fn === fn && flowsToReturn(fn, read.node))
    .filter((read) => !oneObject || !isReturnedAsIs(read.node))
    .map((read) => ({ label: `\`${read.head}\``, orm: read }));
  if (units.length === 0) return reads;
  for (const call of unboundedSqlCalls(model, units)) {
    if (call.fn !== fn || !returnsSqlRows(fn, call, model.source)) continue;
    const sink = resultOf(call).childForFieldName('function')?.text ?? call.callee;
    reads.push({ label: `the \`SELECT\` sent by \`${sink}()\`` });
  }
  return reads;
}

/** The parameter-list edit adding `skip`/`limit`, in the list's own layout; none after `**kwargs`. */
function pageParamsEdit(fn: PyFunction, source: string): TextEdit | undefined {
  const parameters = fn.node.childForFieldName('parameters');
  if (!parameters) return undefined;
  const last = parameters.namedChildren[parameters.namedChildren.length - 1];
  if (last?.type === 'dictionary_splat_pattern') return undefined;
  const close = parameters.endIndex - 1;
  const inner = source.slice(parameters.startIndex + 1, close).replace(/\s+$/, '');
  if (inner === '') return { start: close, end: close, newText: 'skip: int = 0, limit: int = 100' };
  const at = parameters.startIndex + 1 + inner.length;
  if (inner.endsWith(',') && last) {
    // One parameter per line: add each on its own line, indented like the last one.
    const lineStart = source.lastIndexOf('\n', last.startIndex) + 1;
    const indent = source.slice(lineStart, last.startIndex);
    if (/^\s*$/.test(indent))
      return {
        start: at,
        end: at,
        newText: `\n${indent}skip: int = 0,\n${indent}limit: int = 100,`,
      };
    return { start: at, end: at, newText: ' skip: int = 0, limit: int = 100,' };
  }
  return { start: at, end: at, newText: ', skip: int = 0, limit: int = 100' };
}

/**
 * The fix for a FastAPI handler that returns one SQLAlchemy read: page parameters, and
 * `.offset(skip).limit(limit)` on the read. Anything less mechanical gets no fix.
 */
export function pageFix(
  model: PythonModel,
  fn: PyFunction,
  reads: ReturnedRead[],
): Fix | undefined {
  const read = reads.length === 1 ? reads[0].orm : undefined;
  if (!read || read.kind === 'django') return undefined;
  // A detail endpoint: `skip`/`limit` beside `/projects/{id}` would read as paging projects, and
  // the embedded list would silently lose rows; its cure is an endpoint of its own.
  if (answersOneObjectWithRows(fn, model)) return undefined;
  const usesFastApi = [...model.imports.values()].some((name) => name.startsWith('fastapi'));
  if (!usesFastApi) return undefined;
  const flow = localFlow(fn);
  if (flow.assignments.has('skip') || flow.assignments.has('limit')) return undefined;
  const params = pageParamsEdit(fn, model.source);
  if (!params) return undefined;
  const at = read.bound.at;
  return {
    title: 'Add `skip`/`limit` parameters and page the query',
    safety: 'unsafe',
    edits: [params, { start: at, end: at, newText: '.offset(skip).limit(limit)' }],
  };
}

/**
 * The unbounded reads a handler returns that `unbounded-orm-query` reports too: not by key, not
 * the child rows of one parent the domain sizes (the labels of one dataset).
 */
export function reportedReturnedReads(
  model: PythonModel,
  fn: PyFunction,
  units: readonly SqlUnit[],
  index: WorkspaceIndex,
): ReturnedRead[] {
  return returnedReads(model, fn, units).filter((read) => reportsReturnedRead(read, index));
}

/** Whether `unbounded-orm-query` reports a returned read: not by key, not of a sized parent. */
export function reportsReturnedRead(read: ReturnedRead, index: WorkspaceIndex): boolean {
  return !read.orm || !(readsByKey(read.orm, index) || readsRowsOfSizedParent(read.orm, index));
}

/**
 * Whether `unpaginated-list-endpoint` offers its page fix on this read: it is the one read an
 * unpaged FastAPI GET handler returns. Its `.offset(skip).limit(limit)` bounds the read; a
 * `.limit(n)` added too would override the page size.
 */
export function pagedByEndpointFix(
  read: OrmRead,
  model: PythonModel,
  units: readonly SqlUnit[],
  index: WorkspaceIndex,
): boolean {
  const fn = read.fn;
  if (!fn || read.kind === 'django' || !isGetHandler(fn, model)) return false;
  const reads = unpagedReturnedReads(model, fn, units);
  if (!reads) return false;
  let reported: ReturnedRead | undefined;
  for (const returned of reads) {
    if (!reportsReturnedRead(returned, index)) continue;
    if (reported) return false;
    reported = returned;
  }
  return reported?.orm === read && !!pageFix(model, fn, [reported]);
}

/**
 * `returnedReads` of a handler that takes no page parameters, undefined for one that does: per
 * function, for the units it was asked with. The index is asked per call (`reportsReturnedRead`): it
 * changes while a file's model and units are kept.
 */
const unpagedReads = new OwnedCache<
  PyFunction,
  { units: readonly SqlUnit[]; reads: ReturnedRead[] | undefined }
>('unpaged returned reads');

function unpagedReturnedReads(
  model: PythonModel,
  fn: PyFunction,
  units: readonly SqlUnit[],
): ReturnedRead[] | undefined {
  const cached = unpagedReads.get(fn);
  if (cached?.units === units) return cached.reads;
  const reads = hasPaging(fn, callsByFunction(model).get(fn) ?? [])
    ? undefined
    : returnedReads(model, fn, units);
  unpagedReads.set(fn, { units, reads });
  return reads;
}

/**
 * Whether the rows a service function returns reach only unpaged list endpoints that
 * `unpaginated-list-endpoint` reports through it (see its `checkThroughServices`): it has callers
 * outside tests and migrations, and each returns the call's result, from a GET handler with no
 * page parameters and no read of its own, or from a function of which the same holds, up to
 * `MAX_SERVICE_HOPS` calls from the handler. A caller that keeps the rows, or a CLI, a job or any
 * other function, keeps the read's own finding; so does a function no call in a function reaches
 * (module-level calls and callbacks are not seen).
 */
export function rowsOnlyForUnpagedEndpoints(
  service: IndexedFunction,
  index: WorkspaceIndex,
  hops = 1,
): boolean {
  if (hops > MAX_SERVICE_HOPS) return false;
  let callers = 0;
  for (const caller of index.callSitesNamed(service.fn.name)) {
    if (index.resolve(caller.site.targets)?.fn !== service.fn) continue;
    if (isOneOffCode(displayPath(index.get(caller.file), caller.file))) continue;
    callers++;
    const { fn } = caller;
    if (!fn.traits.includes(`${RETURNS_CALL}${caller.site.start}`)) return false;
    const endpoint = fn.traits.includes(UNPAGINATED_ROUTE) && !fn.traits.includes(RETURNS_READ);
    if (!endpoint && !rowsOnlyForUnpagedEndpoints(caller, index, hops + 1)) return false;
  }
  return callers > 0;
}
