import type { SchemaObject } from '@nestjs/swagger';
import type { ApiContract, RpcMethodContract } from '../common/openapi/contract.js';
import { MfaLoginDto } from './dto/mfa.dto.js';

const CODE_EXAMPLES = {
  app: { summary: 'A code of the authenticator app', value: { code: '492039' } },
  recovery: { summary: 'A recovery code', value: { code: 'k7mqz-4hx2p' } },
};
const RECOVERY_CODES: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['recovery_codes'],
  properties: {
    recovery_codes: {
      type: 'array',
      items: { type: 'string', example: 'k7mqz-4hx2p' },
      minItems: 10,
      maxItems: 10,
      description: 'Shown this once; each logs in once instead of an app code. Only their hashes are kept.',
    },
  },
  description: 'Ten recovery codes, shown once.',
};

/** Two-step login: the user's TOTP set-up and the second step of a password login. */
export const MFA_RPC = {
  login_mfa: { rest: 'POST /auth/login/mfa', access: 'public', dto: MfaLoginDto },
} satisfies Record<string, RpcMethodContract>;

export const MFA_CONTRACT: ApiContract = {
  operations: {
    'GET /me/mfa': { status: 200, body: 'SecondFactorStatus' },
    'POST /me/mfa/totp': {
      status: 200,
      body: 'TotpSetup',
      errors: ['invalid_password', 'please_wait'],
      description:
        'Needs the account password (a wrong one counts among the failed password checks); an account without a password (made by a sign-in with a provider) needs a session opened in the last 5 minutes instead (else `401 unauthorized`). Two-step login is not on until `POST /me/mfa/totp/confirm` gets a first code; `400 invalid_params` while it is on.',
    },
    'POST /me/mfa/totp/confirm': {
      status: 200,
      body: 'RecoveryCodes',
      errors: ['invalid_mfa_code', 'please_wait'],
      description:
        'A wrong code counts among the failed password checks. Once on, the address gets a mail and the devices a push.',
      requestExamples: { app: CODE_EXAMPLES.app },
    },
    'DELETE /me/mfa/totp': {
      status: 200,
      body: 'Empty',
      errors: ['invalid_mfa_code', 'not_found', 'please_wait'],
      description: 'The recovery codes go too. The address gets a mail and the devices a push.',
      requestExamples: CODE_EXAMPLES,
    },
    'POST /me/mfa/recovery-codes': {
      status: 200,
      body: 'RecoveryCodes',
      errors: ['invalid_mfa_code', 'not_found', 'please_wait'],
      description: 'The earlier recovery codes stop working.',
      requestExamples: CODE_EXAMPLES,
    },
    'POST /auth/login/mfa': {
      status: 200,
      body: 'LoginAnswer',
      errors: ['invalid_mfa_code', 'invalid_token', 'account_disabled', 'please_wait'],
      description:
        'The `mfa_token` (5 minutes, used once by a right code) and a code of the authenticator app (each accepted once) or an unused recovery code. A wrong code counts among the failed password checks of the account; `invalid_token` when the `mfa_token` is unknown, used or expired (log in with the password again).',
      requestExamples: {
        app: { summary: 'With a code of the app', value: { mfa_token: 'Zk3…', code: '492039' } },
        recovery: { summary: 'With a recovery code', value: { mfa_token: 'Zk3…', code: 'k7mqz-4hx2p' } },
      },
    },
  },
  schemas: {
    SecondFactorStatus: {
      type: 'object',
      additionalProperties: false,
      required: ['totp', 'recovery_codes_left'],
      properties: {
        totp: { type: 'boolean', description: 'Two-step login with an authenticator app is on.' },
        recovery_codes_left: { type: 'integer', minimum: 0, maximum: 10 },
      },
      description: 'Whether a password login asks for a second factor (never the secret).',
    },
    TotpSetup: {
      type: 'object',
      additionalProperties: false,
      required: ['secret', 'otpauth_uri', 'png'],
      properties: {
        secret: {
          type: 'string',
          description: 'Base32, for typing into the app by hand.',
          example: 'JBSWY3DPEHPK3PXP…',
        },
        otpauth_uri: {
          type: 'string',
          description: 'What the QR code holds (SHA-1, 6 digits, 30 s).',
          example: 'otpauth://totp/Unichat:ann%40example.com?secret=…&issuer=Unichat',
        },
        png: {
          type: 'string',
          description: 'A data URL (data:image/png;base64,…) of the QR code of `otpauth_uri`.',
        },
      },
      description: 'What the authenticator app needs; shown once.',
    },
    RecoveryCodes: RECOVERY_CODES,
  },
  rpcMethods: MFA_RPC,
};
