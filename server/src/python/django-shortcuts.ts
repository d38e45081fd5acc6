/**
 * Django's query shortcuts, `get_object_or_404(Model, **lookups)` and `get_list_or_404(...)`
 * (`django.shortcuts`, Django REST framework's `rest_framework.generics` wrapper, and their async
 * twins): plain functions that run a query, known by the module they are imported from, never by
 * their names alone (a project may define its own `get_object_or_404`).
 */
import type { PyCall } from './model';

/** What a shortcut reads: one row, or every row its lookups match. */
export type DjangoShortcutRead = 'one' | 'list';

const SHORTCUTS = new Map<string, DjangoShortcutRead>([
  ['django.shortcuts.get_object_or_404', 'one'],
  ['django.shortcuts.aget_object_or_404', 'one'],
  ['rest_framework.generics.get_object_or_404', 'one'],
  ['django.shortcuts.get_list_or_404', 'list'],
  ['django.shortcuts.aget_list_or_404', 'list'],
]);

/** The read a call of a Django shortcut makes, or undefined for any other call. */
export function djangoShortcutOf(call: PyCall): DjangoShortcutRead | undefined {
  // Cheap first: every shortcut's name ends so.
  if (!call.qualified.endsWith('_or_404')) return undefined;
  return SHORTCUTS.get(call.qualified);
}
