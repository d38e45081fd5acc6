import type { Language } from '../engine/types';

const EXTENSIONS: Record<string, Language> = {
  '.py': 'python',
  '.pyi': 'python',
  '.sql': 'sql',
};

/** The language a path is analysed as, or undefined when Perflens has no rules for it. */
export function languageOf(path: string): Language | undefined {
  const dot = path.lastIndexOf('.');
  if (dot === -1) return undefined;
  return EXTENSIONS[path.slice(dot).toLowerCase()];
}
