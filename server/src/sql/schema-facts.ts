/**
 * The schema a `.sql` file declares: `CREATE TABLE` columns and `REFERENCES`, `CREATE INDEX`,
 * `ALTER TABLE ... ADD FOREIGN KEY`, `DROP INDEX`.
 */
import type { Tree } from 'web-tree-sitter';
import { emptyFacts, type FileFacts } from '../workspace/facts';
import type { SqlUnit } from './unit';

/** Facts of a SQL file. */
export function extractSqlFacts(
  file: string,
  _relativePath: string,
  _unit: SqlUnit,
  _tree: Tree,
): FileFacts {
  return emptyFacts(file, 'sql');
}
