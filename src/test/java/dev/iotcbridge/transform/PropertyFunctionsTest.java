package dev.iotcbridge.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PropertyFunctionsTest {

    @Test
    void headerSafeTextIsKeptAsItIs() {
        assertEquals("eu1.cloud-thethings_network!#$&'*+^|~`", PropertyFunctions.encode("eu1.cloud-thethings_network!#$&'*+^|~`"));
    }

    @Test
    void everythingElseIsPercentEncodedAndDecodesBackExactly() {
        for (String original : new String[] {"sensor/temp", "SFR France", "50%", "Zürich ☃", "a\"b\\c", "tab\there", "new\nline"}) {
            String encoded = PropertyFunctions.encode(original);
            assertEquals(true, encoded.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+"), encoded);
            assertEquals(original, URLDecoder.decode(encoded.replace("+", "%2B"), StandardCharsets.UTF_8));
        }
        assertEquals("sensor%2Ftemp", PropertyFunctions.encode("sensor/temp"));
        assertEquals("50%25", PropertyFunctions.encode("50%"));
    }
}
