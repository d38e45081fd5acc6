/**
 * The shape of a statement a loop repeats, for `query-in-loop`'s advice: an UPDATE whose values
 * differ per row (one `IN (...)` cannot carry them), or a read that already sends one `IN (...)`
 * per pass (the passes' keys merge into one).
 */
import type { Node } from 'web-tree-sitter';
import { statementsBuiltInLoop } from './batch-drains';
import { mentionsName } from './cache-fills';
import { OwnedCache } from './memo';
import type { PyCall, PyLoop, PythonModel } from './model';
import { chainWithSlices, positionalArguments, unwrap } from './scope-analysis';
import { readsWhatTheLoopChanges } from './loop-invariance';

/** The value expressions of keyword arguments (`path=cp.path`), and of `**values`. */
function keywordValues(call: Node | null | undefined): Node[] {
  const args = call?.childForFieldName('arguments')?.namedChildren ?? [];
  return args.flatMap((arg) => {
    if (arg?.type === 'keyword_argument') {
      const value = arg.childForFieldName('value');
      return value ? [value] : [];
    }
    return arg?.type === 'dictionary_splat' || arg?.type === 'dictionary' ? [arg] : [];
  });
}

/** The method a call node calls: `update` of `qs.update(...)`. */
function methodOf(call: Node): string | undefined {
  const callee = call.childForFieldName('function');
  return callee?.type === 'attribute' ? callee.childForFieldName('attribute')?.text : undefined;
}

/**
 * The `.values(...)` call of a SQLAlchemy `update(X).where(...).values(...)` statement, walking
 * the chain down from its outermost call.
 */
function updateValuesCall(statement: Node | null): Node | undefined {
  let values: Node | undefined;
  for (let node = unwrap(statement); node?.type === 'call';) {
    const callee = node.childForFieldName('function');
    if (callee && /^(?:(?:sa|sqlalchemy)\.)?update$/.test(callee.text)) return values;
    if (callee?.type !== 'attribute') return undefined;
    if (callee.childForFieldName('attribute')?.text === 'values') values = node;
    node = unwrap(callee.childForFieldName('object'));
  }
  return undefined;
}

/** `filter(pk=row.pk)`, `filter(id=x)`: a Django filter keyed to one row. */
const DJANGO_ROW_KEY = /[(,]\s*(?:pk|id)\s*=(?!=)/;
/** `X.id == row.id`: a SQLAlchemy condition keyed to one row. */
const SQLALCHEMY_ROW_KEY = /\.(?:id|pk)\s*==/;

/**
 * Whether the call sends an UPDATE of one row, keyed by its primary key, whose values read what
 * the loop changes: a Django `Model.objects.filter(pk=row.pk).update(path=new_path)` or a
 * SQLAlchemy `session.execute(update(X).where(X.id == row.id).values(path=p))`, inline or built
 * in a variable in the loop. Each row gets values of its own.
 */
export function updatesPerRowValues(call: PyCall, loop: PyLoop): boolean {
  const chain = chainWithSlices(call.node);
  if (chain.type === 'call' && /^a?update$/.test(methodOf(chain) ?? '')) {
    const filters = chain.childForFieldName('function')?.childForFieldName('object');
    if (!filters || !DJANGO_ROW_KEY.test(filters.text)) return false;
    return readsWhatTheLoopChanges(keywordValues(chain), loop);
  }
  if (call.method !== 'execute' || !/update/.test(call.args.text)) return false;
  const first = positionalArguments(call)[0] ?? null;
  const statements =
    unwrap(first)?.type === 'identifier' ? statementsBuiltInLoop(call, loop) : [first];
  return statements.some((statement) => {
    const values = updateValuesCall(statement);
    if (!values || !SQLALCHEMY_ROW_KEY.test(statement?.text ?? '')) return false;
    return readsWhatTheLoopChanges(keywordValues(values), loop);
  });
}

/**
 * Whether the call heads a Django `update(...)` keyed to one row (`filter(pk=row.pk,
 * status=OPEN).update(...)`) whose answer, the number of rows it changed, the code uses: assigned
 * to a name the loop reads after it (`changed = ...; if changed:`), or tested, returned or
 * passed on where it is written. The update is a check-and-set per row, and neither `bulk_update`
 * nor one `IN (...)` returns a count per row.
 */
export function usesRowCountOfUpdate(call: PyCall, loop: PyLoop): boolean {
  const chain = chainWithSlices(call.node);
  if (chain.type !== 'call' || !/^a?update$/.test(methodOf(chain) ?? '')) return false;
  const filters = chain.childForFieldName('function')?.childForFieldName('object');
  if (!filters || !DJANGO_ROW_KEY.test(filters.text)) return false;
  let value: Node = chain;
  while (value.parent?.type === 'await' || value.parent?.type === 'parenthesized_expression')
    value = value.parent;
  const holder = value.parent;
  if (!holder || holder.type === 'expression_statement') return false;
  if (holder.type !== 'assignment' || holder.childForFieldName('right')?.id !== value.id)
    return true;
  const target = holder.childForFieldName('left');
  if (target?.type !== 'identifier') return true;
  // Read from the text after the assignment to the loop's end: a mention there reads the count.
  const after = loop.node.text.slice(holder.endIndex - loop.node.startIndex);
  return mentionsName(after, target.text);
}

/** `id__in=`, `.in_(`: the statement may already batch keys. */
const IN_BATCH = /__in\s*=|\.in_\(/;
const filtersWithIn = new OwnedCache<PythonModel, boolean>('may filter with IN');

/** Whether the file filters with `IN (...)` anywhere: files without it pay nothing more. */
export function mayFilterWithIn(model: PythonModel): boolean {
  let found = filtersWithIn.get(model);
  if (found === undefined) {
    found = IN_BATCH.test(model.source);
    filtersWithIn.set(model, found);
  }
  return found;
}

/** The lists an expression filters with `IN`: values of `x__in=` and arguments of `.in_(...)`. */
function inLists(node: Node): Node[] {
  const lists: Node[] = [];
  for (const each of node.descendantsOfType(['keyword_argument', 'call'])) {
    if (each?.type === 'keyword_argument') {
      const value = each.childForFieldName('value');
      const name = each.childForFieldName('name')?.text;
      if (value && name?.endsWith('__in') && !isNegated(each)) lists.push(value);
    } else if (each && methodOf(each) === 'in_') {
      const args = each.childForFieldName('arguments')?.namedChildren ?? [];
      for (const arg of args) if (arg) lists.push(arg);
    }
  }
  return lists;
}

/**
 * A Django lookup that keeps the rows outside the list: a keyword of `exclude(...)` or of a
 * negated `~Q(...)`. Per-pass `NOT IN` lists do not merge into one (Weblate's cleanuptrans deletes
 * each project's comments whose checksum is not among that project's units).
 */
function isNegated(keyword: Node): boolean {
  const call = keyword.parent?.type === 'argument_list' ? keyword.parent.parent : null;
  if (call?.type !== 'call') return false;
  if (methodOf(call) === 'exclude') return true;
  const outer = call.parent;
  return outer?.type === 'unary_operator' && outer.child(0)?.text === '~';
}

/**
 * Whether the statement the call sends already filters with `IN (...)` on a list the loop
 * changes (`UploadFile.id.in_(file_ids)` with `file_ids` built per pass): one batch per item,
 * whose keys merge into one. A fixed list (`state__in=["open", "done"]`) batches nothing.
 */
export function sendsInBatch(call: PyCall, loop: PyLoop, model: PythonModel): boolean {
  return readsWhatTheLoopChanges(inListsSent(call, loop, model), loop);
}

/**
 * The lists the statement a call sends filters with `IN`: the values of `x__in=` and arguments
 * of `.in_(...)` in its chain, or in a statement the loop builds for it (`stmt = select(X).where(
 * X.id.in_(ids))`, then `session.execute(stmt)`).
 */
export function inListsSent(call: PyCall, loop: PyLoop, model: PythonModel): Node[] {
  if (!mayFilterWithIn(model)) return [];
  const chain = chainWithSlices(call.node);
  const statements = IN_BATCH.test(chain.text) ? [chain] : statementsBuiltInLoop(call, loop);
  return statements
    .filter((statement) => IN_BATCH.test(statement.text))
    .flatMap((statement) => inLists(statement));
}
