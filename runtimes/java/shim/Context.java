package com.qcloud.scf.runtime;

/**
 * The context of an invocation, as SCF's Java runtime passes it (com.qcloud.scf.runtime.Context from
 * com.tencentcloudapi:scf-java-events). fngate provides the interface itself, so functions compiled
 * against that jar run unchanged; a copy of it inside the function's own jars is shadowed by this one.
 */
public interface Context {
    String getRequestId();

    int getTimeLimitInMs();

    int getMemoryLimitInMb();
}
