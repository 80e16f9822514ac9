package dev.iotcbridge.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What Linux's /proc says about a process: CPU time (utime + stime of /proc/PID/stat, in clock ticks of 10 ms) and
 * memory (VmRSS, VmHWM of /proc/PID/status), and the whole machine's busy time (/proc/stat), so that a run can say how
 * much CPU other processes took from it.
 */
final class ProcStats {

    /** USER_HZ: 100 on every Linux this runs on ({@code getconf CLK_TCK}). */
    private static final double TICK_SECONDS = 0.01;

    private ProcStats() {
    }

    /** CPU seconds the process has used (user + system), to 10 ms. */
    static double cpuSeconds(long pid) {
        String stat = read(Path.of("/proc", Long.toString(pid), "stat"));
        // the command name (field 2) may hold spaces: fields are counted after its closing parenthesis
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long utime = Long.parseLong(f[11]);
        long stime = Long.parseLong(f[12]);
        return (utime + stime) * TICK_SECONDS;
    }

    /** Resident set size now, in MiB. */
    static double rssMiB(long pid) {
        return statusKiB(pid, "VmRSS:") / 1024.0;
    }

    /** Peak resident set size (high-water mark), in MiB. */
    static double peakRssMiB(long pid) {
        return statusKiB(pid, "VmHWM:") / 1024.0;
    }

    /** Busy and total CPU seconds of the whole machine (all cores), from the first line of /proc/stat. */
    static double[] machineSeconds() {
        String first = read(Path.of("/proc/stat")).lines().findFirst().orElseThrow();
        String[] f = first.trim().split("\\s+");
        long total = 0;
        long idle = 0;
        for (int i = 1; i < f.length && i <= 8; i++) {
            long v = Long.parseLong(f[i]);
            total += v;
            if (i == 4 || i == 5) { // idle, iowait
                idle += v;
            }
        }
        return new double[] {(total - idle) * TICK_SECONDS, total * TICK_SECONDS};
    }

    private static long statusKiB(long pid, String field) {
        for (String line : read(Path.of("/proc", Long.toString(pid), "status")).split("\n")) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
            }
        }
        throw new IllegalStateException("no " + field + " in /proc/" + pid + "/status");
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + p + " (the benchmark needs Linux /proc): " + e.getMessage(), e);
        }
    }
}
