package dev.iotcbridge.net;

import io.netty.handler.codec.http.HttpHeaders;

/**
 * A server's answer: status, headers, and at most the client's body limit of its body (enough for an error
 * description; a success's body is never needed).
 */
public record HttpReply(int status, HttpHeaders headers, byte[] body) {

    public boolean successful() {
        return status >= 200 && status < 300;
    }
}
