/**
 * The A2A server: `pnpm --filter a2a-server start`. The store comes from the TASKVAULT_*
 * variables (`createTaskStore()`), each A2A tenant gets its own namespace, and the server
 * listens on HOST:PORT (default 127.0.0.1:41241; PORT=0 picks a free port). It prints one JSON
 * line when it listens, then one line per request.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { AGENT_CARD_PATH } from '@a2a-js/sdk';
import { DefaultPushNotificationSender, DefaultRequestHandler } from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, UserBuilder } from '@a2a-js/sdk/server/express';
import { TaskvaultA2APushNotificationStore, TaskvaultA2ATaskStore } from '@taskvault/a2a';
import { createTaskStore } from '@taskvault/core';
import express from 'express';
import { agentCard, WordCountExecutor } from './agent.js';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 41241);
const stepDelayMs = Number(process.env.STEP_DELAY_MS ?? 200);
const namespace = process.env.TASKVAULT_NAMESPACE ?? 'a2a';

const store = await createTaskStore({ namespace });
// a tenant's tasks live in a namespace of their own, on the same backend
const tenantStore = (tenant: string) => createTaskStore({ namespace: `${namespace}-tenant-${tenant}` });
const taskStore = new TaskvaultA2ATaskStore(store, { tenantStore });
const pushStore = new TaskvaultA2APushNotificationStore(store, { tenantStore });

const app = express();
app.use((req, _res, next) => {
  if (req.method === 'POST') console.log(`${new Date().toISOString()} ${req.method} ${req.path}`);
  next();
});
const server = app.listen(port, host);
await once(server, 'listening');
const url = `http://${host}:${(server.address() as AddressInfo).port}`;
const requestHandler = new DefaultRequestHandler(
  agentCard(url),
  taskStore,
  new WordCountExecutor(stepDelayMs),
  undefined,
  pushStore,
  new DefaultPushNotificationSender(pushStore),
);
app.use(`/${AGENT_CARD_PATH}`, agentCardHandler({ agentCardProvider: requestHandler }));
app.use(jsonRpcHandler({ requestHandler, userBuilder: UserBuilder.noAuthentication }));
console.log(JSON.stringify({ url, backend: store.backend, namespace }));

async function shutdown(): Promise<void> {
  server.close();
  await Promise.all([taskStore.close(), pushStore.close()]);
  await store.close();
  process.exit(0);
}
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());
