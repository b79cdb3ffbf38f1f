// Runs inside the isolate, on demand. `diagnostics_channel`: named channels with subscribers, bound
// AsyncLocalStorage stores and tracing channels (Node 20's API). Hand-written: the npm polyfills of this
// module wrap Node's own built-in and do not run without it.
/* global internal */
const channels = new Map();

class Channel {
  constructor(name) {
    this.name = name;
    this._subscribers = [];
    this._stores = new Map();
  }

  get hasSubscribers() {
    return this._subscribers.length > 0 || this._stores.size > 0;
  }

  subscribe(subscription) {
    if (typeof subscription !== 'function') throw argTypeError('subscription', 'function', subscription);
    this._subscribers = [...this._subscribers, subscription];
  }

  unsubscribe(subscription) {
    const index = this._subscribers.indexOf(subscription);
    if (index === -1) return false;
    this._subscribers = [...this._subscribers.slice(0, index), ...this._subscribers.slice(index + 1)];
    return true;
  }

  publish(data) {
    for (const subscriber of this._subscribers) {
      try {
        subscriber(data, this.name);
      } catch (error) {
        // Node reports a subscriber's error as uncaught on the next tick, after the other subscribers ran.
        process.nextTick(() => internal.uncaught(error));
      }
    }
  }

  bindStore(store, transform) {
    this._stores.set(store, transform);
  }

  unbindStore(store) {
    return this._stores.delete(store);
  }

  runStores(data, fn, thisArg, ...args) {
    let run = () => {
      this.publish(data);
      return Reflect.apply(fn, thisArg, args);
    };
    for (const [store, transform] of this._stores) {
      const next = run;
      run = () => store.run(transform === undefined ? data : transform(data), next);
    }
    return run();
  }
}

function channel(name) {
  if (typeof name !== 'string' && typeof name !== 'symbol') throw argTypeError('channel', 'string or symbol', name);
  let found = channels.get(name);
  if (found === undefined) {
    found = new Channel(name);
    channels.set(name, found);
  }
  return found;
}

const TRACE_EVENTS = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'];

class TracingChannel {
  constructor(nameOrChannels) {
    for (const event of TRACE_EVENTS) {
      this[event] = typeof nameOrChannels === 'string' ? channel(`tracing:${nameOrChannels}:${event}`) : nameOrChannels[event];
    }
  }

  get hasSubscribers() {
    return TRACE_EVENTS.some((event) => this[event].hasSubscribers);
  }

  subscribe(handlers) {
    for (const event of TRACE_EVENTS) if (handlers[event] !== undefined) this[event].subscribe(handlers[event]);
  }

  unsubscribe(handlers) {
    let done = true;
    for (const event of TRACE_EVENTS) if (handlers[event] !== undefined && !this[event].unsubscribe(handlers[event])) done = false;
    return done;
  }

  traceSync(fn, context = {}, thisArg, ...args) {
    if (!this.hasSubscribers) return Reflect.apply(fn, thisArg, args);
    return this.start.runStores(context, () => {
      try {
        context.result = Reflect.apply(fn, thisArg, args);
        return context.result;
      } catch (error) {
        context.error = error;
        this.error.publish(context);
        throw error;
      } finally {
        this.end.publish(context);
      }
    });
  }

  tracePromise(fn, context = {}, thisArg, ...args) {
    if (!this.hasSubscribers) return Reflect.apply(fn, thisArg, args);
    const settle = (key, value) => {
      context[key] = value;
      if (key === 'error') this.error.publish(context);
      this.asyncStart.publish(context);
      this.asyncEnd.publish(context);
    };
    return this.start.runStores(context, () => {
      try {
        const promise = Reflect.apply(fn, thisArg, args);
        return Promise.resolve(promise).then(
          (result) => {
            settle('result', result);
            return result;
          },
          (error) => {
            settle('error', error);
            throw error;
          },
        );
      } catch (error) {
        context.error = error;
        this.error.publish(context);
        throw error;
      } finally {
        this.end.publish(context);
      }
    });
  }

  traceCallback(fn, position = -1, context = {}, thisArg, ...args) {
    if (!this.hasSubscribers) return Reflect.apply(fn, thisArg, args);
    const callback = args.at(position);
    if (typeof callback !== 'function') throw argTypeError('callback', 'function', callback);
    const wrapped = (error, result) => {
      if (error) {
        context.error = error;
        this.error.publish(context);
      } else {
        context.result = result;
      }
      return this.asyncStart.runStores(context, () => {
        try {
          return Reflect.apply(callback, thisArg, [error, result]);
        } finally {
          this.asyncEnd.publish(context);
        }
      });
    };
    args.splice(position, 1, wrapped);
    return this.start.runStores(context, () => {
      try {
        return Reflect.apply(fn, thisArg, args);
      } catch (error) {
        context.error = error;
        this.error.publish(context);
        throw error;
      } finally {
        this.end.publish(context);
      }
    });
  }
}

function argTypeError(name, type, value) {
  const error = new TypeError(`The "${name}" argument must be of type ${type}. Received ${internal.inspect(value)}`);
  error.code = 'ERR_INVALID_ARG_TYPE';
  return error;
}

internal.modules.diagnostics_channel = {
  channel,
  hasSubscribers: (name) => channels.get(name)?.hasSubscribers ?? false,
  subscribe: (name, subscription) => channel(name).subscribe(subscription),
  unsubscribe: (name, subscription) => channel(name).unsubscribe(subscription),
  tracingChannel: (nameOrChannels) => new TracingChannel(nameOrChannels),
  Channel,
};
