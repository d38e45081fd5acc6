/**
 * A docker compose file read as data: its services with the settings memory rules need, each
 * value with its offsets in the file. Parsed with the `yaml` package (eemeli/yaml), which keeps
 * node ranges, recovers from errors, and builds plain nodes only: no custom tags, nothing run.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  type Document,
  type Node,
  type YAMLMap,
} from 'yaml';

/** A scalar value as text (numbers and booleans as written), with its range in the file. */
export interface ComposeScalar {
  text: string;
  start: number;
  end: number;
}

/** Where a memory setting is written: the cap (`limit`) or the scheduling floor (`reservation`). */
export type MemoryKind = 'limit' | 'reservation';

export interface MemorySetting {
  /** How the setting is spelled, for messages: `mem_limit`, `deploy.resources.limits.memory`. */
  key: string;
  kind: MemoryKind;
  value: ComposeScalar;
}

export interface ComposeService {
  name: string;
  image?: ComposeScalar;
  memory: MemorySetting[];
  /** `environment` in either form (`- KEY=value` or `KEY: value`); later entries win. */
  environment: Map<string, string>;
  /** The words of `command` and `entrypoint`: each list item, or the whole string. */
  commandWords: string[];
  profiles: string[];
}

export interface ComposeFile {
  services: ComposeService[];
  /** Whether the text was not valid YAML: then `services` is empty. */
  invalid: boolean;
}

type Doc = Document.Parsed;

/** The node an alias (`*defaults`) stands for; other nodes as they are. */
function resolved(doc: Doc, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

const isMergeKey = (key: unknown): boolean =>
  isScalar(key) && (typeof key.value === 'symbol' || key.value === '<<');

/**
 * The value under `key` in a map, looking through merge keys (`<<: *defaults`, the x-anchor
 * templates compose files share settings with) when the map does not set it itself.
 */
function lookup(doc: Doc, map: unknown, key: string, depth = 0): unknown {
  const node = resolved(doc, map);
  if (!isMap(node) || depth > 8) return undefined;
  const own = (node as YAMLMap).items.find(
    (pair) => isScalar(pair.key) && String(pair.key.value) === key,
  );
  if (own) return resolved(doc, own.value);
  for (const pair of (node as YAMLMap).items) {
    if (!isMergeKey(pair.key)) continue;
    const sources = resolved(doc, pair.value);
    for (const source of isSeq(sources) ? sources.items : [sources]) {
      const found = lookup(doc, source, key, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function scalarOf(node: unknown): ComposeScalar | undefined {
  if (!isScalar(node) || node.value === null || !node.range) return undefined;
  return { text: String(node.value), start: node.range[0], end: node.range[1] };
}

function textOf(doc: Doc, node: unknown): string | undefined {
  const value = resolved(doc, node);
  return isScalar(value) && value.value !== null ? String(value.value) : undefined;
}

function textsOf(doc: Doc, node: unknown): string[] {
  const value = resolved(doc, node);
  if (isSeq(value)) return value.items.flatMap((item) => textOf(doc, item) ?? []);
  const text = textOf(doc, value);
  return text === undefined ? [] : [text];
}

function environmentOf(doc: Doc, node: unknown): Map<string, string> {
  const environment = new Map<string, string>();
  const value = resolved(doc, node);
  if (isSeq(value)) {
    for (const item of textsOf(doc, value)) {
      const equals = item.indexOf('=');
      if (equals > 0) environment.set(item.slice(0, equals).trim(), item.slice(equals + 1));
    }
  } else if (isMap(value)) {
    for (const pair of value.items) {
      const name = textOf(doc, pair.key);
      const text = textOf(doc, pair.value);
      if (name !== undefined && text !== undefined) environment.set(name, text);
    }
  }
  return environment;
}

/** The memory settings compose reads, short syntax and the `deploy` block alike. */
const MEMORY_PATHS: { key: string; kind: MemoryKind; path: string[] }[] = [
  { key: 'mem_limit', kind: 'limit', path: ['mem_limit'] },
  { key: 'mem_reservation', kind: 'reservation', path: ['mem_reservation'] },
  {
    key: 'deploy.resources.limits.memory',
    kind: 'limit',
    path: ['deploy', 'resources', 'limits', 'memory'],
  },
  {
    key: 'deploy.resources.reservations.memory',
    kind: 'reservation',
    path: ['deploy', 'resources', 'reservations', 'memory'],
  },
];

function serviceOf(doc: Doc, name: string, node: unknown): ComposeService {
  const memory: MemorySetting[] = [];
  for (const { key, kind, path } of MEMORY_PATHS) {
    let value: unknown = node;
    for (const step of path) value = lookup(doc, value, step);
    const scalar = scalarOf(value);
    if (scalar) memory.push({ key, kind, value: scalar });
  }
  return {
    name,
    image: scalarOf(lookup(doc, node, 'image')),
    memory,
    environment: environmentOf(doc, lookup(doc, node, 'environment')),
    commandWords: [
      ...textsOf(doc, lookup(doc, node, 'entrypoint')),
      ...textsOf(doc, lookup(doc, node, 'command')),
    ],
    profiles: textsOf(doc, lookup(doc, node, 'profiles')),
  };
}

/** Reads a compose file; text that is not valid YAML (a file mid-edit) has no services. */
export function parseComposeFile(text: string): ComposeFile {
  // The core schema and no custom tags: nothing in the file can name a type to construct.
  const doc = parseDocument(text, {
    merge: true,
    uniqueKeys: false,
    prettyErrors: false,
    schema: 'core',
  });
  if (doc.errors.length > 0) return { services: [], invalid: true };
  const services = lookup(doc, doc.contents as Node | null, 'services');
  if (!isMap(services)) return { services: [], invalid: false };
  return {
    services: services.items.flatMap((pair) => {
      const name = textOf(doc, pair.key);
      return name === undefined ? [] : [serviceOf(doc, name, pair.value)];
    }),
    invalid: false,
  };
}
