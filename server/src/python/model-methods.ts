/**
 * Methods of the workspace's ORM model classes by name alone, for calls on an object whose class
 * no file says (`parent.get_rels()` on the variable of a loop over a list passed in): such a call
 * is tied to a method only when exactly one class of the workspace defines that name and the class
 * is a model (SQLAlchemy, SQLModel, Django, Tortoise, Beanie), so a query it makes is per row.
 */
import type { FileFacts } from '../workspace/facts';
import type { IndexedFunction, WorkspaceIndex } from '../workspace/index';

export class ModelMethodsByName {
  /** Methods of Python classes by name, built on first use from the facts the index holds. */
  private byName: Map<string, IndexedFunction[]> | undefined;

  constructor(private readonly index: WorkspaceIndex) {}

  /** The one method named `name` in the workspace, when its class is an ORM model. */
  find(name: string): IndexedFunction | undefined {
    this.byName ??= this.methodsByName();
    const methods = this.byName.get(name);
    if (methods?.length !== 1) return undefined;
    return this.ofModel(methods[0]) ? methods[0] : undefined;
  }

  private methodsByName(): Map<string, IndexedFunction[]> {
    const byName = new Map<string, IndexedFunction[]>();
    for (const facts of this.index.allFacts()) {
      if (facts.language !== 'python') continue;
      for (const fn of methodsOf(facts)) {
        const list = byName.get(fn.name);
        const entry = { file: facts.file, fn };
        if (list) list.push(entry);
        else byName.set(fn.name, [entry]);
      }
    }
    return byName;
  }

  /**
   * Whether the method's class is an ORM model: it declares a table in that file (SQLAlchemy,
   * SQLModel, Django), or extends the model base of Tortoise or Beanie.
   */
  private ofModel(method: IndexedFunction): boolean {
    const owner = ownerOf(method.fn.qualifiedName);
    const className = owner.slice(owner.lastIndexOf('.') + 1);
    return (
      this.index.tablesOfClass(className).some((table) => table.file === method.file) ||
      !!this.index.ormModelOf([owner], true)
    );
  }
}

/** The functions of a file defined in a class body: neither module-level nor nested in a function. */
function methodsOf(facts: FileFacts): FileFacts['functions'] {
  const module = facts.moduleName ?? '';
  let functionNames: Set<string> | undefined;
  return facts.functions.filter((fn) => {
    const owner = ownerOf(fn.qualifiedName);
    if (owner === module) return false;
    functionNames ??= new Set(facts.functions.map((each) => each.qualifiedName));
    return !functionNames.has(owner);
  });
}

/** `app.models.Pkg` of `app.models.Pkg.get_rels`. */
function ownerOf(qualifiedName: string): string {
  return qualifiedName.slice(0, Math.max(0, qualifiedName.lastIndexOf('.')));
}
