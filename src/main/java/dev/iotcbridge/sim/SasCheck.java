package dev.iotcbridge.sim;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Verifies a SAS token the way DPS and IoT Hub do (docs/azure-protocol.md §1.2-§1.5):
 * {@code SharedAccessSignature sr=…&sig=…&se=…[&skn=…]}, signature = HMAC-SHA256(device key, {@code sr} exactly as sent + "\n" + se). The {@code sr} may come URL-encoded
 * (C, Node, the bridge) or raw (Microsoft's Java DPS client); either must name the expected resource.
 */
final class SasCheck {

    /** Which service checks: DPS wants {@code skn=registration} (Java's client sends it empty), a hub wants none. */
    enum Audience { DPS, HUB }

    private static final String PREFIX = "SharedAccessSignature ";

    private SasCheck() {
    }

    /**
     * Why the token is refused, or empty when it is valid. The reason names what is wrong, never a key or signature.
     */
    static Optional<String> problem(String authorization, String expectedResource, Audience audience,
                                    byte[] deviceKey, Instant now) {
        if (authorization == null || authorization.isBlank()) {
            return Optional.of("the Authorization header is missing");
        }
        if (!authorization.startsWith(PREFIX)) {
            return Optional.of("the Authorization header is not a SharedAccessSignature");
        }
        String rawSr = null;
        String rawSig = null;
        String se = null;
        String skn = null;
        Set<String> others = null; // fields the check does not read, kept only to refuse a repeated one
        for (String part : authorization.substring(PREFIX.length()).trim().split("&")) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                return Optional.of("the SAS token is malformed");
            }
            String name = part.substring(0, eq);
            String value = part.substring(eq + 1);
            boolean repeated;
            switch (name) {
                case "sr" -> {
                    repeated = rawSr != null;
                    rawSr = value;
                }
                case "sig" -> {
                    repeated = rawSig != null;
                    rawSig = value;
                }
                case "se" -> {
                    repeated = se != null;
                    se = value;
                }
                case "skn" -> {
                    repeated = skn != null;
                    skn = value;
                }
                default -> {
                    if (others == null) {
                        others = new HashSet<>();
                    }
                    repeated = !others.add(name);
                }
            }
            if (repeated) {
                return Optional.of("the SAS token repeats a field");
            }
        }
        if (rawSr == null || rawSig == null || se == null) {
            return Optional.of("the SAS token needs sr, sig and se");
        }
        if (audience == Audience.DPS && skn != null && !skn.isEmpty() && !skn.equals("registration")) {
            return Optional.of("a device registration token has skn=registration");
        }
        if (audience == Audience.HUB && skn != null && !skn.isEmpty()) {
            return Optional.of("a device token has no skn (a policy name means a policy key signed it)");
        }
        if (!decode(rawSr).equalsIgnoreCase(expectedResource)) {
            return Optional.of("the token's resource (sr) is not " + expectedResource);
        }
        long expiry;
        try {
            expiry = Long.parseLong(se);
        } catch (NumberFormatException e) {
            return Optional.of("the token's expiry (se) is not a number of seconds");
        }
        if (expiry <= now.getEpochSecond()) {
            return Optional.of("the token has expired");
        }
        byte[] given;
        try {
            given = java.util.Base64.getDecoder().decode(decode(rawSig));
        } catch (IllegalArgumentException e) {
            return Optional.of("the token's signature is not base64");
        }
        byte[] expected = DeviceKeys.hmac(deviceKey, (rawSr + "\n" + se).getBytes(StandardCharsets.UTF_8));
        if (!MessageDigest.isEqual(given, expected)) {
            return Optional.of("the token's signature does not match the device key");
        }
        return Optional.empty();
    }

    private static String decode(String s) {
        return Query.decode(s);
    }
}
