package dev.iotcbridge.sim;

/**
 * The two error body forms IoT Hub uses (docs/azure-protocol.md §3.5): {@code {"Message":"ErrorCode:DeviceNotFound;…",
 * "ExceptionMessage":"Tracking ID:…"}} or {@code Message} holding a JSON string with the numeric
 * {@code errorCode} (404001). A client must understand both.
 */
public enum HubErrorStyle { NAMED, NUMERIC }
