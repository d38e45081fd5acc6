/**
 * Who calls a function across the workspace, from the index: the reverse of the call sites every
 * file's facts record. Used to tell that an exported service function runs per request because a
 * route handler in another file calls it.
 */
import type { FunctionFacts } from '../workspace/facts';
import type { IndexedFunction, WorkspaceIndex } from '../workspace/index';

/** A route handler that reaches a function: the handler first, the function asked about last. */
export interface HandlerPath {
  chain: IndexedFunction[];
}

/** How many calls deep a handler may be from the function: service → repository → query. */
const MAX_DEPTH = 4;

export class WorkspaceCallers {
  private callers: Map<FunctionFacts, IndexedFunction[]> | undefined;

  constructor(private readonly index: WorkspaceIndex) {}

  /** The shortest path from a route handler in the workspace to the function at `start` in `file`. */
  handlerReaching(file: string, start: number): HandlerPath | undefined {
    const fn = this.index.get(file)?.functions.find((candidate) => candidate.start === start);
    if (!fn) return undefined;
    const seen = new Set<FunctionFacts>([fn]);
    let frontier: IndexedFunction[][] = [[{ file, fn }]];
    for (let depth = 0; depth < MAX_DEPTH && frontier.length > 0; depth++) {
      const next: IndexedFunction[][] = [];
      for (const chain of frontier) {
        for (const caller of this.callersOf(chain[0].fn)) {
          if (seen.has(caller.fn)) continue;
          seen.add(caller.fn);
          const longer = [caller, ...chain];
          if (caller.fn.isRouteHandler) return { chain: longer };
          next.push(longer);
        }
      }
      frontier = next;
    }
    return undefined;
  }

  private callersOf(fn: FunctionFacts): IndexedFunction[] {
    this.callers ??= this.buildCallers();
    return this.callers.get(fn) ?? [];
  }

  private buildCallers(): Map<FunctionFacts, IndexedFunction[]> {
    const callers = new Map<FunctionFacts, IndexedFunction[]>();
    for (const facts of this.index.allFacts()) {
      if (facts.language !== 'typescript') continue;
      for (const fn of facts.functions) {
        for (const site of fn.calls) {
          const target = this.index.resolve(site.targets);
          if (!target || target.fn === fn) continue;
          const list = callers.get(target.fn);
          const caller = { file: facts.file, fn };
          if (!list) callers.set(target.fn, [caller]);
          else if (!list.some((known) => known.fn === fn)) list.push(caller);
        }
      }
    }
    return callers;
  }
}
