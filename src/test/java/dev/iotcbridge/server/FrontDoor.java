package dev.iotcbridge.server;

import dev.iotcbridge.bridge.WebhookHandler;
import dev.iotcbridge.config.Secret;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.Optional;

/**
 * One local-server connection's pipeline ({@link LocalServer#initConnection}, exactly what a socket gets) on an
 * {@link EmbeddedChannel}, for tests outside this package (the fuzz targets): the pipeline's parts are package-private.
 */
public final class FrontDoor {

    /** The server's own timeouts: a body that stops for 60 s is answered 408, a quiet connection closes after 2 min. */
    public static final Duration REQUEST_TIMEOUT = LocalServer.REQUEST_TIMEOUT;
    public static final Duration IDLE_TIMEOUT = LocalServer.IDLE_TIMEOUT;

    private FrontDoor() {
    }

    /**
     * A connection of a server with this handler, body limit and function key, no admin route, whose blocking work runs
     * on the calling thread.
     *
     * @param spy placed right after the HTTP codec, so it sees every request as decoded, before anything holds it back
     */
    public static EmbeddedChannel connection(WebhookHandler handler, int maxBodyBytes, Optional<Secret> functionKey,
                                             ChannelHandler spy) {
        WebhookChannelHandler.Shared shared = new WebhookChannelHandler.Shared(
                new RequestRouter(functionKey, maxBodyBytes, false), handler, Optional.empty(), Runnable::run,
                REQUEST_TIMEOUT.toNanos());
        EmbeddedChannel channel = new EmbeddedChannel();
        LocalServer.initConnection(channel.pipeline(), shared, IDLE_TIMEOUT);
        channel.pipeline().addAfter("http", "spy", spy);
        return channel;
    }
}
