import type { Rule } from '../../server/src/engine/rule';
import type { Fix } from '../../server/src/engine/types';
import { appendKeywordArgument } from '../../server/src/python/edits';
import type { PyCall } from '../../server/src/python/model';
import type { Node } from 'web-tree-sitter';
import {
  keywordArgument,
  passesSplat,
  positionalArguments,
} from '../../server/src/python/scope-analysis';

const FIX_TITLE = 'Serve requests concurrently with `threaded=True`';

/** Werkzeug's `make_server` defaults to one thread: requests queue behind each other. */
const WERKZEUG_MAKE_SERVER = 'werkzeug.serving.make_server';

/** Where `make_server(host, port, app, threaded=False, processes=1, ...)` takes each switch. */
const MAKE_SERVER_POSITIONS = { threaded: 3, processes: 4 };

/** The value passed for `name`: by keyword, or (to `make_server`) by position. */
function switchArgument(call: PyCall, name: 'threaded' | 'processes'): Node | undefined {
  const keyword = keywordArgument(call, name);
  if (keyword || call.qualified !== WERKZEUG_MAKE_SERVER) return keyword;
  return positionalArguments(call)[MAKE_SERVER_POSITIONS[name]];
}

/** The fix: flip `threaded=False` (or a positional `False`) or add `threaded=True`. */
function threadedFix(call: PyCall, source: string): Fix {
  const threaded = switchArgument(call, 'threaded');
  const edit = threaded
    ? { start: threaded.startIndex, end: threaded.endIndex, newText: 'True' }
    : appendKeywordArgument(call.args, source, 'threaded', 'True');
  return { title: FIX_TITLE, safety: 'unsafe', edits: [edit] };
}

/** Whether `processes=` asks for more than one worker process, which also serves concurrently. */
function usesProcesses(call: PyCall): boolean {
  const processes = switchArgument(call, 'processes');
  return !!processes && !(processes.type === 'integer' && Number(processes.text) <= 1);
}

/** Why a call starts a server that handles one request at a time, or undefined if it does not. */
function singleThreaded(call: PyCall): string | undefined {
  const threaded = switchArgument(call, 'threaded');
  if (threaded && threaded.type !== 'false') return undefined;
  if (usesProcesses(call)) return undefined;
  if (call.qualified === WERKZEUG_MAKE_SERVER) {
    if (threaded) return '`make_server(..., threaded=False)` serves one request at a time';
    // Without `threaded`, unknown keywords may come through `**options`.
    if (passesSplat(call)) return undefined;
    return '`make_server()` without `threaded=True` serves one request at a time (Werkzeug defaults to a single thread)';
  }
  // `app.run(threaded=False)` (Flask) and `run_simple(..., threaded=False)`: both default to threads
  // or are development servers, so only an explicit `False` is flagged.
  if (threaded && (call.method === 'run' || call.qualified === 'werkzeug.serving.run_simple'))
    return `\`${call.callee || call.method}(threaded=False)\` serves one request at a time`;
  return undefined;
}

/** Servers configured to handle one request at a time. */
export const singleThreadedServer: Rule = {
  meta: {
    id: 'single-threaded-server',
    language: 'python',
    category: 'serialized-work',
    severity: 'warning',
    summary:
      'Werkzeug/Flask server started single-threaded (`make_server(...)`, `app.run(threaded=False)`)',
    fix: { title: FIX_TITLE, safety: 'unsafe', availability: 'always' },
    docs: {
      whatItDoes:
        'Finds Werkzeug and Flask servers that handle one request at a time: ' +
        '`werkzeug.serving.make_server(...)` without `threaded=True` (Werkzeug defaults to a single thread) ' +
        'or with `threaded=False`, and `app.run(threaded=False)` / `run_simple(..., threaded=False)`.',
      whyIsThisBad:
        'A single-threaded server queues every request behind the one being served. One slow query or ' +
        'report export stalls every other user, including health checks, so the service looks down while ' +
        'it is merely busy; total latency becomes the sum of all requests instead of the slowest one.',
      example: [
        'from werkzeug.serving import make_server',
        '',
        'server = make_server("0.0.0.0", 8050, app)',
        'server.serve_forever()',
      ].join('\n'),
      useInstead: [
        'from werkzeug.serving import make_server',
        '',
        'server = make_server("0.0.0.0", 8050, app, threaded=True)',
        'server.serve_forever()',
      ].join('\n'),
      notFlagged: [
        '`threaded=True`, or `processes=N` with N > 1 (a forking server also serves concurrently), ' +
          'by keyword or, to `make_server`, by position (`make_server(host, port, app, True)`).',
        "`app.run()` and `run_simple()` without `threaded`: Flask's `app.run` is threaded by default and " +
          '`run_simple` is a development server; only an explicit `threaded=False` is flagged there.',
        '`make_server(..., **options)`: the options may set `threaded`.',
        '`http.server.HTTPServer`, `wsgiref.simple_server` and `socketserver` servers (standard-library servers ' +
          'used for tooling and tests; they have no `threaded` switch to flip).',
        'Production servers (gunicorn, uvicorn, waitress), whose concurrency is set by their own config.',
      ],
      fixSafety:
        'Unsafe: with `threaded=True` request handlers run at the same time on several threads. Code that ' +
        'relied on one request at a time (a shared DuckDB or SQLite connection used without a cursor per ' +
        'thread, module-level state mutated by handlers) must be made thread-safe first.',
    },
  },
  check(ctx) {
    const model = ctx.python;
    if (!model) return;
    for (const call of model.calls) {
      if (call.method !== 'make_server' && call.method !== 'run' && call.method !== 'run_simple')
        continue;
      const why = singleThreaded(call);
      if (!why) continue;
      ctx.report({
        start: call.node.startIndex,
        end: call.node.endIndex,
        message: `${why}; every request waits for the one before it`,
        fixes: [threadedFix(call, ctx.text)],
      });
    }
  },
};
