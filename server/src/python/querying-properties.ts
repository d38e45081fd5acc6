/**
 * Properties of a model that reach the database (`@property def latest_file(self): return
 * self.files.order_by("timestamp").last()`): reading one looks like reading a column, but on each
 * row of a loop it runs a query. A property's facts record what its body reads through the
 * instance, for a rule checking the loop in another file to decide, with the loop's own loaders,
 * whether each read still queries.
 */
import type { Node } from 'web-tree-sitter';
import { describeCall } from './blocking';
import { selfRelatedRead } from './django-related-reads';
import { sendsSyncRedisCommand } from './redis-round-trips';
import type { PyCall, PyFunction, PythonModel } from './model';
import { isPropertyMethod } from './value-paths';

/** A read through a related manager of `self` that runs its query: `self.files.count()`. */
export interface PropertyManagerRead {
  manager: string;
  /** A prefetch of the manager answers it (`.all()`, `.count()`, `.exists()`, `.first()`). */
  cached: boolean;
  /** The read as quoted in messages: `self.files.order_by(...).last()`. */
  text: string;
}

/** What a property's body reads through the instance (`PROPERTY_READS`). */
export interface PropertyReads {
  /** The 1-based line of the `def`. */
  line: number;
  managers: PropertyManagerRead[];
  /**
   * Attributes of `self` read as values (`self.folder` of `self.folder.name`): a lazy relation
   * among them loads per instance unless the query loads it.
   */
  attributes: string[];
  /** Where the round trips that are no query start: Redis commands (`r.get(key)`). */
  commands: number[];
}

/** Trait of a property method: `<prefix><PropertyReads as JSON>`. */
export const PROPERTY_READS = 'querying-property:';

/** The outermost call of a method chain `call` heads (`....order_by(...).last()`). */
function chainEnd(call: PyCall, model: PythonModel): PyCall {
  let node: Node = call.node;
  for (;;) {
    const attribute = node.parent;
    const outer = attribute?.parent;
    if (attribute?.type !== 'attribute' || outer?.type !== 'call') break;
    if (outer.childForFieldName('function')?.id !== attribute.id) break;
    node = outer;
  }
  return model.callsByRange.get(`${node.startIndex}:${node.endIndex}`) ?? call;
}

/** Whether `node` is written to (`self.x = ...`, `self.x += ...`), not read. */
function isWritten(node: Node): boolean {
  const parent = node.parent;
  return (
    (parent?.type === 'assignment' || parent?.type === 'augmented_assignment') &&
    parent.childForFieldName('left')?.id === node.id
  );
}

/**
 * Names of `self.<name>` read as values in the body of `fn`: neither called (`self.helper()`) nor
 * the receiver of a call (`self.files.count()`), nor written; nested functions are not its body.
 */
function attributesRead(fn: PyFunction): string[] {
  const names = new Set<string>();
  const visit = (node: Node): void => {
    const type = node.type;
    if (type === 'function_definition' || type === 'class_definition' || type === 'lambda') return;
    if (type === 'attribute' && node.childForFieldName('object')?.text === 'self') {
      const parent = node.parent;
      const called =
        parent?.type === 'call' && parent.childForFieldName('function')?.id === node.id;
      const receiver =
        parent?.type === 'attribute' &&
        parent.parent?.type === 'call' &&
        parent.parent.childForFieldName('function')?.id === parent.id;
      if (!called && !receiver && !isWritten(node))
        names.add(node.childForFieldName('attribute')?.text ?? '');
      return;
    }
    for (const child of node.namedChildren) if (child) visit(child);
  };
  visit(fn.body);
  names.delete('');
  return [...names];
}

/**
 * The reads a `@property`/`@cached_property` method of a class makes through `self`; undefined
 * for other functions.
 */
export function propertyReads(
  fn: PyFunction,
  calls: readonly PyCall[],
  model: PythonModel,
): PropertyReads | undefined {
  if (!isPropertyMethod(fn)) return undefined;
  const managers: PropertyManagerRead[] = [];
  const commands: number[] = [];
  for (const call of calls) {
    if (sendsSyncRedisCommand(call, model)) commands.push(call.node.startIndex);
    const read = selfRelatedRead(call);
    if (!read) continue;
    const text = describeCall(chainEnd(call, model));
    managers.push({ manager: read.manager, cached: read.prefetchMayAnswer, text });
  }
  // Recorded for every property: its own queries (`Note.objects.filter(document=self)`) are in
  // its facts' effects.
  const line = fn.node.startPosition.row + 1;
  return { line, managers, attributes: attributesRead(fn), commands };
}
