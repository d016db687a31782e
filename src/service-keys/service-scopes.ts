/** What a service key may be granted; a route names the one it needs (`@ServiceScope`). */
export const SERVICE_SCOPES = ['users:read', 'relations:read', 'tokens:introspect', 'admin'] as const;

export type ServiceScopeName = (typeof SERVICE_SCOPES)[number];

/** Who is calling a service route: the key's id and name, for audit lines. */
export interface ServicePrincipal {
  keyId: number;
  name: string;
  scopes: ServiceScopeName[];
}

/** A service key as the operator sees it (CLI, admin API): never the key itself. */
export interface ServiceKeyRecord {
  id: number;
  name: string;
  scopes: ServiceScopeName[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export function isServiceScope(value: string): value is ServiceScopeName {
  return (SERVICE_SCOPES as readonly string[]).includes(value);
}

/** The prefix of every service key: a user's access token (a JWT) never starts with it. */
export const SERVICE_KEY_PREFIX = 'usk_';
