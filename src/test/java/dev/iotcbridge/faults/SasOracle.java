package dev.iotcbridge.faults;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The secrets a run creates, computed here independently of the bridge (docs/azure-protocol.md §1): each device's key derived
 * from the group key, and the signature of every token the bridge could have minted for a device during a time
 * window (the expiry is the minting second plus the token lifetime, so a window of seconds bounds the candidates).
 */
public final class SasOracle {

    private SasOracle() {
    }

    /** base64(HMAC-SHA256(base64decode(groupKey), registrationId)). */
    public static String deviceKey(String groupKeyBase64, String registrationId) {
        return Base64.getEncoder().encodeToString(hmac(Base64.getDecoder().decode(groupKeyBase64),
                registrationId.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Signatures (base64, not URL-encoded) of the tokens for {@code resource} expiring at any second in
     * [{@code fromExpiry}, {@code toExpiry}].
     */
    public static List<String> signatures(String deviceKeyBase64, String resource, long fromExpiry, long toExpiry) {
        byte[] key = Base64.getDecoder().decode(deviceKeyBase64);
        String sr = URLEncoder.encode(resource, StandardCharsets.UTF_8);
        List<String> out = new ArrayList<>();
        for (long se = fromExpiry; se <= toExpiry; se++) {
            out.add(Base64.getEncoder().encodeToString(hmac(key, (sr + "\n" + se).getBytes(StandardCharsets.UTF_8))));
        }
        return out;
    }

    /**
     * Registers with the witness the keys of these devices and the signatures of every DPS and hub token the bridge
     * could have minted for them between {@code fromSecond} and {@code toSecond} (epoch seconds).
     */
    public static void witnessDevices(SecretWitness witness, String groupKey, String idScope, List<String> hubHosts,
                                      Iterable<String> deviceIds, long fromSecond, long toSecond, long ttlSeconds) {
        for (String id : deviceIds) {
            String key = deviceKey(groupKey, id);
            witness.base64Secret("the device key of " + id, key);
            witness.base64Secrets("a DPS token signature of " + id,
                    signatures(key, idScope + "/registrations/" + id, fromSecond + ttlSeconds, toSecond + ttlSeconds));
            for (String hub : hubHosts) {
                witness.base64Secrets("a hub token signature of " + id,
                        signatures(key, hub + "/devices/" + id, fromSecond + ttlSeconds, toSecond + ttlSeconds));
            }
        }
    }

    private static byte[] hmac(byte[] key, byte[] message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(message);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
