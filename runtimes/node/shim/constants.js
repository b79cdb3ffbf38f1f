// Runs inside the isolate, on demand. The deprecated `constants` built-in: errno, signal, priority, dlopen,
// file system and crypto constants merged into one object. Its values are Linux's, read from the gateway's
// Node when the part is served (`data`, see shim.ts), since the isolate reports platform linux.
/* global internal, data */
internal.modules.constants = { ...data };
