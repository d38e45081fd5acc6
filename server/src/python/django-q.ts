/**
 * Django `Q` objects passed to a filter: `.filter(Q(environment=e) & Q(admin=True))`, or a `Q`
 * built in a local (`query = Q(environment=e)`, then `query &= Q(...)`). Read for the fields
 * every row the filter keeps has pinned to one value, as if they were keyword arguments.
 */
import type { Node } from 'web-tree-sitter';
import { dottedName, type PyFunction } from './model';

/** The fields a `Q` expression pins with `field=value`, and those it compares with `None`. */
export interface QPins {
  columns: string[];
  nullColumns: string[];
  /**
   * The value each pinned field is compared with, as written, when every branch writes the same
   * one (`environment` of `Q(environment=environment)`): a QuerySet method pins the field to its
   * parameter of that name.
   */
  values: ReadonlyMap<string, string>;
}

const NOTHING: QPins = { columns: [], nullColumns: [], values: new Map() };

/** Locals followed from one filter before giving up (`full = base & extra`, `base = Q(...)`). */
const MAX_DEPTH = 4;

/**
 * What a positional filter argument pins when it is a `Q` expression: an AND (`&`, or the
 * keywords of one `Q`) pins what either side pins, an OR (`|`) only what both sides pin, a
 * negation (`~Q(...)`) nothing. A local is read from its assignments in `fn`: every plain one
 * must pin the field, and augmented ones may only AND more (`query &= Q(...)`).
 */
export function qPins(arg: Node, fn: PyFunction | undefined): QPins {
  return pinsOf(arg, fn, 0);
}

function pinsOf(node: Node, fn: PyFunction | undefined, depth: number): QPins {
  if (depth > MAX_DEPTH) return NOTHING;
  switch (node.type) {
    case 'parenthesized_expression': {
      const inner = node.namedChildren[0];
      return inner ? pinsOf(inner, fn, depth) : NOTHING;
    }
    case 'call':
      return callPins(node, fn, depth);
    case 'binary_operator': {
      const left = node.childForFieldName('left');
      const right = node.childForFieldName('right');
      const operator = node.childForFieldName('operator')?.text;
      if (!left || !right) return NOTHING;
      if (operator === '&') return union(pinsOf(left, fn, depth), pinsOf(right, fn, depth));
      if (operator === '|') return intersection(pinsOf(left, fn, depth), pinsOf(right, fn, depth));
      return NOTHING;
    }
    case 'identifier':
      return fn ? localPins(node.text, fn, depth) : NOTHING;
    default:
      return NOTHING;
  }
}

/** `Q(field=value, ...)`: its keywords, ANDed, and the `Q`s among its positional arguments. */
function callPins(call: Node, fn: PyFunction | undefined, depth: number): QPins {
  const callee = dottedName(call.childForFieldName('function'));
  if (callee !== 'Q' && !callee.endsWith('.Q')) return NOTHING;
  const args = call.childForFieldName('arguments');
  if (args?.type !== 'argument_list') return NOTHING;
  let pins: QPins = { columns: [], nullColumns: [], values: new Map() };
  const values = new Map<string, string>();
  for (const arg of args.namedChildren) {
    if (!arg) continue;
    if (arg.type === 'keyword_argument') {
      const name = arg.childForFieldName('name')?.text ?? '';
      // `Q(a=1, b=2, _connector=Q.OR)`, `_negated=True`: not an AND of its keywords.
      if (name.startsWith('_')) return NOTHING;
      const column = name.replace(/__exact$/, '');
      const value = arg.childForFieldName('value');
      pins.columns.push(column);
      if (value?.type === 'none') pins.nullColumns.push(column);
      if (value) values.set(column, value.text);
    } else pins = union(pins, pinsOf(arg, fn, depth));
  }
  return union(pins, { columns: [], nullColumns: [], values });
}

/**
 * What a local `Q` pins: what all of its plain assignments pin, each of them, when every
 * augmented assignment ANDs (`query &= Q(...)`). A plain assignment that ANDs the local itself
 * (`query = query & Q(...)`) keeps what it pinned before.
 */
function localPins(name: string, fn: PyFunction, depth: number): QPins {
  let pins: QPins | undefined;
  for (const assignment of fn.assignmentNodes) {
    if (assignment.target !== name) continue;
    const node = assignment.node;
    if (assignment.augmented) {
      if (node.childForFieldName('operator')?.text !== '&=') return NOTHING;
      continue;
    }
    const value = node.childForFieldName('right');
    if (!value) return NOTHING;
    if (andsItself(value, name)) continue;
    const found = pinsOf(value, fn, depth + 1);
    pins = pins ? intersection(pins, found) : found;
  }
  return pins ?? NOTHING;
}

/** `query & Q(...)` or `Q(...) & query` for the local `query`. */
function andsItself(value: Node, name: string): boolean {
  if (value.type !== 'binary_operator' || value.childForFieldName('operator')?.text !== '&')
    return false;
  return [value.childForFieldName('left'), value.childForFieldName('right')].some(
    (side) => side?.type === 'identifier' && side.text === name,
  );
}

function union(a: QPins, b: QPins): QPins {
  return {
    columns: [...a.columns, ...b.columns],
    nullColumns: [...a.nullColumns, ...b.nullColumns],
    // Both sides of an AND pin a field: either value serves (they must be equal for any row).
    values: new Map([...b.values, ...a.values]),
  };
}

function intersection(a: QPins, b: QPins): QPins {
  const columns = a.columns.filter((column) => b.columns.includes(column));
  // Pinned to `None` on either side: the OR keeps rows with and without a value.
  const nullColumns = columns.filter(
    (column) => a.nullColumns.includes(column) || b.nullColumns.includes(column),
  );
  // The rows of either branch have the field equal to one value only when both write it.
  const values = new Map([...a.values].filter(([column, value]) => b.values.get(column) === value));
  return { columns, nullColumns, values };
}
