/**
 * Whether a query runs per request, for the rules that flag reads loading every row
 * (`prisma-find-many-without-take`, `orm-find-without-limit`): the function holding it is a request
 * handler, a function a handler of the file reaches, or an exported function or public method of an
 * exported class that a route handler in another file calls (a NestJS controller calling the
 * service injected into it), through the workspace index. Also how the messages name that path.
 */
import type { WorkspaceIndex } from '../workspace/index';
import {
  callableFromOtherFiles,
  findEntry,
  handlerLabel,
  handlesRequests,
  type EntryPath,
} from './call-paths';
import type { TsFunction, TsModel } from './model';
import { WorkspaceCallers } from './workspace-callers';

/** A request handler in another file that reaches an exported function or method of this one. */
interface HandlerElsewhere {
  /** `request handler \`POST\` in app/api/cleanup/route.ts` */
  handler: string;
  /** The file of the handler, relative to the workspace. */
  file: string;
  /** Functions between the handler and the exported one, in calling order. */
  via: string[];
}

/** How a request reaches the function a query is in. */
export interface RequestPath {
  path: EntryPath;
  /** The handler, when it is in another file. */
  elsewhere?: HandlerElsewhere;
  /** The file of the handler, relative to the workspace. */
  handlerFile: string;
}

const called = (name: string): string => `\`${name}()\``;

/** Finds the request paths of one file's functions; build one per rule run over a file. */
export class RequestPaths {
  private callers: WorkspaceCallers | undefined;
  /** Handlers in other files, by the start of the exported function they reach. */
  private readonly elsewhere = new Map<number, HandlerElsewhere>();
  /** The workspace root as `file` spells it, to name other files relative to it. */
  private readonly root: string;

  constructor(
    private readonly model: TsModel,
    private readonly index: WorkspaceIndex,
    private readonly file: string,
    private readonly relativePath: string,
  ) {
    this.root = file.slice(0, file.length - relativePath.length);
  }

  /** How a request reaches code in `fn` (undefined: module top level), or undefined if none does. */
  reaching(fn: TsFunction | undefined): RequestPath | undefined {
    const path = findEntry(this.model, fn, {
      isEntry: (candidate) => handlesRequests(this.model, candidate),
      beyondFile: (candidate) => this.beyondFile(candidate),
    });
    if (!path) return undefined;
    const elsewhere = path.beyond ? this.elsewhere.get(path.entry.start) : undefined;
    return { path, elsewhere, handlerFile: elsewhere?.file ?? this.relativePath };
  }

  private beyondFile(fn: TsFunction): string | undefined {
    if (!callableFromOtherFiles(this.model, fn)) return undefined;
    this.callers ??= new WorkspaceCallers(this.index);
    const path = this.callers.handlerReaching(this.file, fn.start);
    if (!path) return undefined;
    const [handler, ...rest] = path.chain;
    const file = handler.file.startsWith(this.root)
      ? handler.file.slice(this.root.length)
      : handler.file;
    const found = {
      handler: `request handler \`${handler.fn.name}\` in ${file}`,
      file,
      via: rest.slice(0, -1).map((step) => called(step.fn.name)),
    };
    this.elsewhere.set(fn.start, found);
    return found.handler;
  }
}

/**
 * Where the request comes in, for the message: `in request handler \`GET /users\``, `reached from
 * request handler \`POST\` in app/api/cleanup/route.ts via \`collectSubtree()\` → \`walk()\``.
 */
export function describeRequestPath({ path, elsewhere }: RequestPath): string {
  if (elsewhere) {
    // The chain starts at the exported function the handler calls; name it when the query sits
    // in a function it calls or nests.
    const inFile = path.chain.length > 1 ? path.chain.map((fn) => called(fn.name)) : [];
    const via = [...elsewhere.via, ...inFile];
    if (via.length === 0) return `called from ${elsewhere.handler}`;
    return `${inFile.length > 0 ? 'reached' : 'called'} from ${elsewhere.handler} via ${via.join(' → ')}`;
  }
  if (path.beyond) return `called from ${path.beyond}`;
  const label = handlerLabel(path.entry);
  const entry = label ? `request handler \`${label}\`` : 'a request handler';
  if (path.chain.length === 1) return `in ${entry}`;
  const via = path.chain.slice(1).map((fn) => called(fn.name));
  return `reached from ${entry} via ${via.join(' → ')}`;
}

/**
 * A route under a `cron/` folder (`app/api/cron/digest/route.ts`, `pages/api/cron/purge.ts`): a
 * scheduler calls it, once an hour or a day, not each visitor.
 */
const CRON_ROUTE = /(?:^|\/)crons?\//i;

/**
 * Whether the handler is a cron route: it runs on each call of the scheduler, and the job usually
 * needs every row, so the advice is to read them in pages rather than stop at the first ones.
 */
export function onCronRoute(path: RequestPath): boolean {
  return CRON_ROUTE.test(path.handlerFile);
}
