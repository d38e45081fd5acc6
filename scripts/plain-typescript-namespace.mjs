// Stands in for `ts-morph` where server/src/typescript/compiler.ts imports the compiler, which is
// all the product takes from ts-morph. It imports ts-morph's TypeScript itself (the esbuild plugin
// resolves the name to ts-morph's copy), so the bundle carries neither ts-morph nor
// @ts-morph/common, whose module bodies cost ~70 ms at every start of the CLI and of each worker.
// TypeScript hands out its namespace through property getters (and the bundler's CommonJS
// wrapper adds more), and every `ts.isIdentifier(...)` / `ts.SyntaxKind.X` in a tree walk paid for
// them: ~10% of a TypeScript scan. One copy into a plain object pays them once.
import * as wrapped from 'ts-morph-typescript';

export const ts = { ...wrapped };
