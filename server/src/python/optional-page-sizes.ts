/**
 * Page sizes that may be None: a GET handler's `limit: int | None = None`, or Flask's
 * `request.args.get("limit", type=int)`, handed as it is to `.limit(limit)` or `[:limit]`. A
 * request that leaves the parameter out gets every row, since SQLAlchemy's `.limit(None)` and
 * Django's `[:None]` bound nothing: the endpoint pages in name only.
 */
import type { Node } from 'web-tree-sitter';
import type { Fix, TextEdit } from '../engine/types';
import type { WorkspaceIndex } from '../workspace/index';
import {
  returnedReads,
  reportsReturnedRead,
  stringValue,
  type ReturnedRead,
} from './list-endpoints';
import { callTargets } from './facts';
import { flowsToReturn, localFlow } from './local-flow';
import type { PyCall, PyFunction, PythonModel } from './model';
import { readsBoundedOnlyBy } from './orm';

/**
 * Parameter names that size a page. `offset`, `page` and `cursor` pick which page: None there
 * means the first one, not every row.
 */
const PAGE_SIZE_WORDS = new Set([
  'limit',
  'page_size',
  'pagesize',
  'per_page',
  'perpage',
  'size',
  'take',
  'max_results',
  'max_count',
  'max_items',
  'count',
  'first',
  'top',
]);
/** An integer annotation, optional or not: `int`, `Optional[int]`, `int | None`, `Annotated[...]`. */
const INTEGER = /\bint\b/;
/** A default of None, bare or through FastAPI's `Query(None, ...)` / `Query(default=None, ...)`. */
const NONE_DEFAULT = /^(?:None$|(?:\w+\.)*Query\s*\(\s*(?:default\s*=\s*)?None\b)/;
/** Flask's query-string read of an integer: `request.args.get("limit", type=int)`. */
const QUERY_STRING_GET = /^(?:\w+\.)*args\.get$/;
/** The page size a fix gives a parameter, as `unpaginated-list-endpoint`'s page fix does. */
const DEFAULT_PAGE_SIZE = '100';

/** A page size that may be None, and the edit that gives it a default page size. */
export interface OptionalPageSize {
  name: string;
  /** Why it may be None, for messages: `defaults to None`. */
  why: string;
  edit?: TextEdit;
}

/** The page sizes of a handler that may be None and that its body never rebinds. */
export function optionalPageSizes(fn: PyFunction): OptionalPageSize[] {
  const flow = localFlow(fn);
  const sizes: OptionalPageSize[] = [];
  for (const param of fn.params) {
    if (!PAGE_SIZE_WORDS.has(param.name.toLowerCase())) continue;
    if (!INTEGER.test(param.annotation) || !NONE_DEFAULT.test(param.defaultText)) continue;
    if (flow.assignments.has(param.name) || flow.opaque.has(param.name)) continue;
    sizes.push({
      name: param.name,
      why: 'defaults to None',
      edit: defaultEdit(fn, param.name),
    });
  }
  for (const [name, values] of flow.assignments) {
    if (values.length !== 1 || flow.opaque.has(name)) continue;
    const read = queryStringSize(values[0]);
    if (read) sizes.push({ name, ...read });
  }
  return sizes;
}

/**
 * `request.args.get("limit", type=int)` with no default: the value and the edit that adds one
 * (`get("limit", 100, type=int)`); undefined for any other value.
 */
function queryStringSize(value: Node): Omit<OptionalPageSize, 'name'> | undefined {
  if (value.type !== 'call') return undefined;
  const callee = value.childForFieldName('function');
  if (!callee || !QUERY_STRING_GET.test(callee.text)) return undefined;
  const args = (value.childForFieldName('arguments')?.namedChildren ?? []).filter(
    (arg): arg is Node => !!arg && arg.type !== 'comment',
  );
  const [key, ...rest] = args;
  if (key?.type !== 'string') return undefined;
  if (!PAGE_SIZE_WORDS.has(stringValue(key).toLowerCase())) return undefined;
  const keywords = rest.map((arg) =>
    arg.type === 'keyword_argument' ? arg.childForFieldName('name')?.text : undefined,
  );
  // A second positional argument or `default=` is the default: the size is never None.
  if (keywords.some((keyword) => keyword === undefined || keyword === 'default')) return undefined;
  if (!rest.some((arg) => arg.text.replace(/\s/g, '') === 'type=int')) return undefined;
  return {
    why: `is None when the query string has no ${key.text}`,
    edit: { start: key.endIndex, end: key.endIndex, newText: `, ${DEFAULT_PAGE_SIZE}` },
  };
}

/** The edit replacing a parameter's None default (bare or `Query(None, ...)`) with a page size. */
function defaultEdit(fn: PyFunction, name: string): TextEdit | undefined {
  const parameters = fn.node.childForFieldName('parameters');
  const param = parameters?.namedChildren.find(
    (node) =>
      !!node &&
      (node.type === 'default_parameter' || node.type === 'typed_default_parameter') &&
      node.childForFieldName('name')?.text === name,
  );
  const value = param?.childForFieldName('value');
  const none = value?.type === 'none' ? value : value && queryNoneArgument(value);
  return none
    ? { start: none.startIndex, end: none.endIndex, newText: DEFAULT_PAGE_SIZE }
    : undefined;
}

/** The None of `Query(None, ...)` or `Query(default=None, ...)`. */
function queryNoneArgument(call: Node): Node | undefined {
  if (call.type !== 'call') return undefined;
  const first = call.childForFieldName('arguments')?.namedChildren[0];
  if (first?.type === 'none') return first;
  if (first?.type !== 'keyword_argument') return undefined;
  const value = first.childForFieldName('value');
  return first.childForFieldName('name')?.text === 'default' && value?.type === 'none'
    ? value
    : undefined;
}

/** A returned read that only a page size which may be None bounds. */
export interface PagedInNameOnly {
  size: OptionalPageSize;
  read: ReturnedRead;
}

/**
 * The reads a handler with page parameters returns that nothing bounds but a page size which may
 * be None: the first such read of each page size. The key and sized-parent exemptions of
 * `unbounded-orm-query` apply, as they do to an unpaged endpoint's reads.
 */
export function pagedInNameOnly(
  model: PythonModel,
  fn: PyFunction,
  index: WorkspaceIndex,
): PagedInNameOnly[] {
  const found: PagedInNameOnly[] = [];
  for (const size of optionalPageSizes(fn)) {
    const reads = readsBoundedOnlyBy(model, fn, new Set([size.name]));
    if (reads.length === 0) continue;
    const returned = returnedReads(model, fn, [], reads).find((read) =>
      reportsReturnedRead(read, index),
    );
    if (returned) found.push({ size, read: returned });
  }
  return found;
}

/** The fix giving a page size that may be None a default page size: unsafe, clients see it. */
export function defaultPageSizeFix(size: OptionalPageSize): Fix | undefined {
  if (!size.edit) return undefined;
  return {
    title: `Give \`${size.name}\` a default page size`,
    safety: 'unsafe',
    edits: [size.edit],
  };
}

/**
 * Trait of a function whose returned read nothing bounds but `.limit(<parameter>)`:
 * `<prefix><position>:<name>`, the position counted as callers pass arguments (no `self`).
 */
export const SIZED_BY = 'unpaginated-list-endpoint:sized-by@';
/**
 * Trait of a handler handing a page size that may be None to a call whose result it returns:
 * `<prefix>` and the JSON of a `PassedPageSize`.
 */
export const PASSES_SIZE = 'unpaginated-list-endpoint:passes-size@';

/** A page size that may be None, handed to the call starting at `at` as `argument`. */
export interface PassedPageSize {
  at: number;
  /** The keyword it is passed by, or its position among the positional arguments. */
  argument: string;
  size: OptionalPageSize;
}

/**
 * The `SIZED_BY` traits of a function: parameters it never rebinds that alone bound, as
 * `.limit(name)`, a read it returns. Only functions calling `.limit(<parameter>)` are read.
 */
export function sizedByTraits(
  fn: PyFunction,
  calls: readonly PyCall[],
  model: PythonModel,
): string[] {
  const params = fn.params.map((param) => param.name);
  if (fn.className && (params[0] === 'self' || params[0] === 'cls')) params.shift();
  let traits: string[] | undefined;
  for (const call of calls) {
    if (call.method !== 'limit' || !call.hasReceiver) continue;
    const args = call.args.namedChildren.filter(
      (arg): arg is Node => !!arg && arg.type !== 'comment',
    );
    const name = args.length === 1 && args[0].type === 'identifier' ? args[0].text : '';
    const position = params.indexOf(name);
    if (position === -1 || traits?.some((trait) => trait.endsWith(`:${name}`))) continue;
    const flow = localFlow(fn);
    if (flow.assignments.has(name) || flow.opaque.has(name)) continue;
    const reads = readsBoundedOnlyBy(model, fn, new Set([name]));
    if (returnedReads(model, fn, [], reads).length === 0) continue;
    (traits ??= []).push(`${SIZED_BY}${position}:${name}`);
  }
  return traits ?? [];
}

/**
 * The `PASSES_SIZE` traits of a GET handler with page parameters: each page size that may be
 * None, that bounds no read of the handler's own, handed as it is to a call of a workspace
 * function whose result the handler returns.
 */
export function passesSizeTraits(
  fn: PyFunction,
  calls: readonly PyCall[],
  model: PythonModel,
): string[] {
  const sizes = optionalPageSizes(fn).filter(
    (size) => readsBoundedOnlyBy(model, fn, new Set([size.name])).length === 0,
  );
  if (sizes.length === 0) return [];
  const traits: string[] = [];
  for (const call of calls) {
    if (call.inLambda || callTargets(call, model).length === 0) continue;
    let position = 0;
    for (const arg of call.args.namedChildren) {
      if (!arg || arg.type === 'comment') continue;
      const keyword = arg.type === 'keyword_argument';
      const value = keyword ? arg.childForFieldName('value') : arg;
      const argument = keyword ? (arg.childForFieldName('name')?.text ?? '') : String(position++);
      const size = value?.type === 'identifier' && sizes.find((each) => each.name === value.text);
      if (!size || !flowsToReturn(fn, call.node)) continue;
      const passed: PassedPageSize = { at: call.start, argument, size };
      traits.push(`${PASSES_SIZE}${JSON.stringify(passed)}`);
    }
  }
  return traits;
}

/** The parameter of `SIZED_BY` traits that an argument passed as `argument` lands in, if any. */
export function sizedParameter(traits: readonly string[], argument: string): string | undefined {
  for (const trait of traits) {
    if (!trait.startsWith(SIZED_BY)) continue;
    const [position, name] = trait.slice(SIZED_BY.length).split(':');
    if (argument === position || argument === name) return name;
  }
  return undefined;
}
