// Stands in for `ts-morph` where server/src/typescript/compiler.ts imports the compiler. ts-morph
// hands out TypeScript through a chain of property getters (its own export, an interop namespace,
// the bundler's CommonJS wrapper), and every `ts.isIdentifier(...)` / `ts.SyntaxKind.X` in a
// tree walk paid for them: ~10% of a TypeScript scan. One copy into a plain object pays them once.
import { ts as wrapped } from 'ts-morph';

export const ts = { ...wrapped };
