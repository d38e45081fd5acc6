import type { Rule } from '../../server/src/engine/rule';
import { isMigrationPath, tokenRange } from '../../server/src/sql/helpers';
import { pagingOffset } from '../../server/src/sql/statements';

/** Pages read with a computed `OFFSET`: deep pages re-read every row before them. */
export const offsetPagination: Rule = {
  meta: {
    id: 'offset-pagination',
    language: 'sql',
    category: 'redundant-work',
    severity: 'info',
    summary: '`LIMIT ... OFFSET ?` paging re-reads every skipped row on each page',
    docs: {
      whatItDoes:
        'Finds `SELECT` statements that page with an offset computed at run time: `OFFSET ?`, `OFFSET :skip`, ' +
        "`OFFSET %s`, `OFFSET {offset}` in f-strings, `OFFSET (:page - 1) * :size`, and MySQL's `LIMIT ?, ?`, " +
        'in `.sql` files and embedded SQL.',
      whyIsThisBad:
        'The database cannot jump to row N: it produces and throws away the first N rows of the sorted result ' +
        'for every page. Page 1 is fast; page 5,000 of a 100-row page size reads 500,000 rows to return 100, ' +
        'and a client walking all pages does quadratic work. Rows inserted or deleted between requests also ' +
        'shift the pages, so items are skipped or shown twice.',
      example: 'SELECT id, title FROM posts ORDER BY id LIMIT :size OFFSET :offset',
      useInstead: [
        '-- keyset (seek) pagination: the client sends the last id it saw',
        'SELECT id, title FROM posts WHERE id > :last_id ORDER BY id LIMIT :size',
      ].join('\n'),
      notFlagged: [
        'Constant offsets (`OFFSET 1`, `LIMIT 5, 10`): they skip a fixed number of rows, not a page that grows.',
        'ORM calls (`.offset(skip)`): this rule reads SQL; the Python rules do not flag ORM offsets.',
        'Files under migration folders.',
      ],
    },
  },
  check(ctx) {
    if (isMigrationPath(ctx.relativePath)) return;
    for (const unit of ctx.sqlUnits) {
      for (const statement of unit.statements) {
        if (statement.kind !== 'select') continue;
        const offset = pagingOffset(statement);
        if (!offset) continue;
        ctx.report({
          ...tokenRange(unit, offset),
          message:
            offset.upper === 'OFFSET'
              ? '`OFFSET` paging makes the database read and discard every skipped row: deep pages cost as much as all pages before them'
              : '`LIMIT offset, count` paging makes the database read and discard every skipped row: deep pages cost as much as all pages before them',
        });
      }
    }
  },
};
