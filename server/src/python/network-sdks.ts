/**
 * Sync SDKs of network services (Stripe, boto3, Twilio, SendGrid, Resend): which of their calls
 * send a request, told apart from those that only build objects or sign URLs locally, and the
 * async variant to suggest. `blocking.ts` traces a call's receiver to the call that made it and
 * asks here; the LLM SDKs, shaped like HTTP clients, are classified there.
 */
import { startsWithModule } from './knowledge';
import type { PyCall, PythonModel } from './model';
import { OwnedCache } from './memo';

/** The SDKs a request may come from. */
export type NetworkSdk = 'stripe' | 'stripe-client' | 'resend' | 'boto3' | 'twilio' | 'sendgrid';

const SDK_MODULES = ['stripe', 'resend', 'boto3', 'twilio', 'sendgrid'];

/** Constructors of SDK clients and sessions: creating one does no I/O; its requests do. */
export const NETWORK_SDK_MAKERS = new Set([
  'boto3.client',
  'boto3.resource',
  'boto3.Session',
  'boto3.session.Session',
  'twilio.rest.Client',
  'sendgrid.SendGridAPIClient',
  'stripe.StripeClient',
]);

const importsSdkCache = new OwnedCache<PythonModel, boolean>('imports a network SDK');

/** Whether the file imports one of the SDKs: files that do not pay nothing more per call. */
export function importsNetworkSdk(model: PythonModel): boolean {
  let imports = importsSdkCache.get(model);
  if (imports === undefined) {
    imports = false;
    for (const qualified of model.imports.values()) {
      if (startsWithModule(qualified, SDK_MODULES)) {
        imports = true;
        break;
      }
    }
    importsSdkCache.set(model, imports);
  }
  return imports;
}

/**
 * Stripe's API operations (`create`, `retrieve`, `list_sources`, `void_invoice`, ...); each has an
 * awaitable `<name>_async` twin in stripe 10+.
 */
const STRIPE_OPERATION =
  /^(?:create|retrieve|list|modify|update|delete|search|cancel|capture|confirm|pay|void|finalize|send|mark|attach|detach|close|reject|approve|resume|upcoming|refund|expire|verify|increment|apply|reverse|release|preview)(?:_[a-z_]+)?$/;
/** Stripe classes whose methods work locally (`stripe.Webhook.construct_event` checks a signature). */
const STRIPE_LOCAL_CLASSES = new Set(['Webhook', 'WebhookSignature', 'OAuth']);

/** Twilio resource operations; `<name>_async` twins need an `AsyncTwilioHttpClient`. */
const TWILIO_OPERATIONS = new Set(['create', 'fetch', 'update', 'delete', 'list', 'page']);

/** boto3 client methods that do no I/O: they sign locally or build helper objects. */
const BOTO3_LOCAL_CLIENT_METHODS = new Set([
  'generate_presigned_url',
  'generate_presigned_post',
  'get_paginator',
  'get_waiter',
  'can_paginate',
  'close',
]);
/** boto3 resource methods that build lazy collections or helpers; iterating them sends requests. */
const BOTO3_LAZY_RESOURCE_METHODS = new Set([
  'all',
  'filter',
  'limit',
  'page_size',
  'pages',
  'batch_writer',
  'get_available_subresources',
]);
/** Methods of a boto3 resource collection (`bucket.objects.filter(...)`): each returns one. */
const BOTO3_COLLECTION_METHODS = new Set(['all', 'filter', 'limit', 'page_size', 'pages']);

/**
 * Whether a method builds a boto3 iterable that sends its requests page by page as it is iterated:
 * a paginator's `paginate(...)` or a resource collection. Building one sends nothing.
 */
export function buildsBoto3Iterable(method: string): boolean {
  return method === 'paginate' || BOTO3_COLLECTION_METHODS.has(method);
}

/** SendGrid's fluent client (`sg.client.mail.send.post(...)`) sends with the HTTP verb. */
const SENDGRID_VERBS = new Set(['send', 'get', 'post', 'put', 'patch', 'delete']);

const CLASS_NAME = /^_?[A-Z]/;

/**
 * The SDK whose request a call sends, or undefined. `maker` is the call that made the receiver
 * (`boto3.client`), `via` the methods of the calls between the receiver and it, nearest the
 * receiver first (`['Table']` for `table.get_item(...)` after `table = dynamodb.Table("t")`).
 * `iterated` says the call's result is iterated (`for page in paginator.paginate(...)`): a boto3
 * paginator or collection then sends requests.
 */
export function networkSdkRequest(
  call: PyCall,
  maker: string,
  via: readonly string[],
  iterated = false,
): NetworkSdk | undefined {
  const { method } = call;
  if (method.endsWith('_async')) return undefined;
  const moduleLevel = moduleLevelRequest(call.qualified, method);
  if (moduleLevel) return moduleLevel;
  switch (maker) {
    case 'boto3.client':
      return boto3ClientRequest(method, via, iterated);
    case 'boto3.resource':
      return boto3ResourceRequest(method, via, iterated);
    case 'boto3.Session':
    case 'boto3.session.Session': {
      // `session.client("s3")` makes a client, `session.resource("s3")` a resource.
      const made = via[via.length - 1];
      const rest = via.slice(0, -1);
      if (made === 'client') return boto3ClientRequest(method, rest, iterated);
      if (made === 'resource') return boto3ResourceRequest(method, rest, iterated);
      return undefined;
    }
    case 'twilio.rest.Client':
      // `client.verify.v2.services(sid).verifications.create(...)`: the contexts cost nothing.
      return TWILIO_OPERATIONS.has(method) ? 'twilio' : undefined;
    case 'sendgrid.SendGridAPIClient':
      // `_("id")` adds a URL segment; any other call's result is a response.
      return SENDGRID_VERBS.has(method) && via.every((name) => name === '_')
        ? 'sendgrid'
        : undefined;
    case 'stripe.StripeClient':
      return via.length === 0 && STRIPE_OPERATION.test(method) ? 'stripe-client' : undefined;
    default:
      return undefined;
  }
}

/** `stripe.Customer.retrieve(...)`, `resend.Emails.send(...)`: the module-level APIs. */
function moduleLevelRequest(qualified: string, method: string): NetworkSdk | undefined {
  const stripe = qualified.startsWith('stripe.');
  if (!stripe && !qualified.startsWith('resend.')) return undefined;
  const parts = qualified.split('.');
  const owner = parts[parts.length - 2];
  if (parts.length < 3 || !CLASS_NAME.test(owner) || CLASS_NAME.test(method)) return undefined;
  if (!stripe) return 'resend';
  if (STRIPE_LOCAL_CLASSES.has(owner) || !STRIPE_OPERATION.test(method)) return undefined;
  return 'stripe';
}

function boto3ClientRequest(
  method: string,
  via: readonly string[],
  iterated: boolean,
): NetworkSdk | undefined {
  // A paginator sends one request per page it yields.
  if (iterated && method === 'paginate' && via.length === 1 && via[0] === 'get_paginator')
    return 'boto3';
  // Objects a client makes (paginators, waiters, responses) are not the client.
  if (via.length > 0 || BOTO3_LOCAL_CLIENT_METHODS.has(method)) return undefined;
  return 'boto3';
}

function boto3ResourceRequest(
  method: string,
  via: readonly string[],
  iterated: boolean,
): NetworkSdk | undefined {
  // A collection (`bucket.objects.filter(...)`, `s3.buckets.all()`) lists page by page as iterated.
  if (
    iterated &&
    BOTO3_COLLECTION_METHODS.has(method) &&
    via.every((name) => CLASS_NAME.test(name) || BOTO3_COLLECTION_METHODS.has(name))
  )
    return 'boto3';
  // Sub-resources (`Bucket("b")`, `Table("t")`) are built without a request; what other methods
  // return (a response dict, a collection) is of unknown kind.
  if (CLASS_NAME.test(method) || BOTO3_LAZY_RESOURCE_METHODS.has(method)) return undefined;
  return via.every((name) => CLASS_NAME.test(name)) ? 'boto3' : undefined;
}

/** What to use instead of a blocking SDK request, ending with the thread fallback. */
export function networkSdkAdvice(sdk: NetworkSdk, describe: string): string {
  const thread = '`await asyncio.to_thread(...)`';
  const twin = `\`${describe.replace(/\(\)$/, '')}_async()\``;
  switch (sdk) {
    case 'stripe':
    case 'stripe-client':
      return `use ${twin} (stripe 10+) or ${thread}`;
    case 'resend':
      return `use ${twin} (\`resend[async]\`) or ${thread}`;
    case 'twilio':
      return `use ${twin} on a client built with \`AsyncTwilioHttpClient\` or ${thread}`;
    case 'boto3':
      return `use an \`aioboto3\` or \`aiobotocore\` client or ${thread}`;
    case 'sendgrid':
      return `SendGrid's SDK has no async client: run it with ${thread}`;
  }
}
