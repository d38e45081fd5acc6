/**
 * Who calls a function across the workspace, from the index: the reverse of the call sites every
 * file's facts record. Used to tell that an exported service function, or a method of a service
 * class a controller has injected, runs per request because a route handler in another file calls
 * it, or runs inside an async function there.
 */
import type { FunctionFacts } from '../workspace/facts';
import type { IndexedFunction, WorkspaceIndex } from '../workspace/index';

/**
 * The trait of a function that runs once while the process starts (`main()`, `bootstrap()`,
 * `onModuleInit()`, a function its file only calls from startup code): what it calls runs once,
 * so it is not a way in for per-request or per-call work.
 */
export const STARTUP_TRAIT = 'runs-at-startup';

/** An entry that reaches a function: the entry first, the function asked about last. */
export interface HandlerPath {
  chain: IndexedFunction[];
}

/** What a search for an entry looks for, and which callers it does not go through. */
export interface CallerSearch {
  isEntry(caller: IndexedFunction): boolean;
  /** Callers that are neither entries nor a way to one (in tests or scripts, say). */
  excluded?(caller: IndexedFunction): boolean;
}

/** How many calls deep a handler may be from the function: service → repository → query. */
const MAX_DEPTH = 4;

export class WorkspaceCallers {
  private callers: Map<FunctionFacts, IndexedFunction[]> | undefined;

  constructor(private readonly index: WorkspaceIndex) {}

  /** The shortest path from a route handler in the workspace to the function at `start` in `file`. */
  handlerReaching(file: string, start: number): HandlerPath | undefined {
    return this.entryReaching(file, start, { isEntry: (caller) => caller.fn.isRouteHandler });
  }

  /**
   * The shortest path from an entry (per `search`) in the workspace to the function at `start` in
   * `file`, through callers breadth first. Startup functions and calls whose result is memoised
   * (`cached ??= load()`) are no way in: they run once.
   */
  entryReaching(file: string, start: number, search: CallerSearch): HandlerPath | undefined {
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
          if (search.excluded?.(caller)) continue;
          const longer = [caller, ...chain];
          if (search.isEntry(caller)) return { chain: longer };
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
        if (fn.traits.includes(STARTUP_TRAIT)) continue;
        for (const site of fn.calls) {
          if (site.memoised) continue;
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
