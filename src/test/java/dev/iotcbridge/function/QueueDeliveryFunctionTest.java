package dev.iotcbridge.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.microsoft.azure.functions.OutputBinding;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.QueueOutput;
import com.microsoft.azure.functions.annotation.QueueTrigger;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.error.BridgeException;
import dev.iotcbridge.error.DeviceRefusedException;
import dev.iotcbridge.error.TryLaterException;
import dev.iotcbridge.iot.DeviceMessage;
import dev.iotcbridge.iot.TelemetrySender;
import dev.iotcbridge.queue.PoisonReason;
import dev.iotcbridge.queue.QueueDelivery;
import dev.iotcbridge.queue.QueueMessageCodec;
import dev.iotcbridge.queue.QueuedMessage;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class QueueDeliveryFunctionTest {

    private static final Instant NOW = Instant.parse("2026-11-27T10:00:00Z");
    private final QueueMessageCodec codec = new QueueMessageCodec();
    private final List<DeviceMessage> sent = new ArrayList<>();
    private Supplier<BridgeException> hubFailure = () -> null;
    private final TelemetrySender hub = (message, budget) -> {
        BridgeException e = hubFailure.get();
        if (e != null) {
            throw e;
        }
        sent.add(message);
    };
    private final QueueDeliveryFunction function = new QueueDeliveryFunction(
            () -> new QueueDelivery(hub, codec, 5, Duration.ofSeconds(4), Clock.fixed(NOW, ZoneOffset.UTC)));
    private final Binding poison = new Binding();
    private final String item = codec.encode(new QueuedMessage("ttn", NOW, new DeviceMessage("dev-1", Optional.empty(),
            "{\"t\":1}".getBytes(StandardCharsets.UTF_8), Optional.empty(), Optional.empty(), Optional.of("msg-1"), Map.of())));

    @Test
    void aDeliveredMessageReturnsSoTheHostDeletesIt() {
        function.deliver(item, 1, poison, null);

        assertEquals(List.of("msg-1"), sent.stream().map(m -> m.messageId().orElseThrow()).toList());
        assertNull(poison.value);
    }

    @Test
    void aTransientFailureIsThrownSoTheHostTriesAgain() {
        TryLaterException outage = new TryLaterException(503, "IoT hub unavailable", Duration.ofSeconds(5));
        hubFailure = () -> outage;

        assertSame(outage, assertThrows(TryLaterException.class, () -> function.deliver(item, 1, poison, null)));
        assertNull(poison.value);
    }

    @Test
    void thePoisonQueueGetsAPermanentFailureWithItsReasonAndTheHostDeletesTheMessage() {
        hubFailure = () -> new DeviceRefusedException("device 'dev-1' is blocked", Duration.ofMinutes(1));

        function.deliver(item, 1, poison, null);

        assertEquals(Optional.of(new PoisonReason(403, "device 'dev-1' is blocked", 1, NOW)), codec.decodePoison(poison.value).reason());
        assertEquals(item, codec.decodePoison(poison.value).itemText());
    }

    @Test
    void theLastTransientFailureGoesToThePoisonQueueWithItsReasonInsteadOfBareByTheHost() {
        hubFailure = () -> new TryLaterException(503, "IoT hub unavailable", Duration.ofSeconds(5));

        function.deliver(item, 5, poison, null);

        assertEquals("gave up after 5 deliveries: IoT hub unavailable", codec.decodePoison(poison.value).reason().orElseThrow().error());
    }

    @Test
    void theBindingsNameTheQueueTheSettingsAndThePoisonQueueTheHostUses() throws Exception {
        Method m = QueueDeliveryFunction.class.getMethod("deliver", String.class, long.class, OutputBinding.class,
                com.microsoft.azure.functions.ExecutionContext.class);
        Parameter[] p = m.getParameters();

        assertEquals("deliver", m.getAnnotation(FunctionName.class).value());
        QueueTrigger trigger = p[0].getAnnotation(QueueTrigger.class);
        assertEquals("%BRIDGE_QUEUE_NAME%", trigger.queueName());
        assertEquals("BRIDGE_QUEUE_CONNECTION", trigger.connection());
        assertEquals("DequeueCount", p[1].getAnnotation(BindingName.class).value());
        QueueOutput output = p[2].getAnnotation(QueueOutput.class);
        assertEquals("%BRIDGE_QUEUE_NAME%-poison", output.queueName());
        assertEquals("BRIDGE_QUEUE_CONNECTION", output.connection());
        Settings s = Settings.from(Map.of("BRIDGE_QUEUE_NAME", "bridge", "BRIDGE_QUEUE_CONNECTION", "UseDevelopmentStorage=true"));
        assertEquals(s.queuePoisonName().orElseThrow(), output.queueName().replace("%BRIDGE_QUEUE_NAME%", "bridge"));
    }

    private static final class Binding implements OutputBinding<String> {
        String value;

        @Override
        public String getValue() {
            return value;
        }

        @Override
        public void setValue(String value) {
            this.value = value;
        }
    }
}
