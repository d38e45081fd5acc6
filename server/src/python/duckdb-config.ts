/** DuckDB settings passed as Python data: `duckdb.connect(path, config={"threads": 1})`. */
import type { Node } from 'web-tree-sitter';
import type { PythonModel } from './model';
import { keywordArg, stringValue } from './schema-args';

/** One literal entry of a `config=` dict: the setting's name and its value as written. */
export interface DuckdbConfigEntry {
  /** Lower-cased, as DuckDB matches setting names case-insensitively. */
  name: string;
  /** A string literal's content or an integer's digits. */
  value: string;
  /** Whether the value was a string literal (`"512MB"`) rather than a number (`1`). */
  quoted: boolean;
  /** The `key: value` pair, where a finding goes. */
  pair: Node;
}

/**
 * The literal entries of the `config=` dict of each `duckdb.connect(...)` call. A dict built
 * elsewhere (`config=cfg`), computed keys or values (`os.cpu_count()`, f-strings) are not read:
 * their values are not known.
 */
export function duckdbConfigEntries(model: PythonModel): DuckdbConfigEntry[] {
  if (!model.source.includes('config')) return [];
  const entries: DuckdbConfigEntry[] = [];
  for (const call of model.calls) {
    if (call.qualified !== 'duckdb.connect') continue;
    const config = keywordArg(call.args, 'config');
    if (config?.type !== 'dictionary') continue;
    for (const pair of config.namedChildren) {
      if (pair?.type !== 'pair') continue;
      const name = stringValue(pair.childForFieldName('key'));
      const valueNode = pair.childForFieldName('value');
      if (name === undefined || !valueNode) continue;
      const text = valueNode.type === 'integer' ? valueNode.text : stringValue(valueNode);
      if (text === undefined) continue;
      entries.push({
        name: name.toLowerCase(),
        value: text,
        quoted: valueNode.type !== 'integer',
        pair,
      });
    }
  }
  return entries;
}
