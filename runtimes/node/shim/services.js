// Runs inside the isolate. Host services (../builtins/): `internal.service(name, onEvent)` returns the named
// service's callbacks, made by the host on first use; events the host sends for it reach `onEvent(id,
// event, data)`. Built-ins that need the gateway's Node (fs, os, net, zlib …) are built on these.
/* global internal, host */
const services = Object.create(null);
const listeners = Object.create(null);

internal.service = (name, onEvent) => {
  if (onEvent !== undefined) listeners[name] = onEvent;
  let callbacks = services[name];
  if (callbacks === undefined) {
    callbacks = host.service(name);
    services[name] = callbacks;
  }
  return callbacks;
};

// Called by dispatch (invoke.js) with [service, event, data].
internal.serviceEvent = (id, message) => {
  const listener = listeners[message[0]];
  if (listener !== undefined) listener(id, message[1], message[2]);
};
