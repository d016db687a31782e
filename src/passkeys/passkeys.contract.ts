import type { SchemaObject } from '@nestjs/swagger';
import type { ApiContract } from '../common/openapi/contract.js';
import { PATH_ID as ID_IN_PATH } from '../common/openapi/helpers.js';

const ref = (name: string): SchemaObject => ({ $ref: `#/components/schemas/${name}` }) as SchemaObject;
const closed = (properties: Record<string, SchemaObject>, description: string): SchemaObject => ({
  type: 'object',
  additionalProperties: false,
  required: Object.keys(properties),
  properties,
  description,
});
const PATH_ID = {
  ...ID_IN_PATH,
  in: 'path' as const,
  description: 'The `id` of one of my passkeys (decimal digits only).',
};
const B64URL: SchemaObject = {
  type: 'string',
  pattern: '^[A-Za-z0-9_-]+$',
  // clientDataJSON's shape: {"type", "challenge", "origin"} as base64url.
  example:
    'eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoicTJMeEV4YW1wbGVDaGFsbGVuZ2UiLCJvcmlnaW4iOiJodHRwczovL2FwcC5leGFtcGxlIn0',
  description: 'base64url',
};
/**
 * A credential's JSON as browsers (and @simplewebauthn/browser) give it; the inner `response` varies.
 * Open on purpose, the only request objects that are: browsers add fields as WebAuthn grows
 * (`transports`, `publicKeyAlgorithm`…), and the service reads only those it verifies.
 */
const credential = (response: SchemaObject): SchemaObject => ({
  type: 'object',
  additionalProperties: true,
  required: ['id', 'rawId', 'type', 'response'],
  properties: {
    id: B64URL,
    rawId: B64URL,
    type: { type: 'string', enum: ['public-key'] },
    response: { ...response, additionalProperties: true },
    authenticatorAttachment: { type: 'string' },
    clientExtensionResults: { type: 'object', additionalProperties: true },
  },
});
/** 1 to 64 characters once trimmed: not spaces alone. */
const NAME: SchemaObject = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  pattern: '\\S',
  example: 'MacBook Touch ID',
};

/** Passkeys: adding, listing, renaming and removing mine, and signing in with one. */
export const PASSKEYS_CONTRACT: ApiContract = {
  operations: {
    'POST /me/passkeys/options': {
      status: 200,
      body: 'PasskeyCreationOptions',
      description: 'Pass them to `navigator.credentials.create({ publicKey })`; good for 5 minutes, once.',
    },
    'POST /me/passkeys': {
      status: 201,
      body: 'PasskeyAnswer',
      errors: ['invalid_token'],
      description:
        '`invalid_token` when the options are unknown, used or expired; `invalid_params` when the answer does not verify (origin, RP ID, user verification, signature) or the passkey is already registered.',
      requestSchema: {
        type: 'object',
        additionalProperties: false,
        required: ['response', 'name'],
        properties: {
          response: credential({
            type: 'object',
            required: ['clientDataJSON', 'attestationObject'],
            properties: { clientDataJSON: B64URL, attestationObject: B64URL },
          }),
          name: NAME,
        },
      },
    },
    'GET /me/passkeys': { status: 200, body: 'PasskeyList' },
    'PATCH /me/passkeys/{id}': {
      status: 200,
      body: 'PasskeyAnswer',
      errors: ['not_found'],
      params: { id: PATH_ID },
      requestSchema: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { name: NAME },
      },
    },
    'DELETE /me/passkeys/{id}': {
      status: 200,
      body: 'Empty',
      errors: ['not_found'],
      params: { id: PATH_ID },
      description: 'From the next request on, on every instance, the passkey signs nobody in.',
    },
    'POST /auth/passkey/options': { status: 200, body: 'PasskeySignInOptions' },
    'POST /auth/passkey': {
      status: 200,
      body: 'LoginAnswer',
      errors: ['auth_failed', 'invalid_token', 'account_disabled', 'please_wait'],
      description:
        'A passkey that verified its user counts as two factors: no password, no code. `invalid_token` when the options are unknown, used or expired (each is used once); `auth_failed` for an unknown or removed passkey, a signature that does not verify or a signature counter that did not grow. Failures count among the failed logins of the address.',
      requestSchema: {
        type: 'object',
        additionalProperties: false,
        required: ['challenge_id', 'response'],
        properties: {
          challenge_id: { type: 'string', maxLength: 64 },
          response: credential({
            type: 'object',
            required: ['clientDataJSON', 'authenticatorData', 'signature'],
            properties: {
              clientDataJSON: B64URL,
              authenticatorData: B64URL,
              signature: B64URL,
              userHandle: B64URL,
            },
          }),
        },
      },
    },
  },
  schemas: {
    Passkey: closed(
      {
        id: { type: 'integer', minimum: 1 },
        name: NAME,
        created_at: { type: 'string', format: 'date-time' },
        last_used_at: { type: 'string', format: 'date-time', nullable: true },
      },
      'One of my passkeys (never its key).',
    ),
    PasskeyAnswer: closed({ passkey: ref('Passkey') }, 'The passkey.'),
    PasskeyList: closed({ passkeys: { type: 'array', items: ref('Passkey') } }, 'My passkeys, oldest first.'),
    PasskeyCreationOptions: {
      type: 'object',
      required: ['challenge', 'rp', 'user', 'pubKeyCredParams'],
      properties: {
        challenge: B64URL,
        rp: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } },
        user: {
          type: 'object',
          properties: { id: B64URL, name: { type: 'string' }, displayName: { type: 'string' } },
        },
        pubKeyCredParams: { type: 'array', items: { type: 'object' } },
        timeout: { type: 'integer' },
        excludeCredentials: { type: 'array', items: { type: 'object' } },
        authenticatorSelection: { type: 'object' },
        attestation: { type: 'string' },
      },
      description:
        'PublicKeyCredentialCreationOptionsJSON (WebAuthn Level 3), binary fields in base64url; other fields WebAuthn defines may appear.',
    },
    PasskeySignInOptions: closed(
      {
        challenge_id: { type: 'string', description: 'Send it back with the answer.' },
        options: {
          type: 'object',
          required: ['challenge', 'rpId'],
          properties: {
            challenge: B64URL,
            rpId: { type: 'string' },
            timeout: { type: 'integer' },
            userVerification: { type: 'string', enum: ['required'] },
          },
          description:
            'PublicKeyCredentialRequestOptionsJSON for `navigator.credentials.get({ publicKey })`; no `allowCredentials`: the authenticator offers its discoverable credential.',
        },
      },
      'A passkey sign-in, good for 5 minutes, once.',
    ),
  },
};
