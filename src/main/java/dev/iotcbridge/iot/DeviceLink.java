package dev.iotcbridge.iot;

/**
 * What the bridge remembers of one provisioned device: its hub, its hub device id, its key and its current token.
 * Kept small because 100,000 of them live in the cache: the hub is shared, the device id is usually the cache key's
 * own String, and the key is 32 raw bytes. The token is minted lazily and renewed when four fifths of its lifetime
 * have passed, so a message never carries a token about to expire and the hot path signs nothing.
 */
final class DeviceLink {

    final HubEndpoint hub;
    final String deviceId;
    /** The send-event path and query on {@link #hub}, built once here so that the hot path builds none per message. */
    final String events;
    /**
     * Whether a full DPS registration made this link (DPS re-evaluated the assignment), rather than a status lookup
     * (DPS repeated the assignment it had): only the former answers a re-provisioning after a hub failure.
     */
    final boolean registered;
    private final byte[] key;
    private volatile Token token;

    DeviceLink(HubEndpoint hub, String deviceId, byte[] key) {
        this(hub, deviceId, key, false);
    }

    DeviceLink(HubEndpoint hub, String deviceId, byte[] key, boolean registered) {
        this.hub = hub;
        this.registered = registered;
        this.deviceId = deviceId;
        this.events = hub.events(deviceId);
        this.key = key;
    }

    /**
     * The hub token, minted or renewed if due. Two threads may both renew at the boundary; both tokens are valid and
     * the later write wins, which is cheaper than a lock on the hot path.
     */
    String authorization(long nowSeconds, long ttlSeconds) {
        Token t = token;
        if (t == null || nowSeconds >= t.renewAt) {
            long expiry = nowSeconds + ttlSeconds;
            t = new Token(SasToken.forHub(key, hub.name, deviceId, expiry), expiry - ttlSeconds / 5);
            token = t;
        }
        return t.value;
    }

    @Override
    public String toString() {
        return "DeviceLink[" + deviceId + " -> " + hub + "]"; // never the key or the token
    }

    private record Token(String value, long renewAt) {
        @Override
        public String toString() {
            return "Token[hidden]";
        }
    }
}
