import type { Plugin } from 'esbuild';

/** Where a node's WASM handle lives after the patch. */
export const NODE_HANDLE: string;
/** Applies the patch to the text of `tree-sitter.js` (or `.cjs`); throws if an anchor is missing. */
export function patchWebTreeSitter(text: string, file?: string): string;
/** The esbuild plugin that bundles web-tree-sitter's CommonJS build, patched. */
export const webTreeSitterPatch: Plugin;
