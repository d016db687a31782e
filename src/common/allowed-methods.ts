import { METHODS } from 'node:http';
import type { Request } from 'express';
import { AppError } from './errors.js';

interface RouterLayer {
  route?: { methods: Record<string, boolean> };
  matchers?: ((path: string) => unknown)[];
}

/**
 * The methods the application's router answers at the request's path (GET brings HEAD): empty
 * when it knows no route there. Read from the router's own table, so every route counts, whoever
 * declared it; asked only for a request no route took, never on the way of one that matched.
 */
export function allowedMethods(request: Request): string[] {
  const router = (request.app as unknown as { router?: { stack?: RouterLayer[] } } | undefined)?.router;
  if (!router?.stack) return [];
  const path = (request.originalUrl ?? request.url ?? '').split(/[?#]/)[0];
  const methods = new Set<string>();
  for (const layer of router.stack) {
    if (!layer.route || !layer.matchers?.some((match) => match(path))) continue;
    const answered = Object.keys(layer.route.methods).filter((method) => layer.route!.methods[method]);
    // A route for every method is the framework's answer to a miss (404), not a route of the API.
    if (answered.includes('_all') || answered.length >= METHODS.length) continue;
    for (const method of answered) methods.add(method.toUpperCase());
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

/** The answer to a method the path does not answer; send `allow` as the `Allow` header. */
export function methodNotAllowed(request: Request, allow: string[]): AppError {
  return new AppError(
    'method_not_allowed',
    `${request.method} is not answered here; ${allow.join(', ')} are`,
  );
}
