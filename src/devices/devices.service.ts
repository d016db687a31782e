import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, LessThanOrEqual, Repository } from 'typeorm';
import { Clock } from '../common/clock.service.js';
import { AppError } from '../common/errors.js';
import { uniqueViolation } from '../database/errors.js';
import { EventBus } from '../bus/event-bus.service.js';
import { type DeviceRecord, toDeviceRecord } from './device-record.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import {
  APNS_TOKEN_RULE,
  DEVICE_NAME_RULE,
  deviceNamed,
  FCM_TOKEN_RULE,
  isNotificationService,
  MAX_TOKEN_LENGTH,
  type NotificationService,
  parseApnsToken,
  parseFcmToken,
  tokenPrefix,
} from './device-token.js';
import { Device } from './device.entity.js';
import { parseWebPushSubscription } from './web-push-subscription.js';

/**
 * A user's devices beyond this many are forgotten, least recently registered first: a phone gets
 * a new token on every reinstall or restore, and each push fans out to every token kept.
 */
export const MAX_DEVICES_PER_USER = 20;

/** The devices table: registering, moving, listing and forgetting device tokens. */
@Injectable()
export class DevicesService {
  private readonly logger = new Logger('Devices');
  private readonly allowPrivateEndpoints: boolean;

  constructor(
    @InjectRepository(Device) private readonly devices: Repository<Device>,
    private readonly clock: Clock,
    private readonly events: EventBus,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.allowPrivateEndpoints = config.webPush.allowPrivate;
  }

  /** Registers a token for the user; a token another user holds moves to this one. */
  async register(
    userId: number,
    rawToken: string,
    service: string,
  ): Promise<{ device: DeviceRecord; created: boolean }> {
    if (!isNotificationService(service)) {
      throw new AppError(
        'invalid_notification_service',
        `notification service must be ios_app, android_app or web_push; got "${service.slice(0, 40)}"`,
      );
    }
    const { token, endpoint } = this.parse(service, rawToken);
    // A browser is named by its endpoint: registered again with new keys, it is the same device.
    const key = endpoint === null ? { token } : { endpoint };
    const now = this.clock.now();
    const existing = await this.devices.findOneBy(key);
    if (existing?.userId === userId) {
      // Already mine; a browser may come with a renewed subscription (new keys), still this device.
      const renewed = { token, notificationService: service, registeredAt: now };
      await this.devices.update({ id: existing.id }, renewed);
      return { device: toDeviceRecord({ ...existing, ...renewed }), created: false };
    }
    const fields = {
      token,
      endpoint,
      userId,
      notificationService: service,
      createdAt: now,
      registeredAt: now,
    };
    // The device is now logged in as this user: the previous holder must stop getting its pushes.
    let moved = existing ? ((await this.devices.update(key, fields)).affected ?? 0) > 0 : false;
    if (!moved) {
      try {
        await this.devices.insert(fields);
      } catch (error) {
        if (!uniqueViolation(error)) throw error;
        await this.devices.update(key, fields); // registered elsewhere in the meantime
        moved = true;
      }
    }
    if (moved) this.logger.log(`device ${tokenPrefix(token)} moved to user ${userId}`);
    await this.forgetBeyondLimit(userId);
    const device = await this.devices.findOneBy({ token });
    if (!device) throw new AppError('not_found', 'the device was removed at the same moment');
    this.events.emit('devices.registered', {
      userId,
      device: tokenPrefix(token),
      movedFrom: moved && existing && existing.userId !== userId ? existing.userId : null,
    });
    // Another user may have registered the phone right after (the last one holds it): this
    // registration still happened, and is answered as made.
    return { device: toDeviceRecord({ ...device, ...fields }), created: true };
  }

  /** DELETE /devices/:token: a phone by its token, a browser by its endpoint. */
  async remove(userId: number, rawToken: string): Promise<void> {
    const named = deviceNamed(rawToken);
    if (named === null) throw new AppError('invalid_params', DEVICE_NAME_RULE);
    const result = await this.devices.delete({ userId, ...named });
    if (!result.affected) throw new AppError('not_found', 'you have no device with this token');
  }

  /** Logging out with a device token: forget it if it is the user's, say nothing otherwise. */
  async forget(userId: number, rawToken: string): Promise<void> {
    const named = deviceNamed(rawToken);
    if (named === null) return;
    const result = await this.devices.delete({ userId, ...named });
    if (result.affected) {
      const name = 'token' in named ? tokenPrefix(named.token) : tokenPrefix(JSON.stringify(named));
      this.logger.log(`device ${name} of user ${userId} removed at logout`);
    }
  }

  async list(userId: number): Promise<DeviceRecord[]> {
    const rows = await this.devices.find({ where: { userId }, order: { createdAt: 'ASC', id: 'ASC' } });
    return rows.map(toDeviceRecord);
  }

  /**
   * The tokens of the user's devices of these services, each with its service; with `heldBy`, only
   * the devices the user registered by then.
   */
  async pushTargetsOf(
    userId: number,
    services: NotificationService[],
    heldBy?: Date,
  ): Promise<{ service: NotificationService; token: string }[]> {
    if (services.length === 0) return [];
    const rows = await this.devices.find({
      where: {
        userId,
        notificationService: In(services),
        ...(heldBy ? { createdAt: LessThanOrEqual(heldBy) } : {}),
      },
      select: { id: true, token: true, notificationService: true },
      order: { id: 'ASC' },
    });
    return rows.map((row) => ({ service: row.notificationService, token: row.token }));
  }

  /** Of these tokens, those the user still holds (a retry must not reach a device that moved). */
  async heldBy(userId: number, tokens: string[]): Promise<string[]> {
    if (tokens.length === 0) return [];
    const rows = await this.devices.find({
      where: { userId, token: In(tokens) },
      select: { id: true, token: true },
    });
    return rows.map((row) => row.token);
  }

  /**
   * Forgets a token its push service called dead, unless it was registered again after the push was sent
   * (a reinstalled app may have re-registered it while the answer was on its way).
   */
  async removeDead(token: string, sentAt: Date): Promise<boolean> {
    const result = await this.devices.delete({ token, registeredAt: LessThanOrEqual(sentAt) });
    return (result.affected ?? 0) > 0;
  }

  /** The token as kept for its service, and a browser's endpoint; invalid_params saying why not. */
  private parse(service: NotificationService, raw: string): { token: string; endpoint: string | null } {
    if (raw.length > MAX_TOKEN_LENGTH) {
      throw new AppError('invalid_params', `token must be at most ${MAX_TOKEN_LENGTH} characters`);
    }
    if (service === 'web_push') {
      const parsed = parseWebPushSubscription(raw, this.allowPrivateEndpoints);
      if ('refused' in parsed) throw new AppError('invalid_params', parsed.refused);
      return { token: parsed.token, endpoint: parsed.subscription.endpoint };
    }
    const token = service === 'ios_app' ? parseApnsToken(raw) : parseFcmToken(raw);
    if (token === null)
      throw new AppError('invalid_params', service === 'ios_app' ? APNS_TOKEN_RULE : FCM_TOKEN_RULE);
    return { token, endpoint: null };
  }

  private async forgetBeyondLimit(userId: number): Promise<void> {
    const surplus = await this.devices.find({
      where: { userId },
      select: { id: true },
      order: { registeredAt: 'DESC', id: 'DESC' },
      skip: MAX_DEVICES_PER_USER,
    });
    if (surplus.length > 0) await this.devices.delete({ id: In(surplus.map((row) => row.id)) });
  }
}
