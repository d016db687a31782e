import type { Request } from 'express';

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
  const path = (request.originalUrl ?? request.url).split(/[?#]/)[0];
  const methods = new Set<string>();
  for (const layer of router?.stack ?? []) {
    if (!layer.route || !layer.matchers?.some((match) => match(path))) continue;
    for (const [method, on] of Object.entries(layer.route.methods)) {
      // `_all`: the framework's catch-all that answers a miss, not a route.
      if (on && method !== '_all') methods.add(method.toUpperCase());
    }
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}
