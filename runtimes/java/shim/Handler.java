package fngate.shim;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;

/**
 * A handler `package.Class::method` resolved in the function's class loader, as SCF's Java runtime takes
 * it: the method is public or not, static or not (then the class is created once, with its constructor
 * without parameters), and takes the event, the Context, both (in either order) or neither.
 */
final class Handler {
    /** The handler does not exist as named (status 437). */
    static final class NotFound extends Exception {
        private static final long serialVersionUID = 1L;

        NotFound(String message) {
            super(message);
        }
    }

    /** User code failed while the function loaded (static initialiser, constructor): status 443 with its cause. */
    static final class LoadFailure extends Exception {
        private static final long serialVersionUID = 1L;

        LoadFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The user's method threw: the cause is the user's exception. */
    static final class UserFailure extends Exception {
        private static final long serialVersionUID = 1L;

        UserFailure(Throwable cause) {
            super(cause);
        }
    }

    private final Method method;
    private final Object target;
    private final int eventIndex;
    private final int contextIndex;
    private final Type eventType;
    final boolean returnsVoid;

    private Handler(Method method, Object target) {
        this.method = method;
        this.target = target;
        Class<?>[] parameters = method.getParameterTypes();
        int event = -1;
        int context = -1;
        for (int i = 0; i < parameters.length; i++) {
            if (isContext(parameters[i])) context = i;
            else event = i;
        }
        this.eventIndex = event;
        this.contextIndex = context;
        this.eventType = event >= 0 ? method.getGenericParameterTypes()[event] : null;
        this.returnsVoid = method.getReturnType() == void.class;
    }

    private static boolean isContext(Class<?> type) {
        return type != Object.class && type.isAssignableFrom(ScfContext.class);
    }

    /** A usable signature: at most one event parameter and at most one Context, nothing else. */
    private static int score(Method method) {
        int events = 0;
        int contexts = 0;
        for (Class<?> type : method.getParameterTypes()) {
            if (isContext(type)) contexts++;
            else events++;
        }
        if (events > 1 || contexts > 1) return -1;
        return events * 2 + contexts;
    }

    static Handler resolve(String name, ClassLoader loader) throws NotFound, LoadFailure {
        int separator = name == null ? -1 : name.indexOf("::");
        if (separator <= 0 || separator + 2 >= name.length()) {
            throw new NotFound("invalid handler \"" + name + "\": expected package.Class::method");
        }
        String className = name.substring(0, separator);
        String methodName = name.substring(separator + 2);
        Class<?> type;
        try {
            type = Class.forName(className, false, loader);
        } catch (ClassNotFoundException e) {
            throw new NotFound("the handler class " + className + " was not found in the code folder or its jars");
        } catch (LinkageError e) {
            throw new LoadFailure("the handler class " + className + " cannot be loaded: " + e, e);
        }
        List<Method> candidates = new ArrayList<>();
        for (Method method : type.getMethods()) if (method.getName().equals(methodName)) candidates.add(method);
        if (candidates.isEmpty()) {
            for (Method method : type.getDeclaredMethods()) if (method.getName().equals(methodName)) candidates.add(method);
        }
        if (candidates.isEmpty()) throw new NotFound("the handler class " + className + " has no method " + methodName);
        Method best = null;
        for (Method candidate : candidates) {
            if (candidate.isBridge() || score(candidate) < 0) continue;
            if (best == null || score(candidate) > score(best)) best = candidate;
        }
        if (best == null) {
            throw new NotFound("the handler method " + className + "." + methodName + " must take (event), (event, Context), (Context) or nothing");
        }
        best.setAccessible(true);
        try {
            // Static initialisers run now, at load, as on SCF: their failure is a load failure.
            Class.forName(className, true, loader);
        } catch (ExceptionInInitializerError e) {
            throw new LoadFailure("the handler class " + className + " failed to initialise: " + e.getCause(), e.getCause() != null ? e.getCause() : e);
        } catch (ClassNotFoundException | LinkageError e) {
            throw new LoadFailure("the handler class " + className + " cannot be loaded: " + e, e);
        }
        Object target = null;
        if (!Modifier.isStatic(best.getModifiers())) {
            try {
                Constructor<?> constructor = type.getDeclaredConstructor();
                constructor.setAccessible(true);
                target = constructor.newInstance();
            } catch (NoSuchMethodException e) {
                throw new LoadFailure("the handler class " + className + " needs a constructor without parameters (or make " + methodName + " static)", e);
            } catch (InvocationTargetException e) {
                throw new LoadFailure("the constructor of " + className + " failed: " + e.getCause(), e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new LoadFailure("the handler class " + className + " cannot be created: " + e, e);
            }
        }
        return new Handler(best, target);
    }

    /** Run the handler on one event (JSON text); returns what it returned. */
    Object call(String payload, ScfContext context) throws UserFailure {
        Object[] arguments = new Object[method.getParameterCount()];
        if (contextIndex >= 0) arguments[contextIndex] = context;
        if (eventIndex >= 0) {
            Object event = Json.parse(payload);
            // A String parameter gets a string event's value, and any other event as its JSON text.
            arguments[eventIndex] = eventType == String.class && !(event instanceof String) ? payload : Mapper.fromJson(event, eventType);
        }
        try {
            return method.invoke(target, arguments);
        } catch (InvocationTargetException e) {
            throw new UserFailure(e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot call " + method + ": " + e, e);
        }
    }
}
