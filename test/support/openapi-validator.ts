import { appendFileSync } from 'node:fs';
import type { OpenAPIObject } from '@nestjs/swagger';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { API_PREFIX } from '../../src/common/openapi/document.js';

/**
 * Checks every answer the e2e suite receives against the service's OpenAPI document: its status
 * must be one the operation lists, its content type one of that status's, and a JSON body must
 * match its schema (closed objects: a field the document does not name fails). A path under
 * /api/v1 that the document does not have must be answered `404` in the error envelope; a path it
 * has, asked with a method it does not list, `405 method_not_allowed` with `Allow`.
 */

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'patch';
const METHODS: string[] = ['get', 'put', 'post', 'delete', 'patch'];

/** What is checked of an answer (a supertest response is one). */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

interface Route {
  pattern: RegExp;
  path: string;
  concrete: boolean;
}

interface MediaType {
  schema?: object;
}
interface ResponseSpec {
  content?: Record<string, MediaType>;
}

export class ApiDocumentValidator {
  private readonly ajv = new Ajv({ strict: false, allErrors: true, discriminator: false });
  private readonly routes: Route[];
  private readonly compiled = new Map<string, ValidateFunction>();
  validated = 0;

  constructor(private readonly document: OpenAPIObject) {
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: 'api', components: rewriteRefs(document.components) }, 'api');
    this.routes = Object.keys(document.paths)
      .map((path) => ({
        path,
        concrete: !path.includes('{'),
        pattern: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
      }))
      // A concrete path wins over a template (OpenAPI's rule): /rpc/login before /rpc/{method}.
      .sort((a, b) => Number(b.concrete) - Number(a.concrete));
  }

  /** The problem with this answer, or null when the document describes it. */
  check(method: string, url: string, response: Answer): string | null {
    const verb = method.toLowerCase();
    if (verb === 'options' || verb === 'head') return null;
    const path = new URL(url, 'http://x').pathname;
    // The first path that matches and has the method: /blocks/blockers takes DELETE as /blocks/{user_id}.
    const matching = this.routes.filter((candidate) => candidate.pattern.test(path));
    const route =
      matching.find((candidate) => this.document.paths[candidate.path][verb as HttpMethod]) ?? matching[0];
    const operation = route ? this.document.paths[route.path][verb as HttpMethod] : undefined;
    const where = `${method.toUpperCase()} ${path}`;
    if (!operation) {
      if (!path.startsWith(`${API_PREFIX}/`) && !route) return null; // the demo page, Swagger UI, `/`
      this.validated += 1;
      if (route) return this.checkMethodNotAllowed(where, route.path, response);
      // A path the router knows under another method only, e.g. with a trailing slash.
      if (response.status === 405 && response.headers.allow)
        return this.checkBody(where, 'api#/components/schemas/Error', response, ['method_not_allowed']);
      if (response.status !== 404)
        return `${where} is not in the API document, yet answered ${response.status}`;
      return this.checkBody(where, 'api#/components/schemas/Error', response, ['not_found']);
    }
    this.validated += 1;
    const spec = operation.responses[String(response.status)] as ResponseSpec | undefined;
    if (!spec) {
      return `${where} answered ${response.status}, which the document does not list (${Object.keys(
        operation.responses,
      ).join(', ')}): ${JSON.stringify(response.body).slice(0, 300)}`;
    }
    if (!spec.content) return null;
    const type = String(response.headers['content-type'] ?? '').split(';')[0];
    const media = spec.content[type];
    if (!media) {
      return `${where} answered ${response.status} as "${type}"; the document says ${Object.keys(spec.content).join(', ')}`;
    }
    if (type !== 'application/json' || !media.schema) return null;
    const pointer = `${route!.path}/${verb}/${response.status}`;
    return this.checkBody(where, pointer, response, null, media.schema);
  }

  /** A documented path asked with a method it does not document: 405, `Allow` naming its methods. */
  private checkMethodNotAllowed(where: string, path: string, response: Answer): string | null {
    if (response.status !== 405) {
      return `${where}: the path is in the API document, not this method, yet it answered ${response.status}`;
    }
    const allow = String(response.headers.allow ?? '')
      .split(',')
      .map((method) => method.trim().toLowerCase());
    const documented = Object.keys(this.document.paths[path]).filter((key) => METHODS.includes(key));
    const missing = documented.filter((method) => !allow.includes(method));
    if (missing.length > 0) return `${where}: 405 with Allow "${response.headers.allow}", without ${missing}`;
    return this.checkBody(where, 'api#/components/schemas/Error', response, ['method_not_allowed']);
  }

  /**
   * A message of a documented event stream: its event is one the stream's schema lists, its
   * fields are the documented ones (`data` a line of JSON text), and the parsed `data` matches
   * the schema the message names in `x-data-schema`.
   */
  checkStreamMessage(
    url: string,
    message: { id: string | null; event: string; data: string },
  ): string | null {
    // Express routes `/events/` as `/events` (routing is not strict): so does the check.
    const path = new URL(url, 'http://x').pathname.replace(/(.)\/$/, '$1');
    const route = this.routes.find((candidate) => candidate.pattern.test(path));
    const where = `GET ${path} message "${message.event}"`;
    const responses = route ? this.document.paths[route.path].get?.responses : undefined;
    const media = (responses?.['200'] as ResponseSpec | undefined)?.content?.['text/event-stream'];
    if (!route || !media?.schema) return `${where}: no documented event stream there`;
    this.validated += 1;
    const variants = (this.resolve(media.schema).oneOf ?? []) as Record<string, unknown>[];
    const index = variants.findIndex((variant) =>
      (this.properties(variant).event?.enum as string[] | undefined)?.includes(message.event),
    );
    if (index < 0) return `${where}: the document lists no such event`;
    const wire = {
      ...(message.id === null ? {} : { id: message.id }),
      event: message.event,
      data: message.data,
    };
    const problem = this.checkBody(
      where,
      `${route.path}#${index}`,
      { status: 200, headers: {}, body: wire },
      null,
      variants[index],
    );
    if (problem) return problem;
    let parsed: unknown;
    try {
      parsed = JSON.parse(message.data);
    } catch {
      return `${where}: data is not JSON: ${message.data.slice(0, 200)}`;
    }
    const dataSchema = this.properties(variants[index]).data?.['x-data-schema'] as
      { $ref?: string } | undefined;
    if (!dataSchema?.$ref) return `${where}: the document names no schema for its data`;
    return this.checkBody(where, `api${dataSchema.$ref}`, { status: 200, headers: {}, body: parsed }, null);
  }

  private resolve(schema: object): Record<string, unknown> {
    const ref = (schema as { $ref?: string }).$ref;
    return (ref ? this.document.components!.schemas![ref.split('/').pop()!] : schema) as Record<
      string,
      unknown
    >;
  }

  private properties(schema: Record<string, unknown>): Record<string, Record<string, unknown>> {
    return (this.resolve(schema).properties ?? {}) as Record<string, Record<string, unknown>>;
  }

  private checkBody(
    where: string,
    key: string,
    response: Answer,
    codes: string[] | null,
    schema?: object,
  ): string | null {
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = schema ? this.ajv.compile(rewriteRefs(schema) as object) : this.ajv.getSchema(key)!;
      this.compiled.set(key, validate);
    }
    if (!validate(response.body)) {
      return `${where} answered ${response.status} with a body the document does not describe: ${this.ajv.errorsText(
        validate.errors,
      )}\n${JSON.stringify(response.body).slice(0, 500)}`;
    }
    const code = (response.body as { error?: { code?: string } }).error?.code;
    if (codes && !codes.includes(String(code))) return `${where} answered ${response.status} ${code}`;
    return null;
  }
}

function rewriteRefs<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replaceAll('"#/components/', '"api#/components/')) as T;
}

/**
 * Where each test file adds how many answers it validated; the suite's teardown prints the sum
 * (test/support/openapi-count.ts).
 */
export function recordValidated(count: number): void {
  const file = process.env.OPENAPI_VALIDATED_FILE;
  if (file) appendFileSync(file, `${count}\n`);
}
