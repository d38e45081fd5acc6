import type { Rule } from '../../server/src/engine/rule';
import {
  describeCall,
  fileReaderAround,
  reportBlockingCalls,
} from '../../server/src/python/blocking';

/** Sync file reads and writes (`open()`, `Path.read_text()`) inside `async def`. */
export const blockingFileIoInAsync: Rule = {
  meta: {
    id: 'blocking-file-io-in-async',
    language: 'python',
    category: 'blocking-in-async',
    severity: 'warning',
    summary: 'Sync file I/O (`open()`, `Path.read_text()`) inside `async def`',
    docs: {
      whatItDoes:
        'Finds files opened, read or written synchronously in the body of an `async def`: `open()`, ' +
        '`io.open()`, `gzip.open()` and friends, `Path.read_text()`/`write_text()`/`read_bytes()`/' +
        '`write_bytes()`/`open()`, `json.load(open(...))` (reported once, on the whole expression), ' +
        "and Pillow's `Image.open(path)`, which opens the file and reads its header, given a path: a " +
        'string, a `Path`, or a name annotated `str`/`Path` or named like one (`image_path`, `filename`). ' +
        'There is no automatic fix: the async replacements (`aiofiles`, `anyio`) are extra ' +
        'dependencies and change how the file object is used (`await f.read()`).',
      whyIsThisBad:
        'Disk reads and writes block the thread, and in async code that thread runs the event loop. ' +
        'A large upload written with `open()`, or a config file on a network volume, stalls every ' +
        'other request of the process until the disk answers.',
      example: [
        'import json',
        '',
        '@app.post("/reports/{name}")',
        'async def save_report(name: str, report: Report):',
        '    with open(f"/data/reports/{name}.json", "w") as f:',
        '        json.dump(report.model_dump(), f)',
        '    index = json.load(open("/data/reports/index.json"))',
        '    return index',
      ].join('\n'),
      useInstead: [
        'import aiofiles',
        '',
        '@app.post("/reports/{name}")',
        'async def save_report(name: str, report: Report):',
        '    async with aiofiles.open(f"/data/reports/{name}.json", "w") as f:',
        '        await f.write(report.model_dump_json())',
        '    index = await asyncio.to_thread(load_json, "/data/reports/index.json")',
        '    return index',
      ].join('\n'),
      notFlagged: [
        '`aiofiles.open(...)`, `anyio.open_file(...)` and awaited `anyio.Path` methods.',
        'Work handed to a thread: `await asyncio.to_thread(path.read_text)`, ' +
          '`run_in_executor(None, lambda: open(p).read())`, and arguments computed for such a call ' +
          '(`asyncio.to_thread(json.load, open(p))` opens on the loop but reads in the thread).',
        'Reads and writes on an already opened file object (`f.read()`, `json.load(f)`): the ' +
          '`open()` that made it is the finding.',
        'File-system metadata calls (`os.path.exists`, `os.listdir`, `shutil.*`): ' +
          '`blocking-fs-call-in-async` reports those at a lower severity.',
        'File I/O in a plain `def`, including a sync function nested in an `async def`, and in lambdas.',
        'A module-level function of the file named `open` (not the builtin).',
        '`Image.open(...)` of a file object (`io.BytesIO(data)`, `upload.file`) or of a name that ' +
          'says neither path nor file name: Pillow reads it where it already is.',
        'App startup and shutdown hooks (`lifespan`, `@app.on_event("startup")`) and `test_*` ' +
          'functions, which run while no request is waiting.',
      ],
    },
  },
  check(ctx) {
    reportBlockingCalls(ctx, 'file', (call) => {
      // `json.load(open(p))` is one read: report the whole expression once.
      const reader = fileReaderAround(call);
      const node = reader?.node ?? call.node;
      const quoted = reader
        ? `${reader.callee}(${describeCall(call).replace(/\(\)$/, '(...)')})`
        : describeCall(call);
      return {
        start: node.startIndex,
        end: node.endIndex,
        message: `\`${quoted}\` does blocking file I/O inside \`async def\`; use \`aiofiles\`/\`anyio\` or \`await asyncio.to_thread(...)\``,
      };
    });
  },
};
