/**
 * The whole-list reads of Django's `get_list_or_404(Model, **lookups)` (`django-shortcuts.ts`
 * knows the shortcut by its import): `list(queryset.filter(**lookups))` behind a function, read
 * like the queryset it stands for.
 */
import { djangoShortcutOf } from './django-shortcuts';
import type { PyCall, PythonModel } from './model';
import { chainBounds, quote, readChainIn, type ChainLink, type OrmRead } from './orm';
import { isDjangoManagerName } from './knowledge';
import { positionalArguments } from './scope-analysis';

/**
 * The model and queryset links of the shortcut's first argument: a model class (`Listing`) or a
 * queryset of one written out (`Listing.objects.filter(...)`). Undefined for anything else (a
 * related manager, a variable): what those hold is not read here.
 */
function modelQuerySet(
  call: PyCall,
  model: PythonModel,
): { name: string; links: ChainLink[] } | undefined {
  const first = positionalArguments(call)[0];
  if (first?.type === 'identifier' && /^[A-Z]/.test(first.text))
    return { name: first.text, links: [] };
  if (first?.type !== 'call') return undefined;
  const chain = readChainIn(first, model);
  const manager = chain.links[0];
  if (chain.root.type !== 'identifier' || !/^[A-Z]/.test(chain.root.text)) return undefined;
  if (manager?.kind !== 'attribute' || !isDjangoManagerName(manager.name)) return undefined;
  return { name: chain.root.text, links: chain.links };
}

/** Every `get_list_or_404(...)` in a function of the file whose lookups do not bound its rows. */
export function djangoShortcutListReads(model: PythonModel): OrmRead[] {
  if (!model.source.includes('_list_or_404')) return [];
  const reads: OrmRead[] = [];
  for (const call of model.calls) {
    if (!call.fn || djangoShortcutOf(call) !== 'list') continue;
    const queried = modelQuerySet(call, model);
    if (!queried) continue;
    // The shortcut's keyword lookups filter the queryset, as `.filter(**lookups)` would.
    const lookups: ChainLink = { kind: 'call', name: 'filter', node: call.node, args: call.args };
    const bounds = chainBounds([...queried.links, lookups], undefined, call.fn);
    if (bounds.bounded) continue;
    reads.push({
      kind: 'django',
      node: call.node,
      fn: call.fn,
      head: quote(call.node, call.node.startIndex, model.source),
      bound: { at: call.node.endIndex, style: 'slice' },
      models: [queried.name],
      equalityColumns: bounds.equalityColumns,
      nullColumns: bounds.nullColumns,
      listMatches: bounds.listMatches,
      ...(bounds.recentWindow ? { recentWindow: true } : {}),
      unsliceable: true,
    });
  }
  return reads;
}
