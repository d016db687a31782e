import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, jwtVerify, SignJWT } from 'jose';
import Provider from 'oidc-provider';

/** A person at the provider: the claims its ID tokens carry. */
export interface ProviderAccount {
  sub: string;
  email?: string;
  email_verified?: boolean | string;
}

export interface ProviderClient {
  client_id: string;
  client_secret: string;
  redirect_uri: string;
}

/**
 * A real OpenID provider (the `oidc-provider` package) on loopback, as Google or Apple would be:
 * discovery, JWKS, authorization with PKCE, a token endpoint. The person who signs in is chosen
 * by `signInAs`: its login and consent pages answer at once. With `apple`, the token endpoint
 * first checks Sign in with Apple's client secret: an ES256 JWT from the team's key (as Apple does).
 */
export class OpenIdProvider {
  issuer = '';
  /** Client secrets the Apple check accepted (each a JWT signed by the team's key). */
  readonly appleSecretsAccepted: string[] = [];
  private next: ProviderAccount | null = null;
  private readonly accounts = new Map<string, ProviderAccount>();
  private server: http.Server | null = null;
  private readonly signingKey: KeyObject;
  private readonly kid = 'test-key-1';

  private constructor(
    private readonly clients: ProviderClient[],
    private readonly apple: { teamId: string; keyId: string; publicKey: KeyObject; clientId: string } | null,
  ) {
    this.signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  }

  static async start(
    clients: ProviderClient[],
    apple: { teamId: string; keyId: string; publicKey: KeyObject; clientId: string } | null = null,
  ): Promise<OpenIdProvider> {
    const provider = new OpenIdProvider(clients, apple);
    await provider.listen();
    return provider;
  }

  /** The next sign-in at this provider is this person (as if they typed their password there). */
  signInAs(account: ProviderAccount): void {
    this.accounts.set(account.sub, account);
    this.next = account;
  }

  /** An ID token as the provider's SDK on a phone would hand it to the app. */
  idToken(claims: Record<string, unknown>, options: { audience: string; expiresIn?: string | number }) {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: this.kid })
      .setIssuer(this.issuer)
      .setAudience(options.audience)
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '10m')
      .sign(this.signingKey);
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async listen(): Promise<void> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const jwk = { ...(await exportJWK(this.signingKey)), kid: this.kid, alg: 'RS256', use: 'sig' };
    const oidc = new Provider(this.issuer, {
      clients: this.clients.map((c) => ({
        client_id: c.client_id,
        client_secret: c.client_secret,
        redirect_uris: [c.redirect_uri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_post',
      })),
      jwks: { keys: [jwk] },
      claims: { openid: ['sub'], email: ['email', 'email_verified'] },
      scopes: ['openid', 'email', 'profile', 'name'],
      responseModes: ['query', 'form_post'],
      features: { devInteractions: { enabled: false } },
      pkce: { required: () => true },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      findAccount: (_ctx, id) => {
        const account = this.accounts.get(id);
        if (!account) return undefined;
        return { accountId: id, claims: () => ({ ...account }) };
      },
      // Consent is given at once: a grant of every scope asked for.
      loadExistingGrant: async (ctx) => {
        const grant = new ctx.oidc.provider.Grant({
          clientId: ctx.oidc.client!.clientId,
          accountId: ctx.oidc.session!.accountId,
        });
        grant.addOIDCScope('openid email profile name');
        await grant.save();
        return grant;
      },
    });
    const callback = oidc.callback();
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      void this.handle(oidc, callback, request, response).catch((error: Error) => {
        response.writeHead(500).end(error.message);
      });
    });
  }

  private async handle(
    oidc: Provider,
    callback: (req: IncomingMessage, res: ServerResponse) => unknown,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const path = new URL(request.url ?? '/', this.issuer).pathname;
    if (path.startsWith('/interaction/')) {
      const account = this.next;
      if (!account) {
        response.writeHead(400).end('nobody is set to sign in');
        return;
      }
      await oidc.interactionFinished(
        request,
        response,
        { login: { accountId: account.sub } },
        {
          mergeWithLastSubmission: false,
        },
      );
      return;
    }
    if (path === '/token' && request.method === 'POST' && this.apple) {
      const form = new URLSearchParams(await readBody(request));
      const secret = form.get('client_secret') ?? '';
      if (form.get('client_id') === this.apple.clientId) {
        try {
          const { protectedHeader } = await jwtVerify(secret, this.apple.publicKey, {
            issuer: this.apple.teamId,
            audience: this.issuer,
            subject: this.apple.clientId,
            algorithms: ['ES256'],
            maxTokenAge: '180 days',
          });
          if (protectedHeader.kid !== this.apple.keyId) throw new Error('wrong kid');
        } catch {
          response.writeHead(401, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: 'invalid_client' }));
          return;
        }
        this.appleSecretsAccepted.push(secret);
        const registered = this.clients.find((c) => c.client_id === this.apple!.clientId)!;
        form.set('client_secret', registered.client_secret);
      }
      // oidc-provider reads an already consumed body from `req.body`.
      (request as IncomingMessage & { body?: unknown }).body = Object.fromEntries(form);
    }
    callback(request, response);
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * Follows a browser's redirects from `url` with a cookie jar, until it reaches `stopAt` (our
 * callback went on to the application): answers the last Location. A provider page that posts
 * its answer (form_post) is submitted as the browser's script would. `visited` receives each
 * request made, as `METHOD url`.
 */
export async function browseTo(
  url: string,
  stopAt: string,
  rewrite: (url: string) => string = (same) => same,
  visited: string[] = [],
): Promise<URL> {
  const jar = new Map<string, string>();
  let next: { url: string; method: 'GET' | 'POST'; body?: string } = { url, method: 'GET' };
  for (let hop = 0; hop < 15; hop += 1) {
    visited.push(`${next.method} ${next.url}`);
    const response = await fetch(next.url, {
      method: next.method,
      redirect: 'manual',
      headers: {
        cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; '),
        ...(next.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: next.body,
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const at = pair.indexOf('=');
      jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
    const location = response.headers.get('location');
    if (location) {
      const target = new URL(location, next.url);
      if (target.toString().startsWith(stopAt)) return target;
      next = { url: rewrite(target.toString()), method: 'GET' };
      continue;
    }
    const html = await response.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (response.status === 200 && action) {
      const fields = [...html.matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)];
      const body = new URLSearchParams(
        fields.map(([, name, value]): [string, string] => [name, decodeHtml(value)]),
      );
      next = { url: rewrite(decodeHtml(action)), method: 'POST', body: body.toString() };
      continue;
    }
    throw new Error(`browsing stopped at ${next.url}: ${response.status} ${html.slice(0, 200)}`);
  }
  throw new Error('too many redirects');
}

const decodeHtml = (text: string) =>
  text
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#x2F;/g, '/')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
