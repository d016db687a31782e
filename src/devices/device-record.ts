import type { Device } from './device.entity.js';

/** A device as the API shows it to its owner. */
export interface DeviceRecord {
  id: number;
  token: string;
  notification_service: string;
  created_at: string;
  registered_at: string;
}

export function toDeviceRecord(device: Device): DeviceRecord {
  return {
    id: device.id,
    token: device.token,
    notification_service: device.notificationService,
    created_at: device.createdAt.toISOString(),
    registered_at: device.registeredAt.toISOString(),
  };
}
