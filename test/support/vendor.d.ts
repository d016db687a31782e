// The parts of untyped packages the tests use.

declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface Grant {
    addOIDCScope(scope: string): void;
    save(): Promise<string>;
  }
  interface Context {
    oidc: {
      provider: { Grant: new (options: { clientId: string; accountId: string }) => Grant };
      client?: { clientId: string };
      session?: { accountId: string };
    };
  }
  export interface Configuration {
    clients: Record<string, unknown>[];
    jwks: { keys: Record<string, unknown>[] };
    claims: Record<string, string[]>;
    scopes: string[];
    responseModes?: string[];
    features: Record<string, { enabled: boolean }>;
    pkce: { required: () => boolean };
    interactions: { url: (ctx: Context, interaction: { uid: string }) => string };
    findAccount: (
      ctx: Context,
      id: string,
    ) => { accountId: string; claims: () => Record<string, unknown> } | undefined;
    loadExistingGrant: (ctx: Context) => Promise<Grant>;
  }
  export default class Provider {
    constructor(issuer: string, configuration: Configuration);
    callback(): (request: IncomingMessage, response: ServerResponse) => unknown;
    interactionFinished(
      request: IncomingMessage,
      response: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
  }
}
