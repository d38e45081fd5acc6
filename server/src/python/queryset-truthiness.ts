/**
 * Emptiness tests of lazy Django querysets: `if qs:`, `if not qs:` and `bool(qs)` run
 * `QuerySet.__bool__`, which fetches and caches every matching row, where `qs.exists()` asks the
 * database for one. When the function goes on to use the rows (iterates `qs`, hands it on), the
 * cache makes that load the one the function needed anyway, so only tests of querysets whose rows
 * are never used are found. A queryset written in the test itself (`if Model.objects.filter(...):`)
 * has no other use: its rows are dropped right after the test.
 */
import type { Node } from 'web-tree-sitter';
import { DJANGO_MANAGER_TEXT } from './knowledge';
import type { PyFunction, PythonModel } from './model';
import { OwnedCache } from './memo';
import {
  customManagerReadAt,
  customManagerVariableRead,
  type CustomManagerTest,
  DJANGO_LAZY_METHODS,
  djangoReadOf,
  isLazyDjangoQuerySet,
  NOT_ROWS_METHODS,
  type OrmRead,
} from './orm';

/** One emptiness test of a queryset variable. */
export interface QuerySetEmptinessTest {
  /** The test as written: `qs` in `if qs:` or `if not qs:`, or the `bool(qs)` call. */
  node: Node;
  /** The queryset at the test: a variable, or a chain written inline (`Model.objects.filter(...)`). */
  variable: Node;
  /** Whether the queryset is written in the test rather than held in a variable. */
  inline: boolean;
  read: OrmRead;
  /** Whether the function mentions the variable anywhere but in the test and its assignments. */
  mentionedElsewhere: boolean;
}

/** `if qs:`, `elif not qs:`, `bool(qs)`: the text every test contains; the tree confirms it. */
const TEST_TEXT = /\b(?:el)?if\s+(?:not\s+)?([A-Za-z_]\w*)\s*:|\bbool\(\s*([A-Za-z_]\w*)\s*\)/g;

/**
 * Queryset methods that build another query (or run one of their own) rather than read the rows
 * a `__bool__` cached: calling them after the test does not make its load useful.
 */
const QUERY_METHODS = new Set([...NOT_ROWS_METHODS, ...DJANGO_LAZY_METHODS]);

const testsCache = new OwnedCache<PythonModel, QuerySetEmptinessTest[]>('queryset emptiness tests');

/** The emptiness tests of lazy querysets in the file whose rows the function never uses. */
export function querySetEmptinessTests(model: PythonModel): QuerySetEmptinessTest[] {
  let tests = testsCache.get(model);
  if (tests) return tests;
  tests = [];
  testsCache.set(model, tests);
  if (!DJANGO_MANAGER_TEXT.test(model.source)) return tests;
  tests.push(
    ...variableTests(model, (variable, fn) =>
      isLazyDjangoQuerySet(variable, fn, model) ? djangoReadOf(variable, fn, model) : null,
    ),
  );
  tests.push(...inlineTests(model));
  return tests;
}

/**
 * Tests of a variable (`if qs:`, `if not qs:`, `bool(qs)`) whose queryset `readOf` recognises,
 * when the function never uses the rows the test loads.
 */
function variableTests(
  model: PythonModel,
  readOf: (variable: Node, fn: PyFunction) => OrmRead | null | undefined,
): QuerySetEmptinessTest[] {
  const tests: QuerySetEmptinessTest[] = [];
  const root = model.tree.rootNode;
  let assigned: Set<string> | undefined;
  for (const match of model.source.matchAll(TEST_TEXT)) {
    const name = match[1] ?? match[2];
    // Only a variable the file assigns can hold a queryset: `if user:` on a parameter costs no node.
    assigned ??= new Set(model.assignments.map((assignment) => assignment.target));
    if (!assigned.has(name)) continue;
    // The name is the last word of the match: only `:` or `)` and blanks follow it.
    const at = match.index + match[0].lastIndexOf(name);
    const variable = root.descendantForIndex(at, at + name.length);
    const node = variable?.type === 'identifier' ? testAround(variable) : undefined;
    const fn = node && innermostFunction(model, at);
    const read = fn ? readOf(variable!, fn) : undefined;
    if (!read) continue;
    const mentions = mentionsOf(fn!, name, node!);
    if (mentions === 'rows') continue;
    tests.push({
      node: node!,
      variable: variable!,
      inline: false,
      read,
      mentionedElsewhere: mentions === 'queries',
    });
  }
  return tests;
}

/**
 * Tests of a queryset written inline, a chain from a manager ending in a lazy method:
 * `if Model.objects.filter(...):`, `if not ...:`, `bool(...)`. The chain's outermost call is the
 * subject of the test; an inner one (`filter` in `.filter(...).exclude(...)`) is not.
 */
function inlineTests(model: PythonModel): QuerySetEmptinessTest[] {
  const tests: QuerySetEmptinessTest[] = [];
  for (const call of model.calls) {
    if (!call.fn || !DJANGO_LAZY_METHODS.has(call.method) || !call.hasReceiver) continue;
    const node = testAround(call.node);
    if (!node || !isLazyDjangoQuerySet(call.node, call.fn, model)) continue;
    const read = djangoReadOf(call.node, call.fn, model);
    if (read)
      tests.push({ node, variable: call.node, inline: true, read, mentionedElsewhere: false });
  }
  return tests;
}

/** `if Cart.open.filter(`, `if not Cart.open...`, `bool(Cart.open.`: the text such tests contain. */
const CUSTOM_MANAGER_TEST_TEXT = /\b(?:(?:el)?if\s+(?:not\s+)?|bool\(\s*)[A-Z]\w*\.\w+\.\w+\s*\(/;
/** `Cart.open.filter(`: the text a custom manager's queryset kept in a variable starts with. */
const CUSTOM_MANAGER_CHAIN_TEXT = new RegExp(
  `\\b[A-Z]\\w*\\.\\w+\\.(?:${[...DJANGO_LAZY_METHODS].join('|')})\\s*\\(`,
);

/**
 * Tests of the queryset of a custom manager, written inline (`if Cart.open.filter(...):`) or kept
 * in a variable (`carts = Cart.open.filter(...)` then `if not carts:`), where `isCustomManager`
 * says `open` is a manager the model declares (the workspace's knowledge, so asked only for
 * chains of that shape). Not cached: it depends on the caller's index.
 */
export function customManagerEmptinessTests(
  model: PythonModel,
  isCustomManager: CustomManagerTest,
): QuerySetEmptinessTest[] {
  const source = model.source;
  const tests: QuerySetEmptinessTest[] = [];
  if (CUSTOM_MANAGER_TEST_TEXT.test(source)) {
    for (const call of model.calls) {
      if (!call.fn || !DJANGO_LAZY_METHODS.has(call.method) || !call.hasReceiver) continue;
      const node = testAround(call.node);
      const read = node && customManagerReadAt(call, model, isCustomManager);
      if (read)
        tests.push({ node, variable: call.node, inline: true, read, mentionedElsewhere: false });
    }
  }
  // Variables of `objects`-style managers are `querySetEmptinessTests`' own.
  if (CUSTOM_MANAGER_CHAIN_TEXT.test(source))
    tests.push(
      ...variableTests(model, (variable, fn) =>
        customManagerVariableRead(variable, fn, model, isCustomManager),
      ),
    );
  return tests;
}

/** The test a variable is the subject of: itself in `if qs:`, `not qs` in `if not qs:`, `bool(qs)`. */
function testAround(variable: Node): Node | undefined {
  const parent = variable.parent;
  if (!parent) return undefined;
  if (parent.type === 'argument_list') {
    const call = parent.parent;
    const callee = call?.childForFieldName('function');
    return parent.namedChildCount === 1 && callee?.type === 'identifier' && callee.text === 'bool'
      ? call!
      : undefined;
  }
  const subject = parent.type === 'not_operator' ? parent : variable;
  const statement = subject.parent;
  if (statement?.type !== 'if_statement' && statement?.type !== 'elif_clause') return undefined;
  return statement.childForFieldName('condition')?.id === subject.id ? variable : undefined;
}

/** The innermost function whose body holds `at`. */
function innermostFunction(model: PythonModel, at: number): PyFunction | undefined {
  let found: PyFunction | undefined;
  for (const fn of model.functions) {
    const body = fn.body;
    if (
      body.startIndex <= at &&
      at < body.endIndex &&
      (!found || body.startIndex > found.body.startIndex)
    )
      found = fn;
  }
  return found;
}

/**
 * What the function does with the variable besides the test and its assignments: 'rows' when
 * some mention may read the cached rows (iterated, `len`, passed on, returned), 'queries' when
 * every other mention runs a query of its own (`qs.update(...)`, `qs.count()`, `qs[:1]`, another
 * test), 'none' when there is no other mention. `test` is the use being judged (an emptiness
 * test, a `len()`), whose own mention is skipped.
 */
export function mentionsOf(fn: PyFunction, name: string, test: Node): 'rows' | 'queries' | 'none' {
  const body = fn.body;
  const text = body.text;
  const root = body.tree.rootNode;
  const word = new RegExp(`\\b${name}\\b`, 'g');
  let mentions: 'queries' | 'none' = 'none';
  for (const match of text.matchAll(word)) {
    const at = body.startIndex + match.index;
    if (test.startIndex <= at && at < test.endIndex) continue;
    const node = root.descendantForIndex(at, at + name.length);
    if (!node) continue;
    // Strings and comments, and `obj.qs`, are not the variable.
    if (node.type !== 'identifier' || isAttributeName(node)) continue;
    if (isAssignedTo(node)) continue;
    if (!runsOwnQuery(node)) return 'rows';
    mentions = 'queries';
  }
  return mentions;
}

function isAttributeName(node: Node): boolean {
  const parent = node.parent;
  return parent?.type === 'attribute' && parent.childForFieldName('attribute')?.id === node.id;
}

function isAssignedTo(node: Node): boolean {
  const parent = node.parent;
  return parent?.type === 'assignment' && parent.childForFieldName('left')?.id === node.id;
}

/** `qs.update(...)`, `qs.count()`, `qs[:1]`, `if qs:` again: a mention that needs no cached rows. */
function runsOwnQuery(node: Node): boolean {
  const parent = node.parent;
  if (!parent) return false;
  if (parent.type === 'subscript') return parent.childForFieldName('value')?.id === node.id;
  if (parent.type === 'attribute') {
    const method = parent.childForFieldName('attribute')?.text ?? '';
    return parent.parent?.type === 'call' && QUERY_METHODS.has(method);
  }
  return testAround(node) !== undefined;
}
