/**
 * web-tree-sitter hands every node between JavaScript and WASM through a transfer buffer, one
 * 32-bit field at a time, with emscripten's generic `getValue(ptr, type)` / `setValue(ptr, value,
 * type)`: each call tests the type string and goes through a DataView. Reading a node's type or
 * a child costs about ten such calls, and the analysis reads hundreds of thousands of nodes, so
 * they were a tenth of the time of an edit's analysis.
 *
 * The object passed to `Parser.init` becomes the emscripten module web-tree-sitter calls through,
 * so its `getValue`/`setValue` can be given a direct path for `i32` over the module's own
 * `HEAP32` view (which emscripten replaces whenever memory grows). WASM memory is little-endian,
 * as `HEAP32` is only on a little-endian host: elsewhere the generic functions stay.
 */
import * as os from 'node:os';

/** The part of the emscripten module web-tree-sitter marshals through. */
export interface MarshallingModule {
  HEAP32: Int32Array;
  getValue(pointer: number, type?: string): number;
  setValue(pointer: number, value: number, type?: string): void;
}

function isMarshallingModule(value: object): value is MarshallingModule {
  const module = value as Partial<MarshallingModule>;
  return (
    module.HEAP32 instanceof Int32Array &&
    typeof module.getValue === 'function' &&
    typeof module.setValue === 'function'
  );
}

/**
 * Gives `module` (the options object after `Parser.init` filled it) a direct `i32` path; returns
 * whether it did. Anything unexpected leaves the module as it was.
 */
export function speedUpMarshalling(module: object): boolean {
  if (os.endianness() !== 'LE' || !isMarshallingModule(module)) return false;
  const { getValue, setValue } = module;
  module.getValue = (pointer, type = 'i8') =>
    type === 'i32' ? module.HEAP32[pointer >> 2] : getValue(pointer, type);
  module.setValue = (pointer, value, type = 'i8') => {
    if (type === 'i32') module.HEAP32[pointer >> 2] = value;
    else setValue(pointer, value, type);
  };
  return true;
}
