/**
 * TypeORM entity classes as their decorators declare them: a class decorated `@Entity(...)`, its
 * `@ManyToOne` relations with the foreign-key column each makes, and the indexes its decorators
 * declare (`@Index()` / `@Unique()` on a property, class-level `@Index([...])` / `@Unique([...])`,
 * unique and primary columns). Only decorators imported from `typeorm` count (a DTO or a
 * MikroORM entity with look-alike decorators is not a TypeORM entity).
 *
 * The foreign-key column is named as TypeORM's default naming strategy names it: the
 * `@JoinColumn({ name })` when given, else the camelCase of `<property>_<referenced column>`
 * (`author` → `authorId`; the referenced column is `id` unless `@JoinColumn({
 * referencedColumnName })` says otherwise). The table is the `@Entity('name')` argument, else the
 * snake_case of the class name (or the class name itself, as some naming strategies keep it).
 */
import { ts } from './compiler';
import { decoratorOrigin } from './knowledge';
import { importsModule, unwrap, type TsModel } from './model';
import { booleanPropertyValue, propertyName, stringPropertyValue } from './object-literals';

const TYPEORM = 'typeorm';

/** A decorator imported from `typeorm`, by the name the package exports it under. */
interface TypeormDecorator {
  name: string;
  node: ts.Decorator;
  args: readonly ts.Expression[];
}

export interface TypeormProperty {
  name: string;
  node: ts.PropertyDeclaration;
  decorators: TypeormDecorator[];
  /** The column name a `@Column({ name })` (or another column decorator) gives it. */
  columnName?: string;
}

export interface TypeormEntity {
  node: ts.ClassDeclaration;
  className: string;
  /** `@Entity('post')` / `@Entity({ name: 'post' })`; undefined when the name is derived. */
  tableName?: string;
  properties: TypeormProperty[];
  /** The first column (as written: a property or column name) of each class-level index. */
  leadingIndexColumns: string[];
}

export interface ManyToOneRelation {
  entity: TypeormEntity;
  property: TypeormProperty;
  decorator: ts.Decorator;
  /** The class the relation points to (`Author` of `() => Author`), when written plainly. */
  target?: string;
  /** The foreign-key column's name: the `@JoinColumn` name or TypeORM's default. */
  column: string;
  /** Whether `@JoinColumn({ name })` names the column (else the naming strategy does). */
  named: boolean;
}

/** Decorators that make a property a relation or a computed id, not a column of its own. */
const NOT_COLUMNS = new Set(['ManyToOne', 'OneToOne', 'OneToMany', 'ManyToMany', 'RelationId']);
const PRIMARY_COLUMNS = new Set(['PrimaryColumn', 'PrimaryGeneratedColumn']);
const INDEX_DECORATORS = new Set(['Index', 'Unique']);

function typeormDecorators(model: TsModel, node: ts.HasDecorators): TypeormDecorator[] {
  const found: TypeormDecorator[] = [];
  for (const decorator of ts.getDecorators(node) ?? []) {
    const origin = decoratorOrigin(model, decorator);
    if (origin?.module !== TYPEORM) continue;
    const call = decorator.expression;
    const args = ts.isCallExpression(call) ? call.arguments : [];
    found.push({ name: origin.name, node: decorator, args });
  }
  return found;
}

/** The object literal among a decorator's arguments (`@Column('text', { name: 'x' })`). */
function optionsOf(decorator: TypeormDecorator): ts.ObjectLiteralExpression | undefined {
  for (const arg of decorator.args) {
    const node = unwrap(arg);
    if (ts.isObjectLiteralExpression(node)) return node;
  }
  return undefined;
}

/** Whether the decorator's options set `key: true`. */
function optionIsTrue(decorator: TypeormDecorator, key: string): boolean {
  const options = optionsOf(decorator);
  return !!options && booleanPropertyValue(options, key) === true;
}

function has(property: TypeormProperty, names: ReadonlySet<string>): boolean {
  return property.decorators.some((decorator) => names.has(decorator.name));
}

function decorator(property: TypeormProperty, name: string): TypeormDecorator | undefined {
  return property.decorators.find((d) => d.name === name);
}

/** `@Column({ name: 'author_id' })`: the name a column decorator gives; undefined otherwise. */
function columnNameOf(decorators: readonly TypeormDecorator[]): string | undefined {
  for (const d of decorators) {
    if (NOT_COLUMNS.has(d.name) || INDEX_DECORATORS.has(d.name)) continue;
    const options = optionsOf(d);
    const name = options && stringPropertyValue(options, 'name');
    if (name) return name;
  }
  return undefined;
}

function propertyOf(model: TsModel, member: ts.ClassElement): TypeormProperty | undefined {
  if (!ts.isPropertyDeclaration(member)) return undefined;
  const name = member.name;
  if (!ts.isIdentifier(name) && !ts.isStringLiteral(name)) return undefined;
  const decorators = typeormDecorators(model, member);
  return { name: name.text, node: member, decorators, columnName: columnNameOf(decorators) };
}

/** What a function returns, unwrapped: its expression body, or its first `return`'s value. */
function returnedBy(fn: ts.ArrowFunction | ts.FunctionExpression): ts.Expression | undefined {
  const body = fn.body;
  const returned = ts.isBlock(body) ? body.statements.find(ts.isReturnStatement)?.expression : body;
  return returned && unwrap(returned);
}

/** The names an index's column list starts with: `['author', ...]` or `(p) => [p.author, ...]`. */
function leadingColumnOf(decorator: TypeormDecorator): string | undefined {
  for (const arg of decorator.args) {
    let node = unwrap(arg);
    if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) {
      const returned = returnedBy(node);
      if (!returned) return undefined;
      node = returned;
      if (ts.isObjectLiteralExpression(node)) {
        const first = node.properties[0];
        return first && propertyName(first);
      }
    }
    if (!ts.isArrayLiteralExpression(node)) continue;
    const first = node.elements[0] && unwrap(node.elements[0]);
    if (!first) return undefined;
    if (ts.isStringLiteralLike(first)) return first.text;
    return ts.isPropertyAccessExpression(first) ? first.name.text : undefined;
  }
  return undefined;
}

/** `@Entity('post')`, `@Entity({ name: 'post' })`, `@Entity('post', { schema })`. */
function tableNameOf(entity: TypeormDecorator): string | undefined {
  const first = entity.args[0] && unwrap(entity.args[0]);
  if (first && ts.isStringLiteralLike(first)) return first.text;
  const options = optionsOf(entity);
  return options && stringPropertyValue(options, 'name');
}

function entityOf(model: TsModel, node: ts.ClassDeclaration): TypeormEntity | undefined {
  if (!node.name) return undefined;
  const decorators = typeormDecorators(model, node);
  const entity = decorators.find((d) => d.name === 'Entity');
  if (!entity) return undefined;
  const properties: TypeormProperty[] = [];
  for (const member of node.members) {
    const property = propertyOf(model, member);
    if (property) properties.push(property);
  }
  const leadingIndexColumns: string[] = [];
  for (const d of decorators) {
    const leading = INDEX_DECORATORS.has(d.name) ? leadingColumnOf(d) : undefined;
    if (leading) leadingIndexColumns.push(leading);
  }
  return {
    node,
    className: node.name.text,
    tableName: tableNameOf(entity),
    properties,
    leadingIndexColumns,
  };
}

/**
 * The file's TypeORM entities: classes decorated `@Entity(...)` imported from `typeorm`. Files
 * that import nothing from `typeorm` or never write `ManyToOne` pay no walk.
 */
export function typeormEntities(model: TsModel): TypeormEntity[] {
  if (!model.text.includes('ManyToOne') || !importsModule(model, (m) => m === TYPEORM)) return [];
  const entities: TypeormEntity[] = [];
  for (const statement of model.sourceFile.statements) {
    if (!ts.isClassDeclaration(statement)) continue;
    const entity = entityOf(model, statement);
    if (entity) entities.push(entity);
  }
  return entities;
}

/** `() => Author`, `type => Author`, `'Author'`: the related class's name. */
function targetOf(decorator: TypeormDecorator): string | undefined {
  const first = decorator.args[0] && unwrap(decorator.args[0]);
  if (!first) return undefined;
  if (ts.isStringLiteralLike(first)) return first.text;
  if (!ts.isArrowFunction(first) && !ts.isFunctionExpression(first)) return undefined;
  const returned = returnedBy(first);
  return returned && ts.isIdentifier(returned) ? returned.text : undefined;
}

/** TypeORM's `camelCase`: `author_id` → `authorId`, `Parent_org_id` → `parentOrgId`. */
function camelCase(text: string): string {
  return text.replace(/^([A-Z])|[\s\-_](\w)/g, (_match, first?: string, next?: string) =>
    next ? next.toUpperCase() : first!.toLowerCase(),
  );
}

/**
 * The foreign-key column of a relation: `@JoinColumn({ name })` (also as the one element of
 * `@JoinColumn([{ name }])`), else `<property><Referenced>`. Undefined for a composite key
 * (`@JoinColumn([{...}, {...}])`), which this reading leaves alone.
 */
function joinColumnOf(property: TypeormProperty): { column: string; named: boolean } | undefined {
  const join = decorator(property, 'JoinColumn');
  let first = join?.args[0] && unwrap(join.args[0]);
  if (first && ts.isArrayLiteralExpression(first)) {
    if (first.elements.length !== 1) return undefined;
    first = unwrap(first.elements[0]);
  }
  const options = first && ts.isObjectLiteralExpression(first) ? first : undefined;
  const name = options && stringPropertyValue(options, 'name');
  if (name) return { column: name, named: true };
  const referenced = (options && stringPropertyValue(options, 'referencedColumnName')) ?? 'id';
  return { column: camelCase(`${property.name}_${referenced}`), named: false };
}

/**
 * The entity's `@ManyToOne` relations that make a foreign key: not those with
 * `createForeignKeyConstraints: false` (no constraint, so no key), nor composite join columns.
 */
export function manyToOneRelations(entity: TypeormEntity): ManyToOneRelation[] {
  const relations: ManyToOneRelation[] = [];
  for (const property of entity.properties) {
    const manyToOne = decorator(property, 'ManyToOne');
    if (!manyToOne) continue;
    const options = optionsOf(manyToOne);
    if (options && booleanPropertyValue(options, 'createForeignKeyConstraints') === false) continue;
    const join = joinColumnOf(property);
    if (!join) continue;
    relations.push({
      entity,
      property,
      decorator: manyToOne.node,
      target: targetOf(manyToOne),
      ...join,
    });
  }
  return relations;
}

/**
 * The property that declares the relation's column explicitly (`@Column() authorId` beside
 * `@ManyToOne(() => Author) author`): one named as the column, or whose column decorator names
 * it. A `@RelationId` property only reads the column, and is no column of its own.
 */
function explicitColumnProperty(relation: ManyToOneRelation): TypeormProperty | undefined {
  return relation.entity.properties.find(
    (property) =>
      !has(property, NOT_COLUMNS) && (property.columnName ?? property.name) === relation.column,
  );
}

function isPrimary(property: TypeormProperty): boolean {
  return property.decorators.some((d) => PRIMARY_COLUMNS.has(d.name) || optionIsTrue(d, 'primary'));
}

/** `@Index()` / `@Unique()` on the property, or `unique: true` in its column options. */
function isIndexedProperty(property: TypeormProperty): boolean {
  return property.decorators.some((d) => INDEX_DECORATORS.has(d.name) || optionIsTrue(d, 'unique'));
}

/**
 * Whether the entity's decorators give the relation's column an index that leads with it: an
 * index or unique constraint on the relation or its explicit column property, the first primary
 * column the class declares, or a class-level `@Index([...])` / `@Unique([...])` whose first
 * column is the relation, its column or its column property.
 */
export function indexedByEntity(relation: ManyToOneRelation): boolean {
  const { entity, property } = relation;
  const explicit = explicitColumnProperty(relation);
  const own = explicit ? [property, explicit] : [property];
  if (own.some(isIndexedProperty)) return true;
  const firstPrimary = entity.properties.find(isPrimary);
  if (firstPrimary && own.includes(firstPrimary)) return true;
  const names = new Set([property.name, relation.column]);
  if (explicit) names.add(explicit.name);
  return entity.leadingIndexColumns.some((column) => names.has(column));
}

/** `OrderLine` → `order_line`: TypeORM's default table name for a class. */
function snakeCase(name: string): string {
  return name
    .replace(/([a-z\d])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z\d]+)/g, '$1_$2')
    .toLowerCase();
}

/** The table names an entity may have: its `@Entity` name, else its class name snake-cased or as is. */
export function entityTableNames(entity: TypeormEntity): string[] {
  if (entity.tableName) return [entity.tableName];
  return [...new Set([snakeCase(entity.className), entity.className])];
}

/** The names the relation's column may have in SQL, lower-cased (`authorid`, `author_id`). */
export function relationColumnNames(relation: ManyToOneRelation): string[] {
  const explicit = explicitColumnProperty(relation);
  const names = [relation.column, snakeCase(relation.column)];
  if (explicit?.columnName) names.push(explicit.columnName);
  return [...new Set(names.map((name) => name.toLowerCase()))];
}
