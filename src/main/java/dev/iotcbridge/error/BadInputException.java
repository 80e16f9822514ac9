package dev.iotcbridge.error;

/**
 * The caller's input cannot be used: 400 (bad body or message), 404 (unknown route), 413 (too large),
 * 415 (content type). Sending the same input again will fail the same way.
 */
public final class BadInputException extends BridgeException {

    public BadInputException(int status, String safeMessage) {
        super(checkStatus(status), safeMessage, null, false);
    }

    public static BadInputException badRequest(String safeMessage) {
        return new BadInputException(400, safeMessage);
    }

    private static int checkStatus(int status) {
        if (status < 400 || status > 499 || status == 403 || status == 429) {
            throw new IllegalArgumentException("a bad input answers a 4xx other than 403 and 429, not " + status);
        }
        return status;
    }
}
