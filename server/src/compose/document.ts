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

/**
 * How a service takes a value it does not write itself: the alias in the service that brings it
 * in (`<<: *jvm-defaults`, `mem_limit: *small`, a whole service `b: *a`), with its range.
 */
export interface Inheritance {
  start: number;
  end: number;
  /** As written: `*jvm-defaults`. */
  text: string;
  /** The file it is written in, when not the file being checked (`compose/project.ts`). */
  file?: string;
}

/** A scalar value as text (numbers and booleans as written), with its range in the file. */
export interface ComposeScalar {
  /** As written: `${SONAR_MEM:-1g}`. */
  text: string;
  /** Interpolated: defaults used, variables without one left as written (`1g`, `${HEAP}`). */
  value: string;
  /** The variables whose default `value` took. */
  defaulted: string[];
  /** Where the value is written: its range may be in an `x-` template the service merges. */
  start: number;
  end: number;
  /** The file it is written in, when not the file being checked (`compose/project.ts`). */
  file?: string;
  /** The alias the service takes the value through; undefined for a value the service writes. */
  via?: Inheritance;
}

/** An `environment` entry's value, interpolated. */
export interface EnvironmentValue {
  /** Undefined for a variable passed from the shell (`- KAFKA_HEAP_OPTS`, `KAFKA_HEAP_OPTS:`). */
  value?: string;
  /** The variables whose default `value` took. */
  defaulted: string[];
  /** The alias the service takes the variable through (`environment: *jvm-env`, `<<: *jvm`). */
  via?: Inheritance;
  /** The file it is written in, when not the file being checked (`compose/project.ts`). */
  file?: string;
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
  /** The alias the service takes its `command` (else `entrypoint`) through. */
  commandVia?: Inheritance;
  /** The file its `command` (else `entrypoint`) is written in, when not the file checked. */
  commandFile?: string;
  profiles: string[];
  /**
   * Whether the service `extends` a service that cannot be resolved (in a file not read, not
   * defined where named, a cycle): its environment and command may hold more than read here.
   */
  incomplete: boolean;
}

export interface ComposeFile {
  /** The services with `extends` of services in this file resolved (see `layerResolver`). */
  services: ComposeService[];
  /** Each service as the file writes it, before `extends`: what other files merge. */
  definitions: Definitions;
  /** Whether the text was not valid YAML: then there are no services. */
  invalid: boolean;
}

type Doc = Document.Parsed;

/** The node an alias (`*defaults`) stands for; other nodes as they are. */
function resolved(doc: Doc, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

const isMergeKey = (key: unknown): boolean =>
  isScalar(key) && (typeof key.value === 'symbol' || key.value === '<<');

/** A node reached from a service, with the first alias on the way there. */
interface Found {
  node: unknown;
  via?: Inheritance;
}

/** `via`, or else `node` itself when it is an alias: the outermost alias is the service's own. */
function through(node: unknown, via: Inheritance | undefined): Inheritance | undefined {
  if (via || !isAlias(node) || !node.range) return via;
  return { start: node.range[0], end: node.range[1], text: `*${node.source}` };
}

/**
 * The value under `key` in a map, looking through merge keys (`<<: *defaults`, the x-anchor
 * templates compose files share settings with) when the map does not set it itself, as YAML
 * merges do: the map's own keys first, then each merged map in order.
 */
function lookup(doc: Doc, map: Found | undefined, key: string, depth = 0): Found | undefined {
  if (!map || depth > 8) return undefined;
  const via = through(map.node, map.via);
  const node = resolved(doc, map.node);
  if (!isMap(node)) return undefined;
  const own = (node as YAMLMap).items.find(
    (pair) => isScalar(pair.key) && String(pair.key.value) === key,
  );
  if (own) return { node: resolved(doc, own.value), via: through(own.value, via) };
  for (const pair of (node as YAMLMap).items) {
    if (!isMergeKey(pair.key)) continue;
    const sources = resolved(doc, pair.value);
    const sourcesVia = through(pair.value, via);
    for (const source of isSeq(sources) ? sources.items : [pair.value]) {
      const found = lookup(doc, { node: source, via: sourcesVia }, key, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function scalarOf(found: Found | undefined): ComposeScalar | undefined {
  const node = found?.node;
  if (!isScalar(node) || node.value === null || !node.range) return undefined;
  // A number as written (`0x40000000`), its value as YAML reads it.
  const text = typeof node.value === 'number' && node.source ? node.source : String(node.value);
  const { text: value, defaulted } = interpolate(String(node.value));
  return { text, value, defaulted, start: node.range[0], end: node.range[1], via: found?.via };
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

function environmentOf(doc: Doc, found: Found | undefined): Map<string, EnvironmentValue> {
  const environment = new Map<string, EnvironmentValue>();
  const environmentValue = (text: string | undefined): EnvironmentValue => {
    if (text === undefined) return { defaulted: [], via: found?.via };
    const { text: value, defaulted } = interpolate(text);
    return { value, defaulted, via: found?.via };
  };
  const value = resolved(doc, found?.node);
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
function namesFiles(doc: Doc, found: Found | undefined): boolean {
  const value = resolved(doc, found?.node);
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

interface Words {
  words: string[];
  via?: Inheritance;
  /** The file they are written in, when not the file being checked (`compose/project.ts`). */
  file?: string;
}

/** What one service definition sets itself, its `<<` merges included, before `extends`. */
export interface Layer {
  image?: ComposeScalar;
  memory: Map<string, MemorySetting>;
  environment: Map<string, EnvironmentValue>;
  envFiles: boolean;
  entrypoint?: Words;
  command?: Words;
  profiles: string[];
  incomplete: boolean;
  /**
   * Settings the service decides alone though it `extends` a base: tagged `!reset` or
   * `!override` (compose's tags for dropping or replacing, not merging, what a base sets), on the
   * setting or a mapping above it (`deploy: !override`).
   */
  owned: Set<string>;
}

const tagged = (found: Found | undefined): boolean => {
  const tag = (found?.node as Node | undefined)?.tag;
  return tag === '!reset' || tag === '!override';
};

function wordsOf(doc: Doc, found: Found | undefined): Words | undefined {
  if (!found || (isScalar(found.node) && found.node.value === null)) return undefined;
  return { words: textsOf(doc, found.node).map((word) => interpolate(word).text), via: found.via };
}

function layerOf(doc: Doc, service: Found): Layer {
  const memory = new Map<string, MemorySetting>();
  const owned = new Set<string>();
  for (const { key, kind, path } of MEMORY_PATHS) {
    let found: Found | undefined = service;
    for (const step of path) {
      found = lookup(doc, found, step);
      if (tagged(found)) owned.add(key);
    }
    const scalar = scalarOf(found);
    if (scalar) memory.set(key, { key, kind, value: scalar });
  }
  const environment = lookup(doc, service, 'environment');
  const envFile = lookup(doc, service, 'env_file');
  if (tagged(environment)) owned.add('environment');
  if (tagged(envFile)) owned.add('env_file');
  return {
    image: scalarOf(lookup(doc, service, 'image')),
    memory,
    environment: environmentOf(doc, environment),
    envFiles: namesFiles(doc, envFile),
    entrypoint: wordsOf(doc, lookup(doc, service, 'entrypoint')),
    command: wordsOf(doc, lookup(doc, service, 'command')),
    profiles: textsOf(doc, lookup(doc, service, 'profiles')?.node),
    incomplete: false,
    owned,
  };
}

/** The base a service `extends`: a service name, in another file when `file` is set. */
export interface BaseReference {
  service?: string;
  /** As written: relative to the directory of the file that writes the `extends`, or absolute. */
  file?: string;
  via: Inheritance;
}

/** A service as one file writes it: its own settings, and the base it `extends`. */
export interface ServiceDefinition {
  layer: Layer;
  base?: BaseReference;
}

/** A file's service definitions by name (the first of a name, as YAML parsers keep it). */
export type Definitions = ReadonlyMap<string, ServiceDefinition>;

/** `extends: base` or `extends: {service: base, file: other.yml}`, with its range as an inheritance. */
function extendsOf(doc: Doc, service: Found): BaseReference | undefined {
  const found = lookup(doc, service, 'extends');
  const node = found?.node as Node | undefined;
  if (!node?.range) return undefined;
  const base = isMap(node) ? textOf(doc, lookup(doc, found, 'service')?.node) : textOf(doc, node);
  const file = isMap(node) ? textOf(doc, lookup(doc, found, 'file')?.node) : undefined;
  const via = found?.via ?? {
    start: node.range[0],
    end: node.range[1],
    text: `extends: ${base ?? '?'}`,
  };
  return { service: base, file, via };
}

/**
 * A base service's layer merged under a service's own, as compose merges `extends` and an
 * override file: mappings (`environment`, `deploy.resources.limits`) key by key, `command`,
 * `entrypoint` and scalars replaced. What comes from the base is taken through `via`, the
 * service's `extends`; an override file names no base, and the base's values keep their own.
 */
export function extendLayer(base: Layer, own: Layer, via: Inheritance | undefined): Layer {
  const inherited = <T extends { via?: Inheritance }>(value: T | undefined): T | undefined =>
    value && via ? { ...value, via } : value;
  const memory = new Map<string, MemorySetting>();
  for (const [key, setting] of base.memory)
    if (!own.owned.has(key))
      memory.set(key, via ? { ...setting, value: { ...setting.value, via } } : setting);
  for (const [key, setting] of own.memory) memory.set(key, setting);
  const environment = new Map<string, EnvironmentValue>();
  if (!own.owned.has('environment'))
    for (const [key, value] of base.environment)
      environment.set(key, via ? { ...value, via } : value);
  for (const [key, value] of own.environment) environment.set(key, value);
  return {
    image: own.image ?? inherited(base.image),
    memory,
    environment,
    envFiles: own.envFiles || (base.envFiles && !own.owned.has('env_file')),
    entrypoint: own.entrypoint ?? inherited(base.entrypoint),
    command: own.command ?? inherited(base.command),
    profiles: own.profiles,
    incomplete: own.incomplete || base.incomplete,
    owned: own.owned,
  };
}

/** A file's service definitions, each name's first. */
function definitionsOf(doc: Doc, services: YAMLMap): Definitions {
  const definitions = new Map<string, ServiceDefinition>();
  for (const pair of services.items) {
    const name = textOf(doc, pair.key);
    if (name === undefined || definitions.has(name)) continue;
    const service: Found = { node: pair.value };
    definitions.set(name, { layer: layerOf(doc, service), base: extendsOf(doc, service) });
  }
  return definitions;
}

/** The definitions of the file an `extends` names from `from`, or undefined when unreadable. */
export type BaseFileLoader = (
  from: string,
  file: string,
) => { file: string; definitions: Definitions } | undefined;

/**
 * Resolves `extends` as compose does, each file's services by name, remembering what it resolved:
 * a base in the same file, or in the file `load` reads (one unread, a service not defined there
 * or a cycle leaves the service `incomplete`).
 */
export function layerResolver(
  load: BaseFileLoader | undefined,
): (file: string, definitions: Definitions, name: string) => Layer {
  const layers = new Map<string, Layer>();
  const resolving = new Set<string>();
  const layer = (file: string, definitions: Definitions, name: string): Layer => {
    const key = `${file}\n${name}`;
    const cached = layers.get(key);
    if (cached) return cached;
    const definition = definitions.get(name)!;
    let result = definition.layer;
    const base = definition.base;
    if (base) {
      const target = base.file === undefined ? { file, definitions } : load?.(file, base.file);
      if (
        !target ||
        base.service === undefined ||
        !target.definitions.has(base.service) ||
        resolving.has(`${target.file}\n${base.service}`)
      )
        result = { ...result, incomplete: true };
      else {
        resolving.add(key);
        const baseLayer = layer(target.file, target.definitions, base.service);
        result = extendLayer(baseLayer, result, base.via);
        resolving.delete(key);
      }
    }
    layers.set(key, result);
    return result;
  };
  return layer;
}

/** A resolved layer as the service rules read. */
export function serviceOf(name: string, layer: Layer): ComposeService {
  const { image, memory, environment, envFiles, entrypoint, command, profiles, incomplete } = layer;
  return {
    name,
    image,
    memory: MEMORY_PATHS.flatMap(({ key }) => memory.get(key) ?? []),
    environment,
    envFiles,
    commandWords: [...(entrypoint?.words ?? []), ...(command?.words ?? [])],
    commandVia: (command ?? entrypoint)?.via,
    commandFile: (command ?? entrypoint)?.file,
    profiles,
    incomplete,
  };
}

/** A compose file's service definitions; undefined for text that is not valid YAML. */
export function readDefinitions(text: string): Definitions | undefined {
  // The core schema and no custom tags: nothing in the file can name a type to construct.
  const doc = parseDocument(text, {
    merge: true,
    uniqueKeys: false,
    prettyErrors: false,
    schema: 'core',
  });
  if (doc.errors.length > 0) return undefined;
  const services = lookup(doc, { node: doc.contents as Node | null }, 'services')?.node;
  return isMap(services) ? definitionsOf(doc, services) : new Map();
}

/** Reads a compose file; text that is not valid YAML (a file mid-edit) has no services. */
export function parseComposeFile(text: string): ComposeFile {
  const definitions = readDefinitions(text);
  if (!definitions) return { services: [], definitions: new Map(), invalid: true };
  // Bases in other files are read by `composeServices`, which has the workspace.
  const layer = layerResolver(undefined);
  return {
    services: [...definitions.keys()].map((name) => serviceOf(name, layer('', definitions, name))),
    definitions,
    invalid: false,
  };
}
