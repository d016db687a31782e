import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { AppError } from './errors.js';

/**
 * Fields (keys and array items, at any depth) and nesting a JSON body may have. No request of
 * the API needs more than a few dozen; class-transformer's cost grows with the square of the keys
 * (100,000 keys held the event loop for 10 s) and class-validator recurses on nesting.
 */
export const MAX_BODY_FIELDS = 1000;
export const MAX_BODY_DEPTH = 16;

type BodyRequest = IncomingMessage & { body?: unknown; params?: unknown; query?: unknown };
/** String.prototype.isWellFormed (Node 20; TypeScript types it from lib es2024 on). */
type WellFormedCheck = string & { isWellFormed(): boolean };

/** What a route reads from the request, from its parameter decorators. */
interface RouteInputs {
  body: boolean;
  file: boolean;
}

/**
 * Checks every request body before validation (unknown fields are `invalid_params`,
 * never silently dropped; nothing a client sends gives a 500):
 * - a body is JSON, or multipart on a route that takes a file; any other type would be ignored;
 * - a JSON body stays within MAX_BODY_FIELDS and MAX_BODY_DEPTH, its text is valid Unicode
 *   (a lone surrogate makes the email validator throw, and would be stored as replacement marks),
 *   and it has no field named `__proto__`, `constructor` or `prototype` (the validation pipe
 *   would delete them without a word);
 * - a route that takes no body refuses any field.
 */
@Injectable()
export class RequestBodyGuard implements CanActivate {
  private readonly inputs = new WeakMap<object, RouteInputs>();

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<BodyRequest>();
    const { body } = request;
    const route = this.routeInputs(context);
    if (hasBody(request) && body === undefined && !(route.file && isMultipart(request))) {
      throw new AppError('invalid_params', 'the request body must be application/json');
    }
    for (const [part, value] of [
      ['path', request.params],
      ['query', request.query],
    ] as const) {
      const problem = problemOf(value, `the ${part}`);
      if (problem) throw new AppError('invalid_params', problem);
    }
    if (body === undefined || body === null) return true;
    const problem = problemOf(body, 'the request body');
    if (problem) throw new AppError('invalid_params', problem);
    if (route.body || (typeof body === 'object' && Object.keys(body).length === 0)) return true;
    const fields = typeof body === 'object' && !Array.isArray(body) ? Object.keys(body) : [];
    throw new AppError(
      'invalid_params',
      fields.length > 0
        ? fields.map((field) => `unknown field ${field}`).join('; ')
        : 'this route takes no body',
    );
  }

  private routeInputs(context: ExecutionContext): RouteInputs {
    const handler = context.getHandler();
    let inputs = this.inputs.get(handler);
    if (inputs === undefined) {
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ??
        {}) as object;
      const types = Object.keys(args).map((key) => Number(key.split(':')[0]));
      inputs = {
        body: types.includes(RouteParamtypes.BODY),
        file: types.includes(RouteParamtypes.FILE) || types.includes(RouteParamtypes.FILES),
      };
      this.inputs.set(handler, inputs);
    }
    return inputs;
  }
}

/** Whether a body comes with the request (a length above zero, or chunks). */
export function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function isMultipart(request: IncomingMessage): boolean {
  return /^multipart\/form-data\b/i.test(request.headers['content-type'] ?? '');
}

/**
 * Field names that Nest's validation pipe deletes, at any depth, before it validates a body
 * (against prototype pollution): a body that has one is refused instead, as any unknown field.
 */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * The body parser's `verify` hook: a JSON body is UTF-8 (as JSON between systems must be), and
 * its bytes are checked before they are decoded, where a byte that is not UTF-8 (FF, FE) would
 * silently become U+FFFD.
 */
export function checkJsonBytes(
  _request: IncomingMessage,
  _response: unknown,
  bytes: Buffer,
  encoding: string,
): void {
  if (!/^utf-?8$/i.test(encoding)) {
    throw Object.assign(new Error('the request body must be UTF-8'), { type: 'charset.unsupported' });
  }
  if (!isUtf8(bytes)) {
    throw Object.assign(new Error('the request body is not valid UTF-8'), { type: 'entity.verify.failed' });
  }
}

/**
 * Why a parsed body (or the query, or the path parameters) is refused, or null. Walks it without
 * recursion. A NUL character is refused too: PostgreSQL's text columns cannot hold one.
 */
export function problemOf(body: unknown, what: string): string | null {
  const pending: [unknown, number][] = [[body, 0]];
  let fields = 0;
  while (pending.length > 0) {
    const [value, depth] = pending.pop() as [unknown, number];
    if (typeof value === 'string') {
      if (!(value as WellFormedCheck).isWellFormed()) return `${what} holds text that is not valid Unicode`;
      if (value.includes('\u0000')) return `${what} holds a NUL character`;
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_BODY_DEPTH) return `${what} is nested more than ${MAX_BODY_DEPTH} levels deep`;
    if (!Array.isArray(value)) {
      const key = Object.keys(value).find((name) => PROTOTYPE_KEYS.has(name));
      if (key !== undefined) return `${what} has a field named ${key}`;
    }
    const entries = Array.isArray(value) ? value : Object.entries(value).flat();
    fields += Array.isArray(value) ? value.length : entries.length / 2;
    if (fields > MAX_BODY_FIELDS) return `${what} has more than ${MAX_BODY_FIELDS} fields`;
    for (const entry of entries) pending.push([entry, depth + 1]);
  }
  return null;
}
