package dev.iotcbridge.sim;

/**
 * How the simulated DPS refuses a device an operator blocked, has not approved yet, or disabled
 * (docs/azure-protocol.md §2.6). IoT Central's troubleshooting page documents the refusal as {@code 401 Unauthorized}
 * with error code 400209; DPS's own operation status also has a {@code failed} form carrying 400209 (and a
 * {@code disabled} status), which clients in the field have met as well. A client must understand both.
 */
public enum DpsRefusal {
    /** The register call (and a status lookup) is answered {@code 401} with {@code "errorCode": 400209}. */
    UNAUTHORIZED,
    /**
     * The register call is accepted (202) and the operation ends {@code failed} with {@code registrationState.errorCode}
     * 400209 for a blocked device, or with status {@code disabled} for a disabled one.
     */
    FAILED_STATUS
}
