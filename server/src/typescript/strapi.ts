/**
 * Strapi's query APIs, reached from the `strapi` object (a global in Strapi apps, or the
 * `{ strapi }` a controller/service factory receives): the Query Engine
 * (`strapi.db.query(uid).findMany(...)`, also v4's `strapi.query(uid)`), the Entity Service
 * (`strapi.entityService.findMany(uid, params)`) and Strapi 5's Document Service
 * (`strapi.documents(uid).findMany(...)`). Each method named here is one database round trip (or
 * several) when awaited. A call counts only when its chain starts at `strapi` and names a content
 * type: a uid string (`'api::article.article'`, `'plugin::...'`, `'admin::...'`) or a value that
 * may hold one; `strapi.log.info()`, `strapi.config.get()` and another library's `db.query(sql)`
 * are none of these.
 */
import { ts } from './compiler';
import { isModuleExportsAssignment } from './module-exports';
import {
  calleeName,
  semanticParent,
  unwrap,
  type TsCall,
  type TsFunction,
  type TsModel,
} from './model';
import { declarationOf } from './name-resolution';

/** The `orm` of an `IoCall` through Strapi. */
export const STRAPI = 'strapi';

/** Which of Strapi's APIs a query goes through. */
export type StrapiApi = 'query-engine' | 'entity-service' | 'documents';

const QUERY_ENGINE_METHODS = new Set([
  'findOne',
  'findMany',
  'findPage',
  'findWithCount',
  'count',
  'create',
  'update',
  'delete',
  'createMany',
  'updateMany',
  'deleteMany',
]);

const ENTITY_SERVICE_METHODS = new Set([
  'findOne',
  'findMany',
  'findPage',
  'count',
  'create',
  'update',
  'delete',
]);

const DOCUMENT_METHODS = new Set([
  'findOne',
  'findFirst',
  'findMany',
  'count',
  'create',
  'update',
  'delete',
  'publish',
  'unpublish',
  'discardDraft',
]);

/** A content-type uid: `api::article.article`, `plugin::upload.file`, `admin::user`. */
const UID = /^(?:api|plugin|admin)::/;

/** A query through Strapi: which API, and the method called. */
export interface StrapiQuery {
  api: StrapiApi;
  method: string;
}

/** Whether `node` is Strapi's `strapi`: a global, or the `{ strapi }` of a factory's parameter. */
function isStrapiRoot(node: ts.Expression): boolean {
  if (!ts.isIdentifier(node) || node.text !== 'strapi') return false;
  const declaration = declarationOf(node);
  if (!declaration) return true;
  const holder = declaration.parent;
  return (
    ts.isBindingElement(holder) &&
    ts.isObjectBindingPattern(holder.parent) &&
    ts.isParameter(holder.parent.parent)
  );
}

/** `strapi.<member>` (through parentheses), or false. */
function isStrapiMember(node: ts.Expression, member: string): boolean {
  const inner = unwrap(node);
  return (
    ts.isPropertyAccessExpression(inner) &&
    inner.name.text === member &&
    isStrapiRoot(unwrap(inner.expression))
  );
}

/** A uid argument: a uid string, or a value that may hold one (not another literal). */
function namesContentType(argument: ts.Expression | undefined): boolean {
  if (!argument) return false;
  const node = unwrap(argument);
  if (ts.isStringLiteralLike(node)) return UID.test(node.text);
  return !ts.isLiteralExpression(node) && !ts.isObjectLiteralExpression(node);
}

/**
 * The content-type handle a Query Engine or Document Service method is called on:
 * `strapi.db.query(uid)`, `strapi.query(uid)` or `strapi.documents(uid)`.
 */
function handleApi(receiver: ts.Expression): StrapiApi | undefined {
  const node = unwrap(receiver);
  if (!ts.isCallExpression(node) || !namesContentType(node.arguments[0])) return undefined;
  const callee = unwrap(node.expression);
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const name = callee.name.text;
  if (name === 'documents' && isStrapiRoot(unwrap(callee.expression))) return 'documents';
  if (name !== 'query') return undefined;
  const owner = unwrap(callee.expression);
  return isStrapiRoot(owner) || isStrapiMember(owner, 'db') ? 'query-engine' : undefined;
}

const mentionsOfModel = new WeakMap<TsModel, boolean>();

/** Whether the file names `strapi` at all: one sniff of its text per file. */
function mentionsStrapi(model: TsModel): boolean {
  let found = mentionsOfModel.get(model);
  if (found === undefined) {
    found = model.text.includes('strapi');
    mentionsOfModel.set(model, found);
  }
  return found;
}

/** The Strapi query `call` makes, or undefined; files that never name `strapi` pay one sniff. */
export function strapiQueryOf(model: TsModel, call: TsCall): StrapiQuery | undefined {
  return mentionsStrapi(model) ? strapiQueryOfCall(call) : undefined;
}

/** As `strapiQueryOf`, from the call's syntax alone (for a call already known to be one). */
export function strapiQueryOfCall(call: TsCall): StrapiQuery | undefined {
  if (call.isNew || call.isTaggedTemplate || !call.receiver) return undefined;
  const method = call.name;
  if (isStrapiMember(call.receiver, 'entityService'))
    return ENTITY_SERVICE_METHODS.has(method) && namesContentType(call.args[0])
      ? { api: 'entity-service', method }
      : undefined;
  const api = handleApi(call.receiver);
  if (api === 'query-engine' && QUERY_ENGINE_METHODS.has(method)) return { api, method };
  if (api === 'documents' && DOCUMENT_METHODS.has(method)) return { api, method };
  return undefined;
}

/** Strapi methods that change data. */
const WRITES =
  /^(?:create|update|delete|createMany|updateMany|deleteMany|publish|unpublish|discardDraft)$/;

/** Whether a Strapi query method changes data. */
export function strapiWrites(method: string): boolean {
  return WRITES.test(method);
}

/**
 * The batched form of a Strapi query made per item: one `findMany` over the ids (`where` for the
 * Query Engine, `filters` for the others), `populate` for a relation, the bulk writes the Query
 * Engine has.
 */
export function strapiAdvice(query: StrapiQuery, field: string, ids: string): string {
  const filter = query.api === 'query-engine' ? 'where' : 'filters';
  if (query.method === 'count')
    return 'count them in one grouped query through `strapi.db.connection` (knex: `whereIn` the keys, `groupBy` the key, `count()`)';
  if (strapiWrites(query.method)) {
    if (query.api !== 'query-engine')
      return 'when the values are the same, write them in one Query Engine `createMany`/`updateMany`/`deleteMany` (`strapi.db.query(uid)`, which skips the draft and locale handling)';
    return query.method.endsWith('Many')
      ? `merge the per-item filters into one \`${query.method}\` (\`${filter}: { ${field}: { $in: ${ids} } }\`)`
      : `write them in one \`${query.method}Many\`${query.method === 'create' ? '' : ' when the values are the same'}`;
  }
  return `load them in one \`findMany({ ${filter}: { ${field}: { $in: ${ids} } } })\` before the loop, or \`populate\` the relation in the query that loaded the items`;
}

/** Strapi's factories of a content type's controller and service (`factories.createCoreService`). */
const CORE_FACTORIES = new Set(['createCoreController', 'createCoreService']);

/**
 * Files Strapi loads controllers and services from: `src/api/<name>/controllers|services/` of an
 * app, and `server/` (or `server/src/`) of a plugin (`src/plugins/<name>/server/services/`).
 */
const STRAPI_API_FILE =
  /(?:^|\/)(?:src\/api\/[^/]+|server(?:\/src)?)\/(?:controllers|services)\/[^/]+\.[mc]?[jt]s$/;

/**
 * Whether `fn` is an action of a Strapi controller or a method of a Strapi service: a member of
 * the object a factory returns, the factory passed to `createCoreController(uid, ...)` /
 * `createCoreService(uid, ...)`, or exported (`module.exports = ({ strapi }) => ({ ... })`,
 * `export default`) by a file of a controllers/services folder. Strapi calls controller actions
 * per request and services from them. A factory's own body runs once, when Strapi loads it.
 */
export function isStrapiApiMethod(model: TsModel, fn: TsFunction): boolean {
  const factory = fn.parent;
  if (!factory || factory.parent || !mentionsStrapi(model)) return false;
  const object = memberOf(fn.node);
  if (!object || returnedObjectOwner(object) !== factory.node) return false;
  const holder = semanticParent(factory.node);
  if (holder && ts.isCallExpression(holder))
    return (
      holder.arguments[1] === factory.node && CORE_FACTORIES.has(calleeName(holder.expression))
    );
  if (!STRAPI_API_FILE.test(model.relativePath) || !receivesStrapi(factory.node)) return false;
  return !!holder && (ts.isExportAssignment(holder) || isModuleExportsAssignment(holder));
}

/** The object literal a function is a method or property of. */
function memberOf(node: ts.Node): ts.ObjectLiteralExpression | undefined {
  const parent = semanticParent(node);
  const holder = ts.isMethodDeclaration(node)
    ? node
    : parent && ts.isPropertyAssignment(parent)
      ? parent
      : undefined;
  const object = holder?.parent;
  return object && ts.isObjectLiteralExpression(object) ? object : undefined;
}

/** The function that returns `object`: as its arrow body, or from a `return` of its own body. */
function returnedObjectOwner(object: ts.ObjectLiteralExpression): ts.Node | undefined {
  const parent = semanticParent(object);
  if (parent && ts.isArrowFunction(parent)) return parent;
  if (!parent || !ts.isReturnStatement(parent)) return undefined;
  let node: ts.Node | undefined = parent.parent;
  while (node && !ts.isFunctionLike(node)) node = node.parent;
  return node;
}

/** `({ strapi }) => ...` or `(strapi) => ...`: a factory Strapi hands itself to. */
function receivesStrapi(node: ts.Node): boolean {
  if (!ts.isFunctionLike(node)) return false;
  const [first] = node.parameters;
  if (!first) return false;
  if (ts.isIdentifier(first.name)) return first.name.text === 'strapi';
  return (
    ts.isObjectBindingPattern(first.name) &&
    first.name.elements.some(
      (element) => ts.isIdentifier(element.name) && element.name.text === 'strapi',
    )
  );
}
