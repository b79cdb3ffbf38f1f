/**
 * Internal topics (gateway/triggers/topics.ts):
 *   POST /topics/{topic}/messages   `{msgBody, msgTag?, msgKey?}` or `{messages: [...]}` → 202 once queued
 *   GET  /topics                    topics, their subscribers and next offsets
 */
import { Hono } from 'hono';
import { MAX_ASYNC_PAYLOAD_BYTES, MAX_SYNC_PAYLOAD_BYTES, readBodyText } from '../body.ts';
import { FnError } from '../errors.ts';
import { errorResponse } from '../respond.ts';
import type { GatewayServices } from '../services.ts';
import type { TopicMessage } from '../triggers/topics.ts';

/** Most messages one publish takes (CKafka's largest maxMsgNum). */
export const MAX_MESSAGES_PER_PUBLISH = 10_000;
const TOPIC_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function invalid(message: string): FnError {
  return new FnError('INVALID_PARAMETER', message);
}

function parseMessage(value: unknown, where: string): TopicMessage {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(`${where}: a message is an object with msgBody`);
  const { msgBody, msgTag, msgKey, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw invalid(`${where}: unknown key "${unknown[0]}"`);
  if (typeof msgBody !== 'string') throw invalid(`${where}: msgBody must be a string`);
  if (Buffer.byteLength(msgBody) > MAX_ASYNC_PAYLOAD_BYTES) {
    throw new FnError('REQUEST_TOO_LARGE', `${where}: msgBody is over ${MAX_ASYNC_PAYLOAD_BYTES} bytes`);
  }
  const message: TopicMessage = { msgBody };
  if (msgTag !== undefined) {
    if (typeof msgTag !== 'string' && !(Array.isArray(msgTag) && msgTag.every((tag) => typeof tag === 'string'))) {
      throw invalid(`${where}: msgTag must be a string or a list of strings`);
    }
    message.msgTag = msgTag as string | string[];
  }
  if (msgKey !== undefined) {
    if (typeof msgKey !== 'string') throw invalid(`${where}: msgKey must be a string`);
    message.msgKey = msgKey;
  }
  return message;
}

/** `{msgBody…}` is one message, `{messages: [...]}` a batch. */
export function parseMessages(text: string): TopicMessage[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new FnError('EVENT_NOT_JSON', `the body is not valid JSON: ${(error as Error).message}`);
  }
  if (body !== null && typeof body === 'object' && 'messages' in body) {
    const { messages } = body as { messages: unknown };
    if (!Array.isArray(messages) || messages.length === 0 || messages.length > MAX_MESSAGES_PER_PUBLISH) {
      throw invalid(`messages must be a list of 1 to ${MAX_MESSAGES_PER_PUBLISH} messages`);
    }
    return messages.map((message, i) => parseMessage(message, `messages[${i}]`));
  }
  return [parseMessage(body, 'message')];
}

export function topicRoutes(services: GatewayServices): Hono {
  const app = new Hono();
  const { topics } = services.async;

  app.get('/topics', (c) => c.json({ topics: topics.list() }));

  app.post('/topics/:topic/messages', async (c) => {
    try {
      const topic = c.req.param('topic');
      if (!TOPIC_PATTERN.test(topic)) throw invalid(`"${topic}" is not a valid topic name`);
      const messages = parseMessages(await readBodyText(c, MAX_SYNC_PAYLOAD_BYTES));
      return c.json(await topics.publish(topic, messages), 202);
    } catch (error) {
      return errorResponse(c, error, '');
    }
  });

  return app;
}
