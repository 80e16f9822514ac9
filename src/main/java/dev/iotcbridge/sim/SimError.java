package dev.iotcbridge.sim;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * An error as IoT Hub and DPS report it: HTTP status, six-digit error code, the code's name (what the hub puts
 * in {@code ErrorCode:<Name>}) and a message. The body's shape depends on who answers (see {@link ErrorBodies}).
 *
 * @param retryAfterSeconds sent as {@code Retry-After} when present
 */
public record SimError(int status, int code, String name, String message, OptionalInt retryAfterSeconds) {

    public SimError {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(retryAfterSeconds, "retryAfterSeconds");
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("an error status is 4xx or 5xx, not " + status);
        }
    }

    public static SimError of(int status, int code, String name, String message) {
        return new SimError(status, code, name, message, OptionalInt.empty());
    }

    public SimError withRetryAfter(int seconds) {
        if (seconds < 0) {
            throw new IllegalArgumentException("Retry-After is at least 0 seconds");
        }
        return new SimError(status, code, name, message, OptionalInt.of(seconds));
    }

    public SimError withMessage(String text) {
        return new SimError(status, code, name, text, retryAfterSeconds);
    }

    public static SimError argumentInvalid(String message) {
        return of(400, 400004, "ArgumentInvalid", message);
    }

    public static SimError unauthorized() {
        return of(401, 401002, "IotHubUnauthorizedAccess", "Unauthorized");
    }

    /**
     * 401003 IotHubUnauthorized, the hub's answer for a device IoT Central disabled ({@code DEVICE_DISABLED}) or an
     * operator blocked ({@code DEVICE_BLOCKED}); IoT Central documents those names as the error's sub-code
     * (docs/azure-protocol.md §3.5), so the message carries them.
     */
    public static SimError iotHubUnauthorized(String subCode) {
        return of(401, 401003, "IotHubUnauthorized", subCode);
    }

    /**
     * DPS's refusal of a device that is blocked or waits for an operator's approval: {@code 401} with error code
     * 400209, as IoT Central documents it (docs/azure-protocol.md §2.6).
     */
    public static SimError deviceRefusedByDps() {
        return of(401, 400209, "Unauthorized",
                "The device is either waiting for approval by an operator or has been blocked by an operator.");
    }

    /**
     * DPS's answer when no provisioning service has the ID scope of the path: 404, "the Device Provisioning Service
     * instance ... doesn't exist" (docs/azure-protocol.md §2.6). No six-digit code for it is documented; this one is
     * the generic not-found code, so a client must decide by the HTTP status.
     */
    public static SimError unknownIdScope() {
        return of(404, 404000, "NotFound", "The Device Provisioning Service instance does not exist (unknown ID scope).");
    }

    public static SimError quotaExceeded() {
        return of(403, 403002, "IotHubQuotaExceeded", "Total number of messages on IotHub exceeded the allocated quota.");
    }

    public static SimError deviceDisabled() {
        return of(403, 403012, "DeviceDisabled", "The device is disabled.");
    }

    public static SimError deviceNotFound() {
        return of(404, 404001, "DeviceNotFound", "The device is not registered in this hub.");
    }

    public static SimError failingOver() {
        return of(404, 404012, "IotHubFailingOver", "The IoT hub is failing over.");
    }

    public static SimError messageTooLarge() {
        return of(413, 413001, "MessageTooLarge", "Message size exceeds the 256 KB limit.");
    }

    /** A cloud-to-device settlement whose lock expired or was never given (docs/azure-protocol.md §4). */
    public static SimError lockLost() {
        return of(412, 412002, "DeviceMessageLockLost", "The lock token for the cloud-to-device message has expired or is unknown.");
    }

    /** 429 without Retry-After (whether the hub sends one is unverified, so both forms exist). */
    public static SimError throttled() {
        return of(429, 429001, "ThrottlingException", "Rate limit exceeded.");
    }

    public static SimError throttled(int retryAfterSeconds) {
        return throttled().withRetryAfter(retryAfterSeconds);
    }

    public static SimError serverError() {
        return of(500, 500001, "ServerError", "Internal server error.");
    }

    public static SimError serviceUnavailable() {
        return of(503, 503001, "ServiceUnavailable", "The service is unavailable.");
    }

    public static SimError serverBusy() {
        return of(503, 503005, "ServerBusy", "The server is busy.");
    }

    /** The error for a six-digit code (for the HTTP control API), e.g. 429001. */
    public static SimError ofCode(int code) {
        return switch (code) {
            case 400004 -> argumentInvalid("Invalid argument.");
            case 401002 -> unauthorized();
            case 401003 -> iotHubUnauthorized("Unauthorized");
            case 403002 -> quotaExceeded();
            case 403012 -> deviceDisabled();
            case 404001 -> deviceNotFound();
            case 404012 -> failingOver();
            case 413001 -> messageTooLarge();
            case 429001 -> throttled();
            case 500001 -> serverError();
            case 503001 -> serviceUnavailable();
            case 503005 -> serverBusy();
            default -> throw new IllegalArgumentException("unknown error code " + code
                    + "; known: 400004 401002 401003 403002 403012 404001 404012 413001 429001 500001 503001 503005");
        };
    }
}
