/**
 * How a message names a Django queryset: the whole chain up to the read, so a read through
 * `qs.filter(...)` or `q1 = qs.filter(...)` does not look unfiltered. Long chains keep their base
 * (the model, its manager and the first call), their filters and their last link, and shorten
 * the rest.
 */
import type { Node } from 'web-tree-sitter';
import type { Chain, ChainLink } from './orm';

/** Longer quotes are shortened: arguments first, then the links between base and filters. */
const MAX_QUOTE = 80;
/** Arguments longer than this are shortened once a quote is too long. */
const MAX_ARGUMENTS = 40;
/** The links that say which rows are read: kept to the last. */
const NARROWING = new Set(['filter', 'exclude']);

/** How far a link's arguments are shortened: not at all, or to keywords or `(...)` when long. */
type Shortening = 'none' | 'keywords' | 'long';

/** One line, no space inside parentheses. */
const compact = (text: string): string =>
  text.replace(/\s+/g, ' ').replace(/\( | \)/g, (match) => match.trim());

/**
 * An argument list as written, or shortened when long: to its keyword names (`(status=…,
 * created__gte=…)`, which still tell two filters apart) or to `(...)`.
 */
function argumentsText(args: Node | null, shortening: Shortening): string {
  // A trailing comma after the last argument (`values("a", "b",)` split over lines) is dropped.
  const text = compact(args?.text ?? '()').replace(/,\)$/, ')');
  if (shortening === 'none' || text.length <= MAX_ARGUMENTS || !args) return text;
  const list = args.namedChildren.filter((arg): arg is Node => !!arg && arg.type !== 'comment');
  if (shortening === 'long' || !list.some((arg) => arg.type === 'keyword_argument')) return '(...)';
  const names = list.map((arg) =>
    arg.type === 'keyword_argument' ? `${arg.childForFieldName('name')?.text ?? ''}=…` : '…',
  );
  return `(${names.join(', ')})`;
}

/** A link as written: `.objects`, `.filter(a=1)`, `[...]`. */
function linkText(link: ChainLink, shortening: Shortening): string {
  if (link.kind === 'attribute') return `.${link.name}`;
  if (link.kind === 'subscript') return '[...]';
  return `.${link.name}${argumentsText(link.args, shortening)}`;
}

const narrows = (link: ChainLink): boolean => link.kind === 'call' && NARROWING.has(link.name);

/**
 * The root through the manager (`Model.objects`). A root found through a local alias
 * (`RuleVariant = Rule.variants.through`) lies in another statement: the part up to the first
 * call is then quoted as written (`RuleVariant.objects`), and the chain starts at that call.
 */
function baseOf(chain: Chain, manager: number): { text: string; calls: ChainLink[] } {
  const first = chain.links[manager + 1];
  const root = chain.root;
  const aliased =
    !!first && !(first.node.startIndex <= root.startIndex && root.endIndex <= first.node.endIndex);
  if (aliased) {
    const callee = first.node.childForFieldName('function')?.childForFieldName('object');
    if (callee) return { text: compact(callee.text), calls: chain.links.slice(manager + 1) };
  }
  const links = chain.links.slice(0, manager + 1).map((link) => linkText(link, 'none'));
  return { text: compact(root.text) + links.join(''), calls: chain.links.slice(manager + 1) };
}

/**
 * `Model.objects.values_list("id").filter(status=s)` for the chain of a queryset whose manager
 * is link `manager`: every link up to the read. Past MAX_QUOTE characters, long arguments of
 * links that do not narrow the rows are elided, then the links between the first and the last
 * that do not narrow the rows (`...`), then long arguments of filters keep only their keywords,
 * and last only the first and the last link are kept.
 */
export function quoteQuerySet(chain: Chain, manager: number): string {
  const { text: base, calls } = baseOf(chain, manager);
  const render = (keep: (link: ChainLink, i: number) => boolean, filters: Shortening): string => {
    let quote = base;
    let skipping = false;
    calls.forEach((link, i) => {
      if (!keep(link, i)) {
        skipping = true;
        return;
      }
      const text = linkText(link, narrows(link) ? filters : 'long');
      quote += skipping ? `...${text.slice(1)}` : text;
      skipping = false;
    });
    return quote;
  };
  const full = base + calls.map((link) => linkText(link, 'none')).join('');
  if (full.length <= MAX_QUOTE) return full;
  const all = (): boolean => true;
  const ends = (link: ChainLink, i: number): boolean =>
    narrows(link) || i === 0 || i === calls.length - 1;
  const firstAndLast = (_link: ChainLink, i: number): boolean => i === 0 || i === calls.length - 1;
  for (const quote of [render(all, 'none'), render(ends, 'none'), render(ends, 'keywords')])
    if (quote.length <= MAX_QUOTE) return quote;
  return render(firstAndLast, 'keywords');
}
