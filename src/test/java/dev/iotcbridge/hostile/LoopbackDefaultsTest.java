package dev.iotcbridge.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotcbridge.config.Secret;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.faults.SecretWitness;
import dev.iotcbridge.server.LocalBridge;
import dev.iotcbridge.sim.Simulator;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 6, item 4: the local server and the embedded simulator listen on loopback unless told otherwise, so a
 * developer's laptop does not offer an unauthenticated webhook or a fake IoT Central to its network; and the function
 * key is checked by {@link Secret#matches}, which compares with {@code MessageDigest.isEqual} (constant time in the
 * candidate: the JDK loops over the whole expected value whatever the candidate's length or first difference).
 */
class LoopbackDefaultsTest {

    @Test
    void theDefaultBindAddressIsLoopback() {
        assertEquals("127.0.0.1", Settings.from(Map.of()).bindAddress());
    }

    @Test
    void theLocalBridgeAndItsSimulatorAcceptConnectionsOnLoopbackOnly() throws Exception {
        try (LocalBridge bridge = LocalBridge.start(Map.of("BRIDGE_PORT", "0"), SecretWitness.shared().console())) {
            Simulator sim = bridge.simulator().orElseThrow();
            SecretWitness.shared().secret("the loopback test's group key", sim.groupKey().reveal());
            List<Integer> ports = new ArrayList<>(List.of(bridge.port(), sim.dps().port(), sim.hubA().port(), sim.hubB().port()));
            for (int port : ports) {
                assertTrue(connects(InetAddress.getLoopbackAddress(), port), "listening on loopback port " + port);
            }
            // what each socket is bound to decides who can reach it; probing the machine's other addresses would send
            // traffic off loopback, which tests here never do
            assertTrue(bridge.address().getAddress().isLoopbackAddress(), "bridge bound to " + bridge.address());
            for (String host : sim.hubHosts()) {
                assertTrue(host.startsWith("127.0.0.1:"), host);
            }
            assertTrue(sim.dpsHost().startsWith("127.0.0.1:"), sim.dpsHost());
        }
    }

    @Test
    void theFunctionKeyMatchesOnlyWhole() {
        Secret key = Secret.of("3f1c0ffee5a1d2b4c6e8f0a1b2c3d4e5");
        assertTrue(key.matches("3f1c0ffee5a1d2b4c6e8f0a1b2c3d4e5"));
        for (String wrong : new String[] {"", "3f1c0ffee5a1d2b4", "3f1c0ffee5a1d2b4c6e8f0a1b2c3d4e5x", "3F1C0FFEE5A1D2B4C6E8F0A1B2C3D4E5",
                "3f1c0ffee5a1d2b4c6e8f0a1b2c3d4e6", " 3f1c0ffee5a1d2b4c6e8f0a1b2c3d4e5"}) {
            assertFalse(key.matches(wrong), wrong);
        }
        assertFalse(key.matches(null));
        assertEquals("Secret[hidden]", key.toString());
    }

    private static boolean connects(InetAddress address, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, port), 1000);
            return true;
        } catch (IOException refused) {
            return false;
        }
    }
}
