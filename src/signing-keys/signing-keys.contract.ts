import type { SchemaObject } from '@nestjs/swagger';
import type { ApiContract } from '../common/openapi/contract.js';

const time = (description: string): SchemaObject => ({ type: 'string', format: 'date-time', description });

const SIGNING_KEY: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['kid', 'algorithm', 'state', 'created_at', 'activates_at', 'retired_at'],
  properties: {
    kid: { type: 'string', description: 'The `kid` of the tokens it signs.' },
    algorithm: { type: 'string', enum: ['ES256'] },
    state: {
      type: 'string',
      enum: ['next', 'signing', 'retired', 'expired'],
      description:
        '`next`: published, not signing yet; `signing`; `retired`: still published for the tokens it signed; `expired`: no longer published.',
    },
    created_at: time('When it was made and published.'),
    activates_at: time('From when it signs.'),
    retired_at: { ...time('When a newer key took over; null while it has not.'), nullable: true },
  },
};

const JWK: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use'],
  properties: {
    kty: { type: 'string', enum: ['EC'] },
    crv: { type: 'string', enum: ['P-256'] },
    x: { type: 'string' },
    y: { type: 'string' },
    kid: { type: 'string' },
    alg: { type: 'string', enum: ['ES256'] },
    use: { type: 'string', enum: ['sig'] },
  },
};

/** The key set other services verify access tokens with, and the operator's signing-key routes. */
export const SIGNING_KEYS_CONTRACT: ApiContract = {
  operations: {
    'GET /.well-known/jwks.json': {
      status: 200,
      body: 'JsonWebKeySet',
      description:
        'Verify an access token (ES256, its `kid` in the header) with these keys, checking `iss` (PUBLIC_URL) and `aud` (JWT_AUDIENCE). Lists the key that signs, the next one (published before it signs) and the recently retired ones. Cache it as `Cache-Control` says; on an unknown `kid`, fetch it again.',
      headers: {
        'Cache-Control': { description: '`public, max-age=300`.', schema: { type: 'string' } },
      },
    },
    'GET /admin/signing-keys': { status: 200, body: 'SigningKeyList' },
    'POST /admin/signing-keys/rotate': { status: 201, body: 'SigningKeyAnswer' },
  },
  schemas: {
    JsonWebKey: JWK,
    JsonWebKeySet: {
      type: 'object',
      additionalProperties: false,
      required: ['keys'],
      properties: { keys: { type: 'array', items: { $ref: '#/components/schemas/JsonWebKey' } } },
      description: 'The public keys of access tokens (RFC 7517).',
    },
    SigningKey: SIGNING_KEY,
    SigningKeyList: {
      type: 'object',
      additionalProperties: false,
      required: ['signing_keys'],
      properties: { signing_keys: { type: 'array', items: { $ref: '#/components/schemas/SigningKey' } } },
      description: 'Every signing key, newest first.',
    },
    SigningKeyAnswer: {
      type: 'object',
      additionalProperties: false,
      required: ['signing_key'],
      properties: { signing_key: { $ref: '#/components/schemas/SigningKey' } },
      description: 'The key just made: published now, signing from `activates_at`.',
    },
  },
};
