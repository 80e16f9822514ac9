package dev.iotcbridge.sim;

/** An answer of the simulator's control API: an HTTP status and a JSON body. */
public record AdminResponse(int status, String json) {

    public static final String CONTENT_TYPE = "application/json; charset=utf-8";
}
