/**
 * The modules a workspace package offers to code outside the workspace: its entry (`exports` `"."`,
 * `types`, `module`, `main`, else `src/index` or `index`) and its `exports` subpaths. What they
 * export may be used by code a scan never sees, so a rule that needs every user of an export
 * cannot judge theirs.
 */
import type { ModuleAliases } from './path-aliases';
import { tsModuleNameOf } from './facts';

/** Whether `module` (named as the index names modules) is an entry point of a workspace package. */
export function isPackageEntryModule(aliases: ModuleAliases | undefined, module: string): boolean {
  for (const found of aliases?.packages ?? []) {
    if (found.entry && tsModuleNameOf(found.entry) === module) return true;
    for (const { target } of found.exports) {
      const star = target.indexOf('*');
      if (star === -1) {
        if (tsModuleNameOf(target) === module) return true;
        continue;
      }
      // `./*` → `src/*.ts`: every module under the folder.
      const folder = tsModuleNameOf(target.slice(0, star));
      if (!folder || module.startsWith(`${folder}.`)) return true;
    }
  }
  return false;
}
