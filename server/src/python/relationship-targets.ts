/**
 * What a SQLAlchemy `relationship(...)` declaration says beyond its name: the class it points to
 * and its `lazy=` strategy. Read where the relationship is declared, both by `lazy-load-in-loop`
 * for models of the file it checks and by the schema reader for the workspace index, so that the
 * rows of `workshop.sessions` are known to be `WorkshopSession`s wherever `Workshop` is declared.
 */
import type { Node } from 'web-tree-sitter';
import type { RelationshipFact } from '../workspace/facts';
import { calledName, keywordArg, positionalArgs, stringValue } from './schema-args';

/** Generic wrappers and non-classes in a `Mapped[...]` annotation, skipped to find the target. */
const ANNOTATION_WRAPPERS = new Set(['Mapped', 'Optional', 'List', 'Set', 'Sequence', 'None']);
const ANNOTATION_NAME = /[A-Za-z_][\w.]*/g;

function lastSegment(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

/**
 * The class a relationship (or a Django relation field) points to, from its first argument:
 * `Comment`, `"Comment"`, `"app.Comment"`, `"self"` (the declaring class, `own`).
 */
export function relationTargetClass(args: Node, own: string): string | undefined {
  const first = positionalArgs(args)[0];
  // `relationship(lambda: Comment)`, a variable's value: nothing the text names.
  if (first?.type !== 'string' && first?.type !== 'identifier' && first?.type !== 'attribute')
    return undefined;
  const name = first.type === 'string' ? stringValue(first) : first.text;
  if (!name) return undefined;
  return name === 'self' ? own : lastSegment(name);
}

/** The class named in a `Mapped[list["Comment"]]` (or SQLModel `list["Comment"]`) annotation. */
export function annotationTarget(annotation: Node | null | undefined): string | undefined {
  let target: string | undefined;
  for (const match of annotation?.text.matchAll(ANNOTATION_NAME) ?? []) {
    const name = lastSegment(match[0]);
    if (/^[A-Z]/.test(name) && !ANNOTATION_WRAPPERS.has(name)) target = name;
  }
  return target;
}

/**
 * The relationship `backref=` adds to the target class: `backref="tasks"` (lazy by default, not
 * the declaring relationship's `lazy=`), or `backref=backref("tasks", lazy="selectin")`.
 */
export function readBackref(args: Node): RelationshipFact['backref'] {
  const value = keywordArg(args, 'backref');
  const name = stringValue(value);
  if (name) return { name };
  if (calledName(value) !== 'backref') return undefined;
  const backrefArgs = value!.childForFieldName('arguments');
  const named = backrefArgs && stringValue(positionalArgs(backrefArgs)[0]);
  if (!named) return undefined;
  const lazy = stringValue(keywordArg(backrefArgs, 'lazy'));
  return lazy ? { name: named, lazy } : { name: named };
}

/**
 * The target and `lazy=` strategy of `relationship("X", lazy="selectin")` (`dynamic_loader(...)`
 * is `dynamic`), the annotation naming the target when the call does not, and the relationship
 * its `backref=` adds to the target. Undefined when the declaration says none of these.
 */
export function readRelationship(
  call: Node,
  annotation: Node | null | undefined,
  own: string,
): RelationshipFact | undefined {
  const args = call.childForFieldName('arguments');
  const target = (args && relationTargetClass(args, own)) ?? annotationTarget(annotation);
  const lazy =
    calledName(call) === 'dynamic_loader'
      ? 'dynamic'
      : args
        ? stringValue(keywordArg(args, 'lazy'))
        : undefined;
  // The class it adds to must be known.
  const backref = target && args ? readBackref(args) : undefined;
  if (!target && !lazy) return undefined;
  return {
    ...(target ? { target } : {}),
    ...(lazy ? { lazy } : {}),
    ...(backref ? { backref } : {}),
  };
}
