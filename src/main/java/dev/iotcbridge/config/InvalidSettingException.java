package dev.iotcbridge.config;

/** A setting is missing or malformed; the message names the setting, the rule and (unless secret) the value. */
public final class InvalidSettingException extends IllegalArgumentException {
    public InvalidSettingException(String message) {
        super(message);
    }
}
