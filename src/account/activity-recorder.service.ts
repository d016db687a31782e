import { Injectable, type OnModuleInit } from '@nestjs/common';
import { EventBus } from '../bus/event-bus.service.js';
import { ActivityService } from './activity.service.js';

/** Turns what other modules announce into security events of the user concerned. */
@Injectable()
export class ActivityRecorder implements OnModuleInit {
  constructor(
    private readonly events: EventBus,
    private readonly activity: ActivityService,
  ) {}

  onModuleInit(): void {
    const on = this.events.on.bind(this.events);
    on('auth.logged_in', ({ userId, sessionId, method, ip, userAgent }) =>
      this.activity.record({
        userId,
        type: 'login',
        details: { method, session_id: sessionId },
        ip,
        userAgent,
      }),
    );
    on('auth.login_failed', ({ userId, method, ip, userAgent }) => {
      const event = { type: 'login_failed' as const, details: { method }, ip, userAgent };
      return userId === null
        ? this.activity.audit({ userId, ...event })
        : this.activity.record({ userId, ...event });
    });
    on('auth.logged_out', ({ userId, sessionId }) =>
      this.activity.record({ userId, type: 'logout', details: { session_id: sessionId } }),
    );
    on('auth.sessions_ended', ({ userId, sessionIds }) =>
      this.activity.record({ userId, type: 'session_ended', details: { session_ids: sessionIds } }),
    );
    on('auth.password_changed', ({ userId, via }) =>
      this.activity.record({ userId, type: via === 'reset' ? 'password_reset' : 'password_changed' }),
    );
    on('auth.email_change_requested', ({ userId, email }) =>
      this.activity.record({ userId, type: 'email_change_requested', details: { email } }),
    );
    on('auth.email_confirmed', ({ userId, email, changed }) =>
      this.activity.record({
        userId,
        type: changed ? 'email_change_confirmed' : 'email_confirmed',
        details: { email },
      }),
    );
    on('mfa.changed', (notice) =>
      this.activity.record({
        userId: notice.userId,
        type: notice.change,
        details:
          'passkey' in notice
            ? { passkey_id: notice.passkey.id, name: notice.passkey.name }
            : { recovery_codes_left: notice.recoveryCodesLeft },
        ip: notice.ip,
        userAgent: notice.userAgent,
      }),
    );
    on('devices.registered', async ({ userId, device, movedFrom }) => {
      await this.activity.record({
        userId,
        type: 'device_added',
        details: { device, from_another_account: movedFrom !== null },
      });
      if (movedFrom !== null) {
        await this.activity.record({ userId: movedFrom, type: 'device_moved', details: { device } });
      }
    });
  }
}
