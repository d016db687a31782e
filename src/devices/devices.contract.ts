import type { ApiContract, ParameterSpec, RpcMethodContract } from '../common/openapi/contract.js';
import { closed, ID, ref, time } from '../common/openapi/schemas.js';
import { DEVICE_TOKEN_PATTERN } from './device-token.js';
import { RegisterDeviceDto } from './dto/register-device.dto.js';

const DEVICE_TOKEN: ParameterSpec = {
  type: 'string',
  pattern: DEVICE_TOKEN_PATTERN,
  example: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90',
  description: 'The APNs device token as hex: an even number of hexadecimal digits, 64 to 200.',
};

export const DEVICES_RPC = {
  devise_token: {
    rest: 'POST /devices',
    access: 'confirmed',
    dto: RegisterDeviceDto,
    result: {
      description: 'The device (named `user_devise`, as the seed does).',
      schema: {
        type: 'object',
        additionalProperties: false,
        required: ['user_devise'],
        properties: { user_devise: ref('Device') },
      },
    },
  },
  remove_devise_token: { rest: 'DELETE /devices/:token', access: 'confirmed', dto: RegisterDeviceDto },
} satisfies Record<string, RpcMethodContract>;

export const DEVICES_CONTRACT: ApiContract = {
  operations: {
    'POST /devices': {
      status: 201,
      body: 'DeviceAnswer',
      alsoStatus: { 200: 'The token was already mine (nothing created).' },
      errors: ['invalid_notification_service'],
    },
    'GET /devices': { status: 200, body: 'DevicesAnswer' },
    'DELETE /devices/{token}': {
      status: 200,
      body: 'ResultTrue',
      errors: ['not_found'],
      params: { token: DEVICE_TOKEN },
    },
    'POST /devices/test-push': { status: 200, body: 'TestPushAnswer', errors: ['please_wait'] },
  },
  schemas: {
    Device: closed({
      id: ID,
      token: { type: 'string', pattern: '^(?:[0-9a-f]{2}){32,100}$' },
      notification_service: { type: 'string', enum: ['ios_app'] },
      created_at: time(),
      registered_at: time('When it was last registered (by me).'),
    }),
    DeviceAnswer: closed({ device: ref('Device') }),
    DevicesAnswer: closed({ devices: { type: 'array', items: ref('Device') } }),
    TestPushAnswer: closed({
      devices: { type: 'integer', minimum: 0, description: 'My devices a test push was sent to.' },
      accepted: { type: 'integer', minimum: 0, description: 'How many of them APNs accepted.' },
    }),
  },
  rpcMethods: DEVICES_RPC,
};
