// Stands in for `ts-morph` where server/src/typescript/compiler.ts imports the compiler. Measured
// reasons:
// - Start-up: loading TypeScript costs most of a second, and Python- and SQL-only runs never need
//   it. `ts` starts as an empty shell and `loadTypeScript()` (called by the first TypeScript parse)
//   fills it, so TypeScript's module body is evaluated only then. The shell takes ts-morph's copy
//   of TypeScript (the esbuild plugin resolves `ts-morph-typescript` to it), so ts-morph itself is
//   bundled only for the opt-in type-aware analysis, which loads it on first use.
// - Speed: TypeScript hands out its namespace through property getters (the bundler's CommonJS
//   wrapper adds more), and every `ts.isIdentifier(...)` / `ts.SyntaxKind.X` in a tree walk paid
//   for them: ~10% of a TypeScript scan. A plain copy of its ~2,250 properties is a dictionary,
//   where each `ts.x` is still a hash lookup; so the shell is a literal whose own properties are
//   the names the product's code uses (V8 keeps it in fast mode), with the full copy as its
//   prototype for any other name. The esbuild plugin writes the names in at the marker.
export const ts = {/* names used by the product */};

let loaded = false;

export function loadTypeScript() {
  if (loaded) return;
  loaded = true;
  const full = { ...require('ts-morph-typescript') };
  Object.setPrototypeOf(ts, full);
  for (const name of Object.keys(ts)) ts[name] = full[name];
}
