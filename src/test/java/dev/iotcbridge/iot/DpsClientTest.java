package dev.iotcbridge.iot;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.error.Completion;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

/** The DPS client's transport: asynchronous now, and still the JVM's TLS with its certificate and host checks. */
class DpsClientTest {

    @Test
    void dpsOverHttpsStillRefusesACertificateTheJvmDoesNotTrust() throws Exception {
        WireMockServer untrusted = new WireMockServer(options().dynamicHttpsPort().httpDisabled(true)); // self-signed
        untrusted.start();
        FakeTime time = new FakeTime(Instant.parse("2026-11-27T10:00:00Z"));
        IotOptions o = IotOptions.from(Settings.from(Map.of("IOTC_ID_SCOPE", "0ne00000001", "IOTC_GROUP_KEY", SasTokenTest.GROUP_KEY,
                "IOTC_DPS_HOST", "localhost:" + untrusted.httpsPort())));
        OkHttpClient http = IotHubSender.httpClient(o);
        try (DpsClient dps = new DpsClient(http, o, time, new FakeScheduler(time), new ObjectMapper())) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> dps.lookup("sensor-001",
                    TestSas.deviceKey(SasTokenTest.GROUP_KEY, "sensor-001"), Deadline.after(time, Duration.ofSeconds(10)))
                    .get(20, TimeUnit.SECONDS));

            DpsFailure f = assertInstanceOf(DpsFailure.class, Completion.cause(e.getCause()));
            assertEquals(DpsPolicy.Verdict.TRANSIENT, f.verdict);
            assertTrue(f.getMessage().contains("SSLHandshakeException"), f.getMessage());
            assertEquals(0, untrusted.getAllServeEvents().size(), "no request reached a server whose certificate failed");
        } finally {
            untrusted.stop();
            http.connectionPool().evictAll();
        }
    }
}
