import type { Node } from 'web-tree-sitter';
import type { Rule } from '../../server/src/engine/rule';
import type { PyLoop, PythonModel } from '../../server/src/python/model';
import { dottedName, qualify } from '../../server/src/python/model';
import { isTestPath } from '../../server/src/python/scope-analysis';

const ASYNC_SLEEPS = new Set(['asyncio.sleep', 'anyio.sleep', 'trio.sleep']);

/** Calls that only read state, so a condition made of them re-checks a flag and does no work. */
const FLAG_METHODS = new Set([
  'is_set',
  'done',
  'cancelled',
  'empty',
  'full',
  'qsize',
  'is_alive',
  'locked',
  'ready',
  'get_nowait',
  'len',
]);

/** A loop in `async def` that only sleeps and re-checks a flag, instead of awaiting an event. */
export const pollingSleepLoopInAsync: Rule = {
  meta: {
    id: 'polling-sleep-loop-in-async',
    language: 'python',
    category: 'polling',
    severity: 'info',
    summary: 'Loop in `async def` that only `await asyncio.sleep()`s and re-checks a flag',
    docs: {
      whatItDoes:
        'Finds `while` loops (and `for _ in range(n)` timeouts) in an `async def` whose body does ' +
        'nothing but `await asyncio.sleep(...)` and check a flag: `while not done: await ' +
        'asyncio.sleep(0.1)`, or `while True:` with `if ready: break` and a sleep. It is an info: ' +
        'the loop does not block the event loop, it wastes a wake-up per interval and adds up to one ' +
        'interval of latency to every wait, which matters once many requests wait at once. There is ' +
        'no automatic fix: the code that sets the flag must be changed to set an event.',
      whyIsThisBad:
        'Each waiting task wakes up every interval only to find nothing changed: a hundred waiting ' +
        'requests polling every 100 ms are a thousand useless wake-ups a second, and each waiter ' +
        'still learns of the change up to one interval late. An `asyncio.Event` wakes waiters ' +
        'exactly once, the moment the flag is set.',
      example: [
        'class Job:',
        '    def __init__(self):',
        '        self.finished = False',
        '',
        '    async def wait(self):',
        '        while not self.finished:',
        '            await asyncio.sleep(0.1)',
      ].join('\n'),
      useInstead: [
        'class Job:',
        '    def __init__(self):',
        '        self.finished = asyncio.Event()',
        '',
        '    async def wait(self):',
        '        await self.finished.wait()  # the producer calls self.finished.set()',
      ].join('\n'),
      notFlagged: [
        'Loops that do work each time round: fetch, process or send something besides sleeping ' +
          '(a worker loop, a health check, polling a remote API).',
        'Backoff: a loop that changes its delay (`delay *= 2`) or awaits anything other than the sleep.',
        'Conditions that await or call anything but cheap state reads (`event.is_set()`, ' +
          '`task.done()`, `queue.empty()`, `len(...)`).',
        '`while True: await asyncio.sleep(3600)` with no flag at all (keeping a task alive).',
        "Sleep loops in a plain `def` (a blocking `time.sleep` there is other rules' concern).",
        'Code in tests (`tests/`, `_tests/`, `test_*.py`, `*_test.py`, `conftest.py`): waiting for a ' +
          'thread or a flag there runs once per test run.',
      ],
    },
  },
  check(ctx) {
    const model = ctx.python;
    if (!model || isTestPath(ctx.relativePath)) return;
    for (const loop of model.loops) {
      if (!loop.fn?.isAsync || loop.kind === 'comprehension') continue;
      const poll = pollingLoop(loop, model);
      if (!poll) continue;
      ctx.report({
        start: loop.node.startIndex,
        end: poll.headerEnd,
        message: `\`${poll.header}\` polls a flag every \`${poll.interval}\` s inside \`async def\`; ${advice(loop, poll)}`,
      });
    }
  },
};

interface Poll {
  header: string;
  headerEnd: number;
  interval: string;
}

/** The loop's header and sleep interval when its body only sleeps and re-checks a flag. */
function pollingLoop(loop: PyLoop, model: PythonModel): Poll | undefined {
  const { node } = loop;
  let condition: Node | null = null;
  if (loop.kind === 'while') {
    condition = node.childForFieldName('condition');
    if (!condition) return undefined;
  } else {
    // `for _ in range(n):` bounds the wait; anything else iterates real data.
    const iterable = loop.iterable;
    if (iterable?.type !== 'call' || iterable.childForFieldName('function')?.text !== 'range')
      return undefined;
  }
  const body = node.childForFieldName('body');
  if (!body) return undefined;
  let interval: string | undefined;
  let checks = 0;
  for (const statement of body.namedChildren) {
    if (!statement || statement.type === 'comment' || statement.type === 'pass_statement') continue;
    const sleep = asyncSleepInterval(statement, model);
    if (sleep !== undefined) {
      if (interval !== undefined) return undefined;
      interval = sleep;
      continue;
    }
    if (statement.type === 'if_statement' && isFlagCheck(statement)) {
      checks++;
      continue;
    }
    return undefined;
  }
  if (interval === undefined) return undefined;
  const checksCondition = condition && condition.type !== 'true' && isFlagExpression(condition);
  if (condition && !checksCondition && condition.type !== 'true') return undefined;
  if (!checksCondition && checks === 0) return undefined;
  const headerEnd = (condition ?? loop.iterable ?? node).endIndex;
  const header = model.source.slice(node.startIndex, headerEnd).replace(/\s+/g, ' ');
  return { header: header.length > 60 ? `${header.slice(0, 59)}…` : header, headerEnd, interval };
}

/** What to await instead: the event the loop already checks, or a new one. */
function advice(loop: PyLoop, poll: Poll): string {
  const event = /([\w.]+)\.is_set\(\)/.exec(poll.header)?.[1];
  if (event) return `use \`await ${event}.wait()\` instead`;
  return loop.kind === 'for'
    ? 'await an `asyncio.Event` with `asyncio.wait_for(event.wait(), timeout)` instead'
    : 'await an `asyncio.Event` instead';
}

/** `await asyncio.sleep(x)` as a statement: its interval text. */
function asyncSleepInterval(statement: Node, model: PythonModel): string | undefined {
  if (statement.type !== 'expression_statement') return undefined;
  const awaited = statement.namedChildren[0];
  const call = awaited?.type === 'await' ? awaited.namedChildren[0] : null;
  if (call?.type !== 'call') return undefined;
  const callee = qualify(dottedName(call.childForFieldName('function')), model.imports);
  if (!ASYNC_SLEEPS.has(callee)) return undefined;
  return call.childForFieldName('arguments')?.namedChildren[0]?.text ?? '0';
}

/** `if <flag>: break` (or `return`), with no `elif`/`else`. */
function isFlagCheck(statement: Node): boolean {
  if (statement.childForFieldName('alternative')) return false;
  const condition = statement.childForFieldName('condition');
  const consequence = statement.childForFieldName('consequence');
  if (!condition || !consequence || !isFlagExpression(condition)) return false;
  return consequence.namedChildren.every(
    (child) =>
      !!child &&
      (child.type === 'comment' ||
        child.type === 'break_statement' ||
        (child.type === 'return_statement' && isFlagExpression(child))),
  );
}

/** An expression that only reads state: names, attributes, comparisons and cheap state calls. */
function isFlagExpression(node: Node): boolean {
  if (node.type === 'await' || node.type === 'lambda' || node.type === 'named_expression')
    return false;
  if (node.type === 'call') {
    const fn = node.childForFieldName('function');
    const name = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn?.text;
    if (!name || !FLAG_METHODS.has(name)) return false;
    const args = node.childForFieldName('arguments');
    return !args || isFlagExpression(args);
  }
  return node.namedChildren.every((child) => !child || isFlagExpression(child));
}
