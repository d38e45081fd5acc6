/**
 * Mongoose model types whose statics a class loaded in the same file implements, the way Erxes
 * writes each model: `export interface IStageModel extends Model<IStageDocument> { removeStage(id:
 * string): Promise<object> }` beside `export const loadStageClass = (models: IModels) => { class
 * Stage { public static async removeStage(id: string) { ... } } stageSchema.loadClass(Stage);
 * return stageSchema; }`, the model made in another file (`db.model<IStageDocument,
 * IStageModel>('stages', loadStageClass(models))`). A value typed `IStageModel` (`models.Stages`
 * of `IModels { Stages: IStageModel }`) runs `Stage.removeStage`. The class is the one loaded
 * class whose statics include every method the interface declares: a file that loads `Pipeline`
 * and `Stage`, both with an `updateOrder`, links each interface to its own class, and an interface
 * that no class covers, or two do, links to none.
 */
import type { Reexport } from '../workspace/facts';
import { ts } from './compiler';
import { hasModifier, type TsModel } from './model';
import { loadedClassDeclarations } from './mongoose-loaded-classes';
import { isMongooseModelTypeName } from './mongoose-model-types';

/** The names of a class's static methods. */
function staticMethods(cls: ts.ClassDeclaration): Set<string> {
  const names = new Set<string>();
  for (const member of cls.members)
    if (
      ts.isMethodDeclaration(member) &&
      ts.isIdentifier(member.name) &&
      hasModifier(member, ts.SyntaxKind.StaticKeyword)
    )
      names.add(member.name.text);
  return names;
}

/** The methods an interface declares (`removeStage(id: string): Promise<object>`). */
function declaredMethods(declaration: ts.InterfaceDeclaration): string[] {
  return declaration.members.flatMap((member) =>
    ts.isMethodSignature(member) && ts.isIdentifier(member.name) ? [member.name.text] : [],
  );
}

/**
 * The file's model interfaces linked to the class implementing their statics, as re-exports of
 * the class under the interface's name: `<module>.IStageModel.removeStage` resolves to
 * `<module>.Stage.removeStage`.
 */
export function modelTypeImplementations(model: TsModel, moduleName: string): Reexport[] {
  const classes = loadedClassDeclarations(model);
  if (classes.length === 0) return [];
  const statics = classes.map((cls) => ({ name: cls.name?.text, methods: staticMethods(cls) }));
  const links: Reexport[] = [];
  for (const statement of model.sourceFile.statements) {
    if (!ts.isInterfaceDeclaration(statement)) continue;
    const typeName = statement.name.text;
    if (!isMongooseModelTypeName(model, typeName)) continue;
    const methods = declaredMethods(statement);
    if (methods.length === 0) continue;
    const covering = statics.filter(
      ({ name, methods: own }) => name !== undefined && methods.every((method) => own.has(method)),
    );
    if (covering.length === 1)
      links.push({ exported: typeName, module: moduleName, imported: covering[0].name });
  }
  return links;
}
