// Stands in for `ts-morph` where server/src/typescript/compiler.ts imports the compiler. Measured
// reasons:
// - Start-up: loading TypeScript costs most of a second, and Python- and SQL-only runs never need
//   it. `ts` starts as an empty shell and `loadTypeScript()` (called by the first TypeScript parse)
//   fills it, so TypeScript's module body is evaluated only then. The shell takes ts-morph's copy
//   of TypeScript (`dist/typescript.js`, a bundle of its own), so ts-morph itself
//   (`dist/ts-morph.js`) is loaded only for the opt-in type-aware analysis (`loadTsMorph()`).
// - Speed: TypeScript hands out its namespace through property getters (the bundler's CommonJS
//   wrapper adds more), and every `ts.isIdentifier(...)` / `ts.SyntaxKind.X` in a tree walk paid
//   for them: ~10% of a TypeScript scan. A plain copy of its ~2,250 properties is a dictionary,
//   where each `ts.x` is still a hash lookup; so the shell is a literal whose own properties are
//   the names the product's code uses (V8 keeps it in fast mode), with the full copy as its
//   prototype for any other name. The esbuild plugin writes the names in at the marker.
// - Both bundles load through V8's code cache (server/src/runtime/code-cache.ts).
import * as path from 'node:path';
import { requireWithCodeCache } from '../server/src/runtime/code-cache';

export const ts = {/* names used by the product */};

let loaded = false;

export function loadTypeScript() {
  if (loaded) return;
  loaded = true;
  const full = { ...requireWithCodeCache(path.join(__dirname, 'typescript.js')) };
  Object.setPrototypeOf(ts, full);
  for (const name of Object.keys(ts)) ts[name] = full[name];
}

/** ts-morph itself, for the type-aware analysis; it requires the `typescript.js` loaded above. */
export function loadTsMorph() {
  loadTypeScript();
  return requireWithCodeCache(path.join(__dirname, 'ts-morph.js'));
}
