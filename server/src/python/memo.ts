/**
 * Caches of values computed once per file, function or call, kept on the object they describe.
 *
 * Not in module-level WeakMaps: such a map soon lives in V8's old generation, and the young
 * generation's collector (the scavenger) keeps what it holds alive until a full collection. Each
 * file's caches, and the nodes and calls they reference, were promoted to the old generation that
 * way and collected only by full GCs: over the benchmark corpus a scan promoted 190 MB with the
 * caches in WeakMaps, 47 MB with them on their owners (`--trace-gc-nvp`).
 */

/** An object that carries caches: the model, its functions and its calls. */
export interface Memoizing {
  /** Created on first use; only `OwnedCache` reads and writes it. */
  memo?: Map<object, unknown>;
}

/** A WeakMap-like cache whose entries are stored on their keys (see the comment above). */
export class OwnedCache<K extends Memoizing, V> {
  /** `name` says what is cached, for debugging. */
  constructor(readonly name: string) {}

  get(owner: K): V | undefined {
    return owner.memo?.get(this) as V | undefined;
  }

  set(owner: K, value: V): void {
    owner.memo ??= new Map();
    owner.memo.set(this, value);
  }
}
