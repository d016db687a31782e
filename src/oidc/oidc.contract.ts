import type { SchemaObject } from '@nestjs/swagger';
import type { ApiContract } from '../common/openapi/contract.js';
import { ID } from '../common/openapi/schemas.js';

const PROVIDER = {
  in: 'path' as const,
  type: 'string',
  pattern: '^[a-z0-9][a-z0-9-]{0,31}$',
  example: 'google',
  description: 'A configured provider (`GET /auth/oidc/providers`).',
};
const LOCATION = {
  Location: {
    description: 'Where the browser goes.',
    schema: { type: 'string', format: 'uri' } as SchemaObject,
  },
};
const CALLBACK_DESCRIPTION =
  "Always a redirect to the application's root URL: `?login_code=…` (one-time, 60 s: trade it at `POST /auth/oidc/exchange`), `?error=oidc_failed` (a refused, tampered, replayed or expired answer) or `?error=unavailable` (the provider does not answer). No token is ever put in a URL.";

const IDENTITY: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'provider', 'email', 'created_at'],
  properties: {
    id: ID,
    provider: { type: 'string', example: 'google' },
    email: {
      type: 'string',
      nullable: true,
      description: 'The address the provider gave (Apple: maybe a private relay).',
    },
    created_at: { type: 'string', format: 'date-time' },
  },
};

/** Sign-in with OpenID providers and the identities linked to an account. */
export const OIDC_CONTRACT: ApiContract = {
  schemas: {
    Identity: IDENTITY,
    IdentityAnswer: {
      type: 'object',
      additionalProperties: false,
      required: ['identity'],
      properties: { identity: { $ref: '#/components/schemas/Identity' } },
      description: 'The identity now linked.',
    },
    IdentitiesAnswer: {
      type: 'object',
      additionalProperties: false,
      required: ['identities'],
      properties: { identities: { type: 'array', items: { $ref: '#/components/schemas/Identity' } } },
      description: 'The identities that sign in to the account, oldest first.',
    },
    OidcProviders: {
      type: 'object',
      additionalProperties: false,
      required: ['providers'],
      properties: { providers: { type: 'array', items: { type: 'string' }, example: ['apple', 'google'] } },
      description: 'The names of the configured providers.',
    },
  },
  operations: {
    'GET /auth/oidc/providers': { status: 200, body: 'OidcProviders' },
    'GET /auth/oidc/{provider}/start': {
      status: 302,
      body: 'Empty',
      errors: ['not_found', 'unavailable'],
      params: { provider: PROVIDER },
      headers: LOCATION,
      description: "A redirect to the provider's sign-in page; it comes back to the callback.",
    },
    'GET /auth/oidc/{provider}/callback': {
      status: 302,
      body: 'Empty',
      errors: ['not_found'],
      params: { provider: PROVIDER },
      headers: LOCATION,
      description: CALLBACK_DESCRIPTION,
    },
    'POST /auth/oidc/{provider}/callback': {
      status: 302,
      body: 'Empty',
      errors: ['not_found'],
      params: { provider: PROVIDER },
      headers: LOCATION,
      description: `Sent by the provider as a form (\`response_mode=form_post\`). ${CALLBACK_DESCRIPTION}`,
    },
    'POST /auth/oidc/exchange': {
      status: 200,
      body: 'LoginAnswer',
      errors: [
        'invalid_token',
        'invalid_email',
        'identity_conflict',
        'mfa_required',
        'account_disabled',
        'please_wait',
      ],
      conflict: ['identity_conflict'],
      description:
        'A first sign-in makes an account (confirmed when the provider verified the address); an address that belongs to an account joins it only when both sides verified it, else `409 identity_conflict`: sign in to that account, then link the provider. An account with two-step login on answers `401 mfa_required` with an `mfa_token`, as a right password does: send it with a code to `POST /auth/login/mfa`.',
    },
    'POST /auth/oidc/{provider}/id-token': {
      status: 200,
      body: 'LoginAnswer',
      errors: [
        'auth_failed',
        'not_found',
        'invalid_email',
        'identity_conflict',
        'mfa_required',
        'account_disabled',
        'please_wait',
        'unavailable',
      ],
      conflict: ['identity_conflict'],
      params: { provider: PROVIDER },
      description:
        "For the providers' SDKs on phones: the token must be signed by the provider, for this client, unexpired, with the app's nonce (or its SHA-256 in hex). Accounts and two-step login as in `POST /auth/oidc/exchange`.",
    },
    'GET /me/identities': { status: 200, body: 'IdentitiesAnswer' },
    'POST /me/identities/{provider}': {
      status: 201,
      body: 'IdentityAnswer',
      errors: [
        'invalid_token',
        'auth_failed',
        'not_found',
        'identity_conflict',
        'please_wait',
        'unavailable',
      ],
      conflict: ['identity_conflict'],
      params: { provider: PROVIDER },
      requestSchema: {
        description: 'A `login_code` from the web flow, or `id_token` with its `nonce`.',
        oneOf: [
          {
            type: 'object',
            additionalProperties: false,
            required: ['login_code'],
            properties: { login_code: { type: 'string', minLength: 1, maxLength: 200 } },
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['id_token', 'nonce'],
            properties: {
              id_token: { type: 'string', minLength: 1, maxLength: 8000 },
              nonce: { type: 'string', minLength: 1, maxLength: 500 },
            },
          },
        ],
      },
      description:
        'Proof by a `login_code` from the web flow, or `id_token` with its `nonce`. An identity that signs in to another account, or a second one of the same provider, is `409 identity_conflict`.',
    },
    'DELETE /me/identities/{provider}': {
      status: 200,
      body: 'Empty',
      errors: ['not_found'],
      params: {
        provider: {
          ...PROVIDER,
          example: '42',
          description:
            "The identity's `id` as `GET /me/identities` lists it, or its provider's name (an account has at most one identity per provider; a provider's name is never all digits).",
        },
      },
      description:
        'Unlinks an identity, named by its id or its provider. Refused with `invalid_params` when it is the last way to sign in (no password and no other identity).',
    },
  },
};
