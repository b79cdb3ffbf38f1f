package fngate.shim;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON text to and from its plain model: Map (insertion-ordered), List, String, Long or BigInteger,
 * Double or BigDecimal, Boolean, null. Standard library only: the shim loads nothing it does not ship.
 */
final class Json {
    /** Nesting deeper than this is refused rather than overflowing the stack. */
    static final int MAX_DEPTH = 1000;

    private Json() {}

    static Object parse(String text) {
        Parser parser = new Parser(text);
        parser.skipWhitespace();
        Object value = parser.value(0);
        parser.skipWhitespace();
        if (parser.pos < text.length()) throw parser.error("unexpected text after the value");
        return value;
    }

    /** JSON text of a model value; `ascii` escapes everything outside ASCII (lone surrogates survive). */
    static String write(Object value, boolean ascii) {
        StringBuilder out = new StringBuilder();
        write(out, value, ascii, 0);
        return out.toString();
    }

    static void write(StringBuilder out, Object value, boolean ascii, int depth) {
        if (depth > MAX_DEPTH) throw new IllegalArgumentException("the value is nested more than " + MAX_DEPTH + " levels deep (a cycle?)");
        if (value == null) {
            out.append("null");
        } else if (value instanceof String) {
            string(out, (String) value, ascii);
        } else if (value instanceof Boolean) {
            out.append(value.toString());
        } else if (value instanceof Double || value instanceof Float) {
            double number = ((Number) value).doubleValue();
            if (Double.isNaN(number) || Double.isInfinite(number)) throw new IllegalArgumentException(number + " is not a JSON number");
            out.append(value instanceof Float ? Float.toString((Float) value) : Double.toString(number));
        } else if (value instanceof Number) {
            out.append(value.toString());
        } else if (value instanceof Map) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
                if (!first) out.append(',');
                first = false;
                string(out, String.valueOf(entry.getKey()), ascii);
                out.append(':');
                write(out, entry.getValue(), ascii, depth + 1);
            }
            out.append('}');
        } else if (value instanceof List) {
            out.append('[');
            boolean first = true;
            for (Object item : (List<?>) value) {
                if (!first) out.append(',');
                first = false;
                write(out, item, ascii, depth + 1);
            }
            out.append(']');
        } else {
            throw new IllegalArgumentException("not a JSON model value: " + value.getClass().getName());
        }
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    static void string(StringBuilder out, String text, boolean ascii) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                case '\b': out.append("\\b"); break;
                case '\f': out.append("\\f"); break;
                default:
                    if (c < 0x20 || (ascii && c > 0x7e) || (c >= 0xd800 && c <= 0xdfff && !pairedSurrogate(text, i))) {
                        out.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 15]).append(HEX[(c >> 4) & 15]).append(HEX[c & 15]);
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }

    /** Whether the surrogate at `i` is half of a valid pair (UTF-8 can carry it raw; a lone one must be escaped). */
    private static boolean pairedSurrogate(String text, int i) {
        char c = text.charAt(i);
        if (Character.isHighSurrogate(c)) return i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
        return i > 0 && Character.isHighSurrogate(text.charAt(i - 1));
    }

    private static final class Parser {
        final String text;
        int pos;

        Parser(String text) {
            this.text = text;
        }

        IllegalArgumentException error(String message) {
            return new IllegalArgumentException("invalid JSON at offset " + pos + ": " + message);
        }

        void skipWhitespace() {
            while (pos < text.length()) {
                char c = text.charAt(pos);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
                pos++;
            }
        }

        Object value(int depth) {
            if (depth > MAX_DEPTH) throw error("nested more than " + MAX_DEPTH + " levels deep");
            if (pos >= text.length()) throw error("unexpected end");
            char c = text.charAt(pos);
            switch (c) {
                case '{': return object(depth);
                case '[': return array(depth);
                case '"': return string();
                case 't': return literal("true", Boolean.TRUE);
                case 'f': return literal("false", Boolean.FALSE);
                case 'n': return literal("null", null);
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) return number();
                    throw error("unexpected character '" + c + "'");
            }
        }

        Object literal(String word, Object value) {
            if (!text.startsWith(word, pos)) throw error("expected " + word);
            pos += word.length();
            return value;
        }

        Map<String, Object> object(int depth) {
            Map<String, Object> map = new LinkedHashMap<>();
            pos++;
            skipWhitespace();
            if (pos < text.length() && text.charAt(pos) == '}') {
                pos++;
                return map;
            }
            while (true) {
                skipWhitespace();
                if (pos >= text.length() || text.charAt(pos) != '"') throw error("expected a key");
                String key = string();
                skipWhitespace();
                expect(':');
                skipWhitespace();
                map.put(key, value(depth + 1));
                skipWhitespace();
                if (pos < text.length() && text.charAt(pos) == ',') {
                    pos++;
                    continue;
                }
                expect('}');
                return map;
            }
        }

        List<Object> array(int depth) {
            List<Object> list = new ArrayList<>();
            pos++;
            skipWhitespace();
            if (pos < text.length() && text.charAt(pos) == ']') {
                pos++;
                return list;
            }
            while (true) {
                skipWhitespace();
                list.add(value(depth + 1));
                skipWhitespace();
                if (pos < text.length() && text.charAt(pos) == ',') {
                    pos++;
                    continue;
                }
                expect(']');
                return list;
            }
        }

        void expect(char c) {
            if (pos >= text.length() || text.charAt(pos) != c) throw error("expected '" + c + "'");
            pos++;
        }

        String string() {
            pos++;
            StringBuilder out = null;
            int start = pos;
            while (true) {
                if (pos >= text.length()) throw error("unterminated string");
                char c = text.charAt(pos);
                if (c == '"') {
                    String result = out == null ? text.substring(start, pos) : out.append(text, start, pos).toString();
                    pos++;
                    return result;
                }
                if (c < 0x20) throw error("control character in a string");
                if (c != '\\') {
                    pos++;
                    continue;
                }
                if (out == null) out = new StringBuilder();
                out.append(text, start, pos);
                pos++;
                if (pos >= text.length()) throw error("unterminated escape");
                char escaped = text.charAt(pos++);
                switch (escaped) {
                    case '"': out.append('"'); break;
                    case '\\': out.append('\\'); break;
                    case '/': out.append('/'); break;
                    case 'b': out.append('\b'); break;
                    case 'f': out.append('\f'); break;
                    case 'n': out.append('\n'); break;
                    case 'r': out.append('\r'); break;
                    case 't': out.append('\t'); break;
                    case 'u':
                        if (pos + 4 > text.length()) throw error("short \\u escape");
                        try {
                            out.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
                        } catch (NumberFormatException e) {
                            throw error("bad \\u escape");
                        }
                        pos += 4;
                        break;
                    default:
                        throw error("bad escape \\" + escaped);
                }
                start = pos;
            }
        }

        Object number() {
            int start = pos;
            if (text.charAt(pos) == '-') pos++;
            int digits = pos;
            while (pos < text.length() && Character.isDigit(text.charAt(pos))) pos++;
            if (pos == digits) throw error("expected a digit");
            if (text.charAt(digits) == '0' && pos - digits > 1) throw error("leading zero");
            boolean integral = true;
            if (pos < text.length() && text.charAt(pos) == '.') {
                integral = false;
                pos++;
                int fraction = pos;
                while (pos < text.length() && Character.isDigit(text.charAt(pos))) pos++;
                if (pos == fraction) throw error("expected a digit after '.'");
            }
            if (pos < text.length() && (text.charAt(pos) == 'e' || text.charAt(pos) == 'E')) {
                integral = false;
                pos++;
                if (pos < text.length() && (text.charAt(pos) == '+' || text.charAt(pos) == '-')) pos++;
                int exponent = pos;
                while (pos < text.length() && Character.isDigit(text.charAt(pos))) pos++;
                if (pos == exponent) throw error("expected an exponent");
            }
            String literal = text.substring(start, pos);
            if (integral) {
                if (pos - start <= 18) return Long.parseLong(literal);
                BigInteger big = new BigInteger(literal);
                return big.bitLength() < 64 ? (Object) big.longValue() : big;
            }
            double value = Double.parseDouble(literal);
            // A decimal that a double cannot hold (huge exponents) keeps its digits.
            return Double.isInfinite(value) ? (Object) new BigDecimal(literal) : (Object) value;
        }
    }
}
