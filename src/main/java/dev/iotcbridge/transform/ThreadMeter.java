package dev.iotcbridge.transform;

import java.lang.management.ManagementFactory;

/** Reads the calling thread's CPU time and allocated bytes; injectable so that tests control time. */
interface ThreadMeter {

    /** CPU time the calling thread has used, in nanoseconds (any origin). */
    long cpuNanos();

    /** Bytes the calling thread has allocated (any origin), or -1 when the JVM does not tell. */
    long allocatedBytes();

    /** The JVM's own per-thread counters (HotSpot); wall time where thread CPU time is not available. */
    static ThreadMeter current() {
        return JvmThreadMeter.INSTANCE;
    }
}
