package dev.iotcbridge.net;

import io.netty.handler.codec.http.HttpHeaders;

/**
 * The response a {@link PooledHttpClient} received: status, headers, and the body up to the request's answer limit
 * (an error description, or the body that is the point, such as a cloud-to-device message's).
 */
public record ReceivedResponse(int status, HttpHeaders headers, byte[] body) {

    public boolean successful() {
        return status >= 200 && status < 300;
    }
}
