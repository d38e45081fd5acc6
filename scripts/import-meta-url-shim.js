// Gives bundled CommonJS code the `import.meta.url` that web-tree-sitter reads (see esbuild.mjs).
export const importMetaUrl = require('url').pathToFileURL(__filename).href;
