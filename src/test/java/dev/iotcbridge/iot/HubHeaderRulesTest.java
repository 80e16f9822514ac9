package dev.iotcbridge.iot;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HubHeaderRulesTest {

    @Test
    void headerTokensAreTheCharactersOfReference42AndNeverEmpty() {
        assertTrue(HubHeaderRules.isHeaderToken("ttn"));
        assertTrue(HubHeaderRules.isHeaderToken("Az09!#$%&'*+-.^_`|~"));
        assertTrue(HubHeaderRules.isHeaderToken("-87"));
        for (String bad : new String[] {"", "a b", "a:b", "a/b", "a\"b", "a,b", "a;b", "a=b", "\u00b0C", "a\tb", "a\nb"}) {
            assertFalse(HubHeaderRules.isHeaderToken(bad), bad);
        }
    }

    @Test
    void messageIdsAreIotHubIdCharactersOneTo128() {
        assertTrue(HubHeaderRules.isMessageId("ttn-a84041000181c150-4711"));
        assertTrue(HubHeaderRules.isMessageId("a-:.+%_#*?!(),=@;$'z"));
        assertTrue(HubHeaderRules.isMessageId("x".repeat(128)));
        for (String bad : new String[] {"", "x".repeat(129), "has space", "a/b", "a<b", "a\"b", "a&b", "caf\u00e9"}) {
            assertFalse(HubHeaderRules.isMessageId(bad), bad);
        }
    }
}
