package dev.iotcbridge.downlink;

/**
 * Why a received command is not sent. {@link #permanent()} decides its fate: a command that can never succeed (it
 * cannot be encoded, does not fit the network, the cloud refused it) is rejected, so IoT Hub dead-letters it and it is
 * never retried; one that may succeed later (the cloud is down, the mapping is being fixed) is abandoned and comes
 * back with a later uplink, at most IoT Hub's max delivery count times.
 */
final class Undeliverable extends Exception {

    private static final long serialVersionUID = 1L;
    private final boolean permanent;

    private Undeliverable(String reason, boolean permanent) {
        super(reason, null, false, false);
        this.permanent = permanent;
    }

    static Undeliverable never(String reason) {
        return new Undeliverable(reason, true);
    }

    static Undeliverable notNow(String reason) {
        return new Undeliverable(reason, false);
    }

    boolean permanent() {
        return permanent;
    }
}
