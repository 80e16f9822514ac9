package dev.iotcbridge.downlink;

import java.util.Optional;

/** An offer the bridge can serve: checked, with the secret its request needs and the hosts it may call. */
record PreparedOffer(String deviceId, DownlinkOffer offer, Optional<String> secret, int port, DownlinkHosts hosts) {
    @Override
    public String toString() {
        return "PreparedOffer[" + deviceId + " " + offer + "]"; // never the secret
    }
}
