import type { Rule } from '../../server/src/engine/rule';
import {
  boundText,
  looksUpUniqueColumn,
  unboundedOrmReads,
  type OrmRead,
} from '../../server/src/python/orm';

function message(read: OrmRead): string {
  switch (read.kind) {
    case 'sqlalchemy-query':
      return `\`${read.head}\` loads every matching row into memory: the query has no \`.limit()\``;
    case 'sqlalchemy-select':
      return `\`${read.head}\` loads every matching row into memory: the statement has no \`.limit()\``;
    case 'django':
      return `\`${read.head}\` is evaluated whole: every matching row is loaded, the queryset is not sliced`;
  }
}

/** ORM reads (SQLAlchemy, Django) that load every matching row. */
export const unboundedOrmQuery: Rule = {
  meta: {
    id: 'unbounded-orm-query',
    language: 'python',
    category: 'unbounded-query',
    severity: 'warning',
    summary: 'ORM query loads every matching row: `.all()` with no `.limit()`, or a whole queryset',
    fix: { title: 'Add `.limit(n)` / `[:n]`', safety: 'unsafe', availability: 'always' },
    docs: {
      whatItDoes:
        'Finds ORM reads that load every row their query matches: SQLAlchemy `session.query(X)...all()` and ' +
        'Flask-SQLAlchemy `X.query...all()` with no `.limit()`; `session.execute(select(X)...).scalars().all()`, ' +
        '`session.scalars(stmt).all()` and `(await session.execute(stmt)).scalars().all()` whose `select(...)` ' +
        'has no `.limit()` (also when the statement or the query is built in a local variable first, ' +
        '`q = q.filter(...)` included); Django querysets evaluated whole by `list(...)`, `sorted(...)`, a `for` ' +
        'loop or a comprehension with no slice (`[:n]`).',
      whyIsThisBad:
        'The number of rows grows with the table, and each becomes a Python object: an identity-map entry ' +
        'for SQLAlchemy, a model instance for Django, often ten times the row size. The page that loaded ' +
        '200 rows in development loads 2 million for the largest tenant, holds a connection for seconds and ' +
        'runs the worker out of memory.',
      example: [
        'def open_orders(db: Session):',
        '    return db.query(Order).filter(Order.status == "open").order_by(Order.created_at).all()',
      ].join('\n'),
      useInstead: [
        'def open_orders(db: Session, limit: int = 100):',
        '    return (',
        '        db.query(Order).filter(Order.status == "open").order_by(Order.created_at).limit(limit).all()',
        '    )',
      ].join('\n'),
      notFlagged: [
        'Reads of one row or a scalar: `.first()`, `.one()`, `.one_or_none()`, `.scalar()`, `.scalar_one()`, `.get()`, `session.get(X, id)`, Django `.get()`, `.first()`, `.last()`.',
        'Counts, existence checks and aggregates: `.count()`, `.exists()`, `.aggregate()`, `session.query(func.count(X.id))` and `select(func.sum(...))` without `group_by`.',
        'Lookups by primary key or a unique column: `filter(X.id == ...)`, `filter_by(id=...)`, `where(X.id == ...)`, Django `filter(pk=...)`, and `==` on columns the models declare `primary_key` or `unique`.',
        'Batch loads by a list the code already holds: `filter(X.id.in_(ids))`, `where(X.owner_id.in_(ids))`, Django `filter(id__in=ids)`. Their size follows the list, which comes from a bounded read, and they are the fix the `n-plus-one` rules recommend.',
        'Queries that already bound or page: `.limit()`, `.slice()`, `.paginate()`, `.fetch()`, `[:n]`, `[i]`, and streaming reads that never hold every row at once (`.yield_per()`, `execution_options(yield_per=...)` / `stream_results=True`, `.partitions()`, Django `.iterator()`).',
        'Bulk operations that return no rows: `.delete()`, `.update()`.',
        'Querysets that are not evaluated where they are built: `return Order.objects.filter(...)`, a DRF `queryset = ...` that the paginator slices.',
        'Raw SQL strings: `unbounded-select` checks those. A `query("...")` on something named like a ' +
          'session is not SQLAlchemy\'s either (which takes mapped classes and columns): `tags.query("category")`.',
      ],
      fixSafety:
        'Unsafe: the bound changes how many rows the code receives. It is right for lists shown to people, ' +
        'wrong for code that needs every row (exports, batch jobs), which should page or stream instead. ' +
        'SQLAlchemy queries get `.limit(n)` before `.all()` (legacy `Query`), or at the end of the `select(...)` ' +
        'chain passed to `execute`/`scalars` (`stmt.limit(n)` when the statement is a variable, which may ' +
        'also feed a count); Django querysets get `[:n]`. ' +
        'n comes from the `defaultLimit` setting (default 1000). Without an `order_by` the rows kept are arbitrary.',
    },
  },
  check(ctx) {
    const model = ctx.python;
    if (!model) return;
    for (const read of unboundedOrmReads(model)) {
      if (looksUpUniqueColumn(read, ctx.index)) continue;
      const text = boundText(read, ctx.options.defaultLimit);
      ctx.report({
        start: read.node.startIndex,
        end: read.node.endIndex,
        message: message(read),
        fixes: [
          {
            title: `Add \`${text}\``,
            safety: 'unsafe',
            edits: [{ start: read.bound.at, end: read.bound.at, newText: text }],
          },
        ],
      });
    }
  },
};
