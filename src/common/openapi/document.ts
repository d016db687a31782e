import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type {
  OperationObject,
  ParameterObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';
import { ACCESS_EXTENSION, SCOPE_EXTENSION } from '../auth.decorators.js';
import { ERROR_CODES, type ErrorCode } from '../errors.js';
import type { ApiContract, OperationContract, RpcMethodContract } from './contract.js';
import { SHARED_SCHEMAS, ref } from './schemas.js';

export const API_PREFIX = '/api/v1';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request',
  401: 'No, bad, expired or revoked token',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict: already taken',
  413: 'Too large',
  429: 'Too many requests: wait `retry_after` seconds',
  503: 'The database or Redis does not answer; try again',
};

/**
 * The OpenAPI document of the service (served at /api/docs-json): read by @nestjs/swagger from
 * the controllers and DTOs, then completed from the features' contracts (answers, error codes,
 * parameters, schemas, RPC methods).
 */
export function buildApiDocument(app: INestApplication, contracts: ApiContract[]): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Unichat accounts')
      .setDescription(
        'Accounts, sessions, profiles, presence, blocking, devices and the live event stream. Every failure answers `{"error": {"code", "text"}}` with the codes listed at each operation.',
      )
      .setVersion('1')
      .setLicense('MIT', 'https://opensource.org/licenses/MIT')
      .addServer('/', 'This service')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
      .addBearerAuth(
        {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'usk_…',
          description:
            'A service key (made with `npm run admin -- service-keys create`), for service and admin routes.',
        },
        'serviceKey',
      )
      .build(),
  );
  return completeDocument(document, contracts);
}

/** One map of every operation, schema and RPC method; a name declared twice is refused. */
function collect(contracts: ApiContract[]) {
  const operations: Record<string, OperationContract> = {};
  const schemas: Record<string, SchemaObject> = { ...SHARED_SCHEMAS };
  const rpcMethods: Record<string, RpcMethodContract> = {};
  const merge = <T>(into: Record<string, T>, from: Record<string, T> | undefined, what: string) => {
    for (const [name, value] of Object.entries(from ?? {})) {
      if (Object.hasOwn(into, name) && into[name] !== value)
        throw new Error(`OpenAPI: ${what} ${name} declared twice`);
      into[name] = value;
    }
  };
  for (const contract of contracts) {
    merge(operations, contract.operations, 'operation');
    merge(schemas, contract.schemas, 'schema');
    merge(rpcMethods, contract.rpcMethods, 'RPC method');
  }
  return { operations, schemas, rpcMethods };
}

export function completeDocument(document: OpenAPIObject, contracts: ApiContract[]): OpenAPIObject {
  const { operations: OPERATIONS, schemas, rpcMethods } = collect(contracts);
  document.components = document.components ?? {};
  // In name order: the document does not depend on the order the contracts are listed in.
  document.components.schemas = byName({ ...document.components.schemas, ...schemas });
  // Every operation needs a token unless it says otherwise.
  document.security = [{ bearer: [] }];
  const seen = new Set<string>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const key = `${method.toUpperCase()} ${path.startsWith(API_PREFIX) ? path.slice(API_PREFIX.length) : path}`;
      const contract = OPERATIONS[key];
      if (!contract)
        throw new Error(`OpenAPI: no contract for ${key} (declare it in the feature's *.contract.ts)`);
      seen.add(key);
      complete(operation, contract, schemas);
    }
  }
  const missing = Object.keys(OPERATIONS).filter((key) => !seen.has(key));
  if (missing.length > 0) throw new Error(`OpenAPI: contracts without an operation: ${missing.join(', ')}`);
  closeRequestBodies(document);
  expandRpc(document, OPERATIONS, rpcMethods);
  dropUnusedDtos(document);
  return document;
}

/**
 * A request body is a DTO, and the validation pipe refuses a field its class does not declare
 * (`whitelist` + `forbidNonWhitelisted`): the document says so of each.
 */
function closeRequestBodies(document: OpenAPIObject): void {
  for (const [name, schema] of Object.entries(document.components!.schemas!)) {
    const object = schema as SchemaObject;
    if (name.endsWith('Dto') && object.type === 'object' && object.additionalProperties === undefined) {
      object.additionalProperties = false;
    }
  }
}

/** Whether a schema (or the one it names) asks for some field: then a body is required. */
function requiresFields(schema: SchemaObject | ReferenceObject, document: OpenAPIObject): boolean {
  const ref = (schema as ReferenceObject).$ref;
  const resolved = ref ? (document.components!.schemas![ref.split('/').pop()!] as SchemaObject) : schema;
  const object = resolved as SchemaObject;
  if (object.oneOf) return object.oneOf.every((variant) => requiresFields(variant, document));
  return (object.required?.length ?? 0) > 0;
}

const byName = <T>(record: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** A DTO whose schema an operation replaced (a `oneOf` says more than a class can). */
function dropUnusedDtos(document: OpenAPIObject): void {
  const schemas = document.components!.schemas!;
  for (const name of Object.keys(schemas)) {
    if (!name.endsWith('Dto')) continue;
    const { [name]: _self, ...others } = schemas;
    const text = JSON.stringify({ paths: document.paths, others });
    if (!text.includes(`"#/components/schemas/${name}"`)) delete schemas[name];
  }
}

type Access = 'public' | 'user' | 'confirmed' | 'service';

function complete(
  operation: OperationObject,
  contract: OperationContract,
  schemas: Record<string, SchemaObject>,
): void {
  const extensions = operation as unknown as Record<string, unknown>;
  const access = (extensions[ACCESS_EXTENSION] as Access | undefined) ?? 'confirmed';
  const scope = extensions[SCOPE_EXTENSION] as string | undefined;
  delete extensions[ACCESS_EXTENSION];
  delete extensions[SCOPE_EXTENSION];
  operation.operationId = operationId(operation.operationId ?? '');
  const needs = access === 'service' ? `Needs a service key with the scope \`${scope}\`.` : undefined;
  operation.description = [operation.description, contract.description, needs].filter(Boolean).join('\n\n');
  if (operation.description === '') delete operation.description;
  if (access === 'public') operation.security = contract.optionalCaller ? [{}, { bearer: [] }] : [];
  else if (access === 'service') operation.security = [{ serviceKey: [] }];
  else delete operation.security;

  operation.parameters = parameters(operation.parameters ?? [], contract);
  // OpenAPI 3.0 cannot say it of parameters: the extension does, for clients and the fuzz test.
  if (contract.exactlyOneOf) extensions['x-exactly-one-of'] = contract.exactlyOneOf;
  const body = operation.requestBody as { content?: Record<string, { schema?: SchemaObject }> } | undefined;
  if (body?.content) {
    const json = body.content['application/json'];
    if (json && contract.requestSchema) json.schema = contract.requestSchema;
    if (json && contract.requestExamples) {
      (json as { examples?: unknown }).examples = contract.requestExamples;
    }
  }

  const responses: Record<string, ResponseObject> = {};
  const success = successResponse(contract, schemas);
  responses[String(contract.status)] = success;
  for (const [status, description] of Object.entries(contract.alsoStatus ?? {})) {
    responses[status] =
      status === '304' ? { description } : { ...successResponse(contract, schemas), description };
  }
  for (const [status, codes] of errorStatuses(contract, access, body !== undefined)) {
    if (responses[status]) continue;
    responses[status] = errorResponse(status, codes);
  }
  operation.responses = responses;
}

function successResponse(contract: OperationContract, schemas: Record<string, SchemaObject>): ResponseObject {
  const headers = contract.headers
    ? Object.fromEntries(Object.entries(contract.headers).map(([name, header]) => [name, header]))
    : undefined;
  if (contract.status === 302) return { description: 'A redirect', headers };
  if (typeof contract.body === 'string') {
    const schema = schemas[contract.body];
    if (!schema) throw new Error(`OpenAPI: no schema named ${contract.body}`);
    return {
      description: schema.description ?? contract.body,
      headers,
      content: { 'application/json': { schema: { $ref: `#/components/schemas/${contract.body}` } } },
    };
  }
  return {
    description: contract.body.description,
    headers,
    content: { [contract.body.contentType]: { schema: contract.body.schema } },
  };
}

/** Every error status the operation can answer, with the codes each can carry. */
function errorStatuses(
  contract: OperationContract,
  access: Access,
  hasBody: boolean,
): Map<number, ErrorCode[]> {
  const byStatus = new Map<number, ErrorCode[]>();
  const add = (status: number, code: ErrorCode) => {
    const codes = byStatus.get(status) ?? [];
    if (!codes.includes(code)) codes.push(code);
    byStatus.set(status, codes);
  };
  // Any request: fields it does not take, a body that is not JSON, a token that is sent and bad.
  add(400, 'invalid_params');
  add(401, 'unauthorized');
  if (access === 'confirmed') add(403, 'email_not_confirmed');
  if (access === 'service') add(403, 'forbidden');
  for (const code of contract.errors ?? []) add(ERROR_CODES[code].status, code);
  for (const code of contract.conflict ?? []) add(409, code);
  for (const code of contract.tooLarge ?? []) add(413, code);
  add(413, 'payload_too_large');
  add(503, 'unavailable');
  void hasBody;
  return new Map([...byStatus].sort(([a], [b]) => a - b));
}

function errorResponse(status: number, codes: ErrorCode[]): ResponseObject {
  const response: ResponseObject = {
    description: `${STATUS_TEXT[status] ?? 'Error'}: ${codes.map((code) => `\`${code}\``).join(', ')}`,
    content: {
      'application/json': {
        schema: {
          allOf: [
            ref('Error'),
            {
              type: 'object',
              properties: {
                error: { type: 'object', properties: { code: { type: 'string', enum: codes } } },
              },
            },
          ],
        },
      },
    },
  };
  if (status === 429) {
    response.headers = {
      'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer', minimum: 0 } },
    };
  }
  return response;
}

function parameters(
  existing: (ParameterObject | ReferenceObject)[],
  contract: OperationContract,
): ParameterObject[] {
  const result: ParameterObject[] = [];
  const names = new Set<string>();
  for (const parameter of existing as ParameterObject[]) {
    const override = contract.params?.[parameter.name];
    names.add(parameter.name);
    if (!override) {
      result.push(parameter);
      continue;
    }
    result.push(toParameter(parameter.name, override, parameter.in as ParameterObject['in']));
  }
  for (const [name, spec] of Object.entries(contract.params ?? {})) {
    if (!names.has(name)) result.push(toParameter(name, spec, spec.in ?? 'path'));
  }
  // A path segment is never empty.
  for (const parameter of result) {
    const schema = parameter.schema as SchemaObject | undefined;
    if (parameter.in === 'path' && schema?.type === 'string' && schema.minLength === undefined)
      schema.minLength = 1;
  }
  return result;
}

function toParameter(
  name: string,
  spec: NonNullable<OperationContract['params']>[string],
  where: ParameterObject['in'],
): ParameterObject {
  const { in: _in, required, description, ...schema } = spec;
  return {
    name,
    in: spec.in ?? where,
    required: where === 'path' ? true : (required ?? false),
    description,
    schema: schema as SchemaObject,
  };
}

/** `AuthController_register` → `register`… made unique and readable for generated clients. */
function operationId(nestId: string): string {
  const [controller, method] = nestId.split('_');
  const feature = controller.replace(/Controller$/, '');
  return `${feature.charAt(0).toLowerCase()}${feature.slice(1)}_${method}`;
}

/**
 * The seed RPC endpoint, one path per method (a concrete path wins over `/rpc/{method}`): its
 * arguments are the REST route's body (or `user_id`), its result the REST route's answer, its
 * errors the REST route's, always with status 200 on success.
 */
function expandRpc(
  document: OpenAPIObject,
  OPERATIONS: Record<string, OperationContract>,
  rpcMethods: Record<string, RpcMethodContract>,
): void {
  const generic = `${API_PREFIX}/rpc/{method}`;
  const template = document.paths[generic]?.post;
  if (!template) throw new Error('OpenAPI: no RPC operation');
  delete document.paths[generic];
  document.components!.schemas!.NoArguments = {
    type: 'object',
    additionalProperties: false,
    properties: {},
    description: 'This method takes no arguments.',
  };
  for (const [name, spec] of Object.entries(byName(rpcMethods))) {
    const [method, restPath] = spec.rest.split(' ');
    const restKey = `${method.toLowerCase()}`;
    const restPathKey = `${API_PREFIX}${restPath.replace(/:(\w+)/g, '{$1}')}`;
    const rest = document.paths[restPathKey]?.[restKey as (typeof METHODS)[number]];
    if (!rest) throw new Error(`OpenAPI: RPC ${name} names ${spec.rest}, which is not in the document`);
    const success =
      rest.responses[String(OPERATIONS[`${method} ${restPath.replace(/:(\w+)/g, '{$1}')}`].status)];
    const responses: Record<string, ResponseObject> = {
      200: spec.result
        ? {
            description: spec.result.description,
            content: { 'application/json': { schema: spec.result.schema } },
          }
        : (success as ResponseObject),
    };
    for (const [status, response] of Object.entries(rest.responses)) {
      if (Number(status) >= 400) responses[status] = response as ResponseObject;
    }
    const dtoName = spec.dto.name === 'NoArgumentsDto' ? 'NoArguments' : spec.dto.name;
    if (!document.components!.schemas![dtoName]) {
      throw new Error(`OpenAPI: RPC ${name}: ${dtoName} is not a schema of the document`);
    }
    const restBody = (rest.requestBody as { content?: Record<string, { schema?: SchemaObject }> } | undefined)
      ?.content?.['application/json'];
    const argumentsSchema = restBody?.schema ?? ref(dtoName);
    document.paths[`${API_PREFIX}/rpc/${name}`] = {
      post: {
        tags: template.tags,
        operationId: `rpc_${name}`,
        summary: `${spec.rest} by its seed name`,
        description: `Stands for \`${spec.rest}\`: the same rules and error codes; success is always 200.`,
        security: spec.access === 'public' ? [{}, { bearer: [] }] : [{ bearer: [] }],
        requestBody: requiresFields(argumentsSchema, document)
          ? {
              required: true,
              description: 'The arguments as a JSON object.',
              content: { 'application/json': { schema: argumentsSchema } },
            }
          : {
              required: false,
              description: 'The arguments as a JSON object (none required: `{}` or no body).',
              content: { 'application/json': { schema: argumentsSchema } },
            },
        responses,
      },
    };
  }
}
