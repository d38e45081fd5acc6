// Stands in for `ts-morph` where server/src/typescript/compiler.ts imports the compiler, which is
// all the product takes from ts-morph. It imports ts-morph's TypeScript itself (the esbuild plugin
// resolves the name to ts-morph's copy), so the bundle carries neither ts-morph nor
// @ts-morph/common, whose module bodies cost ~70 ms at every start of the CLI and of each worker.
//
// TypeScript hands out its namespace through property getters (and the bundler's CommonJS
// wrapper adds more), and every `ts.isIdentifier(...)` / `ts.SyntaxKind.X` in a tree walk paid for
// them: ~10% of a TypeScript scan. A plain copy pays them once, but with its ~2,250 properties the
// copy is a dictionary, so each `ts.x` is still a hash lookup. The exported object is a literal
// with the names the product's code uses as own properties, which V8 keeps in fast mode, and the
// full copy as its prototype for any other name: tree walks got a third faster. The esbuild plugin
// writes the names in where the marker is (without it every name comes from the prototype).
import * as wrapped from 'ts-morph-typescript';

const full = { ...wrapped };

export const ts = {
  __proto__: full,
  /* names used by the product */
};
