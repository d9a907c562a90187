import type { Db } from '../db/database.js';

/**
 * How many items wait in the hub's background queues, for the
 * `orchard_queue_depth` gauge. Each reads the database, so it counts the
 * whole hub, not one process.
 */

/** Webhook deliveries still to be sent (first attempts and retries) of enabled webhooks; a disabled webhook's rows wait for no worker. */
export async function pendingWebhookDeliveries(db: Db): Promise<number> {
  const row = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
    .where('d.status', '=', 'pending')
    .where('w.disabled', '=', 0)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
