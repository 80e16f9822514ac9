package dev.iotcbridge.iot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotcbridge.config.InvalidSettingException;
import dev.iotcbridge.config.Settings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IotOptionsTest {

    @Test
    void productionDefaultsSpeakHttpsToTheGlobalDpsEndpoint() {
        IotOptions o = IotOptions.from(Settings.from(Map.of("IOTC_ID_SCOPE", "0ne00000001", "IOTC_GROUP_KEY", SasTokenTest.GROUP_KEY)));
        assertEquals("https", o.scheme());
        assertEquals("global.azure-devices-provisioning.net", o.dpsHost());
        assertEquals("2021-10-01", o.dpsApiVersion());
        assertEquals("2021-04-12", o.hubApiVersion());
        assertEquals(100_000, o.deviceCacheSize());
        assertEquals(Duration.ofMinutes(60), o.tokenTtl());
        assertTrue(o.secondaryKey().isEmpty());
        try (IotHubSender sender = IotHubSender.create(Settings.from(Map.of(
                "IOTC_ID_SCOPE", "0ne00000001", "IOTC_GROUP_KEY", SasTokenTest.GROUP_KEY)))) {
            assertEquals(0, sender.cachedDevices());
        }
    }

    @Test
    void withoutAnIdScopeThereIsNothingToForwardTo() {
        InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> IotOptions.from(Settings.from(Map.of())));
        assertTrue(e.getMessage().contains("IOTC_ID_SCOPE"), e.getMessage());
    }

    @Test
    void aDpsHostThatIsNotHostPortIsRefusedAtStart() {
        InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> IotHubSender.create(Settings.from(Map.of(
                "IOTC_ID_SCOPE", "0ne00000001", "IOTC_GROUP_KEY", SasTokenTest.GROUP_KEY,
                "IOTC_DPS_HOST", "https://dps.example/path"))));
        assertTrue(e.getMessage().contains("IOTC_DPS_HOST"), e.getMessage());
        assertFalse(e.getMessage().contains(SasTokenTest.GROUP_KEY));
    }

    @Test
    void tuningValuesHaveNamedDefaultsAndChangeOneByOne() {
        IotOptions o = IotOptions.from(Settings.from(Map.of("IOTC_ID_SCOPE", "0ne00000001", "IOTC_GROUP_KEY", SasTokenTest.GROUP_KEY)));
        assertEquals(IotOptions.REGISTRATION_TIMEOUT, o.registrationTimeout());
        assertEquals(IotOptions.MAX_POLLS, o.maxPolls());
        assertEquals(IotOptions.RETRY_CAP, o.retryCap());
        assertEquals(o, o.toBuilder().build());

        IotOptions tuned = o.toBuilder().maxPolls(3).retryBase(Duration.ofMillis(10)).build();

        assertEquals(3, tuned.maxPolls());
        assertEquals(Duration.ofMillis(10), tuned.retryBase());
        assertEquals(o, tuned.toBuilder().maxPolls(o.maxPolls()).retryBase(o.retryBase()).build(), "nothing else changed");
        assertEquals(Duration.ofSeconds(15), o.withRegistrationTimeout(Duration.ofSeconds(15)).registrationTimeout());
    }

    @Test
    void theReprovisioningWindowIsASettingOfOneSecondToOneHour() {
        Map<String, String> base = Map.of("IOTC_ID_SCOPE", "0ne00000001", "IOTC_GROUP_KEY", SasTokenTest.GROUP_KEY);
        assertEquals(Duration.ofSeconds(60), IotOptions.from(Settings.from(base)).reprovisionWindow());

        java.util.HashMap<String, String> m = new java.util.HashMap<>(base);
        m.put("BRIDGE_REPROVISION_WINDOW_SECONDS", "300");
        assertEquals(Duration.ofMinutes(5), IotOptions.from(Settings.from(m)).reprovisionWindow());
        for (String bad : new String[] {"0", "3601", "-5", "1m"}) {
            m.put("BRIDGE_REPROVISION_WINDOW_SECONDS", bad);
            InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> Settings.from(m), bad);
            assertTrue(e.getMessage().contains("BRIDGE_REPROVISION_WINDOW_SECONDS"), e.getMessage());
        }
    }

    @Test
    void dpsAdmissionComesFromItsSettings() {
        IotOptions o = IotOptions.from(Settings.from(Map.of("IOTC_ID_SCOPE", "0ne00000001", "IOTC_GROUP_KEY", SasTokenTest.GROUP_KEY,
                "BRIDGE_DPS_REGISTRATIONS_PER_MINUTE", "120", "BRIDGE_DPS_REGISTRATION_BURST", "60")));
        assertEquals(120, o.registrationsPerMinute());
        assertEquals(60, o.registrationBurst());
        assertEquals(IotOptions.ADMISSION_HORIZON, o.admissionHorizon());
        IotOptions tuned = o.toBuilder().registrationBurst(5).admissionHorizon(Duration.ofSeconds(5)).build();
        assertEquals(5, tuned.registrationBurst());
        assertEquals(Duration.ofSeconds(5), tuned.admissionHorizon());
        assertEquals(120, tuned.registrationsPerMinute(), "nothing else changed");
    }
}
