import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, LessThanOrEqual, Repository } from 'typeorm';
import { Clock } from '../common/clock.service.js';
import { AppError } from '../common/errors.js';
import { uniqueViolation } from '../database/errors.js';
import { EventBus } from '../bus/event-bus.service.js';
import { type DeviceRecord, toDeviceRecord } from './device-record.js';
import { DEVICE_TOKEN_RULE, isNotificationService, parseDeviceToken, tokenPrefix } from './device-token.js';
import { Device } from './device.entity.js';

/**
 * A user's devices beyond this many are forgotten, least recently registered first: a phone gets
 * a new token on every reinstall or restore, and each push fans out to every token kept.
 */
export const MAX_DEVICES_PER_USER = 20;

/** The devices table: registering, moving, listing and forgetting device tokens. */
@Injectable()
export class DevicesService {
  private readonly logger = new Logger('Devices');

  constructor(
    @InjectRepository(Device) private readonly devices: Repository<Device>,
    private readonly clock: Clock,
    private readonly events: EventBus,
  ) {}

  /** Registers a token for the user; a token another user holds moves to this one. */
  async register(
    userId: number,
    rawToken: string,
    service: string,
  ): Promise<{ device: DeviceRecord; created: boolean }> {
    if (!isNotificationService(service)) {
      throw new AppError(
        'invalid_notification_service',
        `notification service must be ios_app, got "${service.slice(0, 40)}"`,
      );
    }
    const token = this.parse(rawToken);
    const now = this.clock.now();
    const existing = await this.devices.findOneBy({ token });
    if (existing?.userId === userId) {
      await this.devices.update({ id: existing.id }, { registeredAt: now });
      return { device: toDeviceRecord({ ...existing, registeredAt: now }), created: false };
    }
    const fields = { userId, notificationService: service, createdAt: now, registeredAt: now };
    // The phone is now logged in as this user: the previous holder must stop getting its pushes.
    let moved = existing ? ((await this.devices.update({ token }, fields)).affected ?? 0) > 0 : false;
    if (!moved) {
      try {
        await this.devices.insert({ token, ...fields });
      } catch (error) {
        if (!uniqueViolation(error)) throw error;
        await this.devices.update({ token }, fields); // registered elsewhere in the meantime
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

  async remove(userId: number, rawToken: string): Promise<void> {
    const result = await this.devices.delete({ userId, token: this.parse(rawToken) });
    if (!result.affected) throw new AppError('not_found', 'you have no device with this token');
  }

  /** Logging out with a device token: forget it if it is the user's, say nothing otherwise. */
  async forget(userId: number, rawToken: string): Promise<void> {
    const token = parseDeviceToken(rawToken);
    if (token === null) return;
    const result = await this.devices.delete({ userId, token });
    if (result.affected) this.logger.log(`device ${tokenPrefix(token)} of user ${userId} removed at logout`);
  }

  async list(userId: number): Promise<DeviceRecord[]> {
    const rows = await this.devices.find({ where: { userId }, order: { createdAt: 'ASC', id: 'ASC' } });
    return rows.map(toDeviceRecord);
  }

  /** The APNs tokens of the user's devices. */
  async apnsTokensOf(userId: number): Promise<string[]> {
    const rows = await this.devices.find({
      where: { userId, notificationService: 'ios_app' },
      select: { id: true, token: true },
      order: { id: 'ASC' },
    });
    return rows.map((row) => row.token);
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
   * Forgets a token APNs called dead, unless it was registered again after the push was sent
   * (a reinstalled app may have re-registered it while the answer was on its way).
   */
  async removeDead(token: string, sentAt: Date): Promise<boolean> {
    const result = await this.devices.delete({ token, registeredAt: LessThanOrEqual(sentAt) });
    return (result.affected ?? 0) > 0;
  }

  private parse(rawToken: string): string {
    const token = parseDeviceToken(rawToken);
    if (token === null) throw new AppError('invalid_params', DEVICE_TOKEN_RULE);
    return token;
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
