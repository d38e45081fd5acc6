/**
 * Source bytes of files whose prepared trees an analysis keeps from its first pass to its final
 * one, where their deferred rules run again. A kept TypeScript file costs ~45 bytes of heap per
 * byte of source (tree, model, facts), so 2 MB of source is ~90 MB: past it, files are parsed
 * again instead. Both the CLI's scan lanes and the language server's start-up keep within it.
 */
export const KEPT_SOURCE_BYTES = 2 * 1024 * 1024;
