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
import { interpolate } from './interpolation';

/** A scalar value as text (numbers and booleans as written), with its range in the file. */
export interface ComposeScalar {
  /** As written: `${SONAR_MEM:-1g}`. */
  text: string;
  /** Interpolated: defaults used, variables without one left as written (`1g`, `${HEAP}`). */
  value: string;
  /** The variables whose default `value` took. */
  defaulted: string[];
  start: number;
  end: number;
}

/** An `environment` entry's value, interpolated. */
export interface EnvironmentValue {
  /** Undefined for a variable passed from the shell (`- KAFKA_HEAP_OPTS`, `KAFKA_HEAP_OPTS:`). */
  value?: string;
  /** The variables whose default `value` took. */
  defaulted: string[];
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
  environment: Map<string, EnvironmentValue>;
  /** Whether `env_file` names files: variables set there are unknown here. */
  envFiles: boolean;
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
  const text = String(node.value);
  const { text: value, defaulted } = interpolate(text);
  return { text, value, defaulted, start: node.range[0], end: node.range[1] };
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

const environmentValue = (text: string | undefined): EnvironmentValue =>
  text === undefined
    ? { defaulted: [] }
    : (({ text: value, defaulted }) => ({ value, defaulted }))(interpolate(text));

function environmentOf(doc: Doc, node: unknown): Map<string, EnvironmentValue> {
  const environment = new Map<string, EnvironmentValue>();
  const value = resolved(doc, node);
  if (isSeq(value)) {
    for (const item of textsOf(doc, value)) {
      // `- KEY=value`, or `- KEY` alone: the value comes from the shell.
      const equals = item.indexOf('=');
      const name = (equals === -1 ? item : item.slice(0, equals)).trim();
      if (name)
        environment.set(name, environmentValue(equals === -1 ? undefined : item.slice(equals + 1)));
    }
  } else if (isMap(value)) {
    for (const pair of value.items) {
      const name = textOf(doc, pair.key);
      if (name !== undefined) environment.set(name, environmentValue(textOf(doc, pair.value)));
    }
  }
  return environment;
}

/** Whether `env_file` names a file (`.env`, `[a.env]`, or the long syntax `- path: a.env`). */
function namesFiles(doc: Doc, node: unknown): boolean {
  const value = resolved(doc, node);
  if (isSeq(value)) return value.items.length > 0;
  if (isMap(value)) return true;
  return isScalar(value) && value.value !== null && String(value.value) !== '';
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
    envFiles: namesFiles(doc, lookup(doc, node, 'env_file')),
    commandWords: [
      ...textsOf(doc, lookup(doc, node, 'entrypoint')),
      ...textsOf(doc, lookup(doc, node, 'command')),
    ].map((word) => interpolate(word).text),
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
