/**
 * Type-aware answers for the TypeScript rules, from ts-morph: which workspace function a call
 * reaches (through re-exports, barrels, `paths` aliases, renamed default exports and the declared
 * types of fields such as `this.orders.list()`), and whether an expression is a Prisma client
 * bound far away (`import { store } from './db'` where db.ts says `new PrismaClient()`).
 *
 * Opt-in (`"typescript": { "typeAware": true }` in perflens.json), like typescript-eslint's
 * type-aware rules: a program over the whole workspace costs time and memory the syntactic pass
 * does not. One ts-morph Project per workspace folder, created on the first question, holding
 * every TypeScript/JavaScript file discovery finds; a file analysed with new text (an edit) is
 * replaced in it, and the compiler rebuilds the program reusing every unchanged file. The program
 * resolves nothing outside the workspace (`noResolve`, `noLib`): declarations are followed inside
 * the workspace only, so no `node_modules` types are loaded.
 */
import * as path from 'node:path';
import type { Project } from 'ts-morph';
import { discoverFiles, type DiscoveryOptions } from '../workspace/discovery';
import { loadTsMorph, ts } from './compiler';
import { tsModuleNameOf } from './facts';

/** Type-aware questions about one file version. */
export interface FileTypes {
  /** Qualified names (as in the index) of the workspace function a call's callee declares. */
  calleeTargets(call: ts.CallExpression | ts.NewExpression): string[];
  /** Whether the expression's declaration (followed through imports) creates a Prisma client. */
  isPrismaClient(expression: ts.Expression): boolean;
}

const isFunctionDeclaration = (node: ts.Node): boolean =>
  ts.isFunctionDeclaration(node) ||
  ts.isMethodDeclaration(node) ||
  ts.isFunctionExpression(node) ||
  ts.isArrowFunction(node);

export class TypeOracle {
  private project: Project | undefined;

  constructor(private readonly discovery: DiscoveryOptions) {}

  private load(): Project {
    if (this.project) return this.project;
    // Loaded on first use: most runs never build a program (see esbuild.mjs).
    const { Project } = loadTsMorph();
    const project = new Project({
      useInMemoryFileSystem: false,
      skipAddingFilesFromTsConfig: true,
      skipFileDependencyResolution: true,
      compilerOptions: {
        allowJs: true,
        jsx: ts.JsxEmit.Preserve,
        noResolve: true,
        noLib: true,
        types: [],
        noEmit: true,
        skipLibCheck: true,
        target: ts.ScriptTarget.Latest,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        baseUrl: this.discovery.root,
        paths: { '@/*': ['./src/*', './*'], '~/*': ['./src/*', './*'] },
      },
    });
    const files = discoverFiles([this.discovery.root], this.discovery).filter(
      (file) => file.language === 'typescript',
    );
    for (const file of files) project.addSourceFileAtPathIfExists(file.file);
    this.project = project;
    return project;
  }

  /** Answers about `file` as it reads now (`text`), or undefined when it cannot be loaded. */
  forFile(file: string, text: string): FileTypes | undefined {
    const project = this.load();
    // Files are named absolutely by the CLI and server, relative to the workspace in tests.
    const absolute = path.resolve(this.discovery.root, file);
    // Edited text replaces the file's copy; the next program reuses every unchanged file.
    const sourceFile = project.getSourceFile(absolute);
    if (!sourceFile) project.createSourceFile(absolute, text, { overwrite: true });
    else if (sourceFile.getFullText() !== text) sourceFile.replaceWithText(text);
    const program = project.getProgram().compilerObject;
    const compiled = program.getSourceFile(absolute);
    if (!compiled) return undefined;
    return new CompiledFileTypes(program.getTypeChecker(), compiled, this.discovery.root);
  }
}

class CompiledFileTypes implements FileTypes {
  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly sourceFile: ts.SourceFile,
    private readonly root: string,
  ) {}

  calleeTargets(call: ts.CallExpression | ts.NewExpression): string[] {
    const callee = this.same(call.expression);
    const name = callee && ts.isPropertyAccessExpression(callee) ? callee.name : callee;
    const declaration = name && this.declarationOf(name);
    if (!declaration) return [];
    const target = this.functionOf(declaration);
    return target ? [target] : [];
  }

  isPrismaClient(expression: ts.Expression): boolean {
    let node = this.same(expression);
    if (node && ts.isPropertyAccessExpression(node)) node = node.name;
    const declaration = node && this.declarationOf(node);
    if (!declaration || !ts.isVariableDeclaration(declaration) || !declaration.initializer)
      return false;
    return createsPrismaClient(declaration.initializer);
  }

  /** This program's node at the same place as `node` (from the engine's own parse). */
  private same(node: ts.Node): ts.Node | undefined {
    const start = node.getStart(node.getSourceFile());
    let found: ts.Node | undefined;
    const visit = (current: ts.Node): void => {
      if (found || start < current.pos || start >= current.end) return;
      if (
        current.getStart(this.sourceFile) === start &&
        current.end === node.end &&
        current.kind === node.kind
      )
        found = current;
      else ts.forEachChild(current, visit);
    };
    visit(this.sourceFile);
    return found;
  }

  /** The declaration a name refers to, through import and export aliases. */
  private declarationOf(name: ts.Node): ts.Declaration | undefined {
    let symbol = this.checker.getSymbolAtLocation(name);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias)
      symbol = this.checker.getAliasedSymbol(symbol);
    return symbol?.valueDeclaration ?? symbol?.declarations?.[0];
  }

  /** The index's qualified name of the function a declaration is (or holds). */
  private functionOf(declaration: ts.Declaration): string | undefined {
    let fn: ts.Node = declaration;
    if (ts.isVariableDeclaration(declaration) && declaration.initializer)
      fn = unwrapFunction(declaration.initializer);
    if (!isFunctionDeclaration(fn) && !ts.isPropertyDeclaration(declaration)) return undefined;
    const file = declaration.getSourceFile().fileName;
    const relative = path.relative(this.root, file).split(path.sep).join('/');
    if (relative.startsWith('..')) return undefined;
    const module = tsModuleNameOf(relative);
    const nameNode = (declaration as ts.NamedDeclaration).name;
    const name =
      nameNode && ts.isIdentifier(nameNode)
        ? nameNode.text
        : ts.isFunctionDeclaration(declaration) && !declaration.name
          ? 'default'
          : undefined;
    if (!name) return undefined;
    const owner = declaration.parent;
    const className =
      owner && (ts.isClassDeclaration(owner) || ts.isClassExpression(owner))
        ? owner.name?.text
        : undefined;
    const local = className ? `${className}.${name}` : name;
    return module ? `${module}.${local}` : local;
  }
}

function unwrapFunction(node: ts.Expression): ts.Node {
  let current: ts.Expression = node;
  while (ts.isParenthesizedExpression(current) || ts.isAsExpression(current))
    current = current.expression;
  return current;
}

function createsPrismaClient(node: ts.Expression): boolean {
  const inner = unwrapFunction(node) as ts.Expression;
  if (ts.isNewExpression(inner)) return inner.expression.getText().endsWith('PrismaClient');
  if (ts.isBinaryExpression(inner)) return createsPrismaClient(inner.right);
  if (ts.isCallExpression(inner) && ts.isPropertyAccessExpression(inner.expression))
    return (
      inner.expression.name.text === '$extends' && createsPrismaClient(inner.expression.expression)
    );
  return false;
}

const oracles = new Map<string, TypeOracle>();

/** The oracle of a workspace folder, shared by every file analysed in this process. */
export function typeOracleFor(discovery: DiscoveryOptions): TypeOracle {
  const key = path.resolve(discovery.root);
  let oracle = oracles.get(key);
  if (!oracle) {
    oracle = new TypeOracle(discovery);
    oracles.set(key, oracle);
  }
  return oracle;
}

/**
 * Forgets the oracle of a folder that left the workspace, and its program with it: the language
 * server outlives the folders it is given, and a program holds the folder's parsed files.
 */
export function releaseTypeOracle(root: string): void {
  oracles.delete(path.resolve(root));
}
