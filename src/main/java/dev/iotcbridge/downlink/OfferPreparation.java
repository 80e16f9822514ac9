package dev.iotcbridge.downlink;

import static dev.iotcbridge.downlink.DownlinkLines.error;
import static dev.iotcbridge.downlink.DownlinkLines.line;

import dev.iotcbridge.config.Settings;
import dev.iotcbridge.transform.RouteDownlinks;
import dev.iotcbridge.transform.RouteTransform;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * Everything about an offer that can be checked before a command is received: its shape, the host it would call,
 * the secret it needs. An offer that fails here is logged and dropped, and its command stays queued in the hub.
 */
final class OfferPreparation {

    private final Settings settings;

    OfferPreparation(Settings settings) {
        this.settings = settings;
    }

    List<PreparedOffer> prepare(RouteTransform route, List<DownlinkStep.Offer> offers,
                                Function<String, Optional<String>> header,
                                Map<String, String> query, Logger log) {
        List<PreparedOffer> ready = new ArrayList<>(offers.size());
        Set<String> devices = new HashSet<>();
        boolean answerTaken = false;
        int port = defaultPort(settings, route, query);
        for (DownlinkStep.Offer o : offers) {
            if (!devices.add(o.deviceId())) {
                continue; // one receive per device per call
            }
            DownlinkOffer offer;
            try {
                offer = DownlinkOffer.parse(o.downlink());
            } catch (DownlinkOffer.Invalid e) {
                log.warning(() -> "route=" + route.route() + " device=" + o.deviceId() + " downlink=ignored" + error(e.getMessage()));
                continue;
            }
            if (offer.kind() == DownlinkOffer.Kind.ANSWER) {
                if (answerTaken) {
                    log.fine(() -> "route=" + route.route() + " device=" + o.deviceId()
                            + " downlink=none reason=\"the call's answer already carries another device's downlink\"");
                    continue;
                }
                answerTaken = true;
            }
            prepareOne(route, o.deviceId(), offer, header, port, log).ifPresent(ready::add);
        }
        return ready;
    }

    Optional<PreparedOffer> prepareOne(RouteTransform route, String deviceId, DownlinkOffer offer,
                                           Function<String, Optional<String>> header, int port, Logger log) {
        RouteDownlinks downlinks = route.downlinks();
        if (downlinks.mappingProblem().isPresent()) {
            log.warning(() -> line(route, deviceId, "refused") + error(downlinks.mappingProblem().get()));
            return Optional.empty();
        }
        Map<String, String> appSettings = settings.routeSettings(route.route());
        DownlinkHosts hosts = DownlinkHosts.of(appSettings, downlinks.defaultHosts(), settings.allowHttp());
        Optional<String> secret = Optional.empty();
        if (offer.request().isPresent()) {
            DownlinkOffer.Request r = offer.request().get();
            try {
                // the host is known before any command is: a URL the bridge would refuse is never received for
                hosts.check(DownlinkTemplate.renderUrl(r.url(), new DownlinkTemplate.Values(new byte[0], port, false, "")));
            } catch (DownlinkHosts.Refused e) {
                log.warning(() -> line(route, deviceId, "refused") + error(e.getMessage()));
                return Optional.empty();
            }
            if (r.auth().isPresent()) {
                DownlinkOffer.SecretSource from = r.auth().get().from();
                secret = from.fromHeader() ? header.apply(from.name()) : Optional.ofNullable(appSettings.get(from.name()));
                secret = secret.filter(s -> !s.isBlank());
                if (secret.isEmpty()) {
                    log.warning(() -> line(route, deviceId, "refused") + error("the downlink request needs the "
                            + (from.fromHeader() ? "webhook header " + from.name() + ", which this call lacks"
                                    : "route setting " + from.name() + " (app setting BRIDGE_ROUTE_<ROUTE>_"
                                            + from.name().toUpperCase(Locale.ROOT) + "), which is not set")));
                    return Optional.empty();
                }
                if (!DownlinkOffer.printable(secret.get())) {
                    log.warning(() -> line(route, deviceId, "refused") + error("the secret " + from + " holds characters a header cannot carry"));
                    return Optional.empty();
                }
            }
        }
        return Optional.of(new PreparedOffer(deviceId, offer, secret, port, hosts));
    }

    static int defaultPort(Settings settings, RouteTransform route, Map<String, String> query) {
        String v = query.getOrDefault("downlink_port", settings.routeSettings(route.route()).get("downlink_port"));
        if (v == null) {
            return 1;
        }
        try {
            int p = Integer.parseInt(v.trim());
            return p >= 0 && p <= DownlinkOffer.MAX_PORT ? p : 1;
        } catch (NumberFormatException e) {
            return 1;
        }
    }
}
