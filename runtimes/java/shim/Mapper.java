package fngate.shim;

import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Java values to and from the JSON model (Json.java), the way SCF documents Java handlers: Java basic
 * types and their wrappers, String, Map, List, arrays, enums and POJOs (read through public getters or
 * public fields, filled through public setters or fields). Reflection results are cached per class.
 */
final class Mapper {
    private Mapper() {}

    /** How a POJO class is read and written, found once per class. */
    private static final class Pojo {
        /** Readable properties in declaration order: a getter, or the field itself. */
        final Map<String, Object> readers = new LinkedHashMap<>();
        /** Writable properties by lower-case name: a setter, or the field itself. */
        final Map<String, Object> writers = new HashMap<>();
        Constructor<?> constructor;
    }

    private static final Map<Class<?>, Pojo> POJOS = new HashMap<>();

    // ---- Java → JSON model ----

    static Object toJson(Object value) {
        return toJson(value, 0);
    }

    private static Object toJson(Object value, int depth) {
        if (depth > Json.MAX_DEPTH) throw new IllegalArgumentException("the result is nested more than " + Json.MAX_DEPTH + " levels deep (a cycle?)");
        if (value == null || value instanceof String || value instanceof Boolean) return value;
        if (value instanceof Number) {
            if (value instanceof Byte || value instanceof Short || value instanceof Integer) return ((Number) value).longValue();
            if (value instanceof Long || value instanceof Double || value instanceof Float || value instanceof BigInteger || value instanceof BigDecimal) return value;
            return new BigDecimal(value.toString());
        }
        if (value instanceof CharSequence || value instanceof Character) return value.toString();
        if (value instanceof Enum) return ((Enum<?>) value).name();
        if (value instanceof Optional) return toJson(((Optional<?>) value).orElse(null), depth + 1);
        if (value instanceof Map) {
            Map<String, Object> map = new LinkedHashMap<>();
            for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
                Object key = entry.getKey();
                map.put(key instanceof Enum ? ((Enum<?>) key).name() : String.valueOf(key), toJson(entry.getValue(), depth + 1));
            }
            return map;
        }
        if (value instanceof Iterable) {
            List<Object> list = new ArrayList<>();
            for (Object item : (Iterable<?>) value) list.add(toJson(item, depth + 1));
            return list;
        }
        if (value.getClass().isArray()) {
            int length = Array.getLength(value);
            List<Object> list = new ArrayList<>(length);
            for (int i = 0; i < length; i++) list.add(toJson(Array.get(value, i), depth + 1));
            return list;
        }
        if (value instanceof java.util.Date) return ((java.util.Date) value).toInstant().toString();
        String className = value.getClass().getName();
        if (className.startsWith("java.time.") || value instanceof java.util.UUID || value instanceof java.net.URI) return value.toString();
        if (value instanceof Class) return ((Class<?>) value).getName();
        Map<String, Object> object = new LinkedHashMap<>();
        for (Map.Entry<String, Object> property : pojo(value.getClass()).readers.entrySet()) {
            object.put(property.getKey(), toJson(read(property.getValue(), value), depth + 1));
        }
        return object;
    }

    private static Object read(Object reader, Object target) {
        try {
            return reader instanceof Method ? ((Method) reader).invoke(target) : ((Field) reader).get(target);
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("cannot read " + reader + ": " + e, e.getCause() != null ? e.getCause() : e);
        }
    }

    // ---- JSON model → Java ----

    static Object fromJson(Object json, Type type) {
        return fromJson(json, type, 0);
    }

    private static Object fromJson(Object json, Type type, int depth) {
        if (depth > Json.MAX_DEPTH) throw new IllegalArgumentException("the event is nested too deep");
        Class<?> raw = rawClass(type);
        if (raw.isPrimitive()) {
            if (json == null) return primitiveDefault(raw);
            return scalar(json, raw);
        }
        if (json == null) return null;
        if (raw == Object.class) return json;
        if (raw == String.class || raw == CharSequence.class) return json instanceof String ? json : Json.write(json, false);
        if (Number.class.isAssignableFrom(raw) || raw == Boolean.class || raw == Character.class) return scalar(json, raw);
        if (raw.isEnum()) return enumValue(raw, json);
        if (raw == Optional.class) return Optional.ofNullable(fromJson(json, typeArgument(type, 0), depth + 1));
        if (raw.isArray()) {
            Type component = type instanceof GenericArrayType ? ((GenericArrayType) type).getGenericComponentType() : raw.getComponentType();
            List<?> list = expect(json, List.class, type);
            Object array = Array.newInstance(rawClass(component), list.size());
            for (int i = 0; i < list.size(); i++) Array.set(array, i, fromJson(list.get(i), component, depth + 1));
            return array;
        }
        if (Map.class.isAssignableFrom(raw)) {
            Map<?, ?> source = expect(json, Map.class, type);
            Map<Object, Object> map = newMap(raw);
            Type keyType = typeArgument(type, 0);
            Type valueType = typeArgument(type, 1);
            for (Map.Entry<?, ?> entry : source.entrySet()) {
                map.put(fromJson(entry.getKey(), keyType, depth + 1), fromJson(entry.getValue(), valueType, depth + 1));
            }
            return map;
        }
        if (Collection.class.isAssignableFrom(raw) || raw == Iterable.class) {
            List<?> source = expect(json, List.class, type);
            Collection<Object> collection = newCollection(raw);
            Type elementType = typeArgument(type, 0);
            for (Object item : source) collection.add(fromJson(item, elementType, depth + 1));
            return collection;
        }
        Map<?, ?> source = expect(json, Map.class, type);
        Pojo pojo = pojo(raw);
        if (pojo.constructor == null) throw new IllegalArgumentException(raw.getName() + " has no constructor without parameters to create it from JSON");
        Object target;
        try {
            target = pojo.constructor.newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("cannot create " + raw.getName() + ": " + e, e.getCause() != null ? e.getCause() : e);
        }
        for (Map.Entry<?, ?> entry : source.entrySet()) {
            Object writer = pojo.writers.get(String.valueOf(entry.getKey()).toLowerCase(Locale.ROOT));
            if (writer == null) continue;
            try {
                if (writer instanceof Method) {
                    Method setter = (Method) writer;
                    setter.invoke(target, fromJson(entry.getValue(), setter.getGenericParameterTypes()[0], depth + 1));
                } else {
                    Field field = (Field) writer;
                    field.set(target, fromJson(entry.getValue(), field.getGenericType(), depth + 1));
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalArgumentException("cannot set " + entry.getKey() + " of " + raw.getName() + ": " + e, e.getCause() != null ? e.getCause() : e);
            } catch (IllegalArgumentException e) {
                // Name the property: "Person.tags: cannot convert a string to java.util.List<…>".
                throw new IllegalArgumentException(raw.getSimpleName() + "." + entry.getKey() + ": " + e.getMessage(), e);
            }
        }
        return target;
    }

    @SuppressWarnings("unchecked")
    private static <T> T expect(Object json, Class<T> kind, Type target) {
        if (!kind.isInstance(json)) {
            String what = kind == List.class ? "an array" : "an object";
            throw new IllegalArgumentException("cannot convert " + describe(json) + " to " + target.getTypeName() + ": expected " + what);
        }
        return (T) json;
    }

    private static String describe(Object json) {
        if (json instanceof Map) return "an object";
        if (json instanceof List) return "an array";
        if (json instanceof String) return "a string";
        if (json instanceof Boolean) return "a boolean";
        if (json instanceof Number) return "a number";
        return "null";
    }

    private static Object scalar(Object json, Class<?> type) {
        if (type == boolean.class || type == Boolean.class) {
            if (json instanceof Boolean) return json;
            if (json instanceof String) return Boolean.parseBoolean((String) json);
        } else if (type == char.class || type == Character.class) {
            String text = json.toString();
            if (text.length() == 1) return text.charAt(0);
        } else {
            BigDecimal number;
            try {
                number = json instanceof Number ? new BigDecimal(json.toString()) : json instanceof String ? new BigDecimal(((String) json).trim()) : null;
            } catch (NumberFormatException e) {
                number = null;
            }
            if (number != null) {
                if (type == int.class || type == Integer.class) return number.intValue();
                if (type == long.class || type == Long.class) return number.longValue();
                if (type == double.class || type == Double.class) return number.doubleValue();
                if (type == float.class || type == Float.class) return number.floatValue();
                if (type == short.class || type == Short.class) return number.shortValue();
                if (type == byte.class || type == Byte.class) return number.byteValue();
                if (type == BigDecimal.class || type == Number.class) return number;
                if (type == BigInteger.class) return number.toBigInteger();
            }
        }
        throw new IllegalArgumentException("cannot convert " + describe(json) + " to " + type.getName());
    }

    private static Object primitiveDefault(Class<?> type) {
        if (type == boolean.class) return false;
        if (type == char.class) return '\0';
        return scalar(0L, type);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object enumValue(Class<?> type, Object json) {
        try {
            return Enum.valueOf((Class) type, json.toString());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("no constant " + json + " in " + type.getName());
        }
    }

    private static Map<Object, Object> newMap(Class<?> type) {
        if (type.isInterface() || Modifier.isAbstract(type.getModifiers())) {
            return java.util.SortedMap.class.isAssignableFrom(type) ? new TreeMap<>() : new LinkedHashMap<>();
        }
        return instantiate(type);
    }

    private static Collection<Object> newCollection(Class<?> type) {
        if (type.isInterface() || Modifier.isAbstract(type.getModifiers())) {
            if (SortedSet.class.isAssignableFrom(type)) return new TreeSet<>();
            if (Set.class.isAssignableFrom(type)) return new LinkedHashSet<>();
            return new ArrayList<>();
        }
        return instantiate(type);
    }

    @SuppressWarnings("unchecked")
    private static <T> T instantiate(Class<?> type) {
        try {
            return (T) type.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("cannot create " + type.getName() + ": " + e);
        }
    }

    static Class<?> rawClass(Type type) {
        if (type instanceof Class) return (Class<?>) type;
        if (type instanceof ParameterizedType) return rawClass(((ParameterizedType) type).getRawType());
        if (type instanceof GenericArrayType) return Array.newInstance(rawClass(((GenericArrayType) type).getGenericComponentType()), 0).getClass();
        if (type instanceof WildcardType) return rawClass(((WildcardType) type).getUpperBounds()[0]);
        if (type instanceof TypeVariable) return rawClass(((TypeVariable<?>) type).getBounds()[0]);
        return Object.class;
    }

    private static Type typeArgument(Type type, int index) {
        if (type instanceof ParameterizedType) {
            Type[] arguments = ((ParameterizedType) type).getActualTypeArguments();
            if (index < arguments.length) return arguments[index];
        }
        return Object.class;
    }

    // ---- POJO introspection ----

    private static Pojo pojo(Class<?> type) {
        Pojo cached = POJOS.get(type);
        if (cached != null) return cached;
        Pojo pojo = new Pojo();
        Map<String, Method> getters = new LinkedHashMap<>();
        Map<String, Method> setters = new HashMap<>();
        for (Method method : type.getMethods()) {
            if (Modifier.isStatic(method.getModifiers()) || method.getDeclaringClass() == Object.class || method.isBridge()) continue;
            String name = method.getName();
            int parameters = method.getParameterCount();
            if (parameters == 0 && method.getReturnType() != void.class) {
                if (name.startsWith("get") && name.length() > 3) getters.putIfAbsent(decapitalize(name.substring(3)), method);
                else if (name.startsWith("is") && name.length() > 2 && (method.getReturnType() == boolean.class || method.getReturnType() == Boolean.class)) {
                    getters.putIfAbsent(decapitalize(name.substring(2)), method);
                }
            } else if (parameters == 1 && name.startsWith("set") && name.length() > 3) {
                setters.putIfAbsent(name.substring(3).toLowerCase(Locale.ROOT), method);
            }
        }
        Map<String, Method> gettersByLowerName = new HashMap<>();
        for (Map.Entry<String, Method> getter : getters.entrySet()) gettersByLowerName.put(getter.getKey().toLowerCase(Locale.ROOT), getter.getValue());
        // Fields first, superclass before subclass, in declaration order: the order a reader expects.
        List<Class<?>> hierarchy = new ArrayList<>();
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) hierarchy.add(0, c);
        Set<Method> used = new LinkedHashSet<>();
        for (Class<?> c : hierarchy) {
            for (Field field : c.getDeclaredFields()) {
                int modifiers = field.getModifiers();
                if (Modifier.isStatic(modifiers) || Modifier.isTransient(modifiers) || field.isSynthetic()) continue;
                String lower = field.getName().toLowerCase(Locale.ROOT);
                Method getter = gettersByLowerName.get(lower);
                if (getter == null) getter = recordAccessor(type, field);
                boolean publicField = Modifier.isPublic(modifiers) && Modifier.isPublic(c.getModifiers());
                if (getter != null) {
                    used.add(getter);
                    pojo.readers.putIfAbsent(field.getName(), accessible(getter));
                } else if (publicField) {
                    pojo.readers.putIfAbsent(field.getName(), accessible(field));
                }
                // Like Gson, a field without a setter is filled directly, whatever its visibility.
                Method setter = setters.get(lower);
                if (setter != null) pojo.writers.putIfAbsent(lower, accessible(setter));
                else if (!Modifier.isFinal(modifiers)) pojo.writers.putIfAbsent(lower, accessible(field));
            }
        }
        for (Map.Entry<String, Method> getter : getters.entrySet()) {
            if (!used.contains(getter.getValue())) pojo.readers.putIfAbsent(getter.getKey(), accessible(getter.getValue()));
        }
        for (Map.Entry<String, Method> setter : setters.entrySet()) pojo.writers.putIfAbsent(setter.getKey(), accessible(setter.getValue()));
        try {
            pojo.constructor = accessible(type.getDeclaredConstructor());
        } catch (NoSuchMethodException e) {
            pojo.constructor = null;
        }
        POJOS.put(type, pojo);
        return pojo;
    }

    /** A record's accessor (`name()`), or any public no-argument method named like the field. */
    private static Method recordAccessor(Class<?> type, Field field) {
        try {
            Method method = type.getMethod(field.getName());
            return method.getReturnType() != void.class && !Modifier.isStatic(method.getModifiers()) ? method : null;
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    /**
     * The member, made accessible where possible: a public method of a non-public class needs it too.
     * Where the module system refuses, using the member reports why.
     */
    private static <T extends java.lang.reflect.AccessibleObject> T accessible(T member) {
        try {
            member.setAccessible(true);
        } catch (RuntimeException e) {
            // Not accessible: reading or writing it fails with a message naming it.
        }
        return member;
    }

    private static String decapitalize(String name) {
        if (name.length() > 1 && Character.isUpperCase(name.charAt(0)) && Character.isUpperCase(name.charAt(1))) return name;
        return Character.toLowerCase(name.charAt(0)) + name.substring(1);
    }
}
