<?php
/**
 * fngate's PHP runtime shim (php-cli).
 *
 * Protocol (runtimes/subprocess/protocol.ts): one JSON message per line, to fngate on fd 3, from fngate
 * on fd 4; stdout and stderr are the function's log. The process may start before its function is known
 * (a pre-warmed interpreter): the function's environment and limits arrive in the `load` message and are
 * applied before the user's file is required. Invocations are compact (announced in `started`): the event
 * arrives as a JSON value, the context is `load`'s plus the request id, a result goes back as `R <JSON>`.
 *
 * The user's file is required at global scope (the `namespace { }` block below), so its top-level
 * variables are globals that `global $x;` in the handler sees, and they persist between invocations.
 * exit()/die() and fatal errors end the process: a shutdown function reports them as a failure first.
 * Written for PHP 7.4+ (SCF's oldest supported PHP image).
 */

namespace Fngate {

final class Shim
{
    private const TO_HOST = 'php://fd/3';
    private const FROM_HOST = 'php://fd/4';
    private const FATAL_ERRORS = E_ERROR | E_PARSE | E_CORE_ERROR | E_COMPILE_ERROR | E_USER_ERROR;

    /** @var resource */
    private static $toHost;
    /** @var resource */
    private static $fromHost;
    /** The invocation in flight, for the shutdown function. */
    private static ?string $requestId = null;
    /** True while the user's file loads: an exit now is a load error. */
    private static bool $loading = false;
    private static string $handler = '';
    /** The context fields of `load` (all but the request id), the base of every invocation's context. */
    private static ?\stdClass $context = null;
    /** Events nest at most this deep (json_decode's own default); the invoke line adds one level. */
    private const EVENT_DEPTH = 512;
    private static int $loadStarted = 0;

    public static function boot(): void
    {
        self::$toHost = fopen(self::TO_HOST, 'wb');
        self::$fromHost = fopen(self::FROM_HOST, 'rb');
        register_shutdown_function([self::class, 'onShutdown']);
        self::send(['op' => 'started', 'compact' => true]);
    }

    /** Wait for `load`, apply it, and return the user's file, which the caller requires at global scope. */
    public static function awaitLoad(): string
    {
        do {
            $message = self::receive();
            if ($message === null) {
                exit(0);
            }
        } while (($message->op ?? '') !== 'load');
        self::$loading = true;
        self::$loadStarted = hrtime(true);
        self::applyEnvironment((array) $message->env);
        self::$context = $message->context ?? new \stdClass();
        chdir($message->codeDir);
        // PHP's own limit gives a clean "Allowed memory size exhausted"; the data rlimit is the backstop
        // for memory PHP's allocator does not see (extensions, libraries).
        ini_set('memory_limit', $message->memoryMb . 'M');
        if (function_exists('posix_setrlimit') && defined('POSIX_RLIMIT_DATA')) {
            posix_setrlimit(POSIX_RLIMIT_DATA, $message->dataLimitBytes, $message->dataLimitBytes);
        }
        $dot = strrpos($message->handler, '.');
        if ($dot === false || $dot === 0 || $dot === strlen($message->handler) - 1) {
            self::failLoad('HANDLER_NOT_FOUND', "invalid handler \"{$message->handler}\": expected file.function");
        }
        $file = substr($message->handler, 0, $dot);
        self::$handler = substr($message->handler, $dot + 1);
        $path = $message->codeDir . '/' . $file . '.php';
        if (!is_file($path)) {
            self::failLoad('HANDLER_NOT_FOUND', "the handler file $file.php was not found in the code folder");
        }
        return $path;
    }

    public static function loadFailed(\Throwable $error): void
    {
        self::failLoad('USER_CODE_LOAD_ERROR', $error->getMessage(), self::describe($error));
    }

    /** Report ready, then run invocations until fngate closes the channel. */
    public static function serve(): void
    {
        if (!function_exists(self::$handler)) {
            self::failLoad('HANDLER_NOT_FOUND', 'the handler "' . self::$handler . '" was not found: no such function in the handler file');
        }
        self::$loading = false;
        self::send(['op' => 'ready', 'timings' => ['initFunctionMs' => (hrtime(true) - self::$loadStarted) / 1e6]]);
        while (($message = self::receive()) !== null) {
            $op = $message->op ?? '';
            if ($op === 'invoke') {
                self::invoke($message);
            } elseif ($op === 'undecodable') {
                // An event nested deeper than PHP decodes: the invocation in flight fails, the instance lives on.
                self::flushOutput();
                self::send(['op' => 'error', 'error' => ['code' => 'USER_CODE_EXCEPTION', 'message' => $message->reason, 'stackTrace' => '', 'errorType' => 'JsonException']]);
            }
        }
        exit(0);
    }

    /** Reached by exit()/die() and by fatal errors (and by a normal end, which reports nothing). */
    public static function onShutdown(): void
    {
        if (self::$requestId === null && !self::$loading) {
            return;
        }
        $last = error_get_last();
        if ($last !== null && ($last['type'] & self::FATAL_ERRORS) !== 0) {
            $memory = strpos($last['message'], 'Allowed memory size') === 0 || strpos($last['message'], 'Out of memory') === 0;
            if ($memory) {
                // Reporting needs a little memory too; the data rlimit still bounds the process.
                ini_set('memory_limit', '-1');
            }
            $error = [
                'code' => $memory ? 'MEMORY_LIMIT' : (self::$loading ? 'USER_CODE_LOAD_ERROR' : 'USER_CODE_EXCEPTION'),
                'message' => $last['message'],
                'stackTrace' => "PHP Fatal error:  {$last['message']} in {$last['file']} on line {$last['line']}",
                'errorType' => 'FatalError',
            ];
        } else {
            $during = self::$loading ? 'while loading' : 'during the invocation';
            $error = [
                'code' => self::$loading ? 'USER_CODE_LOAD_ERROR' : 'USER_CODE_EXCEPTION',
                'message' => "the function exited $during (exit() or die() was called)",
                'stackTrace' => '',
                'errorType' => 'Exit',
            ];
        }
        self::flushOutput();
        $message = ['op' => 'error', 'error' => $error, 'fatal' => true];
        if (self::$requestId !== null) {
            $message['requestId'] = self::$requestId;
        }
        self::send($message);
    }

    private static function invoke(\stdClass $message): void
    {
        self::$requestId = $message->requestId;
        try {
            $event = property_exists($message, 'event') ? $message->event : json_decode($message->payload, false, self::EVENT_DEPTH, JSON_THROW_ON_ERROR);
            $context = $message->context ?? (object) (['request_id' => $message->requestId] + (array) self::$context);
            $result = (self::$handler)($event, $context);
            $body = json_encode($result, JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR);
            $reply = null;
        } catch (\Throwable $error) {
            $reply = [
                'op' => 'error',
                'requestId' => $message->requestId,
                'error' => [
                    'code' => 'USER_CODE_EXCEPTION',
                    'message' => $error->getMessage(),
                    'stackTrace' => self::describe($error),
                    'errorType' => get_class($error),
                ],
            ];
        }
        self::flushOutput();
        self::$requestId = null;
        if ($reply === null) {
            // Valid UTF-8 JSON without raw newlines: json_encode escapes control characters.
            fwrite(self::$toHost, 'R ' . $body . "\n");
            fflush(self::$toHost);
            return;
        }
        self::send($reply);
    }

    private static function failLoad(string $code, string $message, string $stackTrace = ''): void
    {
        // Reported here, so the shutdown function that exit() triggers must not report again.
        self::$loading = false;
        self::flushOutput();
        $errorType = $code === 'HANDLER_NOT_FOUND' ? 'HandlerNotFound' : 'LoadError';
        self::send([
            'op' => 'error',
            'error' => ['code' => $code, 'message' => $message, 'stackTrace' => $stackTrace, 'errorType' => $errorType],
            'fatal' => true,
        ]);
        exit(1);
    }

    /** The class, message, place and trace, as PHP prints an uncaught exception. */
    private static function describe(\Throwable $error): string
    {
        return sprintf(
            "%s: %s in %s:%d\nStack trace:\n%s",
            get_class($error),
            $error->getMessage(),
            $error->getFile(),
            $error->getLine(),
            $error->getTraceAsString()
        );
    }

    private static function applyEnvironment(array $env): void
    {
        foreach (array_keys(getenv()) as $name) {
            if (!array_key_exists($name, $env)) {
                putenv($name);
                unset($_SERVER[$name]);
            }
        }
        foreach ($env as $name => $value) {
            putenv("$name=$value");
            $_SERVER[$name] = $value;
        }
        // PHP ignores TZ; SCF functions expect it (UTC unless set).
        if (!@date_default_timezone_set($env['TZ'] ?? 'UTC')) {
            date_default_timezone_set('UTC');
        }
    }

    /** Output the function left in output buffers belongs to this invocation's log. */
    private static function flushOutput(): void
    {
        while (ob_get_level() > 0 && @ob_end_flush()) {
        }
    }

    private static function receive(): ?\stdClass
    {
        $line = fgets(self::$fromHost);
        if ($line === false) {
            return null;
        }
        $message = json_decode($line, false, self::EVENT_DEPTH + 1);
        if ($message instanceof \stdClass) {
            return $message;
        }
        // Not a message fngate sends, except an invoke line whose event nests too deep.
        return (object) ['op' => 'undecodable', 'reason' => 'the event could not be decoded: ' . json_last_error_msg()];
    }

    private static function send(array $message): void
    {
        $flags = JSON_UNESCAPED_SLASHES | JSON_INVALID_UTF8_SUBSTITUTE | JSON_PARTIAL_OUTPUT_ON_ERROR;
        fwrite(self::$toHost, json_encode($message, $flags) . "\n");
        fflush(self::$toHost);
    }
}

}

namespace {

\Fngate\Shim::boot();
$__fngate_file = \Fngate\Shim::awaitLoad();
try {
    require $__fngate_file;
} catch (\Throwable $__fngate_error) {
    \Fngate\Shim::loadFailed($__fngate_error);
}
unset($__fngate_file, $__fngate_error);
\Fngate\Shim::serve();

}
