/**
 * Entries of the indexed files (module-level instances, classes) under their qualified names and
 * each dotted suffix, kept up to date one file at a time once built. They were rebuilt from every
 * file whenever a file declaring one changed, and rules ask for them while a scan adds files, so a
 * workspace of n such files cost n rebuilds of n files.
 */
import type { FileFacts } from './facts';

/** An entry and the qualified name it is found under (`app.cache.redis_client`). */
export type NamedEntry<T> = [qualifiedName: string, entry: T];

export class NamedViews<T extends { file: string }> {
  private readonly exact = new Map<string, T[]>();
  /** Entries by every dotted suffix of their qualified name of two or more parts. */
  private readonly bySuffix = new Map<string, T[]>();

  /** `entriesOf` lists what a file contributes; it is asked again for the facts a file drops. */
  constructor(private readonly entriesOf: (facts: FileFacts) => Iterable<NamedEntry<T>>) {}

  get isEmpty(): boolean {
    return this.exact.size === 0;
  }

  add(facts: FileFacts): void {
    for (const [qualifiedName, entry] of this.entriesOf(facts)) {
      const { exact, suffixes } = nameKeys(qualifiedName);
      push(this.exact, exact, entry);
      for (const suffix of suffixes) push(this.bySuffix, suffix, entry);
    }
  }

  /** Drops the entries `facts` (the file's facts as they were added) contributed. */
  remove(facts: FileFacts): void {
    for (const [qualifiedName] of this.entriesOf(facts)) {
      const { exact, suffixes } = nameKeys(qualifiedName);
      dropFile(this.exact, exact, facts.file);
      for (const suffix of suffixes) dropFile(this.bySuffix, suffix, facts.file);
    }
  }

  /** The one entry of a qualified name, or of a dotted suffix only one entry has. */
  lookUp(name: string): T | undefined {
    const exact = this.exact.get(name);
    if (exact?.length === 1) return exact[0];
    const bySuffix = this.bySuffix.get(name);
    return bySuffix?.length === 1 ? bySuffix[0] : undefined;
  }
}

/** The keys an entry is found under: its qualified name, and each dotted suffix of 2+ parts. */
export function nameKeys(qualifiedName: string): { exact: string; suffixes: string[] } {
  const suffixes: string[] = [];
  // `a.b.c.d` -> `b.c.d`, `c.d`: each suffix starts after a dot and still holds one.
  let dot = qualifiedName.indexOf('.');
  while (dot !== -1) {
    const suffix = qualifiedName.slice(dot + 1);
    if (!suffix.includes('.')) break;
    suffixes.push(suffix);
    dot = qualifiedName.indexOf('.', dot + 1);
  }
  return { exact: qualifiedName, suffixes };
}

/** Adds `value` to the list of `key`. */
export function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Drops the entries of `file` from the list of `key` (and the key when none is left). */
export function dropFile<T extends { file: string }>(
  map: Map<string, T[]>,
  key: string,
  file: string,
): void {
  const list = map.get(key);
  if (!list) return;
  const kept = list.filter((entry) => entry.file !== file);
  if (kept.length > 0) map.set(key, kept);
  else map.delete(key);
}
