import type { Rule } from '../../server/src/engine/rule';
import { describeCall, reportBlockingCalls } from '../../server/src/python/blocking';

/** File-system calls (`os.path.exists`, `os.listdir`, `shutil.*`) inside `async def`. */
export const blockingFsCallInAsync: Rule = {
  meta: {
    id: 'blocking-fs-call-in-async',
    language: 'python',
    category: 'blocking-in-async',
    severity: 'info',
    summary:
      'Sync file-system call (`os.path.exists()`, `os.listdir()`, `shutil.*`) inside `async def`',
    docs: {
      whatItDoes:
        'Finds synchronous file-system calls in the body of an `async def`: `os.path.exists/isfile/' +
        'isdir/getsize/getmtime/...`, `os.listdir`, `os.scandir`, `os.walk`, `os.stat`, `os.remove`, ' +
        '`os.makedirs`, `glob.glob`, every `shutil.*` function, and the same `pathlib.Path` methods ' +
        '(`exists()`, `stat()`, `iterdir()`, `glob()`, `mkdir()`, `unlink()`). It is an info, below the ' +
        'warnings of this family: a single `stat` on a local disk is usually microseconds, but a ' +
        'directory walk, `shutil.copytree` or any call on a network volume blocks for as long as the ' +
        'disk takes. There is no automatic fix; wrap the work in `asyncio.to_thread`.',
      whyIsThisBad:
        'These calls are system calls that block the thread running the event loop. On a slow or ' +
        'network file system, or over large trees (`os.walk`, `shutil.rmtree`, `shutil.copytree`), ' +
        'every other request of the process waits for them.',
      example: [
        'import os',
        'import shutil',
        '',
        '@app.delete("/projects/{pid}")',
        'async def delete_project(pid: str):',
        '    root = os.path.join(DATA_DIR, pid)',
        '    if os.path.exists(root):',
        '        shutil.rmtree(root)',
        '    return {"deleted": pid}',
      ].join('\n'),
      useInstead: [
        'import asyncio',
        '',
        '@app.delete("/projects/{pid}")',
        'async def delete_project(pid: str):',
        '    root = os.path.join(DATA_DIR, pid)',
        '    await asyncio.to_thread(shutil.rmtree, root, ignore_errors=True)',
        '    return {"deleted": pid}',
      ].join('\n'),
      notFlagged: [
        'Pure path arithmetic that touches no disk: `os.path.join`, `os.path.basename`, ' +
          '`os.path.splitext`, `Path(...) / "x"`, `Path.name`.',
        'Calls handed to a thread: `await asyncio.to_thread(shutil.rmtree, root)`, and arguments ' +
          'computed for such a call.',
        'Reading or writing file contents (`open()`, `Path.read_text()`): `blocking-file-io-in-async` ' +
          'reports those.',
        '`.exists()`/`.glob()` on objects that are not paths (no `Path(...)`, `Path` annotation or ' +
          '`*_path`/`*_dir` name).',
        'File-system calls in a plain `def`, a sync function nested in an `async def`, or a lambda.',
        'App startup and shutdown hooks (`lifespan`, `@app.on_event("startup")`) and `test_*` ' +
          'functions, which run while no request is waiting.',
      ],
    },
  },
  check(ctx) {
    reportBlockingCalls(
      ctx,
      'fs',
      (call) =>
        `\`${describeCall(call)}\` is a blocking file-system call inside \`async def\`; run it with \`await asyncio.to_thread(...)\``,
    );
  },
};
