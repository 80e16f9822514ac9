package dev.iotcbridge.error;

/**
 * The operator's side is broken, not the caller's input: a transform that does not compile or fails at run
 * time, a group key that DPS refuses, an unexpected answer from Azure. 500 (or 502 for a peer's nonsense).
 * The message names the problem for the operator; the cause stays in the log, never in the response.
 */
public final class BridgeFaultException extends BridgeException {

    public BridgeFaultException(String safeMessage, Throwable cause) {
        this(500, safeMessage, cause);
    }

    public BridgeFaultException(int status, String safeMessage, Throwable cause) {
        super(checkStatus(status), safeMessage, cause, true);
    }

    @Override
    public boolean retryable() {
        return true;
    }

    private static int checkStatus(int status) {
        if (status < 500 || status > 599) {
            throw new IllegalArgumentException("a fault answers a 5xx, not " + status);
        }
        return status;
    }
}
