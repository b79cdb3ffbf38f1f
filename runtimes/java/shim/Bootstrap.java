package fngate.shim;

import java.io.BufferedReader;
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Constructor;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * fngate's Java runtime shim: `java … -jar fngate-shim.jar`.
 *
 * Protocol (runtimes/subprocess/protocol.ts): one JSON message per line, to fngate on fd 3, from fngate
 * on fd 4. stdout and stderr are the function's log. The JVM is spawned for its function (its environment
 * and heap size are fixed at start), so `load` only resolves the handler; its `env` is already the
 * process's environment.
 */
public final class Bootstrap {
    private static final int TO_HOST_FD = 3;
    private static final int FROM_HOST_FD = 4;

    private static OutputStream toHost;
    private static Handler handler;

    /** A reply for an OutOfMemoryError that leaves no heap to build one: bytes set aside at start-up. */
    private static final byte[] OOM_PREFIX = "{\"op\":\"error\",\"requestId\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OOM_SUFFIX = ("\",\"error\":{\"code\":\"MEMORY_LIMIT\",\"message\":\"java.lang.OutOfMemoryError\","
            + "\"stackTrace\":\"\",\"errorType\":\"java.lang.OutOfMemoryError\"},\"fatal\":true}\n").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OOM_BUFFER = new byte[OOM_PREFIX.length + 256 + OOM_SUFFIX.length];

    private Bootstrap() {}

    public static void main(String[] args) throws IOException {
        toHost = new FileOutputStream(descriptor(TO_HOST_FD));
        BufferedReader fromHost = new BufferedReader(new InputStreamReader(new FileInputStream(descriptor(FROM_HOST_FD)), StandardCharsets.UTF_8), 1 << 16);
        send(message("op", "started"));
        String line;
        while ((line = fromHost.readLine()) != null) {
            if (line.isEmpty()) continue;
            Map<String, Object> message = asMap(Json.parse(line));
            Object op = message.get("op");
            if ("load".equals(op)) load(message);
            else if ("invoke".equals(op)) invoke(message);
        }
        // fngate closed the channel (it ended or died): so does the function.
        Runtime.getRuntime().halt(0);
    }

    /**
     * An inherited descriptor as a FileDescriptor. Java has no public API for one, and the channel is a
     * socket pair (node's stdio pipes), which cannot be reopened through /proc/self/fd. FileDescriptor's
     * private constructor is reachable because the shim jar's manifest opens java.io (`Add-Opens`, read
     * by `java -jar` since Java 9; Java 8 has no modules to open).
     */
    private static FileDescriptor descriptor(int fd) throws IOException {
        try {
            Constructor<FileDescriptor> constructor = FileDescriptor.class.getDeclaredConstructor(int.class);
            constructor.setAccessible(true);
            return constructor.newInstance(fd);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IOException("cannot open the fngate channel (fd " + fd + "): " + e, e);
        }
    }

    private static void load(Map<String, Object> message) {
        long started = System.nanoTime();
        Map<String, Object> failure;
        try {
            Map<String, Object> env = asMap(message.get("env"));
            Object tmp = env.get("TMPDIR");
            if (tmp != null) System.setProperty("java.io.tmpdir", tmp.toString());
            List<URL> classpath = classpath(env.get("CLASSPATH"), String.valueOf(message.get("codeDir")));
            StringBuilder path = new StringBuilder();
            for (URL url : classpath) path.append(path.length() == 0 ? "" : File.pathSeparator).append(url.getPath());
            System.setProperty("java.class.path", path.toString());
            ClassLoader loader = new URLClassLoader(classpath.toArray(new URL[0]), Bootstrap.class.getClassLoader());
            Thread.currentThread().setContextClassLoader(loader);
            handler = Handler.resolve((String) message.get("handler"), loader);
            flushOutput();
            Map<String, Object> timings = new LinkedHashMap<>();
            timings.put("initFunctionMs", (System.nanoTime() - started) / 1e6);
            Map<String, Object> ready = message("op", "ready");
            ready.put("timings", timings);
            send(ready);
            return;
        } catch (Handler.NotFound e) {
            failure = errorData("HANDLER_NOT_FOUND", e.getMessage(), "", "HandlerNotFound");
        } catch (Handler.LoadFailure e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            failure = errorData(cause instanceof OutOfMemoryError ? "MEMORY_LIMIT" : "USER_CODE_LOAD_ERROR", e.getMessage(), stackTrace(cause), cause.getClass().getName());
        } catch (OutOfMemoryError e) {
            failure = errorData("MEMORY_LIMIT", String.valueOf(e), "", e.getClass().getName());
        } catch (Throwable e) {
            failure = errorData("USER_CODE_LOAD_ERROR", String.valueOf(e), stackTrace(e), e.getClass().getName());
        }
        flushOutput();
        Map<String, Object> reply = message("op", "error");
        reply.put("error", failure);
        reply.put("fatal", true);
        send(reply);
        Runtime.getRuntime().halt(1);
    }

    private static void invoke(Map<String, Object> message) {
        String requestId = String.valueOf(message.get("requestId"));
        Map<String, Object> reply;
        boolean fatal = false;
        try {
            Object deadline = message.get("deadline");
            ScfContext context = new ScfContext(asMap(message.get("context")), deadline instanceof Number ? ((Number) deadline).longValue() : 0);
            Object result = handler.call((String) message.get("payload"), context);
            String body = handler.returnsVoid ? "null" : Json.write(Mapper.toJson(result), false);
            reply = message("op", "response");
            reply.put("requestId", requestId);
            reply.put("body", body);
        } catch (OutOfMemoryError e) {
            fatal = true;
            reply = memoryError(requestId, e);
        } catch (Handler.UserFailure e) {
            Throwable cause = e.getCause();
            if (cause instanceof OutOfMemoryError) {
                fatal = true;
                reply = memoryError(requestId, cause);
            } else {
                reply = userError(requestId, cause);
            }
        } catch (Throwable e) {
            // The event did not fit the handler's parameter, or the result is not JSON (NaN, a cycle).
            reply = userError(requestId, e);
        }
        flushOutput();
        if (fatal) {
            try {
                send(reply);
            } catch (OutOfMemoryError e) {
                sendOutOfMemory(requestId);
            }
            Runtime.getRuntime().halt(1);
        }
        send(reply);
    }

    private static Map<String, Object> userError(String requestId, Throwable error) {
        Map<String, Object> reply = message("op", "error");
        reply.put("requestId", requestId);
        String text = error.getMessage();
        reply.put("error", errorData("USER_CODE_EXCEPTION", text != null ? text : error.getClass().getName(), stackTrace(error), error.getClass().getName()));
        return reply;
    }

    private static Map<String, Object> memoryError(String requestId, Throwable error) {
        Map<String, Object> reply = message("op", "error");
        reply.put("requestId", requestId);
        reply.put("error", errorData("MEMORY_LIMIT", String.valueOf(error), "", error.getClass().getName()));
        reply.put("fatal", true);
        return reply;
    }

    /** The OutOfMemoryError reply written without allocating: the heap may still be full. */
    private static void sendOutOfMemory(String requestId) {
        int length = 0;
        System.arraycopy(OOM_PREFIX, 0, OOM_BUFFER, 0, OOM_PREFIX.length);
        length += OOM_PREFIX.length;
        for (int i = 0; i < requestId.length() && i < 256; i++) {
            char c = requestId.charAt(i);
            OOM_BUFFER[length++] = (byte) (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? c : '?');
        }
        System.arraycopy(OOM_SUFFIX, 0, OOM_BUFFER, length, OOM_SUFFIX.length);
        length += OOM_SUFFIX.length;
        try {
            toHost.write(OOM_BUFFER, 0, length);
            toHost.flush();
        } catch (IOException e) {
            // fngate is gone; the exit says the rest.
        }
    }

    private static Map<String, Object> errorData(String code, String text, String stackTrace, String errorType) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", code);
        error.put("message", text);
        error.put("stackTrace", stackTrace);
        error.put("errorType", errorType);
        return error;
    }

    /** The Java stack trace from the user's frames on: the shim's and reflection's own frames are noise. */
    static String stackTrace(Throwable error) {
        trim(error, Collections.newSetFromMap(new IdentityHashMap<>()));
        StringWriter out = new StringWriter();
        error.printStackTrace(new PrintWriter(out));
        return out.toString().trim();
    }

    private static void trim(Throwable error, Set<Throwable> seen) {
        if (error == null || !seen.add(error)) return;
        StackTraceElement[] frames = error.getStackTrace();
        int end = frames.length;
        for (int i = 0; i < frames.length; i++) {
            if (frames[i].getClassName().startsWith("fngate.shim.")) {
                end = i;
                break;
            }
        }
        while (end > 0 && isReflection(frames[end - 1].getClassName())) end--;
        if (end < frames.length) error.setStackTrace(Arrays.copyOf(frames, end));
        trim(error.getCause(), seen);
        for (Throwable suppressed : error.getSuppressed()) trim(suppressed, seen);
    }

    private static boolean isReflection(String className) {
        return className.startsWith("jdk.internal.reflect.") || className.startsWith("java.lang.reflect.")
                || className.startsWith("java.lang.invoke.") || className.startsWith("sun.reflect.");
    }

    /**
     * The function's class path: CLASSPATH as fngate built it (the code folder, its lib/*.jar, then each
     * layer's) or as the function overrode it. `dir/*` means the jars in dir, as for `java -cp`.
     */
    static List<URL> classpath(Object variable, String codeDir) throws MalformedURLException {
        String value = variable != null ? variable.toString() : codeDir + File.pathSeparator + codeDir + "/lib/*";
        List<URL> urls = new ArrayList<>();
        for (String entry : value.split(File.pathSeparator)) {
            if (entry.isEmpty()) continue;
            if (entry.endsWith("/*") || entry.equals("*")) {
                File dir = new File(entry.substring(0, entry.length() - 1));
                String[] names = dir.list();
                if (names == null) continue;
                Arrays.sort(names);
                for (String name : names) {
                    if (name.endsWith(".jar") || name.endsWith(".JAR")) urls.add(new File(dir, name).toURI().toURL());
                }
            } else {
                File file = new File(entry);
                if (file.exists()) urls.add(file.toURI().toURL());
            }
        }
        return urls;
    }

    private static void flushOutput() {
        System.out.flush();
        System.err.flush();
    }

    private static Map<String, Object> message(String key, Object value) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put(key, value);
        return map;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object value) {
        return value instanceof Map ? (Map<String, Object>) value : new LinkedHashMap<>();
    }

    /** One message to fngate: ASCII JSON (the default of the other shims), so user strings with lone surrogates still encode. */
    private static void send(Map<String, Object> message) {
        byte[] line = (Json.write(message, true) + "\n").getBytes(StandardCharsets.US_ASCII);
        try {
            toHost.write(line);
            toHost.flush();
        } catch (IOException e) {
            // fngate is gone: nothing to report to.
            Runtime.getRuntime().halt(1);
        }
    }
}
