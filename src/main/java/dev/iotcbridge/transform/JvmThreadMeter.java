package dev.iotcbridge.transform;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/** {@link ThreadMeter} over the platform ThreadMXBean, with the HotSpot extension for allocated bytes. */
final class JvmThreadMeter implements ThreadMeter {

    static final JvmThreadMeter INSTANCE = new JvmThreadMeter();

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final boolean cpu;
    private final com.sun.management.ThreadMXBean allocation;

    private JvmThreadMeter() {
        boolean cpuOk = false;
        try {
            cpuOk = threads.isCurrentThreadCpuTimeSupported() && threads.isThreadCpuTimeEnabled();
        } catch (UnsupportedOperationException e) {
            // fall back to wall time
        }
        cpu = cpuOk;
        com.sun.management.ThreadMXBean alloc = null;
        if (threads instanceof com.sun.management.ThreadMXBean hotspot) {
            try {
                if (hotspot.isThreadAllocatedMemorySupported() && hotspot.isThreadAllocatedMemoryEnabled()) {
                    alloc = hotspot;
                }
            } catch (UnsupportedOperationException e) {
                // no allocation budget on this JVM
            }
        }
        allocation = alloc;
    }

    @Override
    public long cpuNanos() {
        return cpu ? threads.getCurrentThreadCpuTime() : System.nanoTime();
    }

    @Override
    public long allocatedBytes() {
        return allocation == null ? -1 : allocation.getCurrentThreadAllocatedBytes();
    }
}
