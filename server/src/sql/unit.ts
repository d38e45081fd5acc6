/**
 * A piece of SQL to analyse: a whole `.sql` file, or a string that host code passes to a database
 * call. Embedded SQL keeps a map back to the host file so findings and fixes land on the string.
 */
import { splitStatements, type SqlStatement } from './statements';

/** A run of SQL text copied verbatim from the host file. */
export interface SqlSegment {
  sqlStart: number;
  hostStart: number;
  length: number;
}

export interface SqlUnit {
  /** The SQL text; f-string holes and other unknown parts are masked with `_` of the same length. */
  text: string;
  origin: 'file' | 'embedded';
  /** The call that receives the SQL (`conn.execute`, `text`), for embedded SQL. */
  sink?: string;
  /** Range of the host expression holding the SQL (the whole string for embedded SQL). */
  hostStart: number;
  hostEnd: number;
  segments: SqlSegment[];
  /** Parts of the SQL are computed at run time (f-string holes, concatenated variables). */
  hasHoles: boolean;
  /** The host code reads at most one row of the result (`.fetchone()`, `.first()`, `fetchrow`). */
  readsOneRow?: boolean;
  /**
   * The host code drops the result unread: the call sending the SQL is a statement of its own
   * (awaited or not) and nothing reads rows through its receiver afterwards (a probe that only
   * checks that the statement runs).
   */
  resultDiscarded?: boolean;
  /**
   * The SQL is a fragment spliced into another statement (`const where = Prisma.sql\`...\``, then
   * `$queryRaw\`SELECT ... ${where} LIMIT ...\``): it never runs on its own.
   */
  fragment?: boolean;
  /** The literal parameters passed with embedded SQL (`(level,)`, `{"since": since}`), if any. */
  parameters?: BoundParameters;
  /**
   * SQL built in a variable piece by piece (`query = "SELECT ..."`, then `query += " WHERE ..."`):
   * where each piece starts in `text`, in order, and whether it is added only on some paths (in a
   * branch or loop the first piece is not in). Absent for SQL written as one expression.
   */
  pieces?: SqlPiece[];
  statements: SqlStatement[];
}

/** One piece of SQL built up in a variable: see `SqlUnit.pieces`. */
export interface SqlPiece {
  sqlStart: number;
  conditional: boolean;
}

/** A tuple, list or dict literal of query parameters in the host code. */
export interface BoundParameters {
  kind: 'sequence' | 'mapping';
  /** Offsets of the literal in the host file, brackets included. */
  start: number;
  end: number;
  /** The literal as written. */
  text: string;
  /** A tuple literal (`(a,)`), which must stay a tuple when it gains an item. */
  tuple: boolean;
}

/** Host offset of a SQL offset; offsets in masked holes map to the hole's start. */
export function toHost(unit: SqlUnit, sqlOffset: number): number {
  let best: SqlSegment | undefined;
  for (const segment of unit.segments) {
    if (segment.sqlStart <= sqlOffset) best = segment;
    else break;
  }
  if (!best) return unit.hostStart;
  return best.hostStart + Math.min(sqlOffset - best.sqlStart, best.length);
}

/** The unit for a whole `.sql` file. */
export function fileUnit(text: string): SqlUnit {
  return {
    text,
    origin: 'file',
    hostStart: 0,
    hostEnd: text.length,
    segments: [{ sqlStart: 0, hostStart: 0, length: text.length }],
    hasHoles: false,
    statements: splitStatements(text),
  };
}

/** Builds embedded SQL text piece by piece while recording where each piece came from. */
export class SqlTextBuilder {
  private text = '';
  private readonly segments: SqlSegment[] = [];
  private holes = false;

  /** Appends host text copied verbatim from `hostStart`. */
  verbatim(piece: string, hostStart: number): void {
    if (!piece) return;
    this.segments.push({ sqlStart: this.text.length, hostStart, length: piece.length });
    this.text += piece;
  }

  /** Where the next appended text will start in the SQL. */
  get length(): number {
    return this.text.length;
  }

  /** Appends a run-time value: masked so the tokenizer sees one word of the same length. */
  hole(length: number, hostStart: number): void {
    this.holes = true;
    const width = Math.max(1, length);
    this.segments.push({ sqlStart: this.text.length, hostStart, length: 0 });
    this.text += '_'.repeat(width);
  }

  /**
   * Appends a run-time boolean expression (conditions joined with `AND`): masked as a
   * parenthesised group of the same length, so it reads as one condition, not as a clause.
   */
  condition(length: number, hostStart: number): void {
    this.holes = true;
    const width = Math.max(3, length);
    this.segments.push({ sqlStart: this.text.length, hostStart, length: 0 });
    this.text += `(${'_'.repeat(width - 2)})`;
  }

  build(sink: string, hostStart: number, hostEnd: number): SqlUnit {
    return {
      text: this.text,
      origin: 'embedded',
      sink,
      hostStart,
      hostEnd,
      segments: this.segments,
      hasHoles: this.holes,
      statements: splitStatements(this.text),
    };
  }
}

const SQL_START =
  /^\s*(?:\(\s*)*(?:SELECT|WITH|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|SET|PRAGMA|FROM|VALUES|EXPLAIN|COPY|MERGE|UPSERT|REPLACE|TRUNCATE|ATTACH|INSTALL|LOAD|DESCRIBE|SUMMARIZE|SHOW|PIVOT|UNPIVOT)\b/i;

/** Whether text plausibly is SQL (used to ignore strings that sinks like `.query()` also take). */
export function looksLikeSql(text: string): boolean {
  return SQL_START.test(text.replace(/^\s*--[^\n]*\n/g, ''));
}
