// A piscina worker of row (e): one isolate per worker thread, each task one synchronous apply into it.
import ivm from 'isolated-vm';

const isolate = new ivm.Isolate({ memoryLimit: 128 });
const context = isolate.createContextSync();
context.evalSync(`globalThis.handler = (eventJson) => {
  const event = JSON.parse(eventJson);
  return JSON.stringify({ hello: event.name ?? 'world' });
};`);
const handler = context.global.getSync('handler', { reference: true });

export default function invoke(eventJson) {
  return handler.applySync(undefined, [eventJson], { arguments: { copy: true }, result: { copy: true } });
}
