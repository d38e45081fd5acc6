import type { Language } from '../engine/types';

const EXTENSIONS: Record<string, Language> = {
  '.py': 'python',
  '.pyi': 'python',
  '.sql': 'sql',
  '.ts': 'typescript',
  '.tsx': 'typescript',
  '.mts': 'typescript',
  '.cts': 'typescript',
  '.js': 'typescript',
  '.jsx': 'typescript',
  '.mjs': 'typescript',
  '.cjs': 'typescript',
  '.prisma': 'prisma',
};

/**
 * Generated or declaration-only JavaScript: type declarations run no code, and bundles and
 * minified files are build output whose findings belong to their sources.
 */
const GENERATED = /(?:\.d\.[mc]?ts|[.-]min\.[mc]?js|\.bundle\.[mc]?js|\.chunk\.[mc]?js)$/i;

/**
 * Docker compose files by name (`docker-compose.yml`, `docker-compose.prod.yaml`,
 * `docker-compose-dev.yml`, `compose.yaml`, `compose.override.yml`): other YAML is not compose.
 */
const COMPOSE_FILE = /^(?:docker-compose(?:[.-][^/\\]+)?|compose(?:\.[^/\\]+)?)\.ya?ml$/i;

/** The language a path is analysed as, or undefined when Perflens has no rules for it. */
export function languageOf(path: string): Language | undefined {
  const name = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  if (COMPOSE_FILE.test(name)) return 'compose';
  const dot = path.lastIndexOf('.');
  if (dot === -1) return undefined;
  return EXTENSIONS[path.slice(dot).toLowerCase()];
}

/** Declaration files and bundles, which workspace discovery skips by default. */
export function isGeneratedFileName(path: string): boolean {
  return GENERATED.test(path);
}
