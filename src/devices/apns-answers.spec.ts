import type { ResponseFailure } from '@parse/node-apn';
import { describeFailure, judgeFailure } from './apns-answers.js';
import { retryDelayMs } from './push-retries.js';

const device = 'ab'.repeat(32);
const answered = (status: number, reason: string): ResponseFailure => ({
  device,
  status,
  response: { reason },
});

describe('APNs answers', () => {
  it.each([
    [410, 'Unregistered', 'dead_token'],
    [400, 'BadDeviceToken', 'dead_token'],
    [429, 'TooManyRequests', 'retry'],
    [500, 'InternalServerError', 'retry'],
    [503, 'ServiceUnavailable', 'retry'],
    [403, 'InvalidProviderToken', 'bad_key'],
    [403, 'MissingProviderToken', 'bad_key'],
    [400, 'PayloadTooLarge', 'refused'],
    [400, 'DeviceTokenNotForTopic', 'refused'],
    [413, 'PayloadTooLarge', 'refused'],
  ])('treats %i %s as %s', (status, reason, verdict) => {
    expect(judgeFailure(answered(status, reason))).toBe(verdict);
  });

  it('retries an expired provider token (the library has made a fresh one)', () => {
    expect(judgeFailure({ device, status: 403, error: new Error('ExpiredProviderToken') })).toBe('retry');
  });

  it('retries when APNs did not answer at all (connection refused, reset, timed out)', () => {
    expect(judgeFailure({ device, error: new Error('apn write failed') })).toBe('retry');
    expect(
      judgeFailure({ device, status: 500, error: new Error('Error 500, stream ended unexpectedly') }),
    ).toBe('retry');
  });

  it('describes a failure with its status and reason, never the token', () => {
    expect(describeFailure(answered(410, 'Unregistered'))).toBe('410 Unregistered');
    expect(describeFailure({ device, error: new Error('apn write timeout') })).toBe('apn write timeout');
  });

  describe('back-off', () => {
    it('doubles from the base for each retry', () => {
      const middle = () => 0.5;
      expect([1, 2, 3].map((retry) => retryDelayMs(1000, retry, middle))).toEqual([1000, 2000, 4000]);
    });

    it('spreads each delay over ±20 % so refused pushes do not return together', () => {
      expect(retryDelayMs(1000, 1, () => 0)).toBe(800);
      expect(retryDelayMs(1000, 1, () => 0.999999)).toBe(1200);
      expect(retryDelayMs(1000, 3, () => 0)).toBe(3200);
    });
  });
});
