/**
 * SQLAlchemy `@declared_attr` methods of declarative classes: the `__tablename__` a base computes
 * for every model deriving from it, and the columns, relationships and `__table_args__` a mixin
 * declares through a method so that each model gets its own copy.
 */
import type { Node } from 'web-tree-sitter';
import type { TableNaming } from '../workspace/facts';
import type { PyClass, PythonModel } from './model';

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
  const statements = statementsOf(fn.childForFieldName('body'));
  const only = statements.length === 1 ? statements[0] : undefined;
  return {
    name,
    value: only?.type === 'return_statement' ? (only.namedChildren[0] ?? undefined) : undefined,
    returnType: fn.childForFieldName('return_type'),
    receiver: receiver?.type === 'identifier' ? receiver.text : 'cls',
  };
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
