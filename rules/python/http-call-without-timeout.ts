import type { FileContext, Rule } from '../../server/src/engine/rule';
import { appendKeywordArgument } from '../../server/src/python/edits';
import {
  dottedName,
  qualify,
  type PyCall,
  type PyFunction,
  type PythonModel,
} from '../../server/src/python/model';
import { localFlow } from '../../server/src/python/local-flow';
import {
  bindingStatements,
  functionOf,
  keywordArgument,
  passesSplat,
  positionalArguments,
} from '../../server/src/python/scope-analysis';

/** Seconds the fix allows: long enough for slow APIs, short enough to free a stuck worker. */
const TIMEOUT_SECONDS = 10;

const FIX_TITLE = `Add \`timeout=${TIMEOUT_SECONDS}\``;

/** `requests` functions and `Session` methods that send a request. */
const REQUEST_METHODS = new Set([
  'get',
  'post',
  'put',
  'patch',
  'delete',
  'head',
  'options',
  'request',
]);

const SESSION_CONSTRUCTORS = new Set([
  'requests.Session',
  'requests.session',
  'requests.sessions.Session',
]);

/** `urlopen(url, data, timeout)`: the timeout may be the third positional argument. */
const URLOPEN = 'urllib.request.urlopen';

/** A name bound to a plain `requests.Session()`, and where it is visible. */
interface SessionBinding {
  /** `session`, or `self.session` for an attribute. */
  name: string;
  /** The function that binds it locally; undefined for module-level names and attributes. */
  fn?: PyFunction;
}

/** Names bound to `requests.Session()` by assignment or `with ... as`. */
function sessionBindings(model: PythonModel): SessionBinding[] {
  const bindings: SessionBinding[] = [];
  for (const call of model.calls) {
    if (!SESSION_CONSTRUCTORS.has(call.qualified)) continue;
    const parent = call.node.parent;
    if (parent?.type === 'as_pattern') {
      const alias = parent.childForFieldName('alias')?.namedChildren[0];
      if (alias?.type === 'identifier') bindings.push({ name: alias.text, fn: call.fn });
      continue;
    }
    if (parent?.type !== 'assignment') continue;
    const left = parent.childForFieldName('left');
    if (left?.type === 'identifier') bindings.push({ name: left.text, fn: call.fn });
    else if (left?.type === 'attribute') bindings.push({ name: left.text });
  }
  return bindings;
}

/** `session.request = functools.partial(session.request, timeout=...)`, seen in the text first. */
const PATCHED_REQUEST = /\.request\s*=[^=]/;

/** The session binding `name` refers to inside `fn`: a local one of `fn` (or an enclosing function) first. */
function visibleBinding(
  name: string,
  fn: PyFunction | undefined,
  bindings: SessionBinding[],
): SessionBinding | undefined {
  for (let f = fn; f; f = f.parent) {
    const local = bindings.find((binding) => binding.name === name && binding.fn === f);
    if (local) return local;
    // A parameter or local of the same name (often a database `session`) hides the module's.
    if (f.params.some((param) => param.name === name) || localFlow(f).assignments.has(name))
      return undefined;
  }
  return bindings.find((binding) => binding.name === name && !binding.fn);
}

/**
 * Sessions whose requests may carry a default timeout: a mounted adapter (often a
 * `TimeoutHTTPAdapter`) or a patched `session.request`.
 */
function configuredSessions(model: PythonModel, bindings: SessionBinding[]): Set<SessionBinding> {
  const configured = new Set<SessionBinding>();
  const mark = (name: string, fn: PyFunction | undefined): void => {
    const binding = visibleBinding(name, fn, bindings);
    if (binding) configured.add(binding);
  };
  for (const call of model.calls) {
    if (call.method === 'mount' && call.receiver) mark(call.receiver.text, call.fn);
  }
  if (!PATCHED_REQUEST.test(model.source)) return configured;
  for (const statement of bindingStatements(model)) {
    const left = statement.childForFieldName('left');
    if (left?.type !== 'attribute' || left.childForFieldName('attribute')?.text !== 'request')
      continue;
    mark(left.childForFieldName('object')?.text ?? '', functionOf(model, statement));
  }
  return configured;
}

/** Whether the call is a request on a plain, unconfigured `requests.Session`. */
function onPlainSession(
  call: PyCall,
  bindings: SessionBinding[],
  configured: Set<SessionBinding>,
): boolean {
  if (!REQUEST_METHODS.has(call.method) || !call.receiver) return false;
  const binding = visibleBinding(call.receiver.text, call.fn, bindings);
  return !!binding && !configured.has(binding);
}

/** Whether the call already passes a timeout, or may through `**kwargs`. */
function hasTimeout(call: PyCall): boolean {
  if (keywordArgument(call, 'timeout') || passesSplat(call)) return true;
  return call.qualified === URLOPEN && positionalArguments(call).length >= 3;
}

/** Whether `qualified` names a `requests` function that sends a request, or `urlopen`. */
function isRequestFunction(qualified: string): boolean {
  if (qualified === URLOPEN) return true;
  const method = qualified.slice('requests.'.length);
  return qualified === `requests.${method}` && REQUEST_METHODS.has(method);
}

/**
 * The request function `asyncio.to_thread` runs (`to_thread(requests.get, url)`), quoted as
 * written, else undefined. Only `to_thread`: it hands its keyword arguments on, so the request's
 * own `timeout=` can be added to it; `run_in_executor` and `anyio`'s `run_sync` take none.
 */
function requestInThread(call: PyCall, model: PythonModel): string | undefined {
  if (call.qualified !== 'asyncio.to_thread') return undefined;
  const fn = positionalArguments(call)[0];
  const name = dottedName(fn ?? null);
  return name && isRequestFunction(qualify(name, model.imports)) ? name : undefined;
}

/** Whether a `to_thread` call hands its request a timeout, or may through `**kwargs`. */
function threadHasTimeout(call: PyCall, request: string, model: PythonModel): boolean {
  if (keywordArgument(call, 'timeout') || passesSplat(call)) return true;
  // `to_thread(urlopen, url, data, timeout)`: the request's third positional argument.
  return qualify(request, model.imports) === URLOPEN && positionalArguments(call).length >= 4;
}

/** HTTP requests that wait forever on a server that stops answering. */
export const httpCallWithoutTimeout: Rule = {
  meta: {
    id: 'http-call-without-timeout',
    language: 'python',
    category: 'resource-config',
    severity: 'warning',
    summary: '`requests` / `urlopen` call without `timeout=` can hang forever',
    fix: { title: FIX_TITLE, safety: 'unsafe', availability: 'always' },
    docs: {
      whatItDoes:
        'Finds HTTP requests made with `requests` (`requests.get/post/put/patch/delete/head/options/request` ' +
        'and the same methods on a `requests.Session()` bound in the file) and `urllib.request.urlopen` that ' +
        'pass no `timeout`, also when run in a thread by `asyncio.to_thread(requests.get, url)`.',
      whyIsThisBad:
        '`requests` and `urlopen` have no default timeout: if the server accepts the connection and then stops ' +
        'answering (an overloaded API, a dropped packet, a half-open socket), the call waits forever. Each ' +
        'stuck call holds a web worker or thread; a few of them and the service stops serving while using no ' +
        'CPU at all.',
      example: [
        'import requests',
        '',
        'def fetch_invoice(invoice_id):',
        '    response = requests.get(f"{BILLING_API}/invoices/{invoice_id}")',
        '    response.raise_for_status()',
        '    return response.json()',
      ].join('\n'),
      useInstead: [
        'import requests',
        '',
        'def fetch_invoice(invoice_id):',
        `    response = requests.get(f"{BILLING_API}/invoices/{invoice_id}", timeout=${TIMEOUT_SECONDS})`,
        '    response.raise_for_status()',
        '    return response.json()',
      ].join('\n'),
      notFlagged: [
        'httpx (`httpx.get`, `httpx.Client()`, `httpx.AsyncClient()`): it applies a 5-second timeout by default.',
        'aiohttp, whose `ClientSession` applies a 5-minute total timeout by default.',
        'Calls passing `timeout=` (even `timeout=None`, an explicit choice), `**kwargs` or `*args` that may ' +
          'hold it, and `urlopen(url, data, timeout)` with the timeout positional.',
        'Requests on sessions that mount an adapter (`session.mount(...)`, often a timeout adapter) or patch ' +
          '`session.request`, and on sessions the file does not create (their configuration is unknown).',
        'Requests handed to `loop.run_in_executor(None, requests.get, url)` (it passes no keyword ' +
          'arguments, so the call has to change shape) or built with `functools.partial` (the timeout ' +
          'may come when it is called).',
      ],
      fixSafety:
        `Unsafe: with \`timeout=${TIMEOUT_SECONDS}\` a response slower than ${TIMEOUT_SECONDS} seconds raises ` +
        '`requests.Timeout` (`socket.timeout`/`URLError` for `urlopen`) instead of waiting. That is the point, ' +
        'but large downloads or slow report endpoints may need a longer value or a `(connect, read)` tuple, and ' +
        'callers may need to handle the exception.',
    },
  },
  check(ctx) {
    const model = ctx.python;
    if (!model) return;
    let bindings: SessionBinding[] | undefined;
    let configured: Set<SessionBinding> | undefined;
    for (const call of model.calls) {
      const q = call.qualified;
      const threaded = requestInThread(call, model);
      if (threaded) {
        if (!threadHasTimeout(call, threaded, model)) reportMissing(ctx, call, threaded);
        continue;
      }
      const direct =
        q === URLOPEN ||
        (q.startsWith('requests.') &&
          q === `requests.${call.method}` &&
          REQUEST_METHODS.has(call.method));
      if (!direct) {
        if (!REQUEST_METHODS.has(call.method) || !call.hasReceiver) continue;
        bindings ??= sessionBindings(model);
        if (bindings.length === 0) continue;
        configured ??= configuredSessions(model, bindings);
        if (!onPlainSession(call, bindings, configured)) continue;
      }
      if (hasTimeout(call)) continue;
      reportMissing(ctx, call, undefined);
    }
  },
};

/**
 * Reports a request without a timeout; `threaded`: the request function `call` (an
 * `asyncio.to_thread`) runs, which takes the `timeout=` on its behalf.
 */
function reportMissing(ctx: FileContext, call: PyCall, threaded: string | undefined): void {
  const callee = call.callee || call.method;
  const what = threaded
    ? `\`${threaded}\` run by \`${callee}()\` has no \`timeout\`: if the server stops answering, the thread waits forever`
    : `\`${callee}()\` has no \`timeout\`: if the server stops answering, this call waits forever`;
  ctx.report({
    start: call.node.startIndex,
    end: call.node.endIndex,
    message: `${what}; pass \`timeout=\``,
    fixes: [
      {
        title: FIX_TITLE,
        safety: 'unsafe',
        edits: [appendKeywordArgument(call.args, ctx.text, 'timeout', String(TIMEOUT_SECONDS))],
      },
    ],
  });
}
