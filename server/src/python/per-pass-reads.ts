/**
 * Reads that run again on every pass of a loop around them (`for s in suggestions:` then
 * `for other in Suggestion.objects.filter(unit=s.unit)`): each pass reads its own rows, and the
 * round trip per pass is `query-in-loop`'s finding. Advice meant for one big read (stream it with
 * `.iterator()`) does not fit such a read.
 */
import type { PyLoop, PythonModel } from './model';
import type { OrmRead } from './orm';
import { contains } from './scope-analysis';

/**
 * The innermost loop of the read's function that runs the read once per pass: its body holds
 * the read (not its iterable, not its `else`), and it does not walk a literal list of constants.
 */
export function passLoopAround(read: OrmRead, model: PythonModel): PyLoop | undefined {
  const fn = read.fn;
  if (!fn) return undefined;
  let innermost: PyLoop | undefined;
  for (const loop of model.loops) {
    if (loop.fn !== fn || loop.kind === 'comprehension' || loop.overConstantLiteral) continue;
    const body = loop.node.childForFieldName('body');
    if (!body || !contains(body, read.node)) continue;
    if (!innermost || contains(innermost.node, loop.node)) innermost = loop;
  }
  return innermost;
}
