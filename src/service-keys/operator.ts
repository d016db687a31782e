import { Logger } from '@nestjs/common';
import type { ServicePrincipal } from './service-scopes.js';

/**
 * Who acts through the admin API or the admin CLI: a service key with the `admin` scope (its id
 * and name), or an operator on the command line (`cli`, no key). Named in every audit line and,
 * for an action on an account, in the user's activity.
 */
export interface Operator {
  keyId: number | null;
  name: string;
}

export const CLI_OPERATOR: Operator = { keyId: null, name: 'cli' };

/** The operator behind a call of an admin route. */
export const operatorOf = (key: ServicePrincipal): Operator => ({ keyId: key.keyId, name: key.name });

const audit = new Logger('Audit');

/**
 * The `audit` line of an operator's action that belongs to no account (a webhook endpoint, a
 * service key, a signing key), shaped as the lines of the security events: `type` `admin_action`,
 * the action, and the key that did it. `details` never holds a secret.
 */
export function auditOperatorAction(
  action: string,
  operator: Operator,
  details: Record<string, unknown> = {},
): void {
  audit.log(
    {
      audit: {
        type: 'admin_action',
        user_id: null,
        action,
        key_id: operator.keyId,
        key_name: operator.name,
        ...details,
      },
    },
    `operator ${operator.name}: ${action}`,
  );
}
