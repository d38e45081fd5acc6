// Stands in for `ts-morph` where server/src/typescript/compiler.ts imports the compiler, for two
// reasons, both measured:
// - ts-morph hands out TypeScript through a chain of property getters (its own export, an interop
//   namespace, the bundler's CommonJS wrapper), and every `ts.isIdentifier(...)` in a tree walk
//   paid for them: ~10% of a TypeScript scan. A plain object is filled once instead.
// - Loading TypeScript costs ~0.7 s of start-up; Python- and SQL-only runs never need it. The
//   object is filled by `loadTypeScript()` on the first TypeScript parse, and ts-morph's bundled
//   module is evaluated only then.
export const ts = {};

let loaded = false;

export function loadTypeScript() {
  if (loaded) return;
  // eslint-disable-next-line no-undef
  Object.assign(ts, require('ts-morph').ts);
  loaded = true;
}
