import type { Rule } from '../../server/src/engine/rule';
import { ensureImport } from '../../server/src/python/edits';
import { reportBlockingCalls } from '../../server/src/python/blocking';

/** `time.sleep()` inside `async def` stops the event loop. */
export const blockingSleepInAsync: Rule = {
  meta: {
    id: 'blocking-sleep-in-async',
    language: 'python',
    category: 'blocking-in-async',
    severity: 'warning',
    summary: '`time.sleep()` called inside `async def`',
    fix: {
      title: 'Replace with `await asyncio.sleep(...)`',
      safety: 'safe',
      availability: 'sometimes',
    },
    docs: {
      whatItDoes:
        'Finds calls to `time.sleep()` made directly in the body of an `async def` function.',
      whyIsThisBad:
        '`time.sleep()` blocks the thread, and in async code that thread runs the event loop: every other ' +
        'request, task and timer of the process waits until the sleep ends. A one-second backoff in one ' +
        'handler becomes a one-second stall for every concurrent user.',
      example: [
        'import time',
        '',
        'async def poll_status(job):',
        '    time.sleep(1)',
        '    return await job.status()',
      ].join('\n'),
      useInstead: [
        'import asyncio',
        '',
        'async def poll_status(job):',
        '    await asyncio.sleep(1)',
        '    return await job.status()',
      ].join('\n'),
      notFlagged: [
        '`await asyncio.sleep(...)`.',
        '`time.sleep()` in a plain `def`, including a sync function nested inside an `async def` or a lambda.',
        '`time.sleep` handed to a thread: `await asyncio.to_thread(time.sleep, 1)`, or in a lambda ' +
          'given to `run_in_executor`. (`asyncio.to_thread(time.sleep(1))` is flagged without a fix: ' +
          'the sleep runs on the loop before the thread starts.)',
        'A local function that happens to be called `sleep` and is not `time.sleep`.',
        'App startup and shutdown hooks (`lifespan`, `@app.on_event("startup")`) and `test_*` ' +
          'functions, which run while no request is waiting.',
      ],
      fixSafety:
        'Safe: `await asyncio.sleep(x)` waits the same time without blocking the loop; `import asyncio` is ' +
        'added at the top unless the module, or the function before the call, imports it (an import ' +
        'inside some other function does not count). Other tasks now run during the wait, which is the intent of async code.',
    },
  },
  check(ctx) {
    reportBlockingCalls(ctx, 'sleep', (call, model) => {
      const fnNode = call.node.childForFieldName('function')!;
      const importEdit = ensureImport(model, 'asyncio', call.node.startIndex);
      return {
        start: call.node.startIndex,
        end: call.node.endIndex,
        message:
          '`time.sleep()` blocks the event loop inside `async def`; use `await asyncio.sleep()`',
        fixes: [
          {
            title: 'Replace with `await asyncio.sleep(...)`',
            safety: 'safe',
            edits: [
              { start: fnNode.startIndex, end: fnNode.endIndex, newText: 'await asyncio.sleep' },
              ...(importEdit ? [importEdit] : []),
            ],
          },
        ],
      };
    });
  },
};
