/**
 * Enum classes a module declares, and collections of their members: a loop over them runs once
 * per member, a fixed handful written in the code, like a loop over a literal tuple.
 */
import { OwnedCache } from './memo';
import type { PyFunction, PythonModel } from './model';

/** `Enum`, `enum.IntEnum`, `StrEnum`, `Flag`: the bases that make a class an enumeration. */
const ENUM_BASE = /^(?:enum\.)?(?:Enum|IntEnum|StrEnum|Flag|IntFlag)$/;

/** `list[E]`, `Sequence[E]`, `tuple[E, ...]`, `type[E]`: what holds the members of `E`. */
const MEMBER_COLLECTION =
  /^(?:typing\.)?(?:list|List|set|Set|frozenset|FrozenSet|Sequence|Iterable|Collection|tuple|Tuple|type|Type)\[\s*([\w.]+)\s*(?:,\s*\.\.\.\s*)?\]$/;

const enumsOf = new OwnedCache<PythonModel, ReadonlySet<string>>('enum classes');

/** The Enum classes the module declares, directly or through another Enum of the module. */
function enumClasses(model: PythonModel): ReadonlySet<string> {
  let names = enumsOf.get(model);
  if (names) return names;
  const found = new Set<string>();
  // Files that never say `Enum` or `Flag` declare none: most pay one text search.
  if (/Enum|Flag/.test(model.source)) {
    for (let round = 0, size = -1; round < 3 && size !== found.size; round++) {
      size = found.size;
      for (const cls of model.classes)
        if (cls.bases.some((base) => ENUM_BASE.test(base) || found.has(base))) found.add(cls.name);
    }
  }
  names = found;
  enumsOf.set(model, names);
  return names;
}

/**
 * Whether `name`, read in `fn`, holds the members of an Enum the module declares: the class
 * itself (`for tf in TimeFrame`), or a parameter annotated as a collection of its members
 * (`time_frames: list[TimeFrame]`, filled by a caller's `list(TimeFrame)`).
 */
export function holdsEnumMembers(
  name: string,
  model: PythonModel,
  fn: PyFunction | undefined,
): boolean {
  const enums = enumClasses(model);
  if (enums.size === 0) return false;
  for (let scope = fn; scope; scope = scope.parent) {
    const param = scope.params.find((each) => each.name === name);
    if (!param) continue;
    const member = MEMBER_COLLECTION.exec(param.annotation.replace(/\s+/g, ' ').trim())?.[1];
    return !!member && enums.has(member);
  }
  return enums.has(name);
}
