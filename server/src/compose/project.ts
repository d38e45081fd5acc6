/**
 * The services of a compose file as `docker compose` runs them in its workspace: with a base
 * service `extends` names in another file, and merged with the override file compose reads by
 * default next to it (`docker-compose.override.yml` over `docker-compose.yml`). Other files are
 * read from the workspace index, where compose files keep their text, never from disk.
 */
import * as path from 'node:path';
import type { FileFacts } from '../workspace/facts';
import type { WorkspaceIndex } from '../workspace/index';
import {
  extendLayer,
  layerResolver,
  readDefinitions,
  serviceOf,
  type BaseFileLoader,
  type ComposeFile,
  type ComposeScalar,
  type ComposeService,
  type Definitions,
  type Inheritance,
  type Layer,
} from './document';

/** The files `docker compose` reads with no `-f`, the first found (compose-go's `DefaultFileNames`). */
const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];

/** The override it merges into that file, the first found (compose-go's `DefaultOverrideFileNames`). */
const OVERRIDE_FILES = [
  'compose.override.yml',
  'compose.override.yaml',
  'docker-compose.override.yml',
  'docker-compose.override.yaml',
];

const inFile = (via: Inheritance | undefined, file: string): Inheritance | undefined =>
  via && { ...via, file };

const scalarInFile = (scalar: ComposeScalar, file: string): ComposeScalar => ({
  ...scalar,
  file,
  via: inFile(scalar.via, file),
});

/** A layer read from another file, each range marked with that file so no finding lands on it. */
function layerInFile(layer: Layer, file: string): Layer {
  const memory = new Map(
    [...layer.memory].map(([key, setting]) => [
      key,
      { ...setting, value: scalarInFile(setting.value, file) },
    ]),
  );
  const environment = new Map(
    [...layer.environment].map(([key, value]) => [
      key,
      { ...value, file, via: inFile(value.via, file) },
    ]),
  );
  const wordsInFile = <T extends { via?: Inheritance; file?: string }>(
    words: T | undefined,
  ): T | undefined => words && { ...words, file, via: inFile(words.via, file) };
  return {
    ...layer,
    image: layer.image && scalarInFile(layer.image, file),
    memory,
    environment,
    command: wordsInFile(layer.command),
    entrypoint: wordsInFile(layer.entrypoint),
  };
}

/** Another compose file's definitions, read once per version of its facts (null: not YAML). */
const definitionsByFacts = new WeakMap<FileFacts, Definitions | null>();

function definitionsIn(facts: FileFacts | undefined): Definitions | undefined {
  if (facts?.composeText === undefined) return undefined;
  let definitions = definitionsByFacts.get(facts);
  if (definitions === undefined) {
    const read = readDefinitions(facts.composeText);
    definitions = read
      ? new Map(
          [...read].map(([name, { layer, base }]) => [
            name,
            {
              layer: layerInFile(layer, facts.file),
              base: base && { ...base, via: inFile(base.via, facts.file)! },
            },
          ]),
        )
      : null;
    definitionsByFacts.set(facts, definitions);
  }
  return definitions ?? undefined;
}

/** The override's layers merged over the base file's, service by service, as compose merges them. */
function overridden(base: Map<string, Layer>, override: Map<string, Layer>): Map<string, Layer> {
  const merged = new Map(base);
  for (const [name, layer] of override) {
    const under = base.get(name);
    merged.set(name, under ? extendLayer(under, layer, undefined) : layer);
  }
  return merged;
}

/**
 * The services `file` runs with: its own when it names no base in another file and is neither
 * the file compose reads by default nor its override (`docker-compose.prod.yml`, given with `-f`,
 * is merged with nothing by default). `index` is asked for only when other files matter, so the
 * finding of a file that depends on none is not re-checked when others change.
 */
export function composeServices(
  file: string,
  own: ComposeFile,
  index: () => WorkspaceIndex,
): ComposeService[] {
  const name = path.basename(file);
  const overrides = DEFAULT_FILES.includes(name) || OVERRIDE_FILES.includes(name);
  const extendsFiles = [...own.definitions.values()].some(({ base }) => base?.file !== undefined);
  if (own.invalid || (!overrides && !extendsFiles)) return own.services;
  const read = (target: string): Definitions | undefined =>
    target === file ? own.definitions : definitionsIn(index().get(target));
  const merged = overrides ? mergedFile(file, read, index) : undefined;
  if (!merged && !extendsFiles) return own.services;
  const load: BaseFileLoader = (from, relative) => {
    const target = path.isAbsolute(relative)
      ? path.normalize(relative)
      : path.join(path.dirname(from), relative);
    const definitions = read(target);
    return definitions && { file: target, definitions };
  };
  const layer = layerResolver(load);
  const layersOf = (where: string, definitions: Definitions): Map<string, Layer> =>
    new Map(
      [...definitions.keys()].map((service) => [service, layer(where, definitions, service)]),
    );
  let layers = layersOf(file, own.definitions);
  if (merged) {
    const otherLayers = layersOf(merged.file, merged.definitions);
    layers = merged.isOverride ? overridden(layers, otherLayers) : overridden(otherLayers, layers);
  }
  return [...layers].map(([service, resolved]) => serviceOf(service, resolved));
}

/**
 * The file `docker compose` merges with `file` by default, when `file` is the first of the
 * default names in its directory and an override is there, or is that override: the other one,
 * and whether it is the override.
 */
function mergedFile(
  file: string,
  read: (target: string) => Definitions | undefined,
  index: () => WorkspaceIndex,
): { file: string; definitions: Definitions; isOverride: boolean } | undefined {
  const first = (names: string[]): string | undefined =>
    names
      .map((candidate) => path.join(path.dirname(file), candidate))
      .find((candidate) => candidate === file || !!index().get(candidate));
  const base = first(DEFAULT_FILES);
  const override = first(OVERRIDE_FILES);
  const other = file === base ? override : file === override ? base : undefined;
  const definitions = other === undefined ? undefined : read(other);
  return other === undefined || !definitions
    ? undefined
    : { file: other, definitions, isOverride: other === override };
}

/** Where another file is, for messages: relative to the directory of the file checked. */
export function pathFrom(checked: string, file: string): string {
  return path.relative(path.dirname(checked), file).split(path.sep).join('/');
}
