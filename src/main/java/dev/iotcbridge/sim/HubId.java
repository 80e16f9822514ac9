package dev.iotcbridge.sim;

/** The simulator's two IoT hubs; IoT Central spreads its devices over (at least) two hubs and fails over between them. */
public enum HubId {
    A, B;

    public HubId other() {
        return this == A ? B : A;
    }
}
