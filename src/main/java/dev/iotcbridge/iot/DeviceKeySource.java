package dev.iotcbridge.iot;

/** Where a device's key comes from: an enrollment-group key, by the derivation of docs/azure-protocol.md §1.1. */
@FunctionalInterface
interface DeviceKeySource {

    /** The raw 32-byte device key for this exact registration id (case matters). */
    byte[] deviceKey(String registrationId);
}
