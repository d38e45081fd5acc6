/**
 * SQLAlchemy `@declared_attr` methods of declarative classes: the `__tablename__` a base computes
 * for every model deriving from it, and the columns, relationships and `__table_args__` a mixin
 * declares through a method so that each model gets its own copy.
 */
import type { Node } from 'web-tree-sitter';
import type { TableNaming } from '../workspace/facts';
import type { PyClass, PythonModel } from './model';
import {
  argsOf,
  calledName,
  elementsOf,
  keywordArg,
  positionalArgs,
  stringValue,
} from './schema-args';

/** `@declared_attr`, `@declared_attr.directive` (SQLAlchemy 2.0), `@declared_attr.cascading`. */
const DECLARED_ATTR = /^(?:[\w.]+\.)?declared_attr(?:\.(?:directive|cascading))?$/;

/** A `@declared_attr def name(cls) -> T: return value` method. */
export interface DeclaredAttr {
  name: string;
  /** What its single `return` gives; undefined when the body does more than return a value. */
  value?: Node;
  returnType: Node | null;
  /** The name of its first parameter (`cls`, sometimes `self`). */
  receiver: string;
  /** The method's body. */
  body: Node | null;
}

/** The body's statements, without a leading docstring. */
function statementsOf(body: Node | null): Node[] {
  const statements = (body?.namedChildren ?? []).filter((node): node is Node => !!node);
  const first = statements[0];
  const isDocstring =
    first?.type === 'expression_statement' && first.namedChildren[0]?.type === 'string';
  return isDocstring ? statements.slice(1) : statements;
}

function readDeclaredAttr(decorated: Node): DeclaredAttr | undefined {
  const decorators = decorated.namedChildren.filter((node) => node?.type === 'decorator');
  if (!decorators.some((node) => DECLARED_ATTR.test(node?.namedChildren[0]?.text ?? '')))
    return undefined;
  const fn = decorated.childForFieldName('definition');
  const name = fn?.childForFieldName('name')?.text;
  if (fn?.type !== 'function_definition' || !name) return undefined;
  const receiver = fn.childForFieldName('parameters')?.namedChildren[0];
  const body = fn.childForFieldName('body');
  const statements = statementsOf(body);
  const only = statements.length === 1 ? statements[0] : undefined;
  return {
    name,
    value: only?.type === 'return_statement' ? (only.namedChildren[0] ?? undefined) : undefined,
    returnType: fn.childForFieldName('return_type'),
    receiver: receiver?.type === 'identifier' ? receiver.text : 'cls',
    body,
  };
}

/**
 * What a block returns: the returned values (null for a bare `return`) and whether some path runs
 * off its end; `unknown` when a return sits in a statement not followed here (loop, `try`, `with`).
 */
type Returns = { values: (Node | null)[]; fallsThrough: boolean } | 'unknown';

const SIMPLE_STATEMENTS = new Set([
  'expression_statement',
  'pass_statement',
  'comment',
  'assert_statement',
  'global_statement',
  'nonlocal_statement',
  'delete_statement',
]);

/** The branches of an `if` statement and whether one of them is an `else`. */
function branchesOf(statement: Node): { blocks: Node[]; exhaustive: boolean } {
  const blocks: Node[] = [];
  const consequence = statement.childForFieldName('consequence');
  if (consequence) blocks.push(consequence);
  let exhaustive = false;
  for (const clause of statement.namedChildren) {
    if (clause?.type === 'elif_clause') {
      const body = clause.childForFieldName('consequence');
      if (body) blocks.push(body);
    } else if (clause?.type === 'else_clause') {
      const body = clause.childForFieldName('body');
      if (body) blocks.push(body);
      exhaustive = true;
    }
  }
  return { blocks, exhaustive };
}

function returnsOf(block: Node): Returns {
  const values: (Node | null)[] = [];
  for (const statement of block.namedChildren) {
    if (!statement) continue;
    const type = statement.type;
    if (type === 'return_statement') {
      values.push(statement.namedChildren[0] ?? null);
      return { values, fallsThrough: false };
    }
    // A path that raises gives the class no table arguments at all.
    if (type === 'raise_statement') return { values, fallsThrough: false };
    if (type === 'if_statement') {
      const { blocks, exhaustive } = branchesOf(statement);
      let fallsThrough = !exhaustive;
      for (const branch of blocks) {
        const inner = returnsOf(branch);
        if (inner === 'unknown') return 'unknown';
        values.push(...inner.values);
        fallsThrough ||= inner.fallsThrough;
      }
      if (!fallsThrough) return { values, fallsThrough: false };
      continue;
    }
    if (SIMPLE_STATEMENTS.has(type)) continue;
    if (statement.descendantsOfType('return_statement').length > 0) return 'unknown';
  }
  return { values, fallsThrough: true };
}

/** What tells two constraints apart: their kind, columns and uniqueness, not their names. */
function constraintKey(call: Node): string {
  const kind = calledName(call);
  const args = argsOf(call);
  if (!args) return '';
  const columns = positionalArgs(args).slice(kind === 'Index' ? 1 : 0);
  const unique = keywordArg(args, 'unique')?.text ?? '';
  // `"author_id"` and `cls.author_id` name the same column (unless its name differs).
  const names = columns.map((column) => stringValue(column) ?? column.text.split('.').pop());
  return [kind, unique, ...names].join('|');
}

const CONSTRAINT_CALLS = new Set([
  'Index',
  'UniqueConstraint',
  'PrimaryKeyConstraint',
  'ForeignKeyConstraint',
]);

/** The constraint calls (`Index(...)`, `UniqueConstraint(...)`, ...) of a returned value. */
function constraintsOf(value: Node | null): Node[] {
  if (!value || value.type === 'call') return [];
  return elementsOf(value).filter((element) => CONSTRAINT_CALLS.has(calledName(element)));
}

/**
 * The constraints a `@declared_attr __table_args__` method gives every class it applies to: those
 * its returned tuple holds on every path through the body (the unconditional ones, or one written
 * in each branch of an `if`). A path that may return something else (`None`, a value built in a
 * loop or a variable) makes the set empty: an index one configuration adds is no index to count on.
 */
export function declaredTableArgs(attr: DeclaredAttr): Node[] {
  const returns = attr.body ? returnsOf(attr.body) : 'unknown';
  if (returns === 'unknown' || returns.fallsThrough || returns.values.length === 0) return [];
  const [first, ...rest] = returns.values.map(constraintsOf);
  const common = new Set(first.map(constraintKey));
  for (const path of rest) {
    const keys = new Set(path.map(constraintKey));
    for (const key of common) if (!keys.has(key)) common.delete(key);
  }
  return first.filter((call) => common.has(constraintKey(call)));
}

/** The `@declared_attr` methods a class body defines, in order. */
export function declaredAttrs(cls: PyClass): DeclaredAttr[] {
  return cls.body.namedChildren.flatMap((node) =>
    node?.type === 'decorated_definition' ? (readDeclaredAttr(node) ?? []) : [],
  );
}

/**
 * Whether a function converts CamelCase to snake_case: one named so (`camel_to_snake`,
 * `to_snake_case`, `resolve_table_name`), or one of this file whose body splits or substitutes
 * with `re` (`re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()`). Heuristic: a helper of another
 * module is known by its name only.
 */
function isSnakeCaseHelper(callee: string, model: PythonModel): boolean {
  const name = callee.split('.').pop() ?? '';
  if (/snake|underscore|^resolve_table_name$/i.test(name)) return true;
  const fn = model.functions.find((f) => f.name === name && !f.className && !f.parent);
  return !!fn && /\bre\.(?:sub|split)\(/.test(fn.body.text) && /\.lower\(\)/.test(fn.body.text);
}

/** How `value` names a table from `<receiver>.__name__`, if it is one of the known forms. */
function namingOfExpression(
  value: Node,
  receiver: string,
  model: PythonModel,
): TableNaming | undefined {
  const className = `${receiver}.__name__`;
  if (value.text === className) return 'name';
  if (value.type !== 'call') return undefined;
  const fn = value.childForFieldName('function');
  const args = value.childForFieldName('arguments')?.namedChildren ?? [];
  if (fn?.type === 'attribute' && fn.childForFieldName('attribute')?.text === 'lower') {
    if (args.length > 0) return undefined;
    const object = fn.childForFieldName('object');
    if (object?.text === className) return 'lower';
    // `snake(cls.__name__).lower()`
    return object && namingOfExpression(object, receiver, model) === 'snake' ? 'snake' : undefined;
  }
  if (args.length === 1 && args[0]?.text === className && fn && isSnakeCaseHelper(fn.text, model))
    return 'snake';
  return undefined;
}

/**
 * How a class's own `@declared_attr __tablename__` names the tables of the models deriving from it;
 * `underived` when it has one whose result is not a known transformation of the class name.
 */
export function ownTableNaming(
  attrs: readonly DeclaredAttr[],
  model: PythonModel,
): TableNaming | 'underived' | undefined {
  const attr = attrs.find((a) => a.name === '__tablename__');
  if (!attr) return undefined;
  return (attr.value && namingOfExpression(attr.value, attr.receiver, model)) ?? 'underived';
}
