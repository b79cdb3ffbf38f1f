// Runs inside the isolate, on demand. `tty`: a function's standard streams are never terminals (SCF pipes
// them into its log), so isatty is false for every descriptor and the stream classes fail to open one, as
// Node's do on a descriptor that is not a TTY.
/* global internal */
function ttyInitFailed() {
  const error = new Error('TTY initialization failed: uv_tty_init returned EINVAL (invalid argument)');
  error.name = 'SystemError';
  error.code = 'ERR_TTY_INIT_FAILED';
  return error;
}

function ReadStream() {
  throw ttyInitFailed();
}
ReadStream.prototype.isRaw = false;
ReadStream.prototype.isTTY = true;
ReadStream.prototype.setRawMode = function setRawMode() {
  return this;
};

function WriteStream() {
  throw ttyInitFailed();
}
WriteStream.prototype.isTTY = true;
WriteStream.prototype.getColorDepth = () => 1;
WriteStream.prototype.hasColors = () => false;
WriteStream.prototype.getWindowSize = () => [80, 24];

internal.modules.tty = {
  isatty: () => false,
  ReadStream,
  WriteStream,
};
