"""fngate's Python runtime shim.

Run as `python3 -u -s -S -B bootstrap.py`: no `site` (SCF gives Python 3.7+ functions no system
site-packages; dependencies come from the code folder and layers through PYTHONPATH, and skipping site
also skips the .pth hooks of the host's interpreter), unbuffered stdout/stderr (they are the function's
log), no .pyc files written into the read-only code folder.

Protocol (runtimes/subprocess/protocol.ts): one JSON message per line, to fngate on fd 3, from fngate on
fd 4, compact invocations (announced in `started`): the event arrives as a JSON value, the context is the
one of `load` plus the request id, and a result goes back as the line `R <result JSON>`. The process may start before its function is known (a pre-warmed interpreter): everything about the
function, its environment included, arrives in the `load` message and is applied before user code runs.

Standard library only, and only what start-up needs: every import here is paid by every cold start.
"""
import json
import os
import sys
import time

TO_HOST_FD = 3
FROM_HOST_FD = 4

# Inherited pipes are inheritable: without this a user's os.system() child would hold the channel open.
os.set_inheritable(TO_HOST_FD, False)
os.set_inheritable(FROM_HOST_FD, False)
# One pipe for stdout and stderr: read as two pipes, print() and logging lines would interleave arbitrarily.
os.dup2(1, 2)
_to_host = os.fdopen(TO_HOST_FD, 'wb')
_from_host = os.fdopen(FROM_HOST_FD, 'rb')

# The interpreter's own library folders: sys.path minus this shim's folder and the start-up PYTHONPATH.
_boot_pythonpath = set(filter(None, os.environ.get('PYTHONPATH', '').split(os.pathsep)))
_LIBRARY_PATH = [entry for entry in sys.path[1:] if entry not in _boot_pythonpath]

_handler = None
_style = 'scf'
# The context fields of `load` (everything but the request id), the base of every invocation's context.
_context = {}


class _HandlerNotFound(Exception):
    pass


def _send(message):
    # ASCII JSON (the default): user strings with lone surrogates still encode.
    _to_host.write(json.dumps(message).encode('ascii') + b'\n')
    _to_host.flush()


def _flush_output():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def _error_data(code, error):
    try:
        import traceback

        # The stack starts at the user's code: the shim's own frames are noise to the user.
        tb = error.__traceback__
        while tb is not None and tb.tb_next is not None and tb.tb_frame.f_code.co_filename == __file__:
            tb = tb.tb_next
        stack = ''.join(traceback.format_exception(type(error), error, tb)).rstrip('\n')
    except BaseException:
        # Formatting needs memory too; after a MemoryError it may fail.
        stack = ''
    return {
        'code': code,
        'message': str(error) or type(error).__name__,
        'stackTrace': stack,
        'errorType': type(error).__name__,
    }


def _apply_environment(env):
    os.environ.clear()
    os.environ.update(env)
    if hasattr(time, 'tzset'):
        time.tzset()


def _limit_memory(limit):
    """RLIMIT_DATA backstop: one huge allocation fails at once instead of between two RSS samples."""
    if not limit:
        return
    try:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_DATA)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass


def _resolve(name):
    module_name, _, function_name = name.rpartition('.')
    if not module_name or not function_name:
        raise _HandlerNotFound('invalid handler "%s": expected file.function' % name)
    module_name = module_name.replace('/', '.')
    try:
        __import__(module_name)
    except ModuleNotFoundError as error:
        # Only the handler's own file missing is "handler not found"; a missing dependency is a load error.
        if error.name and (module_name == error.name or module_name.startswith(error.name + '.')):
            raise _HandlerNotFound('the handler file %s.py was not found in the code folder' % module_name.replace('.', '/')) from None
        raise
    function = getattr(sys.modules[module_name], function_name, None)
    if not callable(function):
        raise _HandlerNotFound('the handler "%s" was not found: %s has no function %s' % (name, module_name, function_name))
    return function


def _load(message):
    global _handler, _style, _context
    started = time.perf_counter()
    _apply_environment(message['env'])
    os.chdir(message['codeDir'])
    sys.path[:] = [entry for entry in os.environ.get('PYTHONPATH', '').split(os.pathsep) if entry] + _LIBRARY_PATH
    _limit_memory(message.get('dataLimitBytes'))
    _style = message.get('handlerStyle') or 'scf'
    _context = message.get('context') or {}
    _handler = _resolve(message['handler'])
    initializer = message.get('initializer')
    if _style == 'functiongraph' and initializer:
        _resolve(initializer)(_FunctionGraphContext(message.get('context') or {}, message.get('initDeadline') or 0))
    return (time.perf_counter() - started) * 1000


def _on_load(message):
    try:
        init_function_ms = _load(message)
    except _HandlerNotFound as error:
        failure = {'code': 'HANDLER_NOT_FOUND', 'message': str(error), 'stackTrace': '', 'errorType': 'HandlerNotFound'}
    except MemoryError as error:
        failure = _error_data('MEMORY_LIMIT', error)
    except BaseException as error:
        failure = _error_data('USER_CODE_LOAD_ERROR', error)
    else:
        _flush_output()
        _send({'op': 'ready', 'timings': {'initFunctionMs': init_function_ms}})
        return
    _flush_output()
    _send({'op': 'error', 'error': failure, 'fatal': True})
    os._exit(1)


def _json_default(value):
    if type(value).__module__ == 'decimal':
        return str(value)
    raise TypeError('Object of type %s is not JSON serializable' % type(value).__name__)


# allow_nan=False: NaN and Infinity are not JSON, and fngate promises JSON text (a 430 instead). One
# encoder for every result: json.dumps with options builds a new one per call (~1 µs of the ~8 the shim
# spends on a hello invocation).
_RESULT_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, default=_json_default)


def _serialize(result):
    if _style == 'functiongraph':
        # FunctionGraph answers None with an empty body and a str as the body itself. The runtime
        # contract returns JSON text, so both become JSON strings ("" and the string), which a gateway
        # rendering FunctionGraph results unwraps to exactly those bodies.
        if result is None:
            return '""'
        if isinstance(result, str):
            return json.dumps(result, ensure_ascii=False)
    return _RESULT_ENCODER.encode(result)


def _send_result(request_id, body):
    try:
        line = b'R ' + body.encode('utf-8') + b'\n'
    except UnicodeEncodeError:
        # A lone surrogate in a string of the result: the JSON envelope escapes it (ASCII JSON).
        _send({'op': 'response', 'requestId': request_id, 'body': body})
        return
    _to_host.write(line)
    _to_host.flush()


def _on_invoke(message):
    request_id = message['requestId']
    fatal = False
    reply = None
    try:
        event = message['event'] if 'event' in message else json.loads(message['payload'])
        fields = message.get('context')
        if fields is None:
            fields = {'request_id': request_id}
            fields.update(_context)
        if _style == 'functiongraph':
            context = _FunctionGraphContext(fields, message['deadline'])
        else:
            context = fields
        body = _serialize(_handler(event, context))
    except MemoryError as error:
        # The memory is back once the frames unwound, but the instance is replaced as SCF does.
        fatal = True
        reply = {'op': 'error', 'requestId': request_id, 'error': _error_data('MEMORY_LIMIT', error), 'fatal': True}
    except BaseException as error:
        # SystemExit too: sys.exit() in a handler fails the invocation, the instance lives on.
        reply = {'op': 'error', 'requestId': request_id, 'error': _error_data('USER_CODE_EXCEPTION', error)}
    _flush_output()
    if reply is None:
        _send_result(request_id, body)
    else:
        _send(reply)
    if fatal:
        os._exit(1)


class _FunctionGraphLogger:
    def _log(self, stream, level, parts):
        print('[%s]' % level, *parts, file=stream, flush=True)

    def debug(self, *parts):
        self._log(sys.stdout, 'DEBUG', parts)

    def info(self, *parts):
        self._log(sys.stdout, 'INFO', parts)

    def warn(self, *parts):
        self._log(sys.stderr, 'WARN', parts)

    warning = warn

    def error(self, *parts):
        self._log(sys.stderr, 'ERROR', parts)


_LOGGER = _FunctionGraphLogger()


class _FunctionGraphContext(dict):
    """FunctionGraph's getters over the SCF context keys; it is still the SCF context dict as well."""

    def __init__(self, fields, deadline):
        super().__init__(fields)
        self._deadline = deadline

    def getRequestID(self):
        return self.get('request_id', '')

    def getRemainingTimeInMilliSeconds(self):
        return max(0, int(self._deadline - time.time() * 1000))

    def getFunctionName(self):
        return self.get('function_name')

    def getVersion(self):
        return self.get('function_version')

    def getMemorySize(self):
        return self.get('memory_limit_in_mb')

    def getRunningTimeInSeconds(self):
        return int(self.get('time_limit_in_ms', 0)) // 1000

    def getUserData(self, key, default=None):
        return os.environ.get(key, default)

    def getLogger(self):
        return _LOGGER


def _warm_up():
    """Pay the interpreter's first-use costs before `started`, so a pre-warmed process does not pay them
    inside a cold start: the first compile() sets up the parser and compiler (2.5-6 ms on the development
    VM, more than importing a small handler afterwards), the first import from a file sets up the file
    finder and loader (~0.3 ms), `resource` is an extension module (~1 ms to load), and the result
    encoder's first use sets it up."""
    compile('def handler(event, context):\n    return {"a": event.get("b", [1, 2.5, None])}\n', '<fngate warm-up>', 'exec')
    # The first import from a file (this shim's folder is sys.path[0]); forgotten, so user code cannot see it.
    try:
        __import__('fngate_warm_up')
    except ImportError:
        pass
    sys.modules.pop('fngate_warm_up', None)
    json.loads(_RESULT_ENCODER.encode({'a': [1, 2.5, None, True, 'x']}))
    try:
        import resource  # noqa: F401 (used by _limit_memory at load)
    except ImportError:
        pass


def main():
    _warm_up()
    _send({'op': 'started', 'compact': True})
    while True:
        line = _from_host.readline()
        if not line:
            break
        try:
            message = json.loads(line)
        except (ValueError, RecursionError) as error:
            # An event that is JSON to fngate but not to Python (nested deeper than Python parses): the
            # invocation in flight fails, the instance lives on.
            _flush_output()
            _send({'op': 'error', 'error': _error_data('USER_CODE_EXCEPTION', error)})
            continue
        op = message.get('op')
        if op == 'load':
            _on_load(message)
        elif op == 'invoke':
            _on_invoke(message)
    # fngate closed the channel (it ended or died): so does the function.
    os._exit(0)


if __name__ == '__main__':
    main()
