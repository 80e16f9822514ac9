package dev.iotcbridge.server;

import dev.iotcbridge.net.OneRequestAtATime;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpExpectationFailedEvent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpUtil;

/**
 * Netty's answer to {@code Expect: 100-continue}, asking the router first: a request the bridge would refuse from its
 * head (401, 404, 405, 413, 417) gets that answer instead of the 100, so the client never sends a body that would be
 * thrown away. A refused request goes no further down the pipeline. One instance per connection.
 */
final class ContinueUnlessRefused extends HttpServerExpectContinueHandler {

    private final RequestRouter router;
    private ChannelHandlerContext ctx;
    /** The answer for the request being refused, between {@link #acceptMessage} and {@link #rejectResponse}. */
    private RequestRouter.Answer refusal;

    ContinueUnlessRefused(RequestRouter router) {
        this.router = router;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /**
     * A head the decoder could not read goes on untouched, to be answered 400 and its connection closed: routing it
     * would answer what its parts seem to ask (a 401 for the key, a 100 for a webhook) or fail on them (a Content-Length
     * that is not a number, which the decoder reported and left in the headers).
     */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof HttpRequest head && head.decoderResult().isFailure()) {
            ctx.fireChannelRead(msg);
            return;
        }
        super.channelRead(ctx, msg);
    }

    @Override
    protected HttpResponse acceptMessage(HttpRequest request) {
        // the router runs again when the request goes on: only for requests with the header, which few clients send
        if (router.route(request) instanceof RequestRouter.Answer refused) {
            refusal = refused;
            return null;
        }
        return super.acceptMessage(request); // a webhook, or the admin route (whose body is read and dropped)
    }

    @Override
    protected HttpResponse rejectResponse(HttpRequest request) {
        RequestRouter.Answer refused = refusal;
        refusal = null;
        // no body follows the refusal: the decoder is told (as Netty's aggregator does) and reads what comes next as
        // the next request; unless it has already read past this head, when telling it now would cut the request
        // after it short: then the refusal closes the connection (WebhookChannelHandler.begin does the same)
        boolean readAhead = OneRequestAtATime.decodedAhead(ctx.pipeline());
        if (!readAhead) {
            ctx.pipeline().fireUserEventTriggered(HttpExpectationFailedEvent.INSTANCE);
        }
        return WebhookChannelHandler.http(refused.response(), readAhead || !HttpUtil.isKeepAlive(request), false,
                HttpMethod.HEAD.equals(request.method()));
    }
}
