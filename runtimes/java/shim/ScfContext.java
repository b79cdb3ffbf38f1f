package fngate.shim;

import com.qcloud.scf.runtime.Context;
import java.util.Map;

/**
 * fngate's Context. Beyond the interface, the SPEC §2 context keys are public getters, for functions
 * that cast to it or read it through reflection.
 */
public final class ScfContext implements Context {
    private final Map<String, Object> fields;
    private final long deadline;

    ScfContext(Map<String, Object> fields, long deadline) {
        this.fields = fields;
        this.deadline = deadline;
    }

    private String text(String key) {
        Object value = fields.get(key);
        return value == null ? "" : value.toString();
    }

    private int number(String key) {
        Object value = fields.get(key);
        return value instanceof Number ? ((Number) value).intValue() : 0;
    }

    @Override
    public String getRequestId() {
        return text("request_id");
    }

    @Override
    public int getTimeLimitInMs() {
        return number("time_limit_in_ms");
    }

    @Override
    public int getMemoryLimitInMb() {
        return number("memory_limit_in_mb");
    }

    public String getFunctionName() {
        return text("function_name");
    }

    public String getFunctionVersion() {
        return text("function_version");
    }

    public String getNamespace() {
        return text("namespace");
    }

    public String getTencentcloudRegion() {
        return text("tencentcloud_region");
    }

    public String getTencentcloudAppId() {
        return text("tencentcloud_appid");
    }

    public String getTencentcloudUin() {
        return text("tencentcloud_uin");
    }

    /** Milliseconds until the invocation times out. */
    public long getRemainingTimeInMillis() {
        return Math.max(0, deadline - System.currentTimeMillis());
    }

    @Override
    public String toString() {
        return "ScfContext" + fields;
    }
}
