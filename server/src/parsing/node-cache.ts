/**
 * Memoises web-tree-sitter Node accessors that otherwise cross into WASM on every read (`type`,
 * `endIndex`, `text`, `parent`, `childForFieldName`). Rules read the same properties of the same
 * nodes many times; profiles showed node marshalling dominating analysis time.
 *
 * Safe because Perflens never reads a Node after its tree is edited: every document version gets
 * a new tree and a new model, and old trees are deleted. web-tree-sitter is pinned to 0.25.10,
 * whose Node class these accessors belong to.
 */
import { Node } from 'web-tree-sitter';

interface Memo {
  type?: string;
  endIndex?: number;
  text?: string;
  parent?: Node | null;
  fields?: Map<string, Node | null>;
}

const MEMO = Symbol('perflens.memo');
type MemoNode = Node & { [MEMO]?: Memo };

function memo(node: MemoNode): Memo {
  let value = node[MEMO];
  if (!value) {
    value = {};
    node[MEMO] = value;
  }
  return value;
}

let installed = false;

/** Installs the memoising accessors once per thread. */
export function installNodeCache(): void {
  if (installed || process.env.PERFLENS_NO_NODE_CACHE) return;
  installed = true;
  const proto = Node.prototype as MemoNode;
  const descriptor = (name: string) => {
    const found = Object.getOwnPropertyDescriptor(proto, name);
    if (!found) throw new Error(`web-tree-sitter Node has no ${name}: the pinned version changed`);
    return found;
  };
  const type = descriptor('type').get!;
  const endIndex = descriptor('endIndex').get!;
  const text = descriptor('text').get!;
  const parent = descriptor('parent').get!;
  const childForFieldName = descriptor('childForFieldName').value as (
    this: Node,
    name: string,
  ) => Node | null;

  Object.defineProperty(proto, 'type', {
    configurable: true,
    get(this: MemoNode) {
      const m = memo(this);
      return (m.type ??= type.call(this) as string);
    },
  });
  Object.defineProperty(proto, 'endIndex', {
    configurable: true,
    get(this: MemoNode) {
      const m = memo(this);
      return (m.endIndex ??= endIndex.call(this) as number);
    },
  });
  Object.defineProperty(proto, 'text', {
    configurable: true,
    get(this: MemoNode) {
      const m = memo(this);
      return (m.text ??= text.call(this) as string);
    },
  });
  Object.defineProperty(proto, 'parent', {
    configurable: true,
    get(this: MemoNode) {
      const m = memo(this);
      if (m.parent === undefined) m.parent = parent.call(this) as Node | null;
      return m.parent;
    },
  });
  Object.defineProperty(proto, 'childForFieldName', {
    configurable: true,
    writable: true,
    value(this: MemoNode, name: string) {
      const m = memo(this);
      m.fields ??= new Map();
      let child = m.fields.get(name);
      if (child === undefined) {
        child = childForFieldName.call(this, name);
        m.fields.set(name, child);
      }
      return child;
    },
  });
}
