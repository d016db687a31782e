import fs from 'node:fs';
import type { OpenAPIObject } from '@nestjs/swagger';
import { API_CONTRACTS } from '../src/api-contracts.js';
import { buildApiDocument } from '../src/common/openapi/document.js';
import {
  anotherSession,
  createUser,
  PASSWORD,
  startApp,
  type TestApp,
  type TestUser,
} from './support/harness.js';
import { CLI_TEST_MS, createServiceKey } from './support/admin-cli.js';
import { makeImage } from './support/images.js';

/**
 * Every operation of the service's own OpenAPI document, called with valid, boundary and mutated
 * requests: wrong types, missing and extra fields, huge and odd Unicode strings, odd ids, wrong
 * content types, no / bad / another user's token. Seeded and bounded: the same requests each run.
 * Fails on any 5xx, any answer later than the deadline, any 4xx without the error envelope, any
 * answer the document does not describe, and any error line or unhandled rejection meanwhile.
 * Two checks more: a request the document calls valid is not refused as invalid (the document is
 * not looser than the service), and a documented path asked with a method it does not list
 * answers `405 method_not_allowed` with `Allow`.
 */

const SEED = 0x5eed_2026;
const VARIANTS_PER_OPERATION = 10;
const VALID_PER_OPERATION = 4;
/**
 * What a valid request may still be refused with (400): the state, not the shape, of what it
 * names (a token that is unknown or used, a current password that is wrong or missing, an
 * address no account has).
 */
const STATE_ANSWERS: [string, RegExp][] = [
  ['invalid_token', /./],
  ['invalid_password', /./],
  ['invalid_email', /no account has this email address/],
  ['invalid_mfa_code', /./],
  // A credential that does not verify against the challenge (documented at the passkey routes).
  ['invalid_params', /does not verify|already registered/],
];
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const DEADLINE_MS = 5000;
/** What the generator sends at the most where the document sets no bound: past any the service has. */
const UNBOUNDED_LENGTH = 20_000;
const UNBOUNDED_ITEMS = 1000;
/** In a path or query: URLs longer than about 2000 characters are not passed on everywhere. */
const UNBOUNDED_URL_LENGTH = 2000;
const UNBOUNDED_NUMBER = Number.MAX_SAFE_INTEGER;

type Schema = Record<string, unknown>;
type Method = 'get' | 'put' | 'post' | 'delete' | 'patch';

/** mulberry32: a small seeded generator, so a failing request can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ODD_STRINGS = [
  '',
  ' ',
  'a',
  'x'.repeat(100_000),
  '\u0000',
  'nul\u0000inside',
  '\ud800',
  'e\u0301\u0301\u0301',
  'mi\u212Ae',
  '\u202Eevil',
  '😀'.repeat(300),
  'a\uFE0F'.repeat(400),
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '../../etc/passwd',
  '%00%ff',
  '\uFFFF\uFFFE',
  '0x10',
];
const ODD_IDS = [
  '0',
  '-1',
  '0x10',
  '1e1',
  '016',
  '+16',
  '%2016',
  '2147483648',
  '9'.repeat(30),
  'abc',
  '%00',
  '1.5',
  '%E2%82%AC',
];
const ODD_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  2 ** 53,
  [],
  [1, 2],
  {},
  { nested: { deep: [null] } },
  'string',
];

/**
 * A well-formed address `length` characters long, made from `email`: labels of at most 63
 * characters before its domain (the longest a mail system passes on is 254).
 */
function longEmail(email: string, length: number): string {
  const [name, domain] = email.split('@');
  let local = name;
  let left = length - local.length - 1 - domain.length;
  if (left === 1) {
    local += 'z';
    left = 0;
  }
  const labels: string[] = [];
  while (left > 0) {
    // A label takes its characters and a dot: never leave one character over.
    const size = left === 65 ? 62 : Math.min(63, left - 1);
    labels.push('z'.repeat(size));
    left -= size + 1;
  }
  return `${local}@${[...labels, domain].join('.')}`;
}

interface FuzzRequest {
  method: Method;
  path: string;
  headers: Record<string, string>;
  body?: string | FormData;
  label: string;
}

interface Outcome {
  problem: string | null;
  status: number;
  code: string | null;
}

describe('fuzz: every operation of the API document', () => {
  let t: TestApp;
  let document: OpenAPIObject;
  let owner: TestUser;
  let other: TestUser;
  let image: Buffer;
  let serviceKey: string;
  const errorLines: string[] = [];
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  const writeSync = fs.writeSync;

  beforeAll(async () => {
    // Error lines of the service's log (pino writes them to fd 1 synchronously).
    (fs as { writeSync: unknown }).writeSync = (fd: number, data: unknown, ...rest: unknown[]) => {
      const line = typeof data === 'string' ? data : '';
      const pushOff = line.includes('/devices/test-push') && line.includes('"statusCode":503');
      // A push to a device the fuzz registered with a made-up token or endpoint cannot arrive.
      const madeUpDevice = line.includes('"context":"Push"') && line.includes('given up, not delivered');
      if (fd === 1 && /"level":(50|60)/.test(line) && !pushOff && !madeUpDevice) errorLines.push(line);
      return (writeSync as (...args: unknown[]) => number)(fd, data, ...rest);
    };
    process.on('unhandledRejection', onRejection);
    // Each request comes from a client address of its own (many clients, as in the field): the
    // wrong passwords the fuzz sends would otherwise reach one address's limit (limits.e2e-spec.ts)
    // and lock the owner out of logging in again.
    t = await startApp(undefined, { LOG_LEVEL: 'error', TRUST_PROXY: 'loopback' });
    document = buildApiDocument(t.app, API_CONTRACTS);
    owner = await createUser(t, { nick: `Fuzzowner${Date.now().toString(36).slice(-4)}` });
    other = await createUser(t);
    image = await makeImage(16, 16, 'png');
    // Made as an operator makes one. Not `admin`: the admin routes would disable and delete the
    // fuzz's own users (they answer this key 403, as documented).
    serviceKey = await createServiceKey(t.environment, 'users:read,relations:read,tokens:introspect', 'fuzz');
  }, CLI_TEST_MS);
  afterAll(async () => {
    await t.close();
    process.off('unhandledRejection', onRejection);
    (fs as { writeSync: unknown }).writeSync = writeSync;
  });

  const resolve = (schema: Schema | undefined): Schema => {
    if (!schema) return {};
    const ref = schema.$ref as string | undefined;
    if (!ref) return schema;
    return resolve(document.components!.schemas![ref.split('/').pop()!] as Schema);
  };

  let fromTheDocumentOnly = false;
  /**
   * Which edge of what the document allows the valid requests take: the least (`minimum`,
   * `minLength`, `minItems`, required fields only) or the most (`maximum`, `maxLength`, `maxItems`,
   * every field); where the document sets no bound, far past any bound the service might have.
   */
  let boundary: 'least' | 'most' | null = null;
  let clients = 0;

  /** A value the schema accepts, with the field names the service knows made meaningful. */
  function valid(schema: Schema | undefined, rng: () => number, name = ''): unknown {
    const s = resolve(schema);
    // Guesses of the current password, or of a second-factor code (counted as failed password
    // checks), would lock the owner out (and a right password would change it).
    const properties = s.properties as Record<string, unknown> | undefined;
    if (s.type === 'object' && (properties?.current_password || (properties?.code && !properties.key))) {
      const {
        password: _password,
        current_password: _current,
        code: _code,
        ...others
      } = properties as Record<string, unknown>;
      const required = (s.required as string[] | undefined) ?? [];
      const withheld = ['password', 'current_password', 'code'];
      const rest = valid(
        { ...s, properties: others, required: required.filter((key) => !withheld.includes(key)) },
        rng,
        name,
      ) as Record<string, unknown>;
      // Where one is required: the owner's own password (a route that starts something, never a
      // deletion; a login, whose code is then left out), and a code (a request without it would
      // only be refused as invalid).
      if (required.includes('current_password')) rest.current_password = PASSWORD;
      if (required.includes('password')) rest.password = PASSWORD;
      if (required.includes('code')) rest.code = valid(properties!.code as Schema, rng, 'code');
      return rest;
    }
    if (Array.isArray(s.oneOf))
      return valid(s.oneOf[Math.floor(rng() * s.oneOf.length)] as Schema, rng, name);
    if (name === 'user_id') return other.id;
    // Meaningful values for the mutated requests; the valid ones are written from the document alone.
    if (!fromTheDocumentOnly) {
      if (name === 'token' && s.type === 'string')
        return Array.from({ length: 64 }, () => 'abcdef0123456789'[Math.floor(rng() * 16)]).join('');
      if (name === 'notification_service') return 'ios_app';
      if (name === 'status') return 'away';
      if (name === 'email') return `fuzz.${Math.floor(rng() * 1e9)}@example.com`;
      if (name === 'nick') return `Fuzz${Math.floor(rng() * 1e6)}`;
      // The owner's own password: a wrong one would count as a failed check and lock the owner out.
      if (name === 'password' || name === 'current_password') return PASSWORD;
      if (name === 'avatar') return null;
    }
    if (s.enum) {
      const values = (s.enum as unknown[]).filter((value) => value !== null);
      return boundary === 'most' ? values[values.length - 1] : values[0];
    }
    switch (s.type) {
      case 'object': {
        const result: Record<string, unknown> = {};
        const required = (s.required as string[] | undefined) ?? [];
        for (const [key, property] of Object.entries((s.properties as Record<string, Schema>) ?? {})) {
          const wanted = boundary === 'most' ? true : boundary === 'least' ? false : rng() < 0.5;
          if (required.includes(key) || wanted) result[key] = valid(property, rng, key);
        }
        return result;
      }
      case 'array': {
        const least = Number(s.minItems ?? 0);
        const count =
          boundary === 'least'
            ? least
            : boundary === 'most'
              ? Number(s.maxItems ?? UNBOUNDED_ITEMS)
              : Math.min(Number(s.maxItems ?? least + 2), least + Math.floor(rng() * 3));
        return Array.from({ length: count }, () => valid(s.items as Schema, rng));
      }
      case 'integer': {
        if (boundary === 'least') return Number(s.minimum ?? -UNBOUNDED_NUMBER);
        if (boundary === 'most') return Number(s.maximum ?? UNBOUNDED_NUMBER);
        const least = Number(s.minimum ?? 1);
        return Math.min(Number(s.maximum ?? least + 2), least + Math.floor(rng() * 3));
      }
      case 'boolean':
        return rng() < 0.5;
      case 'string': {
        const most = Number(s.maxLength ?? UNBOUNDED_LENGTH);
        // A rule the generator cannot write from: the document's own example of it (at the most,
        // lengthened to the longest the document allows, where that still keeps the rule).
        if (s.pattern) {
          const pattern = new RegExp(s.pattern as string, 'u');
          if (s.example === undefined || !pattern.test(String(s.example)))
            throw new Error(`the document gives ${name || 'a string'} a pattern and no example of it`);
          const longest = String(s.example).padEnd(most, 'z');
          return boundary === 'most' && s.maxLength !== undefined && pattern.test(longest)
            ? longest
            : s.example;
        }
        if (s.format === 'email') {
          const email = `fuzz.${Math.floor(rng() * 1e9)}@example.com`;
          return boundary === 'most' ? longEmail(email, most) : email;
        }
        const least = Number(s.minLength ?? 0);
        if (boundary === 'least') return 'z'.repeat(least);
        if (boundary === 'most') return 'z'.repeat(most);
        return 'fuzz'.padEnd(Math.max(4, least), 'z').slice(0, most);
      }
      default:
        return {};
    }
  }

  function requestsFor(method: Method, template: string, rng: () => number): FuzzRequest[] {
    const operation = document.paths[template][method]!;
    const parameters = (operation.parameters ?? []) as {
      name: string;
      in: string;
      required?: boolean;
      schema?: Schema;
    }[];
    const bodySchema = (
      operation.requestBody as { content?: Record<string, { schema?: Schema }> } | undefined
    )?.content?.['application/json']?.schema;
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rng() * list.length)];
    const pathWith = (value: (name: string, schema: Schema) => string) =>
      template.replace(/\{(\w+)\}/g, (_match, name: string) =>
        value(name, resolve(parameters.find((parameter) => parameter.name === name)?.schema)),
      );
    const validPath = () =>
      pathWith((name, schema) =>
        schema.type === 'integer'
          ? String(name === 'id' && template.includes('sessions') ? 1 : other.id)
          : String(valid(schema, rng, name)),
      );
    const query = (values: (name: string, schema: Schema) => string | null) => {
      const search = new URLSearchParams();
      for (const parameter of parameters.filter((candidate) => candidate.in === 'query')) {
        const value = values(parameter.name, resolve(parameter.schema));
        if (value !== null) search.set(parameter.name, value);
      }
      const text = search.toString();
      return text ? `?${text}` : '';
    };
    const validQuery = () => query((name, schema) => String(valid(schema, rng, name)));
    const auth = { Authorization: `Bearer ${callerOf(operation)}` };
    const json = { 'Content-Type': 'application/json' };
    const body = (value: unknown) => JSON.stringify(value);
    const validBody = () => (bodySchema ? valid(bodySchema, rng) : undefined);
    const result: FuzzRequest[] = [];
    const add = (label: string, request: Partial<FuzzRequest>) => {
      // fetch sends no body with a GET: those variants are for the other methods.
      if (method === 'get' && request.body !== undefined) return;
      result.push({ method, path: validPath() + validQuery(), headers: { ...auth }, label, ...request });
    };

    add('valid', { headers: { ...auth, ...json }, body: bodySchema ? body(validBody()) : undefined });
    add('no token', { headers: json, body: bodySchema ? body(validBody()) : undefined });
    add('bad token', {
      headers: { Authorization: 'Bearer not.a.jwt', ...json },
      body: bodySchema ? body(validBody()) : undefined,
    });
    add('other scheme', { headers: { Authorization: 'Basic YTpi', ...json } });
    add("another user's token", {
      headers: { Authorization: `Bearer ${other.accessToken}`, ...json },
      body: bodySchema ? body(validBody()) : undefined,
    });
    add('wrong content type', {
      headers: {
        ...auth,
        'Content-Type': pick(['text/plain', 'application/xml', 'application/x-www-form-urlencoded']),
      },
      body: 'a=1&b=<x/>',
    });
    add('malformed JSON', {
      headers: { ...auth, ...json },
      body: pick(['{', '{"a":', 'null', '[]', '"text"', '{"__proto__":{"x":1}}', '\uFEFF{}']),
    });
    add('extra field', {
      headers: { ...auth, ...json },
      body: body({ ...(validBody() as object), unexpected_field: pick(ODD_VALUES) }),
    });
    if (template.includes('{')) {
      add('odd id', { path: pathWith(() => pick(ODD_IDS)) + validQuery() });
    }
    if (parameters.some((parameter) => parameter.in === 'query')) {
      add('missing query', { path: validPath() });
      add('odd query', { path: validPath() + query(() => pick(ODD_STRINGS).slice(0, 3000)) });
      add('repeated query', { path: validPath() + validQuery() + validQuery().replace('?', '&') });
    }
    if (bodySchema) {
      const properties = Object.keys((resolve(bodySchema).properties as object) ?? {});
      const base = (validBody() as Record<string, unknown>) ?? {};
      for (let i = 0; i < 6; i += 1) {
        const mutated: Record<string, unknown> = { ...base };
        const field = properties.length > 0 ? pick(properties) : 'field';
        const how = pick(['wrong type', 'odd string', 'missing', 'null'] as const);
        if (how === 'wrong type') mutated[field] = pick(ODD_VALUES);
        else if (how === 'odd string') mutated[field] = pick(ODD_STRINGS);
        else if (how === 'missing') delete mutated[field];
        else mutated[field] = null;
        add(`${how} ${field}`, { headers: { ...auth, ...json }, body: body(mutated) });
      }
    }
    // Shuffle with the seeded generator, then keep a bounded number.
    for (let i = result.length - 1; i > 0; i -= 1) {
      const j = Math.floor(rng() * (i + 1));
      [result[i], result[j]] = [result[j], result[i]];
    }
    return result.slice(0, VARIANTS_PER_OPERATION);
  }

  async function send(request: FuzzRequest): Promise<string | null> {
    return (await sendFor(request)).problem;
  }

  async function sendFor(request: FuzzRequest): Promise<Outcome> {
    const outcome = (problem: string | null, status = 0, code: string | null = null) => ({
      problem,
      status,
      code,
    });
    const where = `${request.label}: ${request.method.toUpperCase()} ${request.path.slice(0, 200)}`;
    let response: Response;
    try {
      clients += 1;
      response = await fetch(t.url + request.path, {
        method: request.method.toUpperCase(),
        headers: {
          'X-Forwarded-For': `10.${clients >> 16}.${(clients >> 8) & 255}.${clients & 255}`,
          ...request.headers,
        },
        body: request.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(DEADLINE_MS),
      });
    } catch (error) {
      return outcome(`${where}: no answer within ${DEADLINE_MS} ms (${String(error)})`);
    }
    const type = response.headers.get('content-type') ?? '';
    if (type.startsWith('text/event-stream')) {
      await response.body?.cancel();
      return outcome(
        response.status === 200 ? null : `${where}: a stream answered ${response.status}`,
        response.status,
      );
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = type.includes('json') ? JSON.parse(text) : text;
    } catch {
      return outcome(
        `${where}: answered ${response.status} with malformed JSON: ${text.slice(0, 200)}`,
        response.status,
      );
    }
    // Push is off in tests: the test push says so with 503 (documented), on purpose.
    const pushOff = request.path.startsWith('/api/v1/devices/test-push') && response.status === 503;
    if (response.status >= 500 && !pushOff)
      return outcome(`${where}: answered ${response.status} ${text.slice(0, 300)}`, response.status);
    const error = (parsed as { error?: { code?: unknown; text?: unknown } } | null)?.error;
    if (response.status >= 400) {
      if (typeof error?.code !== 'string' || typeof error.text !== 'string') {
        return outcome(
          `${where}: ${response.status} without the error envelope: ${text.slice(0, 200)}`,
          response.status,
        );
      }
    }
    const problem = t.checkAnswer(request.method, request.path, {
      status: response.status,
      headers: Object.fromEntries(response.headers.entries()),
      body: parsed,
    });
    const code = typeof error?.code === 'string' ? error.code : null;
    const detail = response.status === 400 ? ` (${text.slice(0, 300)})` : '';
    return outcome(problem ? `${where}: ${problem}` : null, response.status, code && `${code}${detail}`);
  }

  function documentedElsewhere(method: Method, url: string): boolean {
    const path = url.split('?')[0];
    return Object.keys(document.paths).some(
      (template) =>
        document.paths[template][method] !== undefined &&
        new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`).test(path),
    );
  }

  /** The owner's session may have ended (a logout, every session ended): log in again. */
  async function keepOwnerSignedIn(): Promise<void> {
    if ((await t.http().get('/api/v1/me').set(owner.auth)).status === 401) {
      const session = await anotherSession(t, owner);
      owner = { ...owner, ...session };
    }
  }

  /**
   * The credential an operation takes: a service key where the document asks for one (so the
   * request reaches the route's validation), else the owner's access token.
   */
  function callerOf(operation: { security?: Record<string, string[]>[] }): string {
    return operation.security?.some((scheme) => 'serviceKey' in scheme) ? serviceKey : owner.accessToken;
  }

  /** Requests every parameter and body of which the document calls valid. */
  function validRequestsFor(method: Method, template: string, rng: () => number): FuzzRequest[] {
    const operation = document.paths[template][method]!;
    const parameters = (operation.parameters ?? []) as {
      name: string;
      in: string;
      required?: boolean;
      schema?: Schema;
    }[];
    const exactlyOne =
      ((operation as unknown as Record<string, unknown>)['x-exactly-one-of'] as string[]) ?? [];
    const content = (operation.requestBody as { content?: Record<string, { schema?: Schema }> } | undefined)
      ?.content;
    const requests: FuzzRequest[] = [];
    for (let i = 0; i < VALID_PER_OPERATION; i += 1) {
      // The first request at the least the document allows, the second at the most.
      boundary = i === 0 ? 'least' : i === 1 ? 'most' : null;
      const inUrl = (schema: Schema): Schema => ({ maxLength: UNBOUNDED_URL_LENGTH, ...resolve(schema) });
      const path = template.replace(/\{(\w+)\}/g, (_match, name: string) => {
        const schema = resolve(parameters.find((parameter) => parameter.name === name)?.schema);
        if (schema.type !== 'integer') return encodeURIComponent(String(valid(inUrl(schema), rng, name)));
        // The largest id names nobody: 404, where an id the service cannot read would be 400.
        if (boundary === 'most') return String(schema.maximum ?? UNBOUNDED_NUMBER);
        return String(name === 'id' && template.includes('sessions') ? 1 : other.id);
      });
      const search = new URLSearchParams();
      const chosen = exactlyOne.length > 0 ? exactlyOne[Math.floor(rng() * exactlyOne.length)] : null;
      for (const parameter of parameters.filter((candidate) => candidate.in === 'query')) {
        const wanted = exactlyOne.includes(parameter.name)
          ? parameter.name === chosen
          : parameter.required || boundary === 'most' || (boundary === null && rng() < 0.5);
        if (wanted)
          search.set(parameter.name, String(valid(inUrl(parameter.schema ?? {}), rng, parameter.name)));
      }
      const query = search.toString() ? `?${search}` : '';
      const headers: Record<string, string> = { Authorization: `Bearer ${callerOf(operation)}` };
      let body: string | FormData | undefined;
      if (content?.['application/json']) {
        headers['Content-Type'] = 'application/json';
        body = JSON.stringify(valid(content['application/json'].schema, rng));
      } else if (content?.['multipart/form-data']) {
        body = new FormData();
        const properties = resolve(content['multipart/form-data'].schema).properties as Record<
          string,
          Schema
        >;
        for (const [name, property] of Object.entries(properties)) {
          if (property.format === 'binary') body.set(name, new Blob([new Uint8Array(image)]), 'image.png');
        }
      }
      requests.push({
        method,
        path: path + query,
        headers,
        body,
        label: `valid under the document${boundary ? `, at the ${boundary}` : ''}`,
      });
    }
    boundary = null;
    return requests;
  }

  /**
   * Where an object schema under `schema` (named refs, `oneOf`/`anyOf`/`allOf` branches, properties,
   * items) leaves other fields open: the paths of those that do not say `additionalProperties: false`.
   */
  function openObjects(schema: Schema | undefined, at: string, seen = new Set<Schema>()): string[] {
    if (!schema) return [];
    const s = resolve(schema);
    if (seen.has(s)) return [];
    seen.add(s);
    const ref = schema.$ref as string | undefined;
    const here = ref ? `${at} (${ref.split('/').pop()})` : at;
    const found: string[] = [];
    for (const key of ['oneOf', 'anyOf', 'allOf'] as const) {
      (s[key] as Schema[] | undefined)?.forEach((branch, index) =>
        found.push(...openObjects(branch, `${here}.${key}[${index}]`, seen)),
      );
    }
    const properties = s.properties as Record<string, Schema> | undefined;
    if ((s.type === 'object' || properties) && s.additionalProperties !== false)
      found.push(s.additionalProperties === true ? `${here}: open on purpose` : here);
    for (const [name, property] of Object.entries(properties ?? {}))
      found.push(...openObjects(property, `${here}.${name}`, seen));
    if (typeof s.additionalProperties === 'object')
      found.push(...openObjects(s.additionalProperties as Schema, `${here}.*`, seen));
    if (s.items) found.push(...openObjects(s.items as Schema, `${here}[]`, seen));
    return found;
  }

  it('documents every request body object as closed: the service refuses a field it does not name', () => {
    const open: string[] = [];
    let bodies = 0;
    for (const template of Object.keys(document.paths).sort()) {
      for (const method of METHODS) {
        const operation = document.paths[template][method];
        const content = (
          operation?.requestBody as { content?: Record<string, { schema?: Schema }> } | undefined
        )?.content;
        for (const [type, { schema }] of Object.entries(content ?? {})) {
          bodies += 1;
          open.push(...openObjects(schema, `${method.toUpperCase()} ${template} ${type}`));
        }
      }
    }
    expect(bodies).toBeGreaterThan(50);
    // The credential a browser gives is passed to WebAuthn verification whole: it may carry fields
    // WebAuthn adds (the document says so). No other request object takes a field it does not name.
    const credential = (path: string) => [
      `${path}.response: open on purpose`,
      `${path}.response.response: open on purpose`,
      `${path}.response.clientExtensionResults: open on purpose`,
    ];
    expect(open).toEqual([
      ...credential('POST /api/v1/auth/passkey application/json'),
      ...credential('POST /api/v1/me/passkeys application/json'),
    ]);
  });

  it('answers every request in time, with the envelope for a 4xx, never a 5xx, and as documented', async () => {
    const rng = random(SEED);
    const problems: string[] = [];
    let sent = 0;
    for (const template of Object.keys(document.paths).sort()) {
      for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
        if (!document.paths[template][method]) continue;
        for (const request of requestsFor(method, template, rng)) {
          const problem = await send(request);
          sent += 1;
          if (problem) problems.push(problem);
          // A logout ends the owner's session: log in again for the next requests.
          if (/logout/.test(template) && (await t.http().get('/api/v1/me').set(owner.auth)).status === 401) {
            const session = await anotherSession(t, owner);
            owner = { ...owner, ...session };
          }
        }
      }
    }
    expect(sent).toBeGreaterThan(300);
    expect(problems).toEqual([]);
    expect(errorLines).toEqual([]);
    expect(rejections).toEqual([]);
  }, 120_000);

  it('accepts every request the document calls valid: none is refused as invalid', async () => {
    const rng = random(SEED + 1);
    const problems: string[] = [];
    fromTheDocumentOnly = true;
    let sent = 0;
    // The service routes were reached with the key, past its check, to their validation.
    let servedWithKey = 0;
    for (const template of Object.keys(document.paths).sort()) {
      for (const method of METHODS) {
        if (!document.paths[template][method]) continue;
        for (const request of validRequestsFor(method, template, rng)) {
          const { problem, status, code } = await sendFor(request);
          sent += 1;
          if (template.startsWith('/api/v1/service/') && status === 200) servedWithKey += 1;
          const where = `${request.label}: ${method.toUpperCase()} ${request.path.slice(0, 200)}`;
          if (problem) problems.push(problem);
          else if (
            status === 400 &&
            !STATE_ANSWERS.some(([known, text]) => code?.split(' ')[0] === known && text.test(code))
          ) {
            problems.push(
              `${where} ${typeof request.body === 'string' ? request.body.slice(0, 300) : ''}: 400 ${code}`,
            );
          }
          await keepOwnerSignedIn();
        }
      }
    }
    expect(sent).toBeGreaterThan(150);
    expect(problems).toEqual([]);
    expect(servedWithKey).toBeGreaterThanOrEqual(3 * VALID_PER_OPERATION);
    expect(errorLines).toEqual([]);
    expect(rejections).toEqual([]);
  }, 120_000);

  it('answers a documented path asked with a method it does not list 405, with Allow naming those it does', async () => {
    const rng = random(SEED + 2);
    const problems: string[] = [];
    let sent = 0;
    for (const template of Object.keys(document.paths).sort()) {
      const documented = METHODS.filter((method) => document.paths[template][method]);
      for (const method of METHODS.filter((candidate) => !documented.includes(candidate))) {
        const [request] = validRequestsFor(documented[0], template, rng);
        // Another documented path may take it: DELETE /blocks/blockers is DELETE /blocks/{user_id}.
        if (documentedElsewhere(method, request.path)) continue;
        const { problem, status, code } = await sendFor({ ...request, method, body: undefined });
        sent += 1;
        if (problem) problems.push(problem);
        else if (status !== 405 || code !== 'method_not_allowed')
          problems.push(`${method.toUpperCase()} ${request.path}: ${status} ${code}`);
      }
    }
    expect(sent).toBeGreaterThan(150);
    expect(problems).toEqual([]);
  });
});
