/**
 * Internal topics (gateway/triggers/topics.ts):
 *   POST /topics/{topic}/messages   `{msgBody, msgTag?, msgKey?}` or `{messages: [...]}` → 202 once queued
 *   GET  /topics                    topics, their subscribers and next offsets
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { MAX_ASYNC_PAYLOAD_BYTES, MAX_SYNC_PAYLOAD_BYTES, readBodyText } from '../body.ts';
import { FnError } from '../errors.ts';
import { apiApp, errorResponses, EXAMPLE_REQUEST_ID, jsonResponse, openapiRoute, parseBody, valid, z } from '../openapi.ts';
import type { GatewayServices } from '../services.ts';
import type { TopicMessage } from '../triggers/topics.ts';

/** Most messages one publish takes (CKafka's largest maxMsgNum). */
export const MAX_MESSAGES_PER_PUBLISH = 10_000;
const BATCH_SIZE_ERROR = `must be a list of 1 to ${MAX_MESSAGES_PER_PUBLISH} messages`;
const TOPIC_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const MessageSchema = z
  .strictObject({
    msgBody: z.string({ error: 'must be a string' }).openapi({ description: `At most ${MAX_ASYNC_PAYLOAD_BYTES} bytes (406 beyond)` }),
    msgTag: z
      .union([z.string(), z.array(z.string())], { error: 'must be a string or a list of strings' })
      .optional()
      .openapi({ description: 'CMQ tags: a list, or one comma-separated string' }),
    msgKey: z.string({ error: 'must be a string' }).optional().openapi({ description: 'CKafka message key' }),
  })
  .openapi('TopicMessage', { example: { msgBody: '{"orderId": 42}', msgTag: ['paid'] } });

const BatchSchema = z
  .strictObject({
    messages: z
      .array(MessageSchema, { error: BATCH_SIZE_ERROR })
      .min(1, { error: BATCH_SIZE_ERROR })
      .max(MAX_MESSAGES_PER_PUBLISH, { error: BATCH_SIZE_ERROR }),
  })
  .openapi('TopicMessageBatch', { example: { messages: [{ msgBody: 'first' }, { msgBody: 'second', msgKey: 'user-7' }] } });

const PublishSchema = z.union([MessageSchema, BatchSchema]).openapi('TopicPublish', { example: { msgBody: '{"orderId": 42}' } });

const PublishResultSchema = z
  .object({
    topic: z.string(),
    messages: z.array(z.object({ msgId: z.string(), offset: z.number().int() })),
    deliveries: z.array(
      z.object({
        function: z.string(),
        namespace: z.string(),
        kind: z.enum(['cmq', 'ckafka']),
        requestId: z.string().openapi({ description: 'The async event that delivers the messages' }),
        messages: z.number().int(),
      }),
    ),
  })
  .openapi('TopicPublishResult');

const TopicListSchema = z
  .object({
    topics: z.array(
      z.object({
        topic: z.string(),
        nextOffset: z.number().int(),
        subscribers: z.array(
          z.object({ function: z.string(), namespace: z.string(), kind: z.enum(['cmq', 'ckafka']), name: z.string(), maxMsgNum: z.number().int().optional() }),
        ),
      }),
    ),
  })
  .openapi('TopicList');

const TopicParams = z.object({
  topic: z
    .string()
    .regex(TOPIC_PATTERN, { error: (issue) => `"${String(issue.input)}" is not a valid topic name` })
    .openapi({ description: 'Topic name', example: 'orders' }),
});

/** `{msgBody…}` is one message, `{messages: [...]}` a batch. */
export function parseMessages(text: string): TopicMessage[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new FnError('EVENT_NOT_JSON', `the body is not valid JSON: ${(error as Error).message}`);
  }
  const messages: TopicMessage[] =
    body !== null && typeof body === 'object' && 'messages' in body ? parseBody(BatchSchema, body).messages : [parseBody(MessageSchema, body)];
  messages.forEach((message, i) => {
    if (Buffer.byteLength(message.msgBody) > MAX_ASYNC_PAYLOAD_BYTES) {
      throw new FnError('REQUEST_TOO_LARGE', `messages[${i}]: msgBody is over ${MAX_ASYNC_PAYLOAD_BYTES} bytes`);
    }
  });
  return messages;
}

export function topicRoutes(services: GatewayServices): OpenAPIHono {
  const app = apiApp();
  const { topics } = services.async;

  openapiRoute(
    app,
    {
      method: 'get',
      path: '/topics',
      operationId: 'listTopics',
      tags: ['topics'],
      summary: 'Topics, their subscribers and next offsets',
      responses: {
        200: jsonResponse('The topics', TopicListSchema, {
          topics: [{ topic: 'orders', nextOffset: 3, subscribers: [{ function: 'hello', namespace: 'default', kind: 'cmq', name: 'orders' }] }],
        }),
      },
    },
    (c) => c.json({ topics: topics.list() }),
  );

  openapiRoute(
    app,
    {
      method: 'post',
      path: '/topics/{topic}/messages',
      operationId: 'publishMessages',
      tags: ['topics'],
      summary: 'Publish one message or a batch; answers once every delivery is queued',
      request: {
        params: TopicParams,
        body: { required: true, content: { 'application/json': { schema: PublishSchema, example: { msgBody: '{"orderId": 42}' } } } },
      },
      responses: {
        202: jsonResponse('Queued for every subscriber', PublishResultSchema, {
          topic: 'orders',
          messages: [{ msgId: '0', offset: 0 }],
          deliveries: [{ function: 'hello', namespace: 'default', kind: 'cmq', requestId: EXAMPLE_REQUEST_ID, messages: 1 }],
        }),
        ...errorResponses('EVENT_NOT_JSON', 'REQUEST_TOO_LARGE', 'INVALID_PARAMETER', 'ASYNC_QUEUE_FULL'),
      },
    },
    async (c) => {
      const { topic } = valid(c, 'param', TopicParams);
      const messages = parseMessages(await readBodyText(c, MAX_SYNC_PAYLOAD_BYTES));
      return c.json(await topics.publish(topic, messages), 202);
    },
  );

  return app;
}
