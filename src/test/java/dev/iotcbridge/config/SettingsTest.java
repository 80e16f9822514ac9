package dev.iotcbridge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsTest {

    private static final String KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    private static String rejection(Map<String, String> values) {
        return assertThrows(InvalidSettingException.class, () -> Settings.from(values)).getMessage();
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        Settings s = Settings.from(Map.of());
        assertTrue(s.simulated());
        assertFalse(s.durable());
        assertEquals("global.azure-devices-provisioning.net", s.dpsHost());
        assertEquals("2021-10-01", s.dpsApiVersion());
        assertEquals("2021-04-12", s.hubApiVersion());
        assertEquals(Duration.ofSeconds(4), s.requestBudget());
        assertEquals(262_144, s.maxBodyBytes());
        assertEquals(64, s.maxJsonDepth());
        assertEquals(100, s.maxMessagesPerCall());
        assertEquals(100_000, s.deviceCacheSize());
        assertEquals("127.0.0.1", s.bindAddress());
        assertEquals(7071, s.port());
    }

    @Test
    void malformedValuesAreNamedWithTheRule() {
        assertEquals("BRIDGE_REQUEST_BUDGET_MS must be a whole number, was 'soon'", rejection(Map.of("BRIDGE_REQUEST_BUDGET_MS", "soon")));
        assertEquals("BRIDGE_MAX_JSON_DEPTH must be between 2 and 1000, was 1", rejection(Map.of("BRIDGE_MAX_JSON_DEPTH", "1")));
        assertEquals("BRIDGE_ALLOW_HTTP must be true or false, was 'maybe'", rejection(Map.of("BRIDGE_ALLOW_HTTP", "maybe")));
    }

    @Test
    void dpsAdmissionDefaultsToARateUnderDpsQuotaAndABurstOfAtLeastFifty() {
        Settings s = Settings.from(Map.of());
        assertEquals(200, s.registrationsPerMinute(), "two operations each: 400 of DPS's 1,000 a minute");
        assertTrue(s.registrationBurst() >= 50, "a 50-device site goes live in one DPS round");
        assertEquals("BRIDGE_DPS_REGISTRATIONS_PER_MINUTE must be between 1 and 100000, was 0",
                rejection(Map.of("BRIDGE_DPS_REGISTRATIONS_PER_MINUTE", "0")));
        assertEquals("BRIDGE_DPS_REGISTRATION_BURST must be between 1 and 1000, was 1001",
                rejection(Map.of("BRIDGE_DPS_REGISTRATION_BURST", "1001")));
        assertEquals("BRIDGE_DPS_REGISTRATION_BURST must be a whole number, was 'lots'",
                rejection(Map.of("BRIDGE_DPS_REGISTRATION_BURST", "lots")));
    }

    @Test
    void aGroupKeyIsCheckedButNeverEchoed() {
        String notBase64 = rejection(Map.of("IOTC_ID_SCOPE", "0ne1", "IOTC_GROUP_KEY", "not base64 at all!"));
        assertTrue(notBase64.startsWith("IOTC_GROUP_KEY must be the base64 key"), notBase64);
        assertFalse(notBase64.contains("not base64 at all"));
        assertTrue(rejection(Map.of("IOTC_ID_SCOPE", "0ne1", "IOTC_GROUP_KEY", "AAEC")).contains("decodes to 3 bytes"));
        assertTrue(rejection(Map.of("IOTC_ID_SCOPE", "0ne1")).startsWith("IOTC_GROUP_KEY is required"));
        assertEquals("Secret[hidden]", Settings.from(Map.of("IOTC_ID_SCOPE", "0ne1", "IOTC_GROUP_KEY", KEY)).groupKey().orElseThrow().toString());
    }

    @Test
    void plainHttpOnlyTowardsThisMachine() {
        Map<String, String> v = new HashMap<>(Map.of("BRIDGE_ALLOW_HTTP", "true"));
        assertTrue(rejection(v).contains("IOTC_DPS_HOST global.azure-devices-provisioning.net is not a loopback address"));
        for (String host : new String[] {"127.0.0.1:8443", "localhost:1234", "localhost", "[::1]:99"}) {
            v.put("IOTC_DPS_HOST", host);
            assertTrue(Settings.from(v).allowHttp(), host);
        }
        v.put("IOTC_DPS_HOST", "10.0.0.5:80");
        assertThrows(InvalidSettingException.class, () -> Settings.from(v));
    }

    @Test
    void routeSettingsReachTheirRouteOnly() {
        Settings s = Settings.from(Map.of("BRIDGE_ROUTE_SIGFOX_PAYLOAD_CONFIG", "temp::int:16", "BRIDGE_ROUTE_TTN_MODEL_ID", "dtmi:x:y;1"));
        assertEquals(Map.of("payload_config", "temp::int:16"), s.routeSettings("sigfox"));
        assertEquals(Map.of("model_id", "dtmi:x:y;1"), s.routeSettings("ttn"));
        assertEquals(Map.of(), s.routeSettings("particle"));
        assertTrue(rejection(Map.of("BRIDGE_ROUTE_SIGFOX", "x")).contains("BRIDGE_ROUTE_<ROUTE>_<NAME>"));
    }

    @Test
    void theFunctionKeyComparesWithoutTellingItsLength() {
        Secret key = Secret.of("s3cret-key");
        assertTrue(key.matches("s3cret-key"));
        assertFalse(key.matches("s3cret-kez"));
        assertFalse(key.matches("s3cret"));
        assertFalse(key.matches(""));
        assertFalse(key.matches(null));
    }

    @Test
    void theDpsHostIsAHostAndPortOnly() {
        for (String bad : new String[] {"https://global.azure-devices-provisioning.net", "dps.example/path", "user@dps.example",
                "dps.example?x=1", "two words"}) {
            assertEquals("IOTC_DPS_HOST must be host[:port], e.g. global.azure-devices-provisioning.net, was '" + bad + "'",
                    rejection(Map.of("IOTC_DPS_HOST", bad)), bad);
        }
        assertEquals("dps.example:8443", Settings.from(Map.of("IOTC_DPS_HOST", " dps.example:8443 ")).dpsHost());
    }

    @Test
    void aDurationIsWrittenInTheUnitItsNameSays() {
        Settings s = Settings.from(Map.of("BRIDGE_REQUEST_BUDGET_MS", "2500", "BRIDGE_SAS_TTL_MINUTES", "30",
                "BRIDGE_DPS_REFUSAL_BACKOFF_SECONDS", "0"));
        assertEquals(Duration.ofMillis(2500), s.requestBudget());
        assertEquals(Duration.ofMinutes(30), s.tokenTtl());
        assertEquals(Duration.ZERO, s.refusalBackoff());
        assertEquals("BRIDGE_SAS_TTL_MINUTES must be between 5 and 1440, was 4", rejection(Map.of("BRIDGE_SAS_TTL_MINUTES", "4")));
    }

    @Test
    void blankMeansNotSet() {
        // local.settings.json.example lists every setting, most of them empty: that must start like no file at all
        Settings s = Settings.from(Map.of("IOTC_ID_SCOPE", " ", "BRIDGE_PORT", "", "BRIDGE_ROUTE_TTN_MODEL_ID", " "));
        assertTrue(s.simulated());
        assertEquals(7071, s.port());
        assertEquals(Map.of(), s.routeSettings("ttn"));
    }

    @Test
    void everySettingIsDeclaredOnceUnderItsOwnName() {
        java.util.Set<String> names = new java.util.HashSet<>();
        for (Setting s : Settings.declarations()) {
            assertTrue(names.add(s.name()), s.name() + " is declared twice");
            assertFalse(s.meaning().isBlank(), s.name() + " has no meaning");
        }
        assertEquals(Settings.class.getRecordComponents().length, names.size());
    }
}
