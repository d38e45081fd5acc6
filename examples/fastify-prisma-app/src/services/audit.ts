import Database from 'better-sqlite3';
import { desc, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * The back-office audit trail: who changed which order, and the files they attached (refund
 * receipts, carrier claims). It lives in a local SQLite file, written with Drizzle, so it keeps
 * recording while the main database is under maintenance.
 */
export const staffSessions = sqliteTable('staff_sessions', {
  id: text('id').primaryKey(),
  staffEmail: text('staff_email').notNull(),
  startedAt: integer('started_at', { mode: 'timestamp' }).notNull(),
});

export const auditEntries = sqliteTable(
  'audit_entries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    sessionId: text('session_id')
      .notNull()
      .references(() => staffSessions.id, { onDelete: 'cascade' }),
    orderNumber: text('order_number').notNull(),
    action: text('action').notNull(),
    at: integer('at', { mode: 'timestamp' }).notNull(),
  },
  (t) => [index('audit_entries_session_idx').on(t.sessionId, t.at)],
);

export const auditAttachments = sqliteTable('audit_attachments', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  entryId: integer('entry_id')
    .notNull()
    .references(() => auditEntries.id, { onDelete: 'cascade' }),
  fileName: text('file_name').notNull(),
  sizeBytes: integer('size_bytes').notNull(),
});

/** One connection for the process, opened when the module loads. */
const auditDb = drizzle(new Database(process.env.AUDIT_DB_PATH ?? 'audit.sqlite'));

/** A staff session's latest changes, newest first. */
export function sessionEntries(sessionId: string, limit = 50) {
  return auditDb
    .select()
    .from(auditEntries)
    .where(eq(auditEntries.sessionId, sessionId))
    .orderBy(desc(auditEntries.at))
    .limit(limit);
}

/** The files attached to one audit entry (a handful at most). */
export function attachmentsOf(entryId: number) {
  return auditDb
    .select()
    .from(auditAttachments)
    .where(eq(auditAttachments.entryId, entryId))
    .limit(20);
}
