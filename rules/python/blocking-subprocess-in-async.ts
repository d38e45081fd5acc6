import type { Rule } from '../../server/src/engine/rule';
import { describeCall, reportBlockingCalls } from '../../server/src/python/blocking';

/** Waiting for a process or for `input()` inside `async def`. */
export const blockingSubprocessInAsync: Rule = {
  meta: {
    id: 'blocking-subprocess-in-async',
    language: 'python',
    category: 'blocking-in-async',
    severity: 'warning',
    summary: 'Sync process call (`subprocess.run()`, `os.system()`, `input()`) inside `async def`',
    docs: {
      whatItDoes:
        'Finds calls that wait for another process, or for the terminal, in the body of an ' +
        '`async def`: `subprocess.run/call/check_call/check_output/getoutput`, `.wait()` and ' +
        '`.communicate()` on a `subprocess.Popen`, `os.system`, `os.popen`, `os.wait*` and `input()`. ' +
        'There is no automatic fix: `asyncio.create_subprocess_exec` takes its arguments and returns ' +
        'its output differently (`await proc.communicate()`), so the call site has to be rewritten.',
      whyIsThisBad:
        'The event loop thread waits until the child process exits: a `ffmpeg` conversion or a ' +
        '`git clone` started from a request handler stalls every other request for its whole run time. ' +
        '`input()` blocks until someone types, which on a server may be never.',
      example: [
        'import subprocess',
        '',
        '@app.post("/videos/{vid}/thumbnail")',
        'async def thumbnail(vid: str):',
        '    subprocess.run(["ffmpeg", "-i", src(vid), "-frames:v", "1", dst(vid)], check=True)',
        '    return {"ok": True}',
      ].join('\n'),
      useInstead: [
        'import asyncio',
        '',
        '@app.post("/videos/{vid}/thumbnail")',
        'async def thumbnail(vid: str):',
        '    proc = await asyncio.create_subprocess_exec(',
        '        "ffmpeg", "-i", src(vid), "-frames:v", "1", dst(vid)',
        '    )',
        '    await proc.wait()',
        '    return {"ok": True}',
      ].join('\n'),
      notFlagged: [
        '`asyncio.create_subprocess_exec(...)` / `create_subprocess_shell(...)` and awaiting them.',
        'Starting a process with `subprocess.Popen(...)` without waiting for it in the handler.',
        'Calls handed to a thread: `await asyncio.to_thread(subprocess.run, cmd, check=True)`.',
        'Process calls in a plain `def`, a sync function nested in an `async def`, or a lambda.',
        'A module-level function of the file named `input` (not the builtin).',
        'App startup and shutdown hooks (`lifespan`, `@app.on_event("startup")`) and `test_*` ' +
          'functions, which run while no request is waiting.',
      ],
    },
  },
  check(ctx) {
    reportBlockingCalls(ctx, 'process', (call) =>
      call.qualified === 'input'
        ? '`input()` blocks the event loop until the terminal answers; read input outside the async code'
        : `\`${describeCall(call)}\` waits for a process on the event loop; use \`asyncio.create_subprocess_exec\` or \`await asyncio.to_thread(...)\``,
    );
  },
};
