import type { Rule } from '../../server/src/engine/rule';
import {
  describeLoop,
  httpInLoopAdvice,
  quoteCall,
  isStartedConcurrently,
  repeatedRoundTrips,
} from '../../server/src/python/loop-analysis';
import { isAsyncWithItem } from '../../server/src/python/blocking';

/** An HTTP request sent and waited for once per item of a loop. */
export const httpCallInLoop: Rule = {
  meta: {
    id: 'http-call-in-loop',
    language: 'python',
    category: 'n-plus-one',
    severity: 'warning',
    summary: 'HTTP request (`requests.get`, `await client.get`) waited for inside a loop',
    docs: {
      whatItDoes:
        'Finds HTTP requests made one after another inside a `for` or `while` loop or a comprehension: ' +
        '`requests.*`, `httpx.get/post/...`, `urllib.request.urlopen`, and `get/post/...` on HTTP clients ' +
        "(`await client.get(...)`, a `requests.Session()`/`httpx.Client()`, aiohttp's " +
        '`async with session.get(...)`, and a `session` made elsewhere whose arguments say HTTP: a URL or ' +
        'a name holding one (`page.url`, `next_link`), `headers=`, `timeout=`, `params=`, `stream=`...), ' +
        "and the requests of sync service SDKs (`stripe.Subscription.modify`, a `boto3` client's " +
        '`delete_object`, Twilio, SendGrid, Resend) that `blocking-http-in-async` knows.',
      whyIsThisBad:
        "Every request pays DNS, TLS and the remote service's latency, and the loop waits for each before " +
        'sending the next: 100 items at 80 ms each is 8 seconds, while the same requests sent together ' +
        'take about as long as the slowest one, and a batch endpoint takes one round trip.',
      example: [
        'async def enrich(client: httpx.AsyncClient, user_ids: list[int]):',
        '    profiles = []',
        '    for user_id in user_ids:',
        '        response = await client.get(f"/profiles/{user_id}")',
        '        profiles.append(response.json())',
        '    return profiles',
      ].join('\n'),
      useInstead: [
        'async def enrich(client: httpx.AsyncClient, user_ids: list[int]):',
        '    responses = await asyncio.gather(',
        '        *(client.get(f"/profiles/{user_id}") for user_id in user_ids)',
        '    )',
        '    return [response.json() for response in responses]',
      ].join('\n'),
      notFlagged: [
        'Requests started concurrently: coroutines built un-awaited in an `async def` ' +
          '(`[client.get(u) for u in urls]` passed to `asyncio.gather`) or handed to `create_task`, ' +
          '`ensure_future` or `gather`.',
        'Pagination that follows the previous response (`while url: ... url = page["next"]`): the next ' +
          'request needs the answer of this one, so the requests are sequential by nature.',
        'Retry loops that return or break on success, and loops that run once ' +
          '(`for attempt in range(3): try: return requests.get(url, timeout=5)`), also when the ' +
          'request opens a `with` block whose body breaks or returns (a fallback over user agents or ' +
          'mirrors: `async with client.stream(...) as resp: if resp.status_code == 403: continue` ' +
          'then `break`).',
        'Loops over a fixed literal collection, a name bound once to one (and not grown with ' +
          '`.append()`, `.extend()`, `.add()`... past ten elements, or inside a loop), ' +
          'a list or tuple of ten or fewer ' +
          'elements written out (`for v in ("5.2", newest)`), or a literal `range` of ten or fewer ' +
          "iterations (a handful of known endpoints), or a Django model's own fields or relations " +
          '(`Model._meta.get_fields()`, also through a comprehension over them).',
        '`while` loops that sleep between requests: they poll, which the `polling` rules judge.',
        'A request that is the condition of a `while` loop (`while client.post("/jobs/claim", ' +
          'timeout=10).status_code == 200:`): the loop drains a remote queue, one claim per pass. ' +
          'Requests in its body are judged as usual.',
        'SDK calls that work locally: presigned URLs (`generate_presigned_url`), paginators and ' +
          'waiters, `stripe.Webhook.construct_event`.',
        '`get` on names that are not HTTP clients (`cache.get(key)`, `db.get(User, id)`, `os.environ.get`).',
        '`get` of a plain name, not a path or a URL, on a name that looks like a client: ' +
          '`api.properties.get("Auth")` and `_http.get("maxConnections")` read a parsed spec. ' +
          'Awaited calls and calls with an HTTP-only keyword (`headers=`, `params=`...) are still ' +
          'requests, and so is `get` of a path (`api.get(f"/services/{name}")`).',
        'Code in tests and migrations (`tests/`, `test_*.py`, `conftest.py`, `alembic/`, `migrations/`): it runs once or on a handful of rows.',
        'Loops over batches: a batching function (`chunked(ids, 500)`, `itertools.batched`), a stepped `range(0, n, size)` (also inside `tqdm(...)` or `enumerate(...)`), or a loop variable named `batch`/`chunk`; one round trip per batch is the cure.',
      ],
    },
  },
  check(ctx) {
    for (const { call, loop } of repeatedRoundTrips(ctx, 'http', isStartedConcurrently)) {
      const advice = httpInLoopAdvice(call.awaited || isAsyncWithItem(call), !!call.fn?.isAsync);
      ctx.report({
        start: call.node.startIndex,
        end: call.node.endIndex,
        message: `\`${quoteCall(call)}\` sends one HTTP request ${describeLoop(loop)}; ${advice}`,
      });
    }
  },
};
